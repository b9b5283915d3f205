"""Enforcement: whom to demote so that every scope of a cap holds, fewest demotions, lowest-ranked first.

Pure array code: people are rows, groups are integer codes, the need of each group comes from
:func:`evalkit.rules.cap.requirements`. Used by :func:`evalkit.compliance.enforce_cap` and by
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
from .cap import counts_from_codes, requirements

def worst_first(frame: pd.DataFrame, rows: np.ndarray, rank_by: str | None) -> tuple[np.ndarray, str]:
    """Position (0 = worst) of each of ``rows`` in a worst-first order, and a description of the order.

    Worst first: lowest ``rank_by`` value (a missing value counts as lowest); ties broken by
    ``person_id``, the larger id first — the same whatever the row order of the file.
    """
    pid = (frame["person_id"].to_numpy()[rows] if "person_id" in frame.columns else rows).astype(str)
    pid_order = np.argsort(pid, kind="stable")
    pid_rank = np.empty(len(rows), dtype=np.int64)
    pid_rank[pid_order] = np.arange(len(rows))
    score, how = rank_basis(frame, rows, rank_by)
    if score is not None:
        order = np.lexsort((-pid_rank, score))
    else:
        order = np.argsort(-pid_rank, kind="stable")
    pos = np.empty(len(rows), dtype=np.int64)
    pos[order] = np.arange(len(rows))
    return pos, how


def rank_basis(frame: pd.DataFrame, rows: np.ndarray, rank_by: str | None) -> tuple[np.ndarray | None, str]:
    """The score of each of ``rows`` (``-inf`` where missing; None: no score, ids only) and the order's description."""
    if rank_by and rank_by in frame.columns and frame[rank_by].notna().any():
        score = pd.to_numeric(frame[rank_by], errors="coerce").to_numpy(dtype=float, na_value=np.nan)[rows]
        how = f"{rank_by}, lowest first (missing {rank_by} counts as lowest; ties: larger person_id first)"
        return np.where(np.isnan(score), -np.inf, score), how
    return None, "person_id, larger first (no score to rank by)"


