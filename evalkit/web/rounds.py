"""Rating rounds: the administrator's pages, the agencies' upload pages, and the logic both APIs share."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

import pandas as pd
from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from . import db as D
from . import engine as E
from .common import MIME, SHOW_ROWS, CheckOptions, Upload, UserError, lang_of, read_upload, render, require_csrf, \
    run_check, when
from .text import t

router = APIRouter(include_in_schema=False)


# ---------------------------------------------------------------------------- logic shared with the API
def create_round(s: Session, name: str, year, policy: str) -> D.Round:
    name = (name or "").strip()
    try:
        year = int(str(year).strip())
    except ValueError:
        raise UserError(400, "bad_year") from None
    if not name:
        raise UserError(400, "round_required")
    if policy not in {name for name, _ in E.policy_choices("en")}:
        raise UserError(400, "unknown_policy")
    rnd = D.Round(name=name[:200], year=year, policy=policy)
    s.add(rnd)
    s.commit()
    return rnd


def add_agency(s: Session, rnd: D.Round, name: str) -> D.Agency:
    name = (name or "").strip()
    if not name:
        raise UserError(400, "agency_required")
    agency = D.Agency(round_id=rnd.id, name=name[:200], token=secrets.token_urlsafe(24))
    s.add(agency)
    try:
        s.commit()
    except IntegrityError:
        s.rollback()
        raise UserError(409, "agency_required") from None
    return agency


def submit(s: Session, agency: D.Agency, upload: Upload, lang: str) -> D.Submission:
    """Check an agency's upload with the round's rule and year, and keep it as the next version."""
    rnd = agency.round
    if rnd.closed:
        raise UserError(409, "round_closed")
    try:
        try:
            result, _ = run_check(upload, CheckOptions(policy=rnd.policy, year=rnd.year), lang)
        except UserError as exc:
            if exc.key != "no_year_column":
                raise
            # a file of one year that does not state it
            result, _ = run_check(upload, CheckOptions(policy=rnd.policy), lang)
        status, summary = result.status, result.summary()
    except E.InputError as exc:
        status = "unusable"
        summary = {"status": status, "problems": int((exc.problems["severity"] == "error").sum()),
                   "problem_lines": E.problem_lines(exc.problems, lang, SHOW_ROWS)}
    except UserError as exc:
        status, summary = "unusable", {"status": "unusable", "problems": 1,
                                       "problem_lines": [t(lang, exc.key, **exc.kw)]}
    version = (s.scalar(select(func.max(D.Submission.version)).where(D.Submission.agency_id == agency.id)) or 0) + 1
    sub = D.Submission(agency_id=agency.id, version=version, sha256=hashlib.sha256(upload.data).hexdigest(),
                       size=len(upload.data), file_type=upload.file_type, original_name=upload.display_name,
                       content=upload.data, status=status, summary=summary)
    s.add(sub)
    s.commit()
    return sub


def load_round(s: Session, round_id: int) -> D.Round:
    rnd = s.scalar(select(D.Round).where(D.Round.id == round_id)
                   .options(selectinload(D.Round.agencies).selectinload(D.Agency.submissions)))
    if rnd is None:
        raise UserError(404, "e404")
    return rnd


def agency_by_token(s: Session, token: str) -> D.Agency:
    agency = s.scalar(select(D.Agency).where(D.Agency.token == token)
                      .options(selectinload(D.Agency.submissions), selectinload(D.Agency.round)))
    if agency is None:
        raise UserError(404, "e404")
    return agency


def agency_row(agency: D.Agency) -> dict:
    """One dashboard row: submitted or not, the latest result and its numbers."""
    last = agency.latest
    sm = last.summary if last else {}
    return {"id": agency.id, "name": agency.name, "token": agency.token, "submitted": last is not None,
            "versions": len(agency.submissions), "last_upload": D.iso_utc(last.uploaded_at) if last else None,
            "sha256": last.sha256 if last else None, "status": last.status if last else None,
            "compliant": sm.get("compliant"), "groups_over": sm.get("groups_over"), "excess": sm.get("excess"),
            "demotions": sm.get("demotions"), "problems": sm.get("problems"),
            "level_counts": sm.get("level_counts")}


def round_json(rnd: D.Round, base_url: str) -> dict:
    return {"id": rnd.id, "name": rnd.name, "year": rnd.year, "policy": rnd.policy, "closed": rnd.closed,
            "created_at": D.iso_utc(rnd.created_at),
            "agencies": [{**agency_row(a), "upload_url": f"{base_url}u/{a.token}"} for a in rnd.agencies]}


SUMMARY_HEADERS = {
    "vi": ["Cơ quan, đơn vị", "Trạng thái", "Lần nộp", "Thời gian nộp", "HTXSNV", "HTTNV", "HTNV", "KHTNV",
           "Chưa xếp loại", "Tổng số", "Tỷ lệ HTXSNV/HTTNV (%)", "Số nhóm vượt giới hạn", "Số HTXSNV vượt",
           "Số người đề xuất hạ mức", "Số lỗi dữ liệu", "Mã băm SHA-256"],
    "en": ["Agency", "Status", "Uploads", "Uploaded at", "Excellent", "Good", "Completed", "Not completed",
           "Not rated", "Total", "Excellent/good (%)", "Groups over the cap", "Excellent over the cap",
           "Demotions proposed", "Input errors", "SHA-256"],
}


def summary_frame(rnd: D.Round, lang: str) -> pd.DataFrame:
    """The provincial summary: counts per level per agency (latest upload), with a province total."""
    cols = SUMMARY_HEADERS[lang]
    rows: list[list] = []
    for a in rnd.agencies:
        r = agency_row(a)
        lc: dict[str, int] = r["level_counts"] or {}
        counts: list[int | None] = [lc.get(c) for c in E.LEVEL_COUNT_COLUMNS] if lc else [None] * 5
        total = sum(lc.get(c, 0) for c in E.LEVEL_COUNT_COLUMNS) if lc else None
        share = round(100 * lc["n_excellent"] / lc["n_good"], 1) if lc.get("n_good") else None
        rows.append([a.name, status_word(r["status"], lang), r["versions"], when(r["last_upload"]), *counts, total,
                     share, r["groups_over"], r["excess"], r["demotions"], r["problems"], r["sha256"]])
    df = pd.DataFrame(rows, columns=cols)
    sums = {c: int(pd.to_numeric(df[c], errors="coerce").fillna(0).sum()) for c in cols[4:10] + cols[11:15]}
    good = sums[cols[5]]
    province: dict[str, object] = {c: None for c in cols}
    province.update(sums)
    province[cols[0]] = "Toàn tỉnh" if lang == "vi" else "Province total"
    province[cols[10]] = round(100 * sums[cols[4]] / good, 1) if good else None
    return pd.concat([df, pd.DataFrame([province])], ignore_index=True)


def status_word(status: str | None, lang: str) -> str:
    return t(lang, f"st_{status}") if status else t(lang, "not_submitted")


# ---------------------------------------------------------------------------- administrator pages
def admin_or_login(request: Request) -> str | RedirectResponse:
    user = request.session.get("admin")
    return user or RedirectResponse(f"/login?next={request.url.path}", status_code=303)


@router.get("/admin")
def admin_home(request: Request):
    user = admin_or_login(request)
    if isinstance(user, RedirectResponse):
        return user
    with request.app.state.Session() as s:
        rounds = s.scalars(select(D.Round).order_by(D.Round.id.desc())
                           .options(selectinload(D.Round.agencies).selectinload(D.Agency.submissions))).all()
    return render(request, "rounds.html", rounds=rounds, policies=E.policy_choices(lang_of(request)))


@router.post("/admin/rounds")
def admin_create_round(request: Request, name: str = Form(""), year: str = Form(""), policy: str = Form(""),
                       csrf: str = Form("")):
    _admin_post(request, csrf)
    with request.app.state.Session() as s:
        rnd = create_round(s, name, year, policy)
    return RedirectResponse(f"/admin/rounds/{rnd.id}", status_code=303)


@router.get("/admin/rounds/{round_id}")
def admin_round(request: Request, round_id: int):
    user = admin_or_login(request)
    if isinstance(user, RedirectResponse):
        return user
    with request.app.state.Session() as s:
        rnd = load_round(s, round_id)
        rows = [agency_row(a) for a in rnd.agencies]
        history = {a.id: [(x.id, x.version, x.uploaded_at, x.status, x.sha256, x.original_name, x.summary)
                          for x in a.submissions] for a in rnd.agencies}
    return render(request, "round.html", rnd=rnd, rows=rows, history=history, base=str(request.base_url))


@router.post("/admin/rounds/{round_id}/agencies")
def admin_add_agency(request: Request, round_id: int, name: str = Form(""), csrf: str = Form("")):
    _admin_post(request, csrf)
    with request.app.state.Session() as s:
        add_agency(s, load_round(s, round_id), name)
    return RedirectResponse(f"/admin/rounds/{round_id}", status_code=303)


@router.post("/admin/rounds/{round_id}/state")
def admin_round_state(request: Request, round_id: int, closed: str = Form(""), csrf: str = Form("")):
    _admin_post(request, csrf)
    with request.app.state.Session() as s:
        rnd = load_round(s, round_id)
        rnd.closed = closed == "1"
        s.commit()
    return RedirectResponse(f"/admin/rounds/{round_id}", status_code=303)


@router.get("/admin/rounds/{round_id}/summary.xlsx")
def admin_summary(request: Request, round_id: int):
    user = admin_or_login(request)
    if isinstance(user, RedirectResponse):
        return user
    lang = lang_of(request)
    with request.app.state.Session() as s:
        rnd = load_round(s, round_id)
        frame = summary_frame(rnd, lang)
        sheet = f"{'Tổng hợp' if lang == 'vi' else 'Summary'} {rnd.year}"
    data = E.workbook_bytes({sheet: frame})
    name = f"tong_hop_xep_loai_{rnd.year}.xlsx" if lang == "vi" else f"rating_summary_{rnd.year}.xlsx"
    return Response(data, media_type=MIME["xlsx"], headers={"Content-Disposition": f'attachment; filename="{name}"'})


@router.get("/admin/submissions/{submission_id}/file")
def admin_submission_file(request: Request, submission_id: int):
    user = admin_or_login(request)
    if isinstance(user, RedirectResponse):
        return user
    with request.app.state.Session() as s:
        sub = s.get(D.Submission, submission_id)
        if sub is None:
            raise UserError(404, "e404")
        return stored_file(sub)


def stored_file(sub: D.Submission) -> Response:
    """A stored upload, under a name made from its version (never the uploaded name)."""
    mime = {"xlsx": MIME["xlsx"], "xls": "application/vnd.ms-excel", "csv": "text/csv"}[sub.file_type]
    return Response(sub.content, media_type=mime, headers={
        "Content-Disposition": f'attachment; filename="nop_lan_{sub.version}.{sub.file_type}"'})


def _admin_post(request: Request, csrf: str) -> None:
    require_csrf(request, csrf)
    if not request.session.get("admin"):
        raise UserError(403, "e403")


# ---------------------------------------------------------------------------- agency pages (by token)
@router.get("/u/{token}")
def agency_page(request: Request, token: str, v: int | None = None):
    with request.app.state.Session() as s:
        agency = agency_by_token(s, token)
        just = next((x for x in agency.submissions if x.version == v), None) if v else None
        return render(request, "agency.html", agency=agency, rnd=agency.round, subs=list(agency.submissions),
                      just=just)


@router.post("/u/{token}")
def agency_upload(request: Request, token: str, file: Annotated[UploadFile | None, File()] = None,
                  csrf: str = Form("")):
    require_csrf(request, csrf)
    with request.app.state.Session() as s:
        agency = agency_by_token(s, token)
        if agency.round.closed:
            raise UserError(409, "round_closed")
        sub = submit(s, agency, read_upload(request, file), lang_of(request))
    return RedirectResponse(f"/u/{token}?v={sub.version}", status_code=303)


@router.get("/u/{token}/versions/{version}/file")
def agency_file(request: Request, token: str, version: int):
    with request.app.state.Session() as s:
        agency = agency_by_token(s, token)
        sub = next((x for x in agency.submissions if x.version == version), None)
        if sub is None:
            raise UserError(404, "e404")
        return stored_file(sub)
