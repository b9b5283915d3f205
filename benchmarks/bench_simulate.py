"""Benchmark: 1,000 replicates × 33,373 staff × 4 policies, against a plain per-replicate pandas loop.

Two peers draw replicates one at a time: one calls the public ``evalkit.enforce_cap`` per replicate
and policy (vectorised inside), the other is the plain pandas groupby code a researcher would write
without evalkit. Peers are timed on a few replicates each round and scaled to the full count;
before timing, the plain loop and the engine must leave the same number rated excellent on one
replicate. Prints medians and ratios (peer / engine, per round).

    python benchmarks/bench_simulate.py [--scale 1.0] [--workers 2]
    python benchmarks/bench_simulate.py --scaling      # 1 → 2 worker processes
    python benchmarks/bench_simulate.py --sweep-scaling  # the ratio × behaviour sweep on a dask LocalCluster, 1 → 2 workers
    python benchmarks/bench_simulate.py --national     # 2.1 M staff × 100 replicates × 2 policies, peak memory
"""

from __future__ import annotations

import argparse
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from scipy.stats import spearmanr

import evalkit as ek
from evalkit import policies as P
from evalkit.simulate import ProvinceSpec, compare, generate_province, simulate_roster

try:
    from harness import Row, print_table, rounds
except ImportError:  # imported as benchmarks.bench_simulate
    from .harness import Row, print_table, rounds

POLICIES = {
    "no cap": None,
    "decree-335 (everyone)": P.get("decree-335-2025", applies_to=()),
    "half_up": P.get("decree-335-2025", applies_to=(), rounding="half_up"),
    "good_or_better": P.get("decree-335-2025", applies_to=(), base="good_or_better"),
}


def plain_loop(province, replicates: int, seed: int) -> float:
    t = time.perf_counter()
    for rep in range(replicates):
        r = simulate_roster(province, None, seed=seed, replicate=rep)  # draw one replicate
        for pol in POLICIES.values():
            final = r if pol is None else ek.enforce_cap(r, pol)
            lv = final["level_final"]
            rated = lv != "NOT_RATED"
            (lv[rated] == "EXCELLENT").mean()
            spearmanr(-lv[rated].cat.codes, r.loc[rated, "true_performance"])
    return (time.perf_counter() - t) / replicates


def plain_pandas_loop(province, replicates: int, seed: int, excellent: list | None = None) -> float:
    """What a researcher writes without evalkit: per replicate and policy, groupby counts, the
    cap formula, sort + cumcount to pick whom to demote (unit × task group, then unit), scipy Spearman.
    Base good, final timing; the rounding and base of each policy are applied the plain way."""
    t = time.perf_counter()
    for rep in range(replicates):
        r = simulate_roster(province, None, seed=seed, replicate=rep)
        r["level"] = r["level"].astype(str)
        for pol in POLICIES.values():
            df = r.copy()
            if pol is not None:
                for keys in (["unit_id", "task_group"], ["unit_id"]):
                    c = df.groupby(keys, observed=True)["level"].value_counts().unstack(fill_value=0)
                    e = c.get("EXCELLENT", 0)
                    g = c.get("GOOD", 0)
                    base = g + e if pol.base == "good_or_better" else g
                    need = e.copy()  # demoting everyone always complies
                    for d in range(int(e.max()), -1, -1):  # the last d that complies is the least
                        b = base if pol.base == "good_or_better" else g + d
                        cap = (2 * b + 5) // 10 if pol.rounding == "half_up" else b // 5
                        need[(d <= e) & (e - d <= cap)] = d
                    exc = df[df["level"] == "EXCELLENT"].sort_values("score")
                    pos = exc.groupby(keys, observed=True).cumcount()
                    limit = exc.set_index(keys).index.map(need).to_numpy()
                    df.loc[exc.index[pos.to_numpy() < limit], "level"] = "GOOD"
            rated = df["level"] != "NOT_RATED"
            (df.loc[rated, "level"] == "EXCELLENT").mean()
            if excellent is not None:
                excellent.append(int((df["level"] == "EXCELLENT").sum()))
            spearmanr(df.loc[rated, "level"].map({"EXCELLENT": 3, "GOOD": 2, "COMPLETED": 1, "NOT_COMPLETED": 0}),
                      r.loc[rated, "true_performance"])
    return (time.perf_counter() - t) / replicates


NATIONAL = ProvinceSpec(n_staff=2_100_000, n_departments=1_260, n_districts=700, n_communes=10_000)


def _peak_mb() -> float:
    import resource

    self_ = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(self_, children) / 1024  # kB on Linux


