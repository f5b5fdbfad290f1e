"""Cluster shapes: axis lengths with exact aspect-ratio and radius spreads, random orientations.

Method. Cluster ``i`` has axis standard deviations ``s_i1..s_ip`` along the
columns of a Haar-random rotation ``R_i`` (QR of a Gaussian matrix with the
sign of ``diag(R)`` fixed, Mezzadri 2007), so ``x = mu_i + A_i z`` with
``A_i = R_i diag(s_i)`` and covariance ``A_i A_i'`` (for unit-variance ``z``).

* radius ``r_i`` = geometric mean of the ``s_il``; the radii have geometric
  mean ``scale`` and ``max r / min r = radius_maxmin`` **exactly** (k >= 2);
* aspect ratio ``alpha_i = max_l s_il / min_l s_il``; the aspect ratios have
  geometric mean ``aspect_ref`` and ``max alpha / min alpha = aspect_maxmin``
  exactly. If that would put an aspect ratio below 1 the whole set is shifted
  up so the smallest is 1 (the ratio is kept, the geometric mean rises);
* the spreads are drawn on the log scale: one cluster at each end, the others
  uniform in between (same scheme for the axes inside a cluster).

In one dimension every aspect ratio is 1.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["spread_logs", "random_rotations", "CovarianceSampler"]


def spread_logs(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` numbers in [0, 1] with min exactly 0 and max exactly 1 (others uniform), shuffled."""
    if n == 1:
        return np.zeros(1)
    v = np.concatenate([[0.0, 1.0], rng.random(n - 2)])
    return rng.permutation(v)


def random_rotations(k: int, p: int, rng: np.random.Generator) -> np.ndarray:
    """``k`` Haar-distributed ``p x p`` orthogonal matrices (Mezzadri 2007)."""
    G = rng.standard_normal((k, p, p))
    Q, R = np.linalg.qr(G)
    signs = np.sign(np.diagonal(R, axis1=1, axis2=2))
    signs[signs == 0] = 1.0
    return Q * signs[:, None, :]


@dataclass(frozen=True)
class CovarianceSampler:
    """Sample cluster factors ``A_i = R_i diag(s_i)`` (see module docstring).

    Parameters
    ----------
    aspect_ref, aspect_maxmin, radius_maxmin, scale : float
        As in :class:`synthkit.Archetype`.

    Examples
    --------
    >>> s = CovarianceSampler(aspect_ref=3, aspect_maxmin=2, radius_maxmin=1.5, scale=1)
    >>> A, axes = s.sample(4, 5, np.random.default_rng(0))
    >>> A.shape, axes.shape
    ((4, 5, 5), (4, 5))
    """

    aspect_ref: float = 1.5
    aspect_maxmin: float = 2.0
    radius_maxmin: float = 3.0
    scale: float = 1.0

    def aspect_ratios(self, k: int, rng: np.random.Generator) -> np.ndarray:
        v = spread_logs(k, rng)
        log_a = np.log(self.aspect_ref) + np.log(self.aspect_maxmin) * (v - v.mean())
        log_a -= min(log_a.min(), 0.0)  # aspect ratios are >= 1
        return np.exp(log_a)

    def radii(self, k: int, rng: np.random.Generator) -> np.ndarray:
        v = spread_logs(k, rng)
        return self.scale * np.exp(np.log(self.radius_maxmin) * (v - v.mean()))

    def sample(self, k: int, p: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(A, axes)``: factors (k, p, p) and axis standard deviations (k, p)."""
        radii = self.radii(k, rng)
        aspects = self.aspect_ratios(k, rng) if p > 1 else np.ones(k)
        axes = np.empty((k, p))
        for i in range(k):
            u = spread_logs(p, rng)
            axes[i] = radii[i] * np.exp(np.log(aspects[i]) * (u - u.mean()))
        R = random_rotations(k, p, rng)
        return R * axes[:, None, :], axes
