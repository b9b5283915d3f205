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

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np
import pandas as pd

from .. import levels as L
from .. import policies as P
from ..io import COUNT_LEVELS, group_columns, read_any
from ..messages import Message, cite, column_label, percent, render, renderer
from ..rules.cap import COUNT_NAMES, KeyCoder, counts_from_slots, group_requirements, level_index, level_slots
from ..rules.enforcement import lower_bound, rank_basis, select_demotions, split_ties, within_group_position, worst_first
from ..rules.ordering import nested_demotions
from .lazytext import LazyText
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
    #: rows no regime could check (a regime needs an input not given, or none governs them)
    unchecked_rows: int = 0

    @property
    def compliant(self) -> bool | None:
        """True if every group holds, False if any does not, None if some cannot be decided —
        unknown counts, rows no regime could check, or nothing checked at all."""
        c = self.groups["compliant"]
        if (c == False).any():  # noqa: E712 - nullable boolean
            return False
        if c.isna().any() or self.unchecked_rows or not len(c):
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
        if self.compliant is None and (self.unchecked_rows or not len(self.groups)):
            code = "verdict.unchecked"
        elif self.compliant is False and self.unchecked_rows:
            code = "verdict.not_compliant_partly_unchecked"
        return Message(code, {"rows": self.unchecked_rows}).text(lang or self.lang)

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
            if isinstance(values.dtype, pd.CategoricalDtype):  # decide per category, then look up each row's code
                ok = np.r_[np.asarray(values.cat.categories.isin(list(allowed)), dtype=bool), False]
                mask &= ok[values.cat.codes.to_numpy()]  # code −1 (missing) reads the final False
            else:
                mask &= values.isin(list(allowed)).to_numpy()
        else:
            notes.append(Message("note.column_missing_all_covered",
                                 {"column": col, "policy": policy.name, "allowed": ", ".join(map(str, allowed))}))
    outside = int((~mask).sum())
    if outside:
        notes.append(Message("note.outside_population", {"rows": outside, "policy": policy.name}))
    return mask


def _constant(value: str, n: int) -> pd.Categorical:
    """A column holding one text value n times, stored as a categorical (no n string objects)."""
    return pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[value])


def _evaluate(keys: pd.DataFrame, counts: dict[str, np.ndarray], policy: P.Policy, scope_label: str) -> pd.DataFrame:
    """The cap columns for groups with the given counts (arrays may be float with NaN = unknown)."""
    return pd.DataFrame(_evaluate_columns(keys, counts, policy, scope_label), index=pd.RangeIndex(len(keys)))


def _evaluate_columns(keys: pd.DataFrame, counts: dict[str, np.ndarray], policy: P.Policy,
                      scope_label: str) -> dict[str, object]:
    """:func:`_evaluate` as a dict of column arrays."""
    ratio = policy.require_ratio()
    n = len(keys)
    if all(k in counts and np.asarray(counts[k]).dtype.kind in "iu" for k in COUNT_NAMES):  # a roster: all known
        ints = {k: np.asarray(counts[k], dtype=np.int64) for k in COUNT_NAMES}
        raw = {k: np.zeros(n) for k in COUNT_NAMES}  # no NaN: nothing unknown
        known = np.ones(n, dtype=bool)
    else:
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
        if isinstance(v.dtype, pd.CategoricalDtype):
            cols[c] = v.astype(object).to_numpy()
        else:  # numpy or extension (text) arrays as they are: no conversion
            plain = isinstance(v.dtype, np.dtype) or not n or (pd.isna(v.iloc[0]) and bool(v.isna().all()))
            cols[c] = v.to_numpy() if plain else v.array
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
    return cols


