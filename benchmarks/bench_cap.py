"""Benchmark: check_cap and enforce_cap on a national roster against DuckDB on the same DataFrame.

A synthetic roster of 2.5 million people in about 100,000 units with task groups (``--scale``
shrinks it). Key columns are categoricals, as ``evalkit.read_roster`` returns them; DuckDB reads
that same frame (categoricals arrive as ENUMs) and a copy with plain text columns. Every contender
computes the same thing — per unit and per unit × task group: counts, cap = floor(G/5), minimal
demotions (final timing); then whom to demote, worst first — and the answers are compared before
anything is timed. Contenders run in turn; medians and per-round ratios; peak resident memory.

    python benchmarks/bench_cap.py [--scale 1.0] [--repeat 5]
"""

from __future__ import annotations

import argparse

import numpy as np
import pandas as pd

import evalkit as ek
from evalkit.levels import LEVEL_DTYPE

try:
    from harness import Row, memory_in_fresh_process, peak_memory, print_table, rounds
except ImportError:  # imported as benchmarks.bench_cap
    from .harness import Row, memory_in_fresh_process, peak_memory, print_table, rounds


def national_roster(n_people: int, n_units: int, seed: int = 0) -> pd.DataFrame:
    """Group-key columns are categoricals, as ``evalkit.read_roster`` returns them."""
    rng = np.random.default_rng(seed)
    sizes = rng.lognormal(0, 1.1, n_units)
    unit = np.sort(rng.choice(n_units, n_people, p=sizes / sizes.sum()))
    tg = rng.integers(0, 4, n_people)
    level = rng.choice(["EXCELLENT", "GOOD", "COMPLETED", "NOT_COMPLETED"], n_people, p=[0.28, 0.67, 0.045, 0.005])
    unit_text = np.char.add("U", unit.astype(str))
    frame = pd.DataFrame({
        "person_id": np.char.add("P", np.arange(n_people).astype(str)).astype(object),
        "year": 2026,
        "unit_id": pd.Categorical(unit_text),
        "task_group": pd.Categorical(np.char.add(unit_text, np.char.add("-T", tg.astype(str)))),
        "population": pd.Categorical(["civil_servant"] * n_people),
        "level": pd.Categorical(level, dtype=LEVEL_DTYPE),
        "score": rng.integers(5000, 10001, n_people) / 100,
    })
    return frame


def plain_text_copy(roster: pd.DataFrame) -> pd.DataFrame:
    return roster.assign(**{c: roster[c].astype(str) for c in ("unit_id", "task_group", "population", "level")})


CHECK_SQL = """
SELECT year, unit_id, {extra} count_if(level = 'EXCELLENT') AS n_excellent, count_if(level = 'GOOD') AS n_good,
       count_if(level = 'GOOD') // 5 AS cap,
       greatest(0, (5 * count_if(level = 'EXCELLENT') - count_if(level = 'GOOD') + 5) // 6) AS minimal_demotions
FROM roster WHERE population = 'civil_servant' GROUP BY ALL
"""

# nested scopes, finest first: each task group's need, worst first (lowest score, larger id); then
# each unit's need beyond what its task groups already demoted, among the rest, worst first
ENFORCE_SQL = """
WITH c AS (SELECT year, unit_id, task_group, count_if(level = 'EXCELLENT') AS e, count_if(level = 'GOOD') AS g
           FROM roster WHERE population = 'civil_servant' GROUP BY ALL),
t AS (SELECT year, unit_id, task_group, greatest(0, (5 * e - g + 5) // 6) AS need FROM c),
u AS (SELECT year, unit_id, greatest(0, (5 * sum(e) - sum(g) + 5) // 6) AS need FROM c GROUP BY ALL),
r1 AS (SELECT x.person_id, x.year, x.unit_id, x.score,
              row_number() OVER (PARTITION BY x.year, x.unit_id, x.task_group
                                 ORDER BY x.score ASC NULLS FIRST, x.person_id DESC) <= t.need AS first
       FROM roster x JOIN t USING (year, unit_id, task_group)
       WHERE x.population = 'civil_servant' AND x.level = 'EXCELLENT'),
r2 AS (SELECT *, sum(first::INT) OVER (PARTITION BY year, unit_id) AS k,
              row_number() OVER (PARTITION BY year, unit_id, first ORDER BY score ASC NULLS FIRST, person_id DESC) AS rn2
       FROM r1)
SELECT person_id FROM r2 JOIN u USING (year, unit_id) WHERE first OR rn2 <= u.need - k
"""


