"""Thread limits for native numerical libraries (BLAS, OpenMP) around small, many-call work.

Thousands of tiny ``eigh`` / ``solve`` / QR calls are 5-15x *slower* with a
multi-threaded OpenBLAS on a loaded machine (measured: 0.25 s vs 4.2 s for 300
eigendecompositions of 100 x 100), and spinning OpenMP threads made a 50k-row
gradient-boosting fit 20x slower on a busy machine. :func:`limit_threads` caps
the pools for the duration of a block with ``threadpoolctl`` (a scikit-learn
dependency); without it the block runs unchanged.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

__all__ = ["limit_threads"]

_CONTROLLER: tuple[int, object] | None = None


def _controller():
    """A ``ThreadpoolController`` of the loaded native libraries.

    Inspecting them costs ~1 ms, so the controller is reused until a module is
    imported (native libraries, e.g. scikit-learn's OpenMP runtime, arrive with imports).
    """
    global _CONTROLLER
    if _CONTROLLER is None or _CONTROLLER[0] != len(sys.modules):
        from threadpoolctl import ThreadpoolController

        _CONTROLLER = (len(sys.modules), ThreadpoolController())
    return _CONTROLLER[1]


@contextlib.contextmanager
def limit_threads(n: int = 1, api: str = "blas") -> Iterator[None]:
    """Run the block with at most ``n`` threads in the ``api`` pools (``"blas"`` or ``"openmp"``).

    Parameters
    ----------
    n : int
        Thread limit, ``>= 1``.
    api : {"blas", "openmp"}
        Which pools to limit (threadpoolctl's ``user_api``).

    Examples
    --------
    >>> import numpy as np
    >>> with limit_threads(1):
    ...     w = np.linalg.eigvalsh(np.eye(3))
    >>> w.tolist()
    [1.0, 1.0, 1.0]
    """
    if api not in ("blas", "openmp"):
        from .errors import SpecError

        raise SpecError(f"`api` must be 'blas' or 'openmp', got {api!r}")
    try:
        controller = _controller()
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with controller.limit(limits=int(n), user_api=api):
        yield
