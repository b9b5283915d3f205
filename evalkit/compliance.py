"""Run a cap policy over a roster or a counts table: the check, the report and the enforcement.

>>> import pandas as pd
>>> roster = pd.DataFrame({"person_id": list("abcdefg"), "year": 2026, "unit_id": "U1",
...     "task_group": "T", "population": "civil_servant",
...     "level": ["EXCELLENT", "EXCELLENT", "GOOD", "GOOD", "GOOD", "GOOD", "GOOD"],
...     "score": [95, 91, 80, 80, 80, 80, 80]})
>>> report = check_cap(roster)
>>> report.groups[["scope", "n_excellent", "n_good", "cap", "excess", "minimal_demotions"]].to_dict("records")[0]
{'scope': 'unit_id', 'n_excellent': 2, 'n_good': 5, 'cap': 1, 'excess': 1, 'minimal_demotions': 1}
>>> final = enforce_cap(roster)
>>> final.loc[final.demoted, ["person_id", "level_final"]].to_dict("records")
[{'person_id': 'b', 'level_final': 'GOOD'}]
"""

from __future__ import annotations

import html
import os
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

from . import levels as L
from . import policies as P
from .io import COUNT_LEVELS, group_columns, read_counts, read_roster
from .rules.cap import COUNT_NAMES, _base, cap_of, counts_from_codes, group_index, level_index, minimal_demotions

GROUP_OUTPUT = ["n_excellent", "n_good", "n_completed", "n_not_completed", "n_not_rated", "n_rated", "base",
                "cap", "excess", "headroom", "compliant", "minimal_demotions", "ratio", "exception", "rule_id",
                "reference"]


@dataclass
class CapReport:
    """The outcome of :func:`check_cap`: one row per (scope, group) in ``groups``."""

    policy: P.Policy
    groups: pd.DataFrame
    kind: str
    key_columns: list[str]
    notes: list[str] = field(default_factory=list)
    problems: pd.DataFrame | None = None

    @property
    def compliant(self) -> bool | None:
        """True if every group holds, False if any does not, None if some cannot be decided."""
        c = self.groups["compliant"]
        if (c == False).any():  # noqa: E712 - nullable boolean
            return False
        if c.isna().any():
            return None
        return True

    @property
    def violations(self) -> pd.DataFrame:
        return self.groups[self.groups["compliant"] == False]  # noqa: E712

    @property
    def summary(self) -> pd.DataFrame:
        """Per scope: groups, groups over the cap, undecided, excellent, total excess and demotions."""
        g = self.groups
        return (g.assign(over=g["compliant"] == False, undecided=g["compliant"].isna())  # noqa: E712
                .groupby("scope", sort=False)
                .agg(groups=("scope", "size"), over_cap=("over", "sum"), undecided=("undecided", "sum"),
                     n_excellent=("n_excellent", "sum"), excess=("excess", "sum"),
                     minimal_demotions=("minimal_demotions", "sum"))
                .reset_index())

    def verdict(self, lang: str = "en") -> str:
        c = self.compliant
        if lang == "vi":
            return {True: "ĐẠT: không nhóm nào vượt giới hạn", False: "KHÔNG ĐẠT: có nhóm vượt giới hạn",
                    None: "CHƯA KẾT LUẬN ĐƯỢC: thiếu số liệu"}[c]
        return {True: "COMPLIANT: no group is over the cap", False: "NOT COMPLIANT: some groups are over the cap",
                None: "UNDECIDED: some counts are unknown"}[c]

    def _repr_html_(self) -> str:
        head = (f"<p><b>{html.escape(self.policy.title_en)}</b><br>{html.escape(self.verdict())}</p>"
                + "".join(f"<p><i>{html.escape(n)}</i></p>" for n in self.notes))
        shown = self.violations if len(self.violations) else self.groups
        table = shown.head(50).to_html(index=False, na_rep="—", escape=True)
        more = f"<p>… {len(shown) - 50} more rows in <code>.groups</code></p>" if len(shown) > 50 else ""
        return head + self.summary.to_html(index=False) + "<h4>" + (
            "Groups over the cap" if len(self.violations) else "Groups") + "</h4>" + table + more

    def __repr__(self) -> str:
        return f"<CapReport {self.policy.name}: {self.verdict()}; {len(self.groups)} groups, {len(self.violations)} over>"


