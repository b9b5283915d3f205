"""`evalkit …` — the commands for people who never open Python.

Exit codes: 0 compliant, 1 violations found (or undecided), 2 unusable input. A user's mistake
never ends in a traceback.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
from pathlib import Path

import pandas as pd
import yaml

from .. import policies as P
from ..compliance import check_file, check_recruitment
from ..compliance.check import mask_problems, note_text, policy_name
from ..compliance.privacy import pseudonym_key
from ..io import InputError, describe_problem, localise_problems
from ..io.writers import records
from ..messages import LocalisedError, Message, cite, column_label, date_text, label, render
from ..rules.recruitment import get_recruitment_policy

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
    c.add_argument("--policy", default="auto",
                   help="'auto' (the regime in force for each row's year and population) or a policy name "
                        "(see 'evalkit policies')")
    c.add_argument("--year", type=int, help="check only this assessment year")
    c.add_argument("--sheet", help="worksheet name (default: the only visible sheet with a rating table, else the active one)")
    c.add_argument("--out", help="write the report to FILE.xlsx or FILE.html (never the input; an existing file needs --force)")
    c.add_argument("--force", action="store_true", help="replace an existing --out file")
    c.add_argument("--merge-similar-units", action="store_true",
                   help="take unit names that differ only in case or accents as one unit (a warning names them either way)")
    c.add_argument("--place", help="place name for the signature block, e.g. 'Quảng Ninh'")
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

    e = _command(sub, "explain", "explain a regime (cap, bands, ceilings, streamlining, recruitment) with its "
                 "article, status and sources", "evalkit explain decree-335-2025 --lang vi\n  evalkit explain "
                 "decree-154-2025\n  evalkit explain auto", cmd_explain)
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
        problems = exc.problems
        if getattr(args, "pseudonymize", False):
            problems = mask_problems(problems, pseudonym_key()[0])
        if getattr(args, "json", False):
            sys.stdout.write(json.dumps({"compliant": None, "exit": 2, "problems": records(
                localise_problems(problems, args.lang).drop(columns=["params"]))}, ensure_ascii=False, indent=1,
                default=str) + "\n")
        _print_problems(problems, getattr(args, "lang", "en"))
        return 2
    except LocalisedError as exc:
        print(f"evalkit: {_cli_text(exc, getattr(args, 'lang', 'en'))}", file=sys.stderr)
        return 2
    except (ValueError, OSError, yaml.YAMLError) as exc:
        print(f"evalkit: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:  # a bug, not the user's mistake: say so briefly
        if os.environ.get("EVALKIT_DEBUG"):
            raise
        print(f"evalkit: internal error ({type(exc).__name__}: {exc}); set EVALKIT_DEBUG=1 for details",
              file=sys.stderr)
        return 3


def _cli_text(exc: LocalisedError, lang: str) -> str:
    """An error in the user's language, with options said as the command line spells them."""
    message = exc.message
    if message is not None and message.code == "policy.needs_party_share":
        message = Message(message.code, {**message.params, "how": "--party-share 18/100"})
    return message.text(lang) if message is not None else str(exc)


def _print_problems(problems: pd.DataFrame, lang: str = "en") -> None:
    errors = problems[problems["severity"] == "error"]
    print(render("cli.unusable_input", lang, n=len(errors)), file=sys.stderr)
    for rec in errors.head(50).to_dict("records"):
        print("  " + describe_problem(rec, lang), file=sys.stderr)
    if len(errors) > 50:
        print("  " + render("cli.more_problems", lang, n=len(errors) - 50), file=sys.stderr)


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


class UsageError(ValueError):
    """A command-line mistake, said in the user's language."""


def _check_out(args) -> None:
    """``--out`` is never the input, and replaces an existing file only with ``--force``."""
    out = getattr(args, "out", None)
    if not out:
        return
    lang = getattr(args, "lang", "en")
    if Path(out).suffix.lower() not in (".xlsx", ".html", ".htm"):
        raise UsageError(render("cli.out_type", lang, path=out))
    src = Path(args.input)
    if src.exists() and Path(out).exists() and os.path.samefile(src, out) or Path(out).resolve() == src.resolve():
        raise UsageError(render("cli.out_is_input", lang, path=out))
    if Path(out).exists() and not getattr(args, "force", False):
        raise UsageError(render("cli.out_exists", lang, path=out))
    if not Path(out).resolve().parent.is_dir():
        raise UsageError(render("cli.out_folder_missing", lang, path=out, folder=str(Path(out).resolve().parent)))


def _write(result, out: str | None) -> None:
    if not out:
        return
    suffix = Path(out).suffix.lower()
    if suffix == ".xlsx":
        result.to_excel(out)
    elif suffix in (".html", ".htm"):
        result.to_html(out)
    else:
        raise ValueError(f"--out {out}: expected a .xlsx or .html file name")


