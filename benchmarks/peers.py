"""What the benchmark scripts share: the generators they compare (synthkit, a row resampler,
and peers installed separately - SDV; never synthkit dependencies - each with ``name``,
``fit(real)`` and ``sample(n, seed)``) and the SDMetrics metadata they score with."""

import numpy as np


class SynthkitMethod:
    """A synthkit strategy with parameters, named after them."""

    def __init__(self, strategy: str, **params) -> None:
        self.strategy = strategy
        self.params = params
        extra = ", ".join(f"{k}={v}" for k, v in params.items())
        self.name = f"synthkit {strategy}" + (f" ({extra})" if extra else "")

    def fit(self, real):
        import synthkit

        self.model = synthkit.fit(real, strategy=self.strategy, **self.params)
        return self

    def sample(self, n, seed):
        return self.model.sample(n, seed=seed).frame


class Resample:
    """Rows drawn with replacement from the real table: the fidelity ceiling, and a leaky release."""

    def __init__(self, name: str = "row resampling") -> None:
        self.name = name

    def fit(self, real):
        self.real = real
        return self

    def sample(self, n, seed):
        idx = np.random.default_rng(seed).integers(0, len(self.real), n)
        return self.real.iloc[idx].reset_index(drop=True)


class SDVGaussianCopula:
    """SDV's ``GaussianCopulaSynthesizer`` with default settings, metadata detected from the table."""

    name = "SDV GaussianCopulaSynthesizer"

    def fit(self, real):
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer

        md = Metadata.detect_from_dataframes({"t": real})
        self.model = GaussianCopulaSynthesizer(md)
        self.model.fit({"t": real})  # SDV 2.x takes {table name: frame}
        return self

    def sample(self, n, seed):
        # SDV seeds itself; its output is recorded as is
        out = self.model.sample(n)
        return out["t"] if isinstance(out, dict) else out


def metadata_for(real):
    """SDMetrics metadata of ``real`` (SDV's detection; a numerical/categorical rule without SDV)."""
    try:
        from sdv.metadata import Metadata

        md = Metadata.detect_from_dataframes({"t": real}).to_dict()["tables"]["t"]
        return {"columns": md["columns"]}
    except Exception:  # noqa: BLE001 - SDV missing: a plain numerical/categorical rule
        import pandas as pd

        cols = {}
        for c in real.columns:
            num = pd.api.types.is_numeric_dtype(real[c]) and real[c].nunique() > 10
            cols[c] = {"sdtype": "numerical" if num else "categorical"}
        return {"columns": cols}


def available(module: str) -> bool:
    """Whether ``module`` can be imported (a peer installed)."""
    try:
        __import__(module)
    except ImportError:
        return False
    return True
