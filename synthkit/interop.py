"""Conversion between synthkit's Gaussian copula and ``copulas``' ``GaussianMultivariate``.

``copulas`` (licensed BUSL-1.1, and capping pandas below 3) is an optional extra:
``pip install '.[copulas]'``. :func:`from_copulas` reads a fitted
``GaussianMultivariate`` through its public ``to_dict()`` document and never
imports ``copulas``; :func:`to_copulas` needs it installed.

The two models are the same mathematical object: columns ``X_j = F_j^-1(Phi(Z_j))``
with ``Z ~ N(0, R)``. Each ``copulas`` parametric univariate is a frozen
``scipy.stats`` distribution, so it maps one-to-one onto a synthkit
:class:`~synthkit.marginals.ParametricMarginal` of the same family and parameters,
and its ``correlation`` (the correlation of the normal scores ``Phi^-1(F_j(x_j))``)
is synthkit's declared ``normal_scores`` correlation: sampling either model draws
from the same joint law (with different random streams; synthkit's follow the
block-seeding contract of :mod:`synthkit.seeding`).

Families that map (``copulas`` class -> ``scipy.stats`` name): GaussianUnivariate ->
``norm``, StudentTUnivariate -> ``t``, GammaUnivariate -> ``gamma``, BetaUnivariate ->
``beta``, TruncatedGaussian -> ``truncnorm``, UniformUnivariate -> ``uniform``,
LogLaplace -> ``loglaplace``. ``GaussianKDE`` (non-parametric) does not map.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import SpecError

__all__ = ["from_copulas", "to_copulas", "COPULAS_FAMILIES"]

#: copulas univariate class name -> scipy.stats family name (same parameter names).
COPULAS_FAMILIES: dict[str, str] = {
    "GaussianUnivariate": "norm",
    "StudentTUnivariate": "t",
    "GammaUnivariate": "gamma",
    "BetaUnivariate": "beta",
    "TruncatedGaussian": "truncnorm",
    "UniformUnivariate": "uniform",
    "LogLaplace": "loglaplace",
}
_MODULES = {
    "GaussianUnivariate": "gaussian",
    "StudentTUnivariate": "student_t",
    "GammaUnivariate": "gamma",
    "BetaUnivariate": "beta",
    "TruncatedGaussian": "truncated_gaussian",
    "UniformUnivariate": "uniform",
    "LogLaplace": "log_laplace",
}
_GAUSSIAN_MULTIVARIATE = "copulas.multivariate.gaussian.GaussianMultivariate"
_INSTALL = "install synthkit's optional `copulas` extra (pip install '.[copulas]' in a checkout)"


def _copulas_document(model: Any) -> dict[str, Any]:
    if isinstance(model, dict):
        doc = model
    else:
        if type(model).__name__ != "GaussianMultivariate" or not hasattr(model, "to_dict"):
            raise SpecError(
                f"from_copulas expects a fitted copulas GaussianMultivariate (or its to_dict() "
                f"document), got {type(model).__name__}"
            )
        if not getattr(model, "fitted", True):
            raise SpecError("the copulas GaussianMultivariate is not fitted: call model.fit(data) first")
        doc = model.to_dict()
    if doc.get("type") != _GAUSSIAN_MULTIVARIATE:
        raise SpecError(f"from_copulas expects a {_GAUSSIAN_MULTIVARIATE} document, got type "
                        f"{doc.get('type')!r}")
    for key in ("columns", "univariates", "correlation"):
        if key not in doc:
            raise SpecError(f"the copulas document has no `{key}`: is the model fitted?")
    return doc


def from_copulas(model: Any, **params: Any):
    """A synthkit ``gaussian_copula`` model equal to a fitted copulas ``GaussianMultivariate``.

    Each univariate ``F_j`` becomes a declared parametric marginal of the same
    ``scipy.stats`` family and parameters (:data:`COPULAS_FAMILIES`), and the
    fitted normal-scores correlation ``R`` becomes the declared ``correlation`` with
    ``correlation_type="normal_scores"``: the model draws ``Z ~ N(0, R)`` and returns
    ``F_j^-1(Phi(Z_j))``, the law copulas samples from.

    Parameters
    ----------
    model : copulas.multivariate.GaussianMultivariate or dict
        A fitted model, or its ``to_dict()`` document (``copulas`` itself is not imported).
    **params
        Further :class:`~synthkit.strategies.gaussian_copula.GaussianCopula` parameters
        (``rules``, ``strict``, ...).

    Returns
    -------
    GaussianCopula
        A declared synthkit model; ``.sample(n, seed=...)`` draws a ``SyntheticDataset``.

    Raises
    ------
    SpecError
        Not a fitted ``GaussianMultivariate``, or a univariate with no synthkit counterpart
        (``GaussianKDE``).

    Examples
    --------
    >>> doc = {"type": "copulas.multivariate.gaussian.GaussianMultivariate", "columns": ["a", "b"],
    ...        "univariates": [
    ...            {"type": "copulas.univariate.gaussian.GaussianUnivariate", "loc": 0.0, "scale": 1.0},
    ...            {"type": "copulas.univariate.gamma.GammaUnivariate", "a": 2.0, "loc": 0.0, "scale": 1.0}],
    ...        "correlation": [[1.0, 0.5], [0.5, 1.0]]}
    >>> m = from_copulas(doc)
    >>> m.sample(4, seed=0).frame.columns.tolist()
    ['a', 'b']
    """
    from .api import declare

    doc = _copulas_document(model)
    names, univariates = list(doc["columns"]), list(doc["univariates"])
    if len(names) != len(univariates):
        raise SpecError(f"the copulas document lists {len(names)} columns but {len(univariates)} "
                        "univariates")
    columns: dict[Any, Any] = {}
    for name, uni in zip(names, univariates, strict=True):
        kind = str(uni.get("type", "")).rsplit(".", 1)[-1]
        if kind not in COPULAS_FAMILIES:
            raise SpecError(
                f"column {name!r}: copulas univariate {kind or uni.get('type')!r} has no synthkit "
                f"counterpart (mapped: {', '.join(COPULAS_FAMILIES)}); fit that column with synthkit "
                "instead (synthkit.fit(data, strategy='gaussian_copula'))"
            )
        fam_params = {k: float(v) for k, v in uni.items() if k != "type"}
        columns[name] = {"distribution": COPULAS_FAMILIES[kind], "params": fam_params, "kind": "continuous"}
    corr = np.asarray(doc["correlation"], dtype=float)
    if corr.shape != (len(names), len(names)):
        raise SpecError(f"the copulas correlation has shape {corr.shape}, expected "
                        f"({len(names)}, {len(names)})")
    return declare(columns, strategy="gaussian_copula", correlation=corr,
                   correlation_type="normal_scores", **params)


def to_copulas(model: Any):
    """A fitted copulas ``GaussianMultivariate`` equal to a synthkit ``gaussian_copula`` model.

    The inverse of :func:`from_copulas`, where possible: every column must be continuous,
    without nulls, with an untruncated parametric marginal whose family copulas has
    (:data:`COPULAS_FAMILIES`); the normal-scores correlation becomes copulas'
    ``correlation``. Needs the ``copulas`` extra (``pip install '.[copulas]'``).

    Raises
    ------
    SpecError
        ``copulas`` is not installed, the model is not a fitted or declared
        ``gaussian_copula``, or a column has no copulas counterpart (the message names it).
    """
    from .marginals import ParametricMarginal

    if getattr(model, "name", None) != "gaussian_copula" or not hasattr(model, "columns_"):
        raise SpecError(f"to_copulas expects a fitted or declared synthkit gaussian_copula model, got "
                        f"{getattr(model, 'name', type(model).__name__)!r}")
    if getattr(model, "missing_columns_", None):
        raise SpecError(f"columns {list(model.missing_columns_)} have nulls, which copulas does not "
                        "model; fit on complete rows to convert")
    try:
        from copulas.multivariate import GaussianMultivariate
    except ImportError:
        raise SpecError(f"to_copulas needs the copulas package: {_INSTALL}") from None
    family_to_class = {v: k for k, v in COPULAS_FAMILIES.items()}
    univariates = []
    for cm in model.columns_:
        marginal = cm.marginal
        ok = (isinstance(marginal, ParametricMarginal) and cm.column.kind == "continuous"
              and marginal.family in family_to_class and marginal.lower is None and marginal.upper is None)
        if not ok:
            what = (f"a {marginal.family} marginal" if isinstance(marginal, ParametricMarginal)
                    else f"a {type(marginal).__name__}")
            raise SpecError(
                f"column {cm.name!r} ({cm.column.kind}, {what}) has no copulas counterpart; copulas "
                f"takes untruncated continuous {', '.join(sorted(family_to_class))} marginals"
            )
        cls = family_to_class[marginal.family]
        univariates.append({"type": f"copulas.univariate.{_MODULES[cls]}.{cls}",
                            "loc": 0.0, "scale": 1.0,
                            **{k: float(v) for k, v in marginal.params.items()}})
    doc = {"type": _GAUSSIAN_MULTIVARIATE, "columns": [cm.name for cm in model.columns_],
           "univariates": univariates,
           "correlation": np.asarray(model.latent_correlation_, dtype=float).tolist()}
    return GaussianMultivariate.from_dict(doc)
