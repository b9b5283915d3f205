"""The check page and its downloads: verdicts, calibration, privacy, templates, rules, language."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl

from web_helpers import SAMPLE_XLSX

# Unit U1: 2 excellent (95, 91) and 5 good → cap = 5 × 1/5 = 1 → demote exactly one: R2 (91, the lower score).
# Unit U2: 1 excellent, 5 good → cap 1 → compliant.
OVER_CSV = ("Mã CB,Họ và tên,Năm,Đơn vị,Đối tượng,Điểm,Xếp loại\n"
            "R1,Người Một,2026,U1,công chức,95,HTXSNV\nR2,Người Hai,2026,U1,công chức,91,HTXSNV\n"
            + "".join(f"G{i},Người G{i},2026,U1,công chức,80,HTTNV\n" for i in range(5))
            + "S1,Người S,2026,U2,công chức,96,HTXSNV\n"
            + "".join(f"H{i},Người H{i},2026,U2,công chức,80,HTTNV\n" for i in range(5))).encode("utf-8")
OK_CSV = ("Mã CB,Năm,Đơn vị,Đối tượng,Xếp loại\nA1,2026,U1,công chức,HTXSNV\n"
          + "".join(f"B{i},2026,U1,công chức,HTTNV\n" for i in range(5))).encode("utf-8")


def test_home_page_is_vietnamese_with_csrf_and_template_links(client):
    r = client.get("/")
    assert r.status_code == 200 and 'lang="vi"' in r.text
    assert "Kiểm tra tệp xếp loại" in r.text and 'name="csrf"' in r.text
    assert "/template?kind=roster" in r.text and "decree-335-2025" in r.text
    assert re.search(r'<option value="auto" selected>', r.text)  # as `evalkit check`: the rule in force per row


def test_english_by_switch_remembered_in_a_cookie(client):
    r = client.get("/?lang=en")
    assert "Check a rating file" in r.text and 'lang="en"' in r.text
    assert client.cookies.get("lang") == "en"
    assert "Check a rating file" in client.get("/").text


def test_over_cap_roster_gives_verdict_calibration_and_reason(browser):
    r = browser.check(data=OVER_CSV, name="ds.csv")
    assert r.status_code == 200
    verdict = re.search(r'id="verdict"[^>]*>([^<]+)<', r.text).group(1)
    assert verdict.startswith("KHÔNG ĐẠT")
    assert re.search(r'id="demotions">1<', r.text)
    assert re.search(r'id="groups-over">1<', r.text)
    calib = r.text.split("Đề xuất điều chỉnh")[1].split("</table>")[0]
    assert "R2" in calib and "R1" not in calib
    assert "Điều 20 khoản 5 điểm a Nghị định 335/2025/NĐ-CP" in r.text  # the rule applied, cited as a letter would


def test_compliant_file(browser):
    r = browser.check(data=OK_CSV, name="ok.csv")
    assert re.search(r'id="verdict"[^>]*>ĐẠT', r.text) and re.search(r'id="demotions">0<', r.text)


def test_sample_workbook_and_its_downloads_embedded_in_the_page(browser):
    r = browser.check(SAMPLE_XLSX)
    assert "KHÔNG ĐẠT" in r.text
    links = dict(re.findall(r'id="dl-(\w+)" href="data:[^;]+;base64,([^"]+)"', r.text))
    assert set(links) == {"xlsx", "roster", "html"}
    import base64

    wb = openpyxl.load_workbook(io.BytesIO(base64.b64decode(links["xlsx"])))
    assert wb.sheetnames[0] == "Tổng hợp" and "Đề xuất điều chỉnh" in wb.sheetnames
    assert str(wb["Tổng hợp"]["B2"].value).startswith("KHÔNG ĐẠT")


def test_direct_downloads(browser):
    xlsx = browser.check(data=OVER_CSV, name="ds.csv", output="xlsx")
    assert xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="ket_qua_kiem_tra.xlsx"' in xlsx.headers["content-disposition"]
    roster = browser.check(data=OVER_CSV, name="ds.csv", output="roster")
    ws = openpyxl.load_workbook(io.BytesIO(roster.content)).active
    rows = list(ws.values)
    header = rows[0]
    assert len(rows) == 1 + 13 and "Xếp loại sau điều chỉnh" in header
    by_id = {row[header.index("Mã CB")]: row for row in rows[1:]}
    after = header.index("Xếp loại sau điều chỉnh")
    assert by_id["R2"][after] == "Hoàn thành tốt nhiệm vụ" and by_id["R1"][after] == "Hoàn thành xuất sắc nhiệm vụ"
    page = browser.check(data=OVER_CSV, name="ds.csv", output="html")
    assert page.headers["content-type"].startswith("text/html") and "KHÔNG ĐẠT" in page.text


def test_counts_table_checked_but_no_roster_to_correct(browser):
    # U1: 3 excellent, 10 good → cap 2, over by 1; U2: 1 excellent, 10 good → compliant.
    counts = ("Năm,Đơn vị,Số HTXSNV,Số HTTNV,Số HTNV,Số KHTNV\n2026,U1,3,10,2,0\n2026,U2,1,10,0,1\n").encode()
    r = browser.check(data=counts, name="counts.csv")
    assert r.status_code == 200 and 'id="dl-roster"' not in r.text and 'id="dl-xlsx"' in r.text
    assert re.search(r'id="groups-over">1<', r.text) and re.search(r'id="demotions">1<', r.text)
    r = browser.check(data=counts, name="counts.csv", output="roster")
    assert r.status_code == 400 and "Bảng số lượng không có danh sách" in r.text


def test_pseudonymize_removes_names_and_ids(browser):
    r = browser.check(data=OVER_CSV, name="ds.csv", pseudonymize="1", output="roster")
    text = " ".join(str(v) for row in openpyxl.load_workbook(io.BytesIO(r.content)).active.values for v in row)
    assert "Người Hai" not in text and "R2" not in text and "P-" in text
    page = browser.check(data=OVER_CSV, name="ds.csv", pseudonymize="1")
    assert "Người Hai" not in page.text and ">R2<" not in page.text


def test_suppress_small_groups(browser):
    r = browser.check(data=OVER_CSV, name="ds.csv", suppress_below="100", output="xlsx")
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    groups = list(wb["Các nhóm"].values)
    assert all("ẩn (dưới 100 người)" in row for row in groups[1:])


def test_year_filter(browser):
    r = browser.check(data=OVER_CSV, name="ds.csv", year="2025")
    assert r.status_code == 400 and "không có dòng nào của năm đã chọn" in r.text


def test_template_downloads(client):
    r = client.get("/template?kind=roster")
    ws = openpyxl.load_workbook(io.BytesIO(r.content)).active
    assert [c.value for c in ws[1]][:4] == ["Mã CB", "Họ và tên", "Năm", "Đơn vị"]
    r = client.get("/template?kind=counts&lang=en")
    assert [c.value for c in openpyxl.load_workbook(io.BytesIO(r.content)).active[1]][0] == "year"
    assert client.get("/template?kind=nope").status_code == 404


def test_policy_pages(client):
    r = client.get("/policies")
    assert "decree-335-2025" in r.text and "resolution-39-2015" in r.text
    r = client.get("/policies/decree-335-2025")
    assert r.status_code == 200 and "Căn cứ:" in r.text and "1/5" in r.text and "Nghị định 335/2025" in r.text
    assert client.get("/policies/resolution-39-2015").status_code == 200
    assert client.get("/policies/auto").status_code == 200
    r = client.get("/policies/khong-co")
    assert r.status_code == 404 and "Không có quy định tên này" in r.text


def test_old_xls_workbook_sniffed_by_content(browser):
    # legacy.xls: unit Sở A, 2 excellent and 1 good → cap = 1 × 1/5 rounded down = 0 → both excellent demoted
    xls = Path(__file__).resolve().parents[1] / "fixtures" / "good" / "legacy.xls"
    r = browser.check(xls, name="khong_co_duoi")
    assert r.status_code == 200 and re.search(r'id="verdict"[^>]*>KHÔNG ĐẠT', r.text)
    assert re.search(r'id="demotions">2<', r.text)


def test_tie_at_the_cut_goes_to_the_council(browser):
    # 2 excellent with the same score, 5 good → cap 1 → one of T1, T2 must move, and nothing decides which
    data = ("Mã CB,Năm,Đơn vị,Đối tượng,Điểm,Xếp loại\nT1,2026,U1,công chức,95,HTXSNV\nT2,2026,U1,công chức,95,HTXSNV\n"
            + "".join(f"G{i},2026,U1,công chức,80,HTTNV\n" for i in range(5))).encode()
    r = browser.check(data=data, name="tie.csv")
    council = r.text.split("Để Hội đồng quyết định")[1].split("</table>")[0]
    assert "T1" in council and "T2" in council
    calib = r.text.split("Đề xuất điều chỉnh")[1].split("</h2>")[1].split("<h2>")[0]
    assert "T1" not in calib and "T2" not in calib
