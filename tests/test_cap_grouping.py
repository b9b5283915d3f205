"""The grouping core of check_cap against the plain pandas way of doing the same thing.

- ``group_rows`` / ``KeyCoder.partitions``: the same partition of the rows as ``groupby``, with
  one row of each group (the last one);
- ``Partition.counts``: the same counts as a crosstab, for the finest partition and for coarser
  ones summed from it, whether or not the finer groups come in the coarser groups' order;
- the groups table check_cap builds column by column (keys kept as codes, the cap worked out once
  per regime over every scope) equals ``pd.concat`` of one plainly built frame per regime and scope,
  values and dtypes, and no two of its columns share memory.
"""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings, strategies as st

import evalkit as ek
from evalkit import policies as P
from evalkit.compliance import cap as cap_module
from evalkit.levels import ALL_LEVELS, LEVEL_DTYPE
from evalkit.rules.cap import COUNT_NAMES, KeyCoder, Partition, counts_from_codes, group_rows, level_slots


@st.composite
def code_columns(draw):
    n = draw(st.integers(1, 40))
    sizes = draw(st.lists(st.integers(1, 6), min_size=1, max_size=3))
    cols = [np.array(draw(st.lists(st.integers(0, m - 1), min_size=n, max_size=n)), dtype=np.int64) for m in sizes]
    if draw(st.booleans()):  # a column that determines the others (a task group inside a unit), in int32
        fine = sum(c * int(np.prod(sizes[i + 1:], dtype=np.int64)) for i, c in enumerate(cols))
        cols.append((fine * 3 + 1).astype(np.int32))
        sizes.append(int(np.prod(sizes)) * 3 + 1)
    return [(c, m) for c, m in zip(cols, sizes, strict=True)], n


@settings(max_examples=300, deadline=None)
@given(code_columns())
def test_group_rows_is_groupby(cols_n):
    cols, n = cols_n
    index, n_groups, first = group_rows(cols, n)
    frame = pd.DataFrame({f"k{i}": c for i, (c, _) in enumerate(cols)})
    expected = frame.groupby(list(frame.columns), sort=False).ngroup().to_numpy()
    assert n_groups == expected.max() + 1 and sorted(set(index.tolist())) == list(range(n_groups))
    assert pd.crosstab(index, expected).astype(bool).sum(axis=1).eq(1).all()  # the same partition
    last = {g: i for i, g in enumerate(index.tolist())}
    assert first.tolist() == [last[g] for g in range(n_groups)]


@st.composite
def rows_with_levels(draw):
    n = draw(st.integers(1, 50))
    units = draw(st.lists(st.sampled_from(["B", "A", "C"]), min_size=n, max_size=n))
    # task group names that sort against the units' order ("z" in A before "a" in B) or with it
    names = draw(st.sampled_from([{"A": "z", "B": "a", "C": "m"}, {"A": "a", "B": "b", "C": "c"}]))
    teams = [f"{names[u]}{t}" for u, t in zip(units, draw(st.lists(st.sampled_from("12"), min_size=n, max_size=n)),
                                                strict=True)]
    levels = draw(st.lists(st.sampled_from([*ALL_LEVELS, None]), min_size=n, max_size=n))
    covered = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    frame = pd.DataFrame({"unit_id": pd.Categorical(units), "task_group": pd.Categorical(teams),
                          "level": pd.Categorical(levels, dtype=LEVEL_DTYPE)})
    return frame, covered


@settings(max_examples=200, deadline=None)
@given(rows_with_levels(), st.booleans())
def test_partition_counts_are_a_crosstab(frame_covered, all_covered):
    frame, covered = frame_covered
    covered = np.ones(len(frame), dtype=bool) if all_covered else covered
    slots = level_slots(frame["level"].cat.codes.to_numpy(), covered)
    parts = KeyCoder(frame).partitions([["unit_id"], ["unit_id", "task_group"]])
    for part, keys in zip(parts, [["unit_id"], ["unit_id", "task_group"]], strict=True):
        counts, any_covered = part.counts(slots, covered=True)
        # the plain way: count each group's covered rows per level by hand
        expected = counts_from_codes(part.index, part.n, np.where(covered, frame["level"].cat.codes.to_numpy(), -1))
        for k in COUNT_NAMES:
            assert counts[k].tolist() == expected[k].tolist(), k
        has_covered = pd.Series(covered).groupby(part.index).any().reindex(range(part.n), fill_value=False)
        assert any_covered.tolist() == has_covered.tolist()
        # the group of each row agrees with the key values of its group
        key_frame = part.key_frame(frame, keys)
        assert (key_frame.iloc[part.index].astype(str).to_numpy() == frame[keys].astype(str).to_numpy()).all()


def test_coarser_counts_without_the_finer_groups_in_order():
    finest = Partition(np.array([0, 1, 2, 2, 1]), 3, np.array([0, 4, 3]))
    unit = Partition(None, 2, np.array([0, 3]), finest, np.array([1, 0, 1]))  # finer groups 0, 2 → 1; 1 → 0
    slots = level_slots(np.array([0, 0, 1, 0, 1]))  # E E G E G
    counts, _ = unit.counts(slots)
    assert counts["n_excellent"].tolist() == [1, 2] and counts["n_good"].tolist() == [1, 1]
    assert unit.index.tolist() == [1, 0, 1, 1, 0]
    assert unit.groups_of(np.array([4, 0])).tolist() == [0, 1]
    fresh = Partition(None, 2, np.array([0, 3]), finest, np.array([1, 0, 1]))  # before its index is made
    assert fresh.groups_of(np.array([4, 0, 2])).tolist() == [0, 1, 1]


