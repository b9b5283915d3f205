"""Enforcement: whom to demote so that every scope of a cap holds, fewest demotions, lowest-ranked first.

Pure array code: people are rows, groups are integer codes, the need of each group comes from
:func:`evalkit.rules.cap.group_requirements`. Used by :func:`evalkit.compliance.enforce_cap` and by
the simulator.

>>> import numpy as np
>>> within_group_position(np.array([0, 0, 1, 0]), np.array([5, 3, 1, 4])).tolist()
[2, 0, 0, 1]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import levels as L
from ..policies import Policy
from .cap import counts_from_codes, group_requirements

def worst_first(frame: pd.DataFrame, rows: np.ndarray, rank_by: str | None) -> tuple[np.ndarray, str]:
    """Position (0 = worst) of each of ``rows`` in a worst-first order, and a description of the order.

    Worst first: lowest ``rank_by`` value (a missing value counts as lowest); ties broken by
    ``person_id``, the larger id first — the same whatever the row order of the file.
    """
    pid = (frame["person_id"].to_numpy()[rows] if "person_id" in frame.columns else rows).astype(str)
    pid_order = np.argsort(pid, kind="stable")
    pid_rank = np.empty(len(rows), dtype=np.int64)
    pid_rank[pid_order] = np.arange(len(rows))
    if rank_by and rank_by in frame.columns and frame[rank_by].notna().any():
        score = pd.to_numeric(frame[rank_by], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[rows]
        score = np.where(np.isnan(score), -np.inf, score)
        order = np.lexsort((-pid_rank, score))
        how = f"{rank_by}, lowest first (missing {rank_by} counts as lowest; ties: larger person_id first)"
    else:
        order = np.argsort(-pid_rank, kind="stable")
        how = "person_id, larger first (no score to rank by)"
    pos = np.empty(len(rows), dtype=np.int64)
    pos[order] = np.arange(len(rows))
    return pos, how


def within_group_position(gi: np.ndarray, key: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
    """0-based position of each (masked) row within its group, ordered by ``key`` ascending; −1 elsewhere."""
    idx = np.arange(len(gi)) if mask is None else np.flatnonzero(mask)
    k, g = key[idx], gi[idx]
    span = int(k.max()) - int(k.min()) + 1 if len(k) else 1
    if k.dtype.kind in "iu" and len(g) and int(g.max()) < (2**62) // span:
        order = idx[np.argsort(g * span + (k - k.min()), kind="stable")]  # one integer key: faster than lexsort
    else:
        order = idx[np.lexsort((k, g))]
    g = gi[order]
    starts = np.r_[0, np.flatnonzero(g[1:] != g[:-1]) + 1] if len(g) else np.array([], dtype=np.int64)
    run_start = np.repeat(starts, np.diff(np.r_[starts, len(g)]))
    pos = np.full(len(gi), -1, dtype=np.int64)
    pos[order] = np.arange(len(order)) - run_start
    return pos


def select_demotions(group_of: list[np.ndarray], need: list[np.ndarray], worst: np.ndarray, nested: bool):
    """Choose whom to demote among the eligible (excellent, covered) people. Pure array code.

    ``group_of[s]`` is each eligible person's group in scope ``s`` (finest scope first), ``need[s]``
    the minimal demotions per group, ``worst`` each person's worst-first position. Each scope's pass
    tops its groups up to their need, lowest-ranked first; demotions never undo an earlier scope.
    With nested scopes this is the least number possible; with two crossed scopes a maximum-flow
    matching comes first (``_two_crossed_scopes``) and the result is again the least; with more,
    people whose groups in other scopes still need demotions are preferred (always compliant, the
    lower bound reported). Returns (demoted mask, scope index that demoted).
    """
    m = len(worst)
    demoted = np.zeros(m, dtype=bool)
    by_scope = np.full(m, -1, dtype=np.int64)
    if not nested and len(group_of) == 2:
        demoted, by_scope = _two_crossed_scopes(group_of, need, worst)
    for s, (gs, ns) in enumerate(zip(group_of, need, strict=True)):
        extra = np.maximum(ns - np.bincount(gs[demoted], minlength=len(ns)), 0)
        if not extra.any():
            continue
        key = worst
        if not nested:
            pref = np.zeros(m, dtype=np.int64)
            for t, (gt, nt) in enumerate(zip(group_of, need, strict=True)):
                if t != s:
                    pref += (nt - np.bincount(gt[demoted], minlength=len(nt)) > 0)[gt]
            key = worst - pref * (m + 1)
        cand = ~demoted & (extra[gs] > 0)
        pos = within_group_position(gs, key, cand)
        pick = cand & (pos < extra[gs])
        demoted |= pick
        by_scope[pick] = s
    return demoted, by_scope


def _two_crossed_scopes(group_of: list[np.ndarray], need: list[np.ndarray], worst: np.ndarray):
    """The fewest demotions meeting two crossed scopes' needs, by maximum flow.

    Each eligible person is an edge between their group in scope A and in scope B; a set of demotions
    meeting every need is an edge cover with demands. Its least size is Σ needs − the largest
    demand-bounded matching (Gallai's identity for b-matchings), found as a maximum flow
    source → A (need) → B (people) → sink (need). The matching's people are taken lowest-ranked
    first on each (A, B) pair; the caller's passes then top up any group still short, and every such
    person covers a shortfall that no matching could — so the total is the least possible.
    """
    from scipy.sparse import csr_matrix, issparse
    from scipy.sparse.csgraph import maximum_flow

    ga, gb = group_of
    na, nb = len(need[0]), len(need[1])
    m = len(worst)
    if m == 0 or not need[0].any() and not need[1].any():
        return np.zeros(m, dtype=bool), np.full(m, -1, dtype=np.int64)
    pair, pairs = pd.factorize(ga * nb + gb)
    pa, pb = pairs // nb, pairs % nb
    cap_pair = np.bincount(pair, minlength=len(pairs))
    src, sink = 0, 1 + na + nb
    rows = np.r_[np.zeros(na, dtype=np.int64), 1 + pa, 1 + na + np.arange(nb)]
    cols = np.r_[1 + np.arange(na), 1 + na + pb, np.full(nb, sink)]
    caps = np.r_[need[0], cap_pair, need[1]].astype(np.int32)
    graph = csr_matrix((caps, (rows, cols)), shape=(sink + 1, sink + 1))
    flow = maximum_flow(graph, src, sink).flow.tocsr()
    sel = flow[1 + pa, 1 + na + pb]
    on_pair = np.asarray(sel.todense() if issparse(sel) else sel).ravel().astype(np.int64)
    pos = within_group_position(pair.astype(np.int64), worst)
    demoted = pos < on_pair[pair]
    by_scope = np.where(demoted, 0, -1).astype(np.int64)
    return demoted, by_scope


def enforce_arrays(level_codes: np.ndarray, scope_groups: list[tuple[np.ndarray, int]], covered: np.ndarray,
                   worst_key: np.ndarray, policy: Policy, nested: bool = True) -> np.ndarray:
    """Array core of enforcement: which rows to demote. Used by :func:`enforce_cap` and the simulator.

    ``level_codes``: positions in :data:`~evalkit.levels.ALL_LEVELS`; ``scope_groups``: per scope (finest
    first) the group number of every row and the number of groups; ``covered``: rows the policy
    applies to; ``worst_key``: any key whose ascending order is worst first; ``nested``: whether
    each scope's groups lie inside the next one's (then the result is minimal).
    """
    codes = np.where(covered, level_codes, -1)
    eligible = np.flatnonzero(codes == L.ALL_LEVELS.index(L.EXCELLENT))
    group_of, need = [], []
    for gi, n_groups in scope_groups:
        counts = counts_from_codes(gi, n_groups, codes)
        need.append(group_requirements(counts, policy)[2])
        group_of.append(gi[eligible])
    demoted_e, _ = select_demotions(group_of, need, worst_key[eligible], nested)
    demoted = np.zeros(len(level_codes), dtype=bool)
    demoted[eligible[demoted_e]] = True
    return demoted


def lower_bound(group_of: list[np.ndarray], need: list[np.ndarray], nested: bool) -> int:
    """A lower bound on the demotions any enforcement needs; exact for nested scopes.

    Nested (finest first): a coarser group needs at least its own minimum and at least what its
    finer groups need together. Otherwise: the largest per-scope total.
    """
    if not need:
        return 0
    if not nested:
        return max(int(n.sum()) for n in need)
    bound = need[0].astype(np.int64)
    for s in range(1, len(need)):
        parent = np.zeros(len(bound), dtype=np.int64)
        parent[group_of[s - 1]] = group_of[s]  # groups with any need have eligible people
        bound = np.maximum(need[s], np.bincount(parent, weights=bound, minlength=len(need[s])).astype(np.int64))
    return int(bound.sum())
