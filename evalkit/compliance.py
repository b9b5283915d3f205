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
from .rules.cap import COUNT_NAMES, KeyCoder, _base, cap_of, counts_from_codes, level_index, minimal_demotions

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


def group_requirements(counts: dict[str, np.ndarray], policy: P.Policy, keys: pd.DataFrame | None = None):
    """Base, cap and minimal demotions per group from integer counts; exceptions matched on ``keys``.

    The array core of :func:`check_cap` and :func:`enforce_cap`, also used by the simulator.
    Returns ``(base, cap, demotions, num, den, has_fixed_count, exception_label)``.
    """
    ratio = policy.require_ratio()
    E, G, C, N, R = (np.asarray(counts[k], dtype=np.int64) for k in COUNT_NAMES)
    n = len(E)
    num = np.full(n, ratio.numerator, dtype=np.int64)
    den = np.full(n, ratio.denominator, dtype=np.int64)
    if keys is not None and policy.exceptions:
        num, den, fixed, exc_label = _exception_ratios(keys, policy, num, den)
    else:
        fixed, exc_label = np.full(n, -1, dtype=np.int64), np.empty(n, dtype=object)  # all None
    base = _base(E, G, C, N, R, policy.base)
    cap = cap_of(base, num, den, policy.rounding, policy.min_one, E + G + C + N)
    d = minimal_demotions(E, G, C, N, R, num, den, policy.base, policy.rounding, policy.min_one, policy.timing)
    has_fixed = fixed >= 0
    cap = np.where(has_fixed, fixed, cap)
    d = np.where(has_fixed, np.maximum(E - fixed, 0), d)
    return base, cap, d, num, den, has_fixed, exc_label


