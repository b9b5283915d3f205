"""Benchmark: 1,000 replicates × 33,373 staff × 4 policies, against a plain per-replicate pandas loop.

Two peers draw replicates one at a time: one calls the public ``evalkit.enforce_cap`` per replicate
and policy (the strictest peer: vectorised inside), the other is the plain pandas groupby code a
researcher would write without evalkit. Both are timed on a few replicates and scaled. Prints
medians and ratios.

    python benchmarks/bench_simulate.py [--replicates 1000] [--workers 2]
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
        r = simulate_roster(province, None, seed=seed, replicate=rep, chunk=1)  # draw one replicate
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
        r = simulate_roster(province, None, seed=seed, replicate=rep, chunk=1)
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replicates", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--peer-replicates", type=int, default=4)
    args = ap.parse_args()
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
