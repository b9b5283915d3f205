"""End-to-end runs of the `evalkit` command as an HR officer would use it."""

import json
import subprocess
import sys

import openpyxl
import pandas as pd
import pytest

import evalkit as ek
from evalkit.io.writers import file_sha256
from evalkit.cli import main

from conftest import FIXTURES, ROOT

SAMPLE_XLSX = ROOT / "data" / "sample" / "so_noi_vu_2026_xep_loai.xlsx"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_roster_xlsx_vi_violations_exit_1(capsys, tmp_path):
    out = tmp_path / "ket_qua.xlsx"
    code, stdout, _ = run(capsys, "check", SAMPLE_XLSX, "--lang", "vi", "--out", out)
    assert code == 1 and "KHÔNG ĐẠT" in stdout
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Tổng hợp", "Các nhóm", "Vi phạm", "Đề xuất điều chỉnh", "Danh sách sau điều chỉnh",
                            "Lỗi dữ liệu đầu vào"]
    # the workbook's numbers are check_cap's
    report = ek.check_cap(ek.read_roster(SAMPLE_XLSX))
    sheet = pd.read_excel(out, sheet_name="Các nhóm")
    assert sheet["Tối đa HTXSNV"].tolist() == report.groups["cap"].tolist()
    assert sheet["Vượt"].tolist() == report.groups["excess"].tolist()
    assert sheet["HTXSNV"].tolist() == report.groups["n_excellent"].tolist()
    expected_fix = [f"hạ {d} trong {e} người HTXSNV xuống HTTNV" if not ok else "đạt" for d, e, ok in
                    zip(report.groups["minimal_demotions"], report.groups["n_excellent"], report.groups["compliant"],
                        strict=True)]
    assert sheet["Để đạt"].tolist() == expected_fix
    calib = pd.read_excel(out, sheet_name="Đề xuất điều chỉnh")
    assert len(calib) == int(ek.enforce_cap(ek.read_roster(SAMPLE_XLSX))["demoted"].sum())
    summary = pd.read_excel(out, sheet_name="Tổng hợp")
    assert file_sha256(SAMPLE_XLSX) in summary.iloc[:, 1].astype(str).tolist()
    assert wb["Các nhóm"].freeze_panes == "A2"


def test_counts_csv_compliant_exit_0(capsys, tmp_path):
    p = tmp_path / "counts.csv"
    p.write_text("year,unit_id,task_group,n_excellent,n_good\n2026,U1,T1,2,10\n2026,U1,T2,0,3\n", encoding="utf-8")
    code, stdout, _ = run(capsys, "check", p)
    assert code == 0 and "COMPLIANT" in stdout


def test_counts_and_roster_en_headers(capsys):
    assert run(capsys, "check", FIXTURES / "good" / "counts_en.csv")[0] == 1
    assert run(capsys, "check", FIXTURES / "good" / "roster_en.csv")[0] == 1


def test_json_document(capsys):
    code, stdout, _ = run(capsys, "check", FIXTURES / "good" / "counts_en.csv", "--json")
    doc = json.loads(stdout)
    assert code == 1 and doc["compliant"] is False and doc["policy"] == "decree-335-2025"
    g = pd.DataFrame(doc["groups"])
    assert {"scope", "unit_id", "task_group", "n_excellent", "n_good", "base", "cap", "excess", "headroom",
            "compliant", "minimal_demotions"} <= set(g.columns)
    u1 = g[(g["scope"] == "unit_id") & (g["unit_id"] == "U1")].iloc[0]
    assert (u1["n_excellent"], u1["n_good"], u1["cap"]) == (4, 14, 2)


@pytest.mark.parametrize("name", sorted(p.name for p in (FIXTURES / "bad").iterdir()
                                         if p.name not in ("band_contradiction.csv", "formula_injection.csv")))
def test_bad_input_exits_2_naming_row_and_column(capsys, name):
    code, _, err = run(capsys, "check", FIXTURES / "bad" / name)
    assert code == 2
    assert "Traceback" not in err and name in err
    with pytest.raises(ek.InputError) as exc:
        ek.check_file(FIXTURES / "bad" / name)
    rec = exc.value.problems.iloc[0]
    if not pd.isna(rec["row"]):
        assert f"row {int(rec['row'])}" in err
    if isinstance(rec["column"], str):
        assert repr(rec["column"]) in err


