"""How much memory this machine has, and a clear refusal of requests beyond it.

A request such as ``model.sample(10**12)`` would otherwise fail deep inside numpy
with a ``MemoryError`` (or make the machine swap). The estimate is deliberately
simple: the output arrays alone (``rows x columns x 8`` bytes for float64 or
int64 cells) must fit in the machine's physical memory.
"""

from __future__ import annotations

import os

from .errors import SpecError

__all__ = ["physical_memory", "check_memory"]


def physical_memory() -> int | None:
    """Total physical memory in bytes (``None`` when the platform does not say).

    Examples
    --------
    >>> m = physical_memory()
    >>> m is None or m > 0
    True
    """
    try:
        pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        if pages > 0 and size > 0:
            return int(pages) * int(size)
    except (AttributeError, OSError, ValueError):
        pass
    try:  # pragma: no cover - platforms without sysconf (Windows)
        import psutil

        return int(psutil.virtual_memory().total)
    except Exception:  # noqa: BLE001 - psutil is optional
        return None


def check_memory(n_bytes: float, what: str, hint: str) -> None:
    """Raise :class:`~synthkit.errors.SpecError` if ``n_bytes`` exceed the physical memory.

    Parameters
    ----------
    n_bytes : float
        Estimated size of the arrays the request builds.
    what : str
        The request, for the message ("a sample of 10 rows x 3 columns").
    hint : str
        How to get the same result within memory.

    Examples
    --------
    >>> check_memory(8 * 1000, "a sample of 1,000 rows x 1 column", "use iter_chunks")
    >>> try:
    ...     check_memory(8e30, "a sample of 1e30 rows", "use iter_chunks")
    ... except SpecError as exc:
    ...     print(str(exc)[:42])
    a sample of 1e30 rows needs about 8e+30 by
    """
    total = physical_memory()
    if total is not None and n_bytes > total:
        raise SpecError(
            f"{what} needs about {n_bytes:.3g} bytes, more than this machine's memory "
            f"({total / 2**30:.1f} GiB); {hint}"
        )
