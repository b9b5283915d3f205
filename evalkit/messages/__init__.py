"""One message catalogue: every user-facing text is a code with parameters, rendered in vi or en.

Rules, readers and checks never build sentences: they return a code and its parameters
(:class:`Message`), and the layer that shows it to a person renders it in the report's language.
A parameter written ``{name!level}`` is a rating-level code shown by its name in that language;
``{name!kind}`` names a kind of table (``kind.<value>`` in the catalogue).

>>> render("input.level_unknown", "vi")
'mức xếp loại không hợp lệ; cần HTXSNV, HTTNV, HTNV hoặc KHTNV (có dấu, không dấu hay viết tắt đều được)'
>>> render("input.person_twice", "en", first_row=2)
'person listed twice for the same year (first at row 2)'
>>> Message("verdict.compliant").text("vi")
'ĐẠT: không nhóm nào vượt giới hạn'
"""

from __future__ import annotations

import re
import string
from fractions import Fraction
from dataclasses import dataclass, field

import numpy as np

from .. import levels as L
from .catalogue import CATALOGUE

LANGS = ("vi", "en")


class MessageError(KeyError):
    """A code missing from the catalogue, or a parameter the text needs that was not given."""


class _Formatter(string.Formatter):
    def __init__(self, lang: str):
        self.lang = lang

    def convert_field(self, value, conversion):
        if conversion == "level":
            return L.label(value, self.lang) if value in L.LABELS[self.lang] else value
        if conversion == "kind":
            return render(f"kind.{value}", self.lang)
        if conversion == "columns":  # "title_group, unit_level / unit_id" → headers, codes in parentheses
            return " / ".join(", ".join(f"{column_label(c, self.lang)} ({c})" if f"column.{c}" in CATALOGUE else c
                                        for c in scope.split(", ")) for scope in str(value).split(" / "))
        if conversion == "reading":  # a reading's code → its name in words, the code in parentheses
            code = f"reading.name.{value}"
            return f"{render(code, self.lang)} ({value})" if code in CATALOGUE else str(value)
        if conversion == "num":
            return number(value, self.lang)
        if conversion == "population":  # "civil_servant, cadre" → "công chức, cán bộ"
            return ", ".join(render(f"population.{p}", self.lang) if f"population.{p}" in CATALOGUE else p
                             for p in str(value).split(", "))
        return super().convert_field(value, conversion)

    def parse(self, format_string):
        # accept the multi-letter conversion "!level" (string.Formatter only knows one letter)
        text = _CONVERSION.sub(lambda m: f"!{_SHORT[m.group(1)]}" + m.group(2), format_string)
        for literal, name, spec, conv in super().parse(text):
            yield literal, name, spec, _LONG.get(conv, conv)


_SHORT = {"level": "l", "kind": "k", "population": "p", "columns": "c", "reading": "g", "num": "n"}
_LONG = {v: k for k, v in _SHORT.items()}
_ANY_CONVERSION = re.compile(r"!(\w+)[}:]")
_CONVERSION = re.compile(r"!(" + "|".join(_SHORT) + r")([}:])")


def _localise(value, lang: str):
    """A parameter that is itself a message (or a list of them) is rendered in the same language."""
    if isinstance(value, Message):
        return value.text(lang)
    if isinstance(value, (list, tuple)) and value and all(isinstance(v, Message) for v in value):
        return "; ".join(v.text(lang) for v in value)
    return value


def render(code: str, lang: str = "en", /, **params) -> str:
    """The text of ``code`` in ``lang`` ('vi' or 'en') with ``params`` filled in."""
    try:
        entry = CATALOGUE[code]
    except KeyError:
        raise MessageError(f"no message {code!r} in the catalogue") from None
    template = entry["vi" if lang == "vi" else "en"]
    params = {k: _localise(v, lang) for k, v in params.items()}
    try:
        return _Formatter(lang).format(template, **params)
    except KeyError as exc:
        raise MessageError(f"message {code!r} needs parameter {exc.args[0]!r}") from None


