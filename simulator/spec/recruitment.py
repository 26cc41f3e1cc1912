"""Recruitment and infusion capacity over calendar time."""

from __future__ import annotations

from dataclasses import dataclass

from .bounds import AMOUNT, MAX_MONTHS, MONTHS, is_amount, is_months
from .schema import check_fields, fail, integer, number, numbers

__all__ = ["RecruitmentSpec", "even_ramp", "MAX_SITES", "DAYS_PER_MONTH"]

#: Days in a month: recruitment dates are in months of this length.
DAYS_PER_MONTH = 30.4375
#: The most recruiting sites a scenario may have.
MAX_SITES = 10_000

_POSITIVE_MONTHS = f"must be a number of months in (0, {MAX_MONTHS:g}]"
#: Hours: the shortest infusion session and opening day.
_MIN_HOURS = 0.1


def even_ramp(ramp: float, sites: int) -> tuple[float, ...]:
    """Opening times of ``sites`` sites evenly spaced over ``[0, ramp]`` months."""
    return tuple(ramp * i / (sites - 1) if sites > 1 else 0.0 for i in range(sites))


@dataclass(frozen=True, slots=True, kw_only=True)
class RecruitmentSpec:
    """Recruitment and infusion capacity over time (see :mod:`simulator.ops.recruitment`).

    Time is in months for recruitment and deadlines, days and hours for
    infusion sessions (1 month = 30.4375 days).

    Attributes
    ----------
    sites : int
        Recruiting sites.
    rate_per_site_month : float
        Mean patients screened per open site per month (a Poisson process at
        each site, whose rate is drawn per site, see ``rate_cv``).
    rate_cv : float
        Coefficient of variation of the sites' screening rates: each site's
        rate is drawn from a gamma distribution with mean
        ``rate_per_site_month`` and this CV (the Poisson-gamma model of
        Anisimov and Fedorov 2007); 0 gives every site the mean rate (a
        Poisson process). Default 0.6, derived from the between-site Gini
        coefficients 0.14-0.52 of Ramanan et al. 2020 (see
        ``docs/recruitment.md``).
    site_open_months : tuple of float
        Opening time of each site (months from the start); the file may give
        a list (one per site) or a number, a ramp: sites open evenly spaced
        over [0, ramp].
    screen_failure : float
        Probability that a screened patient is not randomised (screen failure
        or refusal).
    chairs_per_site : int or None
        Infusion chairs per site; None = no capacity limit.
    sessions_per_patient : int
        Infusion sessions each randomised patient needs (on consecutive
        working days).
    working_days_per_week : int
        Days a week the infusion unit works (from day 0 of each week): a
        course starts and runs only on working days. Default 5 (Monday to
        Friday); 7 gives infusions every day.
    session_hours : float
        Hours a session occupies a chair.
    hours_per_day : float
        Opening hours of the infusion unit per day.
    max_wait_days : float or None
        A randomised patient still waiting for a first chair after this many
        days withdraws (None = waits indefinitely).
    followup_months : float
        From the last infusion to the primary outcome.
    deadline_months : float or None
        The date by which the trial must stop recruiting.
    cost_per_patient, cost_per_site_month, cost_per_infusion : float
        Optional costs (0 = not counted).
    """

    sites: int = integer(check=lambda v: 1 <= v <= MAX_SITES,
                         allowed=f"must be an integer in [1, {MAX_SITES}]")
    rate_per_site_month: float = number(
        check=lambda v: 0.01 <= v <= 10_000,
        allowed="must be a number in [0.01, 10000] (patients screened per site per month)")
    site_open_months: tuple[float, ...] = numbers(
        (0.0,), check=lambda v: all(map(is_months, v)),
        allowed=f"must be a list of opening times in [0, {MAX_MONTHS:g}] (months), one per "
                "site")
    rate_cv: float = number(
        0.6, check=lambda v: v == 0 or 1e-3 <= v <= 3,
        allowed="must be 0 or a number in [0.001, 3] (coefficient of variation of the site "
                "rates; the gamma's shape is 1 / cv^2)")
    screen_failure: float = number(0.0, check=lambda v: 0 <= v <= 0.99,
                                   allowed="must be in [0, 0.99]")
    chairs_per_site: int | None = integer(
        None, optional=True, check=lambda v: 1 <= v <= 1000,
        allowed="must be an integer in [1, 1000] (absent = no capacity limit)")
    sessions_per_patient: int = integer(1, check=lambda v: 1 <= v <= 100,
                                        allowed="must be an integer in [1, 100]")
    working_days_per_week: int = integer(5, check=lambda v: 1 <= v <= 7,
                                         allowed="must be an integer in [1, 7]")
    session_hours: float = number(4.0, check=lambda v: _MIN_HOURS <= v <= 24,
                                  allowed=f"must be a number of hours in [{_MIN_HOURS:g}, 24]")
    hours_per_day: float = number(8.0, check=lambda v: _MIN_HOURS <= v <= 24,
                                  allowed=f"must be a number of hours in [{_MIN_HOURS:g}, 24]")
    max_wait_days: float | None = number(None, optional=True, check=lambda v: 0 < v <= 3650,
                                         allowed="must be a number of days in (0, 3650]")
    followup_months: float = number(1.0, check=is_months, allowed=MONTHS)
    deadline_months: float | None = number(None, optional=True,
                                           check=lambda v: 0 < v <= MAX_MONTHS,
                                           allowed=_POSITIVE_MONTHS)
    cost_per_patient: float = number(0.0, check=is_amount, allowed=AMOUNT)
    cost_per_site_month: float = number(0.0, check=is_amount, allowed=AMOUNT)
    cost_per_infusion: float = number(0.0, check=is_amount, allowed=AMOUNT)

    def __post_init__(self) -> None:
        check_fields(self, "recruitment")
        if len(self.site_open_months) != self.sites:
            raise fail("[recruitment] site_open_months", self.site_open_months,
                       f"must be {self.sites} opening times >= 0 (one per site), or one "
                       "number: a ramp over which sites open evenly")
        if self.max_wait_days is not None and self.chairs_per_site is None:
            raise fail("[recruitment] max_wait_days", self.max_wait_days,
                       "only applies with chairs_per_site (without a capacity limit nobody "
                       "waits)")
        if self.session_hours > self.hours_per_day:
            raise fail("[recruitment] session_hours", self.session_hours,
                       f"must fit in a day of hours_per_day = {self.hours_per_day}")

    @property
    def opening_ramp(self) -> float | None:
        """The ramp (months) over which the sites open evenly, or None for other openings.

        One site has ramp 0 (it opens at the start whatever the file's ramp).
        """
        ramp = self.site_open_months[-1]
        return ramp if even_ramp(ramp, self.sites) == self.site_open_months else None
