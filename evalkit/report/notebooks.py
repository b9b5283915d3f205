"""`evalkit report`: execute the notebooks, render HTML pages, an index and a run record.

The run record (``run_record.json``) holds what is needed to regenerate every number: the input
files' SHA-256, the parameter tree's digest, each notebook's parameters (seeds included), package
versions and the time. Notebooks save their key tables as CSV under ``tables/`` with
:func:`save_table`, so two runs can be compared table by table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import json
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

import yaml

import pandas as pd

from ..analysis import stats
from ..io import InputError, read_counts, read_plan, read_roster
from ..io.writers import write_page
from ..parameters import PARAMS_DIR
from ..resources import NOTEBOOK_DIR, PACKAGE_DIR, PUBLISHED_DIR, SAMPLE_DIR

DATA_DIRS = (SAMPLE_DIR, PUBLISHED_DIR)
#: The notebooks a full report runs; one missing is an error, not a shorter report.
EXPECTED_NOTEBOOKS = ("01_compliance_check", "02_rating_analysis", "03_cap_policy_simulation",
                      "04_recruitment_quota", "05_governance_indices")
PACKAGES = ("evalkit", "numpy", "pandas", "scipy", "statsmodels", "matplotlib", "seaborn", "openpyxl", "PyYAML",
            "papermill", "nbconvert", "tqdm")


def save_table(frame, name: str, output_dir: str | None) -> None:
    """Write a key table as ``<output_dir>/<name>.csv`` (no-op when ``output_dir`` is empty)."""
    if not output_dir:
        return
    path = Path(output_dir)
    path.mkdir(parents=True, exist_ok=True)
    frame.to_csv(path / f"{name}.csv", index=False, lineterminator="\n", float_format="%.10g")


def notebooks(directory: Path = NOTEBOOK_DIR) -> list[Path]:
    return sorted(p for p in Path(directory).glob("[0-9][0-9]_*.ipynb"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def params_digest() -> dict:
    files = {str(p.relative_to(PARAMS_DIR)): _sha256(p) for p in sorted(PARAMS_DIR.rglob("*.yaml"))}
    whole = hashlib.sha256(json.dumps(files, sort_keys=True).encode()).hexdigest()
    return {"digest": whole, "files": files}


def _versions() -> dict[str, str | None]:
    out: dict[str, str | None] = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def run_report(params_file: str | None = None, out_dir: str = "reports", only: list[str] | None = None,
               stream=sys.stdout, notebook_dir: Path = NOTEBOOK_DIR) -> int:
    """Execute the notebooks with papermill and write HTML pages, ``index.html`` and ``run_record.json``.

    ``params_file``: YAML mapping notebook name → parameters (small defaults otherwise). Returns 0,
    or 1 when a notebook fails (its name and the failing cell are printed).
    """
    import papermill as pm
    from nbconvert import HTMLExporter

    out = Path(out_dir).resolve()
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    tables = out / "tables"
    params_all: dict = {}
    if params_file:
        params_all = yaml.safe_load(Path(params_file).read_text(encoding="utf-8")) or {}
        if not isinstance(params_all, dict):
            raise ValueError(f"{params_file}: expected a mapping of notebook name to parameters")
    found = {nb.stem: nb for nb in notebooks(notebook_dir)}
    wanted = only or (EXPECTED_NOTEBOOKS if Path(notebook_dir) == NOTEBOOK_DIR else sorted(found))
    missing = [name for name in wanted if name not in found]
    if missing or not wanted:
        print(f"evalkit report: notebook(s) not found in {notebook_dir}: {', '.join(missing) or 'none at all'}",
              file=sys.stderr)
        return 1
    books = [found[name] for name in wanted]
    unknown = set(params_all) - set(found)
    if unknown:
        raise ValueError(f"{params_file}: no notebook named {', '.join(sorted(unknown))}")
    record: dict = {"started": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "versions": _versions(),
              "parameters_tree": params_digest(),
              "inputs": {str(p.relative_to(PACKAGE_DIR)): _sha256(p) for d in DATA_DIRS for p in sorted(d.glob("*"))
                         if p.is_file()},
              "lock_file": _lock_file(),
              "notebooks": {}}
    print("[data] validating the bundled inputs …", end=" ", flush=True, file=stream)
    validation = validate_bundled_data()
    write_validation_page(validation, out / "data_validation.html")
    save_table(validation["summary"], "00_data_validation", str(tables))
    save_table(validation["levels_by_unit"], "00_levels_by_unit", str(tables))
    print(f"{len(validation['summary'])} files, {int(validation['summary']['errors'].sum())} errors, "
          f"{int(validation['summary']['warnings'].sum())} warnings", file=stream)
    exporter = HTMLExporter(template_name="lab")
    for i, nb in enumerate(books, start=1):
        params = dict(params_all.get(nb.stem, {}))
        params["output_dir"] = str(tables)
        print(f"[{i}/{len(books)}] {nb.stem} …", end=" ", flush=True, file=stream)
        t0 = time.perf_counter()
        executed = out / "notebooks" / nb.name
        try:
            pm.execute_notebook(str(nb), str(executed), parameters=params, cwd=str(out), progress_bar=False,
                                kernel_name="python3", log_output=False, kernel_manager_class=_ipc_kernel_manager())
        except pm.PapermillExecutionError as exc:
            print("FAILED", file=stream)
            print(f"evalkit report: notebook {nb.name} failed in cell {exc.exec_count} "
                  f"({exc.ename}: {exc.evalue})", file=sys.stderr)
            print(f"  the executed notebook with the error is {executed}", file=sys.stderr)
            return 1
        body, _ = exporter.from_filename(str(executed))
        (out / f"{nb.stem}.html").write_text(body, encoding="utf-8")
        seconds = time.perf_counter() - t0
        print(f"done in {seconds:.1f} s", file=stream)
        effective = {**_defaults(nb), **params}
        record["notebooks"][nb.stem] = {"source_sha256": _sha256(nb), "parameters": effective,
                                        "seconds": round(seconds, 1)}
    record["finished"] = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    if tables.exists():
        record["tables"] = {p.name: _sha256(p) for p in sorted(tables.glob("*.csv"))}
    (out / "run_record.json").write_text(json.dumps(record, indent=1, ensure_ascii=False, default=str),
                                         encoding="utf-8")
    _write_index(out, record)
    print(f"reports written to {out / 'index.html'}", file=stream)
    return 0


def validate_bundled_data() -> dict:
    """Read every bundled input through the readers: rows, errors and warnings per file, the problems
    themselves, and the levels by unit of the sample province."""
    sample, published = DATA_DIRS
    files = [(sample / "province_2026_roster.csv", read_roster), (sample / "so_noi_vu_2026_xep_loai.xlsx", read_roster),
             (sample / "province_2026_counts_by_task_group.csv", read_counts),
             (sample / "recruitment_plan_2026.csv", read_plan),
             (published / "rating_aggregates.csv", read_counts),
             (published / "rating_aggregates_collective.csv", read_counts)]
    rows, problems, roster = [], [], None
    for path, reader in files:
        try:
            frame = reader(path)
            found, n_rows = frame.evalkit.problems, len(frame)
        except InputError as exc:
            frame, found, n_rows = None, exc.problems, 0
        rows.append({"file": str(path.relative_to(PACKAGE_DIR)), "kind": reader.__name__.replace("read_", ""),
                     "rows": n_rows, "errors": int((found["severity"] == "error").sum()),
                     "warnings": int((found["severity"] == "warning").sum())})
        problems.append(found)
        if path.name == "province_2026_roster.csv":
            roster = frame
    levels = stats.level_counts(roster, ["unit_level", "unit_id"]) if roster is not None else pd.DataFrame()
    return {"summary": pd.DataFrame(rows), "problems": pd.concat(problems, ignore_index=True),
            "levels_by_unit": levels}


def write_validation_page(validation: dict, path: Path) -> None:
    write_page({"Files": validation["summary"], "Problems found (errors and warnings)": validation["problems"],
                "Levels by unit (sample province)": validation["levels_by_unit"]}, path,
               title="Bundled data: validation summary")


def _lock_file() -> dict | None:
    """The lock file that pinned this environment, when the run comes from a checkout that has one."""
    for candidate in (Path.cwd() / "requirements.lock", PACKAGE_DIR.parent.parent / "requirements.lock"):
        if candidate.is_file():
            return {"path": candidate.name, "sha256": _sha256(candidate)}
    return None


def _ipc_kernel_manager():
    """A kernel manager talking to the kernel over local IPC sockets rather than loopback TCP."""
    from jupyter_client.manager import KernelManager
    from traitlets import default

    class IPCKernelManager(KernelManager):
        @default("transport")
        def _default_transport(self):
            return "ipc"

    return IPCKernelManager


def _defaults(nb: Path) -> dict:
    """The notebook's parameters-cell defaults (literals only, read safely: no code is run)."""
    import ast

    import papermill as pm

    out = {}
    for name, info in pm.inspect_notebook(str(nb)).items():
        try:
            out[name] = ast.literal_eval(info["default"])
        except (ValueError, SyntaxError):
            out[name] = info["default"]
    return out


