import os

import matplotlib
import pytest

matplotlib.use("Agg")
os.environ.setdefault("SYNTHKIT_FAST", "1")


@pytest.fixture(scope="session")
def wine():
    from synthkit.datasets import load_example

    return load_example("sklearn:wine")
