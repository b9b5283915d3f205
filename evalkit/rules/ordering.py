"""Worst first within groups, and the fewest demotions for nested scopes, without a global sort of ids.

The order is the one :func:`evalkit.rules.enforcement.worst_first` defines — lowest score first
(a missing score counts as lowest), ties broken by ``person_id``, the larger first — but it is
only ever needed *within* a group. So people are sorted by one integer key (group, rank of
score), and ids are compared only where a group holds equal scores: a few rows, not all of them.

>>> group = np.array([0, 0, 1, 0, 1])
>>> score = np.array([70.0, 60.0, 80.0, 60.0, 90.0])
>>> ids = np.array(["a", "b", "c", "d", "e"])
>>> positions_within(group, score, lambda rows: ids[rows]).tolist()   # b and d tie: d (larger) first
[2, 1, 0, 0, 1]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd


def argsort_int(key: np.ndarray) -> np.ndarray:
    """Stable argsort of non-negative integers, 16 bits at a time (numpy's radix sort on each digit).

    >>> argsort_int(np.array([70000, 3, 70000, 1])).tolist()
    [3, 1, 0, 2]
    """
    order = np.arange(len(key))
    if not len(key):
        return order
    top = int(key.max())
    shift = 0
    while True:
        digit = ((key[order] >> shift) & 0xFFFF).astype(np.uint16)
        order = order[np.argsort(digit, kind="stable")]
        shift += 16
        if top >> shift == 0:
            return order


def score_ranks(score: np.ndarray) -> tuple[np.ndarray, int]:
    """Dense rank of each score (equal scores, equal rank) and the number of distinct scores.

    Hashing first and sorting only the distinct values: scores repeat (two decimals, bands).
    """
    codes, uniques = pd.factorize(np.asarray(score, dtype=float) + 0.0)  # + 0.0: −0.0 and 0.0 are one score
    rank_of = np.empty(len(uniques), dtype=np.int64)
    rank_of[np.argsort(np.asarray(uniques), kind="stable")] = np.arange(len(uniques))
    return rank_of[codes], max(len(uniques), 1)


def positions_within(group: np.ndarray, score: np.ndarray | None, ids: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    """0-based position of each row within its group, worst first.

    ``score``: ascending, ``-inf`` for missing (``None``: ids only); ``ids(rows)`` gives the ids of
    some rows, compared as text, the larger first; equal ids keep the later row first, as
    :func:`~evalkit.rules.enforcement.worst_first` does.
    """
    m = len(group)
    group = np.asarray(group, dtype=np.int64)
    if score is None:
        srank, n_scores = np.zeros(m, dtype=np.int64), 1
    else:
        srank, n_scores = score_ranks(score)
    if m and int(group.max()) >= (2**62) // n_scores:  # pragma: no cover - beyond any roster
        order = np.lexsort((srank, group))
    else:
        order = argsort_int(group * n_scores + srank)
    key = group[order] * n_scores + srank[order]
    tied = key[1:] == key[:-1]  # tied[p]: the rows at p and p + 1 have equal group and score
    if tied.any():
        in_run = np.zeros(m, dtype=bool)
        in_run[1:] |= tied
        in_run[:-1] |= tied
        at = np.flatnonzero(in_run)
        run = np.cumsum(np.r_[True, ~tied][at])  # a run starts where the row is not tied to the one before
        members = order[at]
        text = np.asarray(ids(members)).astype(str)
        id_rank = np.empty(len(members), dtype=np.int64)
        id_rank[np.argsort(text, kind="stable")] = np.arange(len(members))
        order[at] = members[np.lexsort((-id_rank, run))]
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]]) if m else np.array([], dtype=np.int64)
    run_start = np.repeat(starts, np.diff(np.r_[starts, m]))
    pos = np.empty(m, dtype=np.int64)
    pos[order] = np.arange(m) - run_start
    return pos


def nested_demotions(group_of: list[np.ndarray], need: list[np.ndarray], score: np.ndarray | None,
                     ids: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Whom to demote when each scope's groups lie inside the next one's (finest scope first).

    The same choice as :func:`~evalkit.rules.enforcement.select_demotions` with nested scopes —
    each scope tops its groups up to their need, worst first, never undoing a finer scope — but
    each pass orders only its candidates within their groups. Returns (demoted, scope that demoted).
    """
    m = len(group_of[0]) if group_of else 0
    demoted = np.zeros(m, dtype=bool)
    by_scope = np.full(m, -1, dtype=np.int64)
    for s, (gs, ns) in enumerate(zip(group_of, need, strict=True)):
        extra = np.maximum(ns - np.bincount(gs[demoted], minlength=len(ns)), 0)
        if not extra.any():
            continue
        cand = np.flatnonzero(~demoted & (extra[gs] > 0))
        def ids_of(rows: np.ndarray, c: np.ndarray = cand) -> np.ndarray:
            return ids(c[rows])

        pos = positions_within(gs[cand], None if score is None else score[cand], ids_of)
        pick = cand[pos < extra[gs[cand]]]
        demoted[pick] = True
        by_scope[pick] = s
    return demoted, by_scope
