"""Pages without login: check a file, blank templates, the rules explained, the API page, log in/out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import select

from . import db as D
from . import engine as E
from .common import (DEFAULT_POLICY, DOWNLOAD_NAMES, MIME, SHOW_ROWS, UserError, data_uri,
                  download_response, lang_of,
                  parse_options, read_upload, render, require_csrf, run_check)
from .security import verify_password

router = APIRouter(include_in_schema=False)
OUTPUTS = ("xlsx", "roster", "html")


@router.get("/")
def index(request: Request):
    return render(request, "index.html", policies=E.policy_choices(lang_of(request)), default_policy=DEFAULT_POLICY)


@router.get("/check")
def check_get():
    return RedirectResponse("/", status_code=303)


@router.post("/check")
def check(request: Request, file: Annotated[UploadFile | None, File()] = None, policy: str = Form(DEFAULT_POLICY),
          year: str = Form(""), sheet: str = Form(""), pseudonymize: str = Form(""), suppress_below: str = Form(""),
          output: str = Form("page"), csrf: str = Form("")):
    """Check an upload; show the result page, or send one download at once (``output``)."""
    lang = lang_of(request)
    require_csrf(request, csrf)
    upload = read_upload(request, file)
    options = parse_options(policy, sheet, year, pseudonymize, suppress_below)
    wanted = (output,) if output in OUTPUTS else ()
    try:
        result, downloads = run_check(upload, options, lang, wanted, embed_if_small=not wanted)
    except E.InputError as exc:
        return unusable(request, exc, lang)
    if wanted:
        if output not in downloads:
            raise UserError(400, "needs_roster")
        return download_response(downloads[output], output, lang)
    # small results carry their downloads inside the page: nothing is kept on the server
    embedded = {name: data_uri(data, name) for name, data in downloads.items()}
    return render(request, "result.html", r=result, tables=result.tables(), show=SHOW_ROWS, embedded=embedded,
                  names={k: v[0 if lang == "vi" else 1] for k, v in DOWNLOAD_NAMES.items()})


def unusable(request: Request, exc: E.InputError, lang: str):
    """The page for a file that cannot be checked: every problem by row and column, in the user's language."""
    n = int((exc.problems["severity"] == "error").sum())
    lines = E.problem_lines(exc.problems, lang, SHOW_ROWS)
    return render(request, "unusable.html", status_code=422, n=n, lines=lines, more=n - len(lines))


@router.get("/template")
def template(request: Request, kind: str = "roster"):
    lang = lang_of(request)
    if kind not in ("roster", "counts"):
        raise UserError(404, "e404")
    names = {"roster": ("mau_danh_sach_xep_loai.xlsx", "roster_template.xlsx"),
             "counts": ("mau_bang_so_luong.xlsx", "counts_template.xlsx")}[kind]
    return Response(E.template_bytes(kind, lang), media_type=MIME["xlsx"],
                    headers={"Content-Disposition": f'attachment; filename="{names[0 if lang == "vi" else 1]}"'})


@router.get("/policies")
def policies(request: Request):
    lang = lang_of(request)
    kinds = E.explainable()
    return render(request, "policies.html", cap=E.policy_choices(lang),
                  others=[(name, kind) for name, kind in kinds.items() if kind != "cap"])


@router.get("/policies/{name}")
def policy(request: Request, name: str):
    try:
        text = E.explain(name, lang_of(request))
    except KeyError:
        raise UserError(404, "unknown_policy") from None
    return render(request, "policy.html", name=name, text=text)


@router.get("/api")
def api_page(request: Request):
    """The OpenAPI description as a page (no external scripts), beside /openapi.json."""
    spec = request.app.openapi()
    return render(request, "api.html", spec=spec)


@router.get("/login")
def login_form(request: Request, target: str = Query("/admin", alias="next")):
    return render(request, "login.html", next=_local(target), failed=False)


@router.post("/login")
def login(request: Request, username: str = Form(""), password: str = Form(""), target: str = Form("/admin", alias="next"),
          csrf: str = Form("")):
    require_csrf(request, csrf)
    client, throttle = request.client.host if request.client else "?", request.app.state.login_throttle
    if throttle.blocked(client):
        raise UserError(429, "too_many_logins", minutes=int(throttle.window // 60))
    with request.app.state.Session() as s:
        admin = s.scalar(select(D.Admin).where(D.Admin.username == username.strip()))
    if admin is None or not verify_password(admin.password_hash, password):
        throttle.fail(client)
        return render(request, "login.html", status_code=401, next=_local(target), failed=True)
    throttle.reset(client)
    request.session.clear()  # a fresh session (and CSRF token) after logging in
    request.session["admin"] = admin.username
    return RedirectResponse(_local(target), status_code=303)


@router.post("/logout")
def logout(request: Request, csrf: str = Form("")):
    require_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/", status_code=303)


def _local(path: str) -> str:
    """Only paths on this site (no //host or scheme) may be a redirect target."""
    return path if path.startswith("/") and not path.startswith("//") and "\\" not in path else "/admin"
