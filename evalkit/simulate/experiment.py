"""Monte Carlo experiments: what a cap policy does to ratings, accuracy, fairness and gaming.

The province's structure (units, staff, groups) is generated once from the seed; each replicate
draws latent performance, leniency and noise. Replicates are processed in chunks, stacked so that
every chunk is one vectorised pass through the *same* enforcement code as :func:`evalkit.enforce_cap`
(:func:`evalkit.compliance.enforce_arrays`). Each chunk's draws come from its own child of the
seed's ``SeedSequence``, so results are identical with or without an executor.

>>> res = compare(ProvinceSpec(n_staff=3000, n_communes=20, n_districts=2), replicates=4, seed=1,
...               policies={"no cap": None, "decree 335": "decree-335-2025"}, applies_to_all=True)
>>> sorted(res.results["policy"].unique())
['decree 335', 'no cap']
>>> bool((res.results.query("policy == 'no cap'")["demotions"] == 0).all())
True
"""

from __future__ import annotations

from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import levels as L
from .. import policies as P
from ..rules.enforcement import enforce_arrays
from ..rules.bands import band_codes
from .population import Province, ProvinceSpec, draw_scores, generate_province

BEHAVIOURS = ("honest", "lenient", "strategic")
SIZE_BANDS = (0, 5, 10, 20, 50, np.inf)
SIZE_LABELS = ("1–4", "5–9", "10–19", "20–49", "50+")
_LEVEL_ORDER = {c: i for i, c in enumerate(L.ALL_LEVELS)}
_EXC, _GOOD, _COMP, _NC, _NR = (_LEVEL_ORDER[c] for c in (L.EXCELLENT, L.GOOD, L.COMPLETED, L.NOT_COMPLETED, L.NOT_RATED))


@dataclass(frozen=True)
class Behaviour:
    """How raters behave. ``honest``: no leniency between units; ``lenient``: unit leniency as in
    the spec; ``strategic``: lenient, and a share of units (``strategic_share``) respond to the cap:
    they move COMPLETED up to GOOD to enlarge the base of a ``good``-based cap (the rule's own
    incentive) and top-code to the cap (propose exactly as many excellent as it allows)."""

    name: str = "lenient"
    strategic_share: float = 0.3

    def __post_init__(self):
        if self.name not in BEHAVIOURS:
            raise ValueError(f"behaviour {self.name!r} is not one of {', '.join(BEHAVIOURS)}")


@dataclass
class _Structure:
    """Everything fixed across replicates, as arrays (picklable for executors)."""

    spec: ProvinceSpec
    units: pd.DataFrame
    unit_idx: np.ndarray
    columns: dict[str, np.ndarray]  # population, is_leader, unit_id, task_group, title_group, unit_level
    rated: np.ndarray  # worked 6+ months (fixed across replicates)
    size_band: np.ndarray  # per person: band of the unit's size
    strategic_unit: np.ndarray  # per unit
    scope_cache: dict = field(default_factory=dict)


def _structure(province: Province, behaviour: Behaviour, seed: int) -> _Structure:
    staff = province.staff
    rng = np.random.default_rng([seed, 7])
    sizes = province.units["size"].to_numpy()
    unit_idx = pd.Index(province.units["unit_id"]).get_indexer(staff["unit_id"])
    band = np.searchsorted(np.array(SIZE_BANDS[1:-1]), sizes[unit_idx], side="right")
    strategic = rng.random(len(province.units)) < (behaviour.strategic_share if behaviour.name == "strategic" else 0)
    cols = {c: staff[c].to_numpy() for c in ("population", "is_leader", "unit_id", "task_group", "title_group",
                                             "unit_level")}
    return _Structure(province.spec, province.units, unit_idx, cols, (staff["months_worked"] >= 6).to_numpy(),
                      band, strategic)


def _covered(struct: _Structure, policy: P.Policy | None, applies_to_all: bool) -> np.ndarray:
    mask = struct.rated.copy()
    if policy is None or applies_to_all:
        return mask
    for col, allowed in policy.applies_to:
        mask &= np.isin(struct.columns[col], np.array(allowed, dtype=object))
    return mask


def _scope_codes(struct: _Structure, scope: tuple[str, ...]) -> tuple[np.ndarray, int]:
    if scope not in struct.scope_cache:
        frame = pd.DataFrame({c: struct.columns[c] for c in scope})
        gi = frame.groupby(list(scope), sort=False).ngroup().to_numpy().astype(np.int64)
        struct.scope_cache[scope] = (gi, int(gi.max()) + 1 if len(gi) else 0)
    return struct.scope_cache[scope]


@dataclass
class _Task:
    struct: _Structure
    policies: list
    behaviour: Behaviour
    seed: np.random.SeedSequence
    first_replicate: int
    replicates: int
    applies_to_all: bool


