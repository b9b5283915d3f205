"""What the pages, the rounds and the API share: settings, user errors, language, rendering, uploads.

Nothing from a check-only upload is kept: the file lives in a private temporary directory that is
removed before the response is sent.
"""

from __future__ import annotations

import base64
import os
import re
import tempfile
import threading
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from starlette.exceptions import HTTPException

from . import db as D
from . import engine as E
from .security import csrf_ok, csrf_token, sniff
from .text import LANGS

DEFAULT_POLICY = E.AUTO  #: as `evalkit check`: the rule in force for each row's year and staff type
EMBED_ROWS = 3000  #: results whose tables hold up to this many rows carry their downloads inside the page
SHOW_ROWS = 200    #: rows of each table shown on a page
MIME = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "html": "text/html; charset=utf-8"}
#: checks are CPU-bound: run at most one per core at a time, the others wait their turn (first come, first served)
CHECK_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
DOWNLOADS = ("xlsx", "roster", "html")
DOWNLOAD_NAMES = {"xlsx": ("ket_qua_kiem_tra.xlsx", "check_result.xlsx"),
                  "roster": ("danh_sach_sau_dieu_chinh.xlsx", "roster_after_calibration.xlsx"),
                  "html": ("bao_cao_kiem_tra.html", "check_report.html")}


