"""The strategy registry: strategies by name, plus the ``synthkit.strategies`` entry points.

Third-party packages plug in a strategy by declaring, in their ``pyproject.toml``::

    [project.entry-points."synthkit.strategies"]
    mystrategy = "mypackage.module:MyStrategy"

The class must follow the :class:`~synthkit.strategies.base.Strategy` contract
(``synthkit.testing.check_strategy`` checks it).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import TYPE_CHECKING, TypeVar

from ..errors import SpecError

if TYPE_CHECKING:  # pragma: no cover
    from .base import Strategy

__all__ = ["register_strategy", "get_strategy", "available_strategies", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "synthkit.strategies"
_REGISTRY: dict[str, type] = {}
_entry_points_loaded = False

T = TypeVar("T", bound=type)


def register_strategy(name: str):
    """Class decorator registering a strategy under ``name``.

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
    """Names of every registered strategy (built-in and plug-ins), sorted."""
    _load_entry_points()
    return sorted(n for n in _REGISTRY if not n.endswith("_example"))


def get_strategy(name: str) -> type[Strategy]:
    """The strategy class registered as ``name``.

    Raises
    ------
    SpecError
        Unknown name (the message lists the available ones).
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
