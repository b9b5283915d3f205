"""Files shaped like a provincial office's (issue 11): each once gave a confident wrong verdict.

Every expected number is worked out by hand in the comment beside it.
"""

import json

import openpyxl
import pandas as pd
import pytest

import evalkit as ek
from evalkit.cli import main

from conftest import FIXTURES

GOOD, BAD = FIXTURES / "good", FIXTURES / "bad"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def errors_of(call):
    with pytest.raises(ek.InputError) as exc:
        call()
    p = exc.value.problems
    return p[p["severity"] == "error"]


def warnings_of(frame, code):
    p = frame.evalkit.problems
    return p[p["code"] == code]


# 1. thousands separators ------------------------------------------------------------------------

def test_thousands_separators_in_counts(capsys):
    counts = ek.read_counts(GOOD / "counts_thousands.csv")
    assert counts["n_excellent"].tolist() == [1000, 300, 1000]
    assert counts["n_good"].tolist() == [2000, 1500, 5000]
    # Sở A: cap = floor(2000/5) = 400 < 1000 excellent: over the cap, never "compliant"
    assert run(capsys, "check", GOOD / "counts_thousands.csv")[0] == 1


def test_ambiguous_count_names_the_cell():
    errs = errors_of(lambda: ek.read_counts(BAD / "counts_ambiguous.csv"))
    assert len(errs) == 1
    rec = errs.iloc[0]
    assert (rec["row"], rec["column"], rec["value"]) == (2, "Số HTXSNV", "1,00")
    assert "two ways" in rec["message"]


@pytest.mark.parametrize("text,value", [("2.000", 2000), ("1,000", 1000), ("1.000.000", 1000000), ("12", 12),
                                        ("2 000", 2000)])
def test_count_readings(text, value):
    v, codes = ek.io.tables.parse_count(pd.Series([text]))
    assert v[0] == value and codes[0] is None


def test_a_real_number_from_excel_is_not_a_thousands_separator():
    # 1.234 stored as a number (not the text "1.234") is one and a bit: not a whole count
    errs = errors_of(lambda: ek.read_counts(pd.DataFrame({"Đơn vị": ["A"], "HTXSNV": [1.234], "HTTNV": [10]})))
    assert errs.iloc[0]["code"] == "input.count_range"


@pytest.mark.parametrize("text", ["1,00", "2.0", "1.000,5", "1,000.5", "12.00"])
def test_count_ambiguous(text):
    _, codes = ek.io.tables.parse_count(pd.Series([text]))
    assert codes[0] == "input.count_ambiguous"


# 2. sheets ----------------------------------------------------------------------------------------

def test_hidden_draft_sheet_is_not_read_and_hidden_rows_are_flagged(capsys):
    roster = ek.read_roster(GOOD / "hidden_draft_sheet.xlsx")
    assert roster.attrs["source"]["sheet"] == "Danh sách"
    assert roster["person_id"].tolist() == ["A1", "A2", "A3", "A4", "A5"]  # the hidden row 4 is read
    hidden = warnings_of(roster, "input.hidden_rows")
    assert len(hidden) == 1 and hidden.iloc[0]["params"]["rows"] == "4"
    # 2 excellent, 3 good: cap = floor(3/5) = 0: over (the draft sheet, all good, would have passed)
    code, out, _ = run(capsys, "check", GOOD / "hidden_draft_sheet.xlsx", "--lang", "vi")
    assert code == 1 and "trang tính 'Danh sách'" in out


def test_two_rating_sheets_need_sheet_option(capsys):
    code, _, err = run(capsys, "check", BAD / "two_rating_sheets.xlsx")
    assert code == 2 and "'Khối A', 'Khối B'" in err and "--sheet" in err
    code, out, _ = run(capsys, "check", BAD / "two_rating_sheets.xlsx", "--sheet", "Khối B")
    assert code == 0 and "sheet 'Khối B'" in out


def test_report_states_file_and_sheet(tmp_path):
    result = ek.check_file(GOOD / "hidden_draft_sheet.xlsx")
    summary = result.summary_table("vi")
    assert any("hidden_draft_sheet.xlsx, trang tính 'Danh sách'" in str(v) for v in summary["value"])
    assert json.loads(result.to_json())["input"]["sheet"] == "Danh sách"


# 3. unit names ------------------------------------------------------------------------------------

