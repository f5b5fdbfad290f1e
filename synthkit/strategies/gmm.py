"""Gaussian-mixture synthesis: the table's clusters as a mixture of normals over its latent scores."""

from __future__ import annotations

import warnings
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from scipy import special

from .._threads import limit_threads
from ..dependence.copula import _psd_factor, check_gibbs_sweeps, clip_uniform, truncated_normal
from ..dependence.latent import bvn_cdf
from ..dependence.tabular import frame_to_intervals
from ..errors import FitError, ModelFileError, SpecError
from ._latent import LatentTable
from ._state import FittedDependence
from .base import Strategy
from .registry import register_strategy

__all__ = ["GMM", "MAX_COMPONENTS", "mixture_cdf", "mixture_ppf"]

#: Most mixture components a model may hold (fit and model documents).
MAX_COMPONENTS = 100
#: Covariance structures of the components (scikit-learn's ``covariance_type``); ``"auto"``
#: chooses among them by BIC.
COVARIANCE_TYPES = ("full", "tied", "diag")
#: Smallest atom probability of a label-like column (entered at its atoms' centres).
LABEL_ATOM = 0.05
#: Components tried by the BIC search when ``max_components`` is not given.
DEFAULT_MAX_COMPONENTS = 10
#: Largest magnitude of a component mean / variance read from a model document (latent scores
#: are normal scores, a few units wide).
_MEAN_CAP, _VAR_CAP = 1e3, 1e6
#: Knots of the table of a nullable column's observed-value calibration.
_CALIBRATION_KNOTS = 2001
_LOG_TINY = -1e300
#: Upper tail below which the mixture CDF is summed from the components' upper tails.
_TAIL = 1e-3
#: Replicates of the GHK simulator of a component's box probability (three or more intervals).
GHK_REPLICATES = 32
#: Rows x replicates of one GHK evaluation (more replicates when there are few distinct rows).
GHK_BUDGET = 2**17


# ------------------------------------------------------------------ mixture marginals

def mixture_cdf(z: np.ndarray, weights: np.ndarray, means: np.ndarray, sds: np.ndarray) -> np.ndarray:
    """Marginal CDFs of a Gaussian mixture, dimension by dimension.

    ``G_j(z) = sum_k w_k Phi((z - mu_kj) / sigma_kj)`` for every column ``j`` of ``z``; the
    upper half is computed from the upper tails, so values near 1 keep their precision.

    Parameters
    ----------
    z : ndarray (n, D)
    weights : ndarray (K,)
    means, sds : ndarray (K, D)
        Component means and standard deviations (square roots of the covariance diagonals).

    Examples
    --------
    >>> w, mu, sd = np.array([0.5, 0.5]), np.array([[-1.0], [1.0]]), np.ones((2, 1))
    >>> float(mixture_cdf(np.zeros((1, 1)), w, mu, sd)[0, 0])
    0.5
    """
    z = np.asarray(z, dtype=float)
    lower = np.zeros(z.shape)
    for w, mu, sd in zip(weights, means, sds, strict=True):
        lower += w * special.ndtr((z - mu) / sd)
    top = lower > 1.0 - _TAIL  # 1 - lower loses digits there: sum the upper tails instead
    if top.any():
        rows, cols = np.nonzero(top)
        upper = np.zeros(rows.size)
        for w, mu, sd in zip(weights, means, sds, strict=True):
            upper += w * special.ndtr((mu[cols] - z[rows, cols]) / sd[cols])
        lower[rows, cols] = 1.0 - upper
    return lower


def mixture_ppf(u: np.ndarray, weights: np.ndarray, means: np.ndarray, sds: np.ndarray, *,
                grid: int = 2049, iterations: int = 44) -> np.ndarray:
    """Inverse of :func:`mixture_cdf`, column by column (vectorised bisection).

    ``u`` is ``(n, D)``; 0 and 1 map to -inf and inf, NaN stays NaN. Each distinct value
    is bracketed on a grid of ``grid`` points over ``[min_k mu_kj - 40 sigma_kj,
    max_k mu_kj + 40 sigma_kj]``, then the bracket is halved ``iterations`` times
    (to ~1e-16 of the grid span: the double-precision root).

    Examples
    --------
    >>> w, mu, sd = np.array([0.3, 0.7]), np.array([[-2.0], [1.0]]), np.array([[0.5], [1.0]])
    >>> u = np.array([[0.1], [0.6]])
    >>> bool(np.allclose(mixture_cdf(mixture_ppf(u, w, mu, sd), w, mu, sd), u))
    True
    """
    u = np.asarray(u, dtype=float)
    out = np.full(u.shape, np.nan)
    for j in range(u.shape[1]):
        col = u[:, j]
        ok = ~np.isnan(col)
        if not ok.any():
            continue
        vals, inv = np.unique(col[ok], return_inverse=True)
        w, mu, sd = weights, means[:, [j]], sds[:, [j]]
        knots = np.linspace((mu - 40.0 * sd).min(), (mu + 40.0 * sd).max(), int(grid))
        g = mixture_cdf(knots[:, None], w, mu, sd)[:, 0]
        k = np.clip(np.searchsorted(g, vals, side="left"), 1, knots.size - 1)
        lo, hi = knots[k - 1], knots[k]
        for _ in range(int(iterations)):
            mid = 0.5 * (lo + hi)
            below = mixture_cdf(mid[:, None], w, mu, sd)[:, 0] < vals
            lo = np.where(below, mid, lo)
            hi = np.where(below, hi, mid)
        z = np.where(vals <= 0.0, -np.inf, np.where(vals >= 1.0, np.inf, 0.5 * (lo + hi)))
        out[ok, j] = z[np.asarray(inv).ravel()]
    return out


