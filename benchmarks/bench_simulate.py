"""Benchmark: 1,000 replicates × 33,373 staff × 4 policies, against a plain per-replicate pandas loop.

Two peers draw replicates one at a time: one calls the public ``evalkit.enforce_cap`` per replicate
and policy (the strictest peer: vectorised inside), the other is the plain pandas groupby code a
researcher would write without evalkit. Both are timed on a few replicates and scaled. Prints
medians and ratios.

    python benchmarks/bench_simulate.py [--replicates 1000] [--workers 2]
    python benchmarks/bench_simulate.py --scaling      # 1 → 2 worker processes, small sizes
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


def plain_pandas_loop(province, replicates: int, seed: int) -> float:
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scaling", action="store_true", help="1 → 2 worker processes on a small case")
    ap.add_argument("--national", action="store_true", help="2.1 M staff × 100 replicates × 2 policies")
    ap.add_argument("--staff", type=int, default=33_373)
    ap.add_argument("--chunk", type=int, default=2)
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-replicates", type=int, default=4)
    args = ap.parse_args()
    if args.scaling:
        return scaling(args.replicates if args.replicates != 1000 else 16, args.staff, args.repeat)
    if args.national:
        return national(args.replicates if args.replicates != 1000 else 100, args.chunk, args.workers)
    province = generate_province(ProvinceSpec(), seed=1)
    print(f"{len(province.staff):,} staff, {args.replicates:,} replicates, {len(POLICIES)} policies, "
          f"{args.workers} worker process(es)")
    times = []
    for _ in range(args.repeat):
        t = time.perf_counter()
        with ProcessPoolExecutor(max_workers=args.workers) as ex:
            compare(province, POLICIES, replicates=args.replicates, seed=1, executor=ex)
        times.append(time.perf_counter() - t)
    engine = statistics.median(times)
    t = time.perf_counter()
    compare(province, POLICIES, replicates=max(1, args.replicates // 5), seed=1)
    one_proc = (time.perf_counter() - t) * 5
    per_rep = statistics.median(plain_loop(province, args.peer_replicates, seed=1) for _ in range(2))
    loop = per_rep * args.replicates
    plain = plain_pandas_loop(province, max(1, args.peer_replicates // 2), seed=1) * args.replicates
    print(f"{'contender':46s} {'median s':>9s} {'× engine':>9s}")
    print(f"{'evalkit.simulate.compare, ' + str(args.workers) + ' processes':46s} {engine:9.2f} {1:9.2f}")
    print(f"{'evalkit.simulate.compare, 1 process (scaled)':46s} {one_proc:9.2f} {one_proc / engine:9.2f}")
    print(f"{'loop over the public enforce_cap (scaled)':46s} {loop:9.2f} {loop / engine:9.2f}")
    print(f"{'plain pandas groupby loop (scaled)':46s} {plain:9.2f} {plain / engine:9.2f}")
    print(f"targets: ≤ 20 s ({'met' if engine <= 20 else 'NOT met'}); ≥ 20× a plain pandas loop "
          f"({'met' if plain / engine >= 20 else 'NOT met'}); vs the public-API loop: {loop / engine:.1f}×")


if __name__ == "__main__":
    main()