def duckdb_check(con):
    return [con.execute(CHECK_SQL.format(extra="")).df(), con.execute(CHECK_SQL.format(extra="task_group,")).df()]


def duckdb_enforce(con):
    return con.execute(ENFORCE_SQL).df()


def _table(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    cols = keys + ["n_excellent", "n_good", "cap", "minimal_demotions"]
    out = frame[cols].astype({k: str for k in keys}).astype({c: np.int64 for c in cols[len(keys):]})
    return out.sort_values(keys).reset_index(drop=True)


def assert_same_check(groups: pd.DataFrame, duck: list[pd.DataFrame]) -> None:
    for scope, keys, theirs in (("unit_id", ["year", "unit_id"], duck[0]),
                                ("unit_id × task_group", ["year", "unit_id", "task_group"], duck[1])):
        ours = _table(groups[groups["scope"] == scope], keys)
        pd.testing.assert_frame_equal(ours, _table(theirs, keys), check_dtype=False)


def main(argv=None) -> list[Row]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=1.0, help="share of the national roster (2.5 M people)")
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--memory-of", help=argparse.SUPPRESS)  # internal: one contender's peak memory, printed
    args = ap.parse_args(argv)
    import duckdb

    n = max(1000, int(2_500_000 * args.scale))
    roster = national_roster(n, max(40, int(100_000 * args.scale)))
    plain = plain_text_copy(roster)
    enum_con, text_con = duckdb.connect(), duckdb.connect()
    enum_con.register("roster", roster)  # the same in-memory DataFrame: categoricals arrive as ENUMs
    text_con.register("roster", plain)
    if args.memory_of:
        fn = {"check": lambda: ek.check_cap(roster), "check_duckdb": lambda: duckdb_check(text_con),
              "enforce": lambda: ek.enforce_cap(roster), "enforce_duckdb": lambda: duckdb_enforce(text_con)}
        print(peak_memory(fn[args.memory_of]))
        return []
    memory = {name: memory_in_fresh_process(__file__, ["--scale", str(args.scale)], name)
              for name in ("check", "check_duckdb", "enforce", "enforce_duckdb")}
    print(f"roster: {len(roster):,} people, {roster.unit_id.nunique():,} units, {roster.task_group.nunique():,} task groups")

    # the same answers before any timing
    groups = ek.check_cap(roster).groups
    assert_same_check(groups, duckdb_check(enum_con))
    assert_same_check(groups, duckdb_check(text_con))
    final = ek.enforce_cap(roster)
    ours = set(final.loc[final["demoted"], "person_id"])
    for con in (enum_con, text_con):
        assert set(duckdb_enforce(con)["person_id"]) == ours
    assert len(ours) == final.attrs["enforcement"]["lower_bound"]
    print(f"agree: groups of both scopes, and the {len(ours):,} people demoted")

    rows = []
    t = rounds({"ours": lambda: ek.check_cap(roster), "text": lambda: duckdb_check(text_con),
                "enum": lambda: duckdb_check(enum_con)}, args.repeat)
    rows.append(Row(f"check_cap, {n / 1e6:.2g} M people, unit + task group", t["ours"],
                    "DuckDB SQL, plain text columns", t["text"], "≤ 0.5",
                    memory["check"], memory["check_duckdb"],
                    {"DuckDB SQL, categorical (ENUM) columns": t["enum"]}))
    t = rounds({"ours": lambda: ek.enforce_cap(roster), "text": lambda: duckdb_enforce(text_con),
                "enum": lambda: duckdb_enforce(enum_con)}, args.repeat)
    rows.append(Row("enforce_cap, same roster, nested scopes", t["ours"],
                    "DuckDB window query, plain text columns", t["text"], "≤ 0.5",
                    memory["enforce"], memory["enforce_duckdb"],
                    {"DuckDB window query, categorical (ENUM)": t["enum"]}))
    t = rounds({"ours": lambda: ek.enforce_cap(roster)["reason"].astype(str)}, max(1, args.repeat // 2), warmup=0)
    print(f"(enforce_cap then reading every reason: median {np.median(t['ours']):.2f} s — the sentences are "
          f"written only when read)")
    return rows


if __name__ == "__main__":
    table = main()
    if table:
        print_table(table)
