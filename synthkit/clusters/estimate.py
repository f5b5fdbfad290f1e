"""What an archetype controls, measured on a real labelled dataset.

:func:`estimate_archetype` measures, on a labelled table ``(X, labels)``, every quantity an
:class:`~synthkit.clusters.archetype.Archetype` controls and returns the archetype's
parameters with the per-cluster estimates behind them; :func:`archetype_params` returns the
parameters only (``Archetype(**archetype_params(X, labels))``).
:func:`synthkit.clusters.from_data.fit_archetype` wraps them with the archetype itself.
:class:`LabelledData` is how real labelled points are passed to :func:`synthkit.validate`.
This module does not import the samplers.

Method
------
For cluster ``c`` with ``n_c`` points, mean ``m_c`` and **sample covariance**
``S_c = sum (x - m_c)(x - m_c)' / (n_c - 1)`` (the unbiased estimator, ``ddof = 1``):

* axis lengths ``s_cl = sqrt(lambda_cl)``, the square roots of the eigenvalues of ``S_c``;
* radius ``r_c = (prod_l s_cl)^(1/p)`` (geometric mean of the axis standard deviations)
  and aspect ratio ``alpha_c = max_l s_cl / min_l s_cl``, the definitions of
  :mod:`synthkit.clusters.covariances` and :mod:`synthkit.validation.clusters`
  (:func:`cluster_shapes`);
* ``scale`` = geometric mean of the ``r_c``, ``radius_maxmin = max r / min r``,
  ``aspect_ref`` = geometric mean of the ``alpha_c``, ``aspect_maxmin = max alpha / min alpha``;
* ``imbalance_ratio = max n_c / min n_c``, ``n_samples = n``, ``n_clusters = k``, ``dim = p``;
* overlap: the exact linear minimax overlap of the estimated moments,
  ``overlap_matrix(m, S)`` (twice the minimax error of the best linear rule between
  ``N(m_i, S_i)`` and ``N(m_j, S_j)``, :mod:`synthkit.clusters.overlap`): ``max_overlap``
  is its largest pairwise entry, ``min_overlap`` the smallest over clusters of the
  nearest-neighbour overlap ``max_j O_cj``, ``avg_overlap`` the mean over the
  ``k (k - 1) / 2`` pairs, and ``packing`` is ``"dense"`` when more than half of the
  pairs overlap at least ``max_overlap / 10`` (most pairs close, as the dense start
  places them), else ``"sparse"`` (a few close pairs, the others far apart). The
  overlap measured on the points
  (:func:`~synthkit.clusters.overlap.empirical_overlap_matrix`) is kept beside it;
* family: a cluster is ``x = m + A z`` with iid coordinates ``z``. The points are put
  on their principal axes and standardised, ``u = (x - m_c) V_c diag(lambda_c)^(-1/2)``,
  and the pooled ``n_c p`` coordinates are tested for normality (Kolmogorov–Smirnov
  against the standard normal): ``normal`` is kept unless the test rejects it at level
  ``family_alpha`` (default 0.01; the test is conservative because the moments are
  estimated). Otherwise the coordinates are recovered by independent component analysis
  (scikit-learn's FastICA, unit-variance whitening, seeded from the data), which finds
  ``z`` up to order and sign even when ``A`` has equal axis lengths (where principal axes
  mix the coordinates); each component is standardised, its sign chosen so its skewness
  is >= 0 (the families are right-skewed or symmetric), and the family of
  :data:`~synthkit.clusters.distributions.FAMILIES` (default parameters, standardised as
  the sampler does) at the smallest KS distance is chosen. The normality test is run on
  the principal coordinates with their signs as they are: choosing each sign to make
  the skewness positive (needed only to compare with the right-skewed families) pushes
  the pooled coordinates of a normal cluster away from the normal (with it, clusters of
  the digits data were declared non-normal).
  ``distributions`` lists the families chosen, ``distribution_proportions`` their counts.

The archetype accepts ``0 < min_overlap < max_overlap < 1``. Clusters that do not overlap
numerically (exact overlap below :data:`OVERLAP_FLOOR` = 1e-6, e.g. ``q > 4.9`` standard
deviations) are floored at that value; ``max_overlap`` is capped at :data:`OVERLAP_CAP`
(0.9); when ``max_overlap < OVERLAP_SPREAD * min_overlap`` (always for two clusters,
where both are the one pairwise overlap) both are moved apart around their geometric
mean to the ratio ``OVERLAP_SPREAD`` (1.25); ``avg_overlap`` is kept in
``[OVERLAP_FLOOR, max_overlap / OVERLAP_SPREAD^(1/2)]``. The unclamped values are in
:attr:`ArchetypeFit.overlap_summary`.

The sample covariance is unbiased but its eigenvalues are spread out: with ``n_c`` points
in ``p`` dimensions the sample aspect ratio exceeds the population one on average (by a
few per cent when ``n_c >> p^2``, much more when ``n_c ~ p``), so the estimated
``aspect_ref`` is biased upward for small clusters; the estimate is what a user sees
in the data and is not corrected.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import DataError, SpecError
from ..seeding import as_generator, data_seed
from .distributions import FAMILIES, _scipy, _standardisation
from .overlap import empirical_overlap_matrix, overlap_matrix

__all__ = [
    "LabelledData",
    "OVERLAP_CAP",
    "OVERLAP_FLOOR",
    "OVERLAP_SPREAD",
    "archetype_params",
    "choose_family",
    "cluster_shapes",
    "estimate_archetype",
]

#: Smallest overlap written to an archetype (clusters that do not overlap numerically).
OVERLAP_FLOOR = 1e-6
#: Largest ``max_overlap`` written to an archetype.
OVERLAP_CAP = 0.9
#: Smallest ratio ``max_overlap / min_overlap`` written to an archetype.
OVERLAP_SPREAD = 1.25


def _as_matrix(X: Any) -> tuple[np.ndarray, list[str]]:
    """``X`` as a float (n, p) array and its column names; non-numeric columns raise."""
    if isinstance(X, pd.DataFrame):
        bad = [str(c) for c in X.columns
               if not (pd.api.types.is_numeric_dtype(X[c]) and not pd.api.types.is_bool_dtype(X[c]))]
        if bad:
            raise DataError(f"the feature columns must be numeric; {bad} are not (encode or drop them)")
        names = [str(c) for c in X.columns]
        arr = X.to_numpy(dtype=float, na_value=np.nan)
    else:
        arr = np.asarray(X)
        if arr.dtype.kind not in "iuf":
            raise DataError(f"`X` must hold numbers, got an array of dtype {arr.dtype}")
        arr = arr.astype(float)
        if arr.ndim == 1:
            arr = arr[:, None]
        names = [f"x{i}" for i in range(arr.shape[1])] if arr.ndim == 2 else []
    if arr.ndim != 2:
        raise DataError(f"`X` must be a 2-D table (n rows, p columns), got shape {arr.shape}")
    if arr.shape[1] == 0:
        raise DataError("`X` has no columns (p = 0): give at least one numeric feature")
    if not np.all(np.isfinite(arr)):
        rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))
        raise DataError(f"`X` has missing or infinite values in {rows.size} row(s) (first: row "
                        f"{int(rows[0])}); drop or impute them (synthkit.impute) first")
    return arr, names


def _as_labels(labels: Any, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Unique labels (sorted) and each row's index into them."""
    lab = labels.to_numpy() if isinstance(labels, (pd.Series, pd.Index)) else np.asarray(labels)
    if lab.ndim != 1:
        raise DataError(f"`labels` must be one label per row (1-D), got shape {lab.shape}")
    if lab.shape[0] != n:
        raise DataError(f"`labels` has {lab.shape[0]} entries but `X` has {n} rows: give one label "
                        "per row")
    if pd.isna(lab).any():
        raise DataError(f"`labels` has {int(pd.isna(lab).sum())} missing value(s): every row needs "
                        "a cluster label")
    try:
        uniq, inv = np.unique(lab, return_inverse=True)
    except TypeError:  # mixed label types: order by their text
        codes, uniq = pd.factorize(pd.Series(lab).astype(str), sort=True)
        uniq = np.asarray([lab[np.flatnonzero(codes == c)[0]] for c in range(len(uniq))], dtype=object)
        inv = codes
    return uniq, np.asarray(inv, dtype=np.int64).ravel()


