"""Row counts given by users: positive integers, refused with the parameter's own name."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import SpecError

__all__ = ["check_n"]


def check_n(n: Any, name: str = "n") -> int:
    """Validate a row count (a positive integer; a whole float is accepted); ``name`` is the
    parameter's, for the message.

    Examples
    --------
    >>> check_n(5.0)
    5
    >>> check_n(0, "rows")
    Traceback (most recent call last):
    ...
    synthkit.errors.SpecError: `rows` must be a positive integer, got 0
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        if isinstance(n, float) and n.is_integer() and n > 0:
            return int(n)
        raise SpecError(f"`{name}` must be a positive integer, got {n!r}")
    if n <= 0:
        raise SpecError(f"`{name}` must be a positive integer, got {n}")
    return int(n)