# ------------------------------------------------------------------ the groups table


@st.composite
def rosters(draw, max_people=40):
    n = draw(st.integers(1, max_people))
    pick = lambda values: draw(st.lists(st.sampled_from(values), min_size=n, max_size=n))  # noqa: E731
    units = pick(["U1", "U2", "U10", None])
    frame = pd.DataFrame({
        "person_id": [f"p{i}" for i in range(n)],
        "year": pick([[2026], [2026, 2027], [2024, 2026]][draw(st.integers(0, 2))]),
        "unit_id": units,
        "task_group": [None if u is None and draw(st.booleans()) else f"{u}-{t}" for u, t in zip(units, pick("ab"))],
        "population": pick(["civil_servant", "civil_servant", "public_employee", "party_member"]),
        "level": pd.Categorical(pick([*ALL_LEVELS, None]), dtype=LEVEL_DTYPE),
        "score": pick([60.0, 95.0]),
    })
    if draw(st.booleans()):  # as the readers return them
        for c in ("unit_id", "task_group", "population"):
            frame[c] = frame[c].astype("category")
    return frame


def plain_groups(roster: pd.DataFrame, policy, readings: dict) -> pd.DataFrame:
    """One frame per regime and scope, built the plain way, then ``pd.concat``."""
    frames = []
    for pol, mask in cap_module.resolve_policies(roster, policy, readings, []):
        sub = roster if mask is None else roster[mask]
        covered = cap_module._in_scope(sub, pol, [])
        rows = sub[covered]
        for scope, keys in cap_module._roster_scopes(sub, pol, []):  # a regime with no group too
            g = rows.groupby(keys, dropna=False, sort=False, observed=True)
            levels = rows["level"].astype(object)
            counts = pd.DataFrame({
                "n_excellent": levels.eq("EXCELLENT"), "n_good": levels.eq("GOOD"),
                "n_completed": levels.isin(["COMPLETED", "COMPLETED_LIMITED"]),
                "n_not_completed": levels.eq("NOT_COMPLETED"), "n_not_rated": levels.eq("NOT_RATED")}
            ).groupby([rows[k] for k in keys], dropna=False, sort=False, observed=True).sum()
            assert len(counts) == g.ngroups
            key_values = counts.index.to_frame(index=False)
            key_values = pd.DataFrame({  # numbers (years) keep the roster's type; text goes through object lists
                k: pd.Series(key_values[k].tolist(), dtype=rows[k].dtype) if rows[k].dtype.kind in "iuf"
                else key_values[k].astype(object).where(key_values[k].notna(), None).tolist() for k in keys})
            frames.append(cap_module._evaluate(key_values, {k: counts[k].to_numpy(dtype=np.int64) for k in counts},
                                               pol, " × ".join(scope)))
    return pd.concat(frames, ignore_index=True) if frames else None


def comparable(groups: pd.DataFrame) -> pd.DataFrame:
    keys = [c for c in ("year", "unit_id", "task_group") if c in groups.columns]
    text = groups[["scope", *keys]].astype(object)
    order = text.where(text.notna(), "<NA>").astype(str).apply(tuple, axis=1).sort_values(kind="stable").index
    return groups.loc[order].reset_index(drop=True)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rosters(), st.sampled_from([("auto", {}), ("decree-335-2025", {}), ("decree-335-2025", {"base": "rated"}),
                                   ("decree-335-2025", {"exceptions": [P.CapException.make(
                                       {"unit_id": "U1"}, "PPC", "outstanding unit", ratio="3/10")]})]))
def test_groups_table_is_the_concat_of_plain_frames(roster, policy_readings):
    policy, readings = policy_readings
    groups = ek.check_cap(roster, policy, **readings).groups
    plain = plain_groups(roster, policy, readings)
    if plain is None or not (roster["unit_id"].notna().any() and roster["task_group"].notna().any()):
        return  # nothing covered, or keys all missing: dtypes of empty or all-missing columns are pandas' guess
    ours = comparable(groups)
    theirs = comparable(plain)[ours.columns]
    for c in ours.columns:  # the plain frames' key values came through object lists: compare the text
        if c in ("unit_id", "task_group"):
            assert ours[c].astype(object).where(ours[c].notna(), None).tolist() == \
                theirs[c].astype(object).where(theirs[c].notna(), None).tolist()
            assert not isinstance(ours[c].dtype, pd.CategoricalDtype)  # text, not codes
        else:
            pd.testing.assert_series_equal(ours[c], theirs[c], check_exact=True)
    columns = [groups[c].to_numpy() for c in groups.columns if isinstance(groups[c].dtype, np.dtype)
               and groups[c].dtype != object]
    assert not any(np.shares_memory(a, b) for i, a in enumerate(columns) for b in columns[i + 1:])


def test_writing_one_column_of_the_groups_table_changes_no_other():
    roster = pd.DataFrame({"person_id": list("abcdefg"), "year": 2026, "unit_id": "U1", "task_group": "T",
                           "population": "civil_servant", "level": ["EXCELLENT"] * 2 + ["GOOD"] * 5})
    groups = ek.check_cap(roster, base="good").groups  # base is the good count: the same numbers
    groups.loc[0, "base"] = 99
    assert groups["n_good"].tolist() == [5, 5] and groups["base"].tolist() == [99, 5]
