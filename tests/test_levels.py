import unicodedata

import pandas as pd
import pytest
from hypothesis import given, strategies as st

from evalkit import levels as L

# every spelling the rulebook (docs/rules/) names, and the variants real files carry
SPELLINGS = {
    "EXCELLENT": ["Hoàn thành xuất sắc nhiệm vụ", "HTXSNV", "H.T.X.S.N.V", "htxsnv.", "hoan thanh xuat sac nhiem vu",
                  "Excellent", "outstanding", "Xuất sắc"],
    "GOOD": ["Hoàn thành tốt nhiệm vụ", "HTTNV", "H.T.T.N.V", "hoan thanh tot nhiem vu", "good", "GOOD"],
    "COMPLETED": ["Hoàn thành nhiệm vụ", "HTNV", "hoàn thành nhiệm vụ", "completed", "satisfactory"],
    "NOT_COMPLETED": ["Không hoàn thành nhiệm vụ", "KHTNV", "K.H.T.N.V", "khong hoan thanh nhiem vu",
                      "not completed", "unsatisfactory", "NOT_COMPLETED"],
    "COMPLETED_LIMITED": ["Hoàn thành nhiệm vụ nhưng còn hạn chế về năng lực", "completed with limited capacity"],
    "NOT_RATED": ["Chưa xếp loại", "không xếp loại", "not rated"],
}


@pytest.mark.parametrize("code,text", [(c, t) for c, ts in SPELLINGS.items() for t in ts])
def test_every_spelling_parses(code, text):
    assert L.parse_level(text) == code
    assert L.parse_level(unicodedata.normalize("NFD", text)) == code
    assert L.parse_level(f"  {text.upper()}  ") == code


@pytest.mark.parametrize("bad", ["Giỏi", "Khá", "HTXS NV X", "excellentt", "", "5"])
def test_unknown_value_is_named(bad):
    with pytest.raises(L.LevelError) as err:
        L.parse_level(bad)
    assert repr(bad) in str(err.value)


def test_parse_levels_names_every_unknown_once():
    with pytest.raises(L.LevelError) as err:
        L.parse_levels(["HTXSNV", "Giỏi", "Khá", "Giỏi"])
    assert err.value.values == ["Giỏi", "Khá"]


def test_order_best_first():
    s = L.parse_levels(["HTNV", "HTXSNV", "KHTNV", "HTTNV"])
    assert s.sort_values().tolist() == ["EXCELLENT", "GOOD", "COMPLETED", "NOT_COMPLETED"]
    assert s.dtype == L.LEVEL_DTYPE and s.dtype.ordered


@given(st.sampled_from([t for ts in SPELLINGS.values() for t in ts]),
       st.lists(st.sampled_from(["upper", "lower", "nfd", "pad", "double"]), max_size=4))
def test_case_spacing_and_normal_forms_do_not_matter(text, ops):
    expected = L.parse_level(text)
    for op in ops:
        text = {"upper": str.upper, "lower": str.lower, "nfd": lambda t: unicodedata.normalize("NFD", t),
                "pad": lambda t: f" \t{t} ", "double": lambda t: t.replace(" ", "  ")}[op](text)
    assert L.parse_level(text) == expected


def test_labels_round_trip():
    for lang in ("vi", "en"):
        for code in L.LEVELS:
            assert L.parse_level(L.label(code, lang)) == code
    assert pd.Series(L.LEVELS).map(L.ABBREVIATIONS).map(L.parse_level).tolist() == list(L.LEVELS)
