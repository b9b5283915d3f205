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
from ..rules.cap import COUNT_NAMES, KeyCoder, Partition, category_values, level_index, level_slots, requirements
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
                ok = np.asarray(values.cat.categories.isin(list(allowed)), dtype=bool)
                codes = values.array.codes
                if ok.all():  # every category allowed: only a missing value is outside
                    if len(codes) and codes.min() < 0:
                        mask &= codes >= 0
                else:
                    mask &= np.r_[ok, False][codes]  # code −1 (missing) reads the final False
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


class _NoLabels:
    """The exception column of groups under no exception: n times None, made only as the groups table is built."""

    __slots__ = ("n",)

    def __init__(self, n: int):
        self.n = n

    def __len__(self) -> int:
        return self.n

    def array(self) -> np.ndarray:
        return np.empty(self.n, dtype=object)  # all None


class _Keys:
    """A categorical key column's value for each group, kept as codes into the column's categories
    until the groups table is built (then turned into text once, for every scope together)."""

    __slots__ = ("codes", "dtype")

    def __init__(self, codes: np.ndarray, dtype: pd.CategoricalDtype):
        self.codes, self.dtype = codes, dtype

    def __len__(self) -> int:
        return len(self.codes)

    def values(self):
        """The values as one scope's groups table holds them (see :func:`_part_column`)."""
        return _part_column(pd.DataFrame({"k": category_values(self.codes, self.dtype)},
                                         index=pd.RangeIndex(len(self.codes)))["k"])


def _part_column(v: pd.Series):
    """A key column of one scope's groups: numpy where pandas would make it numpy (numbers, nothing known),
    else the extension array as it is (text): no conversion."""
    plain = isinstance(v.dtype, np.dtype) or not len(v) or (pd.isna(v.iloc[0]) and bool(v.isna().all()))
    return v.to_numpy() if plain else v.array


def _group_keys(frame: pd.DataFrame, part: Partition, keys: list[str], groups: np.ndarray | None = None,
                coder: KeyCoder | None = None) -> dict:
    """The key columns of a partition's groups (or of ``groups``) for :func:`_evaluate_columns`: a categorical
    column as codes (:class:`_Keys`), numbers as numpy, other columns as :func:`_part_column` makes them.
    ``coder``: the codes the partition was made from (a column with one code is not gathered)."""
    rows = part.first if groups is None else part.first[groups]
    out: dict[str, object] = {}
    for k in keys:
        v = frame[k]
        if isinstance(v.dtype, pd.CategoricalDtype):
            out[k] = _Keys(v.array.codes[rows], v.dtype)
        elif isinstance(v.dtype, np.dtype):
            values = v.to_numpy()
            one = coder is not None and len(rows) and coder.codes(k)[1] == 1  # one value (a year): no gather
            out[k] = np.full(len(rows), values[rows[0]]) if one else values[rows]
        else:
            out[k] = _part_column(v.iloc[rows].reset_index(drop=True))
    return out


def _key_frame(keys: dict) -> pd.DataFrame:
    """The key values of :func:`_group_keys` as a frame (read only when an exception must be matched)."""
    return pd.DataFrame({c: p.values() if isinstance(p, _Keys) else p for c, p in keys.items()})


def _evaluate(keys: pd.DataFrame, counts: dict[str, np.ndarray], policy: P.Policy, scope_label: str) -> pd.DataFrame:
    """The cap columns for groups with the given counts (arrays may be float with NaN = unknown)."""
    cols = _evaluate_columns(keys, counts, policy, scope_label)
    return pd.DataFrame({c: v.array() if isinstance(v, _NoLabels) else v for c, v in cols.items()},
                        index=pd.RangeIndex(len(keys)))


def _evaluate_columns(keys: pd.DataFrame | dict, counts: dict[str, np.ndarray], policy: P.Policy,
                      scope_label: str) -> dict[str, object]:
    """:func:`_evaluate` as a dict of column arrays; ``keys`` a frame, or the columns of :func:`_group_keys`."""
    if isinstance(keys, pd.DataFrame):
        n = len(keys)
        key_cols = {}
        for c in keys.columns:
            v = keys[c]
            key_cols[c] = v.astype(object).to_numpy() if isinstance(v.dtype, pd.CategoricalDtype) else _part_column(v)
        frame_of_keys = keys
    else:
        n = len(next(iter(keys.values())))
        key_cols = keys
        frame_of_keys = lambda: _key_frame(keys)  # noqa: E731 - read only if an exception is granted
    return {"scope": _constant(scope_label, n), **key_cols, **_cap_columns(counts, policy, frame_of_keys, n)}


