"""`synthkit validate REAL SYNTH`: exit status 0 / 1 / 2, HTML and JSON outputs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from test_validation import copula_draw, independent_draw

from synthkit.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    from sklearn.datasets import load_wine

    d = tmp_path_factory.mktemp("cli")
    real = load_wine(as_frame=True).frame
    good = copula_draw(real, 1000, seed=1)
    good["target"] = good["target"].round()
    real.to_csv(d / "real.csv", index=False)
    good.to_csv(d / "good.csv", index=False)
    independent_draw(real, 1000, seed=1).to_csv(d / "bad.csv", index=False)
    pd.DataFrame({"other": [1, 2, 3]}).to_csv(d / "other.csv", index=False)
    return d


def test_exit_0_when_all_checks_pass(files, capsys):
    code = main(["validate", str(files / "real.csv"), str(files / "good.csv"),
                 "--checks", "marginals,dependence", "--json", str(files / "good.json")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "PASSED" in out
    assert json.loads((files / "good.json").read_text())["passed"] is True


def test_exit_1_when_a_check_fails_and_reports_are_written(files, capsys):
    code = main(["validate", str(files / "real.csv"), str(files / "bad.csv"), "--target", "target",
                 "--html", str(files / "bad.html"), "--json", str(files / "bad.json")])
    out = capsys.readouterr().out
    assert code == 1
    assert "FAIL" in out and "pearson_max_abs_diff" in out
    assert (files / "bad.html").read_text().startswith("<!DOCTYPE html>")
    assert json.loads((files / "bad.json").read_text())["passed"] is False


@pytest.mark.parametrize("args, message", [
    (["real.csv", "other.csv"], "no column in common"),
    (["real.csv", "missing.csv"], "missing.csv"),
    (["real.csv", "good.csv", "--target", "nope"], "'nope'"),
    (["real.csv", "good.csv", "--threshold", "ks_distance"], "KEY=VALUE"),
    (["real.csv", "good.csv", "--checks", "margins"], "unknown check section"),
])
def test_exit_2_on_bad_input(files, capsys, args, message):
    argv = ["validate"] + [str(files / a) if a.endswith(".csv") else a for a in args]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_threshold_override_changes_the_verdict(files, capsys):
    code = main(["validate", str(files / "real.csv"), str(files / "good.csv"), "--checks",
                 "marginals", "--threshold", "column_shapes=0.999", "--quiet"])
    assert code == 1 and "FAILED" in capsys.readouterr().out


def test_saved_model_as_reference(files, capsys):
    import synthkit

    model = synthkit.fit(pd.read_csv(files / "real.csv"), strategy="gaussian_copula")
    model.save(files / "model.json")
    model.sample(2000, seed=1).frame.to_csv(files / "model_sample.csv", index=False)
    code = main(["validate", str(files / "model.json"), str(files / "model_sample.csv")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "ks_distance_declared" in out or "per-column checks" in out


def test_a_failed_html_render_writes_no_json(files, capsys, monkeypatch, tmp_path):
    """The page is rendered before the JSON is written: no JSON of this run beside an old page."""
    from synthkit.validation.report import ValidationReport

    def boom(self, *a, **k):
        raise RuntimeError("render failed")

    monkeypatch.setattr(ValidationReport, "to_html", boom)
    with pytest.raises(RuntimeError, match="render failed"):
        main(["validate", str(files / "real.csv"), str(files / "good.csv"), "--checks", "marginals",
              "--json", str(tmp_path / "r.json"), "--html", str(tmp_path / "r.html")])
    assert not list(tmp_path.iterdir())
