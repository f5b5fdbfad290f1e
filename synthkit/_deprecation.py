"""Renamed names keep working for a while, with a :class:`DeprecationWarning` naming the new one."""

from __future__ import annotations

import warnings

__all__ = ["warn_renamed"]


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