def _stack(pieces: list, lengths: list[int]):
    """One output column from the scopes' pieces (None: the scope has no such key), typed as ``pd.concat`` types it."""
    if all(isinstance(p, np.ndarray) and p.dtype == pieces[0].dtype and p.dtype != object for p in pieces):
        return np.concatenate(pieces)  # same numpy dtype: pd.concat keeps it
    if all(isinstance(p, pd.Categorical) and p.dtype == pieces[0].dtype for p in pieces):
        return pd.Categorical.from_codes(np.concatenate([p.codes for p in pieces]), dtype=pieces[0].dtype)
    some = next(p for p in pieces if p is not None)
    series = [pd.Series(p, copy=False) if p is not None else pd.Series(some[:0]).reindex(range(m))
              for p, m in zip(pieces, lengths, strict=True)]
    if len(series) == 1:
        return series[0]
    dtype = pd.concat([s.iloc[:1] for s in series], ignore_index=True).dtype  # pandas' rule, on one row each
    if all(s.dtype == dtype and isinstance(dtype, np.dtype) for s in series):
        return pd.Series(np.concatenate([s.to_numpy() for s in series]), dtype=dtype, copy=False)
    if all(isinstance(s.dtype, pd.CategoricalDtype) for s in series):  # codes, not values
        cat = pd.api.types.union_categoricals([s.array for s in series])
        return pd.Series(cat if isinstance(dtype, pd.CategoricalDtype) else cat.astype(dtype), copy=False)
    return pd.concat(series, ignore_index=True)


def _assemble(parts: list[dict[str, object]], columns: list[str]) -> pd.DataFrame:
    """The groups table of every scope: one frame built once (no frame per scope, no concat of frames)."""
    lengths = [len(p["scope"]) for p in parts]  # type: ignore[arg-type]  # each part's scope column is an array
    out = {c: _stack([p.get(c) for p in parts], lengths) for c in columns}
    n = sum(lengths)
    return pd.DataFrame({c: v.set_axis(pd.RangeIndex(n)) if isinstance(v, pd.Series) else v  # Series keep their dtype
                         for c, v in out.items()}, index=pd.RangeIndex(n), copy=False)


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
        raise P.PolicyError(Message("policy.needs_columns", {"name": policy.name, "columns": " / ".join(
            ", ".join(s) for s in policy.scopes)}))
    return usable


def resolve_policies(frame: pd.DataFrame, policy, readings: dict, notes: list[Message]):
    """The regimes to run and the rows each covers: ``[(policy, row mask or None)]``.

    ``policy="auto"`` routes each row by its year and population to the regime that governs it
    (:func:`evalkit.policies.route`) and names the choice in ``notes``. A named regime runs on
    every row, with a note for rows outside the dates or population it governs. Either way each
    year's rows get the regime's parameters as in force in that year (an amendment applies from
    its date; years before the regime use its first values).
    """
    n = len(frame)
    years = frame["year"] if "year" in frame.columns else None
    pops = frame["population"] if "population" in frame.columns else None
    # the questions below are about (year, population) pairs: ask them once per distinct pair
    pairs = KeyCoder(frame).partition([c for c in ("year", "population") if c in frame.columns])
    first = pairs.first if n else np.zeros(0, dtype=np.int64)
    pair_of = pairs.index  # each row's pair; the arrays below are per pair
    if not (isinstance(policy, str) and policy == P.AUTO):
        if years is not None and pops is not None:
            notes.extend(P.outside_notes(P.get(policy), years.iloc[first], pops.iloc[first]))
        if not isinstance(policy, str) or years is None:
            return [(P.get(policy, **readings), None)]
        return _by_year(policy, years.iloc[first], np.ones(len(first), dtype=bool), readings, pair_of)
    if pops is None:
        pops = pd.Series(pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), ["civil_servant"]))
        notes.append(Message("note.auto_assumed_population", {"population": "civil_servant"}))
    if years is None:
        years = pd.Series(np.full(n, dt.date.today().year, dtype=np.int64))
        notes.append(Message("note.auto_assumed_year", {"year": str(dt.date.today().year)}))

    years_u, pops_u = years.iloc[first].reset_index(drop=True), pops.iloc[first].reset_index(drop=True)
    rows_of = np.bincount(pair_of, minlength=len(first)) if n else np.zeros(0, dtype=np.int64)

    def distinct(values: pd.Series, mask: np.ndarray) -> str:
        return ", ".join(sorted({str(v) for v in pd.unique(values[mask]) if pd.notna(v)}))

    regime_of_pair = P.route(years_u, pops_u)
    out = []
    for name in sorted({r for r in regime_of_pair.tolist() if r is not None}):
        mask = regime_of_pair == name
        chosen = {"policy": name, "rows": str(int(rows_of[mask].sum())), "populations": distinct(pops_u, mask),
                  "years": distinct(years_u, mask)}
        parts = _by_year(name, years_u, mask, readings, pair_of)
        if any(pol.ratio is None for pol, _ in parts):
            notes.append(Message("note.auto_needs_party_share", chosen))
            continue
        notes.append(Message("note.auto_chose", chosen))
        out += parts
    none = regime_of_pair == None  # noqa: E711 - object array
    if none.any():
        notes.append(Message("note.auto_no_regime", {"rows": str(int(rows_of[none].sum())),
                                                     "populations": distinct(pops_u, none), "years": distinct(years_u, none)}))
    if len(out) == 1 and (out[0][1] is None or bool(out[0][1].all())):
        return [(out[0][0], None)]  # one regime, one year, every row: no copy
    return out


