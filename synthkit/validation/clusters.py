"""Cluster checks: requested archetype vs what a labelled dataset achieved.

Called by :func:`synthkit.validate` when the reference has ``max_overlap`` (an
archetype) and the dataset has ``labels``. Works on attributes only (duck
typing): the reference needs ``min_overlap``, ``max_overlap``, ``n_clusters``,
``imbalance_ratio`` and optionally ``aspect_ref``, ``aspect_maxmin``,
``radius_maxmin``, ``scale``, ``n_samples``, ``dim``; the dataset needs ``X``
and ``labels`` and optionally ``mixture`` (``centers``, ``factors`` or
``covariances``), ``achieved_overlap`` and ``placement``. Without a mixture the
requested-vs-achieved overlap is measured from the points only. This module
imports no cluster sampler, only :mod:`synthkit.clusters.overlap`.

Rows (section ``"clusters"``)
------------------------------
* ``max_overlap_achieved`` / ``min_nn_overlap_achieved``: overlap of the mixture
  (exact for pairs of normal clusters; otherwise twice the minimax error of the best
  linear rule found, a Monte Carlo estimate) against the requested bounds (pass/fail);
* ``overlap_exact`` and ``overlap_empirical`` per pair (all pairs when
  ``k <= 12``, otherwise each cluster's nearest neighbour and every violating
  pair): the empirical value is twice the minimax error of a linear rule fitted
  on the points and must agree with the exact one within
  ``overlap_abs_diff`` + 3 binomial standard errors;
* ``n_samples``, ``n_clusters``, ``dim``: exact matches;
* ``imbalance_ratio``: achieved max/min cluster size vs requested (relative
  tolerance ``imbalance_rel_tol`` (default 0.05) plus the integer rounding);
* ``aspect_ref``, ``aspect_maxmin``, ``radius_maxmin``, ``scale``: from the
  mixture's axis lengths (singular values of the factors), relative tolerance
  ``shape_rel_tol`` (default 1e-6; ``aspect_ref`` may be raised by the
  documented shift that keeps aspect ratios >= 1, reported as informational);
* ``sample_aspect_median`` / ``sample_radius_ratio``: the same measured on
  the points (informational);
* ``certified``: the placement certificate (pass/fail, when present).
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from ..clusters.overlap import TIGHT_FRACTION, empirical_overlap_matrix, overlap_matrix
from ..errors import DataError
from ..seeding import as_generator, data_seed
from .checks import Check

__all__ = ["cluster_checks", "cluster_figures"]

_SECTION = "clusters"
_PER_PAIR_ALL = 12
_AVG_RTOL = 0.05  # the average-overlap promise
_NN_RTOL = 0.1  # the nearest-neighbour target's promise
_KIND = (" (exact for normal clusters; other families: best linear rule found, "
         "Monte Carlo estimate)")
_BAYES = " (Bayes overlap: error of the optimal quadratic rule, exact)"


def _get(obj, name, default=None):
    return getattr(obj, name, default)


def _achieved(dataset) -> np.ndarray | None:
    ov = _get(dataset, "achieved_overlap")
    if ov is not None:
        return np.asarray(ov, dtype=float)
    mix = _get(dataset, "mixture")
    if mix is None:
        return None
    covs = _get(mix, "covariances")
    if covs is None:
        return None
    return overlap_matrix(np.asarray(mix.centers), np.asarray(covs))


def _empirical_bayes(dataset, X, labels) -> np.ndarray:
    """Empirical Bayes overlap: the two error rates of the mixture's own quadratic rule
    (equal weights, ties to the lower label) measured on each pair's points."""
    mix = dataset.mixture
    means, covs = np.asarray(mix.centers, float), np.asarray(mix.covariances, float)
    k = means.shape[0]
    L = np.linalg.cholesky(covs)
    logdet = 2 * np.sum(np.log(np.diagonal(L, axis1=1, axis2=2)), axis=1)
    out = np.zeros((k, k))
    for i in range(k):  # the points of cluster i under every cluster's density: (n_i, k)
        Xi = X[labels == i]
        if not len(Xi):
            continue
        logd = np.stack([-0.5 * (np.sum(np.linalg.solve(L[c], (Xi - means[c]).T) ** 2, axis=0)
                                 + logdet[c]) for c in range(k)], axis=1)
        own = logd[:, i][:, None]
        wrong = np.where(np.arange(k) < i, logd >= own, logd > own)  # ties go to the lower label
        out[i] += wrong.mean(axis=0)
    out = out + out.T
    np.fill_diagonal(out, 0.0)
    return out


