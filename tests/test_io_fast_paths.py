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
from evalkit.io.tables import _WHITESPACE, _cell_text, fullmatches, load_raw

# characters that make cleaning matter, and plain ones
TRICKY = [" ", "\t", "\u00a0", "\u2007", "\u202f", "\u200b", "\u00ad", "\ufeff", "\u1680", "\u3000", "\x0b",
          "\x1f", "\u0301", "\u0300", "\u0323", "e", "E", "a", "Ă", "ơ", "đ", "Đ", "1", "0", ".", "–", "-", "/",
          "Σ", "İ", "x", "Nội", "vụ", "(", "'"]
STRUCTURE = [",", ";", '"', "\n", "\r\n", "\r"]


def strings(alphabet, max_size):
    """Texts made of pieces (letters, marks, whole syllables)."""
    return st.lists(st.sampled_from(alphabet), max_size=max_size).map("".join)


def slow_cells(text: str) -> pd.DataFrame:
    """Cells by the obvious way: sniff, parse the text, clean every cell with ``_cell_text``."""
    try:
        delimiter = csv.Sniffer().sniff("\n".join(text.splitlines()[:50]), delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    cells = pd.read_csv(io.StringIO(text), header=None, dtype=str, keep_default_na=False, skip_blank_lines=False,
                        sep=delimiter, engine="c")
    return cells.astype(object).map(_cell_text)


def test_whitespace_list_is_every_space_character():
    every = {chr(c) for c in range(sys.maxunicode + 1) if chr(c).isspace() or re.match(r"\s", chr(c))}
    assert every - {" "} == set(_WHITESPACE)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cells=st.lists(st.lists(strings(TRICKY + STRUCTURE, 6), min_size=1, max_size=4),
                      min_size=1, max_size=6),
       quoting=st.sampled_from(["minimal", "all", "none"]), crlf=st.booleans(), trailing=st.booleans(),
       delimiter=st.sampled_from([",", ";", "\t"]), bom=st.booleans())
def test_csv_cells_are_those_of_the_cell_by_cell_cleaning(tmp_path, cells, quoting, crlf, trailing, delimiter, bom):
    def field(v):  # "none": quotes, delimiters and line breaks left bare, as a careless program writes them
        if quoting == "all" or quoting == "minimal" and any(c in v for c in (delimiter, '"', "\n", "\r")):
            return '"' + v.replace('"', '""') + '"'
        return v
    # a header row the sniffer settles on, then the generated rows (ragged: short rows have missing cells)
    lines = [delimiter.join(["Mã CB", "Đơn vị", "Xếp loại", "Ghi chú"])] + [delimiter.join(map(field, r)) for r in cells]
    text = ("\r\n" if crlf else "\n").join(lines) + ("\n" if trailing else "")
    path = tmp_path / "roster.csv"
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))  # Excel's "CSV UTF-8" has a BOM
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
def test_a_column_of_text_is_cleaned_as_cell_by_cell(cells):
    from evalkit.io.tables import _text_series

    assert _text_series(pd.Series(cells, dtype=object)).tolist() == [_cell_text(c) for c in cells]


def test_a_plain_roster_file_takes_the_fast_path(tmp_path):
    from evalkit.io.tables import _read_csv_cells

    path = tmp_path / "r.csv"
    path.write_text("STT,Mã CB,Họ và tên,Đơn vị,Xếp loại\n1,CB001,Nguyễn Văn A,Phòng Nội vụ,HTXSNV\n"
                    '2,CB002,"Trần, Thị B",Phòng Nội vụ,Hoàn thành tốt nhiệm vụ\n', encoding="utf-8")
    cells, clean = _read_csv_cells(path)
    assert clean
    assert cells.iloc[2].tolist() == ["2", "CB002", "Trần, Thị B", "Phòng Nội vụ", "Hoàn thành tốt nhiệm vụ"]


def records_one_by_one(df: pd.DataFrame) -> list[dict]:
    """``records`` as it was first written: pandas' rows, each value cleaned in turn."""
    out = []
    for rec in df.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                clean[k] = None
            elif hasattr(v, "item"):
                clean[k] = v.item()
            else:
                clean[k] = v
        out.append(clean)
    return out


