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

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from .. import levels as L
from .. import policies as P
from ..io import COUNT_LEVELS, group_columns, read_any
from ..messages import Message, column_label
from ..rules.cap import COUNT_NAMES, KeyCoder, counts_from_codes, group_requirements, level_index
from ..rules.enforcement import lower_bound, select_demotions, within_group_position, worst_first
from .results import Result

GROUP_OUTPUT = ["n_excellent", "n_good", "n_completed", "n_not_completed", "n_not_rated", "n_rated", "base",
                "cap", "excess", "headroom", "compliant", "minimal_demotions", "ratio", "exception", "rule_id",
                "reference"]


@dataclass
class CapReport(Result):
    """The outcome of :func:`check_cap`: one row per (scope, group) in ``groups``."""

    policy: P.Policy
    groups: pd.DataFrame
    kind: str
    key_columns: list[str]
    notes: list[Message] = field(default_factory=list)
    problems: pd.DataFrame | None = None
    lang: str = "en"

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

    def verdict(self, lang: str | None = None) -> str:
        code = {True: "verdict.compliant", False: "verdict.not_compliant", None: "verdict.undecided"}[self.compliant]
        return Message(code).text(lang or self.lang)

    def tables(self, lang: str | None = None) -> dict[str, pd.DataFrame]:
        """Summary per scope and the groups (violations first), headers in ``lang``."""
        lang = lang or self.lang
        groups = self.groups.sort_values("compliant", key=lambda c: c.fillna(True).astype(bool), kind="stable")
        return {"summary": self.summary, "groups": groups}

    def __repr__(self) -> str:
        return f"<CapReport {self.policy.name}: {self.verdict('en')}; {len(self.groups)} groups, {len(self.violations)} over>"


def _in_scope(frame: pd.DataFrame, policy: P.Policy, notes: list[Message]) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for col, allowed in policy.applies_to:
        if col in frame.columns:
            values = frame[col]
            if col == "is_leader":
                values = values.astype("boolean").fillna(False)
            mask &= values.isin(list(allowed)).to_numpy()
        else:
            notes.append(Message("note.column_missing_all_covered",
                                 {"column": col, "policy": policy.name, "allowed": ", ".join(map(str, allowed))}))
    return mask


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


def _roster_scopes(frame: pd.DataFrame, policy: P.Policy, notes: list[Message]):
    strata = ["year"] if "year" in frame.columns else []
    usable = []
    for scope in policy.scopes:
        missing = [c for c in scope if c not in frame.columns]
        if missing:
            notes.append(Message("note.scope_not_checked", {"scope": " × ".join(scope), "missing": ", ".join(missing)}))
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
    frame, kind, problems = read_any(data, sheet)
    notes: list[Message] = []
    parts = []
    if "year" in frame.columns:
        years = pd.to_numeric(pd.Series(frame["year"].unique()), errors="coerce").dropna()
        early = sorted(int(y) for y in years if int(y) < pol.in_force.year)
        if early:
            notes.append(Message("note.years_before_policy", {"policy": pol.name, "in_force": str(pol.in_force),
                                                              "years": ", ".join(map(str, early))}))
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
            notes.append(Message("note.none_covered", {"policy": pol.name}))
    else:
        parts, key_columns = _check_counts(frame, pol, notes)
    groups = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scope"] + GROUP_OUTPUT)
    groups = groups[["scope"] + key_columns + GROUP_OUTPUT]
    return CapReport(pol, groups, kind, key_columns, notes, problems)


def _check_counts(frame: pd.DataFrame, pol: P.Policy, notes: list[Message]):
    if pol.applies_to:
        notes.append(Message("note.counts_not_filtered",
                             {"filters": "; ".join(f"{c} ∈ {{{', '.join(map(str, v))}}}" for c, v in pol.applies_to)}))
    gcols = group_columns(frame)
    strata = [c for c in gcols if c not in P.SCOPE_COLUMNS]
    count_cols = [c for c in COUNT_LEVELS if c in frame.columns]
    parts, key_columns = [], []
    for scope in pol.scopes:
        missing = [c for c in scope if c not in frame.columns]
        if missing:
            notes.append(Message("note.scope_not_checked", {"scope": " × ".join(scope), "missing": ", ".join(missing)}))
            continue
        keys = strata + list(scope)
        agg = _sum_counts(frame, keys, count_cols)
        parts.append(_evaluate(agg[keys].reset_index(drop=True),
                               {c: agg[c].to_numpy(dtype=float, na_value=np.nan) for c in count_cols},
                               pol, " × ".join(scope)))
        key_columns += [k for k in keys if k not in key_columns]
    if not parts:
        notes.append(Message("note.row_as_group"))
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
    frame, kind, _ = read_any(roster, sheet)
    if kind != "roster":
        raise P.PolicyError("enforce_cap needs a roster (one row per person), not a counts table")
    notes: list[Message] = []
    level = L.as_levels(frame["level"])
    codes = level.cat.codes.to_numpy()
    in_scope = _in_scope(frame, pol, notes)
    eligible = np.flatnonzero(in_scope & (codes == L.ALL_LEVELS.index(L.EXCELLENT)))
    worst, how = worst_first(frame, eligible, rank_by)
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
    bound = int(demoted.sum()) if exact and not nested else lower_bound([i[2] for i in info], need, nested)
    out.attrs["enforcement"] = {
        "policy": pol.name, "demotions": int(demoted.sum()), "lower_bound": bound,
        "optimal": bool(exact or demoted.sum() == bound), "nested_scopes": nested,
        "rank_by": how, "notes": notes,
    }
    return out


def _reasons(groups: pd.DataFrame, keys: list[str], ge: np.ndarray, rows: np.ndarray, worst: np.ndarray,
             pol: P.Policy, how: str) -> np.ndarray:
    """Plain-language reason per demoted person: rule, group, counts, cap, rank."""
    pos_from_worst = within_group_position(ge, worst)
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
