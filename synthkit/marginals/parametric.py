"""Parametric marginals: any continuous ``scipy.stats`` family, optionally truncated.

A :class:`ParametricMarginal` wraps a frozen scipy distribution given by family
name and named parameters (``{"a": 2.0, "loc": 0, "scale": 3}``). Bounds
truncate it: with ``Fl = F(lower)``, ``Fu = F(upper)``, ``Sl = 1 - Fl``,
``Su = 1 - Fu`` and the window's mass ``M = Fu - Fl = Sl - Su``,

    cdf_T(x) = (F(x) - Fl) / M,    ppf_T(u) = F^{-1}(Fl + u M)           (lower side),
    cdf_T(x) = (Sl - S(x)) / M,    ppf_T(u) = S^{-1}(Sl - u M)           (upper side),

so no sampled value ever leaves ``[lower, upper]``. The lower-side form (with the
CDF) is used when ``Fu <= Sl`` and the upper-side form (with the survival function
``S``) otherwise: both are the same function, but only the side whose
probabilities are small keeps them accurate in floating point, so a window deep in
the upper tail (``Fl`` within 1e-16 of 1) still has an exact quantile function.
Families with a closed-form quantile function (normal, lognormal, exponential,
Weibull, uniform, logistic, Gumbel, Cauchy, Laplace, Pareto, Rayleigh) are
inverted directly with ``scipy.special`` / numpy; the others (gamma, beta, t, ...)
through a certified :class:`~synthkit.marginals.quantile_table.QuantileTable` of
the (truncated) distribution, which answers with scipy's exact ``ppf`` when it
cannot certify its accuracy.

Fitting is maximum likelihood, and :meth:`ParametricMarginal.n_params` counts
exactly the parameters the fit estimated (for AIC/BIC):

* positive families (gamma, lognormal, Weibull, chi2, ...) are fitted on positive
  data with ``loc = 0`` fixed (``loc`` not counted);
* the exponential is fitted with its location estimated by its MLE ``min(x)``
  (2 parameters) and, on positive data, also with ``loc = 0`` (1 parameter, the
  scale, whose MLE is the mean; nested in the gamma and Weibull); the one with the
  lower BIC is kept, so data shifted away from 0 keep their location;
* the beta is fitted on its standard support [0, 1] (2 parameters) when the data
  lie inside (0, 1), and as a 4-parameter beta (shapes, ``loc`` and ``scale``
  all by maximum likelihood, see :meth:`ParametricMarginal._fit_beta4`); when the
  data lie inside (0, 1) both are fitted and the one with the lower BIC is kept;
* the uniform uses the data range (the support's MLE, 2 parameters) and the
  truncated normal is fitted on the data range by direct likelihood
  maximisation (mean, standard deviation and the two bounds: 4 parameters).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize, special, stats

from .._threads import limit_threads
from ..errors import SpecError
from .base import Marginal, register_marginal
from .quantile_table import QuantileTable

__all__ = ["ParametricMarginal", "scipy_family"]

def _std_ppf(family: str, p: dict[str, float]):
    """Closed-form standard quantile functions ``Q(u)`` (before ``loc``/``scale``)."""
    nd, ex, l1p = special.ndtri, np.exp, np.log1p
    return {
        "norm": lambda u: nd(u),
        "lognorm": lambda u: ex(p["s"] * nd(u)),
        "expon": lambda u: -l1p(-u),
        "weibull_min": lambda u: (-l1p(-u)) ** (1.0 / p["c"]),
        "uniform": lambda u: u,
        "logistic": lambda u: np.log(u) - l1p(-u),
        "gumbel_r": lambda u: -np.log(-np.log(u)),
        "gumbel_l": lambda u: np.log(-l1p(-u)),
        "cauchy": lambda u: np.tan(np.pi * (u - 0.5)),
        "laplace": lambda u: np.where(u < 0.5, np.log(2 * u), -np.log(2 * (1 - u))),
        "pareto": lambda u: (1 - u) ** (-1.0 / p["b"]),
        "rayleigh": lambda u: np.sqrt(-2 * l1p(-u)),
    }.get(family)


#: Friendly aliases accepted in specs and recipes.
ALIASES = {
    "normal": "norm", "gaussian": "norm", "lognormal": "lognorm", "exponential": "expon",
    "weibull": "weibull_min", "student_t": "t", "studentt": "t", "truncated_normal": "truncnorm",
    "gumbel": "gumbel_r", "chisquare": "chi2", "chi_square": "chi2", "f": "f",
}


def scipy_family(name: str) -> stats.rv_continuous:
    """The ``scipy.stats`` continuous family called ``name`` (aliases allowed).

    Raises
    ------
    SpecError
        If no continuous scipy family has that name.
    """
    key = ALIASES.get(str(name).lower(), str(name))
    dist = getattr(stats, key, None)
    if not isinstance(dist, stats.rv_continuous):
        raise SpecError(
            f"unknown distribution {name!r}: use a continuous scipy.stats family name "
            "(e.g. 'norm', 'lognorm', 'gamma', 'beta', 'weibull_min', 'expon', 't', 'uniform')"
        )
    return dist


def _check_params(family: str, dist: stats.rv_continuous, params: dict) -> dict:
    shape_names = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
    allowed = set(shape_names) | {"loc", "scale"}
    unknown = set(params) - allowed
    if unknown:
        raise SpecError(
            f"distribution {family!r} has no parameter(s) {sorted(unknown)}; "
            f"its parameters are {shape_names + ['loc', 'scale']}"
        )
    missing = [s for s in shape_names if s not in params]
    if missing:
        raise SpecError(f"distribution {family!r} needs shape parameter(s) {missing}")
    out = {}
    for k, v in params.items():
        try:
            out[k] = float(v)
        except (TypeError, ValueError):
            raise SpecError(f"parameter `{k}` of {family!r} must be a number, got {v!r}") from None
        if not np.isfinite(out[k]):
            raise SpecError(f"parameter `{k}` of {family!r} must be finite, got {v!r}")
    if out.get("scale", 1.0) <= 0:
        raise SpecError(f"`scale` of {family!r} must be > 0, got {out['scale']}")
    args = [out[s] for s in shape_names]
    if shape_names and not dist._argcheck(*args):
        raise SpecError(
            f"invalid shape parameter(s) for {family!r}: "
            + ", ".join(f"{s}={out[s]}" for s in shape_names)
        )
    return out


#: Families fitted with ``loc = 0`` (not counted as a parameter); they need positive data.
POSITIVE_FAMILIES = frozenset({"gamma", "lognorm", "weibull_min", "invgauss", "fisk", "chi2", "f",
                               "invgamma", "loglaplace", "burr12", "pareto", "rayleigh"})


class _Window:
    """``X`` given ``lower <= X <= upper``, computed on the side where probabilities are small.

    With ``Fu <= Sl`` (the window is nearer the lower tail) probabilities are measured
    from below with the CDF, otherwise from above with the survival function, so the
    window's mass ``M`` and every ``u`` inside it keep their relative precision even
    when ``F(lower)`` rounds to 1. Provides the ``ppf``/``isf``/``cdf``/``sf`` of the
    truncated distribution that :class:`QuantileTable` tabulates.
    """

    def __init__(self, dist, lower: float, upper: float) -> None:
        self.dist = dist
        self.Fl, self.Fu = float(dist.cdf(lower)), float(dist.cdf(upper))
        self.Sl, self.Su = float(dist.sf(lower)), float(dist.sf(upper))
        self.lower_side = self.Fu <= self.Sl
        self.mass = self.Fu - self.Fl if self.lower_side else self.Sl - self.Su
        # the mass is a difference of probabilities at most this large: its rounding error is
        # about 1e-16 times this
        self.resolution = min(self.Fu, self.Sl)

    def cdf(self, x):
        d = self.dist
        F = (d.cdf(x) - self.Fl) if self.lower_side else (self.Sl - d.sf(x))
        return np.clip(F / self.mass, 0.0, 1.0)

    def sf(self, x):
        d = self.dist
        S = (self.Fu - d.cdf(x)) if self.lower_side else (d.sf(x) - self.Su)
        return np.clip(S / self.mass, 0.0, 1.0)

    def ppf(self, u):
        u = np.asarray(u, dtype=float)
        if self.lower_side:
            return self.dist.ppf(self.Fl + u * self.mass)
        return self.dist.isf(self.Sl - u * self.mass)

    def isf(self, q):
        q = np.asarray(q, dtype=float)
        if self.lower_side:
            return self.dist.ppf(self.Fu - q * self.mass)
        return self.dist.isf(self.Su + q * self.mass)


@register_marginal
class ParametricMarginal(Marginal):
    """A continuous scipy.stats family with named parameters, optionally truncated.

    Parameters
    ----------
    family : str
        scipy.stats name or alias (``"normal"``, ``"lognormal"``, ``"gamma"``, ...).
    params : dict
        Shape parameters by their scipy names, plus ``loc`` and ``scale``.
    lower, upper : float, optional
        Truncation bounds; sampled values stay inside them.

    Attributes
    ----------
    free_params : tuple of str or None
        Names of the parameters estimated from data by :meth:`fit` (``None`` for a
        declared marginal); :meth:`n_params` counts them.

    Examples
    --------
    >>> m = ParametricMarginal("gamma", {"a": 2.0, "scale": 3.0}, upper=20)
    >>> x = m.sample(1000, seed=0)
    >>> bool(x.max() <= 20)
    True
    """

    type_name = "parametric"

    def __init__(
        self, family: str, params: dict[str, Any] | None = None,
        lower: float | None = None, upper: float | None = None,
    ) -> None:
        dist = scipy_family(family)
        self.family = dist.name
        self.params = _check_params(family, dist, dict(params or {}))
        self.lower = None if lower is None else float(lower)
        self.upper = None if upper is None else float(upper)
        self.dist = dist(**self.params)
        self.free_params: tuple[str, ...] | None = None
        lo = -np.inf if self.lower is None else self.lower
        hi = np.inf if self.upper is None else self.upper
        if lo >= hi:
            raise SpecError(f"`lower` ({lo}) must be below `upper` ({hi}) for {family!r}")
        window = _Window(self.dist, lo, hi)
        # the mass must be resolvable: its relative rounding error is ~1e-16 * resolution / mass
        if not window.mass > 1e-10 * window.resolution:
            raise SpecError(
                f"the bounds [{lo}, {hi}] hold no probability mass under {family!r} "
                f"with {self.params} (P = {window.mass:.3g}, too little to resolve in double "
                "precision); widen the bounds or change the parameters"
            )
        self._window = window if (window.Fl > 0.0 or window.Su > 0.0) else None
        self._table: QuantileTable | None = None
        self._closed = _std_ppf(self.family, self.params)
        self._loc = self.params.get("loc", 0.0)
        self._scale = self.params.get("scale", 1.0)
        with np.errstate(all="ignore"):  # the draws' extremes: u is kept in [2^-53, 1 - 2^-53]
            ends = self.exact_ppf(np.array([2.0**-53, 1.0 - 2.0**-53]))
        if np.isinf(ends).any():
            raise SpecError(
                f"{family!r} with {self.params} draws values beyond the range of double precision "
                f"(its quantiles at 2^-53 and 1 - 2^-53 are {ends[0]:.4g} and {ends[1]:.4g}); "
                "use smaller parameters or bounds"
            )

    @property
    def truncated(self) -> bool:
        return self._window is not None

    @property
    def normal_scores_native(self) -> bool:
        """Whether :meth:`ppf_normal` costs less than :meth:`ppf`: the untruncated normal and
        lognormal (``loc + scale z``, ``loc + scale exp(s z)``) and the families read from the
        normal-score :class:`QuantileTable` (no closed-form quantile function), whose ``ppf``
        evaluates ``Φ^{-1}`` first."""
        return self._closed is None or (self._window is None and self.family in ("norm", "lognorm"))

    def _fast_ppf(self, u: np.ndarray) -> np.ndarray:
        w = self._window
        if self._closed is not None and (w is None or w.lower_side):
            p = u if w is None else w.Fl + u * w.mass
            with np.errstate(divide="ignore", over="ignore"):
                x = self._closed(p)
            return self._loc + self._scale * x
        if self._closed is not None:  # upper-side window: scipy's (closed-form) isf
            return w.ppf(u)
        if self._table is None:
            self._table = QuantileTable(self.dist if w is None else w)
        return self._table(u)

    def ppf_normal(self, z: np.ndarray) -> np.ndarray:
        """``F^{-1}(Φ(z))`` from normal scores, with no ``Φ`` / ``Φ^{-1}`` round trip.

        The untruncated normal and lognormal are exact (``loc + scale z``,
        ``loc + scale exp(s z)``); every other family, and any truncated one, reads its
        certified :class:`QuantileTable` at ``z`` (``|F(x̂) - Φ(z)| <= 1e-6``; scipy's
        exact ``ppf`` when the table cannot be certified).
        """
        z = np.asarray(z, dtype=float)
        if self._window is None and self.family in ("norm", "lognorm"):
            x = z * self.params["s"] if self.family == "lognorm" else z.copy()
            if self.family == "lognorm":
                with np.errstate(over="ignore"):
                    np.exp(x, out=x)
            x *= self._scale
            x += self._loc
            return x
        if self._table is None:
            self._table = QuantileTable(self.dist if self._window is None else self._window)
        return self._clip(self._table.at_normal_scores(z))

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return self.dist.cdf(x) if self._window is None else self._window.cdf(x)

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self._clip(self._fast_ppf(np.asarray(u, dtype=float)))

    def exact_ppf(self, u: np.ndarray) -> np.ndarray:
        """``ppf`` through scipy's own (slow but exact) quantile function."""
        u = np.asarray(u, dtype=float)
        return self._clip(self.dist.ppf(u) if self._window is None else self._window.ppf(u))

    def _clip(self, x: np.ndarray) -> np.ndarray:
        if self.lower is not None or self.upper is not None:
            x = np.clip(x, self.lower, self.upper)
        return x

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Log density (of the truncated distribution when bounds are set)."""
        x = np.asarray(x, dtype=float)
        lp = self.dist.logpdf(x)
        if self.truncated:
            lo = -np.inf if self.lower is None else self.lower
            hi = np.inf if self.upper is None else self.upper
            lp = np.where((x < lo) | (x > hi), -np.inf, lp - np.log(self._window.mass))
        return lp

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type_name, "family": self.family, "params": dict(self.params),
                "lower": self.lower, "upper": self.upper}

    @classmethod
    def _from_dict(cls, d: dict[str, Any]) -> ParametricMarginal:
        return cls(d["family"], d.get("params", {}), d.get("lower"), d.get("upper"))

    # ------------------------------------------------------------------ fitting
    @classmethod
    def fit(cls, x: np.ndarray, family: str) -> ParametricMarginal:
        """Maximum-likelihood fit of ``family`` to the finite values ``x``.

        Which parameters are estimated (and so counted by :meth:`n_params`) is
        described in the module docstring; they are recorded in ``free_params``.

        Raises
        ------
        SpecError
            Unknown family, fewer than 2 finite values (NaN and infinities are left out),
            non-numeric values, or data outside the family's support (e.g. a lognormal on
            non-positive values).

        Examples
        --------
        >>> import numpy as np
        >>> x = np.random.default_rng(0).exponential(2.0, 1000)
        >>> m = ParametricMarginal.fit(x, "exponential")
        >>> m.params["loc"], m.free_params, bool(np.isclose(m.params["scale"], x.mean()))
        (0.0, ('scale',), True)
        """
        try:
            x = np.asarray(x, dtype=float).ravel()
        except (TypeError, ValueError):
            raise SpecError(f"cannot fit {family!r}: the values must be numbers") from None
        x = x[np.isfinite(x)]
        if x.size < 2:
            raise SpecError(f"cannot fit {family!r} to {x.size} finite value(s): at least 2 are needed")
        dist = scipy_family(family)
        name = dist.name
        names = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
        lo, hi = float(x.min()), float(x.max())
        span = hi - lo
        with np.errstate(all="ignore"):
            if name in POSITIVE_FAMILIES:
                if lo <= 0:
                    raise SpecError(
                        f"cannot fit {family!r} (support x > 0) to data with minimum {lo}"
                    )
                params, free = dist.fit(x, floc=0.0), (*names, "scale")
            elif name == "expon":
                pdict, free = cls._fit_expon(x)
                params = [pdict["loc"], pdict["scale"]]
            elif name == "beta":
                pdict, free = cls._fit_beta(x)
                params = [pdict[k] for k in (*names, "loc", "scale")]
            elif name == "uniform":
                params, free = (lo, span if span > 0 else 1.0), ("loc", "scale")
            elif name == "truncnorm":
                return cls._fit_truncnorm(x)
            elif name == "weibull_min" and lo > 0:
                return cls._fit_weibull(x)
            elif name == "t":
                return cls._fit_t(x)
            else:
                params, free = dist.fit(x), (*names, "loc", "scale")
        pdict = dict(zip(names + ["loc", "scale"], (float(p) for p in params), strict=True))
        return cls._fitted(name, pdict, free)

    @classmethod
    def _fitted(cls, family: str, params: dict[str, float], free: tuple[str, ...]) -> ParametricMarginal:
        m = cls(family, params)
        m.free_params = tuple(free)
        return m

    @classmethod
    def _fit_expon(cls, x: np.ndarray) -> tuple[dict[str, float], tuple[str, ...]]:
        """Exponential MLE: with its location estimated (``loc = min(x)``, ``scale = mean - min``,
        scipy's closed form, 2 parameters) and, on positive data, with ``loc = 0`` (``scale =
        mean``, 1 parameter); the one with the lower BIC, ``k log n - 2 log L``, is kept, so
        data shifted away from 0 get their location and data starting at 0 the nested
        one-parameter model."""
        loc, scale = stats.expon.fit(x)
        fits = [({"loc": float(loc), "scale": float(scale)}, ("loc", "scale"))]
        if x.min() > 0:
            fits.append(({"loc": 0.0, "scale": float(x.mean())}, ("scale",)))
        bic = [len(free) * np.log(x.size) - 2 * float(np.sum(stats.expon.logpdf(x, **p)))
               if p["scale"] > 0 else np.inf for p, free in fits]
        return fits[int(np.argmin(bic))]

    @classmethod
    def _fit_beta(cls, x: np.ndarray) -> tuple[dict[str, float], tuple[str, ...]]:
        """Beta MLE: the 4-parameter beta and, when the data lie inside (0, 1), the standard
        beta on [0, 1] (scipy's MLE with the support fixed) are fitted, and the one with the
        lower BIC, ``k log n - 2 log L`` with ``k`` = 4 or 2, is kept."""
        n = x.size
        p4 = cls._fit_beta4(x)
        fits = [(p4, ("a", "b", "loc", "scale"))]
        if x.min() > 0 and x.max() < 1:
            a, b, _, _ = stats.beta.fit(x, floc=0.0, fscale=1.0)
            fits.append(({"a": float(a), "b": float(b), "loc": 0.0, "scale": 1.0}, ("a", "b")))
        bic = [len(free) * np.log(n) - 2 * float(np.sum(stats.beta.logpdf(x, **p))) for p, free in fits]
        return fits[int(np.nanargmin(bic))]

    @classmethod
    def _fit_beta4(cls, x: np.ndarray) -> dict[str, float]:
        """4-parameter beta MLE (shapes and support) by L-BFGS-B on the closed-form likelihood.

        With ``t = (x - min) / range`` and the support ``[-g1, 1 + g2]`` in those units
        (``w = 1 + g1 + g2``), the log-likelihood per point is

            ``(a-1) mean log(t+g1) + (b-1) mean log(1+g2-t) - (a+b-1) log w - log B(a, b)``,

        maximised over ``(log a, log b, log g1, log g2)`` with its analytic gradient. The
        likelihood is unbounded as an endpoint approaches the data when a shape is below 1,
        so each endpoint is kept at least one mean spacing (``range / n``) outside the data;
        for shapes above 1 the maximum lies further out and the bound does not bind. Three
        starts (gaps ``1/n``, 0.05 and 0.5, shapes by moments) are run and the best kept.
        """
        n = x.size
        lo, span = float(x.min()), float(np.ptp(x))
        if not span > 0:
            raise SpecError("cannot fit a 4-parameter beta to constant data")
        t = (x - lo) / span

        def nll(theta: np.ndarray) -> tuple[float, np.ndarray]:
            a, b, g1, g2 = np.exp(theta)
            w = 1.0 + g1 + g2
            d1, d2 = t + g1, 1.0 + g2 - t
            s1, s2, lw = np.log(d1).mean(), np.log(d2).mean(), np.log(w)
            ll = (a - 1) * s1 + (b - 1) * s2 - (a + b - 1) * lw - special.betaln(a, b)
            psi_ab = special.digamma(a + b)
            d_a = s1 - lw - special.digamma(a) + psi_ab
            d_b = s2 - lw - special.digamma(b) + psi_ab
            d_lower = -(a - 1) * np.mean(1.0 / d1) + (a + b - 1) / w  # d/d(-g1)
            d_upper = (b - 1) * np.mean(1.0 / d2) - (a + b - 1) / w  # d/d(1+g2)
            grad = np.array([a * d_a, b * d_b, -g1 * d_lower, g2 * d_upper])
            return -float(ll), -grad

        shape_bounds, gap_bounds = (np.log(1e-3), np.log(1e5)), (np.log(1.0 / n), np.log(1e3))
        bounds = [shape_bounds, shape_bounds, gap_bounds, gap_bounds]
        best = None
        with limit_threads(1):  # a 4-parameter problem: BLAS threads only add contention
            for g in (1.0 / n, 0.05, 0.5):
                s = (t + g) / (1 + 2 * g)
                mu, var = float(s.mean()), float(s.var())
                c = mu * (1 - mu) / var - 1 if var > 0 else 2.0
                a0, b0 = np.clip([mu * c, (1 - mu) * c], 0.05, 1e4)
                res = optimize.minimize(nll, np.log([a0, b0, g, g]), jac=True, method="L-BFGS-B",
                                        bounds=bounds)
                if np.isfinite(res.fun) and (best is None or res.fun < best.fun):
                    best = res
        if best is None:
            raise SpecError("the 4-parameter beta MLE did not converge for this data")
        a, b, g1, g2 = (float(v) for v in np.exp(best.x))
        return {"a": a, "b": b, "loc": lo - g1 * span, "scale": (1.0 + g1 + g2) * span}

    @classmethod
    def _fit_weibull(cls, x: np.ndarray) -> ParametricMarginal:
        """Weibull MLE with ``loc=0``: the shape ``c`` solves the profile score equation

        ``1/c + mean(log x) - sum(x^c log x) / sum(x^c) = 0`` (monotone in ``c``),
        then ``scale = mean(x^c)^(1/c)``.
        """
        lx = np.log(x)
        lx_c = lx - lx.max()  # scale-free: x^c / max(x)^c keeps the powers in range

        def score(log_c: float) -> float:
            c = np.exp(log_c)
            w = np.exp(c * lx_c)
            return 1.0 / c + lx.mean() - float(np.dot(w, lx) / w.sum())

        lo_c, hi_c = np.log(1e-3), np.log(1e3)
        if score(lo_c) * score(hi_c) > 0:
            raise SpecError("Weibull MLE did not converge for this data")
        c = float(np.exp(optimize.brentq(score, lo_c, hi_c, xtol=1e-10)))
        scale = float(np.exp(lx.max()) * np.mean(np.exp(c * lx_c)) ** (1.0 / c))
        return cls._fitted("weibull_min", {"c": c, "loc": 0.0, "scale": scale}, ("c", "scale"))

    @classmethod
    def _fit_t(cls, x: np.ndarray) -> ParametricMarginal:
        """Student-t MLE over (loc, log scale, log df) by Nelder-Mead on the closed-form
        log-likelihood, started at the median, the MAD and df = 10."""
        n = x.size
        med = float(np.median(x))
        mad = float(np.median(np.abs(x - med))) * 1.4826 or float(x.std()) or 1.0

        def nll(theta: np.ndarray) -> float:
            mu, log_s, log_nu = theta
            s, nu = np.exp(log_s), np.exp(log_nu)
            z = (x - mu) / s
            ll = (special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2)
                  - 0.5 * np.log(nu * np.pi) - log_s) * n \
                - (nu + 1) / 2 * np.sum(np.log1p(z * z / nu))
            return -float(ll)

        res = optimize.minimize(nll, [med, np.log(mad), np.log(10.0)], method="Nelder-Mead",
                                options={"xatol": 1e-4, "fatol": 1e-6, "maxiter": 600})
        mu, log_s, log_nu = res.x
        log_nu = float(np.clip(log_nu, np.log(0.2), np.log(1e4)))
        return cls._fitted("t", {"df": float(np.exp(log_nu)), "loc": float(mu),
                                 "scale": float(np.exp(log_s))}, ("df", "loc", "scale"))

    @classmethod
    def _fit_truncnorm(cls, x: np.ndarray) -> ParametricMarginal:
        lo, hi = float(x.min()), float(x.max())
        pad = (hi - lo) / max(len(x), 1)
        lo, hi = lo - pad, hi + pad
        m0, s0 = float(x.mean()), float(x.std()) or 1.0

        n = x.size

        def nll(theta: np.ndarray) -> float:
            # -log L = n log s + sum z^2/2 + n log(Φ(b) - Φ(a)) + const, z = (x - mu)/s
            mu, log_s = theta
            s = np.exp(log_s)
            a, b = (lo - mu) / s, (hi - mu) / s
            mass = special.ndtr(b) - special.ndtr(a) if a < 0 else special.ndtr(-a) - special.ndtr(-b)
            if not mass > 0:
                return np.inf
            z = (x - mu) / s
            return float(n * log_s + 0.5 * np.dot(z, z) + n * np.log(mass))

        res = optimize.minimize(nll, [m0, np.log(s0)], method="Nelder-Mead",
                                options={"xatol": 1e-6, "fatol": 1e-8, "maxiter": 2000})
        mu, s = float(res.x[0]), float(np.exp(res.x[1]))
        # the bounds a, b come from the data range: estimated, so counted
        return cls._fitted("truncnorm", {"a": (lo - mu) / s, "b": (hi - mu) / s, "loc": mu, "scale": s},
                           ("a", "b", "loc", "scale"))

    def n_params(self) -> int:
        """Number of free parameters, ``k`` in ``AIC = 2k - 2 log L`` and ``BIC = k log n - 2 log L``.

        For a fitted marginal, the number of parameters its fit estimated (``free_params``:
        e.g. 2 for a gamma with ``loc = 0``, 1 for an exponential on positive data, 2 or 4
        for a beta, 4 for a truncated normal whose bounds come from the data range); for a
        declared marginal, all of its parameters.

        Examples
        --------
        >>> import numpy as np
        >>> x = np.random.default_rng(1).gamma(2.0, 3.0, 500)
        >>> ParametricMarginal.fit(x, "gamma").n_params()
        2
        """
        return len(self.params) if self.free_params is None else len(self.free_params)
