"""Rating-based grounds for streamlining (tinh giản biên chế): who meets them, year by year.

>>> history = pd.DataFrame({"person_id": ["a", "a", "b", "b"], "year": [2024, 2025, 2024, 2025],
...     "level": ["COMPLETED", "NOT_COMPLETED", "GOOD", "NOT_COMPLETED"]})
>>> streamlining_candidates(history)[["person_id", "year", "meets"]].to_dict("records")
[{'person_id': 'a', 'year': 2025, 'meets': True}, {'person_id': 'b', 'year': 2025, 'meets': False}]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .. import levels as L
from ..parameters import load


class StreamliningPolicyError(ValueError):
    pass

STREAMLINING_VARIANTS = {"decree-29-2023": "decree_29_2023.streamlining", "draft-2025": "decree_29_2023.draft_2025"}


def streamlining_candidates(history: pd.DataFrame, policy: str = "decree-29-2023") -> pd.DataFrame:
    """Who meets the rating-based streamlining ground at the end of each year.

    ``history`` has one row per person and year with ``level``. Decree 29/2023: in the two
    consecutive years up to the year considered, one COMPLETED and one NOT_COMPLETED; the 2025 draft:
    one NOT_COMPLETED year. Missing years break the window (never guessed). Returns one row per
    person and window end with ``meets`` and the levels seen.
    """
    if policy == "all":
        return pd.concat([streamlining_candidates(history, p).assign(variant=p) for p in STREAMLINING_VARIANTS],
                         ignore_index=True)
    if policy not in STREAMLINING_VARIANTS:
        raise StreamliningPolicyError(f"no streamlining variant {policy!r}; known: {', '.join(STREAMLINING_VARIANTS)}")
    tree = load()
    prefix = STREAMLINING_VARIANTS[policy]
    first = tree[f"{prefix}.window_years"].values[0]
    day = first.start
    window = tree.get(f"{prefix}.window_years", day)
    need_c = tree.get(f"{prefix}.needs_completed_years", day)
    need_nc = tree.get(f"{prefix}.needs_not_completed_years", day)
    lv = L.as_levels(history["level"]).astype(object)
    code = np.select([lv.isin([L.COMPLETED, L.COMPLETED_LIMITED]), lv == L.NOT_COMPLETED], [1, 2], 0)
    wide = (pd.DataFrame({"person_id": history["person_id"].to_numpy(), "year": history["year"].astype(int).to_numpy(),
                          "code": code}).pivot(index="person_id", columns="year", values="code"))
    years = sorted(wide.columns)
    wide = wide.reindex(columns=range(years[0], years[-1] + 1))
    levels_wide = (pd.DataFrame({"person_id": history["person_id"].to_numpy(),
                                 "year": history["year"].astype(int).to_numpy(), "level": lv.to_numpy()})
                   .pivot(index="person_id", columns="year", values="level")
                   .reindex(columns=range(years[0], years[-1] + 1)))
    out = []
    arr = wide.to_numpy(dtype=float)
    for j in range(window - 1, arr.shape[1]):
        block = arr[:, j - window + 1: j + 1]
        complete = ~np.isnan(block).any(axis=1)
        n_c = (block == 1).sum(axis=1)
        n_nc = (block == 2).sum(axis=1)
        meets = complete & (n_c >= need_c) & (n_nc >= need_nc)
        block_levels = levels_wide.iloc[:, j - window + 1: j + 1].astype(object)
        seen = block_levels.where(block_levels.notna(), "(no rating)").astype(str).agg(" → ".join, axis=1).to_numpy()
        out.append(pd.DataFrame({"person_id": wide.index, "year": wide.columns[j], "meets": meets,
                                 "complete_window": complete, "levels": seen}))
    res = pd.concat(out, ignore_index=True)
    res["ground"] = f"{policy}: {window} year(s), ≥{need_c} COMPLETED and ≥{need_nc} NOT_COMPLETED"
    return res
