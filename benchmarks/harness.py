"""Timing that holds on a shared, noisy machine: contenders in turn, medians, ratios pair by pair.

Every round runs each contender once (A B C, A B C, …), so a slow spell of the machine hits all of
them; a ratio is the median of the per-round ratios against the peer measured in the same round.
Peak memory is the rise of a fresh process's resident set (Linux ``VmHWM``) over what it held
before the one call: it also sees what DuckDB allocates outside Python.
"""

from __future__ import annotations

import gc
import statistics
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def _ratio(x: float) -> str:
    """Two significant digits below 0.1 (0.0064, not 0.01 beside a goal of 0.01), else two decimals."""
    return f"{x:6.2g}" if x < 0.1 else f"{x:6.2f}"


def _status(key: str) -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def peak_memory(fn: Callable[[], object]) -> float:
    """Bytes the resident set grew by, at its peak, while ``fn()`` ran (NaN where Linux cannot say)."""
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")  # reset the peak to the current resident set
    except OSError:
        return float("nan")
    before = _status("VmRSS")
    result = fn()
    peak = _status("VmHWM")
    del result
    return float(max(peak - before, 0))


def memory_in_fresh_process(script: str, args: list[str], name: str) -> float:
    """Peak memory of contender ``name`` measured by ``script --memory-of name`` in a new process."""
    import sys

    out = subprocess.run([sys.executable, script, *args, "--memory-of", name], capture_output=True, text=True)
    try:
        return float(out.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return float("nan")


def run_process(cmd: list[str]) -> float:
    """Wall seconds of one whole command."""
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def process_memory(cmd: list[str]) -> float:
    """Peak resident bytes of one whole command, started from a small launcher (a fork of this big
    process would count this process's memory too)."""
    import sys

    launcher = ("import resource, subprocess, sys; subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, "
                "stderr=subprocess.DEVNULL); print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", launcher, *cmd], capture_output=True, text=True)
    try:
        return float(out.stdout.split()[-1]) * 1024
    except (ValueError, IndexError):
        return float("nan")


def rounds(contenders: dict[str, Callable[[], object]], repeat: int, warmup: int = 1) -> dict[str, list[float]]:
    """Seconds per round of each contender, taken in turn."""
    for _ in range(warmup):
        for fn in contenders.values():
            fn()
    times: dict[str, list[float]] = {name: [] for name in contenders}
    for _ in range(repeat):
        for name, fn in contenders.items():
            gc.collect()
            t = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - t)
    return times


@dataclass
class Row:
    """One line of the table: evalkit against its peer, measured in the same rounds."""

    job: str
    ours: list[float]
    peer_name: str
    peer: list[float]
    goal: str  # "≤ 0.5": ours / peer at most 0.5 ("≤ 0.01": at least 100 times faster)
    ours_memory: float = float("nan")
    peer_memory: float = float("nan")
    others: dict[str, list[float]] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        """Median over rounds of ours / peer."""
        return statistics.median(a / b for a, b in zip(self.ours, self.peer, strict=True))

    @property
    def met(self) -> bool:
        op, value = self.goal.split()
        return self.ratio <= float(value) if op == "≤" else 1 / self.ratio >= float(value)


def mib(b: float) -> str:
    return "—" if b != b else f"{b / 2**20:,.0f}"


def print_table(rows: list[Row]) -> None:
    head = f"| {'job':58s} | {'evalkit s':>9s} | {'peer (same run)':42s} | {'peer s':>7s} | {'ratio':>6s} | " \
           f"{'goal':>6s} | {'met':4s} | {'MiB ours':>8s} | {'MiB peer':>8s} |"
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    for r in rows:
        print(f"| {r.job:58s} | {statistics.median(r.ours):9.3f} | {r.peer_name:42s} | {statistics.median(r.peer):7.3f} | "
              f"{_ratio(r.ratio)} | {r.goal:>6s} | {'yes' if r.met else 'NO':4s} | {mib(r.ours_memory):>8s} | "
              f"{mib(r.peer_memory):>8s} |")
        for name, t in r.others.items():
            ratio = statistics.median(a / b for a, b in zip(r.ours, t, strict=True))
            print(f"| {'':58s} | {'':9s} | {name:42s} | {statistics.median(t):7.3f} | {_ratio(ratio)} | {'':6s} | "
                  f"{'':4s} | {'':8s} | {'':8s} |")
