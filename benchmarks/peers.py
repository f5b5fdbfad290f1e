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


#: SDMetrics sdtype of each synthkit column kind.
SDTYPE = {"continuous": "numerical", "integer": "numerical", "datetime": "datetime",
          "categorical": "categorical", "boolean": "boolean"}


def metadata_for(real):
    """SDMetrics metadata of ``real``: each column's sdtype from synthkit's inferred kind.

    One rule whatever is installed (SDV's own detection called integer survey codes categorical,
    and a fallback without SDV differed again: the same samples of ``fair`` scored Quality 0.990
    or 0.950 depending on which was used).
    """
    from synthkit.schema import infer_schema

    return {"columns": {c.name: {"sdtype": SDTYPE[c.kind]} for c in infer_schema(real)}}


def available(module: str) -> bool:
    """Whether ``module`` can be imported (a peer installed)."""
    try:
        __import__(module)
    except ImportError:
        return False
    return True
