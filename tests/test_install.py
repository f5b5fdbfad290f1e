"""Packaging: cheap import, packaged example recipes, copulas interop, wheel end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
import venv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("pyvinecopulib", "matplotlib", "sklearn", "statsmodels", "networkx")


def _modules_after(code: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, check=True, timeout=120)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_synthkit_loads_no_heavy_dependency():
    loaded = _modules_after("import synthkit")
    assert not {m for m in HEAVY if m in loaded}, sorted(m for m in HEAVY if m in loaded)
    # the public names still resolve (lazily)
    loaded = _modules_after("import synthkit\nassert callable(synthkit.fit) and synthkit.Vine.name == 'vine'")
    assert "pyvinecopulib" not in loaded  # the vine backend loads on the first vine fit / load only
    import synthkit

    for name in synthkit.__all__:  # every public name and submodule still resolves
        assert getattr(synthkit, name) is not None, name
    assert set(synthkit.__all__) <= set(dir(synthkit))
    with pytest.raises(AttributeError):
        synthkit.no_such_name  # noqa: B018


def test_fit_and_sample_do_not_load_plotting_or_vine_backend():
    code = ("import pandas as pd, synthkit\n"
            "m = synthkit.fit(pd.DataFrame({'x': [0.1, 0.5, 0.9, 1.3, 2.0, 2.2], 'y': [1, 2, 1, 3, 2, 5]}),"
            " strategy='montecarlo')\n"
            "m.sample(10, seed=0)")
    loaded = _modules_after(code)
    assert not {"pyvinecopulib", "matplotlib", "networkx"} & loaded


# ------------------------------------------------------------------ example recipes


def test_example_recipes_are_packaged_and_found_by_name(tmp_path):
    from synthkit.errors import RecipeError
    from synthkit.recipes import find_recipe, list_examples, load_recipe

    examples = list_examples()
    assert [r.name for r in examples] == ["bank_customers", "cluster_suite", "extend_partial", "survey_release",
                                          "wine_fit"]
    for r in examples:
        assert r.path.parent == ROOT / "synthkit" / "examples" / "recipes"
        assert r.description and isinstance(load_recipe(r.path), dict)
        assert find_recipe(r.name) == r.path == find_recipe(r.name + ".yaml")
    local = tmp_path / "bank_customers.yaml"  # an existing file wins over the example name
    local.write_text("rows: 1\ncolumns: {x: {distribution: normal}}\n")
    assert find_recipe(local) == local
    with pytest.raises(RecipeError, match="bank_customers, cluster_suite, extend_partial, survey_release, wine_fit"):
        find_recipe("no_such_recipe")
    with pytest.raises(RecipeError, match="no such recipe file"):
        find_recipe(tmp_path / "missing" / "bank_customers.yaml")  # a path is never an example name


def test_top_level_recipes_are_identical_copies_of_the_packaged_ones():
    packaged = sorted(p.name for p in (ROOT / "synthkit" / "examples" / "recipes").glob("*.yaml"))
    top = sorted(p.name for p in (ROOT / "recipes").glob("*.yaml"))
    assert packaged == top
    for name in packaged:
        assert (ROOT / "recipes" / name).read_bytes() == (ROOT / "synthkit" / "examples" / "recipes" / name).read_bytes(), (
            f"recipes/{name} differs from synthkit/examples/recipes/{name} (the packaged copy is the "
            "source: copy it over)")


def test_run_recipe_by_name(tmp_path):
    from synthkit.recipes import run_recipe

    (out,) = run_recipe("bank_customers", out_dir=tmp_path, rows=500)
    frame = pd.read_csv(out)
    assert len(frame) == 500 and {"age", "customer_since"} <= set(frame.columns)


def test_package_metadata_declares_data_types_and_extras():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())
    project = meta["project"]
    deps = " ".join(project["dependencies"])
    assert "copulas" not in deps and "<3" not in deps  # nothing caps pandas below 3
    assert "copulas" in project["optional-dependencies"]
    data = meta["tool"]["setuptools"]["package-data"]["synthkit"]
    assert "py.typed" in data and "examples/recipes/*.yaml" in data
    assert (ROOT / "synthkit" / "py.typed").exists()
    assert project["keywords"] and any("Typing :: Typed" in c for c in project["classifiers"])


# ------------------------------------------------------------------ copulas interop


def _copulas_fit(n: int = 3000):
    pytest.importorskip("copulas")
    import copulas.univariate as cu
    from copulas.multivariate import GaussianMultivariate

    rng = np.random.default_rng(11)
    r = np.array([[1.0, 0.6, 0.3], [0.6, 1.0, -0.2], [0.3, -0.2, 1.0]])
    u = stats.norm.cdf(rng.standard_normal((n, 3)) @ np.linalg.cholesky(r).T)
    df = pd.DataFrame({"a": stats.norm(1, 2).ppf(u[:, 0]), "b": stats.gamma(2.0).ppf(u[:, 1]),
                       "c": stats.beta(2.0, 5.0).ppf(u[:, 2])})
    gm = GaussianMultivariate(distribution={"a": cu.GaussianUnivariate, "b": cu.GammaUnivariate,
                                            "c": cu.BetaUnivariate})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gm.fit(df)
    return gm


def test_from_copulas_reproduces_the_copulas_law():
    gm = _copulas_fit()
    from synthkit.interop import from_copulas

    model = from_copulas(gm)
    assert model.name == "gaussian_copula"
    n = 20_000
    frame = model.sample(n, seed=3).frame
    # each column follows copulas' own univariate cdf: KS distance within the 99.9% critical value
    crit = stats.kstwo(n).ppf(0.999)
    for j, name in enumerate(gm.columns):
        ks = stats.kstest(frame[name].to_numpy(), gm.univariates[j].cdf).statistic
        assert ks < crit, (name, ks, crit)
    # the normal scores Phi^-1(F_j(x)) have copulas' correlation: 5 standard errors (1 - r^2)/sqrt(n)
    scores = np.column_stack([stats.norm.ppf(gm.univariates[j].cdf(frame[c].to_numpy()))
                              for j, c in enumerate(gm.columns)])
    got, want = np.corrcoef(scores, rowvar=False), np.asarray(gm.correlation, dtype=float)
    assert np.all(np.abs(got - want) <= 5 * (1 - want**2) / np.sqrt(n) + 1e-12), (got, want)


def test_to_copulas_round_trip_and_refusals():
    gm = _copulas_fit(600)
    import synthkit
    from synthkit.interop import from_copulas, to_copulas

    back = to_copulas(from_copulas(gm))
    x = np.array([[0.5, 1.0, 0.2], [-1.0, 3.0, 0.6]])
    probe = pd.DataFrame(x, columns=gm.columns)
    np.testing.assert_allclose(back.pdf(probe), gm.pdf(probe), rtol=1e-9)
    np.testing.assert_allclose(np.asarray(back.correlation), np.asarray(gm.correlation), atol=1e-12)
    cat = synthkit.declare({"x": {"distribution": "normal"}, "k": {"categories": ["a", "b"], "probs": [0.5, 0.5]}},
                           strategy="gaussian_copula")
    with pytest.raises(synthkit.SpecError, match="'k'.*no copulas counterpart"):
        to_copulas(cat)
    doc = gm.to_dict()
    doc["univariates"][0] = {"type": "copulas.univariate.gaussian_kde.GaussianKDE", "dataset": [0.0, 1.0]}
    with pytest.raises(synthkit.SpecError, match="'a'.*GaussianKDE"):
        from_copulas(doc)
    with pytest.raises(synthkit.SpecError, match="GaussianMultivariate"):
        from_copulas(object())


# ------------------------------------------------------------------ wheel, end to end


@pytest.mark.slow
def test_wheel_in_an_empty_venv_runs_the_packaged_recipe_and_validates(tmp_path):
    """Build the wheel, install it (dependencies from the package index) into an empty virtual
    environment, run the packaged example by name and validate its output (needs network)."""
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "-w", str(wheels), "--no-deps", "-q"],
                   check=True, timeout=600)
    (wheel,) = wheels.glob("synthkit-*.whl")
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    bindir = env_dir / ("Scripts" if os.name == "nt" else "bin")
    subprocess.run([str(bindir / "python"), "-m", "pip", "install", "-q", str(wheel)], check=True, timeout=1800)
    work = tmp_path / "work"
    work.mkdir()
    exe = str(bindir / "synthkit")
    subprocess.run([exe, "run", "bank_customers", "-o", "out", "-n", "3000"], cwd=work, check=True, timeout=600)
    subprocess.run([exe, "run", "bank_customers", "-o", "out2", "-n", "3000", "--seed", "5"], cwd=work,
                   check=True, timeout=600)
    done = subprocess.run([exe, "validate", "out/bank_customers.csv", "out2/bank_customers.csv"], cwd=work,
                          timeout=600)
    assert done.returncode == 0  # two faithful samples of one recipe: the verdict is PASSED
    code = "import importlib.resources as r; print(r.files('synthkit').joinpath('py.typed').is_file())"
    out = subprocess.run([str(bindir / "python"), "-c", code], cwd=work, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True"
