"""`evalkit …` — the commands for people who never open Python.

Exit codes: 0 compliant, 1 violations found (or undecided), 2 unusable input. A user's mistake
never ends in a traceback.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import pandas as pd
import yaml

from . import policies as P
from .schema import InputError, describe_problem

EXAMPLES_CHECK = """examples:
  evalkit check ratings.xlsx --lang vi --out ket_qua.xlsx
  evalkit check ratings.csv --policy quang-ninh-2022-leaders --json
  evalkit check counts.csv --policy decree-48-2023 --party-share 18/100
  evalkit check ratings.xlsx --rounding half_up --out report.html --pseudonymize --suppress-below 5
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="evalkit", description="Check Vietnamese staff ratings against the rules.",
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Run 'evalkit COMMAND --help' for a command's options and examples.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    c = sub.add_parser("check", help="check a roster or counts file against the excellent-rating cap",
                       description="Check a roster (one row per person) or a counts table (one row per group) "
                                   "against an excellent-rating cap. Exit 0 compliant, 1 violations, 2 unusable input.",
                       epilog=EXAMPLES_CHECK, formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("input", help="CSV or XLSX file")
    c.add_argument("--policy", default="decree-335-2025", help="policy name (see 'evalkit policies')")
    c.add_argument("--year", type=int, help="check only this assessment year")
    c.add_argument("--sheet", help="worksheet name (default: the first)")
    c.add_argument("--out", help="write the report to FILE.xlsx or FILE.html")
    c.add_argument("--lang", choices=["vi", "en"], default="en", help="report language")
    c.add_argument("--json", action="store_true", help="print one JSON document to stdout")
    c.add_argument("--pseudonymize", action="store_true",
                   help="replace person ids by a keyed hash (key from EVALKIT_PSEUDONYM_KEY, else generated)")
    c.add_argument("--suppress-below", type=int, metavar="K", help="blank groups with fewer than K people in outputs")
    g = c.add_argument_group("readings (override the policy's)")
    g.add_argument("--ratio", help="cap ratio as a fraction, e.g. 1/5")
    g.add_argument("--base", choices=P.BASES)
    g.add_argument("--rounding", choices=P.ROUNDINGS)
    g.add_argument("--min-one", action="store_true", default=None, help="a non-empty group may always have one")
    g.add_argument("--timing", choices=P.TIMINGS)
    g.add_argument("--party-share", help="Decree 48: share of party members rated excellent, e.g. 18/100")
    c.set_defaults(func=cmd_check)

    s = _command(sub, "policies", "list the named policies", "evalkit policies --lang vi", cmd_policies)
    s.add_argument("--lang", choices=["vi", "en"], default="en")

    e = _command(sub, "explain", "explain a policy in plain words with its sources",
                 "evalkit explain decree-335-2025 --lang vi", cmd_explain)
    e.add_argument("policy")
    e.add_argument("--lang", choices=["vi", "en"], default="en")

    t = _command(sub, "template", "write a blank input workbook to fill in",
                 "evalkit template mau.xlsx --lang vi\n  evalkit template counts.xlsx --kind counts", cmd_template)
    t.add_argument("out")
    t.add_argument("--kind", choices=["roster", "counts"], default="roster")
    t.add_argument("--lang", choices=["vi", "en"], default="vi")

    r = _command(sub, "check-recruitment", "check a recruitment plan against the quota rules",
                 "evalkit check-recruitment plan.xlsx --out plan_check.xlsx", cmd_check_recruitment)
    r.add_argument("input")
    r.add_argument("--policy", default="resolution-39-2015")
    r.add_argument("--sheet")
    r.add_argument("--out")
    r.add_argument("--lang", choices=["vi", "en"], default="en")
    r.add_argument("--json", action="store_true")

    rep = _command(sub, "report", "execute the notebooks and write HTML reports and a run record",
                   "evalkit report --out reports\n  evalkit report --params params.yaml", cmd_report)
    rep.add_argument("--params", help="YAML file of notebook parameters")
    rep.add_argument("--out", default="reports")

    w = _command(sub, "serve", "start the web application for HR offices (needs the 'web' extra)",
                 "evalkit serve --port 8000\n  EVALKIT_ADMIN_PASSWORD=… evalkit serve --db sqlite:///rounds.db\n"
                 "  evalkit serve --create-admin admin", cmd_serve)
    w.add_argument("--host", default="127.0.0.1")
    w.add_argument("--port", type=int, default=8000)
    w.add_argument("--db", help="database URL (default sqlite:///evalkit-web.db; PostgreSQL: postgresql+psycopg2://…)")
    w.add_argument("--create-admin", metavar="USER",
                   help="create the administrator USER (password from EVALKIT_ADMIN_PASSWORD or asked) and exit")
    return p


