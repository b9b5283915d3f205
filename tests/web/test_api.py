"""POST /api/check and the OpenAPI description."""

from __future__ import annotations

import io

import openpyxl

from web_helpers import SAMPLE_XLSX

OVER = ("Mã CB,Năm,Đơn vị,Đối tượng,Điểm,Xếp loại\nR1,2026,U1,công chức,95,HTXSNV\n"
        "R2,2026,U1,công chức,91,HTXSNV\n" + "".join(f"G{i},2026,U1,công chức,80,HTTNV\n" for i in range(5))).encode()


def test_api_check_json(client):
    r = client.post("/api/check", files={"file": ("x.csv", OVER)}, data={"lang": "en"})
    assert r.status_code == 200
    doc = r.json()
    assert doc["status"] == "over" and doc["compliant"] is False and doc["demotions"] == 1
    assert doc["groups_over"] == 1 and doc["excess"] == 1 and doc["policy"] == "decree-335-2025"
    assert doc["verdict"].startswith("NOT COMPLIANT")
    assert [row["Person id"] for row in doc["calibration"]] == ["R2"]
    assert doc["level_counts"] == {"n_excellent": 2, "n_good": 5, "n_completed": 0, "n_not_completed": 0,
                                   "n_not_rated": 0}
    assert any("335/2025" in line for line in doc["citation"])


def test_api_check_vietnamese_and_download(client):
    doc = client.post("/api/check", files={"file": ("s.xlsx", SAMPLE_XLSX.read_bytes())}).json()
    assert doc["verdict"].startswith("KHÔNG ĐẠT")
    r = client.post("/api/check", files={"file": ("s.xlsx", SAMPLE_XLSX.read_bytes())}, data={"format": "xlsx"})
    assert openpyxl.load_workbook(io.BytesIO(r.content)).sheetnames[0] == "Tổng hợp"


def test_api_check_unusable_and_bad_requests(client):
    r = client.post("/api/check", files={"file": ("x.csv", b"Ma CB,Nam\nA,2026\n")})
    assert r.status_code == 422 and r.json()["status"] == "unusable" and r.json()["problems"]
    r = client.post("/api/check", files={"file": ("x.png", b"\x89PNG\r\n\x1a\n\x00\x00")})
    assert r.status_code == 415 and "not an .xlsx" in r.json()["detail"]
    assert client.post("/api/check").status_code == 422
    r = client.post("/api/check", files={"file": ("x.csv", OVER)}, data={"format": "pdf"})
    assert r.status_code == 422


def test_openapi_lists_the_api_and_the_page_shows_it(client):
    spec = client.get("/openapi.json").json()
    for path in ("/api/check", "/api/rounds", "/api/rounds/{round_id}", "/api/rounds/{round_id}/agencies",
                 "/api/agency/{token}/submissions"):
        assert path in spec["paths"], path
    page = client.get("/api")
    assert page.status_code == 200 and "/api/check" in page.text and "<script" not in page.text
    assert "/check" not in spec["paths"]  # pages are not part of the API


def test_api_policies(client):
    doc = client.get("/api/policies").json()
    assert {"auto", "decree-335-2025"} <= {p["name"] for p in doc["cap"]}
    assert doc["explain"]["resolution-39-2015"] == "recruitment"