@dataclass
class Settings:
    """What `evalkit serve` configures; environment variables fill what is not given."""

    db_url: str = D.DEFAULT_DB_URL
    max_upload_mb: float = 20
    secret_key: str | None = None
    secure_cookies: bool = False

    @classmethod
    def from_env(cls, db_url: str | None = None) -> "Settings":
        return cls(db_url=db_url or os.environ.get("EVALKIT_DB_URL") or D.DEFAULT_DB_URL,
                   max_upload_mb=float(os.environ.get("EVALKIT_MAX_UPLOAD_MB", 20)),
                   secret_key=os.environ.get("EVALKIT_SECRET_KEY"),
                   secure_cookies=os.environ.get("EVALKIT_SECURE_COOKIES") == "1")

    @property
    def max_upload(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


class UserError(HTTPException):
    """A mistake the user can fix: shown as a page (or JSON) with the text ``key`` in their language."""

    def __init__(self, status: int, key: str, **kw):
        super().__init__(status, key)
        self.key, self.kw = key, kw


def when(value) -> str:
    """A stored time as an HR office writes it: ``29/11/2026 15:29 UTC`` (datetime or ISO text).

    >>> when("2026-11-29T15:29:25+00:00"), when(None)
    ('29/11/2026 15:29 UTC', '')
    """
    import datetime as dt

    if not value:
        return ""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value.tzinfo is None:  # SQLite gives back naive times; they were stored in UTC
        value = value.replace(tzinfo=dt.timezone.utc)
    return value.astimezone(dt.timezone.utc).strftime("%d/%m/%Y %H:%M UTC")


def mb_text(value: float) -> str:
    return f"{value:g}"


# ---------------------------------------------------------------------------- language, rendering
def cell(value, lang: str) -> str:
    """A table cell as text: blanks for missing values, yes/no words for booleans.

    >>> cell(None, "vi"), cell(float("nan"), "vi"), cell(True, "vi"), cell(False, "en"), cell(3, "en")
    ('', '', 'có', 'no', '3')
    """
    import pandas as pd

    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return ("có" if lang == "vi" else "yes") if value else ("không" if lang == "vi" else "no")
    return str(value)


def lang_of(request: Request) -> str:
    """``?lang=`` first, then the ``lang`` cookie, else Vietnamese."""
    q = request.query_params.get("lang")
    if q in LANGS:
        return q
    c = request.cookies.get("lang")
    return c if c in LANGS else "vi"


def render(request: Request, template: str, status_code: int = 200, **context) -> HTMLResponse:
    """A page from ``templates/<template>`` with the language, its words, the CSRF token and the user."""
    lang = lang_of(request)
    session = request.scope.get("session")
    context.update(request=request, lang=lang, other_lang="en" if lang == "vi" else "vi",
                   csrf=csrf_token(session) if session is not None else "",
                   admin=session.get("admin") if session is not None else None,
                   max_mb=mb_text(request.app.state.settings.max_upload_mb))
    return request.app.state.templates.TemplateResponse(request, template, context, status_code=status_code)


def require_csrf(request: Request, token: str | None) -> None:
    if not csrf_ok(request.session, token):
        raise UserError(403, "csrf")


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api")


# ---------------------------------------------------------------------------- uploads and checks
@dataclass
class Upload:
    data: bytes
    file_type: str      #: judged by content: xlsx, xls or csv
    display_name: str   #: the user's file name cleaned for display; never used as a path


def read_upload(request: Request, file) -> Upload:
    """The uploaded bytes, refused when missing (400), too large (413) or not a spreadsheet (415)."""
    if file is None or not getattr(file, "filename", None):
        raise UserError(400, "no_file")
    limit = request.app.state.settings.max_upload
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise UserError(413, "e413", mb=mb_text(request.app.state.settings.max_upload_mb))
    if not data:
        raise UserError(400, "empty_file")
    kind = sniff(data)
    if kind is None:
        raise UserError(415, "e415")
    return Upload(data, kind, display_name(file.filename))


def display_name(name: str | None) -> str:
    """A file name fit to show: the last path part, printable characters only, at most 120 long.

    >>> display_name("../../etc/passwd"), display_name("C:\\\\Users\\\\x\\\\bảng <1>.xlsx")
    ('passwd', 'bảng <1>.xlsx')
    """
    base = re.split(r"[\\\\/]", name or "")[-1]
    clean = "".join(ch for ch in unicodedata.normalize("NFC", base) if unicodedata.category(ch)[0] != "C")
    return clean.strip()[:120] or "upload"


@dataclass
class CheckOptions:
    policy: str = DEFAULT_POLICY
    sheet: str | None = None
    year: int | None = None
    pseudonymize: bool = False
    suppress_below: int | None = None


def parse_options(policy: str | None, sheet: str | None, year: str | int | None, pseudonymize,
                  suppress_below: str | int | None) -> CheckOptions:
    """Form or API fields as check options; a bad value is a :class:`UserError` naming it."""
    names = {name for name, _ in E.policy_choices("en")}
    policy = (policy or DEFAULT_POLICY).strip()
    if policy not in names:
        raise UserError(400, "unknown_policy")
    y = _int_or_none(year, "bad_year")
    if y is not None and not 1900 <= y <= 2200:
        raise UserError(400, "bad_year")
    k = _int_or_none(suppress_below, "bad_k")
    if k is not None and k < 1:
        raise UserError(400, "bad_k")
    return CheckOptions(policy, (sheet or "").strip() or None, y,
                        str(pseudonymize).lower() in ("1", "true", "on", "yes"), k)


def _int_or_none(value, key: str) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise UserError(400, key) from None


def run_check(upload: Upload, options: CheckOptions, lang: str, outputs: tuple[str, ...] = (), *,
              embed_if_small: bool = False):
    """Check the upload in a private temporary directory, make the downloads, delete the file.

    ``outputs`` names the downloads to make; ``embed_if_small`` makes all of them when the report is
    small enough to carry inside the page. Returns ``(result, downloads)``; raises
    :class:`engine.InputError` for unusable input and :class:`UserError` for an impossible option.
    """
    with CHECK_SLOTS, tempfile.TemporaryDirectory(prefix="evalkit-upload-") as d:
        path = Path(d) / f"upload.{upload.file_type}"  # the user's name is never part of a path
        path.write_bytes(upload.data)
        try:
            result = E.check_upload(path, policy=options.policy, sheet=options.sheet, year=options.year, lang=lang,
                                    pseudonymize_ids=options.pseudonymize, suppress_below=options.suppress_below,
                                    display_name=upload.display_name)
        except E.PolicyError as exc:
            raise UserError(400, "e422", detail=str(exc)) from None
        except ValueError as exc:
            if isinstance(exc, E.InputError):
                raise
            if str(exc) in ("no_year_column", "no_rows_for_year"):
                raise UserError(400, str(exc)) from None
            raise
        if embed_if_small and result.table_rows <= EMBED_ROWS:
            outputs = DOWNLOADS
        downloads = {name: make_download(result, name) for name in outputs
                     if not (name == "roster" and not result.has_roster)}
    return result, downloads


def make_download(result, name: str) -> bytes:
    return {"xlsx": result.annotated_workbook, "roster": result.corrected_roster, "html": result.html_report}[name]()


def download_response(data: bytes, name: str, lang: str) -> Response:
    filename = DOWNLOAD_NAMES[name][0 if lang == "vi" else 1]
    mime = MIME["html" if name == "html" else "xlsx"]
    return Response(data, media_type=mime, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


def data_uri(data: bytes, name: str) -> str:
    mime = MIME["html" if name == "html" else "xlsx"].split(";")[0]
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")
