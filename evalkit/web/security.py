"""Security helpers: password hashing, CSRF tokens, upload size limit and content sniffing."""

from __future__ import annotations

import hmac
import io
import secrets
import threading
import time
import zipfile
from collections import defaultdict, deque

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from starlette.exceptions import HTTPException

_HASHER = PasswordHasher()
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
XLSX_MEMBERS = ("[Content_Types].xml", "xl/workbook.xml")


def hash_password(password: str) -> str:
    """An argon2id hash (salted, with its parameters) of ``password``."""
    return _HASHER.hash(password)


def verify_password(stored_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class LoginThrottle:
    """At most ``limit`` failed log-ins per client address in ``window`` seconds (kept in memory).

    >>> th = LoginThrottle(limit=2, window=60)
    >>> th.fail("1.2.3.4"); th.blocked("1.2.3.4"), th.fail("1.2.3.4"), th.blocked("1.2.3.4")
    (False, None, True)
    """

    def __init__(self, limit: int = 5, window: float = 600):
        self.limit, self.window = limit, window
        self._fails: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def _recent(self, client: str) -> deque:
        fails, now = self._fails[client], time.monotonic()
        while fails and now - fails[0] > self.window:
            fails.popleft()
        return fails

    def blocked(self, client: str) -> bool:
        with self._lock:
            return len(self._recent(client)) >= self.limit

    def fail(self, client: str) -> None:
        with self._lock:
            self._recent(client).append(time.monotonic())

    def reset(self, client: str) -> None:
        with self._lock:
            self._fails.pop(client, None)


# ---------------------------------------------------------------------------- CSRF
def csrf_token(session: dict) -> str:
    """The session's CSRF token, created on first use."""
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def csrf_ok(session: dict, submitted: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and submitted and hmac.compare_digest(expected, submitted))


# ---------------------------------------------------------------------------- content sniffing
def sniff(data: bytes) -> str | None:
    """The file's type judged by its content: 'xlsx', 'xls', 'csv', or None (not a spreadsheet).

    >>> sniff(b"Ma CB,Xep loai\\n1,HTXSNV\\n"), sniff(OLE2_MAGIC + bytes(100)), sniff(b"\\x89PNG\\r\\n\\x1a\\n"), sniff(b"")
    ('csv', 'xls', None, None)
    """
    if not data:
        return None
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return None
        return "xlsx" if all(m in names for m in XLSX_MEMBERS) else None
    if data.startswith(OLE2_MAGIC):
        return "xls"
    return "csv" if _is_text(data) else None


def _is_text(data: bytes) -> bool:
    """Decodable text without control bytes: UTF-8 (with or without BOM), UTF-16 with a BOM, or Windows-1258."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            return False
    else:
        if b"\x00" in data:
            return False
        for enc in ("utf-8-sig", "cp1258"):
            try:
                text = data.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            return False
    sample = text[:65536]
    return not any(ord(ch) < 32 and ch not in "\t\r\n\f" for ch in sample)


# ---------------------------------------------------------------------------- request size limit
class BodyLimitMiddleware:
    """Refuse request bodies over ``limit`` bytes with 413 before they are parsed or spooled.

    A declared Content-Length over the limit is refused at once (``too_large(scope)`` makes the
    response); otherwise the body is counted as it arrives and the request is stopped with
    ``HTTPException(413)`` the moment it goes over, which the application's handlers render.
    """

    def __init__(self, app, limit: int, too_large):
        self.app, self.limit, self.too_large = app, limit, too_large

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > self.limit:
            return await self.too_large(scope)(scope, receive, send)
        seen = 0

        async def counting_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise HTTPException(413)
            return message

        await self.app(scope, counting_receive, send)
