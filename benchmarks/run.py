"""Every row of the performance table, each against its peer measured in the same run: ``make bench``.

    python benchmarks/run.py [--scale 1.0] [--repeat 5] [--only cap,read,simulate]

``--scale`` shrinks every job (rows, replicates) for a quick look; the README's figures are at
``--scale 1``. The machine is shared and noisy: ratios (per round, then the median) are the figures
to trust, not absolute seconds.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_cap  # noqa: E402
import bench_read  # noqa: E402
import bench_simulate  # noqa: E402
from harness import print_table  # noqa: E402

JOBS = {"cap": bench_cap.main, "read": bench_read.main, "simulate": bench_simulate.main}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--only", default=",".join(JOBS), help="comma-separated: " + ", ".join(JOBS))
    args = ap.parse_args()
    rows = []
    started = time.time()
    for name in args.only.split(","):
        print(f"== {name}", flush=True)
        extra = ["--repeat", str(args.repeat if name != "simulate" else max(1, args.repeat // 2))]
        rows += JOBS[name](["--scale", str(args.scale), *extra])
    print(f"\n{platform.node()}: {os.cpu_count()} cores, Python {platform.python_version()}, scale {args.scale}, "
          f"{time.time() - started:.0f} s; medians of {args.repeat} rounds, ratio = median per-round evalkit / peer")
    print_table(rows)
    missed = [r.job for r in rows if not r.met]
    print("every goal met" if not missed else "goals NOT met: " + "; ".join(missed))


if __name__ == "__main__":
    main()