TITLES = {
    "01_compliance_check": "An HR file checked, explained and calibrated",
    "02_rating_analysis": "Published ratings against the cap; where inflation concentrates in a province",
    "03_cap_policy_simulation": "What the 20% cap and its readings do: accuracy, fairness, gaming",
    "04_recruitment_quota": "Recruitment quotas: a plan checked and the payroll projected to 2030",
    "05_governance_indices": "Governance indices: PCI and PAPI, Quảng Ninh against the country",
}


def _write_index(out: Path, record: dict) -> None:
    items = "".join(
        f"<li><a href='{html.escape(name)}.html'>{html.escape(name)}</a> — {html.escape(TITLES.get(name, ''))} "
        f"<small>({info['seconds']} s)</small></li>" for name, info in record["notebooks"].items())
    page = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>evalkit reports</title>"
        "<style>body{font-family:system-ui,'DejaVu Sans',Arial,sans-serif;margin:2rem;max-width:60rem}"
        "li{margin:.4rem 0}code{background:#f4f4f4;padding:0 .2rem}</style></head><body>"
        "<h1>evalkit reports</h1><ul>" + items
        + "<li><a href='data_validation.html'>data_validation</a> — the bundled inputs read and validated: "
          "rows, problems, levels by unit</li></ul>"
        f"<p>Run {html.escape(record['started'])} → {html.escape(record['finished'])}; evalkit "
        f"{html.escape(str(record['versions'].get('evalkit')))}; parameter tree "
        f"<code>{record['parameters_tree']['digest'][:16]}</code>. Every number can be regenerated from "
        "<a href='run_record.json'>run_record.json</a> (inputs' SHA-256, parameters and seeds, package versions).</p>"
        "<p>The sample province is synthetic (generated by evalkit with a fixed seed); published figures keep "
        "their sources in <code>evalkit/resources/published/</code>.</p></body></html>")
    (out / "index.html").write_text(page, encoding="utf-8")
