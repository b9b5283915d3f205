"""Every bad input gets a clear page (or JSON) with the right status, never a stack trace."""

from __future__ import annotations

import zipfile
import io

import pytest

from web_helpers import make_app
from evalkit.web.security import OLE2_MAGIC

MISSING_COLUMN = "Mã CB,Năm,Xếp loại\nA1,2026,HTXSNV\n".encode()
BAD_LEVEL = "Mã CB,Năm,Đơn vị,Xếp loại\nA1,2026,U1,giỏi lắm\nA2,2026,U1,HTTNV\n".encode()


def _zip_without_workbook() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("hello.txt", "not a workbook")
    return buf.getvalue()


@pytest.mark.parametrize("data, name, status, words", [
    (b"", "empty.csv", 400, "Tệp rỗng"),
    (b"\x89PNG\r\n\x1a\n" + bytes(200), "anh.xlsx", 415, "không phải là bảng tính"),
    (_zip_without_workbook(), "fake.xlsx", 415, "không phải là bảng tính"),
    (b"a,b\n\x00\x01\x02", "binary.csv", 415, "không phải là bảng tính"),
    (OLE2_MAGIC + bytes(600), "old.xls", 422, "không mở được tệp như một sổ tính Excel"),
    (MISSING_COLUMN, "ds.csv", 422, "thiếu cột bắt buộc"),
    (BAD_LEVEL, "ds.csv", 422, "dòng 2, cột &#39;Xếp loại&#39;: mức xếp loại không hợp lệ"),
])
def test_bad_files(browser, data, name, status, words):
    r = browser.check(data=data, name=name)
    assert r.status_code == status, r.text[-500:]
    assert words in r.text and "Traceback" not in r.text


def test_no_file_chosen(browser, client):
    r = client.post("/check", data={"csrf": browser.token()})
    assert r.status_code == 400 and "Chưa chọn tệp" in r.text


@pytest.mark.parametrize("fields, words", [
    ({"year": "hai nghìn"}, "Năm phải là số"), ({"suppress_below": "-3"}, "K phải là số nguyên dương"),
    ({"policy": "no-such-rule"}, "Không có quy định tên này"),
])
def test_bad_options(browser, fields, words):
    r = browser.check(data=BAD_LEVEL.replace(b"gi\xe1\xbb\x8fi l\xe1\xba\xafm", b"HTTNV"), name="x.csv", **fields)
    assert r.status_code == 400 and words in r.text


def test_too_large_upload_is_413_with_a_message(tmp_path):
    from fastapi.testclient import TestClient

    app = make_app(f"sqlite:///{tmp_path / 'db.sqlite'}", max_upload_mb=0.01)
    with TestClient(app) as c:
        from web_helpers import Browser

        b = Browser(c)
        big = b"Ma CB,Nam,Don vi,Xep loai\n" + b"A1,2026,U1,HTTNV\n" * 2000  # ~34 kB > 10 kB
        r = b.check(data=big, name="big.csv")
        assert r.status_code == 413 and "Tệp quá lớn: tối đa 0.01 MB" in r.text
        r = c.post("/api/check", files={"file": ("big.csv", big)})
        assert r.status_code == 413 and "too large" in r.json()["detail"]
    app.state.engine.dispose()


def test_internal_error_is_a_page_without_trace(app, monkeypatch):
    from fastapi.testclient import TestClient

    from web_helpers import Browser
    from evalkit.web import engine

    def boom(*a, **k):
        raise RuntimeError("secret internals")
    monkeypatch.setattr(engine, "check_upload", boom)
    r = Browser(TestClient(app, raise_server_exceptions=False)).check(data=BAD_LEVEL, name="x.csv")
    assert r.status_code == 500 and "Lỗi trong chương trình" in r.text
    assert "secret internals" not in r.text and "Traceback" not in r.text


def test_unknown_page_404(client):
    r = client.get("/khong-ton-tai")
    assert r.status_code == 404 and "Không tìm thấy trang" in r.text
