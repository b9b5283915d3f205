"""Decree 90/2020 ceilings: the highest level the measurable facts allow, and ratings above it.

Decree 90 governs cadres and public employees, and civil servants until their assessment moves to
Law 80/2025 and Decree 335/2025 (2026); each row is judged by the values in force in its year.
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
>>> level_ceiling(r)["ceiling_reason"].iloc[2].text("en")
'3 to under 6 months of leave: at most completed (Decree 90)'
>>> r2 = r.assign(year=2026, population="civil_servant")   # Decree 335's own rules from 2026
>>> level_ceiling(r2)["ceiling"].tolist()
['EXCELLENT', 'EXCELLENT', 'EXCELLENT']
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd

from .. import levels as L
from ..messages import Message
from ..parameters import NotInForce, as_date, load

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


def _pct(share: Fraction) -> str:
    pct = share * 100
    return f"{pct.numerator}%" if pct.denominator == 1 else f"{float(pct):g}%"


def decree_90_governs(roster: pd.DataFrame) -> np.ndarray:
    """Rows Decree 90's ceilings govern: every row, except civil servants in years their assessment
    follows Law 80/2025 and Decree 335/2025 (``law_80_2025.assessment.assessment_from``), whose
    worked-period rule replaces Decree 90's (no 3–6-month leave ceiling on 2026 civil servants)."""
    if "population" not in roster.columns or "year" not in roster.columns:
        return np.ones(len(roster), dtype=bool)
    tree = load()
    years = pd.to_numeric(roster["year"], errors="coerce").to_numpy(dtype=float)
    out = np.ones(len(roster), dtype=bool)
    cs = (roster["population"].astype(object) == "civil_servant").to_numpy()
    for y in np.unique(years[~np.isnan(years)]):
        try:
            start = as_date(tree.get("law_80_2025.assessment.assessment_from", int(y)))
        except NotInForce:
            continue
        if as_date(int(y)) >= start:
            out[cs & (years == y)] = False
    return out


def level_ceiling(roster: pd.DataFrame, date=None) -> pd.DataFrame:
    """``ceiling`` (best level allowed) and ``ceiling_reason`` (a :class:`~evalkit.messages.Message`) per row.

    Thresholds are the parameters in force in each row's year (``date`` overrides it for every row);
    missing facts impose no limit; rows Decree 90 does not govern (:func:`decree_90_governs`) have
    no ceiling.
    """
    n = len(roster)
    rank = np.zeros(n, dtype=np.int64)  # EXCELLENT
    reason = np.full(n, "", dtype=object)
    governed = decree_90_governs(roster)
    if date is not None or "year" not in roster.columns:
        day = date if date is not None else 2025
        blocks = [(np.ones(n, dtype=bool), day)]
    else:
        years = pd.to_numeric(roster["year"], errors="coerce").to_numpy(dtype=float)
        blocks = [(years == y, int(y)) for y in np.unique(years[~np.isnan(years)])]
    for rows, day in blocks:
        rows = rows & governed
        if rows.any():
            _limits(roster, rows, day, rank, reason)
    out = pd.DataFrame(index=roster.index)
    out["ceiling"] = pd.Categorical(np.array(L.ALL_LEVELS, dtype=object)[rank], dtype=L.LEVEL_DTYPE)
    out["ceiling_reason"] = reason
    return out