def test_records_column_by_column_are_the_row_by_row_ones():
    from evalkit.compliance.lazytext import LazyText
    from evalkit.io.writers import records

    df = pd.DataFrame({
        "int": np.array([1, 2, 3], dtype=np.int64), "uint": np.array([1, 2, 3], dtype=np.uint8),
        "float": [1.5, np.nan, 3.0], "bool": [True, False, True], "text": ["a", None, "c"],
        "nullable": pd.array([1, None, 3], dtype="Int64"), "flag": pd.array([True, None, False], dtype="boolean"),
        "level": pd.Categorical(["GOOD", None, "EXCELLENT"]), "mixed": [np.int64(4), np.float64(np.nan), "x"],
        "day": pd.to_datetime(["2026-01-01", None, "2026-03-01"]),
        "reason": pd.array(LazyText.from_maker(lambda: ["r0", "r1"], np.array([0, -1, 1]))),
    })
    got, expected = records(df), records_one_by_one(df)
    assert got == expected
    assert [[type(v) for v in r.values()] for r in got] == [[type(v) for v in r.values()] for r in expected]
    assert records(df.iloc[:0]) == [] and records(pd.DataFrame(index=range(2))) == [{}, {}]


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["one", "many", "each"]),
                          st.lists(st.integers(1, 6), max_size=4), st.sampled_from(["error", "warning"])), max_size=6))
def test_problems_added_as_blocks_read_as_if_added_one_by_one(steps):
    blocks, single = Problems(file="f.csv"), Problems(file="f.csv")
    for how, rows, severity in steps:
        values = [f"v{r}" for r in rows]
        if how == "one":
            for r, v in zip(rows, values):
                blocks.add("input.score_range", row=r, column="Điểm", value=v, severity=severity)
        elif how == "many":
            blocks.add_many(rows, "Điểm", values, "input.person_twice", severity=severity, first_row=1)
        else:
            blocks.add_each(rows, "Xếp loại", values, "input.band_contradiction", severity=severity,
                            given=["GOOD"] * len(rows), banded=["EXCELLENT" if r % 2 else "GOOD" for r in rows],
                            score=[f"{90 + r:g}" for r in rows])
        for r, v in zip(rows, values):
            if how == "one":
                single.add("input.score_range", row=r, column="Điểm", value=v, severity=severity)
            elif how == "many":
                single.add("input.person_twice", row=r, column="Điểm", value=v, severity=severity, first_row=1)
            else:
                single.add("input.band_contradiction", row=r, column="Xếp loại", value=v, severity=severity,
                           given="GOOD", banded="EXCELLENT" if r % 2 else "GOOD", score=f"{90 + r:g}")
    got, expected = blocks.frame(), single.frame()
    assert got.astype(object).to_dict("records") == expected.astype(object).to_dict("records")
    assert str(got["row"].dtype) == "Int64" and blocks.has_errors == single.has_errors


def band_contradictions_row_by_row(frame: pd.DataFrame) -> pd.DataFrame:
    """The band warnings as first written: one ``Problems.add`` per contradicting row."""
    from evalkit.rules.bands import bands_govern, rate_by_score

    problems = Problems(**frame.attrs.get("source", {}))
    has = ~np.isnan(frame["score"].to_numpy(dtype=float, na_value=np.nan)) & frame["level"].notna().to_numpy()
    has &= frame["level"].isin(list(L.LEVELS)).to_numpy() & bands_govern(frame)
    flags = {k: frame[k].to_numpy()[has] for k in ("disciplined", "is_leader") if k in frame.columns}
    banded = rate_by_score(frame["score"].to_numpy()[has], **flags).astype(object).to_numpy()
    given = frame["level"].astype(object).to_numpy()[has]
    idx = np.flatnonzero(has)[banded != given]
    for i, b in zip(idx, banded[banded != given]):
        problems.add("input.band_contradiction", row=int(frame["source_row"].iloc[i]), column="Xếp loại",
                     value=frame["level"].iloc[i], severity="warning", given=str(frame["level"].iloc[i]),
                     banded=str(b), score=f"{frame['score'].iloc[i]:g}")
    return problems.frame()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["HTXSNV", "HTTNV", "HTNV", "KHTNV"]),
                          st.sampled_from(["", "95", "89.75", "90", "70", "69,5", "50", "10", "0", "100", "-0"]),
                          st.booleans(), st.sampled_from(["Công chức", "Viên chức"])), min_size=1, max_size=30))
def test_band_warnings_as_arrays_are_the_row_by_row_ones(people):
    from evalkit.compliance.check import band_contradictions
    from evalkit.io import read_roster

    raw = pd.DataFrame({"Mã CB": [f"A{i}" for i in range(len(people))], "Năm": 2026, "Đơn vị": "U",
                        "Xếp loại": [p[0] for p in people], "Điểm": [p[1] for p in people],
                        "Kỷ luật": ["x" if p[2] else "" for p in people], "Đối tượng": [p[3] for p in people]})
    roster = read_roster(raw)
    got, expected = band_contradictions(roster), band_contradictions_row_by_row(roster)
    assert got.astype(object).to_dict("records") == expected.astype(object).to_dict("records")