def _command(sub, name: str, help_text: str, examples: str, func) -> argparse.ArgumentParser:
    """A sub-command whose --help ends with examples."""
    label = "examples" if "\n" in examples else "example"
    parser = sub.add_parser(name, help=help_text, description=help_text[:1].upper() + help_text[1:] + ".",
                            epilog=f"{label}:\n  {examples}", formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.set_defaults(func=func)
    return parser


def main(argv=None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not getattr(args, "command", None):
        parser.print_help()
        return 2
    try:
        return args.func(args)
    except InputError as exc:
        _print_problems(exc.problems, getattr(args, "lang", "en"))
        return 2
    except (P.PolicyError, ValueError, OSError, yaml.YAMLError) as exc:
        print(f"evalkit: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not the user's mistake: say so briefly
        if os.environ.get("EVALKIT_DEBUG"):
            raise
        print(f"evalkit: internal error ({type(exc).__name__}: {exc}); set EVALKIT_DEBUG=1 for details",
              file=sys.stderr)
        return 3


def _print_problems(problems: pd.DataFrame, lang: str = "en") -> None:
    from .i18n import translate

    errors = problems[problems["severity"] == "error"]
    head = (f"evalkit: không dùng được dữ liệu đầu vào: {len(errors)} lỗi" if lang == "vi"
            else f"evalkit: the input cannot be used: {len(errors)} problem(s)")
    print(head, file=sys.stderr)
    for rec in errors.head(50).to_dict("records"):
        print("  " + describe_problem({**rec, "message": translate(rec["message"], lang)}, lang), file=sys.stderr)
    if len(errors) > 50:
        print(f"  … and {len(errors) - 50} more", file=sys.stderr)


def _readings(args) -> dict:
    out = {}
    for key in ("ratio", "base", "rounding", "timing"):
        if getattr(args, key, None) is not None:
            out[key] = getattr(args, key)
    if args.min_one:
        out["min_one"] = True
    if args.party_share is not None:
        out["party_excellent_share"] = args.party_share
    return out


def run_check(args):
    """Read, check, calibrate: the CheckOutput behind `evalkit check`."""
    from .compliance import _as_data, check_cap, enforce_cap
    from .export import CheckOutput, file_sha256, pseudonym_key, pseudonymize

    policy = P.get(args.policy, **_readings(args))
    policy.require_ratio()
    frame, kind, problems = _as_data(args.input, args.sheet)
    n_rows = len(frame)
    if args.year is not None:
        if "year" not in frame.columns:
            raise ValueError(f"{args.input}: --year given but the file has no year column")
        frame = frame[frame["year"] == args.year]
        if not len(frame):
            raise ValueError(f"{args.input}: no rows for year {args.year}")
    report = check_cap(frame, policy)
    report.problems = problems
    calibration = None
    if kind == "roster":
        final = enforce_cap(frame, policy)
        cols = [c for c in ("source_row", "person_id", "name", "unit_id", "task_group", "title_group", "score",
                            "level", "level_final", "reason") if c in final.columns]
        calibration = final.loc[final["demoted"], cols].reset_index(drop=True)
        calibration["level"] = calibration["level"].astype(str)
        calibration["level_final"] = calibration["level_final"].astype(str)
    ceilings = _above_ceilings(frame) if kind == "roster" else None
    pseudo = False
    if getattr(args, "pseudonymize", False):
        key, generated = pseudonym_key()
        if generated:
            print("evalkit: pseudonymisation key generated for this run (keep it secret; set EVALKIT_PSEUDONYM_KEY "
                  f"to reuse): {key.decode()}", file=sys.stderr)
        for table in (calibration, ceilings):
            if table is not None and len(table):
                table["person_id"] = pseudonymize(table["person_id"], key)
        if calibration is not None:
            calibration = calibration.drop(columns=[c for c in ("name",) if c in calibration.columns])
        if ceilings is not None:
            ceilings = ceilings.drop(columns=[c for c in ("name",) if c in ceilings.columns])
        if problems is not None and len(problems):
            pid_mask = problems["message"].str.contains("person listed twice", regex=False)
            problems.loc[pid_mask, "value"] = pseudonymize(problems.loc[pid_mask, "value"], key)
        pseudo = True
    return CheckOutput(report, calibration, str(args.input), n_rows, file_sha256(args.input), args.lang, pseudo,
                       args.suppress_below, ceilings=ceilings)


_FACT_COLUMNS = ("months_worked", "leave_months", "disciplined", "maternity_leave", "targets_exceeded_share",
                 "on_time_share", "managed_units_completed_share", "managed_units_good_share",
                 "tasks_overcompleted_share", "criteria_failed_share")


def _above_ceilings(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Ratings above the Decree 90 ceiling the file's own facts allow (None when it records no facts)."""
    from .rules.eligibility import check_ceilings

    if not any(c in frame.columns for c in _FACT_COLUMNS):
        return None
    flagged = check_ceilings(frame)
    flagged = flagged[flagged["above_ceiling"]]
    cols = [c for c in ("source_row", "person_id", "name", "unit_id", "level", "ceiling", "ceiling_reason")
            if c in flagged.columns]
    out = flagged[cols].reset_index(drop=True)
    for c in ("level", "ceiling"):
        out[c] = out[c].astype(str)
    return out


def cmd_check(args) -> int:
    from .export import suppress_small, write_excel, write_html

    out = run_check(args)
    report = out.report
    if args.out:
        suffix = Path(args.out).suffix.lower()
        if suffix == ".xlsx":
            write_excel(out, args.out)
        elif suffix in (".html", ".htm"):
            write_html(out, args.out)
        else:
            raise ValueError(f"--out {args.out}: expected a .xlsx or .html file name")
    if args.json:
        groups = report.groups
        if args.suppress_below:
            groups = suppress_small(groups, args.suppress_below, args.lang)
        keep = ["scope"] + report.key_columns + ["n_excellent", "n_good", "base", "cap", "excess", "headroom",
                                                 "compliant", "minimal_demotions"] + (
            ["suppressed"] if args.suppress_below else [])
        doc = {"compliant": report.compliant, "policy": report.policy.name,
               "groups": _records(groups[keep]),
               "problems": _records(report.problems) if report.problems is not None else [],
               "notes": report.notes}
        json.dump(doc, sys.stdout, ensure_ascii=False, indent=1, default=str)
        sys.stdout.write("\n")
    else:
        s = report.summary
        print(report.verdict(args.lang))
        print(f"policy: {report.policy.name}; groups checked: {int(s['groups'].sum())}; over the cap: "
              f"{int(s['over_cap'].sum())}; excellent over the cap: {int(s['excess'].sum())}; "
              f"minimal demotions: {out.total_demotions()}")
        for note in report.notes:
            print(f"note: {note}")
        if report.problems is not None and len(report.problems):
            print(f"{len(report.problems)} warning(s) about the input (see the report)")
        if out.ceilings is not None and len(out.ceilings):
            print(f"{len(out.ceilings)} rating(s) above the Decree 90 ceiling that the file's own facts allow "
                  "(listed in the report; they do not change the exit code)")
        if args.out:
            print(f"report written to {args.out}")
    return {True: 0, False: 1, None: 1}[report.compliant]


def _records(df: pd.DataFrame) -> list[dict]:
    out = []
    for rec in df.to_dict("records"):
        clean = {}
        for k, v in rec.items():
            if v is None or v is pd.NA or (isinstance(v, float) and v != v):
                clean[k] = None
            elif hasattr(v, "item"):
                clean[k] = v.item()
            else:
                clean[k] = v
        out.append(clean)
    return out


def cmd_policies(args) -> int:
    for pol in P.list():
        refs = "; ".join(sorted({str(v.reference.instrument) for v in pol.references}))
        print(f"{pol.name:26s} {pol.one_line(args.lang)}  [{refs}; from {pol.in_force}]")
    from .rules.recruitment import recruitment_policy_names

    for name in recruitment_policy_names():
        print(f"{name:26s} (recruitment) see 'evalkit explain {name}'")
    return 0


def cmd_explain(args) -> int:
    from .rules.recruitment import recruitment_policy_names, get_recruitment_policy

    if args.policy in recruitment_policy_names():
        print(get_recruitment_policy(args.policy).describe(args.lang))
    else:
        print(P.get(args.policy).describe(args.lang))
    return 0


def cmd_template(args) -> int:
    from .templates import write_template

    path = write_template(args.out, kind=args.kind, lang=args.lang)
    print(f"template written to {path}")
    return 0


def cmd_check_recruitment(args) -> int:
    from .rules.recruitment import run_recruitment_cli

    return run_recruitment_cli(args)


def cmd_report(args) -> int:
    from .reporting import run_report

    return run_report(params_file=args.params, out_dir=args.out)


def cmd_serve(args) -> int:
    try:
        import fastapi, sqlalchemy, uvicorn  # noqa: F401, E401 - present only with the 'web' extra

        from .web import create_admin, serve
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise OSError(f"the web application needs its extra: pip install 'evalkit[web]' ({exc})") from None
    if args.create_admin:
        import getpass

        password = os.environ.get("EVALKIT_ADMIN_PASSWORD") or getpass.getpass(f"password for {args.create_admin}: ")
        if len(password) < 8:
            raise ValueError("the administrator password must have at least 8 characters")
        create_admin(args.create_admin, password, args.db)
        print(f"administrator {args.create_admin!r} saved")
        return 0
    serve(args.host, args.port, args.db)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