# --------------------------------------------------------------------------------------------


def _as_data(data, sheet=None):
    """A roster or counts DataFrame in canonical columns, its kind and any warnings."""
    from .io import detect_kind

    if isinstance(data, (str, os.PathLike, Path)):
        kind = detect_kind(data, sheet)
        reader = read_counts if kind == "counts" else read_roster
        frame, problems = reader(data, sheet, with_problems=True)
        return frame, kind, problems
    if not isinstance(data, pd.DataFrame):
        raise TypeError("data must be a DataFrame or a path to a CSV/XLSX file")
    if "n_excellent" in data.columns:
        return data, "counts", None
    if {"level", "unit_id"} <= set(data.columns):
        return data, "roster", None
    kind = detect_kind(data)
    reader = read_counts if kind == "counts" else read_roster
    frame, problems = reader(data, with_problems=True)
    return frame, kind, problems


def _in_scope(frame: pd.DataFrame, policy: P.Policy, notes: list[str]) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for col, allowed in policy.applies_to:
        if col in frame.columns:
            values = frame[col]
            if col == "is_leader":
                values = values.astype("boolean").fillna(False)
            mask &= values.isin(list(allowed)).to_numpy()
        else:
            notes.append(f"no {col!r} column: every row taken as covered by {policy.name} "
                         f"(which applies to {col} in {[*allowed]})")
    return mask


def _exception_ratios(keys: pd.DataFrame, policy: P.Policy, num: np.ndarray, den: np.ndarray):
    """Apply granted exceptions: a granted ratio changes num/den; a granted count fixes the cap."""
    fixed = np.full(len(keys), -1, dtype=np.int64)
    label = np.full(len(keys), None, dtype=object)
    for exc in policy.exceptions:
        cols = dict(exc.group)
        if not set(cols) <= set(keys.columns):
            continue
        match = np.ones(len(keys), dtype=bool)
        for c, v in cols.items():
            match &= keys[c].astype(str).to_numpy() == v
        if exc.year is not None and "year" in keys.columns:
            match &= keys["year"].astype("Int64").to_numpy(dtype=float, na_value=np.nan) == exc.year
        if exc.ratio is not None:
            num = np.where(match, exc.ratio.numerator, num)
            den = np.where(match, exc.ratio.denominator, den)
        else:
            fixed = np.where(match, exc.count, fixed)
        label[match] = exc.describe()
    return num, den, fixed, label


def _evaluate(keys: pd.DataFrame, counts: dict[str, np.ndarray], policy: P.Policy, scope_label: str) -> pd.DataFrame:
    """The cap columns for groups with the given counts (arrays may be float with NaN = unknown)."""
    ratio = policy.require_ratio()
    n = len(keys)
    raw = {k: np.asarray(counts.get(k, np.full(n, np.nan)), dtype=float) for k in COUNT_NAMES}
    need = {"good": ["n_good"], "good_or_better": ["n_excellent", "n_good"],
            "rated": ["n_excellent", "n_good", "n_completed", "n_not_completed"],
            "headcount": ["n_excellent", "n_good", "n_completed", "n_not_completed", "n_not_rated"]}[policy.base]
    needed = set(need) | {"n_excellent"} | ({"n_good", "n_completed", "n_not_completed"} if policy.min_one else set())
    known = np.ones(n, dtype=bool)
    for k in needed:
        known &= ~np.isnan(raw[k])
    ints = {k: np.where(np.isnan(v), 0, v).astype(np.int64) for k, v in raw.items()}
    E, G, C, N, R = (ints[k] for k in COUNT_NAMES)
    num = np.full(n, ratio.numerator, dtype=np.int64)
    den = np.full(n, ratio.denominator, dtype=np.int64)
    num, den, fixed, exc_label = _exception_ratios(keys, policy, num, den)
    base = _base(E, G, C, N, R, policy.base)
    cap = cap_of(base, num, den, policy.rounding, policy.min_one, E + G + C + N)
    d = minimal_demotions(E, G, C, N, R, num, den, policy.base, policy.rounding, policy.min_one, policy.timing)
    has_fixed = fixed >= 0
    cap = np.where(has_fixed, fixed, cap)
    d = np.where(has_fixed, np.maximum(E - fixed, 0), d)
    out = keys.copy()
    out.insert(0, "scope", scope_label)
    for k in COUNT_NAMES:
        out[k] = pd.array(np.where(np.isnan(raw[k]), 0, raw[k]).astype(np.int64), dtype="Int64")
        out.loc[np.isnan(raw[k]), k] = pd.NA
    out["n_rated"] = out["n_excellent"] + out["n_good"] + out["n_completed"] + out["n_not_completed"]

    def masked(values, dtype="Int64"):
        arr = pd.array(values, dtype=dtype)
        arr[~known] = pd.NA
        return arr

    out["base"] = masked(base)
    out["cap"] = masked(cap)
    out["excess"] = masked(np.maximum(E - cap, 0))
    out["headroom"] = masked(np.maximum(cap - E, 0))
    out["compliant"] = masked(E <= cap, "boolean")
    out["minimal_demotions"] = masked(d)
    ratio_text = np.full(n, str(ratio), dtype=object)
    changed = np.flatnonzero((num != ratio.numerator) | (den != ratio.denominator))
    ratio_text[changed] = [str(Fraction(int(a), int(b))) for a, b in zip(num[changed], den[changed], strict=True)]
    ratio_text[has_fixed] = None
    out["ratio"] = ratio_text
    out["exception"] = exc_label
    out["rule_id"] = policy.rule_id
    out["reference"] = str(policy.reference) if policy.reference else ""
    return out


