"""Rating-based grounds for streamlining (tinh giản biên chế): who meets them, who is excluded, and why.

The named grounds are declared in ``params/policies/streamlining.yaml``; their values are looked up
at each year of review. Decree 154/2025 (2025-06-16 → 2030-12-31): one year rated NOT_COMPLETED in
the year before review or the year of review; pregnant people, those on maternity leave or raising
a child under 36 months, and those under discipline, prosecution or inspection are not streamlined
yet. Decree 29/2023 (2023-07-20 → 2025-06-15): two consecutive years, one COMPLETED and one
NOT_COMPLETED.

>>> history = pd.DataFrame({"person_id": ["a", "a", "b", "b"], "year": [2024, 2025, 2024, 2025],
...     "level": ["GOOD", "NOT_COMPLETED", "NOT_COMPLETED", "GOOD"], "pregnant": [False, True, False, False]})
>>> streamlining_candidates(history).query("year == 2025")[["meets", "excluded", "candidate"]].to_dict("list")
{'meets': [True, True], 'excluded': [True, False], 'candidate': [False, True]}
"""

from __future__ import annotations

import datetime as dt
import numpy as np
import pandas as pd

from .. import levels as L
from ..messages import Message
from ..parameters import NotInForce, as_date, load
from ..policies import policy_file

DEFAULT = "decree-154-2025"


class StreamliningPolicyError(ValueError):
    pass


def declared() -> dict:
    """The named streamlining grounds as declared in YAML."""
    return policy_file("streamlining")


def names() -> list[str]:
    return sorted(declared())


def ground(policy: str, year: int) -> dict:
    """The ground's values in force for a review in ``year`` (parameters looked up at that date)."""
    if policy not in declared():
        raise StreamliningPolicyError(f"no streamlining ground {policy!r}; known: {', '.join(names())}")
    spec = declared()[policy]
    tree = load()
    prefix = spec["parameters"]
    start, end = as_date(spec["from"]), as_date(spec["until"])
    day = min(max(as_date(year), start), end)  # outside its dates it still runs, with a note
    get = lambda k: tree.get(f"{prefix}.{k}", day)  # noqa: E731
    out = {"window": get("window_years"), "need_c": get("needs_completed_years"),
           "need_nc": get("needs_not_completed_years"), "start": start, "end": end,
           "complete": True, "exclusions": (), "child_months": None}
    for key, name in (("complete", "window_must_be_complete"), ("exclusions", "exclusions"),
                      ("child_months", "child_age_months")):
        if f"{prefix}.{name}" in tree:
            try:
                value = get(name)
            except NotInForce:
                continue
            out[key] = tuple(x.strip() for x in value.split("|") if x.strip()) if key == "exclusions" else value
    for reading, param in (spec.get("readings") or {}).items():
        out[reading] = tree.get(param, day)
    return out


