"""The parameter tree: every number taken from a legal text, dated and cited.

Each YAML file under ``evalkit/params/`` holds one provision. Its layout::

    description: …            # English
    description_vi: …         # Vietnamese
    reference: {instrument: …, article: …, url: …}
    status: confirmed | single | to_verify | default   # default: an evalkit reading, no text says it
    parameters:
      ratio:
        description: …
        unit: fraction | count | points | months | share | rate | bool | text
        values:
          2026-01-01: "1/5"                      # a value in force from that date
          2027-01-01: {value: "1/4", status: to_verify, reference: {…}}   # with its own citation
          2030-01-01: null                       # the provision ends

A parameter's name is its path: ``decree_335_2025.excellent_cap.ratio``. Loading is strict:
unknown keys, duplicate keys, bad dates and bad values are errors naming the file.

Examples
--------
>>> tree = load()
>>> v = tree.value("decree_335_2025.excellent_cap.ratio", "2026-03-01")
>>> v.value, v.reference.instrument
(Fraction(1, 5), 'Decree 335/2025/NĐ-CP')
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import yaml

PARAMS_DIR = Path(__file__).parent / "params"
#: The sub-folder of the tree that declares the named policies (not parameters).
POLICIES_SUBDIR = "policies"
STATUSES = ("confirmed", "single", "to_verify", "default")  # default: an evalkit reading, not a text
UNITS = ("fraction", "count", "points", "months", "share", "rate", "bool", "text", "year")
_FILE_KEYS = {"description", "description_vi", "reference", "status", "parameters"}
_PARAM_KEYS = {"description", "description_vi", "unit", "values", "reference", "status"}
_VALUE_KEYS = {"value", "reference", "status", "note"}
_REF_KEYS = {"instrument", "article", "url", "note"}


class ParameterError(ValueError):
    """A parameter file that breaks the layout, or a value asked for where none is in force."""


class NotInForce(ParameterError):
    """No value of the parameter is in force on the date asked."""


@dataclass(frozen=True)
class Reference:
    instrument: str
    article: str | None = None
    url: str | None = None
    note: str | None = None

    def __str__(self) -> str:
        return ", ".join(x for x in (self.instrument, self.article) if x) + (f" <{self.url}>" if self.url else "")


@dataclass(frozen=True)
class ParameterValue:
    """One value of a parameter with the date it took effect and its source."""

    name: str
    value: object
    start: dt.date
    reference: Reference
    status: str
    file: str


@dataclass(frozen=True)
class Parameter:
    name: str
    description: str
    description_vi: str | None
    unit: str
    values: tuple[ParameterValue | tuple[dt.date, None], ...]  # sorted by start

    def at(self, date) -> ParameterValue:
        """The value in force on ``date`` (a date, 'YYYY-MM-DD', or a year meaning 31 December)."""
        day = as_date(date)
        current = None
        for item in self.values:
            start = item.start if isinstance(item, ParameterValue) else item[0]
            if start <= day:
                current = item
        first = self.values[0]
        if current is None:
            raise NotInForce(f"{self.name} did not exist on {day}: first in force "
                             f"{first.start if isinstance(first, ParameterValue) else first[0]}")
        if not isinstance(current, ParameterValue):
            raise NotInForce(f"{self.name} ended on {current[0]} (no value on {day})")
        return current


def as_date(value) -> dt.date:
    """Read a date; an int year means the end of that assessment year (31 December).

    >>> as_date(2026), as_date("2023-09-15")
    (datetime.date(2026, 12, 31), datetime.date(2023, 9, 15))
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int):
        return dt.date(value, 12, 31)
    if isinstance(value, str):
        return dt.date.fromisoformat(value)
    raise ParameterError(f"not a date: {value!r}")


#: libyaml's parser where it is installed (the same documents, several times faster), else PyYAML's own.
_SafeLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeLoader):  # type: ignore[valid-type, misc]
    pass


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise ParameterError(f"duplicate key {key!r} at line {key_node.start_mark.line + 1}")
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _convert(value, unit: str, where: str):
    if value is None:
        return None
    if unit == "fraction" or unit == "share":
        try:
            frac = Fraction(str(value))
        except (ValueError, ZeroDivisionError):
            raise ParameterError(f"{where}: {value!r} is not an exact fraction such as '1/5'") from None
        if isinstance(value, float):
            raise ParameterError(f"{where}: write {value!r} as an exact fraction string such as '1/5'")
        return frac
    if unit in ("count", "months", "year"):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ParameterError(f"{where}: {value!r} must be a whole number")
        return value
    if unit in ("points", "rate"):
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ParameterError(f"{where}: write {value!r} as an integer or an exact decimal string")
        return Fraction(str(value))
    if unit == "bool":
        if not isinstance(value, bool):
            raise ParameterError(f"{where}: {value!r} must be true or false")
        return value
    return value


def _reference(raw, where: str) -> Reference:
    if not isinstance(raw, dict) or raw.get("instrument") is None:
        raise ParameterError(f"{where}: a reference needs at least an 'instrument'")
    unknown = set(raw) - _REF_KEYS
    if unknown:
        raise ParameterError(f"{where}: unknown reference keys {sorted(unknown)}")

    def text(key: str) -> str | None:
        return None if raw.get(key) is None else str(raw[key])

    return Reference(str(raw["instrument"]), text("article"), text("url"), text("note"))


