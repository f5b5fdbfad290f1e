"""Row counts given by users: positive integers, refused with the parameter's own name."""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import SpecError

__all__ = ["MAX_ROWS", "check_n"]

#: Largest row count: rows are numbered with 64-bit integers.
MAX_ROWS = 2**63 - 1


def check_n(n: Any, name: str = "n") -> int:
    """Validate a row count (a positive integer up to :data:`MAX_ROWS`; a whole float is
    accepted); ``name`` is the parameter's, for the message.

    Examples
    --------
    >>> check_n(5.0)
    5
    >>> check_n(0, "rows")
    Traceback (most recent call last):
    ...
    synthkit.errors.SpecError: `rows` must be a positive integer, got 0
    >>> check_n(10**30)
    Traceback (most recent call last):
    ...
    synthkit.errors.SpecError: `n` must be at most 2**63 - 1, got a 31-digit number
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        if not (isinstance(n, float) and n.is_integer() and n > 0):
            raise SpecError(f"`{name}` must be a positive integer, got {n!r}")
        n = int(n)
    if n <= 0:
        raise SpecError(f"`{name}` must be a positive integer, got {n}")
    if n > MAX_ROWS:
        digits = len(str(n)) if n < 10**4000 else "over 4000"
        raise SpecError(f"`{name}` must be at most 2**63 - 1, got a {digits}-digit number")
    return int(n)