def _by_year(name: str, years: np.ndarray, mask: np.ndarray, readings: dict, pair_of: np.ndarray):
    """The regime ``name`` per year among the (year, population) pairs in ``mask``, with that year's
    parameters, as row masks (``pair_of``: each row's pair)."""
    first = P.get(name)
    numeric = pd.to_numeric(pd.Series(np.asarray(years)), errors="coerce").to_numpy(dtype=float)
    seen = pd.unique(numeric[mask])  # hashed once, not a Python set over every row
    present = sorted(int(y) for y in seen if not np.isnan(y))
    out = []
    for y in present:
        pol = P.get(P.get(name, y) if y >= first.in_force.year else first, **readings)
        out.append((pol, (mask & (numeric == y))[pair_of]))
    unknown = mask & np.isnan(numeric)
    if unknown.any():
        out.append((P.get(first, **readings), unknown[pair_of]))
    if len(out) == 1 and bool(out[0][1].all()):
        return [(out[0][0], None)]  # every row: no copy
    return out


def _exception_notes(pol: P.Policy, groups: pd.DataFrame, notes: list[Message]) -> None:
    """A granted exception that matches no group is not dropped silently."""
    if not pol.exceptions:
        return
    used = set(groups["exception"].dropna().tolist()) if "exception" in groups.columns else set()
    for exc in pol.exceptions:
        if exc.describe() not in used:
            notes.append(Message("note.exception_unmatched", {"group": ", ".join(f"{k}={v}" for k, v in exc.group)}))


def check_cap(data, policy: str | P.Policy = P.AUTO, *, sheet=None, **readings) -> CapReport:
    """Check the excellent-rating cap on a roster or a counts table.

    Parameters
    ----------
    data : DataFrame (roster or counts, canonical or raw headers) or a path to CSV/XLSX
    policy : ``"auto"`` (the regime governing each row's year and population, named in the notes),
        a policy name from :func:`evalkit.policies.names` or a :class:`~evalkit.policies.Policy`
    **readings : changes to the policy's readings (``base="good_or_better"``, ``rounding="half_up"``,
        ``party_excellent_share="18/100"`` …), validated before use

    Returns
    -------
    CapReport with ``.groups`` (one row per scope and group), ``.compliant``, ``.summary``.
    """
    if not (isinstance(policy, str) and policy == P.AUTO):
        P.get(policy, **readings).require_ratio()
    frame, kind, problems = read_any(data, sheet)
    notes: list[Message] = []
    coder = KeyCoder(frame)  # codes of the key columns, made once for every regime and scope
    chosen = resolve_policies(frame, policy, readings, notes)
    parts, key_columns = [], []
    for pol, mask in chosen:
        sub = frame if mask is None else frame[mask]
        p, k = _check_frame(sub, kind, pol, notes, coder if mask is None else None)
        parts += p
        key_columns += [c for c in k if c not in key_columns]
    main = max(chosen, key=lambda c: len(frame) if c[1] is None else int(c[1].sum()))[0] if chosen \
        else P.get("decree-335-2025", **readings)
    if kind == "roster" and parts:  # column arrays: one frame built once
        groups = _assemble(parts, ["scope"] + key_columns + GROUP_OUTPUT)
    else:
        groups = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["scope"] + GROUP_OUTPUT)
        for c in key_columns:
            if c not in groups.columns:
                groups[c] = None
        groups = groups[["scope"] + key_columns + GROUP_OUTPUT]
    for pol, _ in chosen:
        _exception_notes(pol, groups[groups["rule_id"].astype(str) == pol.rule_id], notes)
    covered = np.zeros(len(frame), dtype=bool)
    for _, mask in chosen:
        covered |= True if mask is None else mask
    return CapReport(main, groups, kind, key_columns, notes, problems, unchecked_rows=int((~covered).sum()))