@settings(max_examples=400, deadline=None)
@given(st.lists(strings(["Phòng", "PHÒNG", "Nội", "vụ", "Đ", "đ", "ư", "ơ", "\u0301", "\u0323", " ", "  ", "\t", "-",
                         "_", "/", ".", ",", "(", ")", "'", '"', "[", ";", ":", "1", "A", "b", "\x1f"], 8),
                max_size=12))
def test_match_keys_of_vietnamese_names_are_match_key_of_each(texts):
    assert L.match_keys(texts).tolist() == [L.match_key(t) for t in texts]


def test_vietnamese_letters_need_no_look_for_spaces_or_nfc():
    from evalkit.io.tables import _INVISIBLE

    seconds = set()  # every character that composes with one before it under NFC
    for x in range(sys.maxunicode + 1):
        d = unicodedata.decomposition(chr(x))
        if d and not d.startswith("<") and len(d.split()) == 2:
            seconds.add(chr(int(d.split()[1], 16)))
    seconds |= {chr(c) for c in range(0x1161, 0x1176)} | {chr(c) for c in range(0x11A8, 0x11C3)}  # Hangul
    latin = [chr(c) for c in list(range(0xC0, 0x1C0)) + list(range(0x1E00, 0x1F00))]
    assert {c.encode()[0] for c in latin[:0x100]} == {0xC3, 0xC4, 0xC5, 0xC6}
    assert {c.encode()[:2] for c in latin[0x100:]} == {b"\xe1\xb8", b"\xe1\xb9", b"\xe1\xba", b"\xe1\xbb"}
    for c in latin + [chr(c) for c in range(0x20, 0x7F)]:
        assert unicodedata.is_normalized("NFC", c) and not unicodedata.combining(c), c
        assert c not in seconds and not (c.isspace() and c != " ") and ord(c) not in _INVISIBLE, c
    assert all(c in "Phòng Nội vụ ĂÂÊÔƠƯĐăâêôơưđ" or True for c in latin)
    assert set("ăâêôơưđĂÂÊÔƠƯĐàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ") <= set(latin)


def cp1258(text: str) -> bytes:
    """Text as Windows-1258 writes it: a base letter (with its first mark, where the code page has that
    letter) and the remaining tone mark as a combining character."""
    out = b""
    for c in text:
        d = unicodedata.normalize("NFD", c)
        ways = [c, d] + [unicodedata.normalize("NFC", d[0] + d[i]) + d[1:i] + d[i + 1:] for i in range(1, len(d))]
        for way in ways:
            try:
                out += way.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            raise AssertionError(f"{c!r} cannot be written in Windows-1258")
    return out


@pytest.mark.parametrize("encoding", ["cp1258", "utf-16"])
def test_files_not_in_utf8_are_read_as_before(tmp_path, encoding):
    text = "Mã CB,Đơn vị,Xếp loại\nA1,Phòng Nội vụ,Hoàn thành tốt nhiệm vụ\n"
    path = tmp_path / "r.csv"
    path.write_bytes(cp1258(text) if encoding == "cp1258" else text.encode(encoding))
    assert load_raw(path).cells.to_numpy(dtype=object).tolist() == slow_cells(text).to_numpy(dtype=object).tolist()


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), strings(["1", "2", "0", ".", ",", " ", "-", "+", "x", "000"], 7)), max_size=12))
def test_counts_read_once_per_distinct_text_as_cell_by_cell(cells):
    from evalkit.io.tables import _count_value, parse_count

    values, codes = parse_count(pd.Series(cells, dtype=object))
    expected = [_count_value(_cell_text(c) or "") for c in cells]
    assert codes.tolist() == [code for _, code in expected]
    assert [None if np.isnan(v) else v for v in values] == [None if code or np.isnan(v) else v for v, code in expected]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), strings(["x", "X", "Có", "co", "không", "1", "0", " ", "yes", "?"], 3)),
                max_size=12))
def test_yes_no_read_once_per_distinct_text_as_cell_by_cell(cells):
    from evalkit.io.columns import FALSE_WORDS, TRUE_WORDS
    from evalkit.io.tables import _parse_bool

    values, bad = _parse_bool(pd.Series(cells, dtype=object))
    keys = [L.match_key(_cell_text(c)) for c in cells]
    assert values.tolist() == [True if k in TRUE_WORDS else False if k in FALSE_WORDS else pd.NA for k in keys]
    assert bad.tolist() == [k not in TRUE_WORDS | FALSE_WORDS for k in keys]
