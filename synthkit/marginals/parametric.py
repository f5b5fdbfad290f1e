"""Parametric marginals: any continuous ``scipy.stats`` family, optionally truncated.

A :class:`ParametricMarginal` wraps a frozen scipy distribution given by family
name and named parameters (``{"a": 2.0, "loc": 0, "scale": 3}``). Bounds
truncate it: with ``Fl = F(lower)`` and ``Fu = F(upper)``,

    cdf_T(x) = (F(x) - Fl) / (Fu - Fl),    ppf_T(u) = F^{-1}(Fl + u (Fu - Fl)),

so no sampled value ever leaves ``[lower, upper]``. Families with a closed-form
quantile function (normal, lognormal, exponential, Weibull, uniform, logistic,
Gumbel, Cauchy, Laplace, Pareto, Rayleigh) are inverted directly with
``scipy.special`` / numpy; the others (gamma, beta, t, ...) through a certified
:class:`~synthkit.marginals.quantile_table.QuantileTable`.

Fitting is maximum likelihood (``scipy.stats.rv_continuous.fit``), with the
location fixed where MLE is ill-posed: positive families (gamma, lognormal,
Weibull, ...) are fitted with ``loc=0`` on positive data; beta and uniform use
the data range (widened by one mean spacing for beta, the support's MLE for
uniform); the truncated normal is fitted on the data range by direct
likelihood maximisation.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import optimize, special, stats

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
        lo = -np.inf if self.lower is None else self.lower
        hi = np.inf if self.upper is None else self.upper
        if lo >= hi:
            raise SpecError(f"`lower` ({lo}) must be below `upper` ({hi}) for {family!r}")
        self._Fl = float(self.dist.cdf(lo))
        self._Fu = float(self.dist.cdf(hi))
        if not self._Fu - self._Fl > 1e-12:
            raise SpecError(
                f"the bounds [{lo}, {hi}] hold no probability mass under {family!r} "
                f"with {self.params}; widen the bounds or change the parameters"
            )
        self._table: QuantileTable | None = None
        self._closed = _std_ppf(self.family, self.params)
        self._loc = self.params.get("loc", 0.0)
        self._scale = self.params.get("scale", 1.0)

    @property
    def truncated(self) -> bool:
        return self._Fl > 0.0 or self._Fu < 1.0

    def _raw_ppf(self, p: np.ndarray) -> np.ndarray:
        if self._closed is not None:
            with np.errstate(divide="ignore", over="ignore"):
                x = self._closed(p)
            return self._loc + self._scale * x
        if self._table is None:
            self._table = QuantileTable(self.dist)
        return self._table(p)

    def cdf(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        F = self.dist.cdf(x)
        if self.truncated:
            F = np.clip((F - self._Fl) / (self._Fu - self._Fl), 0.0, 1.0)
        return F

    def ppf(self, u: np.ndarray) -> np.ndarray:
        return self._ppf(u, self._raw_ppf)

    def exact_ppf(self, u: np.ndarray) -> np.ndarray:
        """``ppf`` through scipy's own (slow but exact) quantile function."""
        return self._ppf(u, self.dist.ppf)

    def _ppf(self, u: np.ndarray, raw) -> np.ndarray:
        u = np.asarray(u, dtype=float)
        if self.truncated:
            u = self._Fl + u * (self._Fu - self._Fl)
        x = raw(u)
        if self.lower is not None or self.upper is not None:
            x = np.clip(x, self.lower, self.upper)
        return x

    def logpdf(self, x: np.ndarray) -> np.ndarray:
        """Log density (of the truncated distribution when bounds are set)."""
        lp = self.dist.logpdf(np.asarray(x, dtype=float))
        if self.truncated:
            lp = lp - np.log(self._Fu - self._Fl)
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

        Raises
        ------
        SpecError
            Unknown family, or data outside the family's support (e.g. a
            lognormal on non-positive values).
        """
        x = np.asarray(x, dtype=float)
        dist = scipy_family(family)
        name = dist.name
        lo, hi = float(x.min()), float(x.max())
        span = hi - lo
        positive = {"gamma", "lognorm", "weibull_min", "invgauss", "fisk", "chi2", "f",
                    "invgamma", "loglaplace", "burr12", "pareto", "rayleigh"}
        with np.errstate(all="ignore"):
            if name in positive:
                if lo <= 0:
                    raise SpecError(
                        f"cannot fit {family!r} (support x > 0) to data with minimum {lo}"
                    )
                params = dist.fit(x, floc=0.0)
            elif name == "beta":
                pad = span / max(len(x), 1)
                loc, scale = lo - pad, span + 2 * pad
                a, b, _, _ = dist.fit(x, floc=loc, fscale=scale)
                params = (a, b, loc, scale)
            elif name == "uniform":
                params = (lo, span if span > 0 else 1.0)
            elif name == "truncnorm":
                return cls._fit_truncnorm(x)
            elif name == "weibull_min" and lo > 0:
                return cls._fit_weibull(x)
            elif name == "t":
                return cls._fit_t(x)
            else:
                params = dist.fit(x)
        names = [s.strip() for s in (dist.shapes or "").split(",") if s.strip()]
        pdict = dict(zip(names + ["loc", "scale"], (float(p) for p in params), strict=True))
        return cls(name, pdict)

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
        return cls("weibull_min", {"c": c, "loc": 0.0, "scale": scale})

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
        return cls("t", {"df": float(np.exp(log_nu)), "loc": float(mu),
                         "scale": float(np.exp(log_s))})

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
        return cls("truncnorm", {"a": (lo - mu) / s, "b": (hi - mu) / s, "loc": mu, "scale": s})

    def n_params(self) -> int:
        """Number of free parameters used by the information criteria.

        ``loc`` fixed at 0 for positive families is not counted; range-derived
        bounds (beta, uniform, truncated normal) are estimated from the data and count.
        """
        fixed = {"gamma": 1, "lognorm": 1, "weibull_min": 1, "invgauss": 1, "fisk": 1,
                 "chi2": 1, "f": 1, "invgamma": 1, "loglaplace": 1, "burr12": 1,
                 "pareto": 1, "rayleigh": 1}
        return len(self.params) - fixed.get(self.family, 0)