def _cap_columns(counts: dict[str, np.ndarray], policy: P.Policy, keys, n: int) -> dict[str, object]:
    """The columns of :data:`GROUP_OUTPUT` for ``n`` groups with the given counts (float arrays with NaN where
    unknown, or integer arrays: all known); ``keys`` (a frame or a function making one) matches exceptions."""
    ratio = policy.require_ratio()
    raw: dict[str, np.ndarray] | None = None  # the counts as given, NaN = unknown; None: a roster's, all known
    if all(k in counts and np.asarray(counts[k]).dtype.kind in "iu" for k in COUNT_NAMES):  # a roster: all known
        ints = {k: np.asarray(counts[k], dtype=np.int64) for k in COUNT_NAMES}
        known = None
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
    base, cap, d, exceptions = requirements(ints, policy, keys)
    all_known = known is None or bool(known.all())

    def column(values, dtype="Int64", mask=None):
        """Plain numpy when every count is known (fast); nullable with <NA> where unknown."""
        if known is None:
            return values
        mask = ~known if mask is None else mask
        if not mask.any() and all_known:
            return values
        arr = pd.array(values, dtype=dtype)
        arr[mask] = pd.NA
        return arr

    cols: dict[str, object] = {}
    for k in COUNT_NAMES:
        cols[k] = column(ints[k], mask=None if raw is None else np.isnan(raw[k]))
    rated_unknown = None if raw is None else (np.isnan(raw["n_excellent"]) | np.isnan(raw["n_good"])
                                              | np.isnan(raw["n_completed"]) | np.isnan(raw["n_not_completed"]))
    cols["n_rated"] = column(E + G + C + N, mask=rated_unknown)
    cols["base"] = column(base)
    cols["cap"] = column(cap)
    cols["excess"] = column(np.maximum(E - cap, 0))
    cols["headroom"] = column(np.maximum(cap - E, 0))
    cols["compliant"] = column(E <= cap, "boolean")
    cols["minimal_demotions"] = column(d)
    if exceptions is None:  # one ratio, no label: nothing per group to write
        cols["ratio"] = _constant(str(ratio), n)
        cols["exception"] = _NoLabels(n)
    else:
        num, den, has_fixed, exc_label = exceptions
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


class _PerScope(list):
    """One column of a regime's groups given as one piece per scope (the scope label, the key columns)."""


def _roster_part(scopes: list[tuple[str, dict, dict[str, np.ndarray]]], pol: P.Policy) -> dict[str, object]:
    """One regime's groups from ``(scope label, key columns, counts)`` per scope, as columns for :func:`_assemble`.

    The counts and cap columns are worked out once over every scope's groups together (each piece
    per scope when an exception is granted: it matches on the scope's own key columns); the scope
    label and the key columns stay one piece per scope.
    """
    if len(scopes) == 1:
        label, keys, counts = scopes[0]
        return _evaluate_columns(keys, counts, pol, label)
    columns = list(dict.fromkeys(c for _, keys, _ in scopes for c in keys))
    if pol.exceptions:
        parts = [_evaluate_columns(keys, counts, pol, label) for label, keys, counts in scopes]
        return {c: _PerScope(p.get(c) for p in parts) for c in ["scope", *columns, *GROUP_OUTPUT]}
    lengths = [len(counts["n_excellent"]) for _, _, counts in scopes]
    together = {k: np.concatenate([counts[k] for _, _, counts in scopes]) for k in COUNT_NAMES}
    return {"scope": _PerScope(_constant(label, m) for (label, _, _), m in zip(scopes, lengths, strict=True)),
            **{c: _PerScope(keys.get(c) for _, keys, _ in scopes) for c in columns},
            **_cap_columns(together, pol, None, sum(lengths))}


def _stack(pieces: list, lengths: list[int]):
    """One output column from the scopes' pieces (None: the scope has no such key), typed as ``pd.concat`` types it."""
    given = [p for p in pieces if p is not None]
    if given and all(isinstance(p, _NoLabels) for p in given) and len(given) == len(pieces):  # no exception anywhere
        return pd.Series(np.empty(sum(lengths), dtype=object), dtype=object, copy=False)
    pieces = [p.array() if isinstance(p, _NoLabels) else p for p in pieces]
    if any(isinstance(p, _Keys) for p in given):
        dtype = given[0].dtype
        if (all(isinstance(p, _Keys) and (p.dtype is dtype or p.dtype == dtype) for p in given)
                and isinstance(dtype.categories.dtype, pd.StringDtype)
                and all(len(p) and p.codes.max() >= 0 for p in given)):  # text keys, some known in every scope:
            codes = np.concatenate([np.full(m, -1, dtype=np.int64) if p is None else p.codes  # the text, taken once
                                    for p, m in zip(pieces, lengths, strict=True)])
            return category_values(codes, dtype)
        pieces = [p.values() if isinstance(p, _Keys) else p for p in pieces]
    if all(isinstance(p, np.ndarray) and p.dtype == pieces[0].dtype and p.dtype != object for p in pieces):
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)  # same numpy dtype: pd.concat keeps it
    if all(isinstance(p, pd.Categorical) for p in pieces):
        if all(p.dtype == pieces[0].dtype for p in pieces):
            return pieces[0] if len(pieces) == 1 else \
                pd.Categorical.from_codes(np.concatenate([p.codes for p in pieces]), dtype=pieces[0].dtype)
        text = pieces[0].categories.dtype
        if all(isinstance(p.categories.dtype, pd.StringDtype) and p.categories.dtype == text
               and (not len(p) or p.codes.min() >= 0) for p in pieces):  # labels of different parts (scopes)
            if pd.concat([pd.Series(p[:1]) for p in pieces], ignore_index=True).dtype == text:  # pandas' rule
                if all(len(p.categories) == 1 for p in pieces):  # one label a part: repeated, not recoded
                    labels = list(dict.fromkeys(p.categories[0] for p in pieces))
                    codes = np.repeat([labels.index(p.categories[0]) for p in pieces], [len(p) for p in pieces])
                    return pd.Index(labels, dtype=text).take(codes).array
                cat = pd.api.types.union_categoricals(pieces)
                return cat.categories.take(cat.codes).array  # the labels' text, no conversion per row
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
    """The groups table of every regime and scope: one frame built once (no frame per scope, no concat of frames).

    A part's column is one array for all its groups, or one piece per scope (:class:`_PerScope`); the
    frame holds every array without copying it, so an array that is another column's too, or a view
    of a larger one, is copied first (a column written in place changes nothing else).
    """
    lengths = [[len(x) for x in p["scope"]] if isinstance(p["scope"], _PerScope) else [len(p["scope"])]  # type: ignore
               for p in parts]
    out, held = {}, set()
    for c in columns:
        pieces: list = []
        sizes: list[int] = []
        for p, ls in zip(parts, lengths, strict=True):
            v = p.get(c)
            if isinstance(v, _PerScope):
                pieces += v
                sizes += ls
            else:
                pieces.append(v)
                sizes.append(sum(ls))
        col = _stack(pieces, sizes)
        if isinstance(col, np.ndarray):
            if col.base is not None or id(col) in held:
                col = col.copy()
            held.add(id(col))
        out[c] = col
    n = sum(map(sum, lengths))
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


