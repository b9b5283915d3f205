"""Helpers shared by the web tests (a module of its own name, so it never clashes with tests/conftest.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the web stack (FastAPI) is not installed: pip install -e .")

from fastapi.testclient import TestClient  # noqa: E402

from evalkit.web.app import Settings, create_app  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_XLSX = ROOT / "data" / "sample" / "so_noi_vu_2026_xep_loai.xlsx"
SAMPLE_ROSTER = ROOT / "data" / "sample" / "province_2026_roster.csv"
SAMPLE_COUNTS = ROOT / "data" / "sample" / "province_2026_counts_by_task_group.csv"
ADMIN, PASSWORD = "admin", "mat-khau-thu-nghiem"


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


class Browser:
    """A TestClient that remembers the last CSRF token it saw on a page."""

    def __init__(self, client: TestClient):
        self.c = client

    def token(self, path: str = "/") -> str:
        return csrf_of(self.c.get(path).text)

    def check(self, path: Path | None = None, data: bytes | None = None, name: str = "f.xlsx", **fields):
        content = data if data is not None else path.read_bytes()
        form = {"csrf": self.token(), **{k: str(v) for k, v in fields.items()}}
        return self.c.post("/check", data=form, files={"file": (name, content)})

    def login(self, user: str = ADMIN, password: str = PASSWORD):
        return self.c.post("/login", data={"csrf": self.token("/login"), "username": user, "password": password})


def make_app(db_url: str, **kw):
    return create_app(Settings(db_url=db_url, secret_key="test-secret", **kw))
