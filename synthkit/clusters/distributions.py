"""Per-cluster distribution families: standardised iid draws ``z`` with ``x = mu + A z``.

Each family is drawn with numpy's ``Generator`` methods (fast, reproducible)
and standardised to mean 0 and variance 1 using its exact moments (from
``scipy.stats``). Families without a finite variance (Student-t with
``df <= 2``, Pareto with ``shape <= 2``, F with ``dfd <= 4``) are centred at
the median and scaled so that their interquartile range equals the standard
normal's (1.349). Skewed families are **not** symmetrised: an exponential
cluster keeps its long right tail along each principal axis.

Supported families and parameters (defaults in brackets)::

    normal                         student_t / t   df [5]
    exponential                    gamma           shape [2]
    lognormal   sigma [0.5]        uniform
    beta        a [2], b [5]       weibull         shape [1.5]
    gumbel                         pareto          shape [5]  (classical Pareto, x_m = 1)
    chisquare / chi2   df [3]      f               dfn [5], dfd [10]

Student-t is the Student-t with the given ``df`` (``df = 1`` is Cauchy only
when asked for).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
from scipy import stats

from ..errors import SpecError

__all__ = ["ClusterDistribution", "parse_distribution", "FAMILIES", "ALIASES"]

# name -> (parameter defaults, numpy sampler, scipy frozen distribution factory)
FAMILIES: dict[str, dict[str, float]] = {
    "normal": {},
    "student_t": {"df": 5.0},
    "exponential": {},
    "gamma": {"shape": 2.0},
    "lognormal": {"sigma": 0.5},
    "uniform": {},
    "beta": {"a": 2.0, "b": 5.0},
    "weibull": {"shape": 1.5},
    "gumbel": {},
    "pareto": {"shape": 5.0},
    "chisquare": {"df": 3.0},
    "f": {"dfn": 5.0, "dfd": 10.0},
}
ALIASES = {
    "t": "student_t", "standard_t": "student_t", "studentt": "student_t", "student-t": "student_t",
    "gaussian": "normal", "norm": "normal", "expon": "exponential", "exp": "exponential",
    "lognorm": "lognormal", "log-normal": "lognormal", "chi2": "chisquare",
    "chi-square": "chisquare", "chi_square": "chisquare", "chisq": "chisquare",
    "weibull_min": "weibull", "gumbel_r": "gumbel",
}


def _draw(name: str, params: dict, rng: np.random.Generator, size) -> np.ndarray:
    if name == "normal":
        return rng.standard_normal(size)
    if name == "student_t":
        return rng.standard_t(params["df"], size)
    if name == "exponential":
        return rng.standard_exponential(size)
    if name == "gamma":
        return rng.standard_gamma(params["shape"], size)
    if name == "lognormal":
        return rng.lognormal(0.0, params["sigma"], size)
    if name == "uniform":
        return rng.random(size)
    if name == "beta":
        return rng.beta(params["a"], params["b"], size)
    if name == "weibull":
        return rng.weibull(params["shape"], size)
    if name == "gumbel":
        return rng.gumbel(0.0, 1.0, size)
    if name == "pareto":
        return rng.pareto(params["shape"], size) + 1.0  # numpy draws Lomax; +1 is classical Pareto
    if name == "chisquare":
        return rng.chisquare(params["df"], size)
    if name == "f":
        return rng.f(params["dfn"], params["dfd"], size)
    raise AssertionError(name)  # pragma: no cover


def _scipy(name: str, params: dict):
    return {
        "normal": lambda: stats.norm(),
        "student_t": lambda: stats.t(params.get("df", 5.0)),
        "exponential": lambda: stats.expon(),
        "gamma": lambda: stats.gamma(params.get("shape", 2.0)),
        "lognormal": lambda: stats.lognorm(params.get("sigma", 0.5)),
        "uniform": lambda: stats.uniform(),
        "beta": lambda: stats.beta(params.get("a", 2.0), params.get("b", 5.0)),
        "weibull": lambda: stats.weibull_min(params.get("shape", 1.5)),
        "gumbel": lambda: stats.gumbel_r(),
        "pareto": lambda: stats.pareto(params.get("shape", 5.0)),
        "chisquare": lambda: stats.chi2(params.get("df", 3.0)),
        "f": lambda: stats.f(params.get("dfn", 5.0), params.get("dfd", 10.0)),
    }[name]()


@lru_cache(maxsize=256)
def _standardisation(name: str, items: tuple) -> tuple[float, float, bool]:
    dist = _scipy(name, dict(items))
    mean, var = (float(v) for v in dist.stats(moments="mv"))
    if np.isfinite(mean) and np.isfinite(var) and var > 0:
        return mean, float(np.sqrt(var)), True
    q1, q2, q3 = dist.ppf([0.25, 0.5, 0.75])
    return float(q2), float((q3 - q1) / 1.3489795003921634), False


@dataclass(frozen=True)
class ClusterDistribution:
    """One family with its parameters; draws standardised iid coordinates.

    Parameters
    ----------
    name : str
        A family of :data:`FAMILIES` (aliases like ``"t"``, ``"chi2"`` accepted).
    params : dict
        Family parameters; missing ones take the defaults listed in the module docstring.

    Examples
    --------
    >>> d = ClusterDistribution("student_t", {"df": 4})
    >>> d.sample(np.random.default_rng(0), (2, 3)).shape
    (2, 3)
    """

    name: str
    params: dict[str, float] = field(default_factory=dict)

    def __post_init__(self):
        name = str(self.name).strip().lower()
        name = ALIASES.get(name, name)
        if name not in FAMILIES:
            raise SpecError(
                f"unknown cluster distribution {self.name!r}; choose one of "
                f"{sorted(FAMILIES)} (aliases: {sorted(ALIASES)})"
            )
        params = dict(FAMILIES[name])
        if self.params is not None and not isinstance(self.params, Mapping):
            raise SpecError(f"the parameters of distribution {name!r} must be a mapping such as "
                            f"{{'df': 4}}, got {self.params!r:.80}")
        given = dict(self.params or {})
        unknown = set(given) - set(params)
        if unknown:
            raise SpecError(
                f"distribution {name!r} takes parameters {sorted(params) or 'none'}, "
                f"got unknown {sorted(unknown)}"
            )
        for key, value in given.items():
            try:
                value = float(value)
            except (TypeError, ValueError):
                raise SpecError(
                    f"parameter `{key}` of distribution {name!r} must be a number, got {value!r}"
                ) from None
            if not (np.isfinite(value) and value > 0):
                raise SpecError(
                    f"parameter `{key}` of distribution {name!r} must be > 0, got {value}"
                )
            params[key] = value
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "params", params)

    @property
    def is_normal(self) -> bool:
        return self.name == "normal"

    @property
    def has_variance(self) -> bool:
        """False when the family is standardised by its IQR (no finite variance)."""
        return _standardisation(self.name, tuple(sorted(self.params.items())))[2]

    def sample(self, rng: np.random.Generator, size) -> np.ndarray:
        """Standardised iid draws (mean 0 and variance 1, or median 0 and IQR 1.349)."""
        loc, scale, _ = _standardisation(self.name, tuple(sorted(self.params.items())))
        z = _draw(self.name, self.params, rng, size)
        z -= loc
        z /= scale
        return z

    def skewness(self) -> float:
        """Skewness of the family (nan when undefined)."""
        return float(_scipy(self.name, self.params).stats(moments="s"))

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}

    def label(self) -> str:
        if not self.params:
            return self.name
        return self.name + "(" + ", ".join(f"{k}={v:g}" for k, v in self.params.items()) + ")"


def parse_distribution(spec) -> ClusterDistribution:
    """Accept ``"normal"``, ``("student_t", {"df": 4})``, ``{"name": ..., "params": ...}``
    or a :class:`ClusterDistribution`.

    Examples
    --------
    >>> parse_distribution(("t", {"df": 3})).name
    'student_t'
    """
    if isinstance(spec, ClusterDistribution):
        return spec
    if isinstance(spec, str):
        return ClusterDistribution(spec)
    if isinstance(spec, dict):
        extra = set(spec) - {"name", "params"}
        if "name" not in spec or extra:
            raise SpecError(
                f"a distribution given as a mapping needs keys `name` and optional `params`, "
                f"got {sorted(spec)}"
            )
        return ClusterDistribution(spec["name"], spec.get("params") or {})
    if isinstance(spec, (list, tuple)) and len(spec) == 2 and isinstance(spec[1], dict):
        return ClusterDistribution(spec[0], spec[1])
    raise SpecError(
        f"cannot read distribution {spec!r}: give a name like 'normal', a pair "
        f"('student_t', {{'df': 4}}) or a mapping {{'name': ..., 'params': {{...}}}}"
    )