def resolve_policies(frame: pd.DataFrame, policy, readings: dict, notes: list[Message], coder: KeyCoder | None = None):
    """The regimes to run and the rows each covers: ``[(policy, row mask or None)]``.

    ``policy="auto"`` routes each row by its year and population to the regime that governs it
    (:func:`evalkit.policies.route`) and names the choice in ``notes``. A named regime runs on
    every row, with a note for rows outside the dates or population it governs. Either way each
    year's rows get the regime's parameters as in force in that year (an amendment applies from
    its date; years before the regime use its first values). ``coder``: the frame's key codes, if made already.
    """
    n = len(frame)
    years = frame["year"] if "year" in frame.columns else None
    pops = frame["population"] if "population" in frame.columns else None
    # the questions below are about (year, population) pairs: ask them once per distinct pair
    pairs = (coder or KeyCoder(frame)).partition([c for c in ("year", "population") if c in frame.columns])
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
    rows_of = np.array([n]) if len(first) == 1 else np.bincount(pair_of, minlength=len(first)) if n \
        else np.zeros(0, dtype=np.int64)

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
        out.append((pol, mask & (numeric == y)))
    unknown = mask & np.isnan(numeric)
    if unknown.any():
        out.append((P.get(first, **readings), unknown))
    if len(out) == 1 and bool(out[0][1].all()):  # every pair, so every row: no mask, no copy
        return [(out[0][0], None)]
    return [(pol, pairs[pair_of]) for pol, pairs in out]


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
    chosen = resolve_policies(frame, policy, readings, notes, coder)
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
        if pol.exceptions:
            _exception_notes(pol, groups[groups["rule_id"].astype(str) == pol.rule_id], notes)
    if any(mask is None for _, mask in chosen):
        unchecked = 0
    else:
        covered = np.zeros(len(frame), dtype=bool)
        for _, mask in chosen:
            covered |= mask
        unchecked = int((~covered).sum())
    return CapReport(main, groups, kind, key_columns, notes, problems, unchecked_rows=unchecked)


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
        every_row = bool(mask.all())  # then every group has a covered row
        slots = level_slots(level_index(frame["level"]), None if every_row else mask)
        coder = coder or KeyCoder(frame)
        usable = _roster_scopes(frame, pol, notes)
        key_columns: list[str] = []
        scopes = []
        for (scope, keys), part in zip(usable, coder.partitions([keys for _, keys in usable]), strict=True):
            counts, covered = part.counts(slots, covered=not every_row)
            keep = None
            if covered is not None:  # groups with a covered row only
                keep = np.flatnonzero(covered)
                counts = {k: v[keep] for k, v in counts.items()}
            scopes.append((" × ".join(scope), _group_keys(frame, part, keys, keep, coder), counts))
            key_columns += [k for k in keys if k not in key_columns]
            if years is None and "year" in keys:  # every year has a group: read them from the groups
                one_year = len(frame) and coder.codes("year")[1] == 1  # then from one row
                years = frame["year"].iloc[part.first[:1] if one_year else part.first].unique()
        parts.append(_roster_part(scopes, pol))
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
    chosen = resolve_policies(frame, policy, readings, notes, coder)
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
        counts = part.counts(slots)[0]
        need = requirements(counts, pol, lambda part=part, keys=keys: part.key_frame(frame, keys))[2]
        info.append((scope, keys, part, counts, need, part.groups_of(eligible)))
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