def renderer(code: str, lang: str = "en"):
    """A function ``(**params) -> text`` for ``code`` in ``lang``: ``str.format`` of the template when it
    has no ``!level``/``!kind`` conversion (fast, for one text per group of a large table), else
    :func:`render`.

    >>> renderer("input.person_twice", "en")(first_row=2)
    'person listed twice for the same year (first at row 2)'
    """
    try:
        template = CATALOGUE[code]["vi" if lang == "vi" else "en"]
    except KeyError:
        raise MessageError(f"no message {code!r} in the catalogue") from None
    if "!" in template:
        conversions = set(_ANY_CONVERSION.findall(template))
        if conversions == {"num"}:  # numbers only: still one str.format per text
            plain, nums = template.replace("!num}", "}"), tuple(set(re.findall(r"\{(\w+)!num\}", template)))

            def fill(**params):  # params is this call's own dict: the numbers are written into it
                for k in nums:
                    if k in params:
                        params[k] = number(params[k], lang)
                return plain.format(**params)
            return fill
        return lambda **params: render(code, lang, **params)
    return template.format


@dataclass(frozen=True)
class Message:
    """A code and its parameters: rendered only when a person reads it."""

    code: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return render(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.text("en")


class LocalisedError(ValueError):
    """An error that carries a catalogue :class:`Message`: ``str(exc)`` is English (for Python users),
    ``exc.text(lang)`` is what the command line and web page show.

    >>> exc = LocalisedError(Message("input.person_twice", {"first_row": 2}))
    >>> str(exc), exc.text("vi") == render("input.person_twice", "vi", first_row=2)
    ('person listed twice for the same year (first at row 2)', True)
    """

    def __init__(self, message: "Message | str"):
        self.message = message if isinstance(message, Message) else None
        super().__init__(message.text("en") if isinstance(message, Message) else message)

    def text(self, lang: str = "en") -> str:
        return self.message.text(lang) if self.message is not None else str(self)


_INSTRUMENTS_VI = (("Decree ", "Nghị định "), ("Resolution ", "Nghị quyết "), ("Circular ", "Thông tư "),
                   ("Regulation ", "Quy định "), ("Guidance ", "Hướng dẫn "), ("Conclusion ", "Kết luận "),
                   ("Law on Cadres and Civil Servants ", "Luật Cán bộ, công chức "),
                   ("Law on Public Employees ", "Luật Viên chức "), ("Law ", "Luật "),
                   ("Quảng Ninh provincial practice (provincial text not found)",
                    "thực tiễn tỉnh Quảng Ninh (chưa tìm thấy văn bản của tỉnh)"),
                   ("Quảng Ninh provincial practice", "thực tiễn tỉnh Quảng Ninh"),
                   ("evalkit default reading", "cách hiểu mặc định của evalkit"))
_ISSUED = re.compile(r"\(issued (\d{4})-(\d{2})-(\d{2})\)")
_ARTICLE = re.compile(r"^(?:new )?(?:Art\. ?(\d+))?,? ?(?:(?:new )?cl\. ?(\d+))?(?:\(([a-zđ])\)| point ([a-zđ]))?(.*)$")

_AMENDS = re.compile(r"^Art\. ?(\d+), new cl\. ?(\d+) of Art\. ?(\d+) of Decree (\S+)$")


def cite(reference, lang: str = "en", status: str | None = None) -> str:
    """A citation as an official letter quotes it: ``Điều 20 khoản 5 điểm a Nghị định 335/2025/NĐ-CP``
    (vi) or ``Decree 335/2025/NĐ-CP, Art. 20 cl. 5(a)`` (en), with the source status in words if given.

    >>> from types import SimpleNamespace as R
    >>> ref = R(instrument="Decree 335/2025/NĐ-CP", article="Art. 20 cl. 5(a)")
    >>> cite(ref, "vi")
    'Điều 20 khoản 5 điểm a Nghị định 335/2025/NĐ-CP'
    >>> cite(ref, "en", "confirmed")
    'Decree 335/2025/NĐ-CP, Art. 20 cl. 5(a) (confirmed by two or more sources)'
    """
    instrument, article = str(reference.instrument), (reference.article or "").strip()
    if lang == "vi":
        for en, vi in _INSTRUMENTS_VI:
            instrument = instrument.replace(en, vi)
        instrument = _ISSUED.sub(lambda m: f"(ban hành ngày {m.group(3)}/{m.group(2)}/{m.group(1)})", instrument)
        amend = _AMENDS.match(article)
        if amend:
            a, c, a2, other = amend.groups()
            text = f"Điều {a} {instrument} (bổ sung khoản {c} Điều {a2} Nghị định {other})"
            return text + (f" ({render(f'status.{status}', lang)})" if status else "")
        m = _ARTICLE.match(article) if article else None
        parts = []
        if m and (m.group(1) or m.group(2)) and not m.group(5).strip():
            if m.group(1):
                parts.append(f"Điều {m.group(1)}")
            if m.group(2):
                parts.append(f"khoản {m.group(2)}")
            if m.group(3) or m.group(4):
                parts.append(f"điểm {m.group(3) or m.group(4)}")
        text = " ".join(parts + [instrument])  # an article we cannot put in Vietnamese words is left out
    else:
        text = ", ".join(x for x in (instrument, article) if x)
    if status:
        text += f" ({render(f'status.{status}', lang)})"
    return text


def percent(ratio, lang: str = "en") -> str:
    """A ratio as a percentage: ``1/5`` → ``20%``; ``1/3`` → ``33.33%`` (``33,33%`` in vi).

    >>> percent("1/5"), percent("1/3", "vi")
    ('20%', '33,33%')
    """
    value = Fraction(str(ratio)) * 100
    text = str(int(value)) if value.denominator == 1 else f"{float(value):.2f}"
    return (text.replace(".", ",") if lang == "vi" else text) + "%"


def date_text(day, lang: str = "en") -> str:
    """A date as written in the language: ``01/01/2026`` in Vietnamese, ``2026-01-01`` in English; no date
    (an open end) is ``nay`` ("now") or ``(no end date)``.

    >>> import datetime as dt
    >>> date_text(dt.date(2026, 1, 1), "vi"), date_text(dt.date(2026, 1, 1), "en"), date_text(None, "vi")
    ('01/01/2026', '2026-01-01', 'nay')
    """
    if day is None:
        return render("word.open_end", lang)
    if not hasattr(day, "strftime"):
        return str(day)
    return day.strftime("%d/%m/%Y") if lang == "vi" else day.isoformat()


def number(value, lang: str = "en") -> str:
    """A number as written in running text: ``1,600`` and ``88.5`` in English, ``1.600`` and ``88,5`` in
    Vietnamese. Whole numbers lose a trailing ``.0``; text that is not a number is left as it is.

    >>> number(88.5, "vi"), number(1600, "vi"), number(1234567.25, "en"), number("91", "vi"), number("—", "vi")
    ('88,5', '1.600', '1,234,567.25', '91', '—')
    """
    if type(value) is int or isinstance(value, np.integer):  # the common case, without a Fraction
        text = f"{int(value):,}"
        return text.replace(",", ".") if lang == "vi" else text
    if isinstance(value, bool):
        return str(value)
    try:
        x = Fraction(str(value).strip()) if isinstance(value, str) else Fraction(value)
    except (TypeError, ValueError, ZeroDivisionError, OverflowError):
        return str(value)
    if x.denominator == 1:
        text = f"{int(x):,}"
    elif isinstance(value, Fraction) and not _is_decimal(x):
        return f"{x.numerator}/{x.denominator}"
    else:
        text = f"{float(value) if not isinstance(value, str) else float(x):,.10f}".rstrip("0").rstrip(".")
    if lang == "vi":
        text = text.replace(",", "\0").replace(".", ",").replace("\0", ".")
    return text


def _is_decimal(x: Fraction) -> bool:
    d = x.denominator
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def label(name: str, lang: str = "en", /, **params) -> str:
    """A report label (``label.<name>`` in the catalogue)."""
    return render(f"label.{name}", lang, **params)


def column_label(name: str, lang: str = "en") -> str:
    """A column header (``column.<name>``); a column the catalogue does not know keeps its own name."""
    try:
        return _COLUMN_LABELS[name, lang]
    except (KeyError, TypeError):  # TypeError: a name that is no dict key
        code = f"column.{name}"
        text = render(code, lang) if code in CATALOGUE else name
    if isinstance(name, str) and isinstance(lang, str):
        _COLUMN_LABELS[name, lang] = text
    return text


#: Column headers rendered once (the catalogue does not change while the program runs).
_COLUMN_LABELS: dict[tuple[str, str], str] = {}


def column_labels(lang: str = "en") -> dict[str, str]:
    """Every known column's header in ``lang``: a mapping for ``DataFrame.rename(columns=…)``."""
    return {code[len("column."):]: render(code, lang) for code in CATALOGUE if code.startswith("column.")}


def yes_no(lang: str = "en") -> tuple[str, str]:
    """The words for True and False in ``lang``."""
    return render("label.yes", lang), render("label.no", lang)


__all__ = ["CATALOGUE", "LANGS", "LocalisedError", "Message", "MessageError", "cite", "column_label", "column_labels",
           "date_text", "label", "number", "percent",
           "render", "renderer", "yes_no"]
