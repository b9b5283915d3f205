"""Named regimes: sets of readings of the excellent-rating cap, declared in ``params/policies/cap.yaml``.

Each regime names the parameters its readings come from; their values are looked up at the date of
the data. ``governs`` says whom the regime governs and when; :func:`route` picks, for each row, the
regime in force for its year and population (``policy="auto"``).

>>> names()
['decree-335-2025', 'decree-48-2023', 'party-guidance-21-2019', 'party-regulation-124-2023', 'quang-ninh-2022-leaders']
>>> p = get("decree-335-2025")
>>> p.ratio, p.base, p.scopes
(Fraction(1, 5), 'good', (('unit_id',), ('unit_id', 'task_group')))
>>> p.replace(rounding="half_up").rounding
'half_up'
>>> try:
...     p.replace(rounding="nearest", base="all")
... except PolicyError as exc:
...     print(*str(exc).split("; "), sep=";" + chr(10))
invalid readings for decree-335-2025: base='all' is not one of good, good_or_better, rated, headcount;
rounding='nearest' is not one of floor, half_up, ceil
"""

from __future__ import annotations

import builtins
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from fractions import Fraction

from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
import yaml

from .messages import CATALOGUE, LocalisedError, Message, cite, column_label, date_text, number, percent, render, yes_no
from . import parameters
from .parameters import POLICIES_SUBDIR, ParameterValue, Reference, as_date, load

BASES = ("good", "good_or_better", "rated", "headcount")
ROUNDINGS = ("floor", "half_up", "ceil")
TIMINGS = ("final", "proposed")
PARTY_SHARE_KINDS = ("actual", "permitted")
FINER_GROUPS = ("own_cap", "exempt")
AUTO = "auto"
SCOPE_COLUMNS = ("unit_id", "task_group", "title_group", "unit_level")


class PolicyError(LocalisedError):
    """A policy name or reading that does not exist or does not make sense.

    ``str(exc)`` is English; ``exc.text("vi")`` is the same message in Vietnamese (its catalogue
    code and parameters are ``exc.message``).
    """


def _error(code: str, **params) -> PolicyError:
    return PolicyError(Message(f"policy.{code}", params))


@dataclass(frozen=True)
class CapException:
    """A granted exception: a group (e.g. ``{"unit_id": "U7"}``) may have a higher ratio or count."""

    group: tuple[tuple[str, str], ...]
    granted_by: str
    basis: str
    year: int | None = None
    ratio: Fraction | None = None
    count: int | None = None

    @classmethod
    def make(cls, group: dict, granted_by: str, basis: str, year=None, ratio=None, count=None) -> "CapException":
        if (ratio is None) == (count is None):
            raise _error("exception_ratio_or_count")
        if ratio is not None:
            ratio = _fraction(ratio, "exception_ratio")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise _error("exception_count", value=count)
        return cls(tuple(sorted((str(k), str(v)) for k, v in group.items())), granted_by, basis, year, ratio, count)

    def describe(self, lang: str = "en") -> str:
        where = ", ".join(f"{column_label(k, lang)} {v}" for k, v in self.group)
        if self.ratio is not None:
            text = render("reading.exception.ratio", lang, where=where, ratio=reading_text("ratio", self.ratio, lang),
                          granted_by=self.granted_by, basis=self.basis)
        else:
            text = render("reading.exception.count", lang, where=where, count=number(self.count, lang),
                          granted_by=self.granted_by, basis=self.basis)
        return render("reading.exception.year", lang, text=text, year=self.year) if self.year else text


