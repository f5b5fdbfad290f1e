"""One default strategy that keeps dependence; progress bars; clean notebook outputs."""

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.cli import main
from synthkit.errors import SpecError
from synthkit.recipes import Recipe

ROOT = Path(__file__).parent.parent


def _load(name):
    from sklearn import datasets

    return getattr(datasets, f"load_{name}")(as_frame=True).frame


@pytest.mark.parametrize("name", ["wine", pytest.param("breast_cancer", marks=pytest.mark.slow)])
def test_defaults_fit_sample_validate_pass(name):
    real = _load(name)
    model = synthkit.fit(real)
    assert model.name == "gaussian_copula"
    report = synthkit.validate(real, model.sample(10 * len(real), seed=1, progress=False))
    assert report.passed, [(c.statistic, c.columns) for c in report.failed()]
    # the independent-columns table fails the dependence checks on the same data
    independent = synthkit.fit(real, strategy="montecarlo").sample(10 * len(real), seed=1,
                                                                   progress=False)
    failed = synthkit.validate(real, independent, checks="dependence").failed()
    assert {c.statistic for c in failed} >= {"pearson_max_abs_diff", "spearman_max_abs_diff"}


def test_recipes_declare_and_cli_fit_use_the_same_default(tmp_path):
    assert Recipe.from_dict({"rows": 5, "columns": {"x": {"distribution": "normal"}}}).strategy \
        == "gaussian_copula"
    assert synthkit.declare({"x": {"distribution": "normal"}}).name == "gaussian_copula"
    out = tmp_path / "m.json"
    assert main(["fit", "sklearn:wine", "-o", str(out)]) == 0
    assert json.loads(out.read_text())["strategy"] == "gaussian_copula"