def test_unit_spellings_warn_and_merge(capsys):
    roster = ek.read_roster(GOOD / "unit_spellings.csv")
    # whitespace, NBSP and zero-width space are normalised silently: four spellings remain
    assert set(roster["unit_id"].astype(str)) == {"Phòng Nội vụ", "Phòng nội vụ", "PHÒNG NỘI VỤ", "Phong Noi vu"}
    warn = warnings_of(roster, "input.similar_units")
    assert len(warn) == 1
    assert warn.iloc[0]["params"]["names"] == "'Phòng Nội vụ', 'Phòng nội vụ', 'PHÒNG NỘI VỤ', 'Phong Noi vu'"
    merged = ek.read_roster(GOOD / "unit_spellings.csv", merge_similar_units=True)
    assert set(merged["unit_id"].astype(str)) == {"Phòng Nội vụ"}
    assert len(warnings_of(merged, "input.similar_units_merged")) == 1
    # one unit: 2 excellent, 8 good: cap = floor(8/5) = 1, one demotion (not one per spelling)
    result = ek.check_file(GOOD / "unit_spellings.csv", merge_similar_units=True)
    assert result.total_demotions() == 1
    code, out, _ = run(capsys, "check", GOOD / "unit_spellings.csv", "--merge-similar-units")
    assert code == 1


# 4. leading zeros ---------------------------------------------------------------------------------

def test_leading_zeros_kept_from_the_number_format():
    roster = ek.read_roster(GOOD / "leading_zeros.xlsx")
    assert roster["person_id"].tolist() == ["000001", "000002", "000003"]
    assert roster["unit_id"].astype(str).tolist() == ["010"] * 3


def test_leading_zero_duplicate_is_found():
    errs = errors_of(lambda: ek.read_roster(BAD / "leading_zero_duplicate.xlsx"))
    assert errs.iloc[0]["code"] == "input.person_twice" and errs.iloc[0]["row"] == 3


# 5. counts tables reconciled ----------------------------------------------------------------------

def test_subtotals_and_totals_are_left_out():
    counts = ek.read_counts(GOOD / "counts_subtotals.csv")
    # the section row "I Khối A", "Cộng khối A", "Toàn Sở", "Tổng cộng" (in STT) go; "Tổng cục Thuế tỉnh" stays
    assert counts["unit_id"].tolist() == ["Phòng A", "Phòng B", "Phòng C", "Tổng cục Thuế tỉnh"]
    skipped = warnings_of(counts, "input.row_skipped_total")
    assert sorted(skipped["row"].tolist()) == [2, 5, 8, 9]
    report = ek.check_cap(counts)
    # Phòng C: 3 excellent, 5 good: cap 1, over; the others: A 2 ≤ 2, B 1 ≤ 1, Tổng cục 1 ≤ 1
    assert report.groups.loc[~report.groups["compliant"], "unit_id"].tolist() == ["Phòng C"]


def test_total_column_must_add_up():
    errs = errors_of(lambda: ek.read_counts(BAD / "counts_total_mismatch.csv"))
    rec = errs.iloc[0]
    # 2 + 10 + 6 + 1 = 19 people rated, more than the total of 18: impossible, an error
    assert (rec["row"], rec["column"], rec["params"]["parts"]) == (2, "Tổng số", 19)


def test_a_total_above_the_levels_is_a_warning_naming_the_gap():
    counts = ek.read_counts(pd.DataFrame({"Đơn vị": ["Phòng A"], "Tổng số": [20], "HTXSNV": [2], "HTTNV": [10],
                                          "HTNV": [6], "KHTNV": [1]}))
    warn = counts.evalkit.problems
    # 20 staff, 19 rated: one may be not rated (under 6 months worked) — said, not an error
    assert warn[["code", "severity"]].values.tolist() == [["input.total_exceeds_levels", "warning"]]
    assert warn["params"].iloc[0]["gap"] == 1


def test_duplicate_and_blank_units_are_errors():
    errs = errors_of(lambda: ek.read_counts(BAD / "counts_duplicate_unit.csv"))
    assert set(zip(errs["code"], errs["row"])) == {("input.group_twice", 4), ("input.unit_blank", 5)}


