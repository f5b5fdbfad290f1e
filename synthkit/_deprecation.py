"""Renamed names keep working for a while, with a :class:`DeprecationWarning` naming the new one."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

__all__ = ["warn_renamed", "renamed_keyword"]

F = TypeVar("F", bound=Callable[..., Any])


def warn_renamed(old: str, new: str, stacklevel: int = 3) -> None:
    """Warn that ``old`` is a deprecated name of ``new`` (pointing at the caller's line).

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     warn_renamed("on_fail", "on_infeasible", stacklevel=2)
    >>> str(w[0].message)
    '`on_fail` is deprecated and will be removed; use `on_infeasible` instead'
    """
    warnings.warn(f"`{old}` is deprecated and will be removed; use `{new}` instead",
                  DeprecationWarning, stacklevel=stacklevel)


def sample_args(args: tuple, n, seed, owner: str) -> tuple:
    """``(n, seed)`` of a ``sample(n=None, seed=None)`` call that also accepts the former ``sample(seed)``.

    ``sample(x)`` with neither keyword is the former form: ``x`` is the seed (with a
    :class:`DeprecationWarning` asking for ``seed=``); ``sample(x, seed=...)`` and
    ``sample(x, y)`` read ``x`` as ``n``.

    Examples
    --------
    >>> sample_args((100, 3), None, None, "Model")
    (100, 3)
    >>> sample_args((), 5, 1, "Model")
    (5, 1)
    """
    from .errors import SpecError

    if len(args) > 2 or (len(args) == 2 and (n is not None or seed is not None)) or (
            len(args) == 1 and n is not None):
        raise SpecError(f"`{owner}.sample` takes `n` and `seed` once each: call sample(n=None, seed=None)")
    if len(args) == 2:
        return args[0], args[1]
    if len(args) == 1 and seed is None:
        warn_renamed(f"{owner}.sample(seed)", f"{owner}.sample(seed=seed)", stacklevel=4)
        return None, args[0]
    if len(args) == 1:
        return args[0], seed
    return n, seed


def renamed_keyword(old: str, new: str) -> Callable[[F], F]:
    """Decorator: the keyword ``old`` of the function still works as ``new``, with a warning.

    Examples
    --------
    >>> import warnings
    >>> @renamed_keyword("df", "data")
    ... def rows(data):
    ...     return len(data)
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     rows(df=[1, 2])
    2
    >>> str(w[0].message)
    '`rows(df=...)` is deprecated and will be removed; use `rows(data=...)` instead'
    """

    def decorate(fn: F) -> F:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if old in kwargs:
                from .errors import SpecError

                if new in kwargs or (args and new == next(iter(_positional(fn)), None)):
                    raise SpecError(f"give `{new}` only (`{old}` is its former name)")
                warn_renamed(f"{fn.__name__}({old}=...)", f"{fn.__name__}({new}=...)")
                kwargs[new] = kwargs.pop(old)
            return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _positional(fn: Callable[..., Any]) -> list[str]:
    import inspect

    return [p.name for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
