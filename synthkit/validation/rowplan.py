"""Which synthetic rows the subsampled checks read: one index plan for every table layout.

Kendall's tau, the distance-to-closest-record checks, the utility models, the PCA scatter,
the attacks and the rules of a partitioned table read a seeded row subsample of the
synthetic table. The rows are a function of ``(seed, m, k, stream)`` only (``m`` the
synthetic rows, ``k`` the subsample size, ``stream`` the section), drawn from their own
child generator, so an in-memory frame and a partitioned dataset of the same rows give
the same subsample: the partitioned pass computes the indices up front and gathers exactly
those rows. The sorted indices of ``k`` of ``m`` rows without replacement; every row when
``m <= k`` (so a table that *is* the gathered subsample reads all of it, in order).
"""

from __future__ import annotations

import numpy as np

from ..seeding import SeedLike, child_generator

__all__ = ["KENDALL", "PRIVACY", "UTILITY", "PCA", "ATTACKS", "RULES", "PCA_POINTS", "MAX_ATTACK_ROWS",
           "synth_rows"]

#: Stream keys of the sections (the child-generator key of each subsample).
KENDALL, PRIVACY, UTILITY, PCA, ATTACKS, RULES = 1, 2, 3, 4, 5, 6
#: Most rows of each table drawn in the PCA scatter; both tables are drawn to the same
#: size (a seeded subsample of the larger one), so neither buries the other.
PCA_POINTS = 2000
#: Most synthetic rows the attacks read (a seeded subsample of a larger table).
MAX_ATTACK_ROWS = 200_000


def synth_rows(seed: SeedLike, m: int, k: int, stream: int) -> np.ndarray:
    """Sorted indices of a seeded subsample of ``k`` of ``m`` synthetic rows (all when ``m <= k``).

    Drawn by ``Generator.choice`` without replacement from ``child_generator(seed, 0xA11, stream)``.

    Examples
    --------
    >>> synth_rows(0, 3, 5, KENDALL).tolist()
    [0, 1, 2]
    >>> bool((synth_rows(7, 10**8, 4, PCA) == synth_rows(7, 10**8, 4, PCA)).all())
    True
    """
    if m <= k:
        return np.arange(m)
    rng = child_generator(seed, 0xA11, int(stream))
    return np.sort(rng.choice(m, k, replace=False))