def _check_frame(frame: pd.DataFrame, kind: str, pol: P.Policy, notes: list[Message], coder: KeyCoder | None = None):
    """One regime over the rows it covers: the group tables (column arrays for a roster) and their key columns."""
    pol.require_ratio()
    parts = []
    at = len(notes)  # the note on early years goes before this regime's other notes
    years = None
    if "year" in frame.columns and kind != "roster":
        years = frame["year"].unique()
    if kind == "roster":
        mask = _in_scope(frame, pol, notes)
        slots = level_slots(level_index(frame["level"]), mask)
        coder = coder or KeyCoder(frame)
        usable = _roster_scopes(frame, pol, notes)
        key_columns: list[str] = []
        for (scope, keys), part in zip(usable, coder.partitions([keys for _, keys in usable]), strict=True):
            counts, covered = counts_from_slots(part.slot_counts(slots))
            keep = np.flatnonzero(covered)
            parts.append(_evaluate_columns(part.key_frame(frame, keys, keep), {k: v[keep] for k, v in counts.items()},
                                           pol, " × ".join(scope)))
            key_columns += [k for k in keys if k not in key_columns]
            if years is None and "year" in keys:  # every year has a group: read them from the groups
                years = frame["year"].iloc[part.first].unique()
        if not mask.any():
            notes.append(Message("note.none_covered", {"policy": pol.name}))
    if years is not None:
        years = pd.to_numeric(pd.Series(years), errors="coerce").dropna()
        early = sorted({int(y) for y in years if int(y) < pol.in_force.year})
        if early:
            notes.insert(at, Message("note.years_before_policy", {"policy": pol.name, "in_force": str(pol.in_force),
                                                                  "years": ", ".join(map(str, early))}))
    if kind != "roster":
        parts, key_columns = _check_counts(frame, pol, notes)
    return parts, key_columns


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


def enforce_cap(roster, policy: str | P.Policy = P.AUTO, *, rank_by: str | None = "score",
                sheet=None, lang: str = "en", **readings) -> pd.DataFrame:
    """Demote the minimal number of EXCELLENT to GOOD so that every scope of the policy holds.

    Returns a copy of the roster with ``level_final``, ``demoted`` and ``reason`` (empty where not
    demoted). Only EXCELLENT changes, only to GOOD; with nested scopes (unit and task group in it) or
    two crossed scopes the number of demotions is the least possible and, among the least, the set
    demoted is the lowest-ranked one whatever the row order; with three or more crossed scopes the
    exact minimum is found by an integer program when the problem is small, else a feasible set
    with the lower bound reported. ``.attrs['enforcement']`` holds the totals, whether the lower
    bound was reached, the regimes chosen (``policy="auto"``) and the notes.

    The reasons are written when first read (shown, compared, converted or saved), not before: a
    national roster's hundreds of thousands of sentences cost nothing until someone looks.
    ``final["reason"].astype(str)`` gives them as plain text.
    """
    if not (isinstance(policy, str) and policy == P.AUTO):
        P.get(policy, **readings).require_ratio()
    frame, kind, _ = read_any(roster, sheet)
    if kind != "roster":
        raise P.PolicyError(Message("policy.enforce_needs_roster"))
    notes: list[Message] = []
    coder = KeyCoder(frame)
    chosen = resolve_policies(frame, policy, readings, notes)
    level = L.as_levels(frame["level"])
    demoted_all = np.zeros(len(frame), dtype=bool)
    makers = []  # per regime: its demoted rows (in row order) and how to write their reasons
    totals = {"demotions": 0, "lower_bound": 0, "optimal": True, "nested_scopes": True, "rank_by": ""}
    for pol, mask in chosen:
        rows = None if mask is None else np.flatnonzero(mask)
        demoted, make, info = _enforce_frame(frame if rows is None else frame.iloc[rows], pol, rank_by, notes, lang,
                                             coder if rows is None else None)
        at = np.flatnonzero(demoted) if rows is None else rows[demoted]
        demoted_all[at] = True
        makers.append((at, make))
        totals["demotions"] += info["demotions"]
        totals["lower_bound"] += info["lower_bound"]
        totals["optimal"] &= info["optimal"]
        totals["nested_scopes"] &= info["nested_scopes"]
        totals["rank_by"] = info["rank_by"]
    out = frame.copy(deep=not _COPY_ON_WRITE)  # copy-on-write: the caller's frame can never change through ours
    out["level_final"] = pd.Categorical.from_codes(
        np.where(demoted_all, L.ALL_LEVELS.index(L.GOOD), level.cat.codes.to_numpy()), dtype=L.LEVEL_DTYPE)
    out["demoted"] = demoted_all
    text_of_row = np.full(len(frame), -1, dtype=np.int64)
    text_of_row[demoted_all] = np.arange(int(demoted_all.sum()))

    def reasons() -> np.ndarray:
        texts = np.empty(len(frame), dtype=object)
        for at, make in makers:
            texts[at] = make()
        return texts[demoted_all]

    out["reason"] = LazyText.from_maker(reasons, text_of_row)
    main = chosen[0][0].name if len(chosen) == 1 else ", ".join(p.name for p, _ in chosen)
    out.attrs["enforcement"] = {"policy": main, **totals, "notes": notes}
    return out


