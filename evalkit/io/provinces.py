"""Provinces before and after the 2025 arrangement: 63 former provincial units → 34 current ones.

From 2025-07-01 Vietnam has 34 provincial units and no district level. Data from before uses the
63 former provinces; :func:`to_34` maps a former name to the current unit so series can be compared
across the change (``resources/published/province_crosswalk_63_34.csv``, with its sources).

>>> to_34(["Hà Giang", "Hoà Bình", "Bà Rịa – Vũng Tàu", "Quảng Ninh", "Thừa Thiên Huế"]).tolist()
['Tuyên Quang', 'Phú Thọ', 'TP. Hồ Chí Minh', 'Quảng Ninh', 'Huế']
>>> crosswalk().groupby("province_34").size().max(), crosswalk()["province_34"].nunique()
(np.int64(3), 34)
"""

from __future__ import annotations

import re
from functools import lru_cache

import pandas as pd

from .. import levels as L
from ..resources import published

CROSSWALK_FILE = "province_crosswalk_63_34.csv"


@lru_cache(maxsize=1)
def crosswalk() -> pd.DataFrame:
    """The 63 → 34 table: ``province_63, province_34, change, source, status``."""
    return pd.read_csv(published(CROSSWALK_FILE), dtype=str)


def _key(name) -> str:
    text = re.sub(r"[\s\-–—.]+", " ", str(name)).strip()
    text = text.replace("Hoà", "Hòa").replace("hoà", "hòa")
    key = L.match_key(text)
    return re.sub(r"^(tp|thanh pho|tinh) ", "", key)


def to_34(names) -> pd.Series:
    """The current (34-unit) province of each former province name; a name not in the table stays missing.

    Names are matched without diacritics, case, punctuation or a leading "TP."/"tỉnh"; a current
    name maps to itself.
    """
    cw = crosswalk()
    lookup = {_key(a): b for a, b in zip(cw["province_63"], cw["province_34"], strict=True)}
    lookup.update({_key(b): b for b in cw["province_34"]})
    s = pd.Series(list(names) if not isinstance(names, pd.Series) else names)
    return s.map(lambda v: lookup.get(_key(v)) if pd.notna(v) else None)
