"""Monte Carlo experiments: what a cap policy does to ratings, accuracy, fairness and gaming.

The province's structure (units, staff, groups) is generated once from the seed; each replicate
draws latent performance, leniency and noise from its *own* seed (``SeedSequence([seed, 2, r])``),
so a replicate's numbers do not depend on ``chunk``, on the executor or on how many replicates
run. Replicates are processed in chunks, stacked so that every chunk is one vectorised pass
through the *same* rule code as :func:`evalkit.enforce_cap`
(:func:`evalkit.rules.enforcement.enforce_replicates`: ``requirements`` for the minimal
demotions, ``select_demotions`` for whom). Every policy runs on the same draws (common random
numbers), so :meth:`Experiment.contrasts` gives paired differences.

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
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as sps

from .. import levels as L
from .. import policies as P
from ..rules.enforcement import ReplicateGroups, enforce_replicates
from ..rules.bands import band_codes
from .population import Province, ProvinceSpec, draw_replicates, generate_province

BEHAVIOURS = ("honest", "lenient", "strategic")
SIZE_BANDS = (0, 5, 10, 20, 50, np.inf)
SIZE_LABELS = ("1–4", "5–9", "10–19", "20–49", "50+")
_LEVEL_ORDER = {c: i for i, c in enumerate(L.ALL_LEVELS)}
_EXC, _GOOD, _COMP, _NC, _NR = (_LEVEL_ORDER[c] for c in (L.EXCELLENT, L.GOOD, L.COMPLETED, L.NOT_COMPLETED, L.NOT_RATED))


@dataclass(frozen=True)
class Behaviour:
    """How raters respond to the reading in force (docs/behaviour-model.md).

    ``honest``: no leniency between units, ratings follow scores. ``lenient``: unit leniency
    (``ProvinceSpec.leniency_sd``) but no response to the cap. ``strategic``: lenient, and a share
    ``strategic_share`` of units best-respond to the policy in force:

    * when the cap's base counts GOOD (``good`` or ``good_or_better``), moving COMPLETED up to GOOD
      enlarges it, so each of their COMPLETED is moved up with probability ``upgrade_completed``;
      under no cap or a base that does not count GOOD nothing is gained and nothing is moved;
    * they propose as EXCELLENT the largest number ``k`` of their best-scored GOOD-or-better staff
      for which ``k ≤ cap(base after the proposal)`` holds in every scope — the most the reading lets
      them keep. Under the ``proposed`` timing this is what stops them zeroing their own base (a
      unit that proposed every GOOD as EXCELLENT would have a base of 0 and end with none); under
      ``final`` timing it equals what minimal enforcement of an all-excellent proposal leaves. They
      are never demoted.

    ``strategic_share`` and ``upgrade_completed`` are assumptions (no published estimate); the
    sweeps vary them.
    """

    name: str = "lenient"
    strategic_share: float = 0.3
    upgrade_completed: float = 1.0

    def __post_init__(self):
        if self.name not in BEHAVIOURS:
            raise ValueError(f"behaviour {self.name!r} is not one of {', '.join(BEHAVIOURS)}")
        for k in ("strategic_share", "upgrade_completed"):
            if not 0 <= getattr(self, k) <= 1:
                raise ValueError(f"{k} must lie in [0, 1], got {getattr(self, k)!r}")


@dataclass
class _Structure:
    """Everything fixed across replicates, as arrays (picklable for executors)."""

    spec: ProvinceSpec
    units: pd.DataFrame
    unit_idx: np.ndarray
    columns: dict[str, tuple]  # (codes, categories) of population, is_leader, unit_id, task_group, title_group, unit_level
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
    # integer codes and their categories: cheap to ship to worker processes, fast to group
    cols = {c: pd.factorize(staff[c].to_numpy()) for c in ("population", "is_leader", "unit_id", "task_group",
                                                           "title_group", "unit_level")}
    return _Structure(province.spec, province.units, unit_idx, cols, (staff["months_worked"] >= 6).to_numpy(),
                      band, strategic)


def _covered(struct: _Structure, policy: P.Policy | None, applies_to_all: bool) -> np.ndarray:
    mask = struct.rated.copy()
    if policy is None or applies_to_all:
        return mask
    for col, allowed in policy.applies_to:
        codes, categories = struct.columns[col]
        mask &= np.isin(codes, pd.Index(categories).get_indexer(pd.Index(list(allowed), dtype=object)))
    return mask


def _scope_codes(struct: _Structure, scope: tuple[str, ...]) -> tuple[np.ndarray, int]:
    if scope not in struct.scope_cache:
        frame = pd.DataFrame({c: struct.columns[c][0] for c in scope})
        gi = frame.groupby(list(scope), sort=False).ngroup().to_numpy().astype(np.int64)
        struct.scope_cache[scope] = (gi, int(gi.max()) + 1 if len(gi) else 0)
    return struct.scope_cache[scope]


@dataclass
class _Task:
    struct: _Structure
    policies: list
    behaviour: Behaviour
    seed: int
    first_replicate: int
    replicates: int
    applies_to_all: bool
    tag: dict = field(default_factory=dict)  # columns added to the results (sweeps)


def replicate_seed(seed: int, replicate: int) -> np.random.SeedSequence:
    """The seed of one replicate's draws: independent of chunking and of the number of replicates."""
    return np.random.SeedSequence([seed, 2, replicate])


