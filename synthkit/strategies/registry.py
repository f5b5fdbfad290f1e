"""The strategy registry: strategies by name, plus the ``synthkit.strategies`` entry points.

Third-party packages plug in a strategy by declaring, in their ``pyproject.toml``::

    [project.entry-points."synthkit.strategies"]
    mystrategy = "mypackage.module:MyStrategy"

The class must follow the :class:`~synthkit.strategies.base.Strategy` contract
(``synthkit.testing.check_strategy`` checks it).
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import entry_points
from typing import TypeVar

from ..errors import SpecError

__all__ = ["register_strategy", "get_strategy", "available_strategies", "ENTRY_POINT_GROUP",
           "DEFAULT_STRATEGY"]

ENTRY_POINT_GROUP = "synthkit.strategies"
#: The strategy of ``synthkit.fit``, ``synthkit.declare``, recipes and the command line when
#: none is named: a Gaussian copula keeps every marginal and the pairwise dependence.
DEFAULT_STRATEGY = "gaussian_copula"
_REGISTRY: dict[str, type] = {}
#: Registered names not listed by available_strategies (meta-strategies over another strategy).
_UNLISTED: set[str] = set()
_entry_points_loaded = False

T = TypeVar("T", bound=type)


def register_strategy(name: str, *, listed: bool = True) -> Callable[[T], T]:
    """Class decorator registering a strategy under ``name``.

    Parameters
    ----------
    name : str
        The name :func:`synthkit.fit` and :func:`get_strategy` know it by.
    listed : bool
        False keeps it out of :func:`available_strategies` (a meta-strategy such as
        ``"stratified"``, which wraps another strategy).

    Returns
    -------
    callable
        The decorator: it registers the class and returns it unchanged.

    Examples
    --------
    >>> from synthkit.strategies.base import Strategy
    >>> @register_strategy("noop_example")
    ... class Noop(Strategy):
    ...     def _uniforms(self, n, rng):
    ...         return rng.random((n, len(self.columns_)))
    >>> get_strategy("noop_example") is Noop
    True
    """

    def decorate(cls: T) -> T:
        cls.name = name
        _REGISTRY[name] = cls
        if not listed:
            _UNLISTED.add(name)
        return cls

    return decorate


def _load_entry_points() -> None:
    global _entry_points_loaded
    if _entry_points_loaded:
        return
    _entry_points_loaded = True
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in _REGISTRY:
            continue
        try:
            _REGISTRY[ep.name] = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plug-in must not break synthkit
            import warnings

            warnings.warn(f"synthkit: could not load strategy plug-in {ep.name!r}: {exc}",
                          stacklevel=2)


def available_strategies() -> list[str]:
    """Names of every registered strategy (built-in and plug-ins), sorted.

    Examples
    --------
    >>> {"gaussian_copula", "montecarlo", "vine"} <= set(available_strategies())
    True
    """
    _load_entry_points()
    return sorted(n for n in _REGISTRY if not n.endswith("_example") and n not in _UNLISTED)


def get_strategy(name: str) -> type:
    """The strategy class registered as ``name``.

    Parameters
    ----------
    name : str
        A name from :func:`available_strategies` (or an unlisted one such as ``"stratified"``).

    Returns
    -------
    type
        The :class:`~synthkit.strategies.base.Strategy` subclass.

    Raises
    ------
    SpecError
        Unknown name (the message lists the available ones).

    Examples
    --------
    >>> get_strategy("montecarlo").__name__
    'MonteCarlo'
    """
    if not isinstance(name, str):
        raise SpecError(f"a strategy name must be a string such as 'montecarlo', got {name!r}")
    if name not in _REGISTRY:
        _load_entry_points()
    if name not in _REGISTRY:
        raise SpecError(
            f"unknown strategy {name!r}; available strategies: {', '.join(available_strategies())}"
        )
    return _REGISTRY[name]