def _limits(roster: pd.DataFrame, rows: np.ndarray, date, rank: np.ndarray, reason: np.ndarray) -> None:
    """Tighten ``rank``/``reason`` on ``rows`` by the Decree 90 limits in force on ``date``."""
    tree = load()
    try:
        tree.value(f"{_P}.min_months_worked", date)
    except NotInForce:
        return  # before Decree 90

    def get(k):
        return tree.get(f"{_P}.{k}", date)

    def limit(mask, level, code, **params):
        tighter = rows & mask & (_RANK[level] > rank)
        rank[tighter] = _RANK[level]
        reason[tighter] = Message(code, params)

    leader = _flag(roster, "is_leader")
    staff_share = get("staff_excellent_tasks_overcompleted")
    limit(~leader & _below(_col(roster, "tasks_overcompleted_share"), staff_share), L.GOOD,
          "ceiling.staff_tasks", share=_pct(staff_share))
    targets = get("leader_excellent_targets_exceeded")
    limit(leader & _below(_col(roster, "targets_exceeded_share"), targets), L.GOOD,
          "ceiling.leader_targets", share=_pct(targets))
    on_time, completed, good = get("leader_good_on_time"), get("leader_units_completed"), get("leader_units_good")
    managed_bad = (_below(_col(roster, "managed_units_completed_share"), completed)
                   | _below(_col(roster, "managed_units_good_share"), good))
    limit(leader & (_below(_col(roster, "on_time_share"), on_time) | managed_bad), L.COMPLETED,
          "ceiling.leader_units", on_time=_pct(on_time), completed=_pct(completed), good=_pct(good))
    leave = _col(roster, "leave_months", 0.0)
    min_months, low = get("min_months_worked"), get("leave_months_cap_from")
    if get("leave_ceiling_in_force"):
        limit((leave >= low) & (leave < min_months), L.COMPLETED, "ceiling.leave", low=low, high=min_months)
    failed = _col(roster, "criteria_failed_share")
    half = get("staff_failed_criteria_not_completed")
    limit(~leader & ~np.isnan(failed) & (failed * half.denominator > half.numerator), L.NOT_COMPLETED,
          "ceiling.criteria_failed", share=_pct(half))
    discipline = tree.value(f"{_P}.discipline_means_not_completed", date)
    if discipline.value:
        limit(disciplined_in_year(roster, date), L.NOT_COMPLETED, "ceiling.disciplined",
              instrument=discipline.reference.instrument)
    months = months_worked(roster, date)
    limit((months < min_months) & ~_flag(roster, "maternity_leave"), L.NOT_RATED, "ceiling.months", months=min_months)


def disciplined_in_year(roster: pd.DataFrame, date) -> np.ndarray:
    """Who counts as disciplined in the assessment year, by the reading ``discipline_year``.

    ``decision`` (evalkit default): a discipline decided in the year — the ``disciplined`` flag, or
    ``discipline_decision_year`` equal to the row's year when that column is given; ``violation``:
    ``discipline_violation_year`` equal to the row's year (the flag when that column is absent).
    """
    reading = load().get("readings.defaults.discipline_year", date)
    column = {"decision": "discipline_decision_year", "violation": "discipline_violation_year"}[reading]
    if column in roster.columns and "year" in roster.columns:
        return (pd.to_numeric(roster[column], errors="coerce").to_numpy(dtype=float)
                == pd.to_numeric(roster["year"], errors="coerce").to_numpy(dtype=float))
    return _flag(roster, "disciplined")


def months_worked(roster: pd.DataFrame, date) -> np.ndarray:
    """Months worked by the reading ``months_basis``: calendar months (``months_worked``, evalkit
    default) or working days ÷ ``working_days_per_month`` (``days_worked``, when that reading is set
    and the column given). A missing value counts as a full year (no limit)."""
    tree = load()
    if tree.get("readings.defaults.months_basis", date) == "working_days" and "days_worked" in roster.columns:
        per = tree.get("readings.defaults.working_days_per_month", date)
        return _col(roster, "days_worked", 12.0 * per) / per
    return _col(roster, "months_worked", 12.0)


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


def map_unit_scale(values, mapping: dict | None = None, date="2026-07-01") -> pd.Series:
    """A public-service unit's own rating scale mapped onto the four levels (Law 129/2025/QH15).

    ``mapping`` takes each of the unit's labels to a level (any spelling evalkit reads); labels
    that are already one of the four pass through. Without a mapping, the parameter
    ``law_129_2025.public_employees.unit_scale_mapping`` in force on ``date`` is used (empty by
    default: evalkit maps nothing it was not told). A label neither mapped nor a level is an error
    naming it — never a guess.

    >>> map_unit_scale(["Loại A", "loại b", "HTNV"], {"Loại A": "HTXSNV", "Loại B": "tốt"}).astype(str).tolist()
    ['EXCELLENT', 'GOOD', 'COMPLETED']
    >>> map_unit_scale(["Loại C"], {"Loại A": "HTXSNV"})
    Traceback (most recent call last):
    ...
    evalkit.levels.LevelError: unknown rating level 'Loại C'; expected one of ...
    """
    if mapping is None:
        text = load().get("law_129_2025.public_employees.unit_scale_mapping", date) or ""
        mapping = dict(part.split("=", 1) for part in text.split("|") if "=" in part)
    keyed = {L.match_key(str(k)): L.parse_level(v) for k, v in mapping.items()}
    ser = pd.Series(list(values), dtype=object)
    mapped = ser.map(lambda v: keyed.get(L.match_key(str(v))) if v is not None else None)
    rest = mapped.isna() & ser.notna()
    out = mapped.astype(object)
    if rest.any():
        out[rest] = L.parse_levels(ser[rest]).astype(object).to_numpy()
    return pd.Series(pd.Categorical(out, dtype=L.LEVEL_DTYPE), index=ser.index)
