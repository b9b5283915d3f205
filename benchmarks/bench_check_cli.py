"""Benchmark: `evalkit check` as an officer runs it — `--json` against `--out report.xlsx`, and reading.

1. On the sample roster (data/sample/province_2026_roster.csv, 33,373 people) runs
   ``evalkit check FILE --json`` and ``evalkit check FILE --out x.xlsx`` ``--repeat`` times each, as
   separate processes, and prints the medians and their ratio (the goal: at most 3).
2. Builds a ``--people``-row roster (the sample repeated with new person ids, default 300,000) and
   prints the wall time and peak memory of ``--out x.xlsx`` on it (the goal: under 1 GB).
3. Times ``read_roster`` on that file against ``pandas.read_csv(dtype=str)`` (the goal: at most 3×).

    python benchmarks/bench_check_cli.py [--repeat 3] [--people 300000]

Timings are machine-dependent: they are printed here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "data" / "sample" / "province_2026_roster.csv"


def run(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one `evalkit` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "evalkit", *args], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1) or proc.stderr.strip():
        raise SystemExit(f"evalkit {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before) / 1024


def big_roster(n: int, path: Path) -> Path:
    sample = pd.read_csv(SAMPLE, dtype=str, keep_default_na=False)
    copies = -(-n // len(sample))
    parts = []
    for k in range(copies):
        part = sample.copy()
        part["person_id"] = part["person_id"] + f"-{k}"
        part["unit_id"] = part["unit_id"] + f"-{k}"
        if "task_group" in part.columns:
            part["task_group"] = part["task_group"] + f"-{k}"
        parts.append(part)
    pd.concat(parts, ignore_index=True).head(n).to_csv(path, index=False)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--people", type=int, default=300_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report.xlsx"
        json_t = [run(["check", str(SAMPLE), "--json"])[0] for _ in range(args.repeat)]
        xlsx_t = [run(["check", str(SAMPLE), "--out", str(out), "--force"])[0] for _ in range(args.repeat)]
        jm, xm = statistics.median(json_t), statistics.median(xlsx_t)
        print(f"sample roster ({SAMPLE.name}): --json median {jm:.2f} s, --out xlsx median {xm:.2f} s, "
              f"ratio {xm / jm:.2f} (goal ≤ 3)")
        big = big_roster(args.people, Path(tmp) / "big.csv")
        wall, peak = run(["check", str(big), "--out", str(out), "--force"])
        print(f"{args.people:,}-row roster: --out xlsx {wall:.1f} s, peak memory {peak:.0f} MB (goal < 1024 MB)")
        import evalkit as ek

        reads, pandas_reads = [], []
        for _ in range(args.repeat):
            t = time.perf_counter()
            ek.read_roster(big)
            reads.append(time.perf_counter() - t)
            t = time.perf_counter()
            pd.read_csv(big, dtype=str)
            pandas_reads.append(time.perf_counter() - t)
        rm, pm = statistics.median(reads), statistics.median(pandas_reads)
        print(f"read_roster on {args.people:,} rows: median {rm:.2f} s; pandas.read_csv(dtype=str) {pm:.2f} s; "
              f"ratio {rm / pm:.2f} (goal ≤ 3)")


if __name__ == "__main__":
    main()
