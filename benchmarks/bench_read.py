"""Benchmark: reading an HR file, and the whole ``evalkit check --json`` command, against pandas.read_csv.

A generated 300,000-row roster (``--scale`` shrinks it) as an HR office writes one: Vietnamese
headers, levels spelt out in Vietnamese (with the usual abbreviations and lower-case variants),
Vietnamese staff types, scores in the Decree 335 bands. Rows:

* ``read_roster(path)`` against ``pandas.read_csv(path, dtype=str)`` in the same process, in turn;
  before timing, the two are checked to hold the same rows, ids, units and levels.
* ``evalkit check --json path`` against ``python -c "pandas.read_csv(path, dtype=str)"``, both timed
  as whole processes (interpreter start and imports included on both sides), in turn.
* ``read_roster`` on the first tenth of the roster saved as .xlsx against ``pandas.read_excel`` with
  the calamine engine (a goal of evalkit's own, ≤ 3: the issue set none for workbooks).

    python benchmarks/bench_read.py [--scale 1.0] [--repeat 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

import evalkit as ek

try:
    from harness import Row, memory_in_fresh_process, peak_memory, print_table, process_memory, rounds, run_process
except ImportError:  # imported as benchmarks.bench_read
    from .harness import Row, memory_in_fresh_process, peak_memory, print_table, process_memory, rounds, run_process

LEVEL_SPELLINGS = {  # how levels are written in real files, and what they mean
    "Hoàn thành xuất sắc nhiệm vụ": "EXCELLENT", "HTXSNV": "EXCELLENT",
    "Hoàn thành tốt nhiệm vụ": "GOOD", "hoàn thành tốt nhiệm vụ": "GOOD", "HTTNV": "GOOD",
    "Hoàn thành nhiệm vụ": "COMPLETED", "HTNV": "COMPLETED",
    "Không hoàn thành nhiệm vụ": "NOT_COMPLETED",
}
HEADERS = ["STT", "Mã CB", "Họ và tên", "Năm", "Đơn vị", "Nhóm nhiệm vụ", "Đối tượng", "Điểm", "Xếp loại"]


def write_roster_csv(path: Path, n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """A Vietnamese-header roster of ``n`` rows; returns the canonical values it holds."""
    rng = np.random.default_rng(seed)
    n_units = max(10, n // 40)
    unit = np.sort(rng.integers(0, n_units, n))
    level = rng.choice(["EXCELLENT", "GOOD", "COMPLETED", "NOT_COMPLETED"], n, p=[0.25, 0.65, 0.08, 0.02])
    band = {"EXCELLENT": (90, 100), "GOOD": (70, 89.75), "COMPLETED": (50, 69.75), "NOT_COMPLETED": (20, 49.75)}
    lo = np.array([band[v][0] for v in level])
    hi = np.array([band[v][1] for v in level])
    score = np.round((lo + rng.random(n) * (hi - lo)) * 4) / 4
    spelled = np.empty(n, dtype=object)
    for code in ("EXCELLENT", "GOOD", "COMPLETED", "NOT_COMPLETED"):
        ways = [s for s, c in LEVEL_SPELLINGS.items() if c == code]
        at = level == code
        spelled[at] = rng.choice(ways, int(at.sum()))
    unit_text = np.char.add("Phòng ", unit.astype(str))
    ids = np.char.add("CB", np.char.zfill(np.arange(n).astype(str), 7))
    frame = pd.DataFrame({
        "STT": np.arange(1, n + 1), "Mã CB": ids, "Họ và tên": np.char.add("Nguyễn Văn ", np.arange(n).astype(str)),
        "Năm": 2026, "Đơn vị": unit_text,
        "Nhóm nhiệm vụ": np.char.add(unit_text, np.char.add(" - Nhóm ", rng.integers(1, 4, n).astype(str))),
        "Đối tượng": rng.choice(["Công chức", "công chức", "Viên chức"], n, p=[0.6, 0.1, 0.3]),
        "Điểm": score, "Xếp loại": spelled,
    })
    frame.to_csv(path, index=False)
    return {"person_id": ids, "unit_id": unit_text, "level": level}


def assert_same_rows(ours: pd.DataFrame, plain: pd.DataFrame, truth: dict[str, np.ndarray]) -> None:
    assert len(ours) == len(plain) == len(truth["person_id"])
    order = np.argsort(ours["source_row"].to_numpy()) if "source_row" in ours.columns else np.arange(len(ours))
    assert (ours["person_id"].astype(str).to_numpy()[order] == plain["Mã CB"].to_numpy()).all()
    assert (ours["unit_id"].astype(str).to_numpy()[order] == plain["Đơn vị"].to_numpy()).all()
    assert (ours["level"].astype(str).to_numpy()[order] == plain["Xếp loại"].map(LEVEL_SPELLINGS).to_numpy()).all()
    assert (ours["level"].astype(str).to_numpy()[order] == truth["level"]).all()


def main(argv=None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of 300,000 rows")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--memory-of", help=argparse.SUPPRESS)
    ap.add_argument("--file", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.memory_of:
        fn = {"read_roster": lambda: ek.read_roster(args.file),
              "read_csv": lambda: pd.read_csv(args.file, dtype=str)}[args.memory_of]
        print(peak_memory(fn))
        return []
    n = max(1000, int(300_000 * args.scale))
    work = Path(tempfile.mkdtemp(prefix="evalkit-bench-"))
    try:
        path = work / "xep_loai_2026.csv"
        truth = write_roster_csv(path, n)
        print(f"file: {n:,} rows, Vietnamese headers and levels, {path.stat().st_size / 2**20:.0f} MiB")
        assert_same_rows(ek.read_roster(path), pd.read_csv(path, dtype=str), truth)
        cli = [sys.executable, "-m", "evalkit", "check", str(path), "--json"]
        doc = json.loads(subprocess.run(cli, capture_output=True, text=True).stdout)
        assert doc["policy"] == "decree-335-2025" and doc["compliant"] is False, "the check must see the file"
        print("agree: the same rows, ids, units and levels; the command reports on the file")

        t = rounds({"ours": lambda: ek.read_roster(path), "peer": lambda: pd.read_csv(path, dtype=str)}, args.repeat)
        memory = {name: memory_in_fresh_process(__file__, ["--file", str(path)], name)
                  for name in ("read_roster", "read_csv")}
        rows = [Row(f"read_roster, {n:,}-row CSV, Vietnamese headers and levels", t["ours"],
                    "pandas.read_csv(dtype=str)", t["peer"], "≤ 3", memory["read_roster"], memory["read_csv"])]
        peer_cmd = [sys.executable, "-c", f"import pandas; pandas.read_csv({str(path)!r}, dtype=str)"]
        run_process(cli), run_process(peer_cmd)  # warm-up
        t = rounds({"ours": lambda: run_process(cli), "peer": lambda: run_process(peer_cmd)}, args.repeat, warmup=0)
        rows.append(Row("evalkit check --json, same file (whole process)", t["ours"],
                        "python -c 'pandas.read_csv(dtype=str)'", t["peer"], "≤ 5",
                        process_memory(cli), process_memory(peer_cmd)))

        m = max(1000, n // 10)  # an office workbook: the first tenth of the same roster, as .xlsx
        xlsx = work / "xep_loai_2026.xlsx"
        pd.read_csv(path, dtype=str).head(m).to_excel(xlsx, index=False)
        assert_same_rows(ek.read_roster(xlsx), pd.read_excel(xlsx, engine="calamine", dtype=str),
                         {k: v[:m] for k, v in truth.items()})
        print(f"agree: the same rows, ids, units and levels from the {m:,}-row workbook")
        t = rounds({"ours": lambda: ek.read_roster(xlsx),
                    "peer": lambda: pd.read_excel(xlsx, engine="calamine", dtype=str)}, args.repeat)
        rows.append(Row(f"read_roster, {m:,}-row .xlsx, same columns", t["ours"],
                        "pandas.read_excel(calamine, dtype=str)", t["peer"], "≤ 3"))
        return rows
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    table = main()
    if table:
        print_table(table)
