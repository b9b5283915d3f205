"""The readers' fast paths give what the obvious slow ones give, cell for cell.

Each vectorised path (a CSV checked clean once per file, match keys of many names at once, whole-cell
patterns over joined text, problems recorded as arrays) is compared with the plain one it replaces
on generated inputs full of the characters that make reading hard: spaces of every kind, invisible
characters, decomposed accents, quotes, delimiters and line breaks inside cells.
"""

from __future__ import annotations

import csv
import io
import re
import sys
import unicodedata

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit import levels as L
from evalkit.io import Problems
from evalkit.io.tables import _WHITESPACE, _cell_text, _text_frame, fullmatches, load_raw

# characters that make cleaning matter, and plain ones
TRICKY = [" ", "\t", "\u00a0", "\u2007", "\u202f", "\u200b", "\u00ad", "\ufeff", "\u1680", "\u3000", "\x0b",
          "\x1f", "\u0301", "\u0300", "\u0323", "e", "E", "a", "Ă", "ơ", "đ", "Đ", "1", "0", ".", "–", "-", "/",
          "Σ", "İ", "x", "Nội", "vụ", "(", "'"]
STRUCTURE = [",", ";", '"', "\n", "\r\n", "\r"]


def strings(alphabet, max_size):
    """Texts made of pieces (letters, marks, whole syllables)."""
    return st.lists(st.sampled_from(alphabet), max_size=max_size).map("".join)


def slow_cells(text: str) -> pd.DataFrame:
    """Cells as the reader made them before the fast path: sniff, parse the text, clean every cell."""
    try:
        delimiter = csv.Sniffer().sniff("\n".join(text.splitlines()[:50]), delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    cells = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, skip_blank_lines=False,
                        sep=delimiter, engine="c")
    return _text_frame(cells.astype(object))


def test_whitespace_list_is_every_space_character():
    every = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() or re.match(r"\s", chr(c))}
    assert every - {" "} == set(_WHITESPACE)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(strings(TRICKY + STRUCTURE, 6), min_size=1, max_size=4),
                      min_size=1, max_size=6),
       quoting=st.sampled_from(["minimal", "all", "none"]), crlf=st.booleans(), trailing=st.booleans(),
       delimiter=st.sampled_from([",", ";", "\t"]))
def test_csv_cells_are_those_of_the_cell_by_cell_cleaning(tmp_path, cells, quoting, crlf, trailing, delimiter):
    def field(v):  # "none": quotes, delimiters and line breaks left bare, as a careless program writes them
        if quoting == "all" or quoting == "minimal" and any(c in v for c in (delimiter, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v
    # a header row the sniffer settles on, then the generated rows (ragged: short rows have missing cells)
    lines = [delimiter.join(["Mã CB", "Đơn vị", "Xếp loại", "Ghi chú"])] + [delimiter.join(map(field, r)) for r in cells]
    text = ("\r\n" if crlf else "\n").join(lines) + ("\n" if trailing else "")
    path = tmp_path / "roster.csv"
    path.write_bytes(text.encode("utf-8"))
    try:
        expected = slow_cells(text)
    except (pd.errors.ParserError, pd.errors.EmptyDataError):
        return
    got = load_raw(path).cells
    assert got.shape == expected.shape
    assert got.to_numpy(dtype=object).tolist() == expected.to_numpy(dtype=object).tolist()


@pytest.mark.parametrize("text", [
    "Mã CB,Đơn vị\nA1, Phòng A\n",            # a space after the delimiter
    "Mã CB,Đơn vị\nA1,Phòng  A\n",            # a doubled space
    "Mã CB,Đơn vị\nA1,Phòng\u00a0A\n",        # a no-break space
    "Mã CB,Đơn vị\nA1,Pho\u0300ng A\n",       # a decomposed accent (not NFC)
    'Mã CB,Đơn vị\nA1,"Phòng\nA"\n',          # a line break inside a quoted cell
    'Mã CB,Đơn vị\nA1,"Phòng A "\n',          # a space before a closing quote
    'Mã CB,Đơn vị\r\nA1,"Phòng\rA"\r\n',      # a lone carriage return in a cell
    "Mã CB,Đơn vị\nA1,Phòng\u200bA\n",        # an invisible character
])
def test_every_kind_of_unclean_cell_is_cleaned(tmp_path, text):
    path = tmp_path / "r.csv"
    path.write_bytes(text.encode("utf-8"))
    got = load_raw(path).cells.to_numpy(dtype=object).tolist()
    assert got == slow_cells(text).to_numpy(dtype=object).tolist()
    assert got[1][1] in ("Phòng A", "PhòngA")


@settings(max_examples=400, deadline=None)
@given(st.lists(strings(TRICKY + ["\x00", "\n", "ς", "Ω", "\u0345", "ǅ"], 8), max_size=12))
def test_match_keys_are_match_key_of_each(texts):
    assert L.match_keys(texts).tolist() == [L.match_key(t) for t in texts]


@settings(max_examples=300, deadline=None)
@given(st.lists(strings(["1", "2", "0", ".", "I", "V", "X", "A", "b", " ", "(", ")"], 5),
                max_size=15),
       st.sampled_from([r"\d+\.?", r"\d*\.?", r"^(?:[IVXLC]+|[A-Z])\.?$", r"\(?\d+\)?"]))
def test_fullmatches_is_fullmatch_of_each_cell(cells, pattern):
    cells = np.array([_cell_text(c) for c in cells], dtype=object)
    expected = pd.Series(cells, dtype=object).str.fullmatch(pattern).to_numpy(dtype=bool, na_value=False)
    assert fullmatches(cells, pattern).tolist() == expected.tolist()
    assert fullmatches(cells, pattern, first=True).any() == expected.any()


def test_fullmatches_takes_cells_that_are_not_clean_text_one_by_one():
    cells = np.array(["12", "1\n2", None, "3."], dtype=object)
    assert fullmatches(cells, r"\d+\.?").tolist() == [True, False, False, True]


def test_nfc_check_of_the_file_is_the_check_of_each_cell():
    # a NUL-free joined text is NFC exactly when each piece is (the separator never composes)
    parts = ["Pho\u0300ng", "Phòng", "e\u0301", "\u0301"]
    for a in parts:
        for b in parts:
            joined = a + "," + b
            assert unicodedata.is_normalized("NFC", joined) == (unicodedata.is_normalized("NFC", a)
                                                               and unicodedata.is_normalized("NFC", b))


@settings(max_examples=400, deadline=None)
@given(st.lists(strings(TRICKY + ["\x00", "\n", "\r"], 6), min_size=1, max_size=10))
def test_a_column_is_called_clean_only_when_every_cell_is(cells):
    from evalkit.io.tables import _clean_texts

    column = np.array(cells, dtype=object)
    if _clean_texts(column):
        assert [_cell_text(c) for c in cells] == cells


def test_a_plain_roster_file_takes_the_fast_path(tmp_path):
    from evalkit.io.tables import _read_csv_cells

    path = tmp_path / "r.csv"
    path.write_text("STT,Mã CB,Họ và tên,Đơn vị,Xếp loại\n1,CB001,Nguyễn Văn A,Phòng Nội vụ,HTXSNV\n"
                    '2,CB002,"Trần, Thị B",Phòng Nội vụ,Hoàn thành tốt nhiệm vụ\n', encoding="utf-8")
    cells, clean = _read_csv_cells(path)
    assert clean
    assert cells.iloc[2].tolist() == ["2", "CB002", "Trần, Thị B", "Phòng Nội vụ", "Hoàn thành tốt nhiệm vụ"]