def _fraction(value, what: str) -> Fraction:
    if isinstance(value, float):
        raise _error("float_fraction", what=what, value=value)
    try:
        frac = Fraction(value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise _error("not_fraction", what=what, value=value) from None
    if frac < 0:
        raise _error("negative", what=what, value=value)
    return frac


@dataclass(frozen=True)
class Policy:
    """A cap regime: who it covers, how the cap is read, and where each reading comes from."""

    name: str
    titles: tuple[str, str]
    in_force: dt.date
    ratio: Fraction | None
    base: str
    rounding: str = "floor"
    min_one: bool = False
    timing: str = "final"
    scopes: tuple[tuple[str, ...], ...] = (("unit_id",),)
    applies_to: tuple[tuple[str, tuple], ...] = ()
    exceptions: tuple[CapException, ...] = ()
    party_excellent_share: Fraction | None = None
    ratio_from_party_share: bool = False
    rule_id: str = ""
    references: tuple[ParameterValue, ...] = field(default=(), compare=False)
    article_en: str = ""
    article_vi: str = ""
    party_share_kind: str = "actual"
    count_exception_finer_groups: str = "own_cap"
    governs: tuple[tuple[str, dt.date, dt.date | None], ...] = ()
    sources: tuple[tuple[str, ParameterValue], ...] = field(default=(), compare=False)
    named_readings: tuple[ParameterValue, ...] = field(default=(), compare=False)

    # ------------------------------------------------------------------ readings
    READINGS = ("ratio", "base", "rounding", "min_one", "timing", "scopes", "applies_to", "exceptions",
                "party_excellent_share", "party_share_kind", "count_exception_finer_groups")

    def replace(self, **readings) -> "Policy":
        """A copy with other readings. Every change is validated before any is applied."""
        unknown = sorted(set(readings) - set(self.READINGS))
        problems = [Message("policy.unknown_reading", {"key": k, "known": ", ".join(self.READINGS)}) for k in unknown]
        clean = {}
        for key, value in readings.items():
            if key in unknown:
                continue
            try:
                clean[key] = _validate_reading(key, value)
            except PolicyError as exc:
                assert exc.message is not None  # every reading's error is a catalogue message
                problems.append(exc.message)
        if problems:
            raise _error("invalid_readings", name=self.name, problems=sorted(problems, key=str))
        if self.ratio_from_party_share and "party_excellent_share" in clean and "ratio" not in clean:
            clean["ratio"] = clean["party_excellent_share"]
        if self.ratio_from_party_share and clean.get("party_share_kind") == "permitted" and "ratio" not in clean:
            # the share Party rules permit: the party cap in force then (ratio of those rated good)
            party = regime_for("party_member", self.in_force)
            if party is not None:
                ref = get(party, self.in_force)
                clean.update(ratio=ref.ratio, base=ref.base)
        return dataclasses.replace(self, **clean)

    def readings(self) -> dict:
        return {k: getattr(self, k) for k in self.READINGS}

    def require_ratio(self) -> Fraction:
        if self.ratio is None:
            raise _error("needs_party_share", name=self.name, how="party_excellent_share='18/100'")
        return self.ratio

    @property
    def title_en(self) -> str:
        return self.titles[0]

    @property
    def title_vi(self) -> str:
        return self.titles[1]

    def summary(self, lang: str = "en") -> str:
        """The rule in one sentence, built from its readings (never restated by hand)."""
        who = ", ".join(render(f"population.{p}", lang) for c, v in self.applies_to if c == "population" for p in v)
        if any(c == "is_leader" for c, _ in self.applies_to):
            who = render("population.leaders", lang)
        scopes = render("word.and", lang).join(" × ".join(render(f"column.{c}", lang) for c in s) for s in self.scopes)
        if self.ratio_from_party_share and self.ratio is None:
            return render("summary.cap_party_share", lang, who=who, scopes=scopes,
                          kind=render(f"reading.party_share_kind.{self.party_share_kind}", lang))
        return render("summary.cap", lang, who=who or render("population.everyone", lang), ratio=_pct(self.ratio),
                      base=render(f"reading.base.{self.base}", lang), scopes=scopes)

    def describe(self, lang: str = "en") -> str:
        """The rule in plain words: article, status, every reading with its source, which are evalkit defaults."""
        vi = lang == "vi"
        lines = [f"{self.name}: {self.title_vi if vi else self.title_en}",
                 render("explain.article", lang, article=self.article_vi if vi else self.article_en),
                 render("explain.status", lang, status=render(f"status.{_status(self.references)}", lang)),
                 "", self.summary(lang), ""]
        for who, start, end in self.governs:
            lines.append(governs_text(who, start, end, lang))
        if not self.governs:
            lines.append(render("explain.not_routed", lang))
        lines += ["", render("explain.readings", lang)]
        given = dict(self.sources)
        for key in self.READINGS:
            value = reading_text(key, getattr(self, key), lang)
            src = given.get(key)
            origin = (render("explain.evalkit_default", lang) if src is not None and src.status == "default" else
                      render("explain.from_source", lang, ref=cite(src.reference, lang),
                             status=render(f"status.{src.status}", lang))
                      if src is not None else render("explain.set_here", lang))
            lines.append(f"  {render(f'reading.name.{key}', lang)} ({key}) = {value}  ({origin})")
        if self.named_readings:
            lines += ["", render("explain.named_readings", lang)]
            for v in self.named_readings:
                lines.append(f"  {v.name} = {_show(v, lang)} — {cite(v.reference, lang)} [{render(f'status.{v.status}', lang)}]")
        lines += ["", render("explain.sources", lang)]
        for ref in self.references:
            status = render(f"status.{ref.status}", lang)
            lines.append(f"  {ref.name} = {_show(ref, lang)} — {cite(ref.reference, lang)} [{status}], "
                         f"{render('explain.from', lang, start=date_text(ref.start, lang))}")
        return "\n".join(lines)

    def one_line(self, lang: str = "en") -> str:
        return (self.title_vi if lang == "vi" else self.title_en)

    def governs_row(self, population: str, day: dt.date) -> bool:
        """Whether this regime governs ``population`` on ``day`` (its ``governs`` table)."""
        return any(p == population and start <= day and (end is None or day <= end) for p, start, end in self.governs)

    @property
    def reference(self) -> Reference | None:
        return self.references[0].reference if self.references else None


def _show(v: ParameterValue, lang: str = "en") -> str:
    """A parameter's value in words, read as the reading its name ends with (``….base`` → a base)."""
    return reading_text(v.name.rsplit(".", 1)[-1], v.value, lang)


#: Readings whose values are codes with words in the catalogue (``<prefix>.<value>``).
_WORDS = {"base": "reading.base", "rounding": "reading.rounding", "high_quality_rounding": "reading.rounding",
          "timing": "reading.timing", "party_share_kind": "reading.party_share_kind",
          "count_exception_finer_groups": "reading.count_exception_finer_groups", "freed_posts": "recruitment.freed",
          "pooling": "reading.pooling", "high_quality_reserve_on": "reading.high_quality_reserve_on",
          "partial_periods": "reading.partial_periods", "period_kind": "reading.period_kind",
          "months_basis": "reading.months_basis", "discipline_year": "reading.discipline_year"}
_SHARES = ("ratio", "party_excellent_share", "share_of_streamlined", "share_of_retired", "high_quality_share",
           "hires_share_of_streamlined", "hires_share_of_retired", "reserved_share")


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def reading_text(key: str, value, lang: str = "en") -> str:
    """A reading's value in words in ``lang``: the words for a code, a share as a fraction and a percentage,
    columns by their headers, staff types by name, yes/no, dates as the language writes them.

    >>> reading_text("base", "good", "vi"), reading_text("rounding", "floor", "en"), reading_text("min_one", False, "vi")
    ('số được xếp loại hoàn thành tốt nhiệm vụ', 'round down', 'không')
    >>> reading_text("scopes", (("unit_id",), ("unit_id", "task_group")), "vi")
    'Đơn vị; Đơn vị × Nhóm nhiệm vụ'
    >>> reading_text("applies_to", (("population", ("civil_servant",)),), "vi"), reading_text("ratio", Fraction(1, 5), "vi")
    ('Đối tượng: công chức', '1/5 (20%)')
    """
    if value is None or (isinstance(value, (str, tuple, builtins.list)) and not value):
        return "—"
    if isinstance(value, (bool, np.bool_)):
        return yes_no(lang)[0 if value else 1]
    if key in _WORDS and f"{_WORDS[key]}.{value}" in CATALOGUE:
        return render(f"{_WORDS[key]}.{value}", lang)
    if key == "exclusions" and isinstance(value, str):  # column names of the history, "a | b"
        return "; ".join(render(f"reading.exclusion.{x}", lang) if f"reading.exclusion.{x}" in CATALOGUE else x
                         for x in (part.strip() for part in value.split("|")))
    if key == "scopes":
        return "; ".join(" × ".join(column_label(c, lang) for c in scope) for scope in parse_scopes(value))
    if key == "applies_to":
        parts = []
        for column, allowed in value:
            if column == "is_leader" and tuple(allowed) == (True,):
                parts.append(render("population.leaders", lang))
                continue
            words = [render(f"population.{a}", lang) if f"population.{a}" in CATALOGUE else str(a) for a in allowed]
            parts.append(f"{column_label(column, lang)}: {', '.join(words)}")
        return "; ".join(parts)
    if key == "exceptions":
        return "; ".join(e.describe(lang) for e in value)
    if key in _SHARES or "share" in key or "ratio" in key:
        try:
            frac = Fraction(str(value))
        except ValueError:
            return str(value)
        return f"{frac} ({percent(frac, lang)})" if frac.denominator != 1 else percent(frac, lang)
    if isinstance(value, Fraction):  # a score or a number of points: 90, or 1/4 as written
        return number(value, lang) if value.denominator == 1 else str(value)
    if isinstance(value, dt.date):
        return date_text(value, lang)
    if isinstance(value, str) and _ISO_DATE.fullmatch(value):
        return date_text(dt.date.fromisoformat(value), lang)
    if isinstance(value, (int, float)):
        return number(value, lang)
    return str(value)


def governs_text(who: str, start, end, lang: str = "en") -> str:
    """"Governs civil servants from 2026-01-01 (no end date)" / "Áp dụng cho công chức từ 01/01/2026 đến nay".

    >>> import datetime as dt
    >>> governs_text("civil_servant", dt.date(2026, 1, 1), None, "vi")
    'Áp dụng cho công chức từ 01/01/2026 đến nay'
    """
    who = render(f"population.{who}", lang)
    if end is None:
        return render("explain.governs_open", lang, who=who, start=date_text(start, lang))
    return render("explain.governs", lang, who=who, start=date_text(start, lang), end=date_text(end, lang))


def _pct(ratio: Fraction | None) -> str:
    if ratio is None:
        return "—"
    pct = ratio * 100
    return f"{pct.numerator}%" if pct.denominator == 1 else f"{ratio}"


def _status(values) -> str:
    """The weakest status among the values a rule rests on (evalkit defaults do not weaken it)."""
    order = ("to_verify", "single", "confirmed")
    seen = {v.status for v in values if v.status != "default"}
    return next((s for s in order if s in seen), "default")


#: Readings that take one of a few named values.
_CHOICES = {"base": BASES, "rounding": ROUNDINGS, "timing": TIMINGS, "party_share_kind": PARTY_SHARE_KINDS,
            "count_exception_finer_groups": FINER_GROUPS}


def _validate_reading(key: str, value):
    """The reading's value, checked (every problem raised names the reading and what it may be)."""
    if key == "ratio":
        return None if value is None else _fraction(value, "ratio")
    if key == "party_excellent_share":
        frac = _fraction(value, "party_excellent_share")
        if frac > 1:
            raise _error("share_above_one", value=value)
        return frac
    choices = _CHOICES.get(key)
    if choices is not None:
        if value not in choices:
            raise _error("not_one_of", key=key, value=value, choices=", ".join(choices))
        return value
    if key == "min_one":
        if not isinstance(value, bool):
            raise _error("not_bool", key="min_one", value=value)
        return value
    if key == "scopes":
        return parse_scopes(value)
    if key == "applies_to":
        if isinstance(value, dict):
            value = value.items()
        out: builtins.list = []
        for col, allowed in value:
            allowed = tuple(allowed) if isinstance(allowed, (builtins.list, tuple, set, frozenset)) else (allowed,)
            out.append((str(col), allowed))
        return tuple(out)
    if key == "exceptions":
        out = builtins.list()
        for e in value:
            out.append(e if isinstance(e, CapException) else CapException.make(**e))
        return tuple(out)
    raise _error("unknown_reading", key=key, known=", ".join(Policy.READINGS))


def parse_scopes(value) -> tuple[tuple[str, ...], ...]:
    """Scopes from ``"unit_id | unit_id,task_group"`` or a list of column lists.

    >>> parse_scopes("unit_id | unit_id,task_group")
    (('unit_id',), ('unit_id', 'task_group'))
    """
    if isinstance(value, str):
        value = [[c.strip() for c in part.split(",") if c.strip()] for part in value.split("|")]
    out = builtins.list()
    for scope in value:
        scope = (scope,) if isinstance(scope, str) else tuple(scope)
        if not scope:
            raise _error("scope_empty")
        bad = [c for c in scope if c not in SCOPE_COLUMNS]
        if bad:
            raise _error("scope_columns", bad=bad, known=", ".join(SCOPE_COLUMNS))
        out.append(scope)
    if not out:
        raise _error("no_scope")
    return tuple(out)


# ---------------------------------------------------------------------- the named regimes (data)

_POLICY_KEYS = {"rule_id", "title", "article", "governs", "applies_to", "readings", "named_readings",
                "ratio_from_party_share"}


def policy_file(kind: str, root=None) -> dict:
    """The named policies of one kind (``cap``, ``recruitment``, ``streamlining``, ``rules``) as declared in YAML."""
    return _policy_file_at(kind, str(parameters.PARAMS_DIR if root is None else root))


def reload() -> None:
    """Forget the cached parameter tree and policy declarations (after editing or pointing at another tree)."""
    parameters.load_bundled_clear()
    _policy_file_at.cache_clear()
    _declared.cache_clear()


@lru_cache(maxsize=16)
def _policy_file_at(kind: str, root: str) -> dict:
    from pathlib import Path

    path = Path(root) / POLICIES_SUBDIR / f"{kind}.yaml"
    data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)) or {}
    if not isinstance(data, dict):
        raise _error("file_not_mapping", path=str(path))
    return data