# 6. nothing to check ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["header_only.csv", "blank_template.xlsx", "counts_all_zero.csv"])
def test_nothing_to_check_is_exit_2(capsys, name):
    code, out, err = run(capsys, "check", BAD / name, "--lang", "vi")
    assert code == 2 and "không tìm thấy người nào được xếp loại" in err and "ĐẠT" not in out


# 7. no person row dropped -------------------------------------------------------------------------

def test_person_row_without_id_is_an_error():
    errs = errors_of(lambda: ek.read_roster(BAD / "person_without_id.csv"))
    assert errs.iloc[0]["code"] == "input.person_row_incomplete" and errs.iloc[0]["row"] == 3


def test_signature_line_is_still_a_warning(fixtures):
    roster = ek.read_roster(fixtures / "good" / "title_block.xlsx")
    assert len(roster) == 2 and len(warnings_of(roster, "input.row_skipped_no_required")) == 1


# 8. --out ---------------------------------------------------------------------------------------

def test_out_never_overwrites_the_input(capsys, tmp_path):
    src = tmp_path / "ds.xlsx"
    src.write_bytes((GOOD / "hidden_draft_sheet.xlsx").read_bytes())
    before = src.read_bytes()
    code, _, err = run(capsys, "check", src, "--out", src, "--force")
    assert code == 2 and "never overwritten" in err and src.read_bytes() == before
    out = tmp_path / "kq.xlsx"
    out.write_text("old")
    code, _, err = run(capsys, "check", src, "--out", out)
    assert code == 2 and "--force" in err and out.read_text() == "old"
    assert run(capsys, "check", src, "--out", out, "--force")[0] == 1


# 9. privacy -------------------------------------------------------------------------------------

