"""The JSON API beside the pages, described at /openapi.json and on the /api page.

``POST /api/check`` needs no account and keeps nothing. Round administration uses HTTP Basic
authentication with the administrator's user name and password (no cookies, so no CSRF); an agency
reaches only its own submissions through its token.
"""

from __future__ import annotations

import json
from typing import Annotated
import pandas as pd
from fastapi import APIRouter, Depends, File, Form, Request, UploadFile
from fastapi.responses import JSONResponse
from fastapi.security import HTTPBasic, HTTPBasicCredentials
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from . import db as D
from . import engine as E
from .common import DEFAULT_POLICY, UserError, download_response, parse_options, read_upload, run_check
from .rounds import add_agency, agency_by_token, create_round, load_round, round_json, submit
from .security import verify_password

router = APIRouter(prefix="/api", tags=["api"])
basic = HTTPBasic(auto_error=False)


def records(df: pd.DataFrame | None, limit: int | None = None) -> list[dict]:
    """A table as JSON records (NaN and NA as null)."""
    if df is None or not len(df):
        return []
    return json.loads((df.head(limit) if limit else df).to_json(orient="records", force_ascii=False,
                                                                default_handler=str))


def admin(request: Request, cred: Annotated[HTTPBasicCredentials | None, Depends(basic)]) -> str:
    """The administrator named by HTTP Basic credentials, else 401."""
    client, throttle = request.client.host if request.client else "?", request.app.state.login_throttle
    if throttle.blocked(client):
        raise UserError(429, "too_many_logins", minutes=int(throttle.window // 60))
    if cred is not None:
        with request.app.state.Session() as s:
            user = s.scalar(select(D.Admin).where(D.Admin.username == cred.username))
        if user is not None and verify_password(user.password_hash, cred.password):
            return user.username
        throttle.fail(client)
    raise UserError(401, "e401")


@router.post("/check", summary="Check a rating file (nothing is kept)")
def api_check(request: Request,
              file: Annotated[UploadFile, File(description="roster or counts: .xlsx, .xls or .csv")],
              policy: str = Form(DEFAULT_POLICY), year: str = Form(""), sheet: str = Form(""),
              lang: str = Form("vi", pattern="^(vi|en)$"), pseudonymize: bool = Form(False),
              suppress_below: str = Form(""), fmt: str = Form("json", alias="format", pattern="^(json|xlsx|roster|html)$")):
    """The verdict, groups over the cap, proposed calibration with reasons, input problems, the rule and
    its citation. ``format`` = ``xlsx`` / ``roster`` / ``html`` returns that download instead.
    Unusable input answers 422 with every problem by row and column."""
    upload = read_upload(request, file)
    options = parse_options(policy, sheet, year, pseudonymize, suppress_below)
    outputs = () if fmt == "json" else (fmt,)
    try:
        result, downloads = run_check(upload, options, lang, outputs)
    except E.InputError as exc:
        return JSONResponse({"detail": "unusable input", "status": "unusable",
                             "problems": records(E.localised_problems(exc.problems, lang))},
                            status_code=422)
    if outputs:
        if fmt not in downloads:
            raise UserError(400, "needs_roster")
        return download_response(downloads[fmt], fmt, lang)
    tables = result.tables()
    return {**result.summary(),
            "groups_over_cap": records(tables["violations"]),
            "calibration": records(tables.get("calibration")),
            "council": records(result.ties),
            "problem_list": records(tables["problems"])}


@router.get("/policies", summary="The rules the checker knows")
def api_policies(lang: str = "vi"):
    return {"cap": [{"name": name, "title": title} for name, title in E.policy_choices(lang)],
            "explain": E.explainable()}


class RoundIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    year: int = Field(ge=1900, le=2200)
    policy: str = DEFAULT_POLICY


class AgencyIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class StateIn(BaseModel):
    closed: bool


@router.get("/rounds", summary="All rounds (administrator)")
def api_rounds(request: Request, user: Annotated[str, Depends(admin)]):
    with request.app.state.Session() as s:
        rounds = s.scalars(select(D.Round).order_by(D.Round.id)
                           .options(selectinload(D.Round.agencies).selectinload(D.Agency.submissions))).all()
        return [round_json(r, str(request.base_url)) for r in rounds]


@router.post("/rounds", status_code=201, summary="Create a round (administrator)")
def api_create_round(request: Request, body: RoundIn, user: Annotated[str, Depends(admin)]):
    with request.app.state.Session() as s:
        rnd = create_round(s, body.name, body.year, body.policy)
        return round_json(load_round(s, rnd.id), str(request.base_url))


@router.get("/rounds/{round_id}", summary="A round's dashboard: each agency's latest result (administrator)")
def api_round(request: Request, round_id: int, user: Annotated[str, Depends(admin)]):
    with request.app.state.Session() as s:
        return round_json(load_round(s, round_id), str(request.base_url))


@router.post("/rounds/{round_id}/agencies", status_code=201, summary="Add an agency; returns its upload token")
def api_add_agency(request: Request, round_id: int, body: AgencyIn, user: Annotated[str, Depends(admin)]):
    with request.app.state.Session() as s:
        a = add_agency(s, load_round(s, round_id), body.name)
        return {"id": a.id, "name": a.name, "token": a.token, "upload_url": f"{request.base_url}u/{a.token}"}


@router.post("/rounds/{round_id}/state", summary="Close or reopen a round (administrator)")
def api_round_state(request: Request, round_id: int, body: StateIn, user: Annotated[str, Depends(admin)]):
    with request.app.state.Session() as s:
        rnd = load_round(s, round_id)
        rnd.closed = body.closed
        s.commit()
        return {"id": rnd.id, "closed": rnd.closed}


def _submission(x: D.Submission) -> dict:
    return {"version": x.version, "uploaded_at": D.iso_utc(x.uploaded_at), "sha256": x.sha256, "size": x.size,
            "file_type": x.file_type, "file_name": x.original_name, "status": x.status, "summary": x.summary}


@router.get("/agency/{token}/submissions", summary="An agency's own submissions (by its token)")
def api_agency_submissions(request: Request, token: str):
    with request.app.state.Session() as s:
        a = agency_by_token(s, token)
        return {"agency": a.name, "round": {"name": a.round.name, "year": a.round.year, "policy": a.round.policy,
                                            "closed": a.round.closed},
                "submissions": [_submission(x) for x in a.submissions]}


@router.post("/agency/{token}/submissions", status_code=201, summary="Upload a new version (by its token)")
def api_agency_submit(request: Request, token: str, file: Annotated[UploadFile, File()],
                      lang: str = Form("vi", pattern="^(vi|en)$")):
    with request.app.state.Session() as s:
        a = agency_by_token(s, token)
        return _submission(submit(s, a, read_upload(request, file), lang))