def _log_box(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``log(Phi(b) - Phi(a))`` for standardised bounds, stable in both tails."""
    flip = a > 0
    lo = np.where(flip, -b, a)
    hi = np.where(flip, -a, b)
    lb, la = special.log_ndtr(hi), special.log_ndtr(lo)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = lb + np.log1p(-np.exp(np.minimum(la - lb, 0.0)))
    return np.where(hi > lo, np.nan_to_num(out, nan=_LOG_TINY, neginf=_LOG_TINY), _LOG_TINY)


def _log_box_probability(lo: np.ndarray, hi: np.ndarray, mean: np.ndarray, cov: np.ndarray,
                         rng: np.random.Generator, replicates: int = GHK_REPLICATES) -> np.ndarray:
    """``log P(lo <= X <= hi)`` per row for ``X ~ N(mean_row, cov)``.

    Exact for one and two dimensions (the normal CDF; the bivariate normal CDF's rectangle
    ``F(b1, b2) - F(a1, b2) - F(b1, a2) + F(a1, a2)``); from three on, the GHK simulator
    (Geweke, Hajivassiliou, Keane): the mean over ``replicates`` sequential truncated
    draws along the Cholesky factor of ``prod_t [Phi(b_t') - Phi(a_t')]``, unbiased.
    """
    n, p = mean.shape
    sd = np.sqrt(np.diagonal(cov))
    a, b = (lo - mean) / sd, (hi - mean) / sd
    if p == 1:
        return _log_box(a[:, 0], b[:, 0])
    if p == 2:
        rho = float(np.clip(cov[0, 1] / (sd[0] * sd[1]), -1.0, 1.0))
        big = 40.0  # bvn_cdf takes finite limits best: 40 sd is infinity in double precision
        a, b = np.clip(a, -big, big), np.clip(b, -big, big)
        prob = (bvn_cdf(b[:, 0], b[:, 1], rho) - bvn_cdf(a[:, 0], b[:, 1], rho)
                - bvn_cdf(b[:, 0], a[:, 1], rho) + bvn_cdf(a[:, 0], a[:, 1], rho))
        with np.errstate(divide="ignore"):
            return np.maximum(np.log(np.maximum(prob, 0.0)), _LOG_TINY)
    chol = np.linalg.cholesky(cov)
    lo_r, hi_r = np.repeat(lo - mean, replicates, axis=0), np.repeat(hi - mean, replicates, axis=0)
    e = np.zeros((n * replicates, p))
    logp = np.zeros(n * replicates)
    for t in range(p):
        shift = e[:, :t] @ chol[t, :t]
        at, bt = (lo_r[:, t] - shift) / chol[t, t], (hi_r[:, t] - shift) / chol[t, t]
        logp += _log_box(at, bt)
        e[:, t] = truncated_normal(at, bt, rng)
    logp = logp.reshape(n, replicates)
    top = logp.max(axis=1, keepdims=True)
    return np.maximum(top[:, 0] + np.log(np.exp(logp - top).mean(axis=1)), _LOG_TINY)


def _draw_labels(logw: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One component per row from unnormalised log weights ``(n, K)`` (inverse CDF, one uniform a row)."""
    p = np.exp(logw - logw.max(axis=1, keepdims=True))
    c = np.cumsum(p, axis=1)
    v = rng.random(len(logw))[:, None] * c[:, -1:]
    return np.minimum((c < v).sum(axis=1), logw.shape[1] - 1)


def _gauss_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Row-wise ``log N(x; mean, cov)`` (``mean`` broadcast to ``x``)."""
    k = x.shape[1]
    if k == 0:
        return np.zeros(len(x))
    chol = np.linalg.cholesky(cov)
    r = np.linalg.solve(chol, (x - mean).T)
    return -0.5 * (r * r).sum(axis=0) - np.log(np.diag(chol)).sum() - 0.5 * k * np.log(2 * np.pi)


@register_strategy("gmm")
class GMM(LatentTable, Strategy):
    """Gaussian mixture over the latent table, with exact marginals (clusters as a synthesis engine).

    Fitting maps every column to its pseudo-observations ``u`` (its distributional
    transform, so categorical, boolean, integer and datetime columns take part; each
    column with nulls adds its missingness dimension, see
    :mod:`synthkit.strategies._latent`), takes them to a latent table (normal scores
    ``Phi^-1(u)``; continuous columns as their Yeo-Johnson-transformed values, which keep
    the gaps between clusters; label-like columns at their atoms' centres) and fits
    scikit-learn's ``GaussianMixture`` (full covariances by default; tied or diagonal
    ones, or the structure chosen by BIC with ``covariance_type="auto"``) to it, with the
    number of components ``K`` chosen by BIC over ``k = 1 .. max_components``.

    Sampling draws ``z`` from the mixture ``sum_k w_k N(mu_k, S_k)`` and maps each
    latent dimension through the mixture's own marginal CDF

        ``G_j(z) = sum_k w_k Phi((z - mu_kj) / sigma_kj)``,  ``sigma_kj = sqrt(S_k,jj)``,

    (exact, vectorised) to a uniform, then through the column model's inverse CDF. As
    ``G_j(Z_j)`` is exactly uniform, every column keeps its fitted marginal exactly while
    the joint keeps the clusters. A nullable column's value uniform is further mapped
    through its CDF over the rows where it is observed,
    ``H(v) = P(U_j <= v, U_m >= pi) / (1 - pi)``, computed exactly from the components'
    bivariate normal CDFs, so the observed values follow the marginal too.

    Conditional sampling (``sample(..., conditions=...)``, ``extend``, conditions tables,
    bound rules): each row's evidence is mapped to latent bounds through ``G_j^-1``
    (bisection). The conditional of a Gaussian mixture given point evidence ``x_E`` is a
    mixture of the components' conditional normals with posterior weights
    ``w_k N(x_E; mu_kE, S_kEE)``; interval evidence ``a <= z_I <= b`` multiplies them by
    the component's probability of the box, ``P_k(a <= z_I <= b | x_E)``: exact for one
    and two intervals (normal and bivariate normal CDFs), the unbiased GHK simulator from
    three on. Given its component, a row's single interval is drawn exactly from its
    truncated normal; several by a Gibbs sampler over the truncated normals that also
    redraws the component given them (``gibbs_sweeps`` sweeps). The free dimensions are
    then drawn exactly given the rest. Exact: point evidence and one interval; the rest
    up to the Gibbs chain's convergence.

    Fitted mode only (a mixture needs data).

    Parameters
    ----------
    n_components : int, optional
        Fix the number of components (no BIC search).
    max_components : int, optional
        Largest ``k`` of the BIC search (default ``min(10, rows)``); at most the rows.
    covariance_type : {"full", "tied", "diag", "auto"}
        The components' covariance structure (scikit-learn's ``covariance_type``); ``"auto"``
        chooses it by BIC with ``k``. Full covariances reproduce the pairwise dependence best
        (wine, iris); on wine ``"auto"`` keeps 4 tied components, whose rows sit farther from
        the real records.
    reg_covar : float
        Added to the diagonal of every component covariance (scikit-learn's ``reg_covar``).
    n_init : int
        EM initialisations per ``k`` (the best is kept).
    gibbs_sweeps : int
        Gibbs sweeps of conditional sampling with several interval constraints (at most
        1,000).
    threshold, strict, fit_seed
        Eigenvalue floor of the imputation that completes tables with nulls, refusal
        of constant columns, seed of the fit (tie breaks and scikit-learn's
        ``random_state``), as in :class:`~synthkit.strategies._correlated.CorrelatedStrategy`.
    **params
        The common :class:`~synthkit.strategies.base.Strategy` parameters. With
        ``privacy="standard"`` a number of components whose smallest one holds fewer
        than ``min_count`` rows (``n w_k``) is not chosen by the BIC search and is
        refused when given as ``n_components``: a component mean of a few rows would
        store them.

    Attributes
    ----------
    n_components_ : int
        ``K``.
    weights_, means_, covariances_ : ndarray
        ``(K,)``, ``(K, D)``, ``(K, D, D)`` over the ``D`` latent dimensions.
    covariance_type_ : str
        The chosen covariance structure.
    bic_ : DataFrame
        BIC per covariance structure and ``k`` tried, with the smallest component's rows and
        the chosen model marked (:meth:`plot_bic` draws it).

    Examples
    --------
    >>> import synthkit
    >>> from sklearn.datasets import load_iris
    >>> m = synthkit.fit(load_iris(as_frame=True).frame, strategy="gmm", max_components=3)
    >>> m.n_components_ in (1, 2, 3), m.sample(50, seed=0).frame.shape
    (True, (50, 5))
    """

    supports_conditions: ClassVar[bool] = True

    def __init__(
        self,
        *,
        n_components: int | None = None,
        max_components: int | None = None,
        covariance_type: str = "full",
        reg_covar: float = 1e-4,
        n_init: int = 1,
        gibbs_sweeps: int = 25,
        threshold: float = 1e-8,
        strict: bool = False,
        fit_seed: int = 0,
        **params: Any,
    ) -> None:
        super().__init__(**params)
        self.n_components = n_components
        self.max_components = max_components
        self.covariance_type = covariance_type
        self.reg_covar = reg_covar
        self.n_init = n_init
        self.gibbs_sweeps = gibbs_sweeps
        self.threshold = threshold
        self.strict = strict
        self.fit_seed = fit_seed

    # ------------------------------------------------------------ parameters
    def _validate_params(self) -> None:
        super()._validate_params()
        self._validate_latent_params()
        for name in ("n_components", "max_components"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, np.integer))
                                  or not 1 <= v <= MAX_COMPONENTS):
                raise SpecError(f"`{name}` must be None or an integer in [1, {MAX_COMPONENTS}], got {v!r}")
        if self.n_components is not None and self.max_components is not None:
            raise SpecError("give `n_components` (a fixed number of components) or `max_components` "
                            "(the largest of the BIC search), not both")
        if self.covariance_type not in ("auto",) + COVARIANCE_TYPES:
            raise SpecError(f"`covariance_type` must be 'auto' or one of {', '.join(COVARIANCE_TYPES)}, "
                            f"got {self.covariance_type!r}")
        r = self.reg_covar
        if isinstance(r, bool) or not isinstance(r, (int, float)) or not 0 < r <= 1:
            raise SpecError(f"`reg_covar` must be a number in (0, 1], got {r!r}")
        v = self.n_init
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
            raise SpecError(f"`n_init` must be a positive integer, got {v!r}")
        check_gibbs_sweeps(self.gibbs_sweeps)

    # ------------------------------------------------------------------- fit
    def _fit_uniforms(self, frame: pd.DataFrame) -> np.ndarray:
        """The latent table's pseudo-observations, label-like columns at their atoms' centres.

        A column whose every value is an atom of probability at least :data:`LABEL_ATOM`
        (categories, booleans, a few integer levels: a class) enters at the mean
        pseudo-observation of each atom instead of a random point inside it: the
        distributional transform's jitter would spread a class over its whole interval
        and blur the clusters it defines.
        """
        u = super()._fit_uniforms(frame)
        lo, hi, observed = frame_to_intervals(self.columns_, frame)
        width = np.where(observed, hi - lo, np.inf).min(axis=0, initial=np.inf)
        for j in np.flatnonzero(width >= LABEL_ATOM):
            rows = observed[:, j]
            _, atom = np.unique(lo[rows, j], return_inverse=True)
            atom = np.asarray(atom).ravel()
            centre = np.bincount(atom, weights=u[rows, j]) / np.bincount(atom)
            u[rows, j] = centre[atom]
        return u

    def _latent_scores(self, u: np.ndarray) -> np.ndarray:
        """The table the mixture is fitted on, from the pseudo-observations ``u``.

        Normal scores ``Phi^-1(u)``, except for continuous columns: their values
        ``F_j^-1(u)``, robustly standardised and Yeo-Johnson transformed (scikit-learn's
        ``PowerTransformer``). Normal scores would make each column's marginal normal and
        with it bend the clusters out of shape (a gap between two clusters is squeezed);
        the power transform only removes the skew. Sampling maps every dimension back
        through the mixture's own marginal CDF whatever the scale, so this choice shapes
        the clusters, never the marginals.
        """
        from sklearn.preprocessing import PowerTransformer

        z = special.ndtri(u)
        for j, cm in enumerate(self.columns_):
            if cm.coded or cm.marginal.discrete:
                continue
            x = np.asarray(cm.marginal.ppf(u[:, j]), dtype=float)
            q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75])
            scale = (q3 - q1) or float(np.std(x))
            if not (np.all(np.isfinite(x)) and scale > 0):
                continue
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                y = PowerTransformer().fit_transform(((x - med) / scale)[:, None])[:, 0]
            if np.all(np.isfinite(y)) and np.std(y) > 0:
                z[:, j] = y
        return z

    def _estimate(self, frame: pd.DataFrame) -> FittedDependence:
        from sklearn.exceptions import ConvergenceWarning
        from sklearn.mixture import GaussianMixture

        self._init_missing()
        n = len(frame)
        if n < 2:
            raise FitError(f"a Gaussian mixture needs at least 2 rows, the table has {n}; declare the "
                           "columns instead, or fit 'montecarlo'")
        for name in ("n_components", "max_components"):
            v = getattr(self, name)
            if v is not None and v > n:
                raise FitError(f"`{name}`={v} is more than the table's {n} rows: a mixture needs at "
                               f"least one row per component; use {name} <= {n}")
        u = self._fit_uniforms(frame)  # values, then missingness indicators (completed)
        self._constant_idx(frame)  # strict mode: refuse constant columns
        z = self._latent_scores(u)
        floor = self.min_count if self.privacy == "standard" else 1
        ks = [int(self.n_components)] if self.n_components is not None else \
            list(range(1, int(self.max_components or min(DEFAULT_MAX_COMPONENTS, n)) + 1))
        types = COVARIANCE_TYPES if self.covariance_type == "auto" else (self.covariance_type,)
        table, fits = [], {}
        for ctype in types:
            for k in ks:
                gm = GaussianMixture(k, covariance_type=ctype, reg_covar=float(self.reg_covar),
                                     n_init=int(self.n_init), random_state=int(self.fit_seed))
                # many small solves: native thread pools only slow them down (synthkit._threads)
                with warnings.catch_warnings(), limit_threads(1), limit_threads(1, "openmp"):
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    try:
                        gm.fit(z)
                    except ValueError as exc:  # ill-defined covariances despite reg_covar
                        raise FitError(f"the Gaussian mixture with {k} components could not be fitted "
                                       f"({exc}); raise `reg_covar` or lower the number of "
                                       "components") from None
                smallest = float(gm.weights_.min() * n)
                table.append({"covariance_type": ctype, "k": k, "bic": float(gm.bic(z)),
                              "smallest_component_rows": smallest,
                              "admissible": bool(smallest >= floor or k == 1)})
                fits[ctype, k] = gm
        admissible = [row for row in table if row["admissible"]]
        if not admissible:
            raise FitError(
                f"with n_components={ks[0]} the smallest mixture component holds "
                f"{min(row['smallest_component_rows'] for row in table):.1f} rows, fewer than "
                f"min_count={self.min_count} (it would store those rows): use fewer components, or "
                "privacy='off' for non-sensitive data")
        best = min(admissible, key=lambda row: row["bic"])
        for row in table:
            row["chosen"] = row is best
        gm = fits[best["covariance_type"], best["k"]]
        covs = _full_covariances(gm, z.shape[1])
        params = {"weights": np.asarray(gm.weights_, dtype=float),
                  "means": np.asarray(gm.means_, dtype=float), "covariances": covs, "bic": table}
        # informational: the normal-scores correlation of the latent table the mixture was fitted on
        with np.errstate(invalid="ignore", divide="ignore"):
            latent = np.nan_to_num(np.corrcoef(z, rowvar=False), nan=0.0).reshape(z.shape[1], z.shape[1])
        latent = 0.5 * (latent + latent.T)
        np.fill_diagonal(latent, 1.0)
        return FittedDependence(latent, "normal_scores", tuple(self.missing_columns_), params=params)

    def _declare(self) -> FittedDependence:
        raise SpecError("the 'gmm' strategy is fitted from data only; declare the table with "
                        "'gaussian_copula', 't_copula' or 'iman_conover', or fit a mixture on a sample")

    # ------------------------------------------------------------ accessors
    @property
    def n_components_(self) -> int:
        """The number of mixture components ``K``."""
        return int(len(self.dependence_.params["weights"]))

    @property
    def weights_(self) -> np.ndarray:
        """Component weights ``(K,)``."""
        return self.dependence_.params["weights"]

    @property
    def means_(self) -> np.ndarray:
        """Component means ``(K, D)`` over the latent dimensions (values, then missingness)."""
        return self.dependence_.params["means"]

    @property
    def covariances_(self) -> np.ndarray:
        """Component covariances ``(K, D, D)``."""
        return self.dependence_.params["covariances"]

    @property
    def covariance_type_(self) -> str:
        """The chosen covariance structure (``"full"``, ``"tied"`` or ``"diag"``)."""
        return str(next(row["covariance_type"] for row in self.dependence_.params["bic"] if row["chosen"]))

    @property
    def bic_(self) -> pd.DataFrame:
        """BIC per covariance structure and number of components tried.

        ``chosen`` marks the model kept; ``admissible`` is False where the smallest
        component holds fewer than ``min_count`` rows (``privacy="standard"``).
        """
        self._check_fitted()
        return pd.DataFrame(self.dependence_.params["bic"])

    def plot_bic(self):
        """The BIC against the number of components, one line per covariance structure, the chosen
        model marked (a matplotlib Figure)."""
        import matplotlib.pyplot as plt

        t = self.bic_
        fig, ax = plt.subplots(figsize=(6.5, 3.8))
        for c, (ctype, g) in enumerate(t.groupby("covariance_type", sort=False)):
            ax.plot(g["k"], g["bic"], "o-", color=f"C{c}", label=f"{ctype} covariances")
        bad = t[~t["admissible"]]
        if len(bad):
            ax.plot(bad["k"], bad["bic"], "x", color="k", ms=9,
                    label="not allowed: a component under min_count rows")
        best = t[t["chosen"]].iloc[0]
        ax.plot([best["k"]], [best["bic"]], "o", ms=13, mfc="none", mec="C3", mew=2,
                label=f"chosen: {int(best['k'])} components, {best['covariance_type']}")
        ax.set_xlabel("number of mixture components k")
        ax.set_ylabel("BIC (lower is better)")
        ax.set_title("Gaussian mixture: model chosen by BIC")
        ax.set_xticks(sorted(set(t["k"].astype(int))))
        ax.legend(frameon=False, fontsize="small")
        fig.tight_layout()
        return fig

    # ------------------------------------------------------------- sampling
    def _on_state(self) -> None:
        p = self.dependence_.params
        w = np.asarray(p["weights"], dtype=float)
        self._w = w / w.sum()
        self._mu = np.asarray(p["means"], dtype=float)
        self._cov = np.asarray(p["covariances"], dtype=float)
        self._sd = np.sqrt(np.diagonal(self._cov, axis1=1, axis2=2))
        self._chol = np.linalg.cholesky(self._cov)
        self.__dict__.pop("_gmm_calibration", None)

    def _marginal_uniforms(self, z: np.ndarray) -> np.ndarray:
        """``G_j(z_j)`` per latent dimension, calibrated, clipped into (0, 1)."""
        return self._calibrate(clip_uniform(mixture_cdf(z, self._w, self._mu, self._sd)))

    def _uniforms(self, n: int, rng: np.random.Generator) -> np.ndarray:
        labels = _draw_labels(np.broadcast_to(np.log(self._w), (n, len(self._w))), rng)
        eps = rng.standard_normal((n, self._mu.shape[1]))
        z = np.empty_like(eps)
        for k in range(len(self._w)):
            rows = labels == k
            z[rows] = self._mu[k] + eps[rows] @ self._chol[k].T
        return self._marginal_uniforms(z)

    # ---------------------------------------------------------- calibration
    def _calibration(self) -> dict[int, tuple[np.ndarray, np.ndarray]]:
        """Per nullable column, the table of ``H``: its value uniform's CDF over its observed rows.

        ``H(G_j(z)) = (G_j(z) - sum_k w_k Phi_2((z - mu_kj)/sigma_kj, (t - mu_km)/sigma_km;
        rho_k)) / (1 - pi)`` on a grid of ``z``, with ``m`` the column's missingness
        dimension, ``t = G_m^-1(pi)`` its threshold and ``rho_k`` the component's correlation
        of the two (the mixture analogue of
        :func:`~synthkit.dependence.latent.observed_value_cdf`).
        """
        cached = self.__dict__.get("_gmm_calibration")
        if cached is not None:
            return cached
        d = len(self.columns_)
        tables = {}
        for m, j in enumerate(self._missing_idx):
            y = d + m
            pi = float(self.columns_[j].column.null_fraction)
            t = float(mixture_ppf(np.array([[pi]]), self._w, self._mu[:, [y]], self._sd[:, [y]])[0, 0])
            zg = np.linspace((self._mu[:, j] - 12 * self._sd[:, j]).min(),
                             (self._mu[:, j] + 12 * self._sd[:, j]).max(), _CALIBRATION_KNOTS)
            ug = mixture_cdf(zg[:, None], self._w, self._mu[:, [j]], self._sd[:, [j]])[:, 0]
            joint = np.zeros_like(zg)
            for k, w in enumerate(self._w):
                rho = float(np.clip(self._cov[k, j, y] / (self._sd[k, j] * self._sd[k, y]), -1.0, 1.0))
                joint += w * bvn_cdf((zg - self._mu[k, j]) / self._sd[k, j],
                                     np.full(zg.shape, (t - self._mu[k, y]) / self._sd[k, y]), rho)
            g = np.maximum.accumulate(np.clip((ug - joint) / (1.0 - pi), 0.0, 1.0))
            tables[j] = (np.concatenate([[0.0], ug, [1.0]]), np.concatenate([[0.0], g, [1.0]]))
        self.__dict__["_gmm_calibration"] = tables
        return tables

    def _uncalibrate_array(self, j: int, v: np.ndarray) -> np.ndarray:
        table = self._calibration().get(j)
        if table is None:
            return v
        ug, gg = table
        return np.interp(v, gg, ug)

    # --------------------------------------------------- conditional sampling
    def _uniforms_given(self, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Uniforms ``(n, D)`` of rows drawn given each row's own box ``lo <= u <= hi``.

        ``lo``/``hi`` are on the scale of ``values_from_uniforms`` (NaN: unconstrained;
        ``lo == hi``: a point). The box is mapped to the latent scores (a nullable column's
        observed-value calibration undone, then ``G_j^-1``), each row is drawn from the
        mixture conditioned on its evidence (class docstring), and mapped back.
        """
        lo = np.array(lo, dtype=float)
        hi = np.array(hi, dtype=float)
        n, dims = lo.shape
        if dims != self._mu.shape[1] or hi.shape != lo.shape:
            raise SpecError(f"`lo` and `hi` must have shape (n, {self._mu.shape[1]}), got {lo.shape} "
                            f"and {hi.shape}")
        given = ~(np.isnan(lo) & np.isnan(hi))
        point = given & (lo == hi)
        lo_u, hi_u = np.where(np.isnan(lo), 0.0, lo), np.where(np.isnan(hi), 1.0, hi)
        if np.any(given & (lo_u > hi_u)):
            raise SpecError("an evidence interval is empty (lo > hi)")
        lat_lo, lat_hi = lo_u.copy(), hi_u.copy()
        for j in self._calibration():
            lat_lo[:, j] = self._uncalibrate_array(j, lo_u[:, j])
            lat_hi[:, j] = self._uncalibrate_array(j, hi_u[:, j])
        lat_lo = np.where(point, clip_uniform(lat_lo), np.where(given, lat_lo, np.nan))
        a = mixture_ppf(lat_lo, self._w, self._mu, self._sd)
        b = np.where(point, a, mixture_ppf(np.where(given & ~point, lat_hi, np.nan), self._w, self._mu,
                                           self._sd))
        a, b = np.where(given, a, -np.inf), np.where(given, b, np.inf)
        with limit_threads(1):
            z = self._sample_given(a, b, point, rng)
        u = self._marginal_uniforms(z)
        u = np.where(given, np.clip(u, lo_u, hi_u), u)
        return np.where(point, lo_u, u)

    def _sample_given(self, a: np.ndarray, b: np.ndarray, point: np.ndarray,
                      rng: np.random.Generator) -> np.ndarray:
        """Latent rows from the mixture given per-row bounds ``a <= z <= b`` (points where ``point``)."""
        n, dims = a.shape
        box = ~point & (np.isfinite(a) | np.isfinite(b))
        z = np.empty((n, dims))
        pattern = np.packbits(np.column_stack([point, box]), axis=1)
        _, group = np.unique(pattern, axis=0, return_inverse=True)
        group = np.asarray(group).ravel()
        for g in range(int(group.max()) + 1 if n else 0):  # one pass per evidence pattern, not per row
            rows = np.flatnonzero(group == g)
            e = np.flatnonzero(point[rows[0]])
            i = np.flatnonzero(box[rows[0]])
            f = np.flatnonzero(~point[rows[0]] & ~box[rows[0]])
            z[np.ix_(rows, e)] = a[np.ix_(rows, e)]
            z[np.ix_(rows, np.r_[i, f])] = self._draw_pattern(a[rows], b[rows], e, i, f, rng)
        return z

    def _draw_pattern(self, a, b, e, i, f, rng) -> np.ndarray:
        """Draws of the interval (``i``) then free (``f``) dimensions of rows sharing one pattern."""
        n, K = len(a), len(self._w)
        r = np.r_[i, f]
        ni = len(i)
        xe = a[:, e]
        logw = np.tile(np.log(self._w), (n, 1))
        regs = []
        for k in range(K):
            mu, cov = self._mu[k], self._cov[k]
            if len(e):
                s_ee = cov[np.ix_(e, e)]
                reg = np.linalg.solve(s_ee, cov[np.ix_(e, r)]).T  # (|r|, |e|)
                cr = cov[np.ix_(r, r)] - reg @ cov[np.ix_(e, r)]
                logw[:, k] += _gauss_logpdf(xe, mu[e], s_ee)
            else:
                reg, cr = np.zeros((len(r), 0)), cov[np.ix_(r, r)]
            regs.append((reg, 0.5 * (cr + cr.T)))

        def cond_mean(k, rows):
            reg = regs[k][0]
            return self._mu[k][r] + (xe[rows] - self._mu[k][e]) @ reg.T

        lo, hi = a[:, i], b[:, i]
        x = np.empty((n, len(r)))
        if ni:
            # component weights times the component's probability of the row's box (once per
            # distinct evidence: a conditions dict gives every row the same)
            _, first, inv = np.unique(np.column_stack([xe, lo, hi]), axis=0, return_index=True,
                                      return_inverse=True)
            logb = logw[first].copy()
            # GHK replicates: more for fewer distinct rows, whose error every row would share
            reps = int(np.clip(GHK_BUDGET // len(first), GHK_REPLICATES, 64 * GHK_REPLICATES))
            for k in range(K):
                logb[:, k] += _log_box_probability(lo[first], hi[first], cond_mean(k, first)[:, :ni],
                                                   regs[k][1][:ni, :ni], rng, reps)
            labels = _draw_labels(logb[np.asarray(inv).ravel()], rng)
            for k in range(K):
                rows = np.flatnonzero(labels == k)
                if rows.size:
                    x[rows, :ni] = self._truncated_start(cond_mean(k, rows)[:, :ni], regs[k][1][:ni, :ni],
                                                         lo[rows], hi[rows], rng)
            if ni > 1:
                prec = [np.linalg.inv(regs[k][1][:ni, :ni]) for k in range(K)]
                means_i = [cond_mean(k, slice(None))[:, :ni] for k in range(K)]
                whiten = [np.linalg.inv(np.linalg.cholesky(regs[k][1][:ni, :ni])) for k in range(K)]
                half_logdet = np.array([-np.log(np.diag(wk)).sum() for wk in whiten])
                for _ in range(int(self.gibbs_sweeps)):
                    for k in range(K):
                        rows = np.flatnonzero(labels == k)
                        if rows.size:
                            m = means_i[k][rows]
                            xs = x[rows, :ni]
                            for t in range(ni):
                                coef = prec[k][t] / prec[k][t, t]
                                coef[t] = 0.0
                                mt = m[:, t] - (xs - m) @ coef
                                xs[:, t] = truncated_normal(lo[rows, t], hi[rows, t], rng, mt,
                                                            np.sqrt(1.0 / prec[k][t, t]))
                            x[rows, :ni] = xs
                    # the component given the constrained scores: w_k N(x_E) N(x_I | x_E; k)
                    post = logw - half_logdet
                    for k in range(K):
                        res = (x[:, :ni] - means_i[k]) @ whiten[k].T
                        post[:, k] -= 0.5 * np.einsum("ij,ij->i", res, res)
                    labels = _draw_labels(post, rng)
        else:
            labels = _draw_labels(logw, rng)
        if len(f):
            noise = rng.standard_normal((n, len(f)))
            for k in range(K):
                rows = np.flatnonzero(labels == k)
                if not rows.size:
                    continue
                m = cond_mean(k, rows)
                c = regs[k][1]
                if ni:
                    reg2 = np.linalg.solve(c[:ni, :ni], c[:ni, ni:]).T
                    mf = m[:, ni:] + (x[rows, :ni] - m[:, :ni]) @ reg2.T
                    cf = c[ni:, ni:] - reg2 @ c[:ni, ni:]
                else:
                    mf, cf = m, c
                x[rows, ni:] = mf + noise[rows] @ _psd_factor(0.5 * (cf + cf.T)).T
        return x

    @staticmethod
    def _truncated_start(mean, cov, lo, hi, rng) -> np.ndarray:
        """Sequential draws: each constrained dim from its truncated conditional given the earlier ones."""
        n, m = mean.shape
        x = np.empty((n, m))
        for t in range(m):
            if t == 0:
                mu, sd = mean[:, 0], np.sqrt(cov[0, 0])
            else:
                reg = np.linalg.solve(cov[:t, :t], cov[:t, t])
                mu = mean[:, t] + (x[:, :t] - mean[:, :t]) @ reg
                sd = np.sqrt(max(cov[t, t] - cov[:t, t] @ reg, 1e-300))
            x[:, t] = truncated_normal(lo[:, t], hi[:, t], rng, mu, sd)
        return x


    # ----------------------------------------------------------- persistence
    def _dependence_to_dict(self) -> dict[str, Any]:
        p = self.dependence_.params
        d: dict[str, Any] = {
            "names": self._names,
            "correlation": self.correlation_.tolist(),
            "mixture": {"weights": p["weights"].tolist(), "means": p["means"].tolist(),
                        "covariances": p["covariances"].tolist()},
            "bic": p["bic"],
        }
        if self._missing_idx:
            d["missing"] = {"columns": list(self.missing_columns_),
                            "correlation": self.latent_correlation_.tolist()}
        return d

    def _dependence_from_dict(self, d: dict[str, Any]) -> FittedDependence:
        def bad(what: str) -> ModelFileError:
            return ModelFileError(f"gmm model document: {what}")

        if not isinstance(d, dict):
            raise bad("`dependence` must be an object")
        if d.get("names") is not None and (not isinstance(d["names"], list) or d["names"] != self._names):
            raise bad(f"dependence names {d['names']} do not match the columns {self._names}")
        self._missing_from_dict(d)
        dims = len(self.columns_) + len(self._missing_idx)
        mix = d.get("mixture")
        if not isinstance(mix, dict) or not all(isinstance(mix.get(k), list) for k in
                                                ("weights", "means", "covariances")):
            raise bad("`dependence.mixture` must hold the lists `weights`, `means` and `covariances`")
        K = len(mix["weights"])
        if not 1 <= K <= MAX_COMPONENTS or len(mix["means"]) != K or len(mix["covariances"]) != K:
            raise bad(f"`dependence.mixture` must hold 1 to {MAX_COMPONENTS} components, with one mean "
                      f"and one covariance each; got {K} weights, {len(mix['means'])} means and "
                      f"{len(mix['covariances'])} covariances")
        try:
            w = np.asarray(mix["weights"], dtype=float)
            mu = np.asarray(mix["means"], dtype=float)
            cov = np.asarray(mix["covariances"], dtype=float)
            corr = np.asarray(d.get("correlation"), dtype=float)
            latent = corr if not self._missing_idx else np.asarray(d["missing"].get("correlation"),
                                                                   dtype=float)
        except (TypeError, ValueError, AttributeError):
            raise bad("the mixture and correlation entries must be numeric arrays") from None
        if w.shape != (K,) or mu.shape != (K, dims) or cov.shape != (K, dims, dims):
            raise bad(f"a mixture over {dims} latent dimensions needs weights ({K},), means ({K}, {dims}) "
                      f"and covariances ({K}, {dims}, {dims}); got {w.shape}, {mu.shape}, {cov.shape}")
        if not (np.all(np.isfinite(w)) and np.all(w > 0) and abs(w.sum() - 1.0) < 1e-6):
            raise bad("mixture weights must be positive and sum to 1")
        if not (np.all(np.isfinite(mu)) and np.abs(mu).max() <= _MEAN_CAP):
            raise bad(f"mixture means must be finite, at most {_MEAN_CAP:g} in magnitude")
        diag = np.diagonal(cov, axis1=1, axis2=2) if np.all(np.isfinite(cov)) else np.array([np.nan])
        if not (np.all(np.isfinite(cov)) and np.allclose(cov, np.swapaxes(cov, 1, 2), rtol=0, atol=1e-12)
                and np.all(diag > 1e-12) and np.all(diag <= _VAR_CAP)):
            raise bad("mixture covariances must be finite and symmetric with variances in "
                      f"(1e-12, {_VAR_CAP:g}]")
        try:
            np.linalg.cholesky(cov)
        except np.linalg.LinAlgError:
            raise bad("mixture covariances must be positive definite") from None
        d0 = len(self.columns_)
        if corr.shape != (d0, d0) or latent.shape != (dims, dims) or not np.all(np.isfinite(latent)):
            raise bad(f"`dependence.correlation` must be a {d0} x {d0} matrix (and the missingness "
                      f"correlation {dims} x {dims})")
        bic = d.get("bic")
        number = (int, float)
        most = len(COVARIANCE_TYPES) * MAX_COMPONENTS
        if not isinstance(bic, list) or not 1 <= len(bic) <= most or not all(
                isinstance(row, dict) and row.get("covariance_type") in COVARIANCE_TYPES
                and isinstance(row.get("k"), int) and not isinstance(row.get("k"), bool)
                and all(isinstance(row.get(key), number) and not isinstance(row.get(key), bool)
                        for key in ("bic", "smallest_component_rows"))
                and isinstance(row.get("chosen"), bool) and isinstance(row.get("admissible"), bool)
                for row in bic) or sum(row["chosen"] for row in bic) != 1:
            raise bad("`dependence.bic` must list {covariance_type, k, bic, smallest_component_rows, "
                      "admissible, chosen} rows with exactly one chosen")
        bic = [{"covariance_type": row["covariance_type"], "k": row["k"], "bic": float(row["bic"]),
                "smallest_component_rows": float(row["smallest_component_rows"]),
                "admissible": row["admissible"], "chosen": row["chosen"]} for row in bic]
        return FittedDependence(latent, "normal_scores", tuple(self.missing_columns_),
                                params={"weights": w, "means": mu, "covariances": cov, "bic": bic})


def _full_covariances(gm: Any, dims: int) -> np.ndarray:
    """A fitted scikit-learn mixture's covariances as ``(K, D, D)`` symmetric matrices."""
    cov = np.asarray(gm.covariances_, dtype=float)
    k = len(gm.weights_)
    if gm.covariance_type == "tied":
        cov = np.broadcast_to(cov, (k, dims, dims))
    elif gm.covariance_type == "diag":
        cov = cov[:, :, None] * np.eye(dims)
    elif gm.covariance_type == "spherical":
        cov = cov[:, None, None] * np.eye(dims)
    return 0.5 * (cov + np.swapaxes(cov, 1, 2))
