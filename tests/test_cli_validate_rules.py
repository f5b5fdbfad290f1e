"""`synthkit validate` with a recipe that has rules: the `rules` section from the command line."""

import json
from pathlib import Path

import pandas as pd

from synthkit.cli import main
from synthkit.validation.checks import SECTIONS

RECIPE = str(Path(__file__).resolve().parents[1] / "recipes" / "bank_customers.yaml")


def test_validate_help_lists_every_section(capsys):
    assert main(["validate", "--help"]) == 0
    text = " ".join(capsys.readouterr().out.split())
    assert ",".join(SECTIONS) in text.replace(", ", ",")


def test_validate_a_recipe_with_rules_runs_the_rules_section(tmp_path, capsys):
    assert main(["run", RECIPE, "-o", str(tmp_path), "-n", "2000", "--seed", "3"]) == 0
    sample = tmp_path / "bank_customers.csv"
    capsys.readouterr()
    assert main(["validate", RECIPE, str(sample), "--json", str(tmp_path / "ok.json")]) == 0
    out = capsys.readouterr().out
    assert "under its 14 rules" in out and "PASSED" in out
    checks = json.loads((tmp_path / "ok.json").read_text())["checks"]
    rules = [c for c in checks if c["section"] == "rules"]
    assert len(rules) == 14 and all(c["passed"] for c in rules)  # a default run includes the section
    # one row made to break `age >= 18`: the hard rule (and the derived age_at_joining) fail, exit 1
    bad = pd.read_csv(sample)
    bad.loc[0, "age"] = 16
    bad.to_csv(tmp_path / "bad.csv", index=False)
    assert main(["validate", RECIPE, str(tmp_path / "bad.csv"), "--checks", "rules",
                 "--json", str(tmp_path / "bad.json")]) == 1
    failed = {(c["statistic"], c["columns"]) for c in json.loads((tmp_path / "bad.json").read_text())["checks"]
              if not c["passed"]}
    assert ("hard_rule_violations", "age >= 18") in failed
    assert ("derived_mismatch_share", "age_at_joining") in failed
    assert "FAIL rules      hard_rule_violations      age >= 18" in capsys.readouterr().out
    # the packaged example's name, as `run` takes it (an installed wheel has no recipes/ folder)
    assert main(["validate", "bank_customers", str(sample), "--checks", "rules", "--quiet"]) == 0
