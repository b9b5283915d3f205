"""The rating levels and the one parser that reads every real spelling of them.

Levels are an ordered pandas Categorical, best first::

    EXCELLENT < GOOD < COMPLETED < COMPLETED_LIMITED < NOT_COMPLETED < NOT_RATED

("<" means "ranks above"). ``COMPLETED_LIMITED`` is the pre-2020 Decree 56/2015 level
"Hoàn thành nhiệm vụ nhưng còn hạn chế về năng lực"; ``NOT_RATED`` is "chưa xếp loại" (under six
months worked) and is not a rating at all, so it sorts last.

Examples
--------
>>> parse_levels(["Hoàn thành xuất sắc nhiệm vụ", "H.T.T.N.V", "hoan thanh nhiem vu", "Not completed"]).tolist()
['EXCELLENT', 'GOOD', 'COMPLETED', 'NOT_COMPLETED']
>>> parse_level("xuất sắc ")
'EXCELLENT'
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

import numpy as np
import pandas as pd

EXCELLENT = "EXCELLENT"
GOOD = "GOOD"
COMPLETED = "COMPLETED"
COMPLETED_LIMITED = "COMPLETED_LIMITED"
NOT_COMPLETED = "NOT_COMPLETED"
NOT_RATED = "NOT_RATED"

#: The four levels in force since Decree 90/2020, best first.
LEVELS: tuple[str, ...] = (EXCELLENT, GOOD, COMPLETED, NOT_COMPLETED)
#: Every value a ``level`` column may hold, best first.
ALL_LEVELS: tuple[str, ...] = (EXCELLENT, GOOD, COMPLETED, COMPLETED_LIMITED, NOT_COMPLETED, NOT_RATED)
#: The ordered dtype of a ``level`` column.
LEVEL_DTYPE = pd.CategoricalDtype(list(ALL_LEVELS), ordered=True)

#: Labels used in reports.
LABELS = {
    "vi": {
        EXCELLENT: "Hoàn thành xuất sắc nhiệm vụ",
        GOOD: "Hoàn thành tốt nhiệm vụ",
        COMPLETED: "Hoàn thành nhiệm vụ",
        COMPLETED_LIMITED: "Hoàn thành nhiệm vụ nhưng còn hạn chế về năng lực",
        NOT_COMPLETED: "Không hoàn thành nhiệm vụ",
        NOT_RATED: "Chưa xếp loại",
    },
    "en": {
        EXCELLENT: "Excellent",
        GOOD: "Good",
        COMPLETED: "Completed",
        COMPLETED_LIMITED: "Completed with limited capacity",
        NOT_COMPLETED: "Not completed",
        NOT_RATED: "Not rated",
    },
}
ABBREVIATIONS = {EXCELLENT: "HTXSNV", GOOD: "HTTNV", COMPLETED: "HTNV", NOT_COMPLETED: "KHTNV"}


def fold(text: str) -> str:
    """Fold a label for matching: NFC, no diacritics, ``đ``→``d``, lower case, one space.

    >>> fold("  Hoàn  THÀNH\\u0301 ")
    'hoan thanh'
    """
    text = unicodedata.normalize("NFD", str(text))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = text.replace("đ", "d").replace("Đ", "D").lower()
    text = re.sub(r"[\s_\-–/]+", " ", text)
    return text.strip()


def match_key(text: str) -> str:
    """Folded text with dots, commas and brackets removed (abbreviations come with dots)."""
    return re.sub(r"\s+", " ", re.sub(r"[.,;:()\[\]\"']", "", fold(text))).strip()


_FOLD_SPACES = re.compile(r"[\s_\-–/]+")
_KEY_PUNCTUATION = re.compile(r"[.,;:()\[\]\"']")
_KEY_SPACES = re.compile(r"\s+")
_DOUBLE_SPACES = re.compile(" {2,}")
#: For ASCII text: what ``_FOLD_SPACES`` makes a space (ASCII spaces, ``_ - /``) and ``_KEY_PUNCTUATION`` removes.
_ASCII_KEY_TABLE = {**{c: " " for c in range(128) if chr(c).isspace() or chr(c) in "_-/"},
                    **dict.fromkeys(map(ord, ".,;:()[]\"'"))}


def match_keys(texts) -> np.ndarray:
    """:func:`match_key` of many texts at once (an object array), folded as one joined text.

    The texts are joined with NUL, which no step of the folding touches or moves a character
    across, then folded in a few passes over the whole; diacritics go by a table of the distinct
    characters present. Texts holding a NUL themselves are folded one by one.

    >>> match_keys(["Phòng Nội vụ", "PHÒNG  NỘI-VỤ", "H.T.T.N.V", ""]).tolist()
    ['phong noi vu', 'phong noi vu', 'httnv', '']
    """
    texts = [str(t) for t in texts]
    out = np.empty(len(texts), dtype=object)
    joined = "\0".join(texts)
    if not texts or joined.count("\0") != len(texts) - 1:
        out[:] = [match_key(t) for t in texts]
        return out
    joined = unicodedata.normalize("NFD", joined)
    marks = {ch for ch in set(joined) if not ch.isascii() and ch not in "đĐ"}
    if all(unicodedata.combining(ch) for ch in marks):
        # Vietnamese (and any Latin text): once the marks and đ go, the text is ASCII, and every step is
        # one pass of a table — separators to a space, punctuation out — then runs of spaces collapse
        joined = joined.replace("đ", "d").replace("Đ", "D").encode("ascii", "ignore").decode("ascii")
        joined = _DOUBLE_SPACES.sub(" ", joined.lower().translate(_ASCII_KEY_TABLE))
    else:
        table: dict[int, str | None] = {ord(ch): None for ch in marks if unicodedata.combining(ch)}
        table.update({ord("đ"): "d", ord("Đ"): "D"})
        joined = _FOLD_SPACES.sub(" ", joined.translate(table).lower())
        joined = _KEY_SPACES.sub(" ", _KEY_PUNCTUATION.sub("", joined))
    out[:] = [t.strip() for t in joined.split("\0")]
    return out


SPELLINGS: dict[str, tuple[str, ...]] = {
    EXCELLENT: (
        "hoan thanh xuat sac nhiem vu", "hoan thanh xuat sac", "xuat sac", "htxsnv", "htxs",
        "excellent", "outstanding", "excellently completed", "excellent completion",
    ),
    GOOD: (
        "hoan thanh tot nhiem vu", "hoan thanh tot", "tot", "httnv", "htt", "good", "well completed",
    ),
    COMPLETED: (
        "hoan thanh nhiem vu", "hoan thanh", "htnv", "ht", "completed", "complete", "satisfactory",
    ),
    COMPLETED_LIMITED: (
        "hoan thanh nhiem vu nhung con han che ve nang luc", "hoan thanh nhiem vu nhung han che ve nang luc",
        "hoan thanh nhiem vu con han che ve nang luc", "htnv nhung con han che ve nang luc",
        "htnv nhung han che ve nang luc", "han che ve nang luc", "completed with limited capacity",
        "completed limited",
    ),
    NOT_COMPLETED: (
        "khong hoan thanh nhiem vu", "khong hoan thanh", "khtnv", "kht", "not completed", "not complete",
        "unsatisfactory", "incomplete", "failed",
    ),
    NOT_RATED: (
        "chua xep loai", "khong xep loai", "chua danh gia", "khong danh gia", "not rated",
        "not evaluated", "unrated",
    ),
}
_LOOKUP: dict[str, str] = {}
for _code, _names in SPELLINGS.items():
    _LOOKUP[match_key(_code)] = _code  # the codes themselves: "EXCELLENT", "not_completed"
    for _name in _names:
        _LOOKUP[match_key(_name)] = _code


class LevelError(ValueError):
    """A value that is not any known spelling of a rating level."""

    def __init__(self, values: list[str]):
        self.values = values
        shown = ", ".join(repr(v) for v in values[:10])
        super().__init__(
            f"unknown rating level {shown}; expected one of "
            + ", ".join(f"{LABELS['vi'][c]!r} ({ABBREVIATIONS.get(c, c)})" for c in LEVELS)
            + " or an English word (excellent, good, completed, not completed)"
        )


def parse_level(value: object) -> str:
    """Parse one label to its level code; raise :class:`LevelError` naming it if unknown."""
    code = _LOOKUP.get(match_key(value)) if isinstance(value, str) else None
    if code is None:
        raise LevelError([value])  # type: ignore[list-item]
    return code


def level_codes(values: Iterable[object]) -> tuple[np.ndarray, np.ndarray]:
    """Map labels to codes, vectorised over unique values.

    Returns ``(codes, unknown_mask)``: ``codes`` holds the level code or ``None``.
    """
    ser = pd.Series(list(values) if not isinstance(values, pd.Series) else values, dtype=object)
    at, uniques = pd.factorize(ser, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)  # the last: a missing value
    mapped[:-1] = [_LOOKUP.get(match_key(u)) if isinstance(u, str) else None for u in uniques]
    codes = mapped[at]
    return codes, pd.isna(codes)


def parse_levels(values: Iterable[object]) -> pd.Series:
    """Parse many labels to an ordered level Categorical; raise :class:`LevelError` on any unknown."""
    ser = values if isinstance(values, pd.Series) else pd.Series(list(values), dtype=object)
    codes, unknown = level_codes(ser)
    if unknown.any():
        raise LevelError(list(dict.fromkeys(ser[unknown].tolist())))
    return pd.Series(pd.Categorical(codes, dtype=LEVEL_DTYPE), index=ser.index, name=ser.name)


def as_levels(values: Iterable[object]) -> pd.Series:
    """Return ``values`` as a level Categorical, parsing only when they are not one already."""
    if isinstance(values, pd.Series) and isinstance(values.dtype, pd.CategoricalDtype) and values.dtype == LEVEL_DTYPE:
        return values
    return parse_levels(values)


def label(code: str, lang: str = "en") -> str:
    """The report label of a level code in ``lang`` ('vi' or 'en').

    >>> label("GOOD", "vi")
    'Hoàn thành tốt nhiệm vụ'
    """
    return LABELS[lang][code]