def _empirical(dataset, X, labels) -> np.ndarray:
    """The dataset's own (cached) empirical overlap when it offers one, else computed here."""
    fn = _get(dataset, "empirical_overlap")
    if callable(fn):
        try:
            return np.asarray(fn(), dtype=float)
        except TypeError:
            pass
    return empirical_overlap_matrix(X, labels)


def _axis_lengths(dataset) -> np.ndarray | None:
    mix = _get(dataset, "mixture")
    if mix is None:
        return None
    f = _get(mix, "factors")
    if f is not None:
        return np.linalg.svd(np.asarray(f, dtype=float), compute_uv=False)
    covs = _get(mix, "covariances")
    if covs is None:
        return None
    return np.sqrt(np.clip(np.linalg.eigvalsh(np.asarray(covs, float))[:, ::-1], 0, None))


def cluster_checks(archetype, dataset, thresholds: dict | None = None) -> list[Check]:
    """Compare a labelled dataset with the archetype it claims to follow.

    Parameters
    ----------
    archetype : Archetype-like
        Has ``min_overlap``, ``max_overlap``, ``n_clusters``, ``imbalance_ratio`` ...
    dataset : ClusterDataset-like
        Has ``X`` (n, p) and ``labels`` (n,); ``mixture`` and ``achieved_overlap``
        if available.
    thresholds : dict, optional
        ``overlap_abs_diff`` (default 0.05), ``imbalance_rel_tol`` (0.05),
        ``shape_rel_tol`` (1e-6), ``overlap_rel_tol`` (1e-9, slack on the bounds).

    Returns
    -------
    list of Check

    Examples
    --------
    >>> import synthkit
    >>> arch = synthkit.Archetype(n_clusters=3, dim=2, n_samples=300)
    >>> rows = cluster_checks(arch, arch.sample(seed=0))
    >>> all(r.passed for r in rows if r.statistic == "max_overlap_achieved")
    True
    """
    thr = dict(thresholds or {})
    tol_emp = float(thr.get("overlap_abs_diff", 0.05))
    tol_imb = float(thr.get("imbalance_rel_tol", 0.05))
    tol_shape = float(thr.get("shape_rel_tol", 1e-6))
    slack = float(thr.get("overlap_rel_tol", 1e-9))
    X = np.asarray(dataset.X, dtype=float)
    labels = np.asarray(dataset.labels).astype(int)
    if X.ndim != 2 or labels.shape != (X.shape[0],) or (labels.size and labels.min() < 0):
        raise DataError(f"the dataset needs `X` of shape (n, p) and integer `labels` >= 0 of "
                        f"shape (n,), got {X.shape} and {labels.shape}")
    n, p = X.shape
    k_req = int(archetype.n_clusters)
    lo, hi = float(archetype.min_overlap), float(archetype.max_overlap)
    out: list[Check] = []
    counts = np.bincount(labels, minlength=k_req)
    k = counts.size

    def add(stat, cols, value, threshold=None, passed=None, detail=""):
        out.append(Check(_SECTION, stat, cols, float(value), None if threshold is None
                         else float(threshold), None if passed is None else bool(passed), detail))

    add("n_clusters", "*", k, k_req, k == k_req, "distinct labels vs requested n_clusters")
    if _get(archetype, "n_samples") is not None:
        add("n_samples", "*", n, archetype.n_samples, n == int(archetype.n_samples),
            "rows vs requested n_samples")
    if _get(archetype, "dim") is not None and _get(archetype, "nonconvex") != "sphere":
        add("dim", "*", p, archetype.dim, p == int(archetype.dim), "columns vs requested dim")

    # ---- overlap: exact (mixture) and empirical (points)
    ach = _achieved(dataset)
    bayes = _get(archetype, "overlap", "linear") == "bayes" and _get(dataset, "mixture") is not None
    kind = _BAYES if bayes else _KIND
    if k < 2:
        emp = np.zeros((1, 1))
    else:
        emp = _empirical_bayes(dataset, X, labels) if bayes else _empirical(dataset, X, labels)
    if ach is not None and k > 1:
        off = ach + np.diag(np.full(k, -np.inf))
        mx = float(off.max())
        nn = off.max(axis=1)
        add("max_overlap_achieved", "*", mx, hi, mx <= hi * (1 + slack),
            "largest pairwise overlap <= max_overlap" + kind)
        add("min_nn_overlap_achieved", "*", float(nn.min()), lo, nn.min() >= lo * (1 - slack),
            "smallest nearest-neighbour overlap >= min_overlap" + kind)
        avg = _get(archetype, "avg_overlap")
        target = _get(archetype, "nn_overlap")
        mean = float(ach[np.triu_indices(k, 1)].mean())
        if target is not None:
            rel = nn / target
            spread = float(np.max(np.abs(rel - 1)))
            add("nn_overlap_spread", "*", spread, _NN_RTOL, spread <= _NN_RTOL + slack,
                f"largest |nearest-neighbour overlap / nn_overlap - 1| (min {rel.min():.3f}, "
                f"median {np.median(rel):.3f}, max {rel.max():.3f})" + kind)
        elif avg is not None:
            add("avg_overlap_achieved", "*", mean, avg, abs(mean / avg - 1) <= _AVG_RTOL,
                f"mean pairwise overlap within {_AVG_RTOL:.0%} of avg_overlap" + kind)
        else:
            tight = mx >= TIGHT_FRACTION * hi * (1 - slack)
            add("max_overlap_tightness", "*", mx / hi, TIGHT_FRACTION, tight,
                f"largest pairwise overlap / max_overlap >= {TIGHT_FRACTION:g} (the closest pair sits in "
                "[0.9 max_overlap, max_overlap])")
    if k > 1:
        if k <= _PER_PAIR_ALL:
            I, J = np.triu_indices(k, 1)
        else:
            src = ach if ach is not None else emp
            off = src + np.diag(np.full(k, -np.inf))
            nb = off.argmax(axis=1)
            pairs = {tuple(sorted((i, int(nb[i])))) for i in range(k)}
            if ach is not None:
                vi, vj = np.nonzero(np.triu(ach, 1) > hi * (1 + slack))
                pairs |= set(zip(vi.tolist(), vj.tolist(), strict=True))
            pairs = sorted(pairs)
            I = np.array([a for a, _ in pairs], int)
            J = np.array([b for _, b in pairs], int)
        for i, j in zip(I, J, strict=True):
            cols = f"clusters {i}-{j}"
            e = emp[i, j]
            if ach is not None:
                a = ach[i, j]
                add("overlap_exact", cols, a, hi, a <= hi * (1 + slack),
                    "pairwise overlap <= max_overlap" + kind)
                ni, nj = counts[i], counts[j]
                half = max(a / 2, 1e-12)
                se = 2 * math.sqrt(half * (1 - half) * (1 / max(ni, 1) + 1 / max(nj, 1)) / 2)
                allow = tol_emp + 3 * se
                add("overlap_empirical", cols, e, allow, abs(e - a) <= allow or np.isnan(e),
                    f"|empirical - exact| <= {tol_emp:g} + 3 SE ({3 * se:.3g}); exact={a:.4g}")
            else:
                add("overlap_empirical", cols, e, hi, e <= hi + tol_emp,
                    "empirical linear-rule overlap (no mixture to compare with)")
        if np.any(np.isfinite(emp)):
            add("max_overlap_empirical", "*", float(np.nanmax(emp)), None, None,
                "largest empirical linear-rule overlap on the points")

    # ---- sizes
    if k > 1 and counts.min() > 0:
        ratio = counts.max() / counts.min()
        req = float(archetype.imbalance_ratio)
        rounding = 1.0 / counts.min() + 1.0 / max(counts.max(), 1)
        ok = abs(math.log(ratio / req)) <= math.log1p(tol_imb) + rounding
        add("imbalance_ratio", "*", ratio, req, ok,
            f"max/min cluster size vs requested (rel. tol {tol_imb:g} + rounding {rounding:.3g})")
    # ---- shapes from the mixture
    axes = _axis_lengths(dataset)
    if axes is not None and k > 0:
        radii = np.exp(np.mean(np.log(axes), axis=1))
        aspects = axes.max(1) / axes.min(1)
        if k > 1 and _get(archetype, "radius_maxmin") is not None:
            r = radii.max() / radii.min()
            req = float(archetype.radius_maxmin)
            add("radius_maxmin", "*", r, req, abs(r / req - 1) <= tol_shape,
                "largest / smallest cluster radius (geometric mean of axis sds)")
        if _get(archetype, "scale") is not None:
            g = float(np.exp(np.mean(np.log(radii))))
            req = float(archetype.scale)
            add("scale", "*", g, req, abs(g / req - 1) <= tol_shape,
                "geometric mean of the cluster radii")
        if p > 1 and k > 1 and _get(archetype, "aspect_maxmin") is not None:
            r = aspects.max() / aspects.min()
            req = float(archetype.aspect_maxmin)
            add("aspect_maxmin", "*", r, req, abs(r / req - 1) <= tol_shape,
                "largest / smallest aspect ratio")
        if p > 1 and _get(archetype, "aspect_ref") is not None:
            g = float(np.exp(np.mean(np.log(aspects))))
            req = float(archetype.aspect_ref)
            shifted = g > req * (1 + tol_shape)
            add("aspect_ref", "*", g, req, None if shifted else abs(g / req - 1) <= tol_shape,
                "geometric mean aspect ratio" + (
                    " (raised so that every aspect ratio is >= 1)" if shifted else ""))
    # ---- shapes measured on the points (informational)
    if p > 1 and k > 0:
        asp, rad = [], []
        for c in range(k):
            pts = X[labels == c]
            if len(pts) > p:
                ev = np.clip(np.linalg.eigvalsh(np.cov(pts, rowvar=False)), 1e-300, None)
                asp.append(math.sqrt(ev[-1] / ev[0]))
                rad.append(math.exp(0.5 * np.mean(np.log(ev))))  # geometric mean of the sds
        if asp:
            add("sample_aspect_median", "*", float(np.median(asp)), None, None,
                "median over clusters of the sample aspect ratio (noisy when n_c ~ p)")
        if len(rad) > 1:
            add("sample_radius_ratio", "*", max(rad) / min(rad), None, None,
                "largest / smallest sample radius")
    placement = _get(dataset, "placement")
    if isinstance(placement, dict) and "certified" in placement:
        add("certified", "*", float(bool(placement["certified"])), 1.0,
            bool(placement["certified"]), str(placement.get("message", "")))
    nonconvex = _get(dataset, "nonconvex")
    if isinstance(nonconvex, dict) and "knn_error" in nonconvex:
        add("knn_error_after_transform", "*", nonconvex["knn_error"], None, None,
            f"leave-one-out {nonconvex.get('knn_neighbors', 5)}-NN error after "
            f"'{nonconvex.get('kind')}'")
    return out