#: pandas 3 always copies on write; pandas 2 when asked. Then a shallow copy is as safe as a deep one.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3 or bool(pd.get_option("mode.copy_on_write") is True)


def _enforce_frame(frame: pd.DataFrame, pol: P.Policy, rank_by: str | None, notes: list[Message], lang: str = "en",
                   coder: KeyCoder | None = None):
    """One regime's enforcement on its rows: (demoted mask, a function writing their reasons, totals)."""
    pol.require_ratio()
    codes = L.as_levels(frame["level"]).cat.codes.to_numpy()
    in_scope = _in_scope(frame, pol, notes)
    slots = level_slots(codes, in_scope)
    eligible = np.flatnonzero(slots == L.ALL_LEVELS.index(L.EXCELLENT))
    scopes = sorted(_roster_scopes(frame, pol, notes), key=lambda s: -len(s[0]))
    parts = (coder or KeyCoder(frame)).partitions([keys for _, keys in scopes])
    info = []
    for (scope, keys), part in zip(scopes, parts, strict=True):
        counts, _ = counts_from_slots(part.slot_counts(slots))
        need = group_requirements(counts, pol, part.key_frame(frame, keys) if pol.exceptions else None)[2]
        info.append((scope, keys, part, counts, need, part.index[eligible]))
    nested = all(set(info[j][0]) <= set(info[i][0]) for i in range(len(info)) for j in range(i + 1, len(info)))
    group_of, need = [i[5] for i in info], [i[4] for i in info]
    if nested or len(info) == 1:  # each pass orders only its candidates, within their groups
        score, how = rank_basis(frame, eligible, rank_by)
        ids = frame["person_id"].to_numpy() if "person_id" in frame.columns else None
        demoted_e, by_scope = nested_demotions(group_of, need, score,
                                               lambda rows: eligible[rows] if ids is None else ids[eligible[rows]])
        exact = True
    else:
        worst, how = worst_first(frame, eligible, rank_by)
        demoted_e, by_scope, exact = select_demotions(group_of, need, worst, nested, report_exact=True)
    demoted = np.zeros(len(frame), dtype=bool)
    demoted[eligible[demoted_e]] = True
    needed = dict.fromkeys(["person_id", rank_by] + [col for _, keys in scopes for col in keys])
    snapshot = frame[[c for c in needed if c and c in frame.columns]].copy(deep=not _COPY_ON_WRITE)
    bound = int(demoted.sum()) if exact else lower_bound(group_of, need, nested)
    if not exact and len(info) > 2:
        notes.append(Message("note.crossed_scopes_bound", {"policy": pol.name, "demotions": str(int(demoted.sum())),
                                                           "bound": str(bound)}))
    return demoted, lambda: _demotion_reasons(snapshot, pol, rank_by, eligible, demoted_e, by_scope, info, lang), \
        {"demotions": int(demoted.sum()), "lower_bound": bound, "optimal": bool(exact or demoted.sum() == bound),
         "nested_scopes": nested, "rank_by": how}