def streamlining_candidates(history: pd.DataFrame, policy: str = DEFAULT, *,
                            current_unrated_year_counts: bool | None = None) -> pd.DataFrame:
    """Who meets the rating-based ground at each year of review, who is excluded, and why.

    ``history`` has one row per person and year with ``level``, and optionally the exclusion facts
    of the ground (for Decree 154: ``pregnant``, ``maternity_leave``, ``child_under_36_months``,
    ``under_discipline``, ``under_prosecution``, ``under_inspection``; true/false for that year).
    Missing years are never guessed: a ground needing a complete window fails on a gap. A year of
    review without a rating yet: by default (``current_unrated_year_counts=False``, the evalkit
    reading in ``params/readings/defaults.yaml``) its window slides back to the rated years before
    it; with ``True`` the unrated year stays in the window with no ground (and breaks a window that
    must be complete).

    Returns one row per person and year of review: ``meets``, ``excluded``, ``candidate`` (meets
    and not excluded), ``exclusion`` (:class:`~evalkit.messages.Message` list), ``levels`` seen,
    ``ground`` (a Message) and ``policy``. ``policy="all"`` stacks every ground.
    """
    if policy == "all":
        return pd.concat([streamlining_candidates(history, p, current_unrated_year_counts=current_unrated_year_counts)
                          for p in names()], ignore_index=True)
    years_all = history["year"].astype(int).to_numpy()
    first, last = int(years_all.min()), int(years_all.max())
    given = history["level"].notna().to_numpy()  # a missing rating is no rating, never a guess
    lv = pd.Series(np.full(len(history), None, dtype=object), index=history.index)
    lv[given] = L.as_levels(history["level"][given]).astype(object).to_numpy()
    code = np.select([lv.isin([L.COMPLETED, L.COMPLETED_LIMITED]), lv == L.NOT_COMPLETED], [1, 2], 0)
    code = np.where(lv.isna().to_numpy() | (lv == L.NOT_RATED).to_numpy(), np.nan, code)
    long = pd.DataFrame({"person_id": history["person_id"].to_numpy(), "year": years_all, "code": code,
                         "level": lv.to_numpy()})
    wide = long.pivot(index="person_id", columns="year", values="code").reindex(columns=range(first, last + 1))
    levels_wide = long.pivot(index="person_id", columns="year", values="level").reindex(columns=range(first, last + 1))
    arr = wide.to_numpy(dtype=float)
    facts = history.set_index(["person_id", history["year"].astype(int)])
    out = []
    for j, year in enumerate(range(first, last + 1)):
        g = ground(policy, year)
        unrated_counts = g["current_unrated_year_counts"] if current_unrated_year_counts is None \
            else current_unrated_year_counts
        w = g["window"]
        if j - w + 1 < 0 and g["complete"]:
            continue
        block = arr[:, max(j - w + 1, 0): j + 1]
        starts_full = j - w + 1 >= 0
        if not unrated_counts and j - w >= 0:
            # the year of review has no rating yet: its window slides back to the rated years before it
            review_missing = np.isnan(block[:, -1])
            block = np.where(review_missing[:, None], arr[:, j - w: j], block)
        complete = ~np.isnan(block).any(axis=1) if starts_full else np.zeros(len(block), dtype=bool)
        n_c = (block == 1).sum(axis=1)
        n_nc = (block == 2).sum(axis=1)
        meets = (n_c >= g["need_c"]) & (n_nc >= g["need_nc"])
        if g["complete"]:
            meets &= complete
        rated_any = ~np.isnan(block).all(axis=1)
        meets &= rated_any
        excluded = np.zeros(len(wide), dtype=bool)
        why: list[list[Message]] = [[] for _ in range(len(wide))]
        for col in g["exclusions"]:
            if col not in history.columns:
                continue
            key = pd.MultiIndex.from_arrays([wide.index, np.full(len(wide), year)])
            flag = facts[col].reindex(key).astype("boolean").fillna(False).to_numpy(dtype=bool)
            excluded |= flag
            for i in np.flatnonzero(flag):
                why[i].append(Message(f"streamlining.excluded.{col}", {"months": g["child_months"] or ""}))
        block_levels = levels_wide.iloc[:, max(j - w + 1, 0): j + 1].astype(object)
        seen = block_levels.where(block_levels.notna(), "—").astype(str).agg(" → ".join, axis=1).to_numpy()
        present = rated_any
        out.append(pd.DataFrame({
            "person_id": wide.index, "year": year, "meets": meets, "excluded": excluded & meets,
            "candidate": meets & ~excluded, "exclusion": why, "complete_window": complete, "levels": seen,
            "review_year_rated": ~np.isnan(arr[:, j]), "policy": policy,
            "ground": [Message("streamlining.ground", {"policy": policy, "window": w, "need_nc": g["need_nc"],
                                                      "need_c": g["need_c"]})] * len(wide),
        })[present | meets])
    res = pd.concat(out, ignore_index=True) if out else pd.DataFrame(
        columns=["person_id", "year", "meets", "excluded", "candidate", "exclusion", "complete_window", "levels",
                 "review_year_rated", "policy", "ground"])
    note = outside_note(policy, range(first, last + 1))
    res.attrs["notes"] = [note] if note is not None else []
    return res


def outside_note(policy: str, years) -> Message | None:
    """A note when the data's years of review fall outside the ground's dates (it still runs)."""
    spec = declared()[policy]
    start, end = as_date(spec["from"]), as_date(spec["until"])
    bad = sorted({int(y) for y in years if as_date(int(y)) < start or dt.date(int(y), 1, 1) > end})
    if not bad:
        return None
    return Message("streamlining.outside", {"policy": policy, "start": str(start), "end": str(end),
                                            "years": ", ".join(map(str, bad))})
