"""Named regimes: sets of readings of the excellent-rating cap, built from the parameter tree.

>>> [p for p in names()]
['decree-335-2025', 'decree-48-2023', 'party-guidance-21-2019', 'quang-ninh-2022-leaders']
>>> p = get("decree-335-2025")
>>> p.ratio, p.base, p.scopes
(Fraction(1, 5), 'good', (('unit_id',), ('unit_id', 'task_group')))
>>> p.replace(rounding="half_up").rounding
'half_up'
>>> p.replace(rounding="nearest", base="all")
Traceback (most recent call last):
...
evalkit.policies.PolicyError: invalid readings for decree-335-2025: base='all' is not one of good, good_or_better, rated, headcount; rounding='nearest' is not one of floor, half_up, ceil
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction

from .parameters import ParameterValue, Reference, as_date, load

BASES = ("good", "good_or_better", "rated", "headcount")
ROUNDINGS = ("floor", "half_up", "ceil")
TIMINGS = ("final", "proposed")
SCOPE_COLUMNS = ("unit_id", "task_group", "title_group", "unit_level")


class PolicyError(ValueError):
    """A policy name or reading that does not exist or does not make sense."""


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
            raise PolicyError("an exception grants either a ratio or a count, not both or neither")
        if ratio is not None:
            ratio = _fraction(ratio, "exception ratio")
        if count is not None and (not isinstance(count, int) or count < 0):
            raise PolicyError(f"exception count {count!r} must be a whole number ≥ 0")
        return cls(tuple(sorted((str(k), str(v)) for k, v in group.items())), granted_by, basis, year, ratio, count)

    def describe(self) -> str:
        grant = f"ratio {self.ratio}" if self.ratio is not None else f"{self.count} excellent"
        where = ", ".join(f"{k}={v}" for k, v in self.group)
        return f"{where}: {grant} granted by {self.granted_by} ({self.basis}{', ' + str(self.year) if self.year else ''})"


def _fraction(value, what: str) -> Fraction:
    if isinstance(value, float):
        raise PolicyError(f"{what} {value!r}: give an exact fraction such as '1/5' or Fraction(1, 5), not a float")
    try:
        frac = Fraction(value)
    except (TypeError, ValueError, ZeroDivisionError):
        raise PolicyError(f"{what} {value!r} is not a fraction such as '1/5'") from None
    if frac < 0:
        raise PolicyError(f"{what} {value!r} must not be negative")
    return frac


@dataclass(frozen=True)
class Policy:
    """A cap regime: who it covers, how the cap is read, and where each reading comes from."""

    name: str
    title_en: str
    title_vi: str
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
    summary_en: str = ""
    summary_vi: str = ""

    # ------------------------------------------------------------------ readings
    READINGS = ("ratio", "base", "rounding", "min_one", "timing", "scopes", "applies_to", "exceptions",
                "party_excellent_share")

    def replace(self, **readings) -> "Policy":
        """A copy with other readings. Every change is validated before any is applied."""
        unknown = sorted(set(readings) - set(self.READINGS))
        problems = [f"unknown reading {k!r} (readings: {', '.join(self.READINGS)})" for k in unknown]
        clean = {}
        for key, value in readings.items():
            if key in unknown:
                continue
            try:
                clean[key] = _validate_reading(key, value)
            except PolicyError as exc:
                problems.append(str(exc))
        if problems:
            raise PolicyError(f"invalid readings for {self.name}: " + "; ".join(sorted(problems)))
        if self.ratio_from_party_share and "party_excellent_share" in clean and "ratio" not in clean:
            clean["ratio"] = clean["party_excellent_share"]
        return dataclasses.replace(self, **clean)

    def readings(self) -> dict:
        return {k: getattr(self, k) for k in self.READINGS}

    def require_ratio(self) -> Fraction:
        if self.ratio is None:
            raise PolicyError(
                f"{self.name} compares the excellent share of all staff with the share of party members "
                "rated excellent under Party rules; give it, e.g. party_excellent_share='18/100'")
        return self.ratio

    def describe(self, lang: str = "en") -> str:
        """The rule in plain words, with every reading and its source."""
        vi = lang == "vi"
        lines = [self.title_vi if vi else self.title_en, "", self.summary_vi if vi else self.summary_en, ""]
        ratio = "—" if self.ratio is None else f"{self.ratio} ({float(self.ratio):.0%})"
        labels = (("Tỷ lệ", "Cơ sở tính", "Làm tròn", "Tối thiểu một", "Thời điểm tính cơ sở", "Phạm vi",
                   "Áp dụng cho", "Ngoại lệ", "Hiệu lực") if vi else
                  ("Ratio", "Base", "Rounding", "Minimum one", "Base timing", "Scopes", "Applies to",
                   "Exceptions", "In force from"))
        values = (ratio, self.base, self.rounding, str(self.min_one), self.timing,
                  " AND ".join(" × ".join(s) for s in self.scopes),
                  "; ".join(f"{c} in {[*v]}" for c, v in self.applies_to) or ("mọi người" if vi else "everyone"),
                  "; ".join(e.describe() for e in self.exceptions) or ("không" if vi else "none"),
                  str(self.in_force))
        lines += [f"  {k}: {v}" for k, v in zip(labels, values, strict=True)]
        lines += ["", "Căn cứ:" if vi else "Sources:"]
        for ref in self.references:
            lines.append(f"  {ref.name} = {_show(ref.value)} — {ref.reference} [{ref.status}], from {ref.start}")
        return "\n".join(lines)

    def one_line(self, lang: str = "en") -> str:
        return (self.title_vi if lang == "vi" else self.title_en)

    @property
    def reference(self) -> Reference | None:
        return self.references[0].reference if self.references else None


def _show(v) -> str:
    return str(v)


def _validate_reading(key: str, value):
    if key == "ratio":
        return None if value is None else _fraction(value, "ratio")
    if key == "party_excellent_share":
        frac = _fraction(value, "party_excellent_share")
        if frac > 1:
            raise PolicyError(f"party_excellent_share {value!r} is a share and must be at most 1")
        return frac
    if key == "base":
        if value not in BASES:
            raise PolicyError(f"base={value!r} is not one of {', '.join(BASES)}")
        return value
    if key == "rounding":
        if value not in ROUNDINGS:
            raise PolicyError(f"rounding={value!r} is not one of {', '.join(ROUNDINGS)}")
        return value
    if key == "timing":
        if value not in TIMINGS:
            raise PolicyError(f"timing={value!r} is not one of {', '.join(TIMINGS)}")
        return value
    if key == "min_one":
        if not isinstance(value, bool):
            raise PolicyError(f"min_one={value!r} must be True or False")
        return value
    if key == "scopes":
        return parse_scopes(value)
    if key == "applies_to":
        if isinstance(value, dict):
            value = value.items()
        out = []
        for col, allowed in value:
            allowed = tuple(allowed) if isinstance(allowed, (list, tuple, set, frozenset)) else (allowed,)
            out.append((str(col), allowed))
        return tuple(out)
    if key == "exceptions":
        out = []
        for e in value:
            out.append(e if isinstance(e, CapException) else CapException.make(**e))
        return tuple(out)
    raise PolicyError(f"unknown reading {key!r}")


def parse_scopes(value) -> tuple[tuple[str, ...], ...]:
    """Scopes from ``"unit_id | unit_id,task_group"`` or a list of column lists.

    >>> parse_scopes("unit_id | unit_id,task_group")
    (('unit_id',), ('unit_id', 'task_group'))
    """
    if isinstance(value, str):
        value = [[c.strip() for c in part.split(",") if c.strip()] for part in value.split("|")]
    out = []
    for scope in value:
        scope = (scope,) if isinstance(scope, str) else tuple(scope)
        if not scope:
            raise PolicyError("a scope needs at least one column")
        bad = [c for c in scope if c not in SCOPE_COLUMNS]
        if bad:
            raise PolicyError(f"scope column(s) {bad} not one of {', '.join(SCOPE_COLUMNS)}")
        out.append(scope)
    if not out:
        raise PolicyError("at least one scope is needed")
    return tuple(out)


# ---------------------------------------------------------------------- the named regimes

def _build(name: str, date=None) -> Policy:
    tree = load()
    if name == "decree-335-2025":
        day = as_date(date or "2026-01-01")
        prefix = "decree_335_2025.excellent_cap"
        refs = tuple(tree.value(f"{prefix}.{k}", day) for k in ("ratio", "base", "scopes"))
        return Policy(
            name, "Decree 335/2025: civil servants, excellent ≤ 20% of good, per unit and per task group",
            "Nghị định 335/2025: công chức, HTXSNV ≤ 20% số HTTNV trong cơ quan và nhóm nhiệm vụ tương đồng",
            refs[0].start, refs[0].value, refs[1].value, scopes=parse_scopes(refs[2].value),
            applies_to=(("population", ("civil_servant",)),), rule_id="D335-2025-CAP", references=refs,
            summary_en=("The number of civil servants rated excellent may not exceed 20% of the number rated "
                        "good, in the same agency and in each group with similar tasks (from 2026-01-01)."),
            summary_vi=("Số công chức được xếp loại hoàn thành xuất sắc nhiệm vụ không vượt quá 20% số được xếp "
                        "loại hoàn thành tốt nhiệm vụ trong cùng cơ quan, tổ chức, đơn vị và nhóm có nhiệm vụ "
                        "tương đồng (từ 01/01/2026)."))
    if name == "decree-48-2023":
        day = as_date(date or "2023-09-15")
        prefix = "decree_48_2023.excellent_cap"
        refs = tuple(tree.value(f"{prefix}.{k}", day) for k in ("base", "scopes", "exception_for_outstanding_units"))
        return Policy(
            name, "Decree 48/2023: excellent share of all staff ≤ party members' excellent share",
            "Nghị định 48/2023: tỷ lệ HTXSNV ≤ tỷ lệ đảng viên HTXSNV theo quy định của Đảng",
            refs[0].start, None, refs[0].value, scopes=parse_scopes(refs[1].value),
            applies_to=(("population", ("cadre", "civil_servant", "public_employee")),),
            ratio_from_party_share=True, rule_id="D48-2023-SHARE", references=refs,
            summary_en=("The share of cadres, civil servants and public employees rated excellent, over all staff, "
                        "may not exceed the share of party members rated excellent under Party rules, in the same "
                        "unit and in each group with similar tasks (from 2023-09-15). Give that party share."),
            summary_vi=("Tỷ lệ cán bộ, công chức, viên chức xếp loại hoàn thành xuất sắc nhiệm vụ không vượt quá "
                        "tỷ lệ đảng viên được xếp loại hoàn thành xuất sắc theo quy định của Đảng, trong cùng cơ "
                        "quan, đơn vị và nhóm có nhiệm vụ tương đồng (từ 15/9/2023)."))
    if name == "quang-ninh-2022-leaders":
        day = as_date(date or "2022-01-01")
        prefix = "quang_ninh.leaders_cap_2022"
        refs = tuple(tree.value(f"{prefix}.{k}", day) for k in ("ratio", "base", "scopes"))
        return Policy(
            name, "Quảng Ninh 2022: leaders, excellent ≤ 20% of good among equivalent titles at each level",
            "Quảng Ninh 2022: lãnh đạo, quản lý HTXSNV ≤ 20% số HTTNV theo chức danh tương đương từng cấp",
            refs[0].start, refs[0].value, refs[1].value, scopes=parse_scopes(refs[2].value),
            applies_to=(("is_leader", (True,)),), rule_id="QN-2022-LEADERS", references=refs,
            summary_en=("In Quảng Ninh, leaders and managers rated excellent may not exceed 20% of those rated "
                        "good, counted among equivalent titles at each level (from 2022; provincial text not found)."),
            summary_vi=("Tại Quảng Ninh, số cán bộ lãnh đạo, quản lý xếp loại hoàn thành xuất sắc không vượt quá "
                        "20% số hoàn thành tốt, tính theo chức danh tương đương ở từng cấp (từ năm 2022)."))
    if name == "party-guidance-21-2019":
        day = as_date(date or "2019-10-01")
        ref = tree.value("party.guidance_21_2019.excellent_cap_ratio", day)
        return Policy(
            name, "Party Guidance 21 (2019): party members, excellent ≤ 20% of good per party organisation",
            "Hướng dẫn 21-HD/BTCTW (2019): đảng viên HTXSNV ≤ 20% số HTTNV trong mỗi tổ chức cơ sở đảng",
            ref.start, ref.value, "good", scopes=(("unit_id",),),
            applies_to=(("population", ("party_member",)),), rule_id="HD21-2019-PARTY", references=(ref,),
            summary_en=("Party members rated excellent may not exceed 20% of those rated good, in each grassroots "
                        "party organisation (the unit)."),
            summary_vi=("Số đảng viên xếp loại hoàn thành xuất sắc nhiệm vụ không vượt quá 20% số đảng viên xếp "
                        "loại hoàn thành tốt nhiệm vụ ở mỗi tổ chức cơ sở đảng."))
    raise PolicyError(f"no policy named {name!r}; known: {', '.join(names())}")


_NAMES = ("decree-335-2025", "decree-48-2023", "party-guidance-21-2019", "quang-ninh-2022-leaders")


def names() -> list[str]:
    """The names of the bundled policies."""
    return sorted(_NAMES)


def list() -> list[Policy]:  # noqa: A001 - the API the issue asks for: evalkit.policies.list()
    """All bundled policies."""
    return [get(n) for n in names()]


def get(name: str | Policy, date=None, **readings) -> Policy:
    """A policy by name, with its parameters as in force on ``date`` and optional readings changed."""
    policy = name if isinstance(name, Policy) else _build(name, date)
    return policy.replace(**readings) if readings else policy