def _demotion_reasons(frame: pd.DataFrame, pol: P.Policy, rank_by: str | None, eligible: np.ndarray,
                      demoted_e: np.ndarray, by_scope: np.ndarray, info: list, lang: str = "en") -> np.ndarray:
    """The reason of every demoted row, in row order (written when the ``reason`` column is first read)."""
    worst, how = worst_first(frame, eligible, rank_by)
    score = rank_basis(frame, eligible, rank_by)[0]  # a choice inside a tie is said to be by person id
    texts = np.empty(len(eligible), dtype=object)
    for s, (scope, keys, part, counts, _, ge) in enumerate(info):
        rows = np.flatnonzero(by_scope == s)
        if len(rows):
            groups = _evaluate(part.key_frame(frame, keys), counts, pol, " × ".join(scope))
            texts[rows] = _reasons(groups, keys, ge, rows, worst, pol, how, lang)
            tied = split_ties(ge, score, demoted_e)[rows] if score is not None else np.zeros(len(rows), dtype=np.int64)
            for i in np.flatnonzero(tied):
                v = float(score[rows[i]]) if score is not None else float("-inf")
                texts[rows[i]] += "; " + render("reason.tie_no_score" if np.isinf(v) else "reason.tie", lang, score=v,
                                                n=int(tied[i]))
    return texts[np.flatnonzero(demoted_e)]


def _reasons(groups: pd.DataFrame, keys: list[str], ge: np.ndarray, rows: np.ndarray, worst: np.ndarray,
             pol: P.Policy, how: str, lang: str = "en") -> np.ndarray:
    """Plain-language reason per demoted person, in ``lang``: the cited rule, the group, its counts, the cap
    and how it is computed, how many must move, and this person's rank (one text per group, then per rank)."""
    pos_from_worst = within_group_position(ge, worst)
    n_exc = groups["n_excellent"].to_numpy(dtype=np.int64)
    rank = n_exc[ge[rows]] - pos_from_worst[rows]
    used = np.unique(ge[rows])
    g = groups.iloc[used]
    labels = [f"{column_label(keys[0], lang)} {v}" for v in g[keys[0]].astype(str).tolist()]
    for k in keys[1:]:
        labels = [f"{lab}, {column_label(k, lang)} {v}" for lab, v in zip(labels, g[k].astype(str).tolist(), strict=True)]
    rule = cite(pol.reference, lang) if pol.reference else pol.rule_id
    base_words = render(f"reason.base.{pol.base}", lang)
    rounding = render(f"method.rounding.{pol.rounding}", lang)
    text = renderer("reason.demoted", lang)  # one text per group: format the template directly
    percents: dict = {}
    texts = [text(rule=rule, group=lab, e=e, gd=gd, base=base_words,
                  ratio=percents.get(r) or percents.setdefault(r, percent(r, lang)), rounding=rounding, cap=c, d=d)
             for lab, e, gd, r, c, d in zip(labels, g["n_excellent"].tolist(), g["n_good"].tolist(),
                                             g["ratio"].tolist(), g["cap"].tolist(), g["minimal_demotions"].tolist(),
                                             strict=True)]
    lookup = np.full(len(groups), None, dtype=object)
    lookup[used] = texts
    before, middle_after = render("reason.rank_score" if how.startswith("score") else "reason.rank_id", lang,
                                  r="\0", n="\1").split("\0")
    middle, after = middle_after.split("\1")
    return np.array([f"{t}; {before}{r}{middle}{n}{after}" for t, r, n in
                     zip(lookup[ge[rows]].tolist(), rank.tolist(), n_exc[ge[rows]].tolist(), strict=True)],
                    dtype=object)
