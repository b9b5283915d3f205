"""Test helper: the simulator's Spearman formula fed from per-level counts and rank sums built plainly."""


def spearman_and_best(theta, level_codes):
    """The simulator's Spearman ρ (latent ranks against levels, mid-ranks for tied levels) and the best
    ρ attainable with the same level counts, per row, through its formula
    (``experiment._spearman_from_sums``) from per-level counts and centred rank sums built here."""
    import numpy as np

    from evalkit.simulate.experiment import _spearman_from_sums

    theta, level_codes = np.atleast_2d(theta), np.atleast_2d(level_codes)
    R, n = level_codes.shape
    k = int(level_codes.max()) + 1
    ranks = np.argsort(np.argsort(theta, axis=1), axis=1) - (n - 1) / 2.0
    idx = (np.arange(R)[:, None] * k + level_codes).ravel()
    counts = np.bincount(idx, minlength=R * k).reshape(R, k)
    sums = np.bincount(idx, weights=ranks.ravel(), minlength=R * k).reshape(R, k)
    return _spearman_from_sums(counts, sums, n)
