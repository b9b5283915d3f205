"""Privacy for published outputs: keyed pseudonyms for person ids, suppression of small groups."""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets

import numpy as np
import pandas as pd

from ..messages import label

SUPPRESSED_COLUMNS = ("n_excellent", "n_good", "n_completed", "n_not_completed", "n_not_rated", "n_rated", "base",
                      "cap", "excess", "headroom", "minimal_demotions")


def pseudonymize(ids: pd.Series, key: bytes) -> pd.Series:
    """Replace ids with a keyed hash (HMAC-SHA256, 16 hex digits); the same key gives the same pseudonym.

    >>> p = pseudonymize(pd.Series(["A1", "A1", "B2"]), b"k")
    >>> p[0] == p[1] != p[2], p[0].startswith("P-"), len(p[0])
    (True, True, 18)
    """
    uniq = pd.unique(ids.astype(str))
    mapping = {u: "P-" + hmac.new(key, u.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for u in uniq}
    return ids.astype(str).map(mapping)


def pseudonym_key() -> tuple[bytes, bool]:
    """The key from ``EVALKIT_PSEUDONYM_KEY``, or a new random one; returns (key, generated)."""
    env = os.environ.get("EVALKIT_PSEUDONYM_KEY")
    if env:
        return env.encode("utf-8"), False
    return secrets.token_hex(16).encode("ascii"), True


def small_groups(groups: pd.DataFrame, k: int) -> np.ndarray:
    """Groups with fewer than ``k`` people (rated or not)."""
    people = groups["n_rated"].fillna(0) + groups["n_not_rated"].fillna(0)
    return (people < k).to_numpy()


def suppress_small(groups: pd.DataFrame, k: int, lang: str = "en") -> pd.DataFrame:
    """Blank the counts of groups with fewer than ``k`` people and mark them."""
    out = groups.copy()
    small = small_groups(out, k)
    for c in SUPPRESSED_COLUMNS:
        if c in out.columns:
            out[c] = out[c].astype("object")
            out.loc[small, c] = None
    out["suppressed"] = np.where(small, label("suppressed", lang, k=k), "")
    return out
