"""The security rules: hashed password, signed sessions, CSRF, escaping, file names, temp files, headers."""

from __future__ import annotations

import tempfile

import pytest
from sqlalchemy import select

from web_helpers import ADMIN, PASSWORD
from evalkit.web import db as D
from evalkit.web.security import sniff

CSV = "Mã CB,Năm,Đơn vị,Xếp loại\nA1,2026,U1,HTTNV\n".encode()


def test_password_is_stored_hashed(app):
    with app.state.Session() as s:
        stored = s.scalar(select(D.Admin.password_hash).where(D.Admin.username == ADMIN))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored


def test_login_wrong_password_and_open_redirect(browser):
    r = browser.login(password="sai-mat-khau")
    assert r.status_code == 401 and "Sai tên đăng nhập hoặc mật khẩu" in r.text
    r = browser.c.post("/login", data={"csrf": browser.token("/login"), "username": ADMIN, "password": PASSWORD,
                                       "next": "//evil.example/x"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/admin"


def test_repeated_failed_logins_are_refused_for_a_while(browser):
    for _ in range(5):
        assert browser.login(password="doan-mo").status_code == 401
    r = browser.login()  # even the right password waits now
    assert r.status_code == 429 and "Đăng nhập sai quá nhiều lần" in r.text
    assert browser.c.get("/api/rounds", auth=(ADMIN, PASSWORD)).status_code == 429


def test_admin_pages_need_login(client):
    r = client.get("/admin/rounds/1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    assert client.post("/admin/rounds", data={"csrf": "x", "name": "a", "year": "2026"}).status_code == 403


def test_session_cookie_is_signed(client, browser):
    browser.login()
    assert client.get("/admin").status_code == 200
    value = client.cookies.get("evalkit_session")
    client.cookies.set("evalkit_session", value[:-4] + ("AAAA" if not value.endswith("AAAA") else "BBBB"))
    assert client.get("/admin", follow_redirects=False).status_code == 303  # tampered → not logged in


@pytest.mark.parametrize("path", ["/check", "/login", "/logout"])
def test_forms_refuse_a_missing_or_wrong_csrf_token(client, path):
    client.get("/")
    for data in ({}, {"csrf": "forged"}):
        r = client.post(path, data=data, files={"file": ("a.csv", CSV)} if path == "/check" else None)
        assert r.status_code == 403 and "Phiên làm việc đã hết hạn" in r.text


def test_every_form_carries_a_csrf_token(browser):
    browser.login()
    for path in ("/", "/login", "/admin"):
        html = browser.c.get(path).text
        assert html.count("<form") == html.count('name="csrf"'), path


def test_file_name_is_not_a_path_and_is_escaped(browser):
    r = browser.check(data=CSV, name="../../<img src=x onerror=alert(1)>.csv")
    assert r.status_code == 200
    shown = r.text.split("<main>")[1].split("</p>")[0]
    assert "<img" not in r.text and shown.endswith("Tệp: &lt;img src=x onerror=alert(1)&gt;.csv")


def test_cell_text_is_escaped(browser):
    data = "Mã CB,Năm,Đơn vị,Xếp loại\n<b>x</b>,2026,<img src=x onerror=alert(1)>,HTXSNV\n".encode()
    r = browser.check(data=data, name="x.csv")
    assert "<img src=x" not in r.text and "&lt;img src=x onerror=alert(1)&gt;" in r.text


def test_check_only_upload_leaves_no_file(browser, tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    assert browser.check(data=CSV, name="x.csv").status_code == 200
    assert browser.check(data=CSV, name="x.csv", output="xlsx").status_code == 200
    assert browser.check(data=b"Ma,Nam\n1,2\n", name="bad.csv").status_code == 422
    assert list(scratch.iterdir()) == []


def test_check_only_upload_is_not_stored(app, browser):
    browser.check(data=CSV, name="x.csv")
    with app.state.Session() as s:
        assert s.scalar(select(D.Submission.id)) is None


def test_security_headers(client):
    h = client.get("/").headers
    assert "script-src 'none'" in h["content-security-policy"] and h["x-frame-options"] == "DENY"
    assert h["x-content-type-options"] == "nosniff"


def test_upload_sniffed_by_content_not_name(browser):
    from web_helpers import SAMPLE_XLSX

    assert browser.check(SAMPLE_XLSX, name="looks_like.csv").status_code == 200  # an xlsx named .csv
    assert browser.check(data=b"%PDF-1.4\n\x00\x01binary", name="ok.xlsx").status_code == 415


def test_sniff_cases():
    assert sniff("Mã CB;Năm\n".encode("utf-16")) == "csv"
    assert sniff("Đơn,Năm\n".encode("cp1258")) == "csv"
    assert sniff(b"PK\x03\x04garbage") is None


def test_agency_tokens_are_long_and_random(app):
    from evalkit.web.rounds import add_agency, create_round

    with app.state.Session() as s:
        rnd = create_round(s, "Đợt", 2026, "decree-335-2025")
        tokens = {add_agency(s, rnd, f"Cơ quan {i}").token for i in range(20)}
    assert len(tokens) == 20 and min(len(t) for t in tokens) >= 32


def test_create_admin_from_the_command_line(tmp_path, monkeypatch):
    from evalkit.cli import main

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("EVALKIT_ADMIN_PASSWORD", "mot-mat-khau-dai")
    assert main(["serve", "--db", url, "--create-admin", "truongphong"]) == 0
    engine = D.make_engine(url)
    with D.sessions(engine)() as s:
        assert s.scalar(select(D.Admin.username)) == "truongphong"
    engine.dispose()
    monkeypatch.setenv("EVALKIT_ADMIN_PASSWORD", "ngan")
    assert main(["serve", "--db", url, "--create-admin", "x"]) == 2