@lru_cache(maxsize=1)
def _declared() -> dict:
    data = policy_file("cap")
    for name, spec in data.items():
        unknown = set(spec) - _POLICY_KEYS
        if unknown:
            raise _error("file_unknown_keys", path="params/policies/cap.yaml", name=name, keys=sorted(unknown))
    return data


def _governs(spec) -> tuple:
    return tuple((g["population"], as_date(g["from"]), as_date(g["until"]) if g.get("until") else None)
                 for g in spec.get("governs") or ())


def _build(name: str, date=None) -> Policy:
    """Build a declared regime with every reading's parameter as in force on ``date``.

    Without a date, the first date the regime governs anyone (or its ratio's first value).
    """
    specs = _declared()
    if name not in specs:
        raise _error("unknown", name=name, known=", ".join([*names(), AUTO]))
    spec = specs[name]
    tree = load()
    governs = _governs(spec)
    readings = spec["readings"]
    if date is None:
        firsts = [start for _, start, _ in governs] or [
            v.start for v in tree[readings.get("ratio", readings["base"])].values if isinstance(v, ParameterValue)][:1]
        day = min(firsts)
    else:
        day = as_date(date)
    sources = tuple((key, tree.value(param, day)) for key, param in readings.items())
    values: dict[str, Any] = {key: v.value for key, v in sources}
    if "scopes" in values:
        values["scopes"] = parse_scopes(values["scopes"])
    applies = tuple((str(c), tuple(v)) for c, v in (spec.get("applies_to") or {}).items())
    named = tuple(tree.value(p, max(day, tree.first(p).start)) for p in spec.get("named_readings") or ())
    start = min((s for _, s, _ in governs), default=min(v.start for _, v in sources if v.status != "default"))
    return Policy(name, (spec["title"]["en"], spec["title"]["vi"]), start, values.pop("ratio", None),
                  values.pop("base"), applies_to=applies, rule_id=spec["rule_id"],
                  ratio_from_party_share=bool(spec.get("ratio_from_party_share")),
                  references=tuple(v for _, v in sources if v.status != "default"),
                  article_en=spec["article"]["en"], article_vi=spec["article"]["vi"], governs=governs,
                  sources=sources, named_readings=named, **values)