def _constant(value: str, n: int) -> pd.Categorical:
    """A column holding one text value n times, stored as a categorical (no n string objects)."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


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
    base, cap, d, num, den, has_fixed, exc_label = group_requirements(ints, policy, keys)
    all_known = bool(known.all())

    def column(values, dtype="Int64", mask=None):
        """Plain numpy when every count is known (fast); nullable with <NA> where unknown."""
        mask = ~known if mask is None else mask
        if not mask.any() and all_known:
            return values
        arr = pd.array(values, dtype=dtype)
        arr[mask] = pd.NA
        return arr

    cols: dict[str, object] = {"scope": _constant(scope_label, n)}
    for c in keys.columns:
        v = keys[c]
        cols[c] = v.astype(object).to_numpy() if isinstance(v.dtype, pd.CategoricalDtype) else v.to_numpy()
    for k in COUNT_NAMES:
        cols[k] = column(ints[k], mask=np.isnan(raw[k]))
    rated_unknown = np.isnan(raw["n_excellent"]) | np.isnan(raw["n_good"]) | np.isnan(raw["n_completed"]) \
        | np.isnan(raw["n_not_completed"])
    cols["n_rated"] = column(E + G + C + N, mask=rated_unknown)
    cols["base"] = column(base)
    cols["cap"] = column(cap)
    cols["excess"] = column(np.maximum(E - cap, 0))
    cols["headroom"] = column(np.maximum(cap - E, 0))
    cols["compliant"] = column(E <= cap, "boolean")
    cols["minimal_demotions"] = column(d)
    changed = np.flatnonzero((num != ratio.numerator) | (den != ratio.denominator))
    if len(changed) or has_fixed.any():
        ratio_text = np.full(n, str(ratio), dtype=object)
        ratio_text[changed] = [str(Fraction(int(a), int(b))) for a, b in zip(num[changed], den[changed], strict=True)]
        ratio_text[has_fixed] = None
    else:
        ratio_text = _constant(str(ratio), n)
    cols["ratio"] = ratio_text
    cols["exception"] = exc_label
    cols["rule_id"] = _constant(policy.rule_id, n)
    cols["reference"] = _constant(str(policy.reference) if policy.reference else "", n)
    return pd.DataFrame(cols, index=pd.RangeIndex(n))


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
    if "year" in frame.columns:
        years = pd.to_numeric(pd.Series(frame["year"].unique()), errors="coerce").dropna()
        early = sorted(int(y) for y in years if int(y) < pol.in_force.year)
        if early:
            notes.append(f"{pol.name} is in force from {pol.in_force}; the data has earlier years "
                         f"{early}: those groups are checked as if it applied")
    if kind == "roster":
        mask = _in_scope(frame, pol, notes)
        codes = np.where(mask, level_index(frame["level"]), -1)
        coder = KeyCoder(frame)
        key_columns: list[str] = []
        for scope, keys in _roster_scopes(frame, pol, notes):
            gi, key_frame = coder.group_index(keys)
            covered = np.bincount(gi[mask], minlength=len(key_frame)) > 0
            counts = counts_from_codes(gi, len(key_frame), codes)
            keep = np.flatnonzero(covered)
            parts.append(_evaluate(key_frame.iloc[keep].reset_index(drop=True),
                                   {k: v[keep] for k, v in counts.items()}, pol, " × ".join(scope)))
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


def _worst_first(frame: pd.DataFrame, rows: np.ndarray, rank_by: str | None) -> tuple[np.ndarray, str]:
    """Position (0 = worst) of each of ``rows`` in a worst-first order, and a description of the order.

    Worst first: lowest ``rank_by`` value (a missing value counts as lowest); ties broken by
    ``person_id``, the larger id first — the same whatever the row order of the file.
    """
    pid = (frame["person_id"].to_numpy()[rows] if "person_id" in frame.columns else rows).astype(str)
    pid_order = np.argsort(pid, kind="stable")
    pid_rank = np.empty(len(rows), dtype=np.int64)
    pid_rank[pid_order] = np.arange(len(rows))
    if rank_by and rank_by in frame.columns and frame[rank_by].notna().any():
        score = pd.to_numeric(frame[rank_by], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[rows]
        score = np.where(np.isnan(score), -np.inf, score)
        order = np.lexsort((-pid_rank, score))
        how = f"{rank_by}, lowest first (missing {rank_by} counts as lowest; ties: larger person_id first)"
    else:
        order = np.argsort(-pid_rank, kind="stable")
        how = "person_id, larger first (no score to rank by)"
    pos = np.empty(len(rows), dtype=np.int64)
    pos[order] = np.arange(len(rows))
    return pos, how


def _within_group_position(gi: np.ndarray, key: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """0-based position of each (masked) row within its group, ordered by ``key`` ascending; −1 elsewhere."""
    idx = np.arange(len(gi)) if mask is None else np.flatnonzero(mask)
    k, g = key[idx], gi[idx]
    span = int(k.max()) - int(k.min()) + 1 if len(k) else 1
    if k.dtype.kind in "iu" and len(g) and int(g.max()) < (2**62) // span:
        order = idx[np.argsort(g * span + (k - k.min()), kind="stable")]  # one integer key: faster than lexsort
    else:
        order = idx[np.lexsort((k, g))]
    g = gi[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1] if len(g) else np.array([], dtype=np.int64)
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    pos = np.full(len(gi), -1, dtype=np.int64)
    pos[order] = np.arange(len(order)) - run_start
    return pos


def select_demotions(group_of: list[np.ndarray], need: list[np.ndarray], worst: np.ndarray, nested: bool):
    """Choose whom to demote among the eligible (excellent, covered) people. Pure array code.

    ``group_of[s]`` is each eligible person's group in scope ``s`` (finest scope first), ``need[s]``
    the minimal demotions per group, ``worst`` each person's worst-first position. Each scope's pass
    tops its groups up to their need, lowest-ranked first; demotions never undo an earlier scope.
    With nested scopes this is the least number possible; with two crossed scopes a maximum-flow
    matching comes first (:func:`_two_crossed_scopes`) and the result is again the least; with more,
    people whose groups in other scopes still need demotions are preferred (always compliant, the
    lower bound reported). Returns (demoted mask, scope index that demoted).
    """
    m = len(worst)
    demoted = np.zeros(m, dtype=bool)
    by_scope = np.full(m, -1, dtype=np.int64)
    if not nested and len(group_of) == 2:
        demoted, by_scope = _two_crossed_scopes(group_of, need, worst)
    for s, (gs, ns) in enumerate(zip(group_of, need, strict=True)):
        extra = np.maximum(ns - np.bincount(gs[demoted], minlength=len(ns)), 0)
        if not extra.any():
            continue
        key = worst
        if not nested:
            pref = np.zeros(m, dtype=np.int64)
            for t, (gt, nt) in enumerate(zip(group_of, need, strict=True)):
                if t != s:
                    pref += (nt - np.bincount(gt[demoted], minlength=len(nt)) > 0)[gt]
            key = worst - pref * (m + 1)
        cand = ~demoted & (extra[gs] > 0)
        pos = _within_group_position(gs, key, cand)
        pick = cand & (pos < extra[gs])
        demoted |= pick
        by_scope[pick] = s
    return demoted, by_scope


def _two_crossed_scopes(group_of: list[np.ndarray], need: list[np.ndarray], worst: np.ndarray):
    """The fewest demotions meeting two crossed scopes' needs, by maximum flow.

    Each eligible person is an edge between their group in scope A and in scope B; a set of demotions
    meeting every need is an edge cover with demands. Its least size is Σ needs − the largest
    demand-bounded matching (Gallai's identity for b-matchings), found as a maximum flow
    source → A (need) → B (people) → sink (need). The matching's people are taken lowest-ranked
    first on each (A, B) pair; the caller's passes then top up any group still short, and every such
    person covers a shortfall that no matching could — so the total is the least possible.
    """
    from scipy.sparse import csr_matrix, issparse
    from scipy.sparse.csgraph import maximum_flow

    ga, gb = group_of
    na, nb = len(need[0]), len(need[1])
    m = len(worst)
    if m == 0 or not need[0].any() and not need[1].any():
        return np.zeros(m, dtype=bool), np.full(m, -1, dtype=np.int64)
    pair, pairs = pd.factorize(ga * nb + gb)
    pa, pb = pairs // nb, pairs % nb
    cap_pair = np.bincount(pair, minlength=len(pairs))
    src, sink = 0, 1 + na + nb
    rows = np.r_[np.zeros(na, dtype=np.int64), 1 + pa, 1 + na + np.arange(nb)]
    cols = np.r_[1 + np.arange(na), 1 + na + pb, np.full(nb, sink)]
    caps = np.r_[need[0], cap_pair, need[1]].astype(np.int32)
    graph = csr_matrix((caps, (rows, cols)), shape=(sink + 1, sink + 1))
    flow = maximum_flow(graph, src, sink).flow.tocsr()
    sel = flow[1 + pa, 1 + na + pb]
    on_pair = np.asarray(sel.todense() if issparse(sel) else sel).ravel().astype(np.int64)
    pos = _within_group_position(pair.astype(np.int64), worst)
    demoted = pos < on_pair[pair]
    by_scope = np.where(demoted, 0, -1).astype(np.int64)
    return demoted, by_scope


def enforce_arrays(level_codes: np.ndarray, scope_groups: list[tuple[np.ndarray, int]], covered: np.ndarray,
                   worst_key: np.ndarray, policy: P.Policy, nested: bool = True) -> np.ndarray:
    """Array core of enforcement: which rows to demote. Used by :func:`enforce_cap` and the simulator.

    ``level_codes``: positions in :data:`~evalkit.levels.ALL_LEVELS`; ``scope_groups``: per scope (finest
    first) the group number of every row and the number of groups; ``covered``: rows the policy
    applies to; ``worst_key``: any key whose ascending order is worst first; ``nested``: whether
    each scope's groups lie inside the next one's (then the result is minimal).
    """
    codes = np.where(covered, level_codes, -1)
    eligible = np.flatnonzero(codes == L.ALL_LEVELS.index(L.EXCELLENT))
    group_of, need = [], []
    for gi, n_groups in scope_groups:
        counts = counts_from_codes(gi, n_groups, codes)
        need.append(group_requirements(counts, policy)[2])
        group_of.append(gi[eligible])
    demoted_e, _ = select_demotions(group_of, need, worst_key[eligible], nested)
    demoted = np.zeros(len(level_codes), dtype=bool)
    demoted[eligible[demoted_e]] = True
    return demoted


def enforce_cap(roster, policy: str | P.Policy = "decree-335-2025", *, rank_by: str | None = "score",
                sheet=None, **readings) -> pd.DataFrame:
    """Demote the minimal number of EXCELLENT to GOOD so that every scope of the policy holds.

    Returns a copy of the roster with ``level_final``, ``demoted`` and ``reason`` (empty where not
    demoted). Only EXCELLENT changes, only to GOOD, lowest-ranked first; with nested scopes (unit and
    task group in it) or two crossed scopes the number of demotions is the least possible. ``.attrs['enforcement']`` holds
    the totals and whether the lower bound was reached.
    """
    pol = P.get(policy, **readings)
    pol.require_ratio()
    frame, kind, _ = _as_data(roster, sheet)
    if kind != "roster":
        raise P.PolicyError("enforce_cap needs a roster (one row per person), not a counts table")
    notes: list[str] = []
    level = L.as_levels(frame["level"])
    codes = level.cat.codes.to_numpy()
    in_scope = _in_scope(frame, pol, notes)
    eligible = np.flatnonzero(in_scope & (codes == L.ALL_LEVELS.index(L.EXCELLENT)))
    worst, how = _worst_first(frame, eligible, rank_by)
    scopes = sorted(_roster_scopes(frame, pol, notes), key=lambda s: -len(s[0]))
    coder = KeyCoder(frame)
    covered_codes = np.where(in_scope, codes, -1)
    info = []
    for scope, keys in scopes:
        gi, key_frame = coder.group_index(keys)
        counts = counts_from_codes(gi, len(key_frame), covered_codes)
        groups = _evaluate(key_frame, counts, pol, " × ".join(scope))
        info.append((scope, keys, gi[eligible], groups))
    nested = all(set(info[j][0]) <= set(info[i][0]) for i in range(len(info)) for j in range(i + 1, len(info)))
    need = [i[3]["minimal_demotions"].to_numpy(dtype=np.int64) for i in info]
    demoted_e, by_scope = select_demotions([i[2] for i in info], need, worst, nested)
    out = frame.copy()
    demoted = np.zeros(len(frame), dtype=bool)
    demoted[eligible[demoted_e]] = True
    out["level_final"] = level.where(~demoted, L.GOOD)
    out["demoted"] = demoted
    reason = np.full(len(frame), "", dtype=object)
    for s, (_, keys, ge, groups) in enumerate(info):
        rows = np.flatnonzero(by_scope == s)
        if len(rows):
            reason[eligible[rows]] = _reasons(groups, keys, ge, rows, worst, pol, how)
    out["reason"] = reason
    exact = nested or len(info) == 2  # nested: by construction; two crossed scopes: by maximum flow
    lower_bound = int(demoted.sum()) if exact and not nested else _lower_bound([i[2] for i in info], need, nested)
    out.attrs["enforcement"] = {
        "policy": pol.name, "demotions": int(demoted.sum()), "lower_bound": lower_bound,
        "optimal": bool(exact or demoted.sum() == lower_bound), "nested_scopes": nested,
        "rank_by": how, "notes": notes,
    }
    return out


def _lower_bound(group_of: list[np.ndarray], need: list[np.ndarray], nested: bool) -> int:
    """A lower bound on the demotions any enforcement needs; exact for nested scopes.

    Nested (finest first): a coarser group needs at least its own minimum and at least what its
    finer groups need together. Otherwise: the largest per-scope total.
    """
    if not need:
        return 0
    if not nested:
        return max(int(n.sum()) for n in need)
    bound = need[0].astype(np.int64)
    for s in range(1, len(need)):
        parent = np.zeros(len(bound), dtype=np.int64)
        parent[group_of[s - 1]] = group_of[s]  # groups with any need have eligible people
        bound = np.maximum(need[s], np.bincount(parent, weights=bound, minlength=len(need[s])).astype(np.int64))
    return int(bound.sum())


def _reasons(groups: pd.DataFrame, keys: list[str], ge: np.ndarray, rows: np.ndarray, worst: np.ndarray,
             pol: P.Policy, how: str) -> np.ndarray:
    """Plain-language reason per demoted person: rule, group, counts, cap, rank."""
    pos_from_worst = _within_group_position(ge, worst)
    n_exc = groups["n_excellent"].to_numpy(dtype=np.int64)
    rank = n_exc[ge[rows]] - pos_from_worst[rows]
    used = np.unique(ge[rows])
    g = groups.iloc[used]
    labels = [f"{keys[0]}={v}" for v in g[keys[0]].astype(str).tolist()]
    for k in keys[1:]:
        labels = [f"{lab}, {k}={v}" for lab, v in zip(labels, g[k].astype(str).tolist(), strict=True)]
    head = f"{pol.rule_id} ({pol.reference}): "
    texts = [f"{head}{lab}: {e} excellent, {gd} good; cap = {pol.base} × {r} ({pol.rounding}) = {c}; "
             f"{d} must become GOOD; ranked "
             for lab, e, gd, r, c, d in zip(labels, g["n_excellent"].tolist(), g["n_good"].tolist(),
                                             g["ratio"].tolist(), g["cap"].tolist(), g["minimal_demotions"].tolist(),
                                             strict=True)]
    lookup = np.full(len(groups), None, dtype=object)
    lookup[used] = texts
    tail = f" by {how}"
    return np.array([f"{t}{r} of {n}{tail}" for t, r, n in
                     zip(lookup[ge[rows]].tolist(), rank.tolist(), n_exc[ge[rows]].tolist(), strict=True)],
                    dtype=object)
