import json
import subprocess
import sys

import pandas as pd
import pytest

from synthkit.cli import main
from synthkit.io import write_table


def test_fit_then_sample_csv_and_parquet(tmp_path, capsys):
    model = tmp_path / "m.json"
    assert main(["fit", "sklearn:wine", "-o", str(model)]) == 0
    assert json.loads(model.read_text())["format"] == "synthkit-model"
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"s.{suffix}"
        assert main(["sample", str(model), "-n", "500", "-o", str(out), "--seed", "3"]) == 0
        frame = pd.read_csv(out) if suffix == "csv" else pd.read_parquet(out)
        assert frame.shape == (500, 14)
    assert "wrote 500 rows" in capsys.readouterr().out


def test_fit_with_params_from_a_file(tmp_path):
    data = tmp_path / "d.csv"
    pd.DataFrame({"x": [1.0, 2.5, 3.7, 4.1, 5.9, 2.2, 3.3, 4.4]}).to_csv(data, index=False)
    model = tmp_path / "m.json"
    assert main(["fit", str(data), "-o", str(model), "--param", 'marginals="empirical"']) == 0
    assert json.loads(model.read_text())["params"]["marginals"] == "empirical"


def test_run_recipes(tmp_path):
    assert main(["run", "recipes/bank_customers.yaml", "--out", str(tmp_path), "-n", "2000"]) == 0
    frame = pd.read_csv(tmp_path / "bank_customers.csv")
    assert len(frame) == 2000 and (frame["age"] >= 18).all()
    assert main(["run", "recipes/wine_fit.yaml", "--out", str(tmp_path), "-n", "300"]) == 0
    assert (tmp_path / "wine_model.json").exists()


def test_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["sample", str(tmp_path / "nope.json"), "-n", "5", "-o", str(tmp_path / "o.csv")]) == 2
    assert "synthkit: error: no such file" in capsys.readouterr().err
    assert main(["fit", "sklearn:wine", "-o", str(tmp_path / "m.json"), "--strategy", "x"]) == 2
    assert "unknown strategy 'x'" in capsys.readouterr().err


def test_demo_prints_a_comparison(tmp_path, capsys):
    assert main(["demo", "--out", str(tmp_path), "-n", "2000"]) == 0
    out = capsys.readouterr().out
    assert "per-column comparison" in out and "proline" in out
    assert (tmp_path / "synthetic.csv").exists() and (tmp_path / "model.json").exists()


def test_outputs_are_atomic(tmp_path):
    target = tmp_path / "t.parquet"
    write_table(pd.DataFrame({"a": [1, 2]}), target)
    before = target.read_bytes()
    bad = pd.DataFrame({"a": [object(), object()]})  # pyarrow cannot write this
    with pytest.raises((TypeError, ValueError, ArithmeticError)):  # pyarrow's own errors
        write_table(bad, target)
    assert target.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["t.parquet"]


def test_console_script_entry_point():
    res = subprocess.run([sys.executable, "-m", "synthkit.cli", "--version"], capture_output=True,
                         text=True, check=True)
    assert res.stdout.startswith("synthkit ")
