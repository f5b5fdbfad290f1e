"""Files in and out: bounded YAML/JSON loading, output permissions, temporary files, folders."""

import ast
import importlib.util
import json
import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import synthkit
from synthkit.cli import main
from synthkit.errors import DataError, ModelFileError, RecipeError
from synthkit.io import write_json, write_table
from synthkit.recipes import load_recipe, run_recipe

ROOT = Path(__file__).resolve().parents[1]


def _laughs(levels: int) -> str:
    """The "billion laughs" document: each level lists the previous one 9 times."""
    lines = ['l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"l{k}: &l{k} [" + ", ".join([f"*l{k - 1}"] * 9) + "]" for k in range(1, levels)]
    return "\n".join(lines) + "\n"


# ----------------------------------------------------------------------------- YAML recipes


def test_billion_laughs_recipe_is_refused(tmp_path):
    path = tmp_path / "laughs.yaml"
    path.write_text(_laughs(9))
    assert path.stat().st_size < 600  # 9 ** 9 = 387,420,489 strings once expanded
    with pytest.raises(RecipeError, match=r"laughs\.yaml.*aliases are expanded"):
        load_recipe(path)
    with pytest.raises(RecipeError, match="laughs.yaml"):
        run_recipe(path, out_dir=tmp_path)
    # a few aliases are fine, and give what PyYAML's own safe loader gives
    ok = tmp_path / "ok.yaml"
    ok.write_text("rows: 5\nbase: &p {loc: 0, scale: 2}\ncolumns:\n  a: {distribution: normal, "
                  "params: *p}\n  b: {distribution: normal, params: *p}\n" + _laughs(3))
    assert load_recipe(ok) == yaml.safe_load(ok.read_text())


@pytest.mark.parametrize("text", ["[" * 100_000 + "]" * 100_000, "- " * 200 + "x\n",
                                  "a:\n" + "".join("  " * k + "b:\n" for k in range(1, 120)) + "  " * 120 + "c\n"])
def test_deeply_nested_yaml_is_a_recipe_error(tmp_path, text):
    path = tmp_path / "deep.yaml"
    path.write_text(text)
    with pytest.raises(RecipeError, match=r"(?s)deep\.yaml.*nest"):
        load_recipe(path)


@pytest.mark.parametrize("text", [
    'name: "\\U0011FFFF"\n',       # escape beyond the last Unicode character
    'name: "\\ud800"\n',           # unpaired surrogate: not a character, cannot be written out
    "rows: 10\nseed: 2020-13-45\n",  # impossible date
    "rows: !!int abc\n",
    "rows: !!float x\n",
    "rows: !!bool maybe\n",
    "rows: 0x_\n",
])
def test_bad_escapes_and_values_are_recipe_errors(tmp_path, text):
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(RecipeError, match=r"bad\.yaml"):
        load_recipe(path)


def test_duplicate_and_recursive_keys_are_refused(tmp_path):
    path = tmp_path / "dup.yaml"
    path.write_text("rows: 10\ncolumns:\n  x: {distribution: normal}\nrows: 20\n")
    with pytest.raises(RecipeError, match=r"dup\.yaml: line 4: key 'rows' is given twice \(first on line 1\)"):
        load_recipe(path)
    path.write_text("rows: 10\ncolumns:\n  x: {distribution: normal, distribution: uniform}\n")
    with pytest.raises(RecipeError, match="key 'distribution' is given twice"):
        load_recipe(path)
    path.write_text("rows: 10\ncolumns: &c {x: *c}\n")
    with pytest.raises(RecipeError, match="contains it"):
        load_recipe(path)
    # merge keys may still override what they merge
    path.write_text("base: &b {a: 1, b: 2}\nrows: {<<: *b, b: 3}\n")
    assert load_recipe(path)["rows"] == {"a": 1, "b": 3}


def test_oversized_recipe_is_refused_before_parsing(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("rows: 1\n# " + "x" * (1 << 20) + "\n")
    with pytest.raises(RecipeError, match=r"big\.yaml.*larger than"):
        load_recipe(path)


# ----------------------------------------------------------------------------- JSON files


def _model_text(folder: Path) -> str:
    model = synthkit.declare({"a": {"distribution": "normal"}, "r": {"categories": ["x", "y"]}})
    return model.save(folder / "valid.json").read_text()


@pytest.mark.parametrize("depth", [100, 100_000])
def test_deep_json_is_a_model_file_error(tmp_path, depth):
    path = tmp_path / "m.json"
    doc = json.loads(_model_text(tmp_path))
    path.write_text(json.dumps(doc)[:-1] + ', "extra": ' + "[" * depth + "]" * depth + "}")
    with pytest.raises(ModelFileError, match=r"m\.json.*nest"):
        synthkit.load(path)


def test_json_duplicate_keys_huge_integers_and_size_are_model_file_errors(tmp_path, monkeypatch):
    import synthkit.io

    path = tmp_path / "m.json"
    text = _model_text(tmp_path)
    path.write_text(text.replace('"format": "synthkit-model",', '"format": "synthkit-model", "format": "x",'))
    with pytest.raises(ModelFileError, match="key 'format' is given twice"):
        synthkit.load(path)
    path.write_text(text.rstrip()[:-1] + ', "n_big": ' + "9" * 5000 + "}")
    with pytest.raises(ModelFileError, match="integer of 5000 digits"):
        synthkit.load(path)
    path.write_text(text)
    assert synthkit.load(path).columns_[0].name == "a"
    monkeypatch.setattr(synthkit.io, "MAX_JSON_BYTES", len(text.encode()) - 1)
    with pytest.raises(ModelFileError, match="larger than"):
        synthkit.load(path)


def test_every_yaml_and_json_load_goes_through_the_bounded_loader():
    loaders = {("json", "load"), ("json", "loads"), ("yaml", "load"), ("yaml", "safe_load"),
               ("yaml", "full_load"), ("yaml", "unsafe_load"), ("yaml", "load_all"),
               ("yaml", "safe_load_all"), ("pd", "read_json")}
    found = []
    for path in (ROOT / "synthkit").rglob("*.py"):
        if path.name == "io.py" and path.parent.name == "synthkit":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name)
                    and (node.func.value.id, node.func.attr) in loaders):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []


