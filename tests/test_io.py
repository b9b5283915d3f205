"""Reading rosters and counts: every failure mode has a fixture, and every message names row and column."""

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import evalkit as ek
from evalkit.io import parse_number
from evalkit.io.writers import neutralise

BAD_CASES = [
    # file, reader, row, column, value, words in the message
    ("missing_column.csv", "roster", 1, None, None, "missing required column 'Đơn vị' (unit_id)"),
    ("unknown_level.csv", "roster", 3, "Xếp loại", "Giỏi", "unknown rating level"),
    ("duplicate_ids.xlsx", "roster", 4, "Mã CB", "A1", "listed twice"),
    ("score_out_of_range.csv", "roster", 3, "Điểm", "105", "outside 0–100"),
    ("score_not_number.csv", "roster", 3, "Điểm", "tám mươi", "not a number"),
    ("score_thousands.csv", "roster", 2, "Điểm", "1.234,5", "not a number"),
    ("negative_counts.csv", "counts", 3, "Số HTXSNV", "-1", "whole number"),
    ("noninteger_counts.csv", "counts", 2, "Số HTXSNV", "2.5", "whole number"),
    ("empty.csv", "roster", None, None, None, "empty"),
    ("empty_sheet.xlsx", "roster", None, None, None, "empty"),
    ("not_utf8_or_cp1258.csv", "roster", 2, None, None, "neither UTF-8 nor Windows-1258"),
    ("required_empty.csv", "roster", 2, "Đơn vị", None, "required value is empty"),
]


@pytest.mark.parametrize("name,kind,row,column,value,words", BAD_CASES)
def test_bad_input_names_row_and_column(fixtures, name, kind, row, column, value, words):
    reader = ek.read_counts if kind == "counts" else ek.read_roster
    with pytest.raises(ek.InputError) as err:
        reader(fixtures / "bad" / name)
    problems = err.value.problems
    errors = problems[problems["severity"] == "error"]
    assert len(errors) == 1, errors
    rec = errors.iloc[0]
    assert rec["file"].endswith(name)
    if row is None:
        assert pd.isna(rec["row"])
    else:
        assert rec["row"] == row
    if column is not None:
        assert rec["column"] == column
    if value is not None:
        assert rec["value"] == value
    assert words in rec["message"]
    assert words in str(err.value)


def test_xlsx_problem_names_sheet(fixtures):
    with pytest.raises(ek.InputError) as err:
        ek.read_roster(fixtures / "bad" / "duplicate_ids.xlsx")
    assert err.value.problems.iloc[0]["sheet"] == "Danh sách"


def test_all_problems_reported_at_once(tmp_path):
    p = tmp_path / "many.csv"
    p.write_text("Mã CB,Năm,Đơn vị,Điểm,Xếp loại\nA1,2026,U1,91,HTXSNV\nA2,20x6,U1,101,Giỏi\nA1,2026,U1,abc,HTTNV\n",
                 encoding="utf-8")
    with pytest.raises(ek.InputError) as err:
        ek.read_roster(p)
    got = set(zip(err.value.problems["row"], err.value.problems["column"], strict=True))
    assert got == {(3, "Năm"), (3, "Điểm"), (3, "Xếp loại"), (4, "Điểm"), (4, "Mã CB")}


def test_band_contradiction_is_a_warning_not_an_error(fixtures):
    result = ek.check_file(fixtures / "bad" / "band_contradiction.csv")
    problems = result.problems
    assert result.input_rows == 2
    assert problems["severity"].tolist() == ["warning"]
    assert problems.iloc[0]["row"] == 2 and problems.iloc[0]["column"] == "Xếp loại"


@pytest.mark.parametrize("name", ["nfd_labels.csv", "bom_utf8.csv", "cp1258.csv", "semicolon_decimal_comma.csv",
                                  "title_block.xlsx", "roster_en.csv"])
def test_good_files_read(fixtures, name):
    roster = ek.read_roster(fixtures / "good" / name)
    assert {"person_id", "year", "unit_id", "level", "source_row"} <= set(roster.columns)
    assert roster["level"].notna().all()
    assert (roster["year"] == 2026).all()


