"""A progress bar that is notebook-aware and quiet about missing widgets."""

from __future__ import annotations

import warnings


def progress_bar(iterable, *, total: int | None = None, desc: str = ""):
    """Wrap ``iterable`` in tqdm's notebook-aware bar (a text bar where widgets are missing)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # TqdmWarning: IProgress not found → falls back to text
        from tqdm.auto import tqdm

        return tqdm(iterable, total=total, desc=desc)