def names() -> builtins.list[str]:
    """The names of the bundled cap policies (``auto`` routes among them)."""
    return sorted(_declared())


def all_policies() -> builtins.list[Policy]:
    """All bundled cap policies."""
    return [get(n) for n in names()]


#: ``evalkit.policies.list()``: the same as :func:`all_policies` (the module keeps the builtin
#: usable as ``builtins.list`` internally, so readings given as lists still work).
list = all_policies  # noqa: A001


def get(name: str | Policy, date=None, **readings) -> Policy:
    """A policy by name, with its parameters as in force on ``date`` and optional readings changed."""
    policy = name if isinstance(name, Policy) else _build(name, date)
    return policy.replace(**readings) if readings else policy


def regime_for(population: str, date) -> str | None:
    """The regime that governs ``population`` on ``date`` (a year means 31 December), or None.

    >>> regime_for("civil_servant", 2026), regime_for("civil_servant", 2025), regime_for("party_member", 2023)
    ('decree-335-2025', 'decree-48-2023', 'party-regulation-124-2023')
    >>> regime_for("public_employee", 2027), regime_for("civil_servant", 2021) is None
    ('decree-48-2023', True)
    """
    day = as_date(date)
    for name in names():
        if any(p == population and s <= day and (e is None or day <= e) for p, s, e in _governs(_declared()[name])):
            return name
    return None


