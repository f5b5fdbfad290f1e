import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("SYNTHKIT_FAST", "1")


@pytest.fixture(scope="session")
def wine():
    from synthkit.datasets import load_example

    return load_example("sklearn:wine")


@pytest.fixture
def recorded_bars(monkeypatch):
    """Progress bars made while the test runs, by ``desc``: each records its ``total`` and the
    steps it advanced, whatever tqdm's refresh interval would have drawn."""
    bars: dict[str, list] = {}

    class Recording:
        def __init__(self, iterable=None, total=None, disable=None, desc=None, initial=0, **kwargs):
            self.iterable, self.total, self.n, self.disable = iterable, total, initial, disable
            self.postfixes: list[str] = []
            bars.setdefault(desc, []).append(self)

        def set_postfix_str(self, s="", refresh=True):
            self.postfixes.append(s)

        def __iter__(self):
            for item in self.iterable:
                yield item
                self.n += 1

        def update(self, k=1):
            self.n += k

        def close(self):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr("synthkit._progress.tqdm_class", lambda: Recording)
    return bars
