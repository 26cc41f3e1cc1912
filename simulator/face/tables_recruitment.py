"""The text table of a recruitment simulation (the ``trialsim recruit`` output).

Formatting only: the numbers come from
:func:`simulator.ops.recruitment.simulate_recruitment`.
"""

from __future__ import annotations

from ..mc import DistributionSummary, MonteCarloMean, MonteCarloProbability
from ..ops.recruitment import RecruitmentResult, RecruitmentSolution
from .._format import fmt, pct

__all__ = ["format_recruitment", "format_solution"]


def format_recruitment(result: RecruitmentResult) -> str:
    """A readable table of a recruitment result (the ``trialsim recruit`` output).

    Parameters
    ----------
    result : RecruitmentResult

    Returns
    -------
    str
        Times to full enrolment and to the last outcome, patient counts,
        waits, chair utilisation, the deadline outputs and costs.

    Examples
    --------
    >>> from simulator import Scenario
    >>> from simulator.ops.recruitment import simulate_recruitment
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 10}, "pain": {"effect": -1.0},
    ...                         "recruitment": {"sites": 2, "rate_per_site_month": 2.0}})
    >>> print(format_recruitment(simulate_recruitment(s, n_reps=100, seed=1))
    ...       .splitlines()[0])
    recruitment: unnamed, 20 patients at 2 sites, 100 simulated trials (vectorized path)
    """
    r = result
    lines = [f"recruitment: {r.scenario_name}, {r.n_target} patients at {r.sites} site"
             f"{'s' if r.sites != 1 else ''}, {r.n_reps:,} simulated trials ({r.path} path)",
             _model_line(r),
             "",
             f"{'months to':28s} {'mean':>8s} {'5 %':>8s} {'median':>8s} {'95 %':>8s}"]
    lines += [_dist("full enrolment", r.months_to_full_enrolment),
              _dist("last primary outcome", r.months_to_last_outcome)]
    lines += _interim_lines(r) + [""]
    rows = _trial_rows(r) + _deadline_rows(r)
    lines += [row for row in rows if row is not None]
    lines += _cost_lines(r)
    lines += [f"NOTE: {note}" for note in r.notes]
    return "\n".join(lines)


def _interim_lines(r: RecruitmentResult) -> list[str]:
    """With ``[interim]``: each look's date, and the expected end of the trial."""
    if r.interim is None:
        return []
    i = r.interim
    last = len(i.looks)
    lines = [_dist(f"look {k.look} ({','.join(str(n) for n in k.group_sizes)}/arm)", k.months)
             + f"   P({'stop here' if k.look < last else 'reach it'}) {pct(k.p_stop)}"
             for k in i.looks]
    e = i.expected_stop_months
    lines.append(f"{'expected end (sequential)':28s} {fmt(e.value, '8.1f')}   "
                 f"(MC SE {fmt(e.se, '.2f')}; "
                 f"{fmt(i.months_saved, '.1f')} months before the last look, on average)")
    return lines


def _model_line(r: RecruitmentResult) -> str:
    """How sites recruit and when infusions run."""
    rates = (f"site rates vary (Poisson-gamma, CV {r.rate_cv:g})" if r.rate_cv > 0
             else "every site at the mean rate (Poisson)")
    days = ("infusions every day" if r.working_days_per_week == 7
            else f"infusions on {r.working_days_per_week} days a week")
    return f"{rates}; {days}"


def _dist(label: str, d: DistributionSummary, spec: str = "8.1f") -> str:
    """One row of a distribution: mean, 5 %, median, 95 % and the SE of the mean."""
    return (f"{label:28s} {fmt(d.mean, spec)} {fmt(d.q05, spec)} {fmt(d.q50, spec)} "
            f"{fmt(d.q95, spec)}   (SE of mean {fmt(d.mean_se, '.2g')})")


def _est(label: str, m: MonteCarloMean | MonteCarloProbability | None, fmt: str,
         unit: str = "") -> str | None:
    """One row of an estimate and its SE (None when there is no estimate)."""
    if m is None:
        return None
    return f"{label:44s} {m.value:{fmt}}{unit} (SE {m.se:.2g})"