def cmd_check(args) -> int:
    _check_out(args)
    result = check_file(args.input, args.policy, sheet=args.sheet, year=args.year, lang=args.lang,
                        pseudonymize_ids=args.pseudonymize, suppress_below=args.suppress_below,
                        merge_similar_units=args.merge_similar_units, place=args.place, **_readings(args))
    if result.generated_key is not None:
        print(render("cli.key_generated", args.lang, key=result.generated_key.decode()), file=sys.stderr)
    report = result.report
    _write(result, args.out)
    lang = args.lang
    if args.json:
        sys.stdout.write(result.to_json() + "\n")
    else:
        s = report.summary
        where = result.input_path or "<DataFrame>"
        print(render("cli.read_from", lang, where=label("in_sheet", lang, file=where, sheet=result.sheet)
                     if result.sheet else where))
        print(result.verdict(lang))
        print(render("cli.check_summary", lang, policy=policy_name(report.policy, lang), groups=int(s["groups"].sum()),
                     over=int(s["over_cap"].sum()), excellent=result.excellent_total,
                     demotions=result.total_demotions()))
        for scope, excess in zip(s["scope"], s["excess"], strict=True):
            scope_text = " × ".join(column_label(k, lang) for k in str(scope).split(" × "))
            print("  " + render("cli.excess_by_scope", lang, scope=scope_text, n=int(excess)))
        for note in report.notes:
            print(render("cli.note", lang, text=note_text(note, lang, report.policy)))
        if report.problems is not None and len(report.problems):
            # warnings that change which groups exist are said here, not only in the report
            loud = localise_problems(report.problems[report.problems["code"].isin(_LOUD_WARNINGS)], lang)
            for rec in loud.to_dict("records"):
                print("  " + describe_problem(rec, lang))
            print(render("cli.input_warnings", lang, n=len(report.problems)))
        if result.ceilings is not None and len(result.ceilings):
            print(render("cli.above_ceilings", lang, n=len(result.ceilings)))
        if args.out:
            print(render("cli.written", lang, path=args.out))
    return {True: 0, False: 1, None: 1}[report.compliant]


#: Warnings printed on the terminal too: each can change the groups checked, so the officer must see it.
_LOUD_WARNINGS = ("input.similar_units", "input.similar_units_merged", "input.hidden_rows", "input.total_exceeds_levels")


def cmd_policies(args) -> int:
    for pol in P.list():
        refs = "; ".join(sorted({cite(dataclasses.replace(v.reference, article=None), args.lang)
                                 for v in pol.references}))
        since = render("explain.from", args.lang, start=date_text(pol.in_force, args.lang))
        print(f"{pol.name:28s} {pol.one_line(args.lang)}  [{refs}; {since}]")
    print(f"{P.AUTO:28s} {render('explain.auto', args.lang)}")
    for name, kind in P.explain_names().items():
        if kind != "cap":
            print(f"{name:28s} ({render(f'explain.kind.{kind}', args.lang)}) evalkit explain {name}")
    return 0


def cmd_explain(args) -> int:
    kind = P.explain_names().get(args.policy)
    if args.policy == P.AUTO:
        print(render("explain.auto", args.lang))
        for pol in P.list():
            for who, start, end in pol.governs:
                print(f"  {pol.name}: " + P.governs_text(who, start, end, args.lang))
    elif kind == "recruitment":
        print(get_recruitment_policy(args.policy).describe(args.lang))
    elif kind == "cap":
        print(P.get(args.policy).describe(args.lang))
    elif kind is not None:
        print(P.describe_declared(args.policy, args.lang))
    else:
        print("evalkit: " + render("explain.unknown", args.lang, name=args.policy,
                                   known=", ".join([P.AUTO, *P.explain_names()])), file=sys.stderr)
        return 2
    return 0


def cmd_template(args) -> int:
    from ..report import write_template

    path = write_template(args.out, kind=args.kind, lang=args.lang)
    print(render("cli.template_written", args.lang, path=path))
    return 0


def cmd_check_recruitment(args) -> int:
    """`evalkit check-recruitment`: the same exit codes and report style as `evalkit check`."""
    report = check_recruitment(args.input, args.policy, sheet=args.sheet, lang=args.lang)
    _write(report, args.out)
    if args.json:
        sys.stdout.write(report.to_json() + "\n")
    else:
        print(f"{report.verdict()} ({report.policy.name})")
        for rec in report.table[~report.table["holds"]].head(30).to_dict("records"):
            print(f"  {rec['unit_id']} {rec['year']}: {rec['why'].text(args.lang)}")
        if args.out:
            print(render("cli.written", args.lang, path=args.out))
    return 0 if report.compliant else 1


def cmd_report(args) -> int:
    from ..report import run_report

    return run_report(params_file=args.params, out_dir=args.out)


def cmd_serve(args) -> int:
    """Start the web application (a layer below the command line: web never imports cli)."""
    from ..web import create_admin, serve
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