def _pairs(years, populations):
    """Distinct (year, population) pairs and each row's pair number, by factorising each column once."""
    cy, uy = pd.factorize(pd.Series(years).to_numpy(), use_na_sentinel=True)
    cp, up = pd.factorize(pd.Series(populations).to_numpy(), use_na_sentinel=True)
    comb = np.where((cy < 0) | (cp < 0), -1, cy.astype(np.int64) * max(len(up), 1) + cp)
    codes, uniq = pd.factorize(comb)
    pairs = [(None, None) if c < 0 else (uy[c // max(len(up), 1)], up[c % max(len(up), 1)]) for c in uniq]
    return codes, pairs


def _year(value) -> int | None:
    try:
        y = float(value)
    except (TypeError, ValueError):
        return None
    return None if np.isnan(y) else int(y)


def route(years, populations, leaders=None) -> np.ndarray:
    """The governing regime per row (object array; None where none governs), by year and population.

    Leaders are rated under their population's regime (Quảng Ninh's leader rule is one province's
    practice and is never chosen automatically).

    >>> route([2026, 2025, 2026, 2022], ["civil_servant", "civil_servant", "party_member", "cadre"]).tolist()
    ['decree-335-2025', 'decree-48-2023', 'party-regulation-124-2023', None]
    """
    codes, pairs = _pairs(years, populations)
    names = np.array([None if _year(y) is None or p is None else regime_for(str(p), _year(y)) for y, p in pairs]
                     + [None], dtype=object)
    return names[codes]


def outside_notes(policy: Policy, years, populations) -> builtins.list[Message]:
    """Notes for rows a regime is run on outside the dates or population it governs (it still runs)."""
    notes: builtins.list[Message] = []
    if not policy.governs:
        return notes
    _, pairs = _pairs(years, populations)
    for y, p in sorted({(_year(y), str(p)) for y, p in pairs if _year(y) is not None and p is not None}):
        if policy.governs_row(p, as_date(y)):
            continue
        if not any(c == "population" and p in v for c, v in policy.applies_to):
            continue  # not covered at all: the population filter leaves the row out
        other = regime_for(p, y)
        if other:
            notes.append(Message("note.regime_outside", {"policy": policy.name, "population": p, "year": str(y),
                                                         "other": other}))
        else:
            notes.append(Message("note.regime_outside_none", {"policy": policy.name, "population": p,
                                                              "year": str(y)}))
    return notes


# ---------------------------------------------------------------------- explaining any declared rule

def explain_names() -> dict[str, str]:
    """Every regime ``evalkit explain`` knows, with its kind (cap, recruitment, streamlining, rules)."""
    out = {n: "cap" for n in names()}
    for kind in ("recruitment", "streamlining", "rules"):
        out.update({n: kind for n in policy_file(kind)})
    return dict(sorted(out.items()))


def describe_declared(name: str, lang: str = "en") -> str:
    """Title, article, status, who and when, each parameter with its source, and evalkit's default readings.

    For the streamlining grounds and the rules of ``params/policies/rules.yaml`` (bands, ceilings,
    the public-employee law); the cap and recruitment policies describe themselves.

    >>> print(describe_declared("decree-154-2025").splitlines()[0])
    decree-154-2025: Decree 154/2025 — one year not completed
    """
    kind = explain_names().get(name)
    if kind not in ("streamlining", "rules"):
        raise PolicyError(Message("explain.unknown", {"name": name, "known": ", ".join(explain_names())}))
    spec = policy_file(kind)[name]
    tree = load()
    if kind == "streamlining":
        params = [p for p in tree.names() if p.startswith(spec["parameters"] + ".")]
        readings = builtins.list((spec.get("readings") or {}).values())
        start = as_date(spec["from"])
        governs: tuple = ()
    else:
        params, readings = spec["parameters"], spec.get("readings") or []
        governs = _governs(spec)
        start = min(s for _, s, _ in governs)
    day = start
    values = []
    for p in params:
        values.append(tree.value(p, max(day, tree.first(p).start)))
    lines = [f"{name}: {spec['title']['vi' if lang == 'vi' else 'en']}",
             render("explain.article", lang, article=spec["article"]["vi" if lang == "vi" else "en"]),
             render("explain.status", lang, status=render(f"status.{_status(values)}", lang)), ""]
    if kind == "streamlining":
        start_text = date_text(as_date(spec["from"]), lang)
        lines.append(render("explain.in_force", lang, start=start_text, end=date_text(as_date(spec["until"]), lang))
                     if spec.get("until") else render("explain.in_force_open", lang, start=start_text))
    for who, s, e in governs:
        lines.append(governs_text(who, s, e, lang))
    lines += ["", render("explain.sources", lang)]
    for v in values:
        lines.append(render("explain.parameter", lang, name=v.name, value=_show(v, lang), ref=cite(v.reference, lang),
                            status=render(f"status.{v.status}", lang), start=date_text(v.start, lang)))
    if readings:
        lines += ["", render("explain.readings", lang)]
        for p in readings:
            v = tree.value(p, max(day, tree.first(p).start))
            lines.append(f"  {p} = {_show(v, lang)}  ({render('explain.evalkit_default', lang)})")
    return "\n".join(lines)