def _pca2(X: np.ndarray) -> tuple[np.ndarray, str]:
    if X.shape[1] <= 2:
        Y = X if X.shape[1] == 2 else np.hstack([X, np.zeros((len(X), 1))])
        return Y, ""
    Z = X - X.mean(0)
    _, s, Vt = np.linalg.svd(Z, full_matrices=False)
    share = (s[:2] ** 2).sum() / (s**2).sum()
    return Z @ Vt[:2].T, f" (PCA, {100 * share:.0f}% of variance)"


def cluster_figures(archetype, dataset) -> list[tuple[str, object]]:
    """Figures: points coloured by label (PCA to 2-D when p > 2) and requested-vs-achieved overlap.

    Returns
    -------
    list of (title, matplotlib.figure.Figure)
    """
    from matplotlib.figure import Figure

    X = np.asarray(dataset.X, dtype=float)
    labels = np.asarray(dataset.labels).astype(int)
    figs = []
    idx = np.arange(len(X))
    if len(idx) > 20_000:  # plotted subsample: the same points for the same dataset
        rng = as_generator(data_seed(X, labels, salt="cluster scatter"))
        idx = np.sort(rng.choice(len(X), 20_000, replace=False))
    Y, note = _pca2(X[idx])
    fig = Figure(figsize=(6, 5), layout="constrained")
    ax = fig.add_subplot()
    n_labels = int(labels.max()) + 1 if labels.size else 1
    palette = 10 if n_labels <= 10 else 20  # one colour per label up to 20 (tab10 / tab20)
    points = ax.scatter(Y[:, 0], Y[:, 1], c=labels[idx], cmap=f"tab{palette}", vmin=-0.5,
                        vmax=palette - 0.5, s=6, alpha=0.7, linewidths=0)
    if n_labels <= 20:
        ax.legend(*points.legend_elements(), title="label", fontsize=7, title_fontsize=7,
                  loc="best", framealpha=0.8)
    title = f"{getattr(archetype, 'name', 'clusters')}: points by label{note}"
    ax.set_title(textwrap.fill(title, 70), fontsize=9)
    ax.set_xlabel("PC1" if note else "x0")
    ax.set_ylabel("PC2" if note else "x1")
    figs.append(("cluster scatter", fig))

    k = int(labels.max()) + 1 if labels.size else 0
    if k > 1:
        ach = _achieved(dataset)
        emp = _empirical(dataset, X, labels)
        fig = Figure(figsize=(11, 4.5))
        ax1 = fig.add_subplot(1, 2, 1)
        mat = ach if ach is not None else emp
        im = ax1.imshow(mat, cmap="viridis", vmin=0, vmax=max(float(archetype.max_overlap),
                                                              float(np.nanmax(mat))))
        fig.colorbar(im, ax=ax1, fraction=0.046)
        ax1.set_title(("exact" if ach is not None else "empirical") + " overlap matrix "
                      f"(requested max {archetype.max_overlap:g})", fontsize=9)
        ax1.set_xlabel("cluster")
        ax1.set_ylabel("cluster")
        ax2 = fig.add_subplot(1, 2, 2)
        I, J = np.triu_indices(k, 1)
        if ach is not None:
            top = max(float(np.nanmax(ach[I, J])), float(np.nanmax(emp[I, J])),
                      float(archetype.max_overlap)) * 1.1
            # one misclassified point of the smallest cluster: the empirical overlap's resolution
            step = 1.0 / max(int(np.bincount(labels, minlength=k).min()), 1)
            ax2.axhspan(0, min(step, top), color="0.9", lw=0)
            if step < top:
                ax2.text(top * 0.98, step, "one point of the smallest cluster", ha="right",
                         va="bottom", fontsize=7, color="0.4")
            else:
                ax2.text(top * 0.98, top * 0.5, "below one point of the smallest cluster:\n"
                         "the points cannot show these overlaps", ha="right", va="center",
                         fontsize=7, color="0.4")
            ax2.scatter(ach[I, J], emp[I, J], s=10, zorder=3)
            ax2.plot([0, top], [0, top], color="grey", lw=0.8)
            ax2.set_xlim(-0.02 * top, top)
            ax2.set_ylim(-0.02 * top, top)
            ax2.set_xlabel("exact overlap (mixture)")
            ax2.set_ylabel("empirical overlap (points)")
        else:
            ax2.hist(emp[I, J], bins=30)
            ax2.set_xlabel("empirical overlap")
        for v, lab in ((archetype.min_overlap, "min"), (archetype.max_overlap, "max")):
            ax2.axvline(v, color="red", ls="--", lw=0.8)
            ax2.text(v, ax2.get_ylim()[1] * 0.95, f" {lab}", color="red", fontsize=8)
        ax2.set_title("requested bounds vs achieved, per pair", fontsize=9)
        fig.tight_layout()
        figs.append(("overlap requested vs achieved", fig))
    return figs
