"""synthkit's SDMetrics-compatible scores against sdmetrics itself (test-only dependency).

Skipped when sdmetrics is not importable; the definitions were checked against
sdmetrics 0.32 (its QualityReport counts only the pairs with real |r| > 0.5 or
Cramér's V > 0.3), so other versions are skipped rather than compared.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.validation import validate

sdmetrics = pytest.importorskip("sdmetrics")  # the `sdmetrics` extra pins 0.32

assert sdmetrics.__version__.startswith("0.32."), (
    f"scores are pinned against sdmetrics 0.32, found {sdmetrics.__version__}: "
    "install the sdmetrics extra (`pip install -e '.[test,sdmetrics]'`)"
)

with warnings.catch_warnings():  # 0.32 deprecates the single-table module in favour of a
    warnings.simplefilter("ignore")  # multi-table report with the same single-table scores
    from sdmetrics.reports.single_table import QualityReport  # noqa: E402
from sdmetrics.reports.single_table._properties import ColumnPairTrends  # noqa: E402
from test_validation import fair_mixed, independent_draw  # noqa: E402

SDTYPE = {"continuous": "numerical", "integer": "numerical", "datetime": "datetime",
          "categorical": "categorical", "boolean": "boolean"}


def metadata(rep) -> dict:
    cols = {}
    for name, kind in rep.meta["kinds"].items():
        cols[name] = {"sdtype": SDTYPE[kind]}
        if kind == "datetime":
            cols[name]["datetime_format"] = "%Y-%m-%d"
    return {"columns": cols}


@pytest.fixture(scope="module")
def tables():
    real = fair_mixed()
    ds = synthkit.fit(real, strategy="gaussian_copula").sample(3000, seed=11).frame
    rng = np.random.default_rng(0)
    indep = independent_draw(real, 3000, seed=5)
    indep.loc[rng.random(3000) < 0.03, "age"] = np.nan  # missing values in a numeric column
    return real, {"copula": ds, "independent": indep}


@pytest.mark.parametrize("which", ["copula", "independent"])
def test_scores_match_sdmetrics(tables, which):
    real, synths = tables
    synth = synths[which]
    rep = validate(real, synth, checks=["marginals", "dependence"])
    mine = rep.artifacts["sdmetrics"]
    meta = metadata(rep)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        qr = QualityReport()
        qr.generate(real, synth, meta, verbose=False)
        prop = ColumnPairTrends()  # thresholds 0: every pair gets its score
        details = prop._generate_details(real, synth, meta)
    shapes = qr.get_details("Column Shapes").set_index("Column")["Score"]
    for col, score in mine["column_shapes"].items():
        assert score == pytest.approx(shapes[col], abs=1e-3), col
    props = qr.get_properties().set_index("Property")["Score"]
    assert mine["column_shapes_score"] == pytest.approx(props["Column Shapes"], abs=1e-3)
    assert rep.score["marginals"] == pytest.approx(props["Column Shapes"], abs=1e-3)

    theirs = {f"{a}|{b}": s for a, b, s in zip(details["Column 1"], details["Column 2"],
                                               details["Score"], strict=True)}
    assert set(theirs) == set(mine["column_pair_trends"])
    metrics = dict(zip([f"{a}|{b}" for a, b in zip(details["Column 1"], details["Column 2"],
                                                  strict=True)], details["Metric"], strict=True))
    finite = [k for k, v in theirs.items() if np.isfinite(v)]
    # every kind of pair is compared: numeric, label and mixed (discretised) pairs
    assert len(finite) >= 45
    assert {"CorrelationSimilarity", "ContingencySimilarity"} <= {metrics[k] for k in finite}
    assert any("occupation" in k and metrics[k] == "ContingencySimilarity"
               and "had_affair" not in k for k in finite)
    assert np.isfinite(props["Column Pair Trends"])
    for key, (score, _) in mine["column_pair_trends"].items():
        if np.isnan(theirs[key]):
            assert np.isnan(score), key
        else:
            assert score == pytest.approx(theirs[key], abs=1e-3), key
    assert mine["column_pair_trends_all_pairs"] == pytest.approx(
        pd.Series(list(theirs.values())).mean(), abs=1e-3)
    assert mine["column_pair_trends_sdmetrics"] == pytest.approx(
        props["Column Pair Trends"], abs=1e-3, nan_ok=True)
