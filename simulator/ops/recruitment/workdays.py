"""Working days: when the infusion unit works, in days from the start.

Each week has ``working_days`` working days, then ``7 - working_days`` days
off: day ``d`` (``d = 0, 1, ...``; day 0 is the first working day of the
first week) is a working day when ``d mod 7 < working_days``. The *working
time* ``W(t)`` counts the working days elapsed up to ``t`` (continuously:
``W`` grows at rate 1 on working days and stays flat on days off). A course
of ``k`` sessions, one a working day, that starts at ``s`` (a working time)
holds its slot until ``W^{-1}(W(s) + k)``: the same time of day ``k``
working days later (a course that starts on a day off's eve ends at the end
of a working day). With 7 working days ``W(t) = t`` and a course lasts ``k``
days, the model without days off.

Every function takes scalars or arrays (times in days).
"""

from __future__ import annotations

import numpy as np

__all__ = ["DAYS_PER_WEEK", "working_time", "from_working_time", "next_working", "course_end"]

DAYS_PER_WEEK = 7


def working_time(t: np.ndarray | float, working_days: int) -> np.ndarray | float:
    """``W(t)``: working days elapsed from day 0 up to ``t`` (days)."""
    if working_days == DAYS_PER_WEEK:
        return t
    weeks = np.floor(np.divide(t, DAYS_PER_WEEK))
    return weeks * working_days + np.minimum(t - weeks * DAYS_PER_WEEK, working_days)


def from_working_time(x: np.ndarray | float, working_days: int) -> np.ndarray | float:
    """The earliest time ``t`` with ``W(t) = x`` (``x > 0``): a boundary falls at a day's end."""
    if working_days == DAYS_PER_WEEK:
        return x
    weeks = np.ceil(np.divide(x, working_days)) - 1.0
    return weeks * DAYS_PER_WEEK + (x - weeks * working_days)


def next_working(t: np.ndarray | float, working_days: int) -> np.ndarray | float:
    """The earliest time at or after ``t`` on a working day (``t`` itself on one)."""
    if working_days == DAYS_PER_WEEK:
        return t
    weeks = np.floor(np.divide(t, DAYS_PER_WEEK))
    off = t - weeks * DAYS_PER_WEEK >= working_days
    return np.where(off, (weeks + 1.0) * DAYS_PER_WEEK, t)


def course_end(start: np.ndarray | float, sessions: int,
               working_days: int) -> np.ndarray | float:
    """When a course of ``sessions`` daily sessions from ``start`` (on a working day) ends.

    Examples
    --------
    Ten sessions from a Wednesday noon (day 2.5) on a 5-day week end two
    calendar weeks later; from the first Monday's start, on the second Friday
    evening (day 12):

    >>> float(course_end(2.5, 10, 5)), float(course_end(0.0, 10, 5))
    (16.5, 12.0)
    """
    if working_days == DAYS_PER_WEEK:
        return start + sessions
    return from_working_time(working_time(start, working_days) + sessions, working_days)
