"""The FastAPI application: the check page, rating rounds, the administrator, and the JSON API.

Pages are Jinja2 templates (autoescaped, no JavaScript, no external files); the language is
Vietnamese unless ``?lang=en`` (remembered in a cookie).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException
from starlette.middleware.sessions import SessionMiddleware

from . import api, pages, rounds
from . import db as D
from .common import Settings, UserError, cell, is_api, lang_of, mb_text, render, when
from .security import BodyLimitMiddleware, LoginThrottle, hash_password
from .text import LANGS, has_text, t

log = logging.getLogger("evalkit.web")
HERE = Path(__file__).parent
__all__ = ["Settings", "create_app"]


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the application: migrate the database, create the administrator from the environment."""
    settings = settings or Settings.from_env()
    engine = D.make_engine(settings.db_url)
    D.migrate(engine)
    Session = D.sessions(engine)
    with Session() as s:
        secret = settings.secret_key or D.get_setting(s, "secret_key")
        if not secret:
            secret = secrets.token_urlsafe(48)
            s.add(D.Setting(key="secret_key", value=secret))
            s.commit()
        if os.environ.get("EVALKIT_ADMIN_PASSWORD"):
            D.ensure_admin(s, os.environ.get("EVALKIT_ADMIN_USER", "admin"),
                           hash_password(os.environ["EVALKIT_ADMIN_PASSWORD"]))

    app = FastAPI(title="evalkit", version=_version(), docs_url=None, redoc_url=None,
                  description="Check Vietnamese civil-servant ratings against the excellent-rating cap; "
                              "run a province's rating round. Pages in Vietnamese (default) or English (?lang=en).")
    app.state.settings, app.state.engine, app.state.Session = settings, engine, Session
    app.state.login_throttle = LoginThrottle()
    app.state.templates = Jinja2Templates(directory=HERE / "templates")
    app.state.templates.env.globals.update(t=t, LANGS=LANGS, cell=cell)
    app.state.templates.env.filters["when"] = when
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    def too_large(scope):
        path = scope.get("path", "")
        mb = mb_text(settings.max_upload_mb)
        if path.startswith("/api"):
            return JSONResponse({"detail": t("en", "e413", mb=mb)}, status_code=413)
        from starlette.requests import Request as ScopeRequest

        lang = lang_of(ScopeRequest(scope))
        body = f"<!DOCTYPE html><html lang='{lang}'><meta charset='utf-8'><title>413</title>" \
               f"<p>{t(lang, 'e413', mb=mb)}</p><p><a href='/'>{t(lang, 'back_home')}</a></p></html>"
        return HTMLResponse(body, status_code=413)

    app.add_middleware(BodyLimitMiddleware, limit=settings.max_upload + 256 * 1024, too_large=too_large)
    app.add_middleware(SessionMiddleware, secret_key=secret, session_cookie="evalkit_session", max_age=8 * 3600,
                       same_site="lax", https_only=settings.secure_cookies)

    @app.middleware("http")
    async def headers(request: Request, call_next):
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Content-Security-Policy",
                                    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'none'; "
                                    "form-action 'self'; frame-ancestors 'none'")
        if request.query_params.get("lang") in LANGS:
            response.set_cookie("lang", request.query_params["lang"], max_age=365 * 86400, samesite="lax")
        return response

    _error_handlers(app)
    app.include_router(pages.router)
    app.include_router(rounds.router)
    app.include_router(api.router)
    return app


def _version() -> str:
    from .. import __version__

    return __version__


def _error_handlers(app: FastAPI) -> None:
    def reply(request: Request, status: int, message: str):
        if is_api(request):
            return JSONResponse({"detail": message}, status_code=status)
        return render(request, "error.html", status_code=status, status=status, message=message)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException):
        lang = "en" if is_api(request) and "lang" not in request.query_params else lang_of(request)
        if isinstance(exc, UserError):
            message = t(lang, exc.key, **exc.kw)
        elif exc.status_code == 413:
            message = t(lang, "e413", mb=mb_text(request.app.state.settings.max_upload_mb))
        elif has_text(f"e{exc.status_code}"):
            message = t(lang, f"e{exc.status_code}")
        else:
            message = str(exc.detail)
        response = reply(request, exc.status_code, message)
        if exc.status_code == 401 and is_api(request):
            response.headers["WWW-Authenticate"] = 'Basic realm="evalkit"'
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError):
        lang = "en" if is_api(request) else lang_of(request)
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()) if p != 'body')}: {e.get('msg')}"
                           for e in exc.errors())
        return reply(request, 422, t(lang, "e422", detail=detail))

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception):
        log.exception("internal error on %s %s", request.method, request.url.path)
        return reply(request, 500, t("en" if is_api(request) else lang_of(request), "e500"))