@pytest.mark.slow
def test_demo_passes_its_own_validation(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert "fitting 'gaussian_copula'" in out
    assert "validation: PASSED (0 of" in out


def test_validate_shows_a_progress_bar_when_asked(capsys):
    real = _load("wine")
    synth = synthkit.fit(real).sample(500, seed=1, progress=False)
    synthkit.validate(real, synth, progress=True)
    assert "validate" in capsys.readouterr().err
    synthkit.validate(real, synth, progress=False)
    assert capsys.readouterr().err == ""
    with pytest.raises(SpecError, match="`progress` must be True, False or None"):
        synthkit.validate(real, synth, progress="yes")


def test_validate_bar_counts_every_attack_against_a_holdout(recorded_bars):
    real = _load("wine")
    train, holdout = real.iloc[::2], real.iloc[1::2]
    synth = synthkit.fit(train).sample(300, seed=1, progress=False)
    report = synthkit.validate(train, synth, holdout=holdout, progress=True)
    (bar,) = recorded_bars["validate"]
    assert bar.n == bar.total
    attacks = [r.attack for r in report.artifacts["privacy"]["attacks"]]
    assert len(attacks) == synthkit.validation.attacks.attack_test_count(list(real.columns)) >= 4
    named = [s for s in bar.postfixes if s.startswith(("singling out", "linkability", "inference",
                                                        "membership"))]
    assert len(named) == len(attacks)
    assert bar.postfixes.index("privacy distances") > bar.postfixes.index("membership")


def test_attack_report_bar_counts_the_attacks(recorded_bars):
    rng = np.random.default_rng(0)
    t, s, c = (pd.DataFrame(rng.normal(size=(200, 3)), columns=list("abc")) for _ in range(3))
    results = synthkit.validation.attacks.attack_report(t, s, c, n_attacks=50, seed=0, progress=True)
    (bar,) = recorded_bars["attacks"]
    assert bar.n == bar.total == len(results) == 7
    assert bar.postfixes == ["singling out, univariate", "singling out, multivariate", "linkability",
                             "inference of a", "inference of b", "inference of c", "membership"]
    with pytest.raises(SpecError, match="`progress` must be True, False or None"):
        synthkit.validation.attacks.attack_report(t, s, c, progress="yes")


@pytest.mark.parametrize("strategy,stratify", [("gaussian_copula", None), ("cart", None),
                                               ("gaussian_copula", "target")])
def test_fit_shows_a_progress_bar_when_asked_and_the_model_is_the_same(strategy, stratify, capsys,
                                                                      recorded_bars):
    real = _load("wine")
    kw = {"strategy": strategy, "stratify": stratify}
    steps = real.shape[1] + 1  # one per column, one for the dependence (or the strata)
    shown = synthkit.fit(real, progress=True, **kw)
    assert [(b.n, b.total, b.disable) for b in recorded_bars["fit"]] == [(steps, steps, False)]
    hidden = synthkit.fit(real, progress=False, **kw)
    assert recorded_bars["fit"][1].disable is True
    assert json.dumps(shown.to_dict(), sort_keys=True) == json.dumps(hidden.to_dict(), sort_keys=True)
    with pytest.raises(SpecError, match="`progress` must be True, False or None"):
        synthkit.fit(real, progress="yes", **kw)


def test_fit_progress_bar_is_drawn_on_stderr(capsys):
    real = _load("wine")
    synthkit.fit(real, progress=True)
    err = capsys.readouterr().err
    assert "fit:" in err and f" 0/{real.shape[1] + 1} " in err, err
    synthkit.fit(real, progress=False)
    assert capsys.readouterr().err == ""


def test_sample_many_progress_is_checked_and_shown_when_asked(capsys):
    from synthkit.clusters.archetype import Archetype

    arch = Archetype(n_clusters=2, dim=2, n_samples=20)
    arch.sample_many(3, seed=0, progress=True)
    assert "3/3" in capsys.readouterr().err
    arch.sample_many(3, seed=0, progress=False)
    assert capsys.readouterr().err == ""
    with pytest.raises(SpecError, match="`progress` must be True, False or None"):
        arch.sample_many(3, seed=0, progress="yes")


def test_bars_in_a_notebook_without_ipywidgets_do_not_warn(monkeypatch, capsys):
    # a Jupyter kernel as tqdm.autonotebook detects it, and no ipywidgets
    import sys
    import types
    import warnings

    from synthkit import _progress

    class ZMQInteractiveShell:
        config = {"IPKernelApp": {}}

    fake = types.ModuleType("IPython")
    fake.get_ipython = lambda: ZMQInteractiveShell()
    monkeypatch.setitem(sys.modules, "IPython", fake)
    monkeypatch.setitem(sys.modules, "ipykernel.zmqshell", types.ModuleType("ipykernel.zmqshell"))
    monkeypatch.setitem(sys.modules, "ipywidgets", None)  # import fails
    for mod in ("tqdm.auto", "tqdm.autonotebook", "tqdm.notebook"):
        monkeypatch.delitem(sys.modules, mod, raising=False)
    _progress.tqdm_class.cache_clear()
    model = synthkit.declare({"x": {"distribution": "normal"}})
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            model.sample(100, seed=0, progress=True)
            assert [str(w.message) for w in caught if "IProgress" in str(w.message)] == []
            synthkit.validate(_load("wine"), synthkit.fit(_load("wine")).sample(200, seed=1),
                              progress=True)
    finally:
        _progress.tqdm_class.cache_clear()
    assert [str(w.message) for w in caught if "IProgress" in str(w.message)] == []
    err = capsys.readouterr().err
    assert "sampling" in err and "validate" in err


# home, root, scratch and work folders, spelled in pieces so this file holds no machine path
MACHINE_PATH = re.compile("(" + "|".join("/" + d + "/" for d in ("ro" "ot", "wo" "rk", "t" "mp", "ho" "me")) + ")")


@pytest.mark.parametrize("path", sorted((ROOT / "notebooks").glob("*.ipynb")),
                         ids=lambda p: p.name)
def test_notebook_outputs_hold_no_machine_paths_or_warnings(path):
    nb = json.loads(path.read_text())
    for i, cell in enumerate(nb["cells"]):
        for out in cell.get("outputs", []):
            text = json.dumps(out.get("text", "")) + json.dumps(
                {k: v for k, v in out.get("data", {}).items() if k.startswith("text/")})
            text += json.dumps(out.get("traceback", []))
            assert not MACHINE_PATH.search(text), f"cell {i}: {MACHINE_PATH.search(text).group()}"
            assert "TqdmWarning" not in text, f"cell {i}"


def test_bars_scale_their_counts_and_tqdm_disable_silences_the_default(monkeypatch, capsys):
    from synthkit._progress import progress_bar

    with progress_bar(total=2_000_000, progress=True, unit="rows") as bar:
        bar.update(1_048_576)
    assert "1.05M/2.00M" in capsys.readouterr().err
    monkeypatch.setenv("TQDM_DISABLE", "1")
    assert progress_bar(total=10, progress=None).disable
    assert not progress_bar(total=10, progress=True).disable  # asked for: shown