def _trial_rows(r: RecruitmentResult) -> list[str | None]:
    """Whole-trial counts, waits and chair utilisation."""
    rows = [
        _est("patients screened", r.n_screened, ".1f"),
        _est("withdrawn waiting for a chair", r.n_withdrawn_waiting, ".2f"),
        _est("withdrawn after an adverse event", r.n_withdrawn_after_ae, ".1f"),
        _est("with a primary outcome", r.n_completed, ".1f"),
        *(f"{'  ' + arm:44s} {fmt(m.value, '.1f')} (SE {fmt(m.se, '.2g')}; the power engine "
          f"expects {fmt(e, '.1f')})"
          for arm, m, e in zip(r.arms, r.n_completed_per_arm, r.expected_completed_per_arm)),
        _est("mean wait for a first infusion", r.mean_wait_days, ".2f", " days"),
        _est("mean number waiting", r.mean_number_waiting, ".3f"),
    ]
    if r.chair_utilisation is not None:
        rows.append(f"{'chair utilisation':44s} {fmt(r.chair_utilisation.value, '.3f')} "
                    f"(SE {fmt(r.chair_utilisation.se, '.2g')}; at most "
                    f"{fmt(r.utilisation_ceiling, '.3f')})")
    return rows


def _deadline_rows(r: RecruitmentResult) -> list[str | None]:
    """The deadline outputs, or a note that there is no deadline."""
    if r.deadline_months is None:
        return ["", "no deadline: set recruitment.deadline_months for P(complete) and power"]
    d = f"{r.deadline_months:g} months"
    return [
        "",
        _est(f"P(enrolment complete by {d})", r.p_complete_by_deadline, ".3f"),
        _est("randomised by the deadline", r.n_randomized_by_deadline, ".1f"),
        _est("randomised and treated by the deadline", r.n_treated_by_deadline, ".1f"),
        _est("primary outcomes by the deadline", r.n_completed_by_deadline, ".1f"),
        _est("power at the n reached by the deadline", r.power_at_deadline, ".3f"),
        _est("assurance at the n reached by the deadline", r.assurance_at_deadline, ".3f"),
    ]


def _cost_lines(r: RecruitmentResult) -> list[str]:
    """The total cost's distribution, when unit costs are given."""
    if r.cost is None:
        return []
    return ["", f"{'total cost':28s} {'mean':>12s} {'5 %':>12s} {'median':>12s} "
                f"{'95 %':>12s}",
            f"{'':28s} {r.cost.mean:12,.0f} {r.cost.q05:12,.0f} {r.cost.q50:12,.0f} "
            f"{r.cost.q95:12,.0f}"]


def format_solution(solution: RecruitmentSolution) -> str:
    """A readable table of a recruitment solve (``trialsim recruit --solve``).

    Parameters
    ----------
    solution : RecruitmentSolution

    Returns
    -------
    str

    Examples
    --------
    >>> from simulator import Scenario, solve_recruitment
    >>> s = Scenario.from_dict({"design": {"n_per_arm": 20}, "pain": {"effect": -1.0},
    ...     "recruitment": {"sites": 3, "rate_per_site_month": 1.0, "rate_cv": 0.0,
    ...                     "deadline_months": 12.0}})
    >>> print(format_solution(solve_recruitment(s, solve="sites")))
    recruitment solve: unnamed, 40 patients, P(full enrolment by the deadline) >= 0.9
    every site at the mean rate (Poisson): exact
    <BLANKLINE>
    sites needed                                 5 (opening at the start)
    P(full enrolment by 12 months), 5 sites      0.997 (SE 0)
    P(full enrolment by 12 months), 4 sites      0.893 (SE 0)
    """
    r = solution
    how = ("every site at the mean rate (Poisson): exact" if r.exact else
           f"site rates vary (Poisson-gamma, CV {r.rate_cv:g}): {r.n_reps:,} draws of the "
           "site rates")
    lines = [f"recruitment solve: {r.scenario_name}, {r.n_target} patients, P(full enrolment "
             f"by the deadline) >= {r.probability:g}", how, ""]
    d = f"{fmt(r.deadline_months, '.1f')}" if r.solve == "months" else f"{r.deadline_months:g}"
    if r.solve == "sites":
        ramp = (f"opening evenly over {r.opening_ramp_months:g} months"
                if r.opening_ramp_months else "opening at the start")
        lo, hi = r.sites_range or (r.sites, r.sites)
        span = "" if lo == hi else f"; 95 % Monte Carlo range {lo}-{hi}"
        lines.append(f"{'sites needed':44s} {r.sites} ({ramp}{span})")
    else:
        lines.append(f"{'months needed':44s} {d} (SE {r.deadline_months_se:.2g}) with "
                     f"{r.sites} sites")
    lines.append(_est(f"P(full enrolment by {d} months), {r.sites} sites", r.p_complete,
                      ".3f"))
    if r.p_complete_one_site_fewer is not None:
        lines.append(_est(f"P(full enrolment by {d} months), {r.sites - 1} sites",
                          r.p_complete_one_site_fewer, ".3f"))
    return "\n".join(lines)