def test_cp1258_decodes_vietnamese(fixtures):
    roster = ek.read_roster(fixtures / "good" / "cp1258.csv")
    assert roster["unit_id"].tolist() == ["Sở Nội vụ", "Sở Nội vụ"]
    assert roster["level"].tolist() == ["EXCELLENT", "GOOD"]


def test_decimal_comma_scores(fixtures):
    assert ek.read_roster(fixtures / "good" / "semicolon_decimal_comma.csv")["score"].tolist() == [91.5, 80.25]
    assert ek.read_roster(fixtures / "good" / "bom_utf8.csv")["score"].tolist() == [91.5, 80.0]


def test_title_block_rows_and_footer(fixtures):
    roster = ek.read_roster(fixtures / "good" / "title_block.xlsx")
    problems = roster.evalkit.problems
    assert roster["source_row"].tolist() == [5, 6]  # the rows the user sees in Excel
    assert roster["name"].tolist() == ["Nguyễn Văn An", "Trần Thị Bình"]
    skipped = problems[problems["message"].str.contains("row skipped")]
    assert skipped["row"].tolist() == [8] and skipped["value"].tolist() == ["Người lập biểu"]


def test_counts_totals_row_is_skipped_with_a_warning(fixtures):
    counts = ek.read_counts(fixtures / "good" / "counts_vi_with_total.csv")
    problems = counts.evalkit.problems
    assert counts["unit_id"].tolist() == ["Sở A", "Sở B"]
    assert problems["row"].tolist() == [4] and "totals row" in problems["message"].iloc[0]


def test_empty_count_is_unknown_not_zero(tmp_path):
    p = tmp_path / "c.csv"
    p.write_text("Đơn vị,Số HTXSNV,Số HTTNV\nA,3,\n", encoding="utf-8")
    counts = ek.read_counts(p)
    problems = counts.evalkit.problems
    assert counts["n_good"].isna().all()
    assert "unknown, not zero" in problems["message"].iloc[0]


def test_parse_number_never_misreads():
    vals, bad = parse_number(pd.Series(["85,5", "85.5", "90", "", "1.234,5", "1,234.5", "8 5", "-3"]))
    assert vals.tolist()[:3] == [85.5, 85.5, 90.0]
    assert bad.tolist() == [False, False, False, False, True, True, True, False]


def test_neutralise():
    for evil in ["=1+1", "+1", "-1", "@SUM(A1)", "\t=1"]:
        assert neutralise(evil).startswith("'")
    assert neutralise("An") == "An" and neutralise(5) == 5


LEVEL_TEXT = st.sampled_from(["HTXSNV", "HTTNV", "HTNV", "KHTNV", "Giỏi", "", "hoan thanh tot"])
SCORE_TEXT = st.sampled_from(["91", "85,5", "101", "abc", "", "70"])
ID_TEXT = st.sampled_from(["A1", "A2", "A3", "A4", ""])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(ID_TEXT, SCORE_TEXT, LEVEL_TEXT), min_size=1, max_size=15))
def test_nothing_is_lost(rows):
    """Every input row is in the result or named in the problems (collect mode)."""
    raw = pd.DataFrame(rows, columns=["Mã CB", "Điểm", "Xếp loại"])
    raw.insert(1, "Năm", 2026)
    raw.insert(2, "Đơn vị", "U1")
    result = ek.read_roster(raw, errors="collect")
    problems = result.evalkit.problems
    input_rows = set(range(2, len(rows) + 2))
    errors = problems[problems["severity"] == "error"]
    kept = set(result["source_row"])
    dropped = set(errors["row"].dropna().astype(int))
    assert kept | dropped == input_rows
    assert not kept & dropped


def test_recorded_discipline_explains_a_low_rating(tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("Mã CB,Năm,Đơn vị,Điểm,Kỷ luật,Xếp loại\nA1,2026,U1,95,có,KHTNV\nA2,2026,U1,95,,KHTNV\n",
                 encoding="utf-8")
    problems = ek.check_file(p).problems
    assert problems["row"].tolist() == [3]  # only the unexplained one
    assert "no recorded override" in problems["message"].iloc[0]