_DECLARED = "rows: 20\nseed: 1\ncolumns:\n  x: {distribution: normal}\n"


def _recipe_in(folder: Path, extra: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / "r.yaml"
    path.write_text(_DECLARED + extra)
    return path


def test_recipe_model_path_must_be_a_json_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    victim = tmp_path / "notes.txt"
    victim.write_text("keep me")
    with pytest.raises(RecipeError, match=r"`model`.*\.json"):
        run_recipe(_recipe_in(tmp_path / "r", "output: t.csv\nmodel: notes.txt\n"))
    assert victim.read_text() == "keep me"
    assert not (tmp_path / "t.csv").exists()


@pytest.mark.parametrize("key,value", [
    ("output", "../outside.csv"), ("model", "../outside.json"), ("output", "{abs}/outside.csv"),
    ("model", "{abs}/outside.json"), ("output", "link/outside.csv"), ("name", "../outside"),
])
def test_recipe_paths_stay_in_the_working_directory_unless_allowed(tmp_path, monkeypatch, key, value):
    """A recipe file cannot write outside the working directory: not by an absolute path,
    not by `..`, not through a symbolic link; the caller (or `synthkit run --allow-outside`)
    can allow it."""
    work, outside = tmp_path / "work", tmp_path / "elsewhere"
    work.mkdir()
    outside.mkdir()
    (work / "link").symlink_to(outside, target_is_directory=True)
    monkeypatch.chdir(work)
    value = value.replace("{abs}", str(outside))
    if value.startswith("../"):
        value = "../elsewhere/" + value[3:]
    target = Path(value if key != "name" else value + ".csv")
    target = target if target.is_absolute() else (work / target)
    extra = f"{key}: {value}\n" + ("output: t.csv\n" if key == "model" else "")
    recipe = _recipe_in(work / "recipes", extra)
    with pytest.raises(RecipeError, match=f"`{key if key != 'name' else 'output'}`.*allow_outside"):
        run_recipe(recipe)
    assert not any(outside.iterdir()) and not (work / "t.csv").exists()
    assert main(["run", str(recipe)]) != 0
    assert not any(outside.iterdir())
    assert main(["run", str(recipe), "--allow-outside"]) == 0
    assert target.resolve().is_file() and target.resolve().parent == outside.resolve()


def test_cluster_recipe_output_folder_stays_in_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    doc = {"clusters": {"output": "../escaped", "n_datasets": 1, "archetypes": [
        {"name": "a", "params": {"n_clusters": 2, "dim": 2, "n_samples": 40}}]}}
    with pytest.raises(RecipeError, match="clusters.output.*allow_outside"):
        run_recipe(doc)
    assert not (tmp_path.parent / "escaped").exists()


def test_recipe_outputs_into_a_given_folder_keep_their_names(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    recipe = _recipe_in(tmp_path / "r", "output: ../../x.csv\nmodel: sub/m.json\n")
    written = run_recipe(recipe, out_dir=tmp_path / "out")
    assert sorted(p.name for p in written) == ["m.json", "x.csv"]
    assert all(p.parent == tmp_path / "out" for p in written)


# ----------------------------------------------------------------------------- outputs


def _small_frame() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame({"x": rng.standard_normal(60), "y": rng.standard_normal(60)})


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002])
def test_outputs_honour_the_umask(tmp_path, umask):
    from synthkit.validation import validate

    frame = _small_frame()
    report = validate(frame, frame.sample(frac=1.0, random_state=1), checks="marginals")
    old = os.umask(umask)
    try:
        reference = tmp_path / "plain.txt"
        with open(reference, "w") as fh:  # what an ordinary open() gives under this umask
            fh.write("x")
        write_table(frame, tmp_path / "t.csv")
        write_table(frame, tmp_path / "t.parquet")
        write_json(tmp_path / "t.json", {"a": 1})
        report.to_html(tmp_path / "t.html")
    finally:
        os.umask(old)
    expected = stat.S_IMODE(reference.stat().st_mode)
    assert expected == 0o666 & ~umask
    for name in ("t.csv", "t.parquet", "t.json", "t.html"):
        assert oct(stat.S_IMODE((tmp_path / name).stat().st_mode)) == oct(expected), name


