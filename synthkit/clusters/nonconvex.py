"""Non-convex cluster shapes: a smooth random distortion and a wrap onto the sphere.

Both act on the sampled points after the (certified) mixture is drawn, keep
every point's label, and are reproducible from the seed. Because the overlap
certificate is for the untransformed mixture, the overlap is re-measured on
the transformed points (:func:`remeasure`): the empirical linear-rule overlap
matrix and the leave-one-out 5-nearest-neighbour error.

* ``distort``: ``x -> x + f(x)`` with ``f(x) = sum_r c_r sin(w_r'x / l + phi_r)``
  (random Fourier features, Rahimi & Recht 2007). The amplitudes are scaled so
  that ``sum_r |c_r| |w_r| / l <= strength < 1``: ``f`` is a contraction, hence
  ``x + f(x)`` is a smooth bijection (no folding of one cluster onto another).
* ``sphere``: inverse stereographic projection of the standardised points onto
  the unit sphere ``S^p`` in ``R^(p+1)`` (scaled so the median radius maps to the
  equator: the data covers the whole sphere).
"""

from __future__ import annotations

import numpy as np

from ..errors import SpecError
from ..seeding import SeedLike, as_generator
from .overlap import empirical_overlap_matrix

__all__ = ["distort", "wrap_sphere", "remeasure", "NONCONVEX_KINDS"]

NONCONVEX_KINDS = ("distort", "sphere")


def distort(X: np.ndarray, rng: np.random.Generator, strength: float = 0.6,
            n_features: int = 16, length_scale: float | None = None) -> tuple[np.ndarray, dict]:
    """Label-preserving smooth random distortion (see module docstring).

    Examples
    --------
    >>> X = np.random.default_rng(0).normal(size=(50, 2))
    >>> Y, info = distort(X, np.random.default_rng(1))
    >>> Y.shape
    (50, 2)
    """
    if not (0 < strength < 1):
        raise SpecError(f"`strength` must be in (0, 1) so the distortion is a bijection, "
                        f"got {strength}")
    n, p = X.shape
    center = X.mean(0)
    spread = float(np.sqrt(np.mean(np.sum((X - center) ** 2, axis=1)) / max(p, 1)))
    ell = float(length_scale) if length_scale else max(spread, 1e-12)
    W = rng.standard_normal((n_features, p))
    phi = rng.uniform(0, 2 * np.pi, n_features)
    C = rng.standard_normal((n_features, p))
    lip = float(np.sum(np.linalg.norm(C, axis=1) * np.linalg.norm(W, axis=1))) / ell
    C *= strength / lip
    Y = X + np.sin((X - center) @ W.T / ell + phi) @ C
    return Y, {"kind": "distort", "strength": strength, "n_features": n_features,
               "length_scale": ell}


def wrap_sphere(X: np.ndarray) -> tuple[np.ndarray, dict]:
    """Inverse stereographic projection onto the sphere ``S^p`` (adds one coordinate)."""
    center = np.median(X, axis=0)
    Z = X - center
    r = np.linalg.norm(Z, axis=1)
    s = float(np.median(r)) or 1.0
    Z = Z / s
    r2 = np.sum(Z * Z, axis=1, keepdims=True)
    Y = np.hstack([2 * Z / (1 + r2), (r2 - 1) / (1 + r2)])
    return Y, {"kind": "sphere", "radius_scale": s}


def remeasure(X: np.ndarray, labels: np.ndarray, n_neighbors: int = 5,
              max_points: int = 20_000, seed: SeedLike = None) -> dict:
    """Empirical overlap on transformed points: linear-rule matrix and k-NN error.

    Above ``max_points`` rows the k-NN error is measured on a random subsample drawn
    with ``seed`` (see :func:`synthkit.seeding.as_generator`).
    """
    from sklearn.neighbors import KNeighborsClassifier

    emp = empirical_overlap_matrix(X, labels, direction="lda")
    n = X.shape[0]
    idx = np.arange(n)
    if n > max_points:
        idx = np.sort(as_generator(seed).choice(n, max_points, replace=False))
    n_neighbors = min(n_neighbors, idx.size - 1)  # tiny datasets: fewer neighbours than asked
    if n_neighbors < 1:
        return {"empirical_overlap": emp, "knn_error": float("nan"), "knn_neighbors": 0}
    knn = KNeighborsClassifier(n_neighbors=n_neighbors + 1).fit(X[idx], labels[idx])
    _, nb = knn.kneighbors(X[idx])
    votes = labels[idx][nb[:, 1:]]  # leave-one-out: drop the point itself
    k = int(labels.max()) + 1
    counts = np.apply_along_axis(np.bincount, 1, votes, minlength=k)
    pred = counts.argmax(1)
    return {"empirical_overlap": emp, "knn_error": float(np.mean(pred != labels[idx])),
            "knn_neighbors": n_neighbors}
