"""Decree 90/2020 ceilings: the highest level the measurable facts allow, and ratings above it.

Facts read from the roster when present (each optional): ``months_worked``, ``maternity_leave``,
``leave_months``, ``disciplined``, and for leaders ``targets_exceeded_share``, ``on_time_share``,
``managed_units_completed_share``, ``managed_units_good_share``; for other staff
``tasks_overcompleted_share`` and ``criteria_failed_share`` (shares 0–1). Thresholds come from
``params/decree_90_2020/eligibility.yaml`` and are compared exactly (as fractions).

>>> import pandas as pd
>>> r = pd.DataFrame({"level": ["EXCELLENT", "GOOD", "GOOD"], "months_worked": [12, 4, 12],
...                   "leave_months": [0, 0, 4], "year": 2024})
>>> level_ceiling(r)["ceiling"].tolist()
['EXCELLENT', 'NOT_RATED', 'COMPLETED']
>>> check_ceilings(r)["above_ceiling"].tolist()
[False, True, True]
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from .. import levels as L
from ..parameters import load

_P = "decree_90_2020.eligibility"
_RANK = {code: i for i, code in enumerate(L.ALL_LEVELS)}  # smaller = better


def _col(frame, name, default=np.nan):
    return pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float) if name in frame.columns \
        else np.full(len(frame), default)


def _flag(frame, name):
    if name not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return pd.array(frame[name], dtype="boolean").fillna(False).to_numpy(dtype=bool)


def _below(share: np.ndarray, threshold: Fraction) -> np.ndarray:
    """share < threshold, exactly: share·den < num (shares read from decimal text are exact enough)."""
    return ~np.isnan(share) & (share * threshold.denominator < threshold.numerator)


def level_ceiling(roster: pd.DataFrame, date=None) -> pd.DataFrame:
    """``ceiling`` (best level allowed) and ``ceiling_reason`` per row. Missing facts impose no limit."""
    tree = load()
    if date is None:
        years = roster["year"].dropna().astype(int) if "year" in roster.columns else pd.Series([2025])
        date = int(years.max()) if len(years) else 2025
    get = lambda k: tree.get(f"{_P}.{k}", date)  # noqa: E731
    n = len(roster)
    rank = np.zeros(n, dtype=np.int64)  # EXCELLENT
    reason = np.full(n, "", dtype=object)

    def limit(mask, level, why):
        nonlocal rank
        tighter = mask & (_RANK[level] > rank)
        rank = np.where(tighter, _RANK[level], rank)
        reason[tighter] = why

    leader = _flag(roster, "is_leader")
    limit(~leader & _below(_col(roster, "tasks_overcompleted_share"), get("staff_excellent_tasks_overcompleted")),
          L.GOOD, "under half of tasks over-completed: not excellent (Decree 90, Arts. 8–13)")
    limit(leader & _below(_col(roster, "targets_exceeded_share"), get("leader_excellent_targets_exceeded")),
          L.GOOD, "leader: under 50% of targets exceeded: not excellent (Decree 90)")
    managed_bad = (_below(_col(roster, "managed_units_completed_share"), get("leader_units_completed"))
                   | _below(_col(roster, "managed_units_good_share"), get("leader_units_good")))
    limit(leader & (_below(_col(roster, "on_time_share"), get("leader_good_on_time")) | managed_bad),
          L.COMPLETED, "leader: targets on time or managed units below the threshold: at most completed (Decree 90)")
    leave = _col(roster, "leave_months", 0.0)
    min_months = get("min_months_worked")
    limit((leave >= get("leave_months_cap_from")) & (leave < min_months), L.COMPLETED,
          "3 to under 6 months of leave: at most completed (Decree 90)")
    failed = _col(roster, "criteria_failed_share")
    half = get("staff_failed_criteria_not_completed")
    limit(~leader & ~np.isnan(failed) & (failed * half.denominator > half.numerator), L.NOT_COMPLETED,
          "over half of task criteria failed: not completed (Decree 90)")
    if get("discipline_means_not_completed"):
        limit(_flag(roster, "disciplined"), L.NOT_COMPLETED, "disciplined in the year: not completed (Decree 48/2023)")
    months = _col(roster, "months_worked", 12.0)
    limit((months < min_months) & ~_flag(roster, "maternity_leave"), L.NOT_RATED,
          "under 6 months worked: not rated (Decree 90)")
    out = pd.DataFrame(index=roster.index)
    out["ceiling"] = pd.Categorical(np.array(L.ALL_LEVELS, dtype=object)[rank], dtype=L.LEVEL_DTYPE)
    out["ceiling_reason"] = reason
    return out


def check_ceilings(roster: pd.DataFrame, date=None) -> pd.DataFrame:
    """The roster with ``ceiling``, ``ceiling_reason`` and ``above_ceiling`` (a rating better than allowed).

    A NOT_RATED ceiling flags any rating; a rated person's NOT_RATED level is never "above".
    """
    ceil = level_ceiling(roster, date)
    lv = L.as_levels(roster["level"])
    given = lv.cat.codes.to_numpy()
    allowed = ceil["ceiling"].cat.codes.to_numpy()
    not_rated = _RANK[L.NOT_RATED]
    above = np.where(allowed == not_rated, given != not_rated, (given < allowed) & (given != not_rated))
    out = roster.copy()
    out["ceiling"] = ceil["ceiling"]
    out["ceiling_reason"] = ceil["ceiling_reason"]
    out["above_ceiling"] = above & (given >= 0)
    return out