@dataclass(frozen=True, eq=False, init=False)
class LabelledData:
    """Real labelled points: ``X`` (n, p) and one cluster label per row.

    The form in which :func:`synthkit.validate` takes a real labelled dataset (a
    :class:`~synthkit.clusters.archetype.ClusterDataset` is one too). ``X`` may be a
    DataFrame with numeric columns or an array; labels may be any hashable values and
    are stored as codes ``0..k-1`` in sorted order (``classes`` holds the values).

    Examples
    --------
    >>> d = LabelledData([[0.0, 1.0], [1.0, 0.0], [5.0, 5.0]], ["a", "a", "b"])
    >>> d.labels.tolist(), d.classes.tolist(), d.frame.columns.tolist()
    ([0, 0, 1], ['a', 'b'], ['x0', 'x1', 'label'])
    """

    X: np.ndarray
    labels: np.ndarray
    classes: np.ndarray
    feature_names: list[str]

    def __init__(self, X: Any, labels: Any):
        arr, names = _as_matrix(X)
        uniq, codes = _as_labels(labels, arr.shape[0])
        object.__setattr__(self, "X", arr)
        object.__setattr__(self, "labels", codes)
        object.__setattr__(self, "classes", uniq)
        object.__setattr__(self, "feature_names", names)

    def __len__(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_clusters(self) -> int:
        return int(self.classes.size)

    @property
    def frame(self) -> pd.DataFrame:
        """Features plus the integer ``label`` column."""
        f = pd.DataFrame(self.X, columns=self.feature_names)
        f["label"] = self.labels
        return f


def _named(codes: np.ndarray, classes: np.ndarray | None) -> list:
    """The labels of cluster ``codes`` as the user wrote them (the codes without ``classes``)."""
    return (codes if classes is None else np.asarray(classes)[codes]).tolist()


def cluster_shapes(X: np.ndarray, labels: np.ndarray, k: int | None = None,
                   classes: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Per-cluster sizes, means, sample covariances, axis lengths, radii and aspect ratios.

    ``labels`` are codes ``0..k-1`` (of ``classes``, the user's labels that errors name).
    Covariances use ``ddof = 1``; axis lengths are the
    square roots of their eigenvalues (largest first), the radius their geometric mean
    and the aspect ratio largest / smallest. Clusters with fewer than ``p + 1`` points or
    points in a lower-dimensional subspace raise :class:`~synthkit.errors.DataError`.

    Examples
    --------
    >>> X = np.array([[0.0, 0], [2, 0], [0, 1], [2, 1], [9, 9], [11, 9], [9, 10], [11, 10]])
    >>> s = cluster_shapes(X, np.repeat([0, 1], 4))
    >>> s["aspect"].round(6).tolist(), s["sizes"].tolist()
    ([2.0, 2.0], [4, 4])
    """
    X = np.asarray(X, dtype=float)
    labels = np.asarray(labels, dtype=np.int64)
    n, p = X.shape
    k = int(labels.max()) + 1 if k is None else int(k)
    sizes = np.bincount(labels, minlength=k)
    small = np.flatnonzero(sizes < p + 1)
    if small.size:
        raise DataError(f"cluster(s) {_named(small, classes)} have fewer than p + 1 = {p + 1} points "
                        f"(sizes {sizes[small].tolist()}): a p-dimensional covariance needs at "
                        "least p + 1 points; merge small clusters or reduce the columns (e.g. PCA)")
    means = np.zeros((k, p))
    np.add.at(means, labels, X)
    means /= sizes[:, None]
    D = X - means[labels]
    covs = np.zeros((k, p, p))
    np.add.at(covs, labels, D[:, :, None] * D[:, None, :])
    covs /= (sizes - 1)[:, None, None]
    ev = np.linalg.eigvalsh(covs)[:, ::-1]
    tiny = ev[:, 0] * 1e-12 * p
    degenerate = np.flatnonzero(ev[:, -1] <= np.maximum(tiny, 1e-300))
    if degenerate.size:
        raise DataError(f"cluster(s) {_named(degenerate, classes)} are degenerate: their points lie in a "
                        "lower-dimensional subspace (a constant or collinear column within the "
                        "cluster); drop such columns or reduce the dimension (e.g. PCA)")
    axes = np.sqrt(ev)
    return {
        "sizes": sizes,
        "means": means,
        "covariances": covs,
        "axes": axes,
        "radius": np.exp(np.mean(np.log(axes), axis=1)),
        "aspect": axes[:, 0] / axes[:, -1],
    }


@lru_cache(maxsize=64)
def _standard_cdf(name: str):
    """The CDF of family ``name`` (default parameters) standardised as the sampler does."""
    params = dict(FAMILIES[name])
    loc, scale, _ = _standardisation(name, tuple(sorted(params.items())))
    dist = _scipy(name, params)
    return lambda x: dist.cdf(loc + scale * np.asarray(x, dtype=float))


def _principal(Xc: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Points on their principal axes, standardised: ``(x - m) V diag(lambda)^(-1/2)``."""
    ev, vecs = np.linalg.eigh(cov)
    return (Xc - mean) @ vecs / np.sqrt(ev)


def _independent(Xc: np.ndarray, seed: int) -> np.ndarray:
    """Independent components of the points (FastICA), standardised, skewness made >= 0."""
    from sklearn.decomposition import FastICA

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # near-normal clusters: slow convergence is harmless here
        Z = FastICA(whiten="unit-variance", random_state=seed, max_iter=400,
                    tol=1e-3).fit_transform(Xc)
    Z = (Z - Z.mean(0)) / Z.std(0, ddof=1)
    return Z * np.where(stats.skew(Z, axis=0) < 0, -1.0, 1.0)


def choose_family(principal: np.ndarray, independent: np.ndarray | None = None,
                  family_alpha: float = 0.01) -> tuple[str, dict[str, float], np.ndarray]:
    """Family of a cluster from its standardised coordinates (see the module docstring).

    ``principal``: the points on their principal axes, standardised (tested for normality);
    ``independent``: its independent components (compared with every family when normality
    is rejected; default the principal coordinates with skewness made >= 0).

    Returns the family, the KS distance to every family and the coordinates compared.

    Examples
    --------
    >>> z = np.random.default_rng(0).standard_normal((300, 2))
    >>> choose_family(z)[0]
    'normal'
    """
    v = np.asarray(principal, dtype=float)
    test = stats.kstest(v.ravel(), _standard_cdf("normal"))
    if test.pvalue >= family_alpha:
        return "normal", {"normal": float(test.statistic)}, v
    if independent is None:
        independent = v * np.where(stats.skew(v, axis=0) < 0, -1.0, 1.0)
    w = np.asarray(independent, dtype=float).ravel()
    dist = {name: float(stats.kstest(w, _standard_cdf(name)).statistic) for name in FAMILIES}
    return min(dist, key=dist.get), dist, np.asarray(independent, dtype=float)


def _summarise(ov: np.ndarray) -> dict[str, float]:
    k = ov.shape[0]
    off = np.where(np.eye(k, dtype=bool), -np.inf, ov)
    iu = np.triu_indices(k, 1)
    top = float(ov[iu].max())
    return {"min_nn": float(off.max(axis=1).min()), "max": top,
            "mean": float(ov[iu].mean()),
            "near_max": float(np.mean(ov[iu] >= max(top, OVERLAP_FLOOR) / 10))}


def _clamped_overlaps(s: dict[str, float]) -> dict[str, float]:
    lo = max(s["min_nn"], OVERLAP_FLOOR)
    hi = min(max(s["max"], OVERLAP_FLOOR), OVERLAP_CAP)
    lo = min(lo, hi)
    if hi < OVERLAP_SPREAD * lo:
        g = math.sqrt(lo * hi)
        lo, hi = g / math.sqrt(OVERLAP_SPREAD), g * math.sqrt(OVERLAP_SPREAD)
        if hi > OVERLAP_CAP:
            lo, hi = lo * OVERLAP_CAP / hi, OVERLAP_CAP
    avg = min(max(s["mean"], OVERLAP_FLOOR), hi / math.sqrt(OVERLAP_SPREAD))
    packing = "dense" if s["near_max"] > 0.5 else "sparse"
    return {"min_overlap": lo, "max_overlap": hi, "avg_overlap": avg, "packing": packing}


def estimate_archetype(X: Any, labels: Any = None, *, name: str | None = None,
                       family_alpha: float = 0.01) -> tuple[dict[str, Any], dict[str, Any]]:
    """Estimate the archetype's parameters and the per-cluster quantities behind them.

    Parameters
    ----------
    X : array_like (n, p) or DataFrame
        Numeric features (no missing or infinite values).
    labels : array_like (n,)
        Any hashable cluster labels; at least two distinct, each with ``>= p + 1`` points.
        Omitted when ``X`` is a labelled dataset (:class:`LabelledData`, a
        :class:`~synthkit.clusters.archetype.ClusterDataset`: anything with ``X`` and ``labels``).
    name : str, optional
        Name of the archetype (default ``"fitted to k clusters in p dimensions"``).
    family_alpha : float
        Level of the KS test that must reject ``normal`` before another family is chosen.

    Returns
    -------
    params : dict
        Keyword arguments of :class:`~synthkit.clusters.archetype.Archetype` (clamped as in
        the module docstring).
    estimates : dict
        ``clusters`` (DataFrame, one row per cluster: ``size``, ``share``, ``radius``,
        ``aspect``, ``family``, ``skewness`` and ``excess_kurtosis`` of the coordinates the
        family was chosen on, ``nn_overlap``), ``overlap`` and ``empirical_overlap``
        (labelled (k, k) DataFrames), ``means``, ``covariances``, ``overlap_summary``
        (unclamped ``min_nn``, ``max``, ``mean`` of both) and ``family_distances``.

    Raises
    ------
    DataError
        Labels not one per row, one cluster, a cluster with fewer than ``p + 1`` points or
        degenerate, missing or infinite values, non-numeric columns, no columns.
    SpecError
        ``family_alpha`` outside (0, 1).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> iris = load_iris()
    >>> params, est = estimate_archetype(iris.data, iris.target)
    >>> params["n_clusters"], params["dim"], round(params["max_overlap"], 3)
    (3, 4, 0.059)
    """
    if not (isinstance(family_alpha, (int, float)) and 0 < family_alpha < 1):
        raise SpecError(f"`family_alpha` must be in (0, 1), got {family_alpha!r}")
    if labels is None and hasattr(X, "X") and hasattr(X, "labels"):
        X, labels = X.X, X.labels
    if labels is None:
        raise DataError("`labels` is missing: give one cluster label per row of `X`")
    data = LabelledData(X, labels)
    Xa, lab, classes = data.X, data.labels, data.classes
    n, p = Xa.shape
    k = classes.size
    if k < 2:
        raise DataError(f"the labels name only {k} cluster ({classes.tolist()!r}): an archetype "
                        "describes several clusters and their overlap; give at least two")
    sh = cluster_shapes(Xa, lab, k, classes)
    ov = overlap_matrix(sh["means"], sh["covariances"])
    emp = empirical_overlap_matrix(Xa, lab)
    seed = int(as_generator(data_seed(Xa, lab, salt="cluster families")).integers(2**31 - 1))
    fams, dists, pooled = [], [], []
    for c in range(k):
        Xc = Xa[lab == c]
        z = _principal(Xc, sh["means"][c], sh["covariances"][c])
        fam, d, used = choose_family(z, None, family_alpha)
        if fam != "normal":
            fam, d, used = choose_family(z, _independent(Xc, seed), family_alpha)
        fams.append(fam)
        dists.append(d)
        pooled.append(used.ravel())
    radius, aspect, sizes = sh["radius"], sh["aspect"], sh["sizes"]
    off = np.where(np.eye(k, dtype=bool), -np.inf, ov)
    idx = pd.Index(classes, name="label")
    clusters = pd.DataFrame({
        "size": sizes,
        "share": sizes / n,
        "radius": radius,
        "aspect": aspect,
        "family": fams,
        "skewness": [float(stats.skew(v)) for v in pooled],
        "excess_kurtosis": [float(stats.kurtosis(v)) for v in pooled],
        "nn_overlap": off.max(axis=1),
    }, index=idx)
    families = list(dict.fromkeys(fams))
    counts = [fams.count(f) for f in families]
    summary = {"exact": _summarise(ov), "empirical": _summarise(emp)}
    params: dict[str, Any] = {
        "n_clusters": int(k),
        "dim": int(p),
        "n_samples": int(n),
        "aspect_ref": float(np.exp(np.mean(np.log(aspect)))),
        "aspect_maxmin": float(aspect.max() / aspect.min()),
        "radius_maxmin": float(radius.max() / radius.min()),
        "scale": float(np.exp(np.mean(np.log(radius)))),
        "imbalance_ratio": float(sizes.max() / sizes.min()),
        **_clamped_overlaps(summary["exact"]),
        "distributions": families,
        "distribution_proportions": [c / k for c in counts],
        "name": name if name is not None else f"fitted to {k} clusters in {p} dimensions",
    }
    if p == 1:
        params["aspect_ref"] = params["aspect_maxmin"] = 1.0
    return params, {
        "clusters": clusters,
        "overlap": pd.DataFrame(ov, index=idx, columns=idx),
        "empirical_overlap": pd.DataFrame(emp, index=idx, columns=idx),
        "means": sh["means"],
        "covariances": sh["covariances"],
        "overlap_summary": summary,
        "family_distances": pd.DataFrame(dists, index=idx),
    }


def archetype_params(X: Any, labels: Any = None, *, name: str | None = None,
                     family_alpha: float = 0.01, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments of the archetype estimated from ``(X, labels)``, with ``overrides``
    applied (see :func:`estimate_archetype`).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> iris = load_iris()
    >>> archetype_params(iris.data, iris.target, n_samples=300)["n_samples"]
    300
    """
    params, _ = estimate_archetype(X, labels, name=name, family_alpha=family_alpha)
    params.update(overrides)
    return params


