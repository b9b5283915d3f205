"""A text column written only when someone reads it: the ``reason`` of :func:`evalkit.enforce_cap`.

A national roster has hundreds of thousands of demotions; writing a sentence for each costs more
than choosing them. :class:`LazyText` holds, per row, a number into a list of texts that is made
the first time any of them is read (shown, compared, converted, written) and then kept. Rows with
no text read as ``""``. To get plain text: ``final["reason"].astype(str)``.

>>> made = []
>>> col = LazyText.from_maker(lambda: made.append(1) or ["first", "second"], np.array([-1, 0, -1, 1]))
>>> made, len(col)
([], 4)
>>> col[3], made
('second', [1])
>>> pd.Series(col).tolist()
['', 'first', '', 'second']
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from pandas.api.extensions import ExtensionArray, ExtensionDtype, take
from pandas.api.indexers import check_array_indexer
from pandas.api.types import is_integer, pandas_dtype

EMPTY, MISSING = -1, -2


class LazyTextDtype(ExtensionDtype):
    """The dtype of :class:`LazyText`: text, made on first read."""

    name = "lazytext"
    type = str
    kind = "O"
    na_value = np.nan

    @classmethod
    def construct_array_type(cls):
        return LazyText


class _Texts:
    """Texts made by ``make()`` the first time they are needed, then kept (and pickled as made)."""

    def __init__(self, make: Callable[[], Sequence[str] | np.ndarray] | None = None, values: np.ndarray | None = None):
        self._make, self._values = make, values

    def values(self) -> np.ndarray:
        if self._values is None:
            assert self._make is not None
            self._values = np.asarray(self._make(), dtype=object)
            self._make = None
        return self._values

    def __reduce__(self):
        return (_Texts, (None, self.values()))


class LazyText(ExtensionArray):
    """Per row an index into texts made on first read; ``-1`` is the empty text, ``-2`` a missing value."""

    def __init__(self, texts: _Texts, ids: np.ndarray):
        self._texts = texts
        self._ids = np.asarray(ids, dtype=np.int64)

    @classmethod
    def from_maker(cls, make: Callable[[], Sequence[str] | np.ndarray], ids: np.ndarray) -> "LazyText":
        """Rows ``ids`` (−1: empty) into the texts ``make()`` will return when first read."""
        return cls(_Texts(make), ids)

    # -- reading -------------------------------------------------------------------------
    def render(self) -> np.ndarray:
        """The texts of every row as an object array (made now if not yet)."""
        out = np.full(len(self._ids), "", dtype=object)
        has = self._ids >= 0
        if has.any():
            out[has] = self._texts.values()[self._ids[has]]
        out[self._ids == MISSING] = np.nan
        return out

    def __array__(self, dtype=None, copy=None):
        values = self.render()
        return values if dtype is None else values.astype(dtype)

    def __iter__(self):
        return iter(self.render())

    def __getitem__(self, item):
        if is_integer(item):
            i = self._ids[item]
            return "" if i == EMPTY else (self.dtype.na_value if i == MISSING else self._texts.values()[i])
        if isinstance(item, tuple) and len(item) == 1:
            item = item[0]
        item = check_array_indexer(self, item) if not isinstance(item, slice) else item
        return LazyText(self._texts, self._ids[item])

    def astype(self, dtype, copy=True):
        dtype = pandas_dtype(dtype)
        if isinstance(dtype, LazyTextDtype):
            return self.copy() if copy else self
        if isinstance(dtype, ExtensionDtype):
            return dtype.construct_array_type()._from_sequence(self.render(), dtype=dtype, copy=False)
        return self.render().astype(dtype)

    # -- the ExtensionArray protocol -----------------------------------------------------
    @property
    def dtype(self) -> LazyTextDtype:
        return LazyTextDtype()

    def __len__(self) -> int:
        return len(self._ids)

    @property
    def nbytes(self) -> int:
        return self._ids.nbytes

    def isna(self) -> np.ndarray:
        return self._ids == MISSING

    def take(self, indices, allow_fill=False, fill_value=None):
        fill = EMPTY if isinstance(fill_value, str) and fill_value == "" else MISSING
        return LazyText(self._texts, take(self._ids, indices, allow_fill=allow_fill, fill_value=fill))

    def copy(self):
        return LazyText(self._texts, self._ids.copy())

    @classmethod
    def _from_sequence(cls, scalars, *, dtype=None, copy=False):
        values = np.empty(len(scalars), dtype=object)
        values[:] = list(scalars)
        ids = np.arange(len(values), dtype=np.int64)
        ids[pd.isna(values)] = MISSING
        return cls(_Texts(values=values), ids)

    @classmethod
    def _from_factorized(cls, values, original):
        return cls._from_sequence(values)

    def _values_for_factorize(self):
        return self.render(), np.nan

    def _values_for_argsort(self):
        return self.render()

    @classmethod
    def _concat_same_type(cls, to_concat):
        first = to_concat[0]._texts
        if all(a._texts is first for a in to_concat):
            return cls(first, np.concatenate([a._ids for a in to_concat]))
        return cls._from_sequence(np.concatenate([a.render() for a in to_concat]))

    def __setitem__(self, key, value):
        values = self.render()
        values[key] = value.render() if isinstance(value, LazyText) else value
        self._texts = _Texts(values=values)
        self._ids = np.arange(len(values), dtype=np.int64)
        self._ids[pd.isna(values)] = MISSING

    def _compare(self, other, op):
        if isinstance(other, (pd.Series, pd.Index, pd.DataFrame)):
            return NotImplemented
        if isinstance(other, LazyText):
            other = other.render()
        return op(self.render(), other)

    def __eq__(self, other):  # type: ignore[override]
        return self._compare(other, operator.eq)

    def __ne__(self, other):  # type: ignore[override]
        return self._compare(other, operator.ne)