def _draw(task: _Task) -> dict[str, np.ndarray]:
    """The chunk's random draws and pre-cap ratings, all from the chunk's own seed."""
    st = task.struct
    R, n = task.replicates, len(st.unit_idx)
    spec = st.spec.replace(leniency_sd=0.0) if task.behaviour.name == "honest" else st.spec
    rng = np.random.default_rng(task.seed)
    draws = draw_scores(spec, st.units, st.unit_idx, rng, replicates=R)
    disciplined = rng.random((R, n)) < spec.disciplined_share
    codes = band_codes(draws["score"])
    codes[disciplined] = _NC
    codes[:, ~st.rated] = _NR
    if task.behaviour.name == "strategic":
        gaming = st.strategic_unit[st.unit_idx]
        codes[:, gaming] = np.where(codes[:, gaming] == _COMP, _GOOD, codes[:, gaming])
    # worst first: lowest score, ties by the larger person index first — an integer key, no sort
    steps = np.rint(draws["score"] / spec.score_step).astype(np.int64)
    draws["worst"] = (steps * (n + 1) + (n - np.arange(n))[None, :]).ravel()
    draws["codes"] = codes
    return draws


def _enforce(task: _Task, draws: dict, pol: P.Policy | None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Final level codes (R, n), the covered mask (n,) and the reported pre-cap codes under one policy.

    Strategic units top-code to the cap: they propose every GOOD-or-better person as excellent and
    keep the best-scored as many as the cap allows — exactly what minimal enforcement of that
    proposal leaves — so they report the final set themselves and are never demoted.
    """
    st = task.struct
    R, n = draws["codes"].shape
    covered = _covered(st, pol, task.applies_to_all)
    codes = draws["codes"]
    if pol is None:
        return codes, covered, codes
    gaming = None
    if task.behaviour.name == "strategic":
        gaming = np.broadcast_to(st.strategic_unit[st.unit_idx] & covered, (R, n))
        codes = np.where(gaming & (codes == _GOOD), _EXC, codes)
    flat = codes.ravel()
    scopes = sorted(pol.scopes, key=len, reverse=True)
    nested = all(set(scopes[j]) <= set(scopes[i]) for i in range(len(scopes)) for j in range(i + 1, len(scopes)))
    groups = []
    for scope in scopes:
        gi, ng = _scope_codes(st, scope)
        groups.append(((gi[None, :] + (np.arange(R) * ng)[:, None]).ravel(), ng * R))
    demoted = enforce_arrays(flat, groups, np.tile(covered, R), draws["worst"], pol, nested)
    final = np.where(demoted, _GOOD, flat).reshape(R, n)
    reported = draws["codes"] if gaming is None else np.where(gaming, final, draws["codes"])
    return final, covered, reported


def _run_chunk(task: _Task) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One chunk of replicates through every policy: tidy metrics and the by-size table."""
    st = task.struct
    R, n = task.replicates, len(st.unit_idx)
    draws = _draw(task)
    theta = draws["theta"]
    top = theta >= np.quantile(theta, 0.8, axis=1, keepdims=True)
    strong = draws["unit_effect"] >= np.quantile(draws["unit_effect"], 0.8, axis=1, keepdims=True)
    strong_person = np.take_along_axis(strong, np.broadcast_to(st.unit_idx, (R, n)), axis=1)
    rows, size_rows = [], []
    theta_rank_cache: dict[bytes, np.ndarray] = {}
    for name, pol in task.policies:
        final, covered, reported = _enforce(task, draws, pol)
        dem = final != reported
        c = slice(None) if covered.all() else covered  # a view, not a copy, when everyone is covered
        fin = final[:, c]
        exc = fin == _EXC
        n_c = int(covered.sum())
        key = covered.tobytes()
        if key not in theta_rank_cache:
            theta_rank_cache[key] = _ranks(theta[:, c])
        rho = _spearman_levels(theta_rank_cache[key], fin)
        top_c = top[:, c]
        n_exc = exc.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = (exc & top_c).sum(axis=1) / n_exc
            recall = (exc & top_c).sum(axis=1) / top_c.sum(axis=1)
            strong_c = strong_person[:, c]
            rec_strong = (exc & top_c & strong_c).sum(axis=1) / (top_c & strong_c).sum(axis=1)
            rec_other = (exc & top_c & ~strong_c).sum(axis=1) / (top_c & ~strong_c).sum(axis=1)
            gaming_c = st.strategic_unit[st.unit_idx][c]
            share_gaming = exc[:, gaming_c].mean(axis=1) if gaming_c.any() else np.full(R, np.nan)
            share_other = exc[:, ~gaming_c].mean(axis=1) if (~gaming_c).any() else np.full(R, np.nan)
        rows.append(pd.DataFrame({
            "replicate": task.first_replicate + np.arange(R), "policy": name, "covered": n_c,
            "share_excellent_before": (reported[:, c] == _EXC).mean(axis=1), "share_excellent": n_exc / n_c,
            "demotions": dem[:, c].sum(axis=1), "spearman": rho, "precision_top20": precision,
            "recall_top20": recall, "strong_unit_penalty": rec_other - rec_strong,
            "strategic_gain": share_gaming - share_other,
        }))
        band = st.size_band[c]
        nb = len(SIZE_LABELS)
        idx = (np.arange(R)[:, None] * nb + band[None, :])
        hits = np.bincount(idx[top_c], weights=exc[top_c], minlength=R * nb).reshape(R, nb)
        tops = np.bincount(idx[top_c], minlength=R * nb).reshape(R, nb)
        with np.errstate(invalid="ignore", divide="ignore"):
            size_rows.append(pd.DataFrame({
                "replicate": np.repeat(task.first_replicate + np.arange(R), nb), "policy": name,
                "unit_size": np.tile(np.array(SIZE_LABELS, dtype=object), R), "top_performers": tops.ravel(),
                "recall_top20": (hits / tops).ravel()}))
    return pd.concat(rows, ignore_index=True), pd.concat(size_rows, ignore_index=True)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Ranks along axis 1 (continuous data: no ties)."""
    order = np.argsort(x, axis=1)
    r = np.empty_like(order, dtype=float)
    np.put_along_axis(r, order, np.arange(x.shape[1], dtype=float)[None, :].repeat(x.shape[0], 0), axis=1)
    return r


def _spearman_levels(theta_rank: np.ndarray, level_codes: np.ndarray) -> np.ndarray:
    """Spearman correlation per row between latent ranks and levels (better level = higher), mid-ranks
    for tied levels. Uses per-level sums, so the cost is one weighted ``bincount``."""
    R, n = level_codes.shape
    k = len(L.ALL_LEVELS)
    value = (k - 1) - level_codes  # EXCELLENT highest
    idx = (np.arange(R)[:, None] * k + value).ravel()
    counts = np.bincount(idx, minlength=R * k).reshape(R, k)
    centred = theta_rank - (n - 1) / 2.0  # ranks 0..n-1 without ties
    sums = np.bincount(idx, weights=centred.ravel(), minlength=R * k).reshape(R, k)
    mid = np.cumsum(counts, axis=1) - counts + (counts - 1) / 2.0
    mid_c = mid - (n - 1) / 2.0  # level mid-ranks have the same mean, (n-1)/2
    cov = (mid_c * sums).sum(axis=1)
    var_level = (counts * mid_c**2).sum(axis=1)
    var_theta = n * (n * n - 1) / 12.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return cov / np.sqrt(var_level * var_theta)


@dataclass
class Experiment:
    """Tidy results per replicate and policy, the by-size table, and summaries with intervals."""

    results: pd.DataFrame
    by_size: pd.DataFrame
    seed: int
    replicates: int
    behaviour: Behaviour
    spec: ProvinceSpec
    policies: dict = field(default_factory=dict)

    METRICS = ("share_excellent_before", "share_excellent", "demotions", "spearman", "precision_top20",
               "recall_top20", "strong_unit_penalty", "strategic_gain")

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Per policy and metric: mean, a normal confidence interval of the mean over replicates,
        and the 2.5–97.5 percentile range of the replicates."""
        from scipy.stats import norm

        z = norm.ppf(0.5 + level / 2)
        long = self.results.melt(id_vars=["replicate", "policy"], value_vars=list(self.METRICS), var_name="metric")
        g = long.groupby(["policy", "metric"], sort=False)["value"]
        out = g.agg(mean="mean", sd="std", n="count").reset_index()
        se = out["sd"] / np.sqrt(out["n"])
        out["ci_low"], out["ci_high"] = out["mean"] - z * se, out["mean"] + z * se
        q = g.quantile([0.025, 0.975]).unstack().rename(columns={0.025: "p2.5", 0.975: "p97.5"})
        return out.merge(q.reset_index(), on=["policy", "metric"], how="left")

    def size_summary(self) -> pd.DataFrame:
        """Chance that a true top-20% performer is rated excellent, by unit size, with intervals."""
        g = self.by_size.groupby(["policy", "unit_size"], sort=False)["recall_top20"]
        out = g.agg(mean="mean", sd="std", n="count").reset_index()
        se = out["sd"] / np.sqrt(out["n"])
        out["ci_low"], out["ci_high"] = out["mean"] - 1.96 * se, out["mean"] + 1.96 * se
        return out


def compare(population_spec: ProvinceSpec | Province | None = None, policies: dict | None = None, *,
            replicates: int = 100, seed: int = 2026, behaviour: str | Behaviour = "lenient",
            applies_to_all: bool = False, chunk: int = 50, progress: bool = False,
            executor: Executor | None = None) -> Experiment:
    """Run every policy on ``replicates`` draws of the province and collect the metrics.

    Parameters
    ----------
    population_spec : a :class:`ProvinceSpec` (generated from ``seed``) or a generated :class:`Province`
    policies : ``{label: policy name | Policy | None}``; ``None`` means no cap (the raw ratings)
    applies_to_all : apply each policy to all staff, ignoring its population filter
    chunk : replicates per vectorised pass (memory ~ chunk × staff × 60 bytes per policy)
    progress : show a progress bar (tqdm, notebook aware)
    executor : any ``concurrent.futures.Executor`` (processes, or ``dask.distributed``'s) to spread chunks
    """
    beh = behaviour if isinstance(behaviour, Behaviour) else Behaviour(behaviour)
    policies = policies if policies is not None else {"no cap": None, "decree-335-2025": "decree-335-2025"}
    pols = [(name, None if p is None else P.get(p)) for name, p in policies.items()]
    province = population_spec if isinstance(population_spec, Province) else generate_province(
        population_spec or ProvinceSpec(), seed=seed)
    struct = _structure(province, beh, seed)
    n_chunks = -(-replicates // chunk)
    children = np.random.SeedSequence([seed, 2]).spawn(n_chunks)
    tasks = [_Task(struct, pols, beh, children[i], i * chunk, min(chunk, replicates - i * chunk), applies_to_all)
             for i in range(n_chunks)]
    mapper = executor.map(_run_chunk, tasks) if executor is not None else map(_run_chunk, tasks)
    if progress:
        from .progress import progress_bar

        mapper = progress_bar(mapper, total=n_chunks, desc="replicate chunks")
    parts = list(mapper)
    results = pd.concat([p[0] for p in parts], ignore_index=True)
    by_size = pd.concat([p[1] for p in parts], ignore_index=True)
    return Experiment(results, by_size, seed, replicates, beh, province.spec, dict(pols))


def simulate_roster(population_spec: ProvinceSpec | Province | None = None, policy=None, *, seed: int = 2026,
                    replicate: int = 0, behaviour: str | Behaviour = "lenient", applies_to_all: bool = False,
                    chunk: int = 50) -> pd.DataFrame:
    """One simulated replicate as a roster (``level`` before, ``level_final`` after the policy), drawn
    exactly as :func:`compare` draws it — for inspecting or checking a single outcome."""
    beh = behaviour if isinstance(behaviour, Behaviour) else Behaviour(behaviour)
    pol = None if policy is None else P.get(policy)
    province = population_spec if isinstance(population_spec, Province) else generate_province(
        population_spec or ProvinceSpec(), seed=seed)
    struct = _structure(province, beh, seed)
    n_chunks = replicate // chunk + 1
    child = np.random.SeedSequence([seed, 2]).spawn(n_chunks)[replicate // chunk]
    task = _Task(struct, [], beh, child, (replicate // chunk) * chunk, chunk, applies_to_all)
    draws = _draw(task)
    final, covered, reported = _enforce(task, draws, pol)
    r = replicate % chunk
    out = province.staff.drop(columns=["level", "score", "score_general", "score_task", "true_performance"]).copy()
    cats = np.array(L.ALL_LEVELS, dtype=object)
    out["score"] = draws["score"][r]
    out["true_performance"] = draws["theta"][r]
    out["covered"] = covered
    out["level"] = pd.Categorical(cats[reported[r]], dtype=L.LEVEL_DTYPE)
    out["level_final"] = pd.Categorical(cats[final[r]], dtype=L.LEVEL_DTYPE)
    return out


def readings_grid(base_policy: str = "decree-335-2025", **readings) -> dict[str, P.Policy | None]:
    """The readings of the cap rule (docs/rules/cap.md) side by side, all on the same base policy (applied to everyone).

    ``readings`` change the base first (e.g. ``ratio="1/4"``), so every row of the grid carries them.
    """
    p = P.get(base_policy, applies_to=(), **readings)
    return {
        "no cap": None,
        "good · floor · final (default)": p,
        "good_or_better": p.replace(base="good_or_better"),
        "headcount": p.replace(base="headcount"),
        "half_up": p.replace(rounding="half_up"),
        "min_one": p.replace(min_one=True),
        "proposed timing": p.replace(timing="proposed"),
        "unit only": p.replace(scopes=[["unit_id"]]),
        "pooled by title group": p.replace(scopes=[["title_group", "unit_level"]]),
    }