def _roster_scopes(frame: pd.DataFrame, policy: P.Policy, notes: list[str]):
    strata = ["year"] if "year" in frame.columns else []
    usable = []
    for scope in policy.scopes:
        missing = [c for c in scope if c not in frame.columns]
        if missing:
            notes.append(f"scope {' × '.join(scope)} not checked: no {', '.join(missing)} column")
            continue
        usable.append((scope, strata + list(scope)))
    if not usable:
        raise P.PolicyError(f"{policy.name} needs column(s) "
                            + " or ".join(", ".join(s) for s in policy.scopes) + "; none present")
    return usable


def check_cap(data, policy: str | P.Policy = "decree-335-2025", *, sheet=None, **readings) -> CapReport:
    """Check the excellent-rating cap on a roster or a counts table.

    Parameters
    ----------
    data : DataFrame (roster or counts, canonical or raw headers) or a path to CSV/XLSX
    policy : a policy name from :func:`evalkit.policies.names` or a :class:`~evalkit.policies.Policy`
    **readings : changes to the policy's readings (``base="good_or_better"``, ``rounding="half_up"``,
        ``party_excellent_share="18/100"`` …), validated before use

    Returns
    -------
    CapReport with ``.groups`` (one row per scope and group), ``.compliant``, ``.summary``.
    """
    pol = P.get(policy, **readings)
    pol.require_ratio()
    frame, kind, problems = _as_data(data, sheet)
    notes: list[str] = []
    parts = []
    if kind == "roster":
        mask = _in_scope(frame, pol, notes)
        sub = frame[mask]
        codes = level_index(sub["level"])
        key_columns: list[str] = []
        for scope, keys in _roster_scopes(sub, pol, notes):
            gi, key_frame = group_index(sub, keys)
            counts = counts_from_codes(gi, len(key_frame), codes)
            parts.append(_evaluate(key_frame, counts, pol, " × ".join(scope)))
            key_columns += [k for k in keys if k not in key_columns]
        if not mask.any():
            notes.append(f"no row is covered by {pol.name}")
    else:
        parts, key_columns = _check_counts(frame, pol, notes)
    groups = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scope"] + GROUP_OUTPUT)
    groups = groups[["scope"] + key_columns + GROUP_OUTPUT]
    return CapReport(pol, groups, kind, key_columns, notes, problems)