@pytest.mark.parametrize("mode", [0o600, 0o640, 0o444])
def test_overwriting_keeps_the_permissions_of_the_replaced_file(tmp_path, mode):
    """A private file stays private when rewritten, even under a permissive umask, and the
    temporary file is never wider than the file it replaces while it is being written."""
    from synthkit.io import atomic_path

    frame = _small_frame()
    targets = [tmp_path / n for n in ("t.csv", "t.parquet", "t.json", "t.txt")]
    for t in targets:
        t.write_text("old")
        os.chmod(t, mode)
    old = os.umask(0o002)
    try:
        write_table(frame, targets[0])
        write_table(frame, targets[1])
        write_json(targets[2], {"a": 1})
        with atomic_path(targets[3]) as tmp:
            during = stat.S_IMODE(tmp.stat().st_mode) & ~stat.S_IWUSR
            tmp.write_text("new")
    finally:
        os.umask(old)
    assert oct(during) == oct(mode & ~stat.S_IWUSR)  # plus the owner's write bit, to write it
    for t in targets:
        assert oct(stat.S_IMODE(t.stat().st_mode)) == oct(mode), t.name
    assert targets[3].read_text() == "new"


def _start_writer(target: Path, env: dict) -> subprocess.Popen:
    code = textwrap.dedent(f"""
        import time
        from synthkit.io import atomic_path
        with atomic_path({str(target)!r}) as tmp:
            tmp.write_text("partial")
            print("writing", flush=True)
            time.sleep(120)
    """)
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True,
                            env=env)
    assert proc.stdout.readline().strip() == "writing"
    return proc


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_sigterm_mid_write_removes_the_temporary_file(tmp_path):
    target = tmp_path / "out.csv"
    proc = _start_writer(target, _env())
    assert len(list(tmp_path.iterdir())) == 1  # the temporary file
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert list(tmp_path.iterdir()) == []


def test_temporary_file_of_a_killed_writer_is_removed_by_the_next_write(tmp_path):
    target = tmp_path / "out.csv"
    killed = _start_writer(target, _env())
    killed.kill()
    killed.wait(timeout=60)
    stale = list(tmp_path.iterdir())
    assert len(stale) == 1 and stale[0].name.startswith(".out.csv.") and stale[0].name.endswith(".tmp")
    live = _start_writer(target, _env())  # a writer still at work keeps its file
    try:
        (live_tmp,) = set(tmp_path.iterdir()) - set(stale)
        write_table(_small_frame(), target)
        assert sorted(p.name for p in tmp_path.iterdir()) == sorted([live_tmp.name, "out.csv"])
    finally:
        live.terminate()
        live.wait(timeout=60)
    assert [p.name for p in tmp_path.iterdir()] == ["out.csv"]


