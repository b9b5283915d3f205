"""Benchmark: concurrent uploads to the web application's POST /api/check.

Starts `evalkit serve`'s application with uvicorn on a free local port (a temporary SQLite file),
sends ``--clients`` simultaneous uploads of the sample province roster (33,373 people), checks that
every answer carries the verdict the engine gives for the same file (`evalkit.compliance.check_file`,
run once beforehand), and prints the response-time percentiles. Not a timed test: the numbers go to
stdout and, with ``--record FILE``, to a JSON file.

    python benchmarks/bench_web.py [--clients 20] [--record benchmarks/web_load.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from evalkit.compliance import check_file
from evalkit.web import running
from evalkit.web.app import Settings, create_app

ROSTER = Path(__file__).resolve().parents[1] / "data" / "sample" / "province_2026_roster.csv"


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0–100)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, -(-len(ordered) * q // 100) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--record", help="also write the results to this JSON file")
    args = ap.parse_args()

    expected = {True: "compliant", False: "over", None: "undecided"}[check_file(ROSTER).compliant]
    data = ROSTER.read_bytes()
    with tempfile.TemporaryDirectory() as d:
        app = create_app(Settings(db_url=f"sqlite:///{d}/bench.db", secret_key="bench"))
        with running(app) as base:
            url = f"{base}/api/check"

            def upload(_):
                t = time.perf_counter()
                r = httpx.post(url, files={"file": ("roster.csv", data)}, data={"lang": "vi"}, timeout=600)
                return time.perf_counter() - t, r.status_code, r.json().get("status")

            start = time.perf_counter()
            with ThreadPoolExecutor(args.clients) as pool:
                results = list(pool.map(upload, range(args.clients)))
            wall = time.perf_counter() - start

    times = [r[0] for r in results]
    right = sum(1 for _, code, status in results if code == 200 and status == expected)
    out = {"clients": args.clients, "file": ROSTER.name, "expected_status": expected, "right_verdicts": right,
           "p50_s": round(statistics.median(times), 2), "p95_s": round(percentile(times, 95), 2),
           "max_s": round(max(times), 2), "wall_s": round(wall, 2), "cpus": os.cpu_count(),
           "python": platform.python_version()}
    print(json.dumps(out, indent=1))
    if args.record:
        Path(args.record).write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")
    if right != args.clients:
        raise SystemExit(f"{args.clients - right} upload(s) did not return the expected verdict {expected!r}")


if __name__ == "__main__":
    main()