def _draw(task: _Task) -> dict[str, Any]:
    """The chunk's random draws and pre-cap ratings, each replicate from its own seed: scores as
    :func:`~evalkit.simulate.population.draw_replicates` draws them, then from the same generator
    who is disciplined and (strategic behaviour only) the uniforms of the COMPLETED → GOOD move."""
    st = task.struct
    R, n = task.replicates, len(st.unit_idx)
    spec = st.spec.replace(leniency_sd=0.0) if task.behaviour.name == "honest" else st.spec
    rngs = [np.random.default_rng(replicate_seed(task.seed, task.first_replicate + r)) for r in range(R)]
    draws: dict[str, Any] = draw_replicates(spec, st.unit_idx, len(st.units), rngs)
    disciplined = np.stack([rng.random(n) < spec.disciplined_share for rng in rngs])
    draws["upgrade_u"] = np.stack([rng.random(n) for rng in rngs]) if task.behaviour.name == "strategic" else None
    score = draws["score"]
    steps = np.rint(score / spec.score_step).astype(np.int64)
    top_step = round(100 / spec.score_step)
    if top_step * spec.score_step == 100:  # every score is steps × step: bands from a lookup table
        codes = band_codes(np.arange(top_step + 1) * spec.score_step).astype(np.int8)[steps]
    else:
        codes = band_codes(score).astype(np.int8)
    codes[disciplined] = _NC
    codes[:, ~st.rated] = _NR
    # worst first: lowest score, ties by the larger person index first — an integer key, no sort
    steps *= n + 1
    steps += n - np.arange(n)
    draws.update(codes=codes, worst=steps.ravel(), _cache={})
    return draws


def _enforce_codes(task: _Task, draws: dict, codes: np.ndarray, covered: np.ndarray, pol: P.Policy) -> np.ndarray:
    """Demotion mask (R, n) of minimal enforcement of ``pol`` on ``codes``."""
    scopes = [tuple(s) for s in sorted(pol.scopes, key=len, reverse=True)]
    nested = all(set(scopes[j]) <= set(scopes[i]) for i in range(len(scopes)) for j in range(i + 1, len(scopes)))
    groups = [_scope_codes(task.struct, scope) for scope in scopes]
    if codes is not draws["codes"]:  # a strategic report: its own levels
        return enforce_replicates(codes, groups, covered, draws["worst"], pol, nested)
    key = ("groups", tuple(scopes), covered.tobytes())  # shared by every reading of the drawn levels
    cache = draws["_cache"]
    if key not in cache:
        cache[key] = ReplicateGroups(codes, groups, covered, draws["worst"])
    return cache[key].demoted(pol, nested)


