"""Benchmark: check_cap and enforce_cap at national scale against DuckDB SQL and pandas groupby.apply.

A synthetic roster of 2.5 million people in about 100,000 units with task groups. Every contender
computes the same thing (per unit and per unit × task group: counts, cap = floor(G/5), minimal
demotions under final timing) and the results are compared before timing. Prints medians of
``--repeat`` runs and ratios against evalkit measured in the same run, and evalkit's peak memory.

    python benchmarks/bench_cap.py [--people 2500000] [--units 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import time
import tracemalloc

import numpy as np
import pandas as pd

import evalkit as ek
from evalkit.levels import LEVEL_DTYPE


def national_roster(n_people: int, n_units: int, seed: int = 0) -> pd.DataFrame:
    """Group-key columns are categoricals, as ``evalkit.read_roster`` returns them."""
    rng = np.random.default_rng(seed)
    sizes = rng.lognormal(0, 1.1, n_units)
    unit = rng.choice(n_units, n_people, p=sizes / sizes.sum())
    unit = np.sort(unit)
    tg = rng.integers(0, 4, n_people)
    level = rng.choice(["EXCELLENT", "GOOD", "COMPLETED", "NOT_COMPLETED"], n_people, p=[0.28, 0.67, 0.045, 0.005])
    frame = pd.DataFrame({
        "person_id": np.char.add("P", np.arange(n_people).astype(str)).astype(object),
        "year": 2026,
        "unit_id": np.char.add("U", unit.astype(str)).astype(object),
        "task_group": np.char.add(np.char.add("U", unit.astype(str)), np.char.add("-T", tg.astype(str))).astype(object),
        "population": pd.Categorical(["civil_servant"] * n_people),
        "level": pd.Categorical(level, dtype=LEVEL_DTYPE),
        "score": rng.integers(5000, 10001, n_people) / 100,
    })
    for col in ("unit_id", "task_group"):
        frame[col] = frame[col].astype("category")
    return frame


def timeit(fn, repeat):
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def evalkit_check(roster):
    return ek.check_cap(roster).groups


def pandas_apply_check(roster):
    def one(g):
        e = int((g["level"] == "EXCELLENT").sum())
        gd = int((g["level"] == "GOOD").sum())
        cap = gd // 5
        d = 0
        while e - d > (gd + d) // 5:
            d += 1
        return pd.Series({"n_excellent": e, "n_good": gd, "cap": cap, "minimal_demotions": d})

    parts = []
    for keys in (["year", "unit_id"], ["year", "unit_id", "task_group"]):
        parts.append(roster.groupby(keys, observed=True)[["level"]].apply(one).reset_index())
    return parts


DUCK_SQL = """
WITH c AS (
  SELECT {keys}, COUNT(*) FILTER (WHERE level = 'EXCELLENT') AS e,
         COUNT(*) FILTER (WHERE level = 'GOOD') AS g
  FROM roster WHERE population = 'civil_servant' GROUP BY {keys})
SELECT {keys}, e AS n_excellent, g AS n_good, g // 5 AS cap,
       GREATEST(0, CAST(CEIL((5 * e - g) / 6.0) AS BIGINT)) AS minimal_demotions
FROM c
"""


def duckdb_check(con):
    return [con.execute(DUCK_SQL.format(keys=k)).df() for k in ("year, unit_id", "year, unit_id, task_group")]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--people", type=int, default=2_500_000)
    ap.add_argument("--units", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--apply-sample", type=int, default=250_000,
                    help="people for the slow groupby.apply peer (timed on a slice, scaled linearly)")
    args = ap.parse_args()
    roster = national_roster(args.people, args.units)
    print(f"roster: {len(roster):,} people, {roster.unit_id.nunique():,} units, {roster.task_group.nunique():,} task groups")

    t_check, groups = timeit(lambda: evalkit_check(roster), args.repeat)
    t_enforce, final = timeit(lambda: ek.enforce_cap(roster), max(1, args.repeat - 2))
    tracemalloc.start()
    ek.enforce_cap(roster)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()

    import duckdb

    con = duckdb.connect()
    con.register("roster", roster)  # the same in-memory DataFrame (categoricals arrive as ENUMs)
    t_duck, duck = timeit(lambda: duckdb_check(con), args.repeat)
    con2 = duckdb.connect()
    plain = roster.assign(unit_id=roster["unit_id"].astype(str), task_group=roster["task_group"].astype(str),
                          population=roster["population"].astype(str), level=roster["level"].astype(str))
    con2.register("roster", plain)
    t_duck_str, _ = timeit(lambda: duckdb_check(con2), args.repeat)
    # same numbers?
    unit = groups[groups.scope == "unit_id"].set_index("unit_id").sort_index()
    d_unit = duck[0].set_index("unit_id").sort_index()
    assert (unit["cap"].to_numpy() == d_unit["cap"].to_numpy()).all()
    assert (unit["minimal_demotions"].to_numpy() == d_unit["minimal_demotions"].to_numpy()).all()
    assert int(final["demoted"].sum()) == int(groups[groups.scope == "unit_id × task_group"]["minimal_demotions"].sum()) \
        or final.attrs["enforcement"]["optimal"]

    sl = roster[roster["unit_id"].isin(roster["unit_id"].unique()[: max(1, args.units * args.apply_sample // args.people)])]
    t_apply_slice, _ = timeit(lambda: pandas_apply_check(sl), 1)
    t_apply = t_apply_slice * len(roster) / len(sl)

    print(f"{'contender':42s} {'median s':>9s} {'× evalkit check':>16s}")
    print(f"{'evalkit check_cap':42s} {t_check:9.3f} {1:16.2f}")
    print(f"{'DuckDB SQL (same counts, caps, demotions)':42s} {t_duck:9.3f} {t_duck / t_check:16.2f}")
    print(f"{'DuckDB SQL on a plain-string copy':42s} {t_duck_str:9.3f} {t_duck_str / t_check:16.2f}")
    print(f"{'pandas groupby.apply (scaled from slice)':42s} {t_apply:9.3f} {t_apply / t_check:16.2f}")
    print(f"{'evalkit enforce_cap':42s} {t_enforce:9.3f} {t_enforce / t_check:16.2f}")
    print(f"enforce_cap: {int(final['demoted'].sum()):,} demotions; peak traced memory {peak / 2**20:,.0f} MiB")
    print(f"targets: check ≤ 0.5 s ({'met' if t_check <= 0.5 else 'NOT met'}), no slower than DuckDB "
          f"({'met' if t_check <= t_duck else 'NOT met'}); enforce ≤ 2 s ({'met' if t_enforce <= 2 else 'NOT met'}); "
          f"peak < 1.5 GB ({'met' if peak < 1.5 * 2**30 else 'NOT met'})")


if __name__ == "__main__":
    main()