def test_console_script_no_traceback(tmp_path):
    exe = ROOT / ".venv" / "bin" / "evalkit"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "evalkit.cli"]
    res = subprocess.run(cmd + ["check", str(FIXTURES / "bad" / "unknown_level.csv")], capture_output=True, text=True)
    assert res.returncode == 2 and "row 3" in res.stderr and "'Giỏi'" in res.stderr and "Traceback" not in res.stderr
    res = subprocess.run(cmd + ["check", str(tmp_path / "missing.csv")], capture_output=True, text=True)
    assert res.returncode == 2 and "file not found" in res.stderr
    res = subprocess.run(cmd + ["check", str(FIXTURES / "good" / "roster_en.csv"), "--policy", "nope"],
                         capture_output=True, text=True)
    assert res.returncode == 2 and "no policy named 'nope'" in res.stderr


def test_formula_injection_is_inert(capsys, tmp_path):
    out = tmp_path / "r.xlsx"
    run(capsys, "check", FIXTURES / "bad" / "formula_injection.csv", "--out", out)
    wb = openpyxl.load_workbook(out)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (ws.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@")), cell.value
    html = tmp_path / "r.html"
    run(capsys, "check", FIXTURES / "bad" / "formula_injection.csv", "--out", html)
    text = html.read_text(encoding="utf-8")
    assert "<script" not in text and "=HYPERLINK(&quot;" in text


def test_html_report_self_contained(capsys, tmp_path):
    out = tmp_path / "r.html"
    code, _, _ = run(capsys, "check", SAMPLE_XLSX, "--out", out, "--lang", "vi")
    text = out.read_text(encoding="utf-8")
    assert code == 1 and "<!DOCTYPE html>" in text and "KHÔNG ĐẠT" in text
    assert "http" not in text.split("</style>")[0]  # no external stylesheet or script


def test_template_round_trip(capsys, tmp_path):
    tpl = tmp_path / "mau.xlsx"
    assert run(capsys, "template", tpl, "--lang", "vi")[0] == 0
    wb = openpyxl.load_workbook(tpl)
    ws = wb.worksheets[0]
    assert ws.data_validations.dataValidation, "rating dropdown missing"
    assert "Hướng dẫn" in wb.sheetnames
    rows = [["A1", "Nguyễn Văn An", 2026, "Sở A", "T1", "", "", "", "công chức", "95", "Hoàn thành xuất sắc nhiệm vụ"]]
    rows += [[f"B{i}", "", 2026, "Sở A", "T1", "", "", "", "công chức", "80", "Hoàn thành tốt nhiệm vụ"] for i in range(5)]
    for r in rows:
        ws.append(r)
    wb.save(tpl)
    code, stdout, _ = run(capsys, "check", tpl, "--lang", "vi")
    assert code == 0 and "ĐẠT" in stdout  # 1 excellent ≤ 20% of 5 good
    ws.append(["A2", "", 2026, "Sở A", "T1", "", "", "", "công chức", "92", "HTXSNV"])
    wb.save(tpl)
    assert run(capsys, "check", tpl)[0] == 1
    tpl2 = tmp_path / "counts.xlsx"
    assert run(capsys, "template", tpl2, "--kind", "counts", "--lang", "en")[0] == 0
    wb = openpyxl.load_workbook(tpl2)
    wb.worksheets[0].append([2026, "U1", "T1", 1, 5, 0, 0, 0])
    wb.save(tpl2)
    assert run(capsys, "check", tpl2)[0] == 0


def test_pseudonymize_and_suppress(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("EVALKIT_PSEUDONYM_KEY", "secret")
    out = tmp_path / "r.xlsx"
    run(capsys, "check", SAMPLE_XLSX, "--out", out, "--pseudonymize", "--suppress-below", "2")
    calib = pd.read_excel(out, sheet_name="Proposed calibration")
    roster = ek.read_roster(SAMPLE_XLSX)
    assert len(calib) and not set(calib["Person id"]) & set(roster["person_id"])
    assert calib["Person id"].str.startswith("P-").all() and "Name" not in calib.columns
    again = tmp_path / "r2.xlsx"
    run(capsys, "check", SAMPLE_XLSX, "--out", again, "--pseudonymize")
    # the same key gives the same pseudonyms; suppression leaves out the people of small groups
    assert set(calib["Person id"]) < set(pd.read_excel(again, sheet_name="Proposed calibration")["Person id"])
    groups = pd.read_excel(out, sheet_name="Groups")
    small = groups["Suppressed"].notna()
    assert small.any() and groups.loc[small, "Excellent"].isna().all()


def test_policies_and_explain(capsys):
    code, stdout, _ = run(capsys, "policies")
    assert code == 0 and "decree-335-2025" in stdout and "quang-ninh-2022-leaders" in stdout
    code, stdout, _ = run(capsys, "explain", "decree-335-2025", "--lang", "vi")
    assert code == 0 and "Nghị định 335/2025/NĐ-CP" in stdout and "Tỷ lệ" in stdout and "Decree 335" not in stdout


def test_help_has_examples(capsys):
    for cmd in ("check", "policies", "explain", "template", "check-recruitment", "report"):
        with pytest.raises(SystemExit) as e:
            main([cmd, "--help"])
        assert e.value.code == 0
        assert "example" in capsys.readouterr().out


def test_ratings_above_the_decree_90_ceiling_are_listed(capsys, tmp_path):
    p = tmp_path / "r.csv"
    p.write_text("Mã CB,Năm,Đơn vị,Số tháng công tác,Kỷ luật,Xếp loại\n"
                 "A1,2024,U1,12,,HTTNV\nA2,2024,U1,4,,HTTNV\nA3,2024,U1,12,có,HTTNV\n"
                 + "".join(f"B{i},2024,U1,12,,HTTNV\n" for i in range(5)), encoding="utf-8")
    out = tmp_path / "r.xlsx"
    # 2024: Decree 48 governs civil servants and needs the party members' share (without it: not checked)
    code, stdout, _ = run(capsys, "check", p)
    assert code == 1 and "NOT CHECKED: 8 row(s)" in stdout
    code, stdout, _ = run(capsys, "check", p, "--party-share", "20/100", "--out", out)
    assert code == 0 and "2 rating(s) above the Decree 90 ceiling" in stdout
    sheet = pd.read_excel(out, sheet_name="Above Decree 90 ceiling")
    assert sheet["Person id"].tolist() == ["A2", "A3"]
    assert sheet["Highest level the facts allow"].tolist() == ["Not rated", "Not completed"]
    run(capsys, "check", SAMPLE_XLSX, "--out", tmp_path / "s.xlsx")  # the file records no facts: no sheet
    assert "Above Decree 90 ceiling" not in openpyxl.load_workbook(tmp_path / "s.xlsx").sheetnames


def test_sheet_option_reads_that_sheet_and_names_the_sheets_when_wrong(capsys, tmp_path):
    wb = openpyxl.Workbook()
    draft = wb.active
    draft.title = "Nháp"
    draft.append(["Mã CB", "Năm", "Đơn vị", "Xếp loại"])
    draft.append(["A1", 2026, "U1", "HTTNV"])
    final = wb.create_sheet("Chính thức")
    final.append(["Mã CB", "Năm", "Đơn vị", "Xếp loại"])
    for i in range(6):  # 1 excellent, 5 good: the cap is 1, compliant
        final.append([f"B{i}", 2026, "U1", "HTXSNV" if i == 0 else "HTTNV"])
    final.append(["B9", 2026, "U1", "HTXSNV"])  # a second excellent: over the cap of 1
    path = tmp_path / "two_sheets.xlsx"
    wb.save(path)
    code, stdout, _ = run(capsys, "check", path, "--sheet", "Chính thức", "--json")
    doc = json.loads(stdout)
    assert code == 1 and sum(g["n_excellent"] for g in doc["groups"] if g["scope"] == "unit_id") == 2
    code, _, err = run(capsys, "check", path, "--sheet", "Cuối năm")
    assert code == 2 and "'Cuối năm'" in err and "'Nháp'" in err and "'Chính thức'" in err


def test_year_option_checks_only_that_year(capsys, tmp_path):
    path = tmp_path / "two_years.csv"
    rows = ["Mã CB,Năm,Đơn vị,Xếp loại"] + [f"A{i},2025,U1,HTXSNV" for i in range(3)] + \
        [f"B{i},2026,U1,{'HTXSNV' if i == 0 else 'HTTNV'}" for i in range(5)]
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    code, stdout, _ = run(capsys, "check", path, "--year", "2026", "--json")
    doc = json.loads(stdout)  # 2026 alone: 1 excellent, 4 good → cap 0 → over by 1
    assert code == 1 and {g["year"] for g in doc["groups"]} == {2026}
    assert [g["n_excellent"] for g in doc["groups"] if g["scope"] == "unit_id"] == [1]
    code, _, err = run(capsys, "check", path, "--year", "2024")
    assert code == 2 and "--year 2024" in err and "no rows for that year" in err


@pytest.mark.parametrize("name, content, expected", [
    ("old.xls", b"\xd0\xcf\x11\xe0 not really", ".xls"),
    ("notes.pdf", b"%PDF-1.4", "unsupported file type '.pdf'"),
    ("broken.xlsx", b"PK\x03\x04 truncated", "cannot open as an Excel workbook"),
    ("binary.csv", bytes(range(128, 256)) * 4, "neither UTF-8 nor Windows-1258"),
])
def test_reader_error_paths_exit_2_with_what_to_do(capsys, tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_bytes(content)
    code, _, err = run(capsys, "check", path)
    assert code == 2 and expected in err and "Traceback" not in err