def _enforce(task: _Task, draws: dict, pol: P.Policy | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Under one policy: the reported pre-cap level codes (R, n), the covered mask (n,) and the
    demotion mask (R, n; None under no cap). Final levels: the reported ones, demoted → GOOD.

    Strategic units best-respond to ``pol`` (see :class:`Behaviour`): they move COMPLETED up where
    the base counts GOOD, then report as EXCELLENT exactly the best-scored people that minimal
    final-timing enforcement of an all-excellent proposal would keep — the largest set the cap
    allows under either timing — so they are never demoted.
    """
    st = task.struct
    covered = _covered(st, pol, task.applies_to_all)
    codes = draws["codes"]
    if pol is None:
        return codes, covered, None
    if task.behaviour.name == "strategic":
        gaming = (st.strategic_unit[st.unit_idx] & covered)[None, :]
        if pol.base in ("good", "good_or_better") and task.behaviour.upgrade_completed > 0:
            move = gaming & (codes == _COMP) & (draws["upgrade_u"] < task.behaviour.upgrade_completed)
            codes = np.where(move, _GOOD, codes).astype(np.int8)
        proposal = np.where(gaming & (codes == _GOOD), _EXC, codes).astype(np.int8)
        trimmed = _enforce_codes(task, draws, proposal, covered, pol.replace(timing="final"))
        best = np.where(trimmed, _GOOD, proposal)  # the largest set the reading lets the unit keep
        codes = np.where(gaming, best, codes).astype(np.int8)
    return codes, covered, _enforce_codes(task, draws, codes, covered, pol)


#: The person classes metrics are counted in: strategic unit × strong unit × true top 20 % × unit size band.
_CLASSES = 2 * 2 * 2 * len(SIZE_LABELS)
_K = len(L.ALL_LEVELS) + 1  # the levels, and one more for people the policy does not cover


def _chunk_classes(task: _Task, draws: dict) -> np.ndarray:
    """Per (replicate, person): replicate × person class, the part of the metrics' counting key that
    no policy changes (the level is added as ``level × R × classes``)."""
    st = task.struct
    R = draws["codes"].shape[0]
    theta = draws["theta"]
    top = theta >= np.quantile(theta, 0.8, axis=1, keepdims=True)  # the true top 20 % of everyone drawn
    strong = draws["unit_effect"] >= np.quantile(draws["unit_effect"], 0.8, axis=1, keepdims=True)
    strong_person = np.take(strong, st.unit_idx, axis=1)
    fixed = (st.strategic_unit[st.unit_idx].astype(np.int32) * 2) * 2 * len(SIZE_LABELS) + st.size_band
    key = np.asarray(strong_person, dtype=np.int32) * (2 * len(SIZE_LABELS))
    key += top * len(SIZE_LABELS)
    key += fixed[None, :]
    key += (np.arange(R, dtype=np.int32) * _CLASSES)[:, None]
    return key.ravel()


def _covered_ranks(draws: dict, covered: np.ndarray) -> np.ndarray:
    """Each covered person's rank by latent performance among the covered (0 = lowest), centred on
    its mean; 0 for the others. Continuous draws: no ties."""
    cache = draws["_cache"]
    key = ("ranks", covered.tobytes())
    if key not in cache:
        if "order" not in cache:
            cache["order"] = np.argsort(draws["theta"], axis=1)
        order = cache["order"]
        R, n = order.shape
        n_c = int(covered.sum())
        if n_c < n:  # the covered, in latent order: the same number in every replicate
            order = order[covered[order]].reshape(R, n_c)
        ranks = np.zeros((R, n))
        np.put_along_axis(ranks, order, np.arange(n_c) - (n_c - 1) / 2.0, axis=1)
        cache[key] = ranks.ravel()
    return cache[key]


def _spearman_from_sums(counts: np.ndarray, rank_sums: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Spearman correlation between latent ranks and levels (better level = higher, mid-ranks for tied
    levels), and the largest one any rating with the same level counts can reach, per row.

    ``counts[r, c]`` people at level code ``c`` and ``rank_sums[r, c]`` the sum of their centred
    latent ranks. The best rating hands the levels out in true order; its level mid-ranks then equal
    the mean true rank of each block, so ρ_best = √(var(level mid-ranks) / var(ranks)).
    """
    counts, sums = counts[:, ::-1], rank_sums[:, ::-1]  # worst level first: ascending value
    mid_c = np.cumsum(counts, axis=1) - counts + (counts - 1) / 2.0 - (n - 1) / 2.0
    var_level = (counts * mid_c**2).sum(axis=1)
    var_theta = n * (n * n - 1) / 12.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return (mid_c * sums).sum(axis=1) / np.sqrt(var_level * var_theta), np.sqrt(var_level / var_theta)


def _level_class_table(draws: dict, classes: np.ndarray, codes: np.ndarray, covered: np.ndarray):
    """People and sums of centred latent ranks per (level or not covered, replicate, person class)."""
    R = codes.shape[0]
    level = codes if covered.all() else np.where(covered, codes, _K - 1)
    key = level.astype(np.int32).ravel() * (R * _CLASSES)
    key += classes
    size = _K * R * _CLASSES
    return (np.bincount(key, minlength=size).reshape(_K, R, _CLASSES),
            np.bincount(key, weights=_covered_ranks(draws, covered), minlength=size).reshape(_K, R, _CLASSES))


def _run_chunk(task: _Task) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One chunk of replicates through every policy: tidy metrics and the by-size table.

    Every metric comes from a table of people (and of the sums of their latent ranks, for
    Spearman's ρ) per level × replicate × person class (strategic unit, strong unit, true top 20 %,
    size band). The table of the reported levels takes two ``bincount`` passes over everyone (once
    for all policies that share those levels); a policy's final table moves only its demoted
    people from EXCELLENT to GOOD.
    """
    R = task.replicates
    draws = _draw(task)
    classes = _chunk_classes(task, draws)
    nb = len(SIZE_LABELS)
    tables: dict[bytes, tuple[np.ndarray, np.ndarray]] = {}
    rows, size_rows = [], []
    for name, pol in task.policies:
        reported, covered, demoted = _enforce(task, draws, pol)
        if reported is draws["codes"]:  # the drawn levels: one table for every policy that covers the same people
            key = covered.tobytes()
            if key not in tables:
                tables[key] = _level_class_table(draws, classes, reported, covered)
            people, rank_sums = (t.copy() for t in tables[key])
        else:  # a strategic report made for this policy
            people, rank_sums = _level_class_table(draws, classes, reported, covered)
        demotions = np.zeros(R, dtype=np.int64)
        if demoted is not None:
            moved = np.flatnonzero(demoted)
            n_moved = np.bincount(classes[moved], minlength=R * _CLASSES).reshape(R, _CLASSES)
            rank_moved = np.bincount(classes[moved], weights=_covered_ranks(draws, covered)[moved],
                                     minlength=R * _CLASSES).reshape(R, _CLASSES)
            people[_EXC] -= n_moved
            people[_GOOD] += n_moved
            rank_sums[_EXC] -= rank_moved
            rank_sums[_GOOD] += rank_moved
            demotions = n_moved.sum(axis=1)
        shape = (_K, R, 2, 2, 2, nb)  # level, replicate, strategic, strong, top, size band
        cov = people.reshape(shape)[:-1]  # the covered people only
        n_c = int(covered.sum())
        rho, rho_best = _spearman_from_sums(cov.sum(axis=(2, 3, 4, 5)).T, rank_sums[:-1].sum(axis=2).T, n_c)
        exc = cov[_EXC]  # (R, strategic, strong, top, band)
        everyone = cov.sum(axis=0)
        n_exc = exc.sum(axis=(1, 2, 3, 4))
        hits, tops = exc[:, :, :, 1].sum(axis=(1, 2)), everyone[:, :, :, 1].sum(axis=(1, 2))  # (R, band)
        n_top = tops.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            precision = hits.sum(axis=1) / n_exc
            recall = hits.sum(axis=1) / n_top
            # the best any rating with the same number excellent could do
            precision_relative = precision / np.minimum(1.0, n_top / n_exc)
            recall_relative = recall / np.minimum(1.0, n_exc / n_top)
            by_strong = exc[:, :, :, 1].sum(axis=(1, 3)) / everyone[:, :, :, 1].sum(axis=(1, 3))  # (R, strong)
            by_gaming = exc.sum(axis=(2, 3, 4)) / everyone.sum(axis=(2, 3, 4))  # (R, strategic)
            size_recall = hits / tops
        rows.append(pd.DataFrame({
            "replicate": task.first_replicate + np.arange(R), "policy": name, "covered": n_c,
            "share_excellent_before": (n_exc + demotions) / n_c, "share_excellent": n_exc / n_c,
            "demotions": demotions, "spearman": rho, "spearman_best": rho_best,
            "accuracy_relative": rho / rho_best, "precision_top20": precision,
            "precision_relative": precision_relative, "recall_top20": recall,
            "recall_relative": recall_relative, "strong_unit_penalty": by_strong[:, 0] - by_strong[:, 1],
            "strategic_gain": by_gaming[:, 1] - by_gaming[:, 0], **task.tag,
        }))
        size_rows.append(pd.DataFrame({
            "replicate": np.repeat(task.first_replicate + np.arange(R), nb), "policy": name,
            "unit_size": pd.Categorical(np.tile(np.array(SIZE_LABELS, dtype=object), R), categories=SIZE_LABELS,
                                        ordered=True), "top_performers": tops.ravel(),
            "recall_top20": size_recall.ravel(), **task.tag}))
    return pd.concat(rows, ignore_index=True), pd.concat(size_rows, ignore_index=True)


def _t_summary(frame: pd.DataFrame, keys: list[str], value: str, level: float) -> pd.DataFrame:
    """Mean, sd, n and a t interval of the mean (n − 1 degrees of freedom) per group."""
    g = frame.groupby(keys, sort=False, observed=True)[value]
    out = g.agg(mean="mean", sd="std", n="count").reset_index()
    half = sps.t.ppf(0.5 + level / 2, np.maximum(out["n"] - 1, 1)) * out["sd"] / np.sqrt(out["n"])
    out["ci_low"], out["ci_high"] = out["mean"] - half, out["mean"] + half
    return out


def _describe_policy(pol: P.Policy | None) -> dict:
    if pol is None:
        return {"policy": None}
    return {"policy": pol.name, "ratio": str(pol.ratio), "base": pol.base, "rounding": pol.rounding,
            "min_one": pol.min_one, "timing": pol.timing, "scopes": [list(s) for s in pol.scopes],
            "applies_to": [[c, list(v)] for c, v in pol.applies_to]}


@dataclass
class Experiment:
    """Tidy results per replicate and policy, the by-size table, summaries and paired contrasts.

    ``settings`` holds every setting the numbers depend on (province knobs, seed, replicates,
    behaviour, each policy's readings); ``chunk`` and the executor are recorded but do not change
    any number.
    """

    results: pd.DataFrame
    by_size: pd.DataFrame
    seed: int
    replicates: int
    behaviour: Behaviour
    spec: ProvinceSpec
    policies: dict = field(default_factory=dict)
    settings: dict = field(default_factory=dict)

    METRICS = ("share_excellent_before", "share_excellent", "demotions", "spearman", "spearman_best",
               "accuracy_relative", "precision_top20", "precision_relative", "recall_top20", "recall_relative",
               "strong_unit_penalty", "strategic_gain")

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Per policy and metric: mean, a t interval of the mean over replicates (n − 1 degrees of
        freedom), and the 2.5–97.5 percentile range of the replicates."""
        long = self.results.melt(id_vars=["replicate", "policy"], value_vars=list(self.METRICS), var_name="metric")
        out = _t_summary(long, ["policy", "metric"], "value", level)
        q = long.groupby(["policy", "metric"], sort=False)["value"].quantile([0.025, 0.975]).unstack()
        q = q.rename(columns={0.025: "p2.5", 0.975: "p97.5"})
        return out.merge(q.reset_index(), on=["policy", "metric"], how="left")

    def contrasts(self, baseline: str = "no cap", level: float = 0.95,
                  metrics: tuple[str, ...] | None = None) -> pd.DataFrame:
        """Every policy minus ``baseline``, replicate by replicate on the same draws (common random
        numbers): mean paired difference with its t interval, and beside it the half-width an
        unpaired comparison of the two means would have had.

        >>> exp = compare(ProvinceSpec(n_staff=2000, n_communes=10, n_districts=2), replicates=3, seed=1,
        ...               applies_to_all=True)
        >>> c = exp.contrasts("no cap")
        >>> sorted(c["policy"].unique()), bool((c.query("metric == 'share_excellent'")["mean"] < 0).all())
        (['decree-335-2025'], True)
        """
        if baseline not in set(self.results["policy"]):
            raise ValueError(f"baseline {baseline!r} is not one of the policies {sorted(set(self.results['policy']))}")
        chosen = list(metrics or self.METRICS)
        wide = self.results.set_index(["replicate", "policy"])[chosen]
        base = wide.xs(baseline, level="policy")
        diff = wide.sub(base, level="replicate").reset_index()
        diff = diff[diff["policy"] != baseline]
        long = diff.melt(id_vars=["replicate", "policy"], value_vars=chosen, var_name="metric")
        out = _t_summary(long, ["policy", "metric"], "value", level).rename(columns={"sd": "sd_difference"})
        sds = self.results.groupby("policy")[chosen].std()
        n = out["n"].to_numpy()
        tq = sps.t.ppf(0.5 + level / 2, np.maximum(n - 1, 1))
        unpaired = [np.hypot(sds.loc[p, m], sds.loc[baseline, m]) for p, m in zip(out["policy"], out["metric"])]
        out["unpaired_half_width"] = tq * np.asarray(unpaired) / np.sqrt(n)
        out.insert(0, "baseline", baseline)
        return out

    def size_summary(self, level: float = 0.95) -> pd.DataFrame:
        """Chance that a true top-20% performer is rated excellent, by unit size, with t intervals."""
        return _t_summary(self.by_size, ["policy", "unit_size"], "recall_top20", level)

    def settings_table(self) -> pd.DataFrame:
        """The settings as a two-column table (setting, value) for reports."""
        import json

        flat = {}
        for k, v in self.settings.items():
            if isinstance(v, dict):
                flat.update({f"{k}.{kk}": vv for kk, vv in v.items()})
            else:
                flat[k] = v
        return pd.DataFrame({"setting": list(flat), "value": [json.dumps(v, ensure_ascii=False, default=str)
                                                                for v in flat.values()]})


def _province(population_spec, seed: int) -> Province:
    return population_spec if isinstance(population_spec, Province) else generate_province(
        population_spec or ProvinceSpec(), seed=seed)


def _policy_list(policies: dict | None) -> list:
    policies = policies if policies is not None else {"no cap": None, "decree-335-2025": "decree-335-2025"}
    return [(name, None if p is None else P.get(p)) for name, p in policies.items()]


def _chunk_tasks(struct, pols, beh, seed, replicates, chunk, applies_to_all, tag=None) -> list[_Task]:
    if chunk < 1:
        raise ValueError(f"chunk must be at least 1, got {chunk}")
    for _, pol in pols:  # group codes once, here, not in every worker
        for scope in pol.scopes if pol is not None else ():
            _scope_codes(struct, tuple(scope))
    return [_Task(struct, pols, beh, seed, first, min(chunk, replicates - first), applies_to_all, dict(tag or {}))
            for first in range(0, replicates, chunk)]


def _run(tasks: list[_Task], executor: Executor | None, progress: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    mapper = executor.map(_run_chunk, tasks) if executor is not None else map(_run_chunk, tasks)
    if progress:
        from .progress import progress_bar

        mapper = progress_bar(mapper, total=len(tasks), desc="replicate chunks")
    parts = list(mapper)
    keys = list(tasks[0].tag) + ["replicate"] if tasks else ["replicate"]

    def tidy(frames):  # one row order whatever the chunking: grid point, replicate, policy
        return pd.concat(frames, ignore_index=True).sort_values(keys, kind="stable").reset_index(drop=True)

    return tidy([p[0] for p in parts]), tidy([p[1] for p in parts])


def _settings(province: Province, seed, replicates, beh, pols, applies_to_all, chunk, executor) -> dict:
    from dataclasses import asdict

    from ..version import __version__

    return {"evalkit": __version__, "seed": seed, "replicates": replicates,
            "replicate_seeds": f"SeedSequence([{seed}, 2, r]) for r in 0..{replicates - 1}",
            "province_seed": province.seed, "province": asdict(province.spec), "behaviour": asdict(beh),
            "applies_to_all": applies_to_all, "policies": {name: _describe_policy(p) for name, p in pols},
            "chunk (does not change results)": chunk,
            "executor (does not change results)": type(executor).__name__ if executor is not None else None}


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
    chunk : replicates per vectorised pass (memory ~ chunk × staff × 60 bytes per policy); results
        do not depend on it
    progress : show a progress bar (tqdm, notebook aware)
    executor : any ``concurrent.futures.Executor`` (processes, or ``dask.distributed``'s) to spread chunks
    """
    beh = behaviour if isinstance(behaviour, Behaviour) else Behaviour(behaviour)
    pols = _policy_list(policies)
    province = _province(population_spec, seed)
    struct = _structure(province, beh, seed)
    results, by_size = _run(_chunk_tasks(struct, pols, beh, seed, replicates, chunk, applies_to_all), executor,
                            progress)
    return Experiment(results, by_size, seed, replicates, beh, province.spec, dict(pols),
                      _settings(province, seed, replicates, beh, pols, applies_to_all, chunk, executor))


DEFAULT_RATIOS = tuple(Fraction(k, 20) for k in range(1, 11))  #: 5 %, 10 %, …, 50 %


@dataclass
class Sweep:
    """A grid of cap ratios × behaviour parameters, each grid point on the same draws.

    ``results``: one row per replicate, grid point and policy, with ``ratio`` (float; NaN for no
    cap) and one column per behaviour parameter.
    """

    results: pd.DataFrame
    parameters: list[str]
    settings: dict

    def experiments(self):
        """``(grid point, Experiment)`` pairs: every method of :class:`Experiment` per point."""
        keys = self.parameters
        for point, part in self.results.groupby(keys, sort=False) if keys else [((), self.results)]:
            point = point if isinstance(point, tuple) else (point,)
            yield dict(zip(keys, point, strict=True)), Experiment(part.drop(columns=keys), pd.DataFrame(), 0, 0,
                                                                  Behaviour(), ProvinceSpec())

    def _per_point(self, method: str, **kw) -> pd.DataFrame:
        parts = [getattr(exp, method)(**kw).assign(**point) for point, exp in self.experiments()]
        out = pd.concat(parts, ignore_index=True)
        ratio = self.results.drop_duplicates("policy").set_index("policy")["ratio"]
        out.insert(1, "ratio", out["policy"].map(ratio))
        return out

    def summary(self, level: float = 0.95) -> pd.DataFrame:
        """Mean and t interval per grid point, policy and metric."""
        return self._per_point("summary", level=level)

    def contrasts(self, baseline: str = "no cap", level: float = 0.95) -> pd.DataFrame:
        """Paired differences from ``baseline`` within each grid point (same draws)."""
        return self._per_point("contrasts", baseline=baseline, level=level)

    def frontier(self, metrics=("share_excellent", "accuracy_relative", "spearman", "demotions",
                                "recall_relative")) -> pd.DataFrame:
        """Means per grid point and policy, one column per metric (the frontier plot's table)."""
        s = self.summary()
        s = s[s["metric"].isin(metrics)]
        wide = s.set_index(self.parameters + ["policy", "ratio", "metric"])["mean"].unstack("metric").reset_index()
        wide.columns.name = None
        return wide.sort_values(self.parameters + ["ratio"], na_position="first", kind="stable").reset_index(drop=True)


def sweep(population_spec: ProvinceSpec | Province | None = None, ratios=DEFAULT_RATIOS,
          behaviour_grid: dict[str, list] | None = None, *, base_policy: str = "decree-335-2025",
          behaviour: str = "strategic", replicates: int = 20, seed: int = 2026, applies_to_all: bool = True,
          chunk: int = 50, executor: Executor | None = None, progress: bool = False) -> Sweep:
    """Sweep the cap ratio (default 5 % to 50 % of the base) and behaviour parameters as a grid.

    Every grid point and ratio runs on the same replicate draws (common random numbers), beside a
    no-cap baseline, so :meth:`Sweep.contrasts` is paired. All chunks of all grid points go to
    ``executor`` at once (e.g. ``dask.distributed.Client(...).get_executor()``).

    >>> sw = sweep(ProvinceSpec(n_staff=1500, n_communes=8, n_districts=1), ratios=["1/10", "1/2"],
    ...            behaviour_grid={"strategic_share": [0.0, 0.5]}, replicates=2, seed=1)
    >>> sw.frontier()[["strategic_share", "ratio"]].to_numpy().tolist()[:3]
    [[0.0, nan], [0.0, 0.1], [0.0, 0.5]]
    """
    from itertools import product

    grid = behaviour_grid or {}
    unknown = set(grid) - {"strategic_share", "upgrade_completed"}
    if unknown:
        raise ValueError(f"unknown behaviour parameters {sorted(unknown)}; known: strategic_share, upgrade_completed")
    fractions = [Fraction(r) for r in ratios]
    pols = [("no cap", None)] + [(f"{float(r):.0%} of base", P.get(base_policy, applies_to=(), ratio=r))
                                 for r in fractions]
    province = _province(population_spec, seed)
    tasks = []
    keys = list(grid)
    for values in product(*grid.values()) if grid else [()]:
        point = dict(zip(keys, values, strict=True))
        beh = Behaviour(behaviour, **point)
        struct = _structure(province, beh, seed)
        tasks += _chunk_tasks(struct, pols, beh, seed, replicates, chunk, applies_to_all, point)
    results, _ = _run(tasks, executor, progress)
    ratio_of = {name: (np.nan if p is None else float(p.require_ratio())) for name, p in pols}
    results.insert(2, "ratio", results["policy"].map(ratio_of))
    settings = _settings(province, seed, replicates, Behaviour(behaviour), pols, applies_to_all, chunk, executor)
    settings["behaviour_grid"] = {k: list(v) for k, v in grid.items()}
    return Sweep(results, keys, settings)


def simulate_roster(population_spec: ProvinceSpec | Province | None = None, policy=None, *, seed: int = 2026,
                    replicate: int = 0, behaviour: str | Behaviour = "lenient",
                    applies_to_all: bool = False) -> pd.DataFrame:
    """One simulated replicate as a roster (``level`` before, ``level_final`` after the policy), drawn
    exactly as :func:`compare` draws it — for inspecting or checking a single outcome."""
    beh = behaviour if isinstance(behaviour, Behaviour) else Behaviour(behaviour)
    pol = None if policy is None else P.get(policy)
    province = _province(population_spec, seed)
    struct = _structure(province, beh, seed)
    task = _Task(struct, [], beh, seed, replicate, 1, applies_to_all)
    draws = _draw(task)
    reported, covered, demoted = _enforce(task, draws, pol)
    final = reported if demoted is None else np.where(demoted, _GOOD, reported)
    out = province.staff.drop(columns=["level", "score", "score_general", "score_task", "true_performance"]).copy()
    cats = np.array(L.ALL_LEVELS, dtype=object)
    out["score"] = draws["score"][0]
    out["true_performance"] = draws["theta"][0]
    out["unit_strength"] = draws["unit_effect"][0][struct.unit_idx]  # u_j, the unit's real strength
    out["covered"] = covered
    out["strategic_unit"] = struct.strategic_unit[struct.unit_idx]
    out["level_honest"] = pd.Categorical(cats[draws["codes"][0]], dtype=L.LEVEL_DTYPE)
    out["level"] = pd.Categorical(cats[reported[0]], dtype=L.LEVEL_DTYPE)
    out["level_final"] = pd.Categorical(cats[final[0]], dtype=L.LEVEL_DTYPE)
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