def _check_counts(frame: pd.DataFrame, pol: P.Policy, notes: list[str]):
    if pol.applies_to:
        notes.append("a counts table is taken as the policy's population: "
                     + "; ".join(f"{c} in {[*v]}" for c, v in pol.applies_to) + " is not filtered")
    gcols = group_columns(frame)
    strata = [c for c in gcols if c not in P.SCOPE_COLUMNS]
    count_cols = [c for c in COUNT_LEVELS if c in frame.columns]
    parts, key_columns = [], []
    for scope in pol.scopes:
        missing = [c for c in scope if c not in frame.columns]
        if missing:
            notes.append(f"scope {' × '.join(scope)} not checked: no {', '.join(missing)} column")
            continue
        keys = strata + list(scope)
        agg = _sum_counts(frame, keys, count_cols)
        parts.append(_evaluate(agg[keys].reset_index(drop=True),
                               {c: agg[c].to_numpy(dtype=float, na_value=np.nan) for c in count_cols},
                               pol, " × ".join(scope)))
        key_columns += [k for k in keys if k not in key_columns]
    if not parts:
        notes.append("no scope column of the policy in the table: each row is checked as one group")
        keys = gcols
        parts.append(_evaluate(frame[keys].reset_index(drop=True),
                               {c: frame[c].to_numpy(dtype=float, na_value=np.nan) for c in count_cols},
                               pol, "row"))
        key_columns = keys
    return parts, key_columns


def _sum_counts(frame: pd.DataFrame, keys: list[str], count_cols: list[str]) -> pd.DataFrame:
    """Sum counts by keys; a group with any unknown count stays unknown."""
    g = frame.groupby(keys, sort=False, dropna=False)
    total = g[count_cols].sum(min_count=1)
    unknown = frame[count_cols].isna().groupby([frame[k] for k in keys], sort=False, dropna=False).any()
    total = total.astype("Int64").mask(unknown)
    return total.reset_index()


# --------------------------------------------------------------------------------------------
# Enforcement
# --------------------------------------------------------------------------------------------


def _worst_first_order(frame: pd.DataFrame, rank_by: str | None) -> tuple[np.ndarray, str]:
    """Position of each row in a global worst-first order and a description of the order.

    Worst first: lowest ``rank_by`` value (missing values count as lowest), ties broken by
    ``person_id`` in reverse order — so among equal scores the larger id is demoted first.
    """
    pid = frame["person_id"].astype(str).to_numpy() if "person_id" in frame.columns else np.arange(len(frame)).astype(str)
    pid_rank = pd.Series(pid).rank(method="dense").to_numpy()  # ascending id
    if rank_by and rank_by in frame.columns and frame[rank_by].notna().any():
        score = pd.to_numeric(frame[rank_by], errors="coerce").to_numpy(dtype=float)
        score = np.where(np.isnan(score), -np.inf, score)
        order = np.lexsort((-pid_rank, score))
        how = f"{rank_by} (lowest first; missing {rank_by} counts as lowest; ties: larger person_id first)"
    else:
        order = np.lexsort((-pid_rank,))
        how = "person_id (no score to rank by; larger person_id first)"
    pos = np.empty(len(frame), dtype=np.int64)
    pos[order] = np.arange(len(frame))
    return pos, how


