"""The mixture model behind a cluster dataset: centers, shapes, families and sizes.

Cluster ``i`` is ``x = mu_i + A_i z`` with ``z`` iid standardised draws of its
family (:mod:`synthkit.clusters.distributions`), so its covariance is
``A_i A_i'`` (its scatter matrix for families without a variance).
Everything here is settled before sampling: drawing points depends only on
the model and the seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._deprecation import sample_args
from ..errors import ModelFileError, SpecError
from ..seeding import (
    BLOCK_ROWS,
    SeedLike,
    as_seed_sequence,
    block_generator,
    child_generator,
    child_seed,
    data_seed,
    iter_blocks,
    seed_from_json,
)
from .distributions import ClusterDistribution, parse_distribution
from .overlap import calibrated_overlap_matrix, overlap_matrix

__all__ = ["MixtureModel", "child_seed", "DEFAULT_N_REFERENCE"]

#: Reference draws per family for the certified overlap of non-normal clusters (capped at
#: 4e6 / p; see :func:`synthkit.clusters.overlap.best_linear_pair_overlap` for how they are used).
DEFAULT_N_REFERENCE = 40_000



@dataclass
class MixtureModel:
    """Centers (k, p), factors ``A_i`` (k, p, p), one distribution per cluster, sizes (k,).

    Attributes
    ----------
    reference_seed : dict or None
        ``{"entropy", "spawn_key"}`` of the seed of the reference draws used by the
        calibrated overlap (so a loaded dataset reproduces its certificate).
    n_reference : int
        Reference draws per family.

    Examples
    --------
    >>> m = MixtureModel(np.array([[0.0], [4.0]]), np.ones((2, 1, 1)),
    ...                  [ClusterDistribution("normal")] * 2, np.array([5, 5]))
    >>> X, y = m.sample(seed=0)
    >>> X.shape, np.bincount(y).tolist()
    ((10, 1), [5, 5])
    """

    centers: np.ndarray
    factors: np.ndarray
    distributions: list[ClusterDistribution]
    sizes: np.ndarray
    reference_seed: dict | None = None
    n_reference: int = DEFAULT_N_REFERENCE
    _references: list | None = field(default=None, repr=False, compare=False)

    @property
    def k(self) -> int:
        return int(self.centers.shape[0])

    @property
    def p(self) -> int:
        return int(self.centers.shape[1])

    @property
    def n(self) -> int:
        return int(np.sum(self.sizes))

    @property
    def covariances(self) -> np.ndarray:
        """``A_i A_i'`` for every cluster, shape (k, p, p)."""
        return self.factors @ np.swapaxes(self.factors, -1, -2)

    @property
    def all_normal(self) -> bool:
        return all(d.is_normal for d in self.distributions)

    def axis_lengths(self) -> np.ndarray:
        """Standard deviations along each cluster's principal axes, (k, p), descending."""
        return np.linalg.svd(self.factors, compute_uv=False)

    def references(self) -> list:
        """Per-cluster standardised reference draws (None for normal clusters), cached."""
        if self._references is None:
            self._references = reference_draws(
                self.distributions, self.p, self.n_reference, self.reference_seed
            )
        return self._references

    def overlap(self, method: str = "exact", *, return_se: bool = False):
        """Pairwise overlap (k, k): twice the minimax error of the best linear rule.

        ``"exact"``: for a pair of normal clusters the exact Anderson–Bahadur value; for
        a pair with a non-normal cluster twice the minimax error of the best linear rule
        *found* (the Anderson–Bahadur rule or the rule searched on part of the reference
        draws, whichever errs less), evaluated on reference draws it was not fitted to: a
        Monte Carlo estimate with standard-error bound ``2 sqrt(e (1 - e) / n)``, and the
        same number as the placement certificate (see
        :func:`~synthkit.clusters.overlap.best_linear_pair_overlap`). ``"normal"``: the
        normal-theory value regardless of family; ``"lda"``: the approximation.

        ``return_se=True`` also returns the (k, k) standard-error bounds (0 for pairs of
        normal clusters and for ``"normal"`` / ``"lda"``, which involve no draws).

        Examples
        --------
        >>> m = MixtureModel(np.array([[0.0], [3.92]]), np.ones((2, 1, 1)),
        ...                  [ClusterDistribution("normal")] * 2, np.array([5, 5]))
        >>> round(float(m.overlap()[0, 1]), 3)
        0.05
        """
        if method not in ("exact", "normal", "lda"):
            raise SpecError(f"`method` must be 'exact', 'normal' or 'lda', got {method!r}")
        if method == "lda":
            ov = overlap_matrix(self.centers, self.covariances, method="lda")
        elif method == "normal" or self.all_normal:
            ov = overlap_matrix(self.centers, self.covariances, method="exact")
        else:
            return calibrated_overlap_matrix(self.centers, self.factors, self.references(),
                                             return_se=return_se)
        return (ov, np.zeros_like(ov)) if return_se else ov

    def sample(self, *args, n: int | None = None, seed: SeedLike = None) -> tuple[np.ndarray, np.ndarray]:
        """Draw the points (shuffled rows) and their labels: ``sample(n=None, seed=None)``.

        ``n`` is fixed by the model (``sizes``): None or ``self.n``. A single positional
        argument without ``seed=`` is read as the seed, the former ``sample(seed)`` form
        (deprecated: a :class:`DeprecationWarning` asks for ``seed=``).

        Cluster ``c`` draws its rows in blocks of ``BLOCK_ROWS``; block ``b`` uses
        ``block_generator(child(points, c), b)``, so the points do not depend on
        chunking. The row order is a permutation from its own stream.
        """
        n, seed = sample_args(args, n, seed, "MixtureModel")
        if n is not None and n != self.n:
            raise SpecError(f"a mixture model draws its {self.n} points (the sum of `sizes`), "
                            f"got n={n!r}; change `sizes` to draw another number")
        root = as_seed_sequence(seed)
        points = child_seed(root, 0)
        parts = []
        for c in range(self.k):
            n_c = int(self.sizes[c])
            z = np.empty((n_c, self.p))
            seq = child_seed(points, c)
            for blk in iter_blocks(n_c, BLOCK_ROWS):
                z[blk.start : blk.stop] = self.distributions[c].sample(
                    block_generator(seq, blk.index), (blk.size, self.p)
                )
            parts.append(self.centers[c] + z @ self.factors[c].T)
        X = np.concatenate(parts) if parts else np.empty((0, self.p))
        labels = np.repeat(np.arange(self.k), self.sizes.astype(int))
        perm = child_generator(root, 1).permutation(len(labels))
        return X[perm], labels[perm]

    def to_dict(self) -> dict:
        return {
            "centers": self.centers.tolist(),
            "factors": self.factors.tolist(),
            "distributions": [d.to_dict() for d in self.distributions],
            "sizes": [int(s) for s in self.sizes],
            "reference_seed": self.reference_seed,
            "n_reference": int(self.n_reference),
        }

    @classmethod
    def from_dict(cls, d: dict) -> MixtureModel:
        try:
            centers = np.asarray(d["centers"], dtype=float)
            factors = np.asarray(d["factors"], dtype=float)
            dists = [parse_distribution(x) for x in d["distributions"]]
            sizes = np.asarray(d["sizes"], dtype=int)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelFileError(f"malformed mixture model: {exc}") from None
        k = centers.shape[0]
        if factors.shape[:1] != (k,) or len(dists) != k or sizes.shape != (k,):
            raise ModelFileError("malformed mixture model: centers, factors, distributions "
                                 "and sizes must describe the same number of clusters")
        return cls(centers, factors, dists, sizes, d.get("reference_seed"),
                   int(d.get("n_reference", DEFAULT_N_REFERENCE)))


def reference_draws(distributions, p: int, n_reference: int, seed: dict | None) -> list:
    """Standardised draws (m, p) shared by clusters of the same family; None for normal."""
    if all(d.is_normal for d in distributions):
        return [None] * len(distributions)
    m = int(max(2000, min(n_reference, 4_000_000 // max(p, 1))))
    keys = sorted({d.label() for d in distributions if not d.is_normal})
    if seed is None:  # no recorded seed: one derived from the families and sizes, not a constant
        root = data_seed(np.array([p, m]), salt="reference draws|" + "|".join(keys))
    else:
        root = seed_from_json(seed)
    cache = {}
    for idx, key in enumerate(keys):
        dist = next(d for d in distributions if d.label() == key)
        rng = child_generator(root, idx)
        cache[key] = dist.sample(rng, (m, p))
    return [None if d.is_normal else cache[d.label()] for d in distributions]