def test_pseudonymize_leaves_no_name_or_id_anywhere(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", "k")
    src = GOOD / "office_two_row_header.xlsx"
    roster = ek.read_roster(src)
    secrets = set(roster["person_id"]) | set(roster["name"])
    for out in (tmp_path / "r.xlsx", tmp_path / "r.html"):
        code, stdout, err = run(capsys, "check", src, "--pseudonymize", "--out", out, "--lang", "vi")
        text = stdout + err
        if out.suffix == ".xlsx":
            wb = openpyxl.load_workbook(out)
            text += " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row)
        else:
            text += out.read_text(encoding="utf-8")
        assert not [s for s in secrets if s in text]
    code, stdout, err = run(capsys, "check", src, "--pseudonymize", "--json")
    assert not [s for s in secrets if s in stdout + err]
    # exit 2 too: the error naming a person's row does not show the name
    code, stdout, err = run(capsys, "check", BAD / "person_without_id.csv", "--pseudonymize", "--json")
    assert code == 2 and "Trần Thị Bình" not in stdout + err and json.loads(stdout)["problems"]


def test_suppressed_groups_leave_no_count(tmp_path):
    # U1: 2 excellent + 3 good (5 people) is hidden under K=6; its count appears nowhere
    result = ek.check_file(GOOD / "hidden_draft_sheet.xlsx", suppress_below=6, lang="vi")
    tables = result.tables("vi")
    g = tables["groups"]
    assert g["n_excellent"].isna().all() and g["fix"].isna().all()
    assert len(tables["calibration"]) == 0 and "roster" not in tables
    doc = json.loads(result.to_json())
    assert all(grp["n_excellent"] is None and grp["fix"] is None for grp in doc["groups"])
    assert doc["calibration"] == []


# 10. ties and missing scores ----------------------------------------------------------------------

def test_tie_at_the_cut_goes_to_the_council(capsys):
    # 3 excellent (95, 95, 80), 5 good: cap = 1, least d with 3 - d <= floor((5 + d)/5) is 2:
    # T3 (80) surely moves; one of T1, T2 (both 95) must, and the council chooses
    result = ek.check_file(GOOD / "tie_at_cut.csv", lang="vi")
    assert result.calibration["person_id"].tolist() == ["T3"]
    assert result.council["person_id"].tolist() == ["T1", "T2"]
    assert result.council["council"].iloc[0] == ("phải chuyển 1 trong 2 người này xuống Hoàn thành tốt nhiệm vụ: "
                                                 "hội đồng quyết định")
    assert result.total_demotions() == 2
    assert "hội đồng chọn 1 người" in result.verdict("vi")
    final = result.roster.set_index("person_id")["level_final"]
    assert final["T1"] == final["T2"] == "chờ hội đồng quyết định" and final["T3"] == "GOOD"


def test_no_score_column_lists_every_excellent(capsys):
    result = ek.check_file(GOOD / "no_score.csv")
    # same counts as above, no score: all 3 are candidates, 2 must move
    assert len(result.calibration) == 0
    assert result.council["person_id"].tolist() == ["S1", "S2", "S3"]
    assert set(result.council["must_move"]) == {2}


# 11. totals ---------------------------------------------------------------------------------------

def test_each_excellent_person_counted_once(fixtures):
    roster = pd.DataFrame({"person_id": [f"p{i}" for i in range(12)], "year": 2026, "unit_id": "U",
                           "task_group": ["T1"] * 6 + ["T2"] * 6,
                           "level": ["EXCELLENT"] * 3 + ["GOOD"] * 3 + ["EXCELLENT"] * 2 + ["GOOD"] * 4,
                           "score": [99, 98, 97, 80, 80, 80, 96, 95, 80, 80, 80, 80]})
    result = ek.check_file(roster)
    # 5 excellent people; unit: 5 vs cap floor(7/5)=1, excess 4; T1: 3 vs floor(3/5)=0, excess 3;
    # T2: 2 vs floor(4/5)=0, excess 2. Demotions: T1 needs d=2 (1 <= floor(5/5)), T2 d=1 (1 <= floor(5/5));
    # then the unit has 2 excellent and 10 good, cap 2: 3 people move, not 4 + 5 = 9
    s = result.summary_table("en").set_index("item")["value"]
    assert s["People rated excellent (each counted once)"] == 5
    assert s["Excellent over the cap, counted per Unit"] == 4
    assert s["Excellent over the cap, counted per Unit × Task group"] == 5
    assert result.total_demotions() == 3
    assert any("count each person once" in str(v) for v in s.values)


# files offices have -----------------------------------------------------------------------------

def test_office_workbook_two_row_header_merged_cells_dates_and_abbreviations():
    roster = ek.read_roster(GOOD / "office_two_row_header.xlsx")
    assert roster["unit_id"].astype(str).tolist() == ["Sở Nội vụ"] * 5  # merged down, filled
    assert roster["department"].astype(str).tolist()[:3] == ["Phòng Tổ chức"] * 3
    assert roster["person_id"].tolist()[0] == "000101"
    assert roster["year"].tolist() == [2026] * 5  # typed into a date cell: 18/07/1905 is serial 2026
    assert roster["level"].astype(str).tolist() == ["EXCELLENT", "EXCELLENT", "GOOD", "COMPLETED", "NOT_COMPLETED"]
    assert roster["score"].tolist() == [95, 93, 80, 60, 40]
    codes = set(roster.evalkit.problems["code"])
    assert {"input.year_from_date", "input.unit_is_agency", "input.row_skipped_no_required"} <= codes


def test_utf16_text_from_excel():
    roster = ek.read_roster(GOOD / "utf16_unicode_text.txt")
    assert roster["unit_id"].astype(str).tolist() == ["Sở Nội vụ"] * 2
    assert roster["level"].astype(str).tolist() == ["EXCELLENT", "GOOD"]


@pytest.mark.skipif(not (GOOD / "legacy.xls").exists(), reason="legacy.xls is made with LibreOffice")
def test_old_xls_workbook():
    roster = ek.read_roster(GOOD / "legacy.xls")
    assert roster["person_id"].tolist() == ["X1", "X2", "X3"] and roster.attrs["source"]["sheet"] == "Danh sách"


def test_formula_without_value_says_what_to_do(capsys):
    code, _, err = run(capsys, "check", BAD / "formula_no_value.xlsx")
    assert code == 2 and "open it in Excel or LibreOffice, save" in err and "B3" in err


def test_directory_and_stdin_say_what_to_do(capsys, tmp_path):
    code, _, err = run(capsys, "check", tmp_path)
    assert code == 2 and "folder" in err
    code, _, err = run(capsys, "check", "-", "--lang", "vi")
    assert code == 2 and "hãy lưu bảng thành tệp" in err


# a report an office can sign ------------------------------------------------------------------------

def test_vietnamese_workbook_is_print_ready_and_signed(capsys, tmp_path):
    out = tmp_path / "kq.xlsx"
    code, _, _ = run(capsys, "check", GOOD / "office_two_row_header.xlsx", "--lang", "vi", "--out", out,
                     "--place", "Quảng Ninh")
    assert code == 1
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        assert ws.page_setup.orientation == "landscape" and ws.page_setup.paperSize == 9
        assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth == 1
        assert ws.print_title_rows == "$1:$1" and ws.auto_filter.ref
    summary = wb.worksheets[0]
    cells = [str(c.value) for row in summary.iter_rows() for c in row if c.value is not None]
    assert "Người lập biểu" in cells and "Thủ trưởng đơn vị" in cells
    assert any(c.startswith("Quảng Ninh, ngày ") for c in cells)
    assert any(c.startswith("Điều 20 khoản 5 điểm a Nghị định 335/2025/NĐ-CP (") for c in cells)
    assert any(c.startswith("Số người xếp loại Hoàn thành xuất sắc nhiệm vụ không vượt quá 20% số người "
                            "Hoàn thành tốt nhiệm vụ, làm tròn xuống") for c in cells)
    text = " ".join(str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value)
    for english in ("EXCELLENT", "GOOD", "ratio=", "must become", "excellent", "Decree", "roster", "True", "False"):
        assert english not in text, english
    roster = pd.read_excel(out, sheet_name="Danh sách sau điều chỉnh", engine="openpyxl")
    assert "Xếp loại sau điều chỉnh" in roster.columns and len(roster) == 5


def test_json_has_calibration_and_problems_on_exit_2(capsys):
    code, stdout, _ = run(capsys, "check", GOOD / "tie_at_cut.csv", "--json")
    doc = json.loads(stdout)
    assert code == 1 and [r["person_id"] for r in doc["calibration"]] == ["T3"] and len(doc["council"]) == 2
    code, stdout, _ = run(capsys, "check", BAD / "counts_ambiguous.csv", "--json")
    doc = json.loads(stdout)
    assert code == 2 and doc["problems"][0]["value"] == "1,00"


def test_roster_table_of_a_counts_check_says_there_is_no_roster():
    # a counts table has no rows of people: asking for the roster is a clear error, not an AttributeError on None
    result = ek.check_file(GOOD / "counts_en.csv")
    assert result.roster is None and "roster" not in result.tables("en")
    with pytest.raises(ValueError, match="no roster"):
        result.roster_table("en")


# CSV rows of different lengths ------------------------------------------------------------------

def test_a_title_line_above_a_csv_table_is_read_not_refused(tmp_path, capsys):
    # a title line with no trailing commas: pandas' parser refuses the file; an office saves this often
    f = tmp_path / "title.csv"
    f.write_text("DANH SÁCH XẾP LOẠI NĂM 2026\nMã CB,Năm,Đơn vị,Xếp loại\nA1,2026,U1,HTXSNV\nA2,2026,U1,HTTNV\n",
                 encoding="utf-8")
    frame = ek.read_roster(f)
    assert frame["person_id"].tolist() == ["A1", "A2"] and frame["level"].astype(str).tolist() == ["EXCELLENT", "GOOD"]
    code, out, _ = run(capsys, "check", f, "--json")
    assert code == 1 and json.loads(out)["compliant"] is False  # 1 excellent > ⌊1/5⌋ = 0


def test_an_extra_cell_in_one_csv_row_is_named_not_a_parser_message(tmp_path, capsys):
    f = tmp_path / "extra.csv"
    f.write_text("Mã CB,Năm,Đơn vị,Xếp loại\nA1,2026,U1,HTTNV\nA2,2026,U1,HTTNV,ghi chú\n", encoding="utf-8")
    code, _, err = run(capsys, "check", f, "--lang", "vi")
    assert code == 2
    assert "dòng 3" in err and "cột 'E'" in err and "ghi chú" in err and "Error tokenizing" not in err


def test_merging_similar_department_names_keeps_empty_cells_empty(tmp_path):
    f = tmp_path / "dept.csv"
    f.write_text("Mã CB,Năm,Đơn vị,Phòng ban,Xếp loại\nA1,2026,U1,P1,HTTNV\nA2,2026,U1,p1,HTTNV\n"
                 "A3,2026,U1,,HTTNV\n", encoding="utf-8")
    dept = ek.read_roster(f, merge_similar_units=True)["department"]
    assert dept.dtype == object and dept.tolist() == ["P1", "P1", None]  # like every other text column