def _within_group_position(gi: np.ndarray, key: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """0-based position of each masked row within its group, ordered by ``key`` ascending."""
    idx = np.flatnonzero(mask)
    order = idx[np.lexsort((key[idx], gi[idx]))]
    g = gi[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1]
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    pos = np.full(len(gi), -1, dtype=np.int64)
    pos[order] = np.arange(len(order)) - run_start
    return pos


def enforce_cap(roster, policy: str | P.Policy = "decree-335-2025", *, rank_by: str | None = "score",
                sheet=None, **readings) -> pd.DataFrame:
    """Demote the minimal number of EXCELLENT to GOOD so that every scope of the policy holds.

    Returns a copy of the roster with ``level_final``, ``demoted`` and ``reason`` (empty where not
    demoted). Only EXCELLENT changes, only to GOOD, lowest-ranked first; with nested scopes (unit and
    task group in it) the number of demotions is the least possible. ``.attrs['enforcement']`` holds
    the totals and whether the lower bound was reached.
    """
    pol = P.get(policy, **readings)
    pol.require_ratio()
    frame, kind, _ = _as_data(roster, sheet)
    if kind != "roster":
        raise P.PolicyError("enforce_cap needs a roster (one row per person), not a counts table")
    notes: list[str] = []
    frame = frame.copy()
    level = L.as_levels(frame["level"])
    in_scope = _in_scope(frame, pol, notes)
    codes = level.cat.codes.to_numpy()
    eligible = in_scope & (level == L.EXCELLENT).to_numpy()
    worst_pos, how = _worst_first_order(frame, rank_by)
    scopes = sorted(_roster_scopes(frame, pol, notes), key=lambda s: -len(s[0]))
    sub_codes = np.where(in_scope, codes, -1)
    info = []
    for scope, keys in scopes:
        gi, key_frame = group_index(frame, keys)
        counts = counts_from_codes(gi, len(key_frame), sub_codes)
        groups = _evaluate(key_frame, counts, pol, " × ".join(scope))
        info.append((scope, gi, groups, groups["minimal_demotions"].to_numpy(dtype=np.int64)))
    demoted = np.zeros(len(frame), dtype=bool)
    by_scope = np.full(len(frame), -1, dtype=np.int64)
    for s, (scope, gi, groups, need) in enumerate(info):
        already = np.bincount(gi[demoted], minlength=len(need))
        extra = np.maximum(need - already, 0)
        if not extra.any():
            continue
        candidates = eligible & ~demoted
        # prefer people whose groups in other scopes still need demotions (no effect when nested)
        pref = np.zeros(len(frame), dtype=np.int64)
        for t, (_, gj, _, need_t) in enumerate(info):
            if t != s:
                unmet = need_t - np.bincount(gj[demoted], minlength=len(need_t)) > 0
                pref += unmet[gj]
        key = -pref * (len(frame) + 1) + worst_pos
        pos = _within_group_position(gi, key, candidates)
        pick = candidates & (pos >= 0) & (pos < extra[gi])
        demoted |= pick
        by_scope[pick] = s
    lower_bound = max((int(i[3].sum()) for i in info), default=0)
    nested = all(set(info[j][0]) <= set(info[i][0]) for i in range(len(info)) for j in range(i + 1, len(info)))
    frame["level_final"] = level.where(~demoted, L.GOOD)
    frame["demoted"] = demoted
    frame["reason"] = _reasons(frame, info, demoted, by_scope, eligible, worst_pos, pol, how)
    frame.attrs["enforcement"] = {
        "policy": pol.name, "demotions": int(demoted.sum()), "lower_bound": lower_bound,
        "optimal": bool(demoted.sum() == lower_bound) or nested, "nested_scopes": nested,
        "rank_by": how, "notes": notes,
    }
    return frame


def _reasons(frame, info, demoted, by_scope, eligible, worst_pos, pol: P.Policy, how: str) -> pd.Series:
    reason = np.full(len(frame), "", dtype=object)
    for s, (scope, gi, groups, need) in enumerate(info):
        rows = np.flatnonzero(by_scope == s)
        if not len(rows):
            continue
        # rank among the group's excellent, 1 = best
        pos_worst = _within_group_position(gi, worst_pos, eligible)
        n_exc = groups["n_excellent"].to_numpy(dtype=np.int64)
        rank = n_exc[gi[rows]] - pos_worst[rows]
        key_cols = [c for c in groups.columns if c in frame.columns and c not in ("level",)]
        key_cols = [c for c in key_cols if c in set(scope) | {"year"}]
        labels = groups[key_cols].astype(str).agg(", ".join, axis=1) if key_cols else pd.Series([""] * len(groups))
        text = (f"{pol.rule_id} ({pol.reference}): " + labels + " has "
                + groups["n_excellent"].astype(str) + " excellent and " + groups["n_good"].astype(str)
                + f" good; cap {pol.base} × " + groups["ratio"].astype(str) + f" ({pol.rounding}) = "
                + groups["cap"].astype(str) + "; " + groups["minimal_demotions"].astype(str)
                + " must become GOOD; ranked ").to_numpy(dtype=object)
        reason[rows] = (pd.Series(text[gi[rows]]) + pd.Series(rank).astype(str) + " of "
                        + pd.Series(n_exc[gi[rows]]).astype(str) + f" by {how}").to_numpy(dtype=object)
    return pd.Series(reason, index=frame.index, dtype=object)
