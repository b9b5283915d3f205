"""Synthetic provinces: a unit tree, staff, latent performance, rater leniency, scores and ratings.

The default is calibrated to a Quảng Ninh-sized province (33,373 staff) and to the 2018 national
shares of MOHA (about 28% excellent, 67% good, 5% completed or below). Every knob is a named field of
:class:`ProvinceSpec`; every random draw comes from the seed.

The score model, per person *i* in unit *j*::

    θ_i = z_i + u_j                      latent true performance (z ~ N(0,1), unit strength u ~ N(0, σ_u))
    score_i = μ + λ_j + k (θ_i + ε_i)    λ_j: the unit's rater leniency, ε_i: assessment noise

``μ`` and ``k`` are solved so that the pre-cap shares hit the targets in expectation.

>>> prov = generate_province(ProvinceSpec(n_staff=2000), seed=1)
>>> len(prov.staff), bool(prov.staff["level"].isin(["EXCELLENT", "GOOD"]).mean() > 0.8)
(2000, True)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd
from scipy.stats import norm

from .. import levels as L
from ..rules.bands import rate_by_score


@dataclass(frozen=True)
class ProvinceSpec:
    """Every knob of the synthetic province, with documented defaults."""

    n_staff: int = 33_373  #: Quảng Ninh's synced records (docs/data.md)
    n_departments: int = 20  #: provincial departments and equivalent
    service_units_per_department: int = 8  #: schools, hospitals, centres under each department
    #: district level: none since 2025-07-01 (two-tier local government); 13 districts and 177 communes
    #: for a pre-2025 Quảng Ninh (``n_districts=13, n_communes=177``)
    n_districts: int = 0
    offices_per_district: int = 10  #: district offices and district public service units (pre-2025 trees)
    n_communes: int = 54  #: commune-level units after the 2025 arrangement (press reports for Quảng Ninh; to verify)
    unit_size_sigma: float = 1.1  #: log-normal spread of unit sizes: heavy tail, many small units
    task_group_size: int = 9  #: people per group with similar tasks (about)
    leader_share_in_group: float = 0.12  #: leaders per task group beyond the unit head
    target_excellent: float = 0.28  #: pre-cap share excellent (MOHA 2018: 27.7%)
    target_below_good: float = 0.05  #: pre-cap share completed or below (MOHA 2018: 5.5%)
    disciplined_share: float = 0.004  #: disciplined in the year → not completed (MOHA 2018: 0.4%)
    short_service_share: float = 0.005  #: under 6 months worked → not rated
    unit_effect_sd: float = 0.35  #: σ_u, real differences between units
    leniency_sd: float = 3.0  #: σ_λ in score points, rater leniency between units
    noise_sd: float = 0.5  #: σ_ε, assessment noise relative to the latent sd
    score_step: float = 0.25  #: scores are recorded to the quarter point
    year: int = 2026

    def replace(self, **changes) -> "ProvinceSpec":
        unknown = set(changes) - set(asdict(self))
        if unknown:
            raise ValueError(f"unknown province knobs {sorted(unknown)}; known: {sorted(asdict(self))}")
        return ProvinceSpec(**{**asdict(self), **changes})

    def score_scale(self) -> tuple[float, float]:
        """(μ, k) so that the expected shares above 90 and below 70 hit the targets."""
        total_sd = (70 - 90) / (norm.ppf(self.target_below_good) - norm.ppf(1 - self.target_excellent))
        mu = 90 - norm.ppf(1 - self.target_excellent) * total_sd
        k2 = (total_sd**2 - self.leniency_sd**2) / (1 + self.unit_effect_sd**2 + self.noise_sd**2)
        if k2 <= 0:
            raise ValueError("leniency_sd is larger than the whole score spread the targets allow")
        return float(mu), float(np.sqrt(k2))


@dataclass
class Province:
    """A generated province: ``units`` (one row per unit) and ``staff`` (one row per person)."""

    spec: ProvinceSpec
    seed: int
    units: pd.DataFrame
    staff: pd.DataFrame
    draws: dict = field(default_factory=dict, repr=False)


def _unit_tree(spec: ProvinceSpec, rng: np.random.Generator) -> pd.DataFrame:
    rows: list[tuple[str, str, str, str | None, str]] = []  # unit_id, level, type, parent_id (None: top), name
    for d in range(spec.n_departments):
        dep = f"P-D{d + 1:02d}"
        rows.append((dep, "province", "agency", None, f"Sở {d + 1:02d}"))
        for s in range(spec.service_units_per_department):
            rows.append((f"{dep}-S{s + 1:02d}", "province", "public_service", dep, f"Đơn vị sự nghiệp {d + 1:02d}.{s + 1:02d}"))
    for h in range(spec.n_districts):
        dist = f"H{h + 1:02d}"
        rows.append((f"{dist}-UB", "district", "agency", None, f"UBND huyện {h + 1:02d}"))
        for o in range(spec.offices_per_district):
            kind = "agency" if o < spec.offices_per_district // 2 else "public_service"
            rows.append((f"{dist}-O{o + 1:02d}", "district", kind, f"{dist}-UB", f"Phòng/đơn vị {h + 1:02d}.{o + 1:02d}"))
    for c in range(spec.n_communes):  # two tiers: a commune answers to the province; three: to its district
        parent = f"H{c % spec.n_districts + 1:02d}-UB" if spec.n_districts else None
        rows.append((f"X{c + 1:03d}", "commune", "commune", parent, f"UBND xã {c + 1:03d}"))
    units = pd.DataFrame(rows, columns=["unit_id", "unit_level", "unit_type", "parent_id", "unit_name"])
    weight = rng.lognormal(0.0, spec.unit_size_sigma, len(units))
    # two-tier communes took over the districts' work and staff: they weigh like a district office then
    commune_weight = 0.6 if spec.n_districts else 2.0
    weight *= np.select([units.unit_type == "public_service", units.unit_type == "commune"], [2.5, commune_weight], 1.0)
    n_units = len(units)
    if spec.n_staff < n_units:
        raise ValueError(f"n_staff={spec.n_staff} is smaller than the {n_units} units")
    sizes = 1 + rng.multinomial(spec.n_staff - n_units, weight / weight.sum())
    units["size"] = sizes
    return units


def generate_province(spec: ProvinceSpec | None = None, seed: int = 2026) -> Province:
    """Generate a province: the unit tree, staff attributes, one draw of scores and ratings."""
    spec = spec or ProvinceSpec()
    rng = np.random.default_rng(seed)
    units = _unit_tree(spec, rng)
    n = int(units["size"].sum())
    unit_idx = np.repeat(np.arange(len(units)), units["size"].to_numpy())
    unit_id = units["unit_id"].to_numpy()[unit_idx]
    unit_type = units["unit_type"].to_numpy()[unit_idx]
    pos_in_unit = np.arange(n) - np.repeat(np.cumsum(units["size"].to_numpy()) - units["size"].to_numpy(),
                                           units["size"].to_numpy())
    u = rng.random(n)
    population = np.select(
        [unit_type == "public_service", unit_type == "commune"],
        [np.where(u < 0.95, "public_employee", "civil_servant"), np.where(u < 0.45, "cadre", "civil_servant")],
        np.where(u < 0.08, "cadre", "civil_servant"),
    ).astype(object)
    group_no = pos_in_unit // spec.task_group_size
    task_group = pd.Series(unit_id).str.cat(pd.Series(group_no + 1).astype(str), sep="-T").to_numpy(dtype=object)
    is_head = pos_in_unit == 0
    lead_chance = spec.leader_share_in_group * spec.task_group_size
    is_group_lead = (pos_in_unit % spec.task_group_size == 1) & (rng.random(n) < lead_chance)
    is_leader = is_head | is_group_lead
    level_word = units["unit_level"].to_numpy()[unit_idx]
    title_group = np.where(
        is_head, np.where(unit_type == "commune", "commune_chair", "unit_head"),
        np.where(is_group_lead, "deputy_or_division_head", "specialist")).astype(object)
    draws = draw_scores(spec, units, unit_idx, rng, replicates=1)
    score = draws["score"][0]
    disciplined = rng.random(n) < spec.disciplined_share
    months = np.where(rng.random(n) < spec.short_service_share, rng.integers(1, 6, n), 12)
    level = rate_by_score(score, disciplined=disciplined).astype(object).to_numpy().copy()
    level[months < 6] = L.NOT_RATED
    general = np.clip(np.round(score * 0.3 / spec.score_step) * spec.score_step, 0, 30)
    staff = pd.DataFrame({
        "person_id": [f"QN{seed % 100:02d}{i:06d}" for i in range(n)],
        "year": spec.year,
        "unit_id": unit_id,
        "unit_level": level_word,
        "task_group": task_group,
        "title_group": title_group,
        "is_leader": is_leader,
        "population": population,
        "months_worked": months,
        "disciplined": disciplined,
        "score_general": general,
        "score_task": score - general,
        "score": score,
        "level": pd.Categorical(level, dtype=L.LEVEL_DTYPE),
        "true_performance": draws["theta"][0],
    })
    return Province(spec, seed, units, staff, {"unit_idx": unit_idx})


def draw_scores(spec: ProvinceSpec, units: pd.DataFrame, unit_idx: np.ndarray, rng: np.random.Generator,
                replicates: int = 1) -> dict[str, np.ndarray]:
    """Draw latent performance and scores for ``replicates`` copies of the staff, one after another
    from ``rng`` (:func:`draw_replicates` with the same generator for every copy).

    Returns arrays of shape ``(replicates, n)``: ``theta`` (latent), ``score`` (0–100, on the
    ``score_step`` grid), plus ``unit_effect`` and ``leniency`` of shape ``(replicates, n_units)``.
    """
    return draw_replicates(spec, unit_idx, len(units), [rng] * replicates)


def draw_replicates(spec: ProvinceSpec, unit_idx: np.ndarray, n_units: int,
                    rngs: list[np.random.Generator]) -> dict[str, np.ndarray]:
    """One replicate of latent performance and scores per generator (the simulator gives each
    replicate its own seed), as :func:`draw_scores` returns them. Each generator is left just after
    its replicate's draws, so a caller may go on drawing from it.

    Per replicate, in this order: unit strengths u, rater leniencies λ, z, noise ε; then
    θ = z + u_j and score = μ + λ_j + k (θ + ε), rounded to the step grid and kept in 0–100.
    """
    R, n = len(rngs), len(unit_idx)
    mu, k = spec.score_scale()
    unit_effect, leniency = np.empty((R, n_units)), np.empty((R, n_units))
    theta, noise = np.empty((R, n)), np.empty((R, n))
    for r, rng in enumerate(rngs):
        unit_effect[r] = rng.normal(0.0, spec.unit_effect_sd, n_units)
        leniency[r] = rng.normal(0.0, spec.leniency_sd, n_units)
        rng.standard_normal(n, out=theta[r])
        noise[r] = rng.normal(0.0, spec.noise_sd, n)
    theta += np.take(unit_effect, unit_idx, axis=1)
    raw = np.take(leniency, unit_idx, axis=1)  # in place, in the order of the formula: the same numbers
    raw += mu
    noise += theta
    noise *= k
    raw += noise
    raw /= spec.score_step
    np.rint(raw, out=raw)
    raw *= spec.score_step
    score = np.clip(raw, 0, 100, out=raw)
    return {"theta": theta, "score": score, "unit_effect": unit_effect, "leniency": leniency}
