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

import string
from dataclasses import dataclass, field

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
        return super().convert_field(value, conversion)

    def parse(self, format_string):
        # accept the multi-letter conversion "!level" (string.Formatter only knows one letter)
        text = format_string.replace("!level}", "!l}").replace("!kind}", "!k}")
        for literal, name, spec, conv in super().parse(text):
            yield literal, name, spec, {"l": "level", "k": "kind"}.get(conv, conv)


def render(code: str, lang: str = "en", /, **params) -> str:
    """The text of ``code`` in ``lang`` ('vi' or 'en') with ``params`` filled in."""
    try:
        entry = CATALOGUE[code]
    except KeyError:
        raise MessageError(f"no message {code!r} in the catalogue") from None
    template = entry["vi" if lang == "vi" else "en"]
    try:
        return _Formatter(lang).format(template, **params)
    except KeyError as exc:
        raise MessageError(f"message {code!r} needs parameter {exc.args[0]!r}") from None


@dataclass(frozen=True)
class Message:
    """A code and its parameters: rendered only when a person reads it."""

    code: str
    params: dict = field(default_factory=dict)

    def text(self, lang: str = "en") -> str:
        return render(self.code, lang, **self.params)

    def __str__(self) -> str:
        return self.text("en")


def label(name: str, lang: str = "en", /, **params) -> str:
    """A report label (``label.<name>`` in the catalogue)."""
    return render(f"label.{name}", lang, **params)


def column_label(name: str, lang: str = "en") -> str:
    """A column header (``column.<name>``); a column the catalogue does not know keeps its own name."""
    code = f"column.{name}"
    return render(code, lang) if code in CATALOGUE else name


def column_labels(lang: str = "en") -> dict[str, str]:
    """Every known column's header in ``lang``: a mapping for ``DataFrame.rename(columns=…)``."""
    return {code[len("column."):]: render(code, lang) for code in CATALOGUE if code.startswith("column.")}


def yes_no(lang: str = "en") -> tuple[str, str]:
    """The words for True and False in ``lang``."""
    return render("label.yes", lang), render("label.no", lang)


__all__ = ["CATALOGUE", "LANGS", "Message", "MessageError", "column_label", "column_labels", "label", "render",
           "yes_no"]
