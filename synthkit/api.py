"""The one-line entry points: :func:`fit`, :func:`load`, :func:`synthesize`."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd

from .errors import SpecError
from .io import read_json
from .spec import declare_columns
from .strategies.base import MODEL_FORMAT, MODEL_FORMAT_VERSION, Strategy
from .strategies.registry import DEFAULT_STRATEGY, get_strategy

__all__ = ["fit", "load", "declare"]


def fit(data: pd.DataFrame, strategy: str = DEFAULT_STRATEGY, *, progress: bool | None = None,
        **params: Any) -> Strategy:
    """Fit a strategy on a real table.

    Parameters
    ----------
    data : pandas.DataFrame
        The real table.
    strategy : str
        A registered strategy name (``synthkit.available_strategies()``); default
        ``"gaussian_copula"`` (every marginal plus the pairwise dependence, see
        :class:`~synthkit.strategies.gaussian_copula.GaussianCopula`). ``"montecarlo"``
        draws every column independently.
    progress : bool, optional
        A progress bar over the column fits and the dependence (see ``Strategy.fit``):
        by default on a terminal for large tables or slow fits; True or False forces it.
    **params
        Parameters of that strategy.

    Returns
    -------
    Strategy
        The fitted model; ``model.sample(n, seed=...)`` draws a :class:`SyntheticDataset`.

    Examples
    --------
    >>> import synthkit
    >>> from sklearn.datasets import load_wine
    >>> df = load_wine(as_frame=True).frame
    >>> m = synthkit.fit(df)
    >>> m.name
    'gaussian_copula'
    >>> m.sample(1000, seed=1).frame.shape
    (1000, 14)
    """
    return _strategy_class(strategy, params)(**params).fit(data, progress=progress)


def declare(columns: dict[str, Any], strategy: str = DEFAULT_STRATEGY, **params: Any) -> Strategy:
    """Build a model from declared columns, without data (see :mod:`synthkit.spec`).

    The default strategy, ``"gaussian_copula"``, draws the columns independently unless a
    ``correlation`` is given (see :class:`~synthkit.strategies.gaussian_copula.GaussianCopula`).

    Parameters
    ----------
    columns : dict
        Column name -> its declaration: a distribution and its parameters
        (``{"distribution": "gamma", "params": {"a": 2}}``), categories and their
        probabilities, bounds, missing share, role (see :mod:`synthkit.spec`).
    strategy : str
        A registered strategy (:func:`synthkit.available_strategies`).
    **params
        The strategy's parameters, such as ``correlation=`` or ``rules=``.

    Returns
    -------
    Strategy
        A model ready to sample, as if fitted.

    Raises
    ------
    SpecError
        A malformed declaration, an unknown strategy or parameter.

    Examples
    --------
    >>> import synthkit
    >>> m = synthkit.declare({"age": {"distribution": "normal", "params": {"loc": 40, "scale": 10}},
    ...                       "risk": {"categories": ["low", "high"], "probs": [0.8, 0.2]}})
    >>> m.sample(3, seed=0).frame.columns.tolist()
    ['age', 'risk']
    """
    return _strategy_class(strategy, params).from_spec(declare_columns(columns), **params)


def _strategy_class(strategy: str, params: dict[str, Any]) -> type[Strategy]:
    """The registered class of ``strategy``, after checking it accepts ``params``."""
    klass = get_strategy(strategy)
    try:
        klass(**params)  # __init__ only stores parameters
    except TypeError as exc:
        if "keyword argument" not in str(exc):
            raise
        names = klass._param_names()
        unknown = sorted(set(params) - set(names)) or str(exc)
        raise SpecError(
            f"unknown parameter(s) {unknown} for strategy {strategy!r}; its parameters are "
            f"{sorted(names)}"
        ) from None
    return klass


def load(path: str | os.PathLike) -> Strategy:
    """Load a model saved with ``model.save(path)`` (JSON; no code is executed).

    Parameters
    ----------
    path : path-like
        The model file.

    Returns
    -------
    Strategy
        The fitted model, of the strategy it was saved from.

    Raises
    ------
    ModelFileError
        Unreadable or malformed file, or an unknown format version.

    Examples
    --------
    >>> import os, tempfile, synthkit
    >>> m = synthkit.declare({"x": {"distribution": "normal"}})
    >>> path = os.path.join(tempfile.mkdtemp(), "model.json")
    >>> _ = m.save(path)
    >>> synthkit.load(path).sample(3, seed=0).frame.equals(m.sample(3, seed=0).frame)
    True
    """
    doc = read_json(path, expected_format=MODEL_FORMAT, supported_versions=(MODEL_FORMAT_VERSION,))
    return Strategy.from_dict(doc)