def split_ties(group: np.ndarray, score: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """For each row, how many others in its group share its score when that tie is split (some of the
    tied rows chosen, some not) — the choice fell inside the tie; 0 elsewhere.

    >>> split_ties(np.array([0, 0, 0, 1, 1]), np.array([85., 85., 90., 70., 70.]),
    ...            np.array([True, False, False, True, True])).tolist()
    [1, 1, 0, 0, 0]
    """
    if not len(group):
        return np.zeros(0, dtype=np.int64)
    pair = np.unique(np.stack([np.asarray(group, dtype=float), score]), axis=1, return_inverse=True)[1].ravel()
    size = np.bincount(pair)
    taken = np.bincount(pair, weights=np.asarray(chosen, dtype=float)).astype(np.int64)
    split = (taken[pair] > 0) & (taken[pair] < size[pair])
    return np.where(split, size[pair] - 1, 0)


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


#: Largest number of candidates the exact crossed-scope solver takes (two scopes: a minimum-cost flow
#: solved as a linear program, about 4 s at the limit; three or more: an integer program). Beyond it,
#: two scopes keep the least count by maximum flow (lowest-ranked not guaranteed); more get the bound.
EXACT_MAX_CANDIDATES = {2: 50_000, 3: 2_000}
#: Seconds the integer program for three or more crossed scopes may take before the bound is used.
EXACT_TIME_LIMIT = 5.0


def select_demotions(group_of: list[np.ndarray], need: list[np.ndarray], worst: np.ndarray, nested: bool,
                     report_exact: bool = False, attribute_scopes: bool = True):
    """Choose whom to demote among the eligible (excellent, covered) people. Pure array code.

    ``group_of[s]`` is each eligible person's group in scope ``s`` (finest scope first), ``need[s]``
    the minimal demotions per group, ``worst`` each person's worst-first position (distinct).

    - Nested scopes: each scope's pass tops its groups up to their need, lowest-ranked first; the
      least number possible, and the lowest-ranked people in each group.
    - Crossed scopes: among the sets with the fewest demotions, the one with the least sum of
      rank positions (:func:`crossed_exact`; two scopes always, three or more when small enough) —
      the same whatever the row order. Otherwise a feasible set (people whose groups in other
      scopes still need demotions first) and the lower bound reported.

    Returns ``(demoted mask, scope index that demoted)`` (the index is None without
    ``attribute_scopes``), and whether the count is exactly minimal when ``report_exact``.
    """
    m = len(worst)
    demoted = np.zeros(m, dtype=bool)
    if nested or len(group_of) == 1:
        for gs, ns in zip(group_of, need, strict=True):
            extra = np.maximum(ns - np.bincount(gs[demoted], minlength=len(ns)), 0)
            if extra.any():
                cand = ~demoted & (extra[gs] > 0)
                demoted |= cand & (within_group_position(gs, worst, cand) < extra[gs])
        exact = True
    else:
        solved = crossed_exact(group_of, need, worst)
        exact = solved is not None
        if exact:
            demoted = solved
        else:
            if len(group_of) == 2:
                demoted, _ = _two_crossed_scopes(group_of, need, worst)
                exact = True  # the maximum-flow matching then the top-up is minimal in count
            for s, (gs, ns) in enumerate(zip(group_of, need, strict=True)):
                extra = np.maximum(ns - np.bincount(gs[demoted], minlength=len(ns)), 0)
                if not extra.any():
                    continue
                pref = np.zeros(m, dtype=np.int64)
                for t, (gt, nt) in enumerate(zip(group_of, need, strict=True)):
                    if t != s:
                        pref += (nt - np.bincount(gt[demoted], minlength=len(nt)) > 0)[gt]
                cand = ~demoted & (extra[gs] > 0)
                demoted |= cand & (within_group_position(gs, worst - pref * (m + 1), cand) < extra[gs])
    by_scope = attribute(group_of, need, worst, demoted) if attribute_scopes else None
    return (demoted, by_scope, exact) if report_exact else (demoted, by_scope)


def attribute(group_of: list[np.ndarray], need: list[np.ndarray], worst: np.ndarray, demoted: np.ndarray):
    """Which scope each demotion answers: scopes in order, each group's need taken lowest-ranked first."""
    by_scope = np.full(len(worst), -1, dtype=np.int64)
    for s, (gs, ns) in enumerate(zip(group_of, need, strict=True)):
        free = demoted & (by_scope < 0)
        already = np.bincount(gs[demoted & (by_scope >= 0)], minlength=len(ns))
        pos = within_group_position(gs, worst, free)
        pick = free & (pos < np.maximum(ns - already, 0)[gs])
        by_scope[pick] = s
    by_scope[demoted & (by_scope < 0)] = 0
    return by_scope


def crossed_exact(group_of: list[np.ndarray], need: list[np.ndarray], worst: np.ndarray):
    """The fewest demotions meeting every crossed scope's needs, lowest-ranked among them; None if too big.

    First the least count subject to Σ in each group ≥ its need, then, among sets of that count, the
    least sum of rank positions (0 = worst): the lowest-ranked minimal set.
    Only the lowest-ranked people of each cell (same group in every scope), as many as the cell's
    largest need, are candidates; they and the groups are put in a canonical
    order (by rank) before solving, so the row order of the file cannot change the answer. Two
    scopes: a minimum-cost flow (:func:`_two_scopes_network`), whose simplex optimum is whole. More:
    ``scipy.optimize.milp`` within :data:`EXACT_TIME_LIMIT` seconds per phase, else None.
    """
    m = len(worst)
    if m == 0 or not any(n.any() for n in need):
        return np.zeros(m, dtype=bool)
    cand = np.zeros(m, dtype=bool)
    for gs, ns in zip(group_of, need, strict=True):
        cand |= ns[gs] > 0
    # people of one cell (the same group in every scope) are interchangeable but for rank, and a
    # minimal set never demotes more of a cell than its largest need: only those lowest-ranked count
    cell = pd.factorize(pd.MultiIndex.from_arrays(group_of))[0].astype(np.int64)
    most = np.zeros(m, dtype=np.int64)
    for gs, ns in zip(group_of, need, strict=True):
        most = np.maximum(most, ns[gs])
    cand &= within_group_position(cell, worst) < most
    idx = np.flatnonzero(cand)
    idx = idx[np.argsort(worst[idx], kind="stable")]  # canonical: worst first
    k = len(idx)
    if k > EXACT_MAX_CANDIDATES[min(len(group_of), 3)]:
        return None
    if len(group_of) == 2:
        x = _two_scopes_network([g[idx] for g in group_of], need, k)
        if x is None:
            return None
    else:
        x = _crossed_integer(group_of, need, idx, k)
        if x is None:
            return None
    demoted = np.zeros(m, dtype=bool)
    demoted[idx[x > 0.5]] = True
    return demoted


def _canonical(g: np.ndarray, n_groups: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Renumber the groups that hold candidates by their worst candidate (candidates are worst first)."""
    first = np.full(n_groups, k, dtype=np.int64)
    np.minimum.at(first, g, np.arange(k))
    used = np.flatnonzero(first < k)
    used = used[np.argsort(first[used], kind="stable")]
    new = np.full(n_groups, -1, dtype=np.int64)
    new[used] = np.arange(len(used))
    return new[g], used


def _two_scopes_network(g: list[np.ndarray], need: list[np.ndarray], k: int) -> np.ndarray | None:
    """Two crossed scopes as a flow network: S → group A (≥ its need) → person (≤ 1) → group B (≥ its
    need) → T → S. Its constraint matrix is a network's incidence matrix, so the simplex optimum is
    whole. Phase 1: least flow (demotions); phase 2: the return arc T → S capped at that count, least
    sum of rank positions. ``g`` holds the candidates' groups, candidates sorted worst first."""
    from scipy.optimize import linprog
    from scipy.sparse import coo_matrix

    a, used_a = _canonical(g[0], len(need[0]), k)
    b, used_b = _canonical(g[1], len(need[1]), k)
    na, nb = len(used_a), len(used_b)
    # variables: x (k people), s (na arcs S → A), t (nb arcs B → T), r (the arc T → S)
    xs = np.arange(k)
    rows = np.concatenate([a, na + b, np.arange(na), na + np.arange(nb), np.full(na, na + nb), [na + nb]])
    cols = np.concatenate([xs, xs, k + np.arange(na), k + na + np.arange(nb), k + np.arange(na), [k + na + nb]])
    vals = np.concatenate([-np.ones(k), np.ones(k), np.ones(na), -np.ones(nb), -np.ones(na), [1.0]])
    eq = coo_matrix((vals, (rows, cols)), shape=(na + nb + 1, k + na + nb + 1)).tocsr()
    lower = np.concatenate([np.zeros(k), need[0][used_a], need[1][used_b], [0]]).astype(float)
    upper = np.concatenate([np.ones(k), np.full(na + nb + 1, np.inf)])

    def solve(cost, cap):
        up = upper.copy()
        up[-1] = cap
        res = linprog(np.concatenate([cost, np.zeros(na + nb + 1)]), A_eq=eq, b_eq=np.zeros(na + nb + 1),
                      bounds=np.column_stack([lower, up]), method="highs-ipm")
        if res.status != 0:
            return None
        x = np.rint(res.x[:k])
        return x if np.allclose(res.x[:k], x, atol=1e-6) else None

    first = solve(np.ones(k), np.inf)
    if first is None:
        return None
    second = solve(np.arange(k, dtype=float), first.sum())
    return second if second is not None else first


def _crossed_integer(group_of, need, idx: np.ndarray, k: int) -> np.ndarray | None:
    """Three or more crossed scopes: the two phases as integer programs (``scipy.optimize.milp``)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import csr_matrix

    rows, cols, lower = [], [], []
    offset = 0
    for gs, ns in zip(group_of, need, strict=True):
        g, used = _canonical(gs[idx], len(ns), k)
        wanted = np.flatnonzero(ns[used] > 0)
        row_of = np.full(len(used), -1, dtype=np.int64)
        row_of[wanted] = offset + np.arange(len(wanted))
        keep = row_of[g] >= 0
        rows.append(row_of[g][keep])
        cols.append(np.arange(k)[keep])
        lower.append(ns[used][wanted].astype(float))
        offset += len(wanted)
    a = csr_matrix((np.ones(sum(len(r) for r in rows)), (np.concatenate(rows), np.concatenate(cols))),
                   shape=(offset, k))
    covers = LinearConstraint(a, np.concatenate(lower), np.inf)
    opts = {"time_limit": EXACT_TIME_LIMIT}
    first = milp(np.ones(k), constraints=covers, bounds=Bounds(0, 1), integrality=np.ones(k), options=opts)
    if first.status != 0 or first.x is None or not np.allclose(first.x, np.rint(first.x), atol=1e-6):
        return None
    x = np.rint(first.x)
    count = LinearConstraint(np.ones((1, k)), 0, x.sum())
    second = milp(np.arange(k, dtype=float), constraints=[covers, count], bounds=Bounds(0, 1),
                  integrality=np.ones(k), options=opts)
    if second.status != 0 or second.x is None or not np.allclose(second.x, np.rint(second.x), atol=1e-6):
        return None  # the least count is known but not the lowest-ranked set of it: not exact
    return np.rint(second.x)


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


class ReplicateGroups:
    """Many draws of the same roster (the simulator's replicates), counted once, enforced under any
    number of readings.

    The same rule as :func:`evalkit.enforce_cap`: :func:`~evalkit.rules.cap.requirements`
    for each group's minimal demotions, :func:`select_demotions` for whom. ``level_codes``: one row
    per replicate of positions in :data:`~evalkit.levels.ALL_LEVELS`; ``scope_groups``: per scope
    (finest first) the roster's group number of every row and the number of groups; ``covered``:
    rows the policy applies to; ``worst_key``: one row per replicate (or flattened), any key whose
    ascending order is worst first. Each replicate's groups are its own; they are counted one
    replicate at a time (passes that stay in the cache). The counts do not depend on the reading,
    so readings that share the roster's levels, coverage and scopes share one object.
    """

    def __init__(self, level_codes: np.ndarray, scope_groups: list[tuple[np.ndarray, int]], covered: np.ndarray,
                 worst_key: np.ndarray):
        R, n = self.shape = level_codes.shape
        codes = np.where(covered[None, :], level_codes, -1)
        self.eligible = np.flatnonzero(codes == L.ALL_LEVELS.index(L.EXCELLENT))
        replicate, row = np.divmod(self.eligible, n)
        self.counts: list[dict[str, np.ndarray]] = []
        self.group_of: list[np.ndarray] = []
        for gi, n_groups in scope_groups:
            per_replicate = [counts_from_codes(gi, n_groups, codes[r]) for r in range(R)]
            self.counts.append({k: np.concatenate([c[k] for c in per_replicate]) for k in per_replicate[0]}
                               if R > 1 else per_replicate[0])
            self.group_of.append(gi[row] + replicate * n_groups)
        self.worst = np.asarray(worst_key).reshape(-1)[self.eligible]

    def demoted(self, policy: Policy, nested: bool = True) -> np.ndarray:
        """Which rows to demote (R, n) under ``policy``; ``nested``: whether each scope's groups lie
        inside the next one's (then the result is minimal)."""
        need = [requirements(c, policy)[2] for c in self.counts]
        chosen = select_demotions(self.group_of, need, self.worst, nested, attribute_scopes=False)[0]
        out = np.zeros(self.shape[0] * self.shape[1], dtype=bool)
        out[self.eligible[chosen]] = True
        return out.reshape(self.shape)


def enforce_replicates(level_codes: np.ndarray, scope_groups: list[tuple[np.ndarray, int]], covered: np.ndarray,
                       worst_key: np.ndarray, policy: Policy, nested: bool = True) -> np.ndarray:
    """Which rows to demote, replicate by replicate (:class:`ReplicateGroups` under one reading).

    >>> from evalkit import policies as P
    >>> pol = P.get("decree-335-2025", applies_to=())
    >>> codes = np.array([[0, 0, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 0, 1]])  # 2 excellent, 5 good; 1 and 6
    >>> worst = np.array([[1, 2, 3, 4, 5, 6, 7], [7, 6, 5, 4, 3, 2, 1]])
    >>> enforce_replicates(codes, [(np.zeros(7, dtype=int), 1)], np.ones(7, bool), worst, pol).astype(int)
    array([[1, 0, 0, 0, 0, 0, 0],
           [0, 0, 0, 0, 0, 0, 0]])
    """
    return ReplicateGroups(level_codes, scope_groups, covered, worst_key).demoted(policy, nested)


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
