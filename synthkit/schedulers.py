"""Where partitioned work runs (sampling and validation): in this process (threads), local processes,
or a Dask cluster.

* no ``client`` / ``scheduler`` and no ``DASK_SCHEDULER_ADDRESS``: Dask's threaded scheduler
  in this process (``workers`` threads; no dashboard, no port, ``distributed`` not imported);
* ``scheduler="processes"``: Dask's multiprocessing scheduler (``workers`` processes; no port);
* ``scheduler="tcp://host:port"`` (or ``tls://``, ...), or the ``DASK_SCHEDULER_ADDRESS``
  environment variable: a ``distributed.Client`` connected to that scheduler for the run;
* ``client=``: a ``distributed.Client`` the caller holds.

Tasks report their completion to a callback (a progress bar): a local callback
(``dask.callbacks.Callback``) for the local schedulers, ``distributed.as_completed`` for a client.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import SpecError, SynthkitError

__all__ = ["Runner", "resolve_runner", "INSTALL_HINT", "ADDRESS_RE", "import_dask"]

INSTALL_HINT = "pip install 'synthkit[scale]'"
#: A scheduler address: ``protocol://host:port``.
ADDRESS_RE = re.compile(r"(tcp|tls|ucx|ws|wss|inproc)://[A-Za-z0-9_.\-\[\]:]*[A-Za-z0-9_.\-\]]:\d{1,5}")
_LOCAL = ("threads", "processes", "sync")


def import_dask() -> Any:
    """``dask``, or a :class:`SynthkitError` saying how to install it."""
    try:
        import dask
        import dask.dataframe  # noqa: F401 - the dataframe extra is part of the requirement
    except ImportError:
        raise SynthkitError(f"partitioned sampling needs dask: {INSTALL_HINT}") from None
    return dask


@dataclass
class Runner:
    """How to run a list of delayed tasks: ``kind`` ``"threads"``, ``"processes"``, ``"sync"``
    or ``"distributed"`` (``client``; ``address`` when the run connects its own)."""

    kind: str
    workers: int | None = None
    client: Any = None
    address: str | None = None

    def describe(self) -> str:
        if self.kind == "distributed":
            return f"the Dask cluster at {self.address or getattr(self.client.scheduler, 'address', '?')}"
        return f"{self.kind} ({self.workers or os.cpu_count()} workers)" if self.kind != "sync" else "sync"

    def run(self, tasks: list[Any], on_done: Callable[[], None] | None = None) -> list[Any]:
        """Compute ``tasks`` (dask delayed objects), calling ``on_done`` as each one completes."""
        if not tasks:
            return []
        dask = import_dask()
        if self.kind != "distributed":
            from dask.callbacks import Callback

            keys = {t.key for t in tasks}

            class Done(Callback):
                def _posttask(self, key, result, dsk, state, id):  # noqa: A002 - dask's signature
                    if on_done is not None and key in keys:
                        on_done()

            kwargs = {"num_workers": self.workers} if self.workers and self.kind != "sync" else {}
            with Done():
                return list(dask.compute(*tasks, scheduler=self.kind, **kwargs))
        from distributed import as_completed

        client = self.client
        own = client is None
        if own:
            from distributed import Client

            try:
                client = Client(self.address, timeout="30s")
            except OSError as exc:
                raise SpecError(f"cannot reach the Dask scheduler at {self.address!r} ({exc}); check the "
                                "address (tcp://host:port) and that the scheduler is running") from None
        try:
            futures = client.compute(tasks)
            for _ in as_completed(futures):
                if on_done is not None:
                    on_done()
            return client.gather(futures)
        finally:
            if own:
                client.close()


def check_address(address: Any, what: str = "`scheduler`") -> str:
    """A scheduler address ``protocol://host:port``, or a :class:`SpecError`."""
    if not isinstance(address, str) or ADDRESS_RE.fullmatch(address.strip()) is None:
        raise SpecError(f"{what} must be 'threads', 'processes' or a Dask scheduler address such as "
                        f"'tcp://10.0.0.5:8786', got {address!r}")
    return address.strip()


def resolve_runner(client: Any = None, scheduler: Any = None, workers: Any = None) -> Runner:
    """The :class:`Runner` of a run (module docstring), its inputs checked.

    Examples
    --------
    >>> resolve_runner(scheduler="processes", workers=2).kind
    'processes'
    >>> resolve_runner(scheduler="tcp://127.0.0.1:8786").address
    'tcp://127.0.0.1:8786'
    """
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer))
                                or workers < 1):
        raise SpecError(f"`workers` must be a positive integer, got {workers!r}")
    workers = None if workers is None else int(workers)
    if client is not None:
        if scheduler is not None:
            raise SpecError("give `client` or `scheduler`, not both")
        if not (hasattr(client, "compute") and hasattr(client, "gather")):
            raise SpecError(f"`client` must be a distributed.Client, got {type(client).__name__}")
        return Runner("distributed", client=client)
    if scheduler is None:
        env = os.environ.get("DASK_SCHEDULER_ADDRESS", "").strip()
        if env:
            return Runner("distributed", address=check_address(env, "DASK_SCHEDULER_ADDRESS"))
        return Runner("threads", workers)
    if isinstance(scheduler, str) and scheduler in _LOCAL:
        return Runner(scheduler, workers)
    return Runner("distributed", address=check_address(scheduler))