def test_missing_folder_is_refused_unless_asked(tmp_path):
    frame = _small_frame()
    with pytest.raises(DataError, match="does not exist.*--mkdir"):
        write_table(frame, tmp_path / "a" / "b" / "t.csv")
    with pytest.raises(DataError, match="does not exist"):
        write_json(tmp_path / "a" / "m.json", {"a": 1})
    assert list(tmp_path.iterdir()) == []
    write_table(frame, tmp_path / "a" / "b" / "t.csv", parents=True)
    pd.testing.assert_frame_equal(pd.read_csv(tmp_path / "a" / "b" / "t.csv"), frame)


def test_cli_output_paths(tmp_path, capsys):
    model = tmp_path / "m.json"
    synthkit.declare({"a": {"distribution": "normal"}}).save(model)
    (tmp_path / "file.txt").write_text("x")
    # a folder is a partitioned Parquet dataset's: this one holds other files (or dask is missing)
    folder = "needs --seed" if importlib.util.find_spec("dask") else "needs dask"
    bad = {"missing folder": (tmp_path / "nope" / "x.csv", "does not exist"),
           "a folder": (tmp_path, folder),
           "under a file": (tmp_path / "file.txt" / "x.csv", "is not a folder")}
    for what, (out, msg) in bad.items():
        assert main(["sample", str(model), "-n", "5", "-o", str(out)]) == 2, what
        err = capsys.readouterr().err
        assert err.startswith("synthkit: error: ") and msg in err, (what, err)
    assert not (tmp_path / "nope").exists()
    assert main(["sample", str(model), "-n", "5", "-o", str(tmp_path / "nope" / "x.csv"), "--mkdir"]) == 0
    assert len(pd.read_csv(tmp_path / "nope" / "x.csv")) == 5
    recipe = str(ROOT / "recipes" / "bank_customers.yaml")
    assert main(["run", recipe, "--out", str(tmp_path / "r" / "s"), "-n", "50"]) == 2
    assert "--mkdir" in capsys.readouterr().err and not (tmp_path / "r").exists()
    assert main(["run", recipe, "--out", str(tmp_path / "r" / "s"), "-n", "50", "--mkdir"]) == 0
    assert len(pd.read_csv(tmp_path / "r" / "s" / "bank_customers.csv")) == 50


def test_every_writer_creates_a_missing_folder_when_asked(tmp_path):
    """The missing-folder error says `parents=True`; the model, dataset, archetype and report
    writers did not take it."""
    m = synthkit.declare({"x": {"distribution": "normal"}})
    with pytest.raises(DataError, match=r"parents=True"):
        m.save(tmp_path / "no" / "m.json")
    ds = m.sample(50, seed=0)
    rep = synthkit.validate(ds.frame, ds.frame, checks="marginals", figures=False)
    arch = synthkit.Archetype(n_clusters=2, dim=2, n_samples=50)
    m.save(tmp_path / "a" / "m.json", parents=True)
    ds.save(tmp_path / "b" / "s.csv", parents=True)
    rep.to_json(tmp_path / "c" / "r.json", parents=True)
    rep.to_html(tmp_path / "d" / "r.html", parents=True)
    arch.save(tmp_path / "e" / "a.json", parents=True)
    arch.sample(seed=0).save(tmp_path / "f" / "c.csv", parents=True)
    assert synthkit.load(tmp_path / "a" / "m.json").sample(3, seed=1).frame.equals(m.sample(3, seed=1).frame)
    assert {p.parent.name for p in tmp_path.rglob("*") if p.is_file()} == set("abcdef")


def test_csv_written_in_pieces_has_the_bytes_of_one_piece(tmp_path, capsys, monkeypatch):
    import synthkit.io as sio

    monkeypatch.setattr(sio, "CSV_PIECE_ROWS", 7)
    r = np.random.default_rng(0)
    frame = pd.DataFrame({"x": r.normal(size=30), "s": r.choice(["a", "b,c", 'q"x', None], 30),
                          "n": np.where(r.random(30) < 0.2, np.nan, 1.5)})
    frame.to_csv(tmp_path / "one.csv", index=False)
    sio.write_table(frame, tmp_path / "pieces.csv", progress=True)
    assert (tmp_path / "one.csv").read_bytes() == (tmp_path / "pieces.csv").read_bytes()
    assert "write" in capsys.readouterr().err
    sio.write_table(frame.iloc[:0], tmp_path / "empty.csv")
    assert (tmp_path / "empty.csv").read_text().strip() == "x,s,n"