def scaling(replicates: int, staff: int, repeat: int) -> None:
    """Wall time of the same experiment with 1 and 2 worker processes (median of ``repeat``)."""
    province = generate_province(ProvinceSpec(n_staff=staff), seed=1)
    pols = {"no cap": None, "decree-335": P.get("decree-335-2025", applies_to=())}
    chunk = max(1, replicates // 8)
    out = {}
    for workers in (1, 2):
        times = []
        for _ in range(repeat):
            t = time.perf_counter()
            with ProcessPoolExecutor(max_workers=workers) as ex:
                res = compare(province, pols, replicates=replicates, seed=1, chunk=chunk, executor=ex,
                              behaviour="strategic")
            times.append(time.perf_counter() - t)
        out[workers] = (statistics.median(times), res.results)
    assert out[1][1].equals(out[2][1]), "results must not depend on the number of workers"
    print(f"{staff:,} staff × {replicates} replicates × 2 policies, chunk {chunk}, median of {repeat}:")
    for w, (t, _) in out.items():
        print(f"  {w} worker process(es): {t:6.2f} s")
    print(f"  speed-up 1 → 2: {out[1][0] / out[2][0]:.2f}×")


def sweep_scaling(replicates: int, staff: int, repeat: int) -> None:
    """The research sweep (10 ratios × 3 strategic shares, beside no cap) on a dask.distributed
    LocalCluster with 1 and 2 worker processes: wall time (median of ``repeat``), results equal."""
    from distributed import Client, LocalCluster

    from evalkit.simulate import sweep

    province = generate_province(ProvinceSpec(n_staff=staff), seed=1)
    grid = {"strategic_share": [0.0, 0.3, 0.6]}
    out = {}
    for workers in (1, 2):
        with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cl, \
                Client(cl) as client:
            ex = client.get_executor()
            sweep(province, behaviour_grid=grid, replicates=2, seed=1, executor=ex)  # warm the workers
            times = []
            for _ in range(repeat):
                t = time.perf_counter()
                res = sweep(province, behaviour_grid=grid, replicates=replicates, seed=1, chunk=10, executor=ex)
                times.append(time.perf_counter() - t)
        out[workers] = (statistics.median(times), res.results)
    assert out[1][1].equals(out[2][1]), "results must not depend on the number of workers"
    print(f"sweep: {staff:,} staff × {replicates} replicates × 3 strategic shares × (10 ratios + no cap), "
          f"dask LocalCluster, median of {repeat}:")
    for w, (t, _) in out.items():
        print(f"  {w} worker(s): {t:6.2f} s")
    print(f"  speed-up 1 → 2: {out[1][0] / out[2][0]:.2f}×")


def national(replicates: int, chunk: int, workers: int) -> None:
    """The national scale in chunks: time and peak resident memory (this process and its workers)."""
    t = time.perf_counter()
    province = generate_province(NATIONAL, seed=1)
    gen = time.perf_counter() - t
    print(f"{len(province.staff):,} staff in {len(province.units):,} units generated in {gen:.1f} s, "
          f"peak {_peak_mb():,.0f} MB")
    pols = {"no cap": None, "decree-335": P.get("decree-335-2025", applies_to=())}
    t = time.perf_counter()
    if workers > 1:
        with ProcessPoolExecutor(max_workers=workers) as ex:
            res = compare(province, pols, replicates=replicates, seed=1, chunk=chunk, executor=ex)
    else:
        res = compare(province, pols, replicates=replicates, seed=1, chunk=chunk)
    run = time.perf_counter() - t
    print(f"{replicates} replicates × 2 policies, chunk {chunk}, {workers} process(es): {run:.1f} s "
          f"({run / replicates:.2f} s per replicate); peak resident memory {_peak_mb():,.0f} MB (largest process)")
    print(res.summary().query("metric == 'share_excellent'")[["policy", "mean", "ci_low", "ci_high"]].to_string(index=False))


def main(argv=None) -> list:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of the 1,000 replicates")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-replicates", type=int, default=2, help="replicates each peer runs per round (scaled)")
    ap.add_argument("--scaling", action="store_true", help="1 → 2 worker processes on a small case")
    ap.add_argument("--sweep-scaling", action="store_true", help="the sweep on dask.distributed, 1 → 2 workers")
    ap.add_argument("--national", action="store_true", help="2.1 M staff × 100 replicates × 2 policies")
    ap.add_argument("--staff", type=int, default=33_373)
    ap.add_argument("--chunk", type=int, default=2)
    ap.add_argument("--replicates", type=int, help="replicates for --scaling (200), --sweep-scaling (40) or --national (100)")
    args = ap.parse_args(argv)
    if args.scaling:
        scaling(args.replicates or 200, args.staff, args.repeat)
        return []
    if args.sweep_scaling:
        sweep_scaling(args.replicates or 40, args.staff, args.repeat)
        return []
    if args.national:
        national(args.replicates or 100, args.chunk, args.workers)
        return []
    replicates = max(2, int(1000 * args.scale))
    province = generate_province(ProvinceSpec(), seed=1)
    print(f"{len(province.staff):,} staff, {replicates:,} replicates, {len(POLICIES)} policies, "
          f"{args.workers} worker process(es)")
    plain_excellent: list[int] = []
    plain_pandas_loop(province, 1, seed=1, excellent=plain_excellent)
    engine = [int((simulate_roster(province, pol, seed=1, replicate=0, applies_to_all=True)["level_final"]
                   == "EXCELLENT").sum()) for pol in POLICIES.values()]
    assert plain_excellent == engine, (plain_excellent, engine)
    print(f"agree: excellent after each policy on replicate 0: {engine}")

    def run_engine():
        with ProcessPoolExecutor(max_workers=args.workers) as ex:
            compare(province, POLICIES, replicates=replicates, seed=1, executor=ex, applies_to_all=True)

    t = rounds({"ours": run_engine,
                "plain": lambda: plain_pandas_loop(province, args.peer_replicates, seed=1),
                "public": lambda: plain_loop(province, args.peer_replicates, seed=1)}, args.repeat, warmup=0)
    scale = replicates / args.peer_replicates
    return [Row(f"simulate.compare, {replicates:,} × {len(province.staff):,} × {len(POLICIES)} policies, "
                f"{args.workers} processes", t["ours"], "plain pandas loop (scaled)", [x * scale for x in t["plain"]],
                "≤ 0.01", others={"loop over the public enforce_cap (scaled)": [x * scale for x in t["public"]]})]


if __name__ == "__main__":
    table = main()
    if table:
        print_table(table)