def load_file(path: Path, root: Path = PARAMS_DIR) -> dict[str, Parameter]:
    """Load one provision file strictly."""
    rel = path.relative_to(root).with_suffix("")
    prefix = ".".join(rel.parts)
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_StrictLoader)
    except ParameterError as exc:
        raise ParameterError(f"{path}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ParameterError(f"{path}: not valid YAML: {exc}") from None
    except ValueError as exc:  # e.g. a date key such as 2020-13-01
        raise ParameterError(f"{path}: not a date or value: {exc}") from None
    if not isinstance(data, dict):
        raise ParameterError(f"{path}: expected a mapping at the top")
    unknown = set(data) - _FILE_KEYS
    if unknown:
        raise ParameterError(f"{path}: unknown keys {sorted(unknown)}; allowed {sorted(_FILE_KEYS)}")
    for key in ("description", "reference", "status", "parameters"):
        if key not in data:
            raise ParameterError(f"{path}: missing {key!r}")
    file_ref = _reference(data["reference"], str(path))
    file_status = data["status"]
    if file_status not in STATUSES:
        raise ParameterError(f"{path}: status {file_status!r} not one of {STATUSES}")
    out = {}
    for pname, pdata in data["parameters"].items():
        where = f"{path}: parameter {pname!r}"
        if not isinstance(pdata, dict):
            raise ParameterError(f"{where}: expected a mapping")
        unknown = set(pdata) - _PARAM_KEYS
        if unknown:
            raise ParameterError(f"{where}: unknown keys {sorted(unknown)}; allowed {sorted(_PARAM_KEYS)}")
        unit = pdata.get("unit", "text")
        if unit not in UNITS:
            raise ParameterError(f"{where}: unit {unit!r} not one of {UNITS}")
        p_ref = _reference(pdata["reference"], where) if "reference" in pdata else file_ref
        p_status = pdata.get("status", file_status)
        values: list[ParameterValue | tuple[dt.date, None]] = []
        if not isinstance(pdata.get("values"), dict) or not pdata["values"]:
            raise ParameterError(f"{where}: 'values' must map start dates to values")
        for start, item in pdata["values"].items():
            if not isinstance(start, dt.date) or isinstance(start, dt.datetime):
                raise ParameterError(f"{where}: {start!r} is not a date (write YYYY-MM-DD)")
            vwhere = f"{where} at {start}"
            if item is None:
                values.append((start, None))
                continue
            ref, status = p_ref, p_status
            if isinstance(item, dict):
                unknown = set(item) - _VALUE_KEYS
                if unknown or "value" not in item:
                    raise ParameterError(f"{vwhere}: a value mapping needs 'value' and may have "
                                         f"{sorted(_VALUE_KEYS - {'value'})}; got {sorted(item)}")
                ref = _reference(item["reference"], vwhere) if "reference" in item else ref
                status = item.get("status", status)
                item = item["value"]
            if status not in STATUSES:
                raise ParameterError(f"{vwhere}: status {status!r} not one of {STATUSES}")
            values.append(ParameterValue(f"{prefix}.{pname}", _convert(item, unit, vwhere), start, ref, status,
                                         str(path.relative_to(root))))
        values.sort(key=lambda v: v.start if isinstance(v, ParameterValue) else v[0])
        out[f"{prefix}.{pname}"] = Parameter(f"{prefix}.{pname}", str(pdata.get("description", "")),
                                             pdata.get("description_vi"), unit, tuple(values))
    return out


class ParameterTree:
    """All parameters by dotted name."""

    def __init__(self, parameters: dict[str, Parameter]):
        self.parameters = parameters

    def __getitem__(self, name: str) -> Parameter:
        try:
            return self.parameters[name]
        except KeyError:
            raise ParameterError(f"no parameter {name!r}") from None

    def __contains__(self, name: str) -> bool:
        return name in self.parameters

    def names(self) -> list[str]:
        return sorted(self.parameters)

    def value(self, name: str, date) -> ParameterValue:
        return self[name].at(date)

    def get(self, name: str, date):
        """The bare value of ``name`` in force on ``date``."""
        return self.value(name, date).value

    def first(self, name: str) -> ParameterValue:
        """The first value ``name`` ever had (for a provision read as of its own date, with no literal date in code).

        >>> load().first("resolution_39_2015.recruitment.payroll_cut_target").start
        datetime.date(2015, 4, 17)
        """
        return next(v for v in self[name].values if isinstance(v, ParameterValue))

    def in_force(self, date) -> dict[str, ParameterValue]:
        """Every parameter with a value in force on ``date``."""
        out = {}
        for name, p in self.parameters.items():
            try:
                out[name] = p.at(date)
            except NotInForce:
                pass
        return out


def load(root: Path | str | None = None) -> ParameterTree:
    """Load the whole tree (cached for the bundled tree)."""
    if root is None:
        return _load_bundled()
    return _load(Path(root))


@lru_cache(maxsize=1)
def _load_bundled() -> ParameterTree:
    return _load(PARAMS_DIR)


def load_bundled_clear() -> None:
    """Forget the cached bundled tree (e.g. after an amendment is added to a YAML file)."""
    _load_bundled.cache_clear()


def _load(root: Path) -> ParameterTree:
    params: dict[str, Parameter] = {}
    for path in sorted(root.rglob("*.yaml")):
        if path.relative_to(root).parts[0] == POLICIES_SUBDIR:  # named policies, read by evalkit.policies
            continue
        params.update(load_file(path, root))
    return ParameterTree(params)
