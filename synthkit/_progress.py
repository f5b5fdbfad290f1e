"""Progress bars for long work: tqdm on a terminal, silent elsewhere unless asked for.

``tqdm.auto`` picks a notebook widget in Jupyter, but without ``ipywidgets`` it warns
``TqdmWarning: IProgress not found`` in every notebook that imports it; :func:`tqdm_class`
therefore uses ``tqdm.auto`` only when ``ipywidgets`` is importable and the plain text bar
(``tqdm.std``) otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

import numpy as np

from .errors import SpecError

__all__ = ["tqdm_class", "check_progress", "progress_bar"]

#: Seconds after which the bar of work not known to be large appears (on a terminal).
SLOW_SECONDS = 2.0


@lru_cache(maxsize=1)
def tqdm_class() -> type:
    """The tqdm bar class: ``tqdm.auto`` when ``ipywidgets`` is importable, else ``tqdm.std``.

    Examples
    --------
    >>> tqdm_class().__name__
    'tqdm'
    """
    try:
        import ipywidgets  # noqa: F401
    except ImportError:
        from tqdm.std import tqdm
    else:
        from tqdm.auto import tqdm
    return tqdm


def check_progress(progress: Any) -> bool | None:
    """``progress`` as given when it is True, False or None; :class:`SpecError` otherwise."""
    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise SpecError(f"`progress` must be True, False or None (shown on a terminal), "
                        f"got {progress!r}")
    return None if progress is None else bool(progress)


def progress_bar(iterable: Iterable | None = None, *, total: int | None = None,
                 progress: bool | None = None, large: bool = True, **kwargs: Any):
    """A tqdm bar: forced on or off by ``progress``; by default (``None``) shown when stderr
    is a terminal (tqdm's ``disable=None``) and the environment does not set
    ``TQDM_DISABLE`` - at once for ``large`` work, else once it has run
    :data:`SLOW_SECONDS` (tqdm's ``delay``). Large counts are scaled (``1.05M/2.00M``, ``645k rows/s``).

    Examples
    --------
    >>> sum(progress_bar(range(4), progress=False))
    6
    """
    progress = check_progress(progress)
    if progress is None:
        quiet = os.environ.get("TQDM_DISABLE", "").strip().lower() not in ("", "0", "false", "no")
        disable = True if quiet else None
        if not large:  # small work: a bar only once it has taken SLOW_SECONDS
            kwargs.setdefault("delay", SLOW_SECONDS)
    else:
        disable = not progress
    kwargs.setdefault("unit_scale", bool(total and total >= 10_000))  # "3/3", but "1.05M/2.00M"
    return tqdm_class()(iterable, total=total, disable=disable, **kwargs)
