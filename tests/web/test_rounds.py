"""Rating rounds end to end through the pages and the API, on SQLite and (when available) PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import re

import openpyxl
import pytest
from fastapi.testclient import TestClient

from web_helpers import ADMIN, PASSWORD, Browser

# Agency A: compliant (1 excellent, 5 good → cap 1). Agency B: 3 excellent, 5 good → cap 1 → 2 over, 2 demotions.
A_CSV = ("Mã CB,Năm,Đơn vị,Đối tượng,Điểm,Xếp loại\nA1,2026,SoA,công chức,95,HTXSNV\n"
         + "".join(f"A{i},2026,SoA,công chức,80,HTTNV\n" for i in range(2, 7)) + "A7,2026,SoA,công chức,60,HTNV\n"
         ).encode()
B_CSV = ("Mã CB,Năm,Đơn vị,Đối tượng,Điểm,Xếp loại\n"
         + "".join(f"B{i},2026,SoB,công chức,{90 + i},HTXSNV\n" for i in range(1, 4))
         + "".join(f"B{i},2026,SoB,công chức,80,HTTNV\n" for i in range(4, 9))
         + "B9,2026,SoB,công chức,40,KHTNV\n").encode()
AUTH = (ADMIN, PASSWORD)


@pytest.fixture
def rb(round_app):
    with TestClient(round_app) as c:
        yield Browser(c)


def _make_round(b: Browser) -> tuple[int, dict[str, str]]:
    assert b.login().status_code in (200, 303)
    r = b.c.post("/admin/rounds", data={"csrf": b.token("/admin"), "name": "Đợt 2026 tỉnh Quảng Ninh",
                                        "year": "2026", "policy": "decree-335-2025"})
    round_id = int(re.search(r"/admin/rounds/(\d+)", str(r.url)).group(1))
    for name in ("Sở Nội vụ", "Sở Tài chính"):
        b.c.post(f"/admin/rounds/{round_id}/agencies", data={"csrf": b.token("/admin"), "name": name})
    page = b.c.get(f"/admin/rounds/{round_id}").text
    links = dict(re.findall(r'data-agency="([^"]+)">.*?value="http://testserver/u/([^"]+)"', page, re.S))
    return round_id, links


def _upload(b: Browser, token: str, data: bytes, name: str = "ket_qua.csv"):
    return b.c.post(f"/u/{token}", data={"csrf": b.token("/")}, files={"file": (name, data)})


def test_round_with_two_agencies_end_to_end(rb):
    round_id, links = _make_round(rb)
    assert set(links) == {"Sở Nội vụ", "Sở Tài chính"} and len(set(links.values())) == 2
    assert all(len(tok) >= 32 for tok in links.values())
    a, b = links["Sở Nội vụ"], links["Sở Tài chính"]
    agency = Browser(TestClient(rb.c.app))  # agencies have no login, only their link
    r = _upload(agency, a, B_CSV)  # a wrong first version …
    assert r.status_code == 200 and "lần 1" in r.text and "KHÔNG ĐẠT" in r.text
    r = _upload(agency, a, A_CSV)  # … replaced by the right one
    assert "lần 2" in r.text and "ĐẠT: không nhóm nào vượt giới hạn" in r.text
    assert _upload(agency, b, B_CSV).status_code == 200

    page = rb.c.get(f"/admin/rounds/{round_id}").text
    rows = dict(re.findall(r'data-agency="([^"]+)">(.*?)</tr>', page, re.S))
    cells = {k: re.findall(r"<td>(.*?)</td>", v, re.S) for k, v in rows.items()}
    assert "Đạt" in cells["Sở Nội vụ"][2] and cells["Sở Nội vụ"][7] == "2"
    assert "Không đạt" in cells["Sở Tài chính"][2]
    assert cells["Sở Tài chính"][3:7] == ["1", "2", "2", "0"]  # groups over, over by, demotions, problems

    # every version kept with its hash
    api = rb.c.get(f"/api/agency/{a}/submissions").json()
    assert [s["version"] for s in api["submissions"]] == [1, 2]
    assert api["submissions"][1]["sha256"] == hashlib.sha256(A_CSV).hexdigest()
    assert api["submissions"][0]["status"] == "over" and api["submissions"][1]["status"] == "compliant"

    # the provincial summary: counts per level per agency, and the province total
    x = rb.c.get(f"/admin/rounds/{round_id}/summary.xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(x.content)).active
    rows = list(ws.values)
    head = rows[0]
    by = {r[0]: dict(zip(head, r)) for r in rows[1:]}
    assert (by["Sở Nội vụ"]["HTXSNV"], by["Sở Nội vụ"]["HTTNV"], by["Sở Nội vụ"]["HTNV"]) == (1, 5, 1)
    assert (by["Sở Tài chính"]["HTXSNV"], by["Sở Tài chính"]["HTTNV"], by["Sở Tài chính"]["KHTNV"]) == (3, 5, 1)
    assert by["Toàn tỉnh"]["HTXSNV"] == 4 and by["Toàn tỉnh"]["Tổng số"] == 16
    assert by["Sở Tài chính"]["Số người đề xuất hạ mức"] == 2

    # closing the round stops uploads
    rb.c.post(f"/admin/rounds/{round_id}/state", data={"csrf": rb.token("/admin"), "closed": "1"})
    r = _upload(agency, b, B_CSV)
    assert r.status_code == 409 and "đã đóng" in r.text


def test_agency_sees_only_its_own_submissions(rb):
    _, links = _make_round(rb)
    a, b = links["Sở Nội vụ"], links["Sở Tài chính"]
    agency = Browser(TestClient(rb.c.app))
    _upload(agency, a, A_CSV, name="cua_so_noi_vu.csv")
    _upload(agency, b, B_CSV, name="cua_so_tai_chinh.csv")
    page_a = agency.c.get(f"/u/{a}").text
    assert "cua_so_noi_vu.csv" in page_a and "cua_so_tai_chinh.csv" not in page_a
    assert agency.c.get(f"/u/{a}/versions/1/file").content == A_CSV
    assert [s["file_name"] for s in agency.c.get(f"/api/agency/{b}/submissions").json()["submissions"]] == [
        "cua_so_tai_chinh.csv"]
    assert agency.c.get("/u/not-a-real-token").status_code == 404
    assert agency.c.get(f"/u/{a}/versions/9/file").status_code == 404
    # an agency link gives no access to the administrator's pages
    assert agency.c.get("/admin", follow_redirects=False).status_code == 303
    assert agency.c.get("/admin/submissions/1/file", follow_redirects=False).status_code == 303


def test_unusable_upload_is_kept_as_a_version_with_its_problems(rb):
    _, links = _make_round(rb)
    agency = Browser(TestClient(rb.c.app))
    r = _upload(agency, links["Sở Nội vụ"], "Mã CB,Năm,Xếp loại\nA1,2026,HTXSNV\n".encode())
    assert "Tệp lỗi" in r.text and "thiếu cột bắt buộc" in r.text


def test_api_rounds_with_basic_auth(rb):
    c = rb.c
    assert c.get("/api/rounds").status_code == 401
    assert c.get("/api/rounds", auth=(ADMIN, "sai")).status_code == 401
    r = c.post("/api/rounds", json={"name": "Đợt API", "year": 2026}, auth=AUTH)
    assert r.status_code == 201
    rid = r.json()["id"]
    assert c.post("/api/rounds", json={"name": "", "year": 2026}, auth=AUTH).status_code == 422
    assert c.post("/api/rounds", json={"name": "x", "year": 2026, "policy": "nope"}, auth=AUTH).status_code == 400
    tok = c.post(f"/api/rounds/{rid}/agencies", json={"name": "UBND huyện"}, auth=AUTH).json()["token"]
    r = c.post(f"/api/agency/{tok}/submissions", files={"file": ("b.csv", B_CSV)})
    assert r.status_code == 201 and r.json()["summary"]["demotions"] == 2
    dash = c.get(f"/api/rounds/{rid}", auth=AUTH).json()
    assert dash["agencies"][0]["status"] == "over" and dash["agencies"][0]["excess"] == 2
    assert c.post(f"/api/rounds/{rid}/state", json={"closed": True}, auth=AUTH).json()["closed"] is True
    assert c.post(f"/api/agency/{tok}/submissions", files={"file": ("b.csv", B_CSV)}).status_code == 409


def test_schema_comes_from_the_shipped_migration(round_app):
    from sqlalchemy import inspect, text

    with round_app.state.engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar() == "0001_rounds"
    assert {"rating_round", "agency", "submission", "admin"} <= set(inspect(round_app.state.engine).get_table_names())


def test_summary_of_a_round_without_uploads(rb):
    round_id, _ = _make_round(rb)
    ws = openpyxl.load_workbook(io.BytesIO(rb.c.get(f"/admin/rounds/{round_id}/summary.xlsx").content)).active
    rows = list(ws.values)
    assert [r[0] for r in rows[1:]] == ["Sở Nội vụ", "Sở Tài chính", "Toàn tỉnh"]
    assert rows[1][1] == "Chưa nộp" and rows[3][rows[0].index("Tổng số")] == 0
