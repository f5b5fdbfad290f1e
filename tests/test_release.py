"""The release workflow: ``synthkit.anonymize``, ``synthkit anonymize``, release recipes, inspect."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from test_anonymized_synthesis import customers

import synthkit
from synthkit.cli import main
from synthkit.errors import DataError, RecipeError, SpecError
from synthkit.io import write_table
from synthkit.recipes import run_recipe


@pytest.fixture(scope="module")
def bank(tmp_path_factory) -> pd.DataFrame:
    folder = tmp_path_factory.mktemp("bank")
    (path,) = run_recipe("bank_customers", out_dir=folder, rows=3000, seed=5)
    return pd.read_csv(path)


def _split(df: pd.DataFrame, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    idx = np.random.default_rng(seed).permutation(len(df))
    half = len(df) // 2
    return df.iloc[np.sort(idx[:half])], df.iloc[np.sort(idx[half:])]


@pytest.mark.slow  # (10-19 s: run with `pytest -m slow`)
def test_bank_customers_release_passes(bank, tmp_path, capsys):
    path = write_table(bank, tmp_path / "bank.csv")
    assert main(["anonymize", str(path), "-o", str(tmp_path / "rel"), "--seed", "1"]) == 0
    out = capsys.readouterr().out
    assert "release: PASSED" in out
    verdict = json.loads((tmp_path / "rel" / "verdict.json").read_text())
    assert verdict["passed"] and verdict["rows"] == {"training": 2400, "holdout": 600, "synthetic": 3000}
    attacks = {c["check"] for c in verdict["privacy_checks"]}
    assert {"singling_out_univariate", "singling_out_multivariate", "linkability",
            "membership_auc"} <= attacks and any(a.startswith("inference") for a in attacks)
    for name in ("synthetic.csv", "model.json", "report.html", "verdict.json"):
        assert (tmp_path / "rel" / name).stat().st_size > 0
    html = (tmp_path / "rel" / "report.html").read_text()
    assert "singling" in html.lower() and "<img" in html


def test_leaky_release_fails_and_names_an_attack_first(bank, tmp_path, capsys):
    train, hold = _split(bank)
    leaky = train.sample(len(train), replace=True, random_state=0)
    paths = [write_table(f, tmp_path / f"{n}.csv") for n, f in
             (("train", train), ("leaky", leaky), ("hold", hold))]
    code = main(["anonymize", str(paths[0]), "--synthetic", str(paths[1]), "--holdout", str(paths[2]),
                 "-o", str(tmp_path / "audit")])
    assert code == 1
    out = capsys.readouterr().out
    first = json.loads((tmp_path / "audit" / "verdict.json").read_text())["first_privacy_failure"]
    assert first["check"].split("[")[0] in ("singling_out_univariate", "singling_out_multivariate",
                                            "linkability", "inference", "membership_auc"), first
    assert f"caught first by {first['check']}" in out
    assert not (tmp_path / "audit" / "model.json").exists()  # an audit fits nothing


def test_anonymize_generates_identifiers_and_pii_and_redraws_chance_matches(tmp_path):
    df = customers(600, seed=3)
    res = synthkit.anonymize(df, seed=2, out_dir=tmp_path / "out")
    assert res.passed, res.verdict["privacy_failures"]
    for c in ("customer_id", "customer_no", "name", "email", "phone", "address"):
        real = set(df[c].astype(str).str.lower())
        assert not real & set(res.synthetic[c].astype(str).str.lower()), c
    assert {g["column"] for g in res.verdict["generated_columns"]} == {
        "customer_id", "customer_no", "name", "email", "phone", "address"}
    again = synthkit.anonymize(df, seed=2)
    pd.testing.assert_frame_equal(res.synthetic, again.synthetic)


@pytest.mark.slow
def test_release_recipe_runs_through_anonymize_and_run(tmp_path, monkeypatch, capsys, bank):
    monkeypatch.chdir(tmp_path)
    write_table(bank, tmp_path / "bank.csv")
    recipe = tmp_path / "release.yaml"
    recipe.write_text("name: bank_release\ndata: bank.csv\nrows: 1000\nseed: 3\n"
                      "anonymize:\n  folder: out/bank_release\n  holdout: 0.25\n  min_count: 10\n")
    assert main(["run", str(recipe), "--mkdir"]) == 0
    verdict = json.loads((tmp_path / "out" / "bank_release" / "verdict.json").read_text())
    assert verdict["rows"]["synthetic"] == 1000 and verdict["rows"]["holdout"] == 750
    model = json.loads((tmp_path / "out" / "bank_release" / "model.json").read_text())
    assert model["privacy"]["policy"]["min_count"] == 10
    with pytest.raises(RecipeError, match="synthkit anonymize"):
        run_recipe(recipe)
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: bank.csv\nrows: 10\nanonymize: {folder: /elsewhere}\n")
    with pytest.raises(RecipeError, match="absolute path"):
        synthkit.release.run_release_recipe(bad)
    bad.write_text("data: bank.csv\nrows: 10\nanonymize: {folder: ../elsewhere}\n")
    with pytest.raises(RecipeError, match="not allowed"):
        synthkit.release.run_release_recipe(bad)
    bad.write_text("data: bank.csv\nrows: 10\nanonymize: {holdot: 0.2}\n")
    with pytest.raises(RecipeError, match="holdot"):
        synthkit.release.run_release_recipe(bad)


def test_fit_role_flag_and_inspect_show_roles_and_protections(tmp_path, capsys):
    path = write_table(customers(300), tmp_path / "c.csv")
    model = tmp_path / "m.json"
    assert main(["fit", str(path), "-o", str(model), "--role", "address=ordinary",
                 "--role", "income=pii"]) == 0
    capsys.readouterr()
    assert main(["inspect", str(model)]) == 0
    out = capsys.readouterr().out
    assert "privacy: mode=standard, min_count=5, max_knots=256" in out
    assert "generated email: pii (email)" in out and "generated income: pii" in out
    assert "top_bottom_coding [age]" in out and "generator (" in out and "(None)" not in out


def test_release_bad_input_is_a_clear_error(tmp_path):
    df = customers(120)
    with pytest.raises(DataError, match="holdout rows"):
        synthkit.anonymize(df.head(80))
    with pytest.raises(SpecError, match="holdout"):
        synthkit.anonymize(df, holdout=1.5)
    with pytest.raises(SpecError, match="holdout"):
        synthkit.anonymize(df, synthetic=df)


def test_release_arguments_and_params_do_not_clash_silently(bank):
    with pytest.raises(SpecError, match="privacy='standard'"):
        synthkit.anonymize(bank, params={"privacy": "off"})
    with pytest.raises(SpecError, match="given twice"):
        synthkit.anonymize(bank, min_count=7, params={"min_count": 9})
    res = synthkit.anonymize(bank.head(600), params={"min_count": 9}, seed=1)
    assert res.model.privacy_["policy"]["min_count"] == 9


@pytest.mark.slow
def test_recipe_mode_refuses_flags_it_would_ignore(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    recipe = tmp_path / "r.yaml"
    recipe.write_text("data: sklearn:breast_cancer\nrows: 300\nanonymize: {folder: out/r}\n")
    assert main(["anonymize", str(recipe), "--min-count", "50"]) == 2
    assert "--min-count" in capsys.readouterr().err
    assert main(["anonymize", str(recipe), "--seed", "4", "--mkdir"]) == 0
    assert (tmp_path / "out" / "r" / "verdict.json").exists()
    assert main(["anonymize", "x.csv"]) == 2  # a table needs -o


def test_a_release_whose_report_fails_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    """The report is rendered before any file is written: no folder mixing two runs' files."""
    df = customers(300, seed=4)
    out = tmp_path / "out"
    synthkit.anonymize(df, seed=1, out_dir=out)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    from synthkit.validation.report import ValidationReport

    def boom(self, *a, **k):
        raise RuntimeError("render failed")

    monkeypatch.setattr(ValidationReport, "to_html", boom)
    with pytest.raises(RuntimeError, match="render failed"):
        synthkit.anonymize(df, seed=2, out_dir=out)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_a_refused_row_count_makes_no_output_folder(tmp_path):
    with pytest.raises(SpecError, match="`rows` must be a positive integer, got 0"):
        synthkit.anonymize(customers(60, seed=1), rows=0, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_an_audit_against_training_rows_is_refused(bank, tmp_path):
    """A holdout that is a subset of the data passed every attack (their baseline is the
    training rows themselves) and printed a median DCR ratio of None as ok."""
    train, _ = _split(bank)
    with pytest.raises(DataError, match="holdout rows are rows of the data"):
        synthkit.anonymize(train, synthetic=train.sample(len(train), replace=True, random_state=0),
                           holdout=train.iloc[:300])
