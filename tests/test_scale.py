"""Partitioned generation: Dask frames and restartable Parquet datasets equal the in-memory sample."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
import signal
import subprocess
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.errors import DataError, FitError, SpecError, SynthkitError
from synthkit.seeding import BLOCK_ROWS
from synthkit.strategies import _engine
from synthkit.strategies._engine import blocks_frame, cast_to_meta, output_meta, prepare_sample

dask = pytest.importorskip("dask")
from synthkit.scale import (  # noqa: E402
    dataset_hash,
    frame_hash,
    partition_layout,
    read_dataset,
    sample_dask,
    sample_to_parquet,
)
from synthkit.scale.parquet_output import MANIFEST, SUCCESS, read_manifest  # noqa: E402
from synthkit.scale.partitioned import ModelRef, partition_frame  # noqa: E402

N = 2 * BLOCK_ROWS + 1234  # three blocks, the last one short
RULES = ["age >= 30", "inc < 2e5 or seg == 'a'", {"rule": "cnt != 2", "keep": 0.5},
         "band = if age > 50 then 'old' else 'young'"]


def table(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "age": rng.integers(18, 90, n), "inc": rng.lognormal(10, 0.8, n),
        "seg": pd.Categorical(rng.choice(list("abc"), n, p=[0.5, 0.3, 0.2])), "flag": rng.random(n) < 0.3,
        "cnt": rng.poisson(2.0, n).astype(float), "city": rng.choice(["north", "south", "east"], n),
        "when": pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1000, n), unit="D")})
    df.loc[rng.random(n) < 0.1, "cnt"] = np.nan
    df["cnt"] = df["cnt"].astype("Int64")
    df.loc[rng.random(n) < 0.05, "city"] = None
    return df


def in_memory(model, n: int, seed, **kw) -> pd.DataFrame:
    return cast_to_meta(model.sample(n, seed=seed, **kw).frame, output_meta(model))


@pytest.fixture(scope="module")
def ruled():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return synthkit.fit(table(), strategy="gaussian_copula", rules=RULES)


# ------------------------------------------------------------------------------------ engine
def test_blocks_frame_is_the_sample_cut_at_blocks(ruled):
    root = np.random.SeedSequence(7)
    whole = ruled.sample(N, seed=root).frame
    plan = prepare_sample(ruled, N, root)
    assert plan.ruled and plan.pilot_rows == _engine.PILOT_ROWS and plan.blocks == 3
    plan = pickle.loads(pickle.dumps(plan))  # what a worker receives
    for start, stop in ((0, 1), (1, 3), (2, 3)):
        got = blocks_frame(ruled, plan, start, stop)
        want = whole.iloc[start * BLOCK_ROWS:stop * BLOCK_ROWS].reset_index(drop=True)
        pd.testing.assert_frame_equal(got, want)
    with pytest.raises(SpecError, match="block range"):
        blocks_frame(ruled, plan, 2, 4)


def test_output_meta_fixes_one_nullable_dtype_per_column(ruled):
    meta = output_meta(ruled)
    assert list(meta.columns) == ["age", "inc", "seg", "flag", "cnt", "city", "when", "band"]
    got = {c: str(t) for c, t in meta.dtypes.items()}
    assert got == {"age": "int64", "inc": "float64", "seg": "category", "flag": "bool", "cnt": "Int64",
                   "city": "string", "when": str(ruled.sample(5, seed=0).frame["when"].dtype), "band": "category"}
    assert list(meta["seg"].cat.categories) == ["a", "b", "c"]
    # in memory, a column with rules is int64 unless a value is missing; cast, it is the schema's
    small = ruled.sample(50, seed=1).frame
    assert cast_to_meta(small, meta).dtypes.equals(meta.dtypes)


# --------------------------------------------------------------------------- strategies
STRATEGIES = [("montecarlo", {}), ("gaussian_copula", {}), ("t_copula", {}), ("cholesky", {"exact": True}),
              ("iman_conover", {}), ("vine", {}), ("gmm", {}), ("cart", {})]


@pytest.mark.parametrize("strategy,params", STRATEGIES, ids=[s for s, _ in STRATEGIES])
def test_every_strategy_partitioned_equals_in_memory(strategy, params):
    df = table().drop(columns=["when"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = synthkit.fit(df, strategy=strategy, rules=RULES, **params)
        plain = synthkit.fit(df[["age", "inc", "cnt"]], strategy=strategy, **params)
    n = BLOCK_ROWS + 777  # two blocks, two partitions
    models = (model, plain) if strategy == "cholesky" else (model,)
    for m in models:  # with rules (pilot round); without (Cholesky's exact whitening of the whole sample)
        want = in_memory(m, n, 3)
        got = sample_dask(m, n, seed=3, partitions=2).compute(scheduler="threads")
        pd.testing.assert_frame_equal(got, want)
    # a worker process rebuilds the model from its JSON document: the same rows
    ref = pickle.loads(pickle.dumps(ModelRef(m)))
    assert ref._model is None
    plan = pickle.loads(pickle.dumps(prepare_sample(m, n, np.random.SeedSequence(3))))
    pd.testing.assert_frame_equal(partition_frame(ref, plan, 1, 2), want.iloc[BLOCK_ROWS:])


def test_conditions_identifiers_and_strata_partitioned_equal_in_memory():
    df = table()
    df["member"] = [f"M{i:06d}" for i in np.random.default_rng(1).permutation(len(df))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ident = synthkit.fit(df, strategy="montecarlo", rules=["age >= 25"], roles={"member": "identifier"})
        strata = synthkit.fit(df.drop(columns=["member"]), strategy="gaussian_copula", stratify="seg",
                              rules=["inc > 5000"])
    assert str(output_meta(ident)["member"].dtype) == "string"
    cond = {"age": (40, 60)}
    cases = [(ident, {}), (ident, {"conditions": cond}), (strata, {})]
    got, n = {}, BLOCK_ROWS + 777
    for i, (m, kw) in enumerate(cases):
        want = in_memory(m, n, 9, **kw)
        got[i] = sample_dask(m, n, seed=9, partitions=2, **kw).compute(scheduler="threads")
        pd.testing.assert_frame_equal(got[i], want)
    assert got[0]["member"].is_unique and not got[0]["member"].isin(df["member"]).any()
    assert got[1]["age"].between(40, 60).all() and got[2]["seg"].nunique() == 3
    with pytest.raises(SpecError, match="conditions"):
        sample_dask(strata, N, seed=9, conditions=cond)


# ------------------------------------------------------------------------------ datasets
def test_dataset_hash_is_the_same_for_any_partitioning_and_scheduler(ruled, tmp_path):
    n = 16 * BLOCK_ROWS + 1234  # 17 blocks
    model = synthkit.declare({"x": {"distribution": "normal"}, "k": {"distribution": "poisson", "params": {"mu": 3}},
                              "c": {"categories": ["p", "q", "r"]}}, strategy="montecarlo",
                             rules=["x + k > 1", "t = if c == 'p' then 'P' else 'QR'"])
    want = in_memory(model, n, 11)
    h = frame_hash(want)
    for parts, scheduler in ((1, None), (4, "threads"), (16, None)):
        out = tmp_path / f"p{parts}"
        res = sample_to_parquet(model, n, out, seed=11, partitions=parts, scheduler=scheduler, workers=2)
        assert (res.rows, res.parts, res.parts_written, res.parts_kept) == (n, parts, parts, 0)
        assert dataset_hash(out) == h and res.dataset_hash == h, (parts, scheduler)
    pd.testing.assert_frame_equal(read_dataset(tmp_path / "p4"), want)
    ddf = sample_dask(model, n, seed=11, partitions=16)
    assert ddf.npartitions == 16 and ddf.known_divisions
    assert ddf.divisions[1] == 2 * BLOCK_ROWS and ddf.divisions[-1] == n - 1  # 17 blocks: 2, 1, 1, ...
    # the hash is of the data: another seed differs
    assert frame_hash(in_memory(model, n, 12)) != h


def test_manifest_footers_names_and_encodings(ruled, tmp_path):
    import pyarrow.parquet as pq

    out = tmp_path / "ds"
    res = sample_to_parquet(ruled, N, out, seed=2, partitions=3)
    names = sorted(os.listdir(out))
    assert names == [SUCCESS, MANIFEST, "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"]
    done = json.loads((out / SUCCESS).read_text())
    assert done["rows"] == N and done["sha256"] == hashlib.sha256((out / MANIFEST).read_bytes()).hexdigest()
    man = read_manifest(out)
    assert man["n"] == N and man["block_rows"] == BLOCK_ROWS and man["format_version"] == 1
    assert man["rows_per_part"] == [BLOCK_ROWS, BLOCK_ROWS, 1234]
    assert [p["blocks"] for p in man["parts"]] == [[0, 1], [1, 2], [2, 3]]
    assert man["seed"] == {"entropy": 2, "spawn_key": []}
    assert man["synthkit_version"] == synthkit.__version__
    doc = json.dumps(synthkit.io.to_jsonable(ruled.to_dict()), sort_keys=True, separators=(",", ":"))
    assert man["model_hash"] == hashlib.sha256(doc.encode()).hexdigest()
    assert [c["name"] for c in man["schema"]] == list(output_meta(ruled).columns)
    assert man["dataset_hash"] == dataset_hash(out) == res.dataset_hash
    assert res.bytes_written == sum(p["bytes"] for p in man["parts"]) == sum(
        (out / p["name"]).stat().st_size for p in man["parts"])
    for p in man["parts"]:
        md = pq.read_metadata(out / p["name"])
        entry = json.loads(md.metadata[b"synthkit"])
        assert entry["spec"] == p["spec"] and entry["data_hash"] == p["data_hash"] and md.num_rows == p["rows"]
        frame = read_dataset(out).iloc[p["row_range"][0]:p["row_range"][1]]
        assert entry["data_hash"] == hashlib.sha256(
            "".join(synthkit.scale.parquet_output._block_digests(frame)).encode()).hexdigest()
        encodings = {md.schema.column(j).name: md.row_group(0).column(j).encodings for j in range(md.num_columns)}
        dictionary = {c for c, e in encodings.items() if any("DICTIONARY" in x for x in e)}
        assert dictionary == {"seg", "city", "band"}, encodings  # the categorical columns


def test_restart_rewrites_only_missing_or_damaged_parts(ruled, tmp_path):
    out = tmp_path / "ds"
    n = 4 * BLOCK_ROWS + 99  # five parts of one block
    first = sample_to_parquet(ruled, n, out, seed=4, partitions=5)
    h = first.dataset_hash
    files = [out / f"part-{i:05d}.parquet" for i in range(5)]
    past = time.time() - 1000
    for f in files:
        os.utime(f, (past, past))
    files[1].unlink()  # lost
    with open(files[2], "r+b") as fh:  # truncated: no footer
        fh.truncate(files[2].stat().st_size - 100)
    data = bytearray(files[3].read_bytes())  # contents changed, footer intact
    data[len(data) // 3: len(data) // 3 + 64] = b"\x55" * 64
    files[3].write_bytes(bytes(data))
    (out / ".part-00004.parquet.tmp-0123456789abcdef0123456789abcdef").write_bytes(b"half")
    (out / SUCCESS).unlink()
    with pytest.raises(DataError, match="incomplete"):
        read_dataset(out)
    again = sample_to_parquet(ruled, n, out, seed=4, partitions=5)
    assert (again.parts_written, again.parts_kept) == (3, 2)
    assert [f.stat().st_mtime == past for f in files] == [True, False, False, False, True]
    assert again.dataset_hash == h == dataset_hash(out)
    assert sorted(os.listdir(out)) == [SUCCESS, MANIFEST] + [f.name for f in files]
    # another seed or partitioning replaces every part; parts past the new count go
    other = sample_to_parquet(ruled, n, out, seed=5, partitions=2)
    assert (other.parts_written, other.parts_kept) == (2, 0)
    assert sorted(os.listdir(out)) == [SUCCESS, MANIFEST, "part-00000.parquet", "part-00001.parquet"]
    assert dataset_hash(out) == frame_hash(in_memory(ruled, n, 5)) != h


@pytest.mark.slow
def test_killed_cli_run_resumes_to_the_same_dataset(tmp_path):
    bench = Path(__file__).resolve().parents[1] / "benchmarks"
    sys.path.insert(0, str(bench))
    try:
        from sample_speed import build_model
    finally:
        sys.path.remove(str(bench))
    model = build_model()
    model.save(tmp_path / "m.json")
    n, out = 16 * BLOCK_ROWS + 5, tmp_path / "ds"
    cmd = [sys.executable, "-m", "synthkit", "sample", str(tmp_path / "m.json"), "-n", str(n), "-o",
           f"{out}/", "--seed", "8", "--partitions", "17", "--workers", "1", "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    while not (out.is_dir() and any(f.startswith("part-") for f in os.listdir(out))):
        assert proc.poll() is None and time.time() < deadline, proc.communicate()
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    done = [f for f in os.listdir(out) if f.startswith("part-")]
    assert SUCCESS not in os.listdir(out) and 0 < len(done) < 17
    run = subprocess.run(cmd, capture_output=True, text=True, check=True)
    assert f"wrote {n:,} rows in 17 parts" in run.stdout and f"{len(done)} kept" in run.stdout
    assert dataset_hash(out) == frame_hash(in_memory(model, n, 8)) == read_manifest(out)["dataset_hash"]
    assert not [f for f in os.listdir(out) if f.startswith(".")]


def test_bad_inputs_are_clear_errors(ruled, tmp_path):
    out = tmp_path / "ds"
    with pytest.raises(SpecError, match="`partitions` must be a positive integer, got 0"):
        sample_to_parquet(ruled, N, out, seed=1, partitions=0)
    with pytest.raises(SpecError, match="`n` must be a positive integer, got 0"):
        sample_to_parquet(ruled, 0, out, seed=1)
    with pytest.raises(SpecError, match="scheduler address such as 'tcp://"):
        sample_to_parquet(ruled, N, out, seed=1, scheduler="localhost:8786")
    with pytest.raises(SpecError, match="`workers` must be a positive integer"):
        sample_to_parquet(ruled, N, out, seed=1, workers=0)
    assert not out.exists()  # nothing is touched before the inputs are checked
    file = tmp_path / "file.parquet"
    file.write_bytes(b"x")
    with pytest.raises(DataError, match="is a file"):
        sample_to_parquet(ruled, N, file, seed=1)
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(DataError, match=r"holds files this writer did not make \(notes.txt\)"):
        sample_to_parquet(ruled, N, out, seed=1)
    assert os.listdir(out) == ["notes.txt"]
    with pytest.raises(FitError, match="not fitted"):
        sample_to_parquet(synthkit.strategies.montecarlo.MonteCarlo(), N, tmp_path / "x", seed=1)
    with pytest.raises(DataError, match="no _SUCCESS marker"):
        read_dataset(out)
    with pytest.raises(SpecError, match="`partitions` must be a positive integer"):
        partition_layout(10, 1.5)


def test_cli_writes_a_partitioned_dataset(ruled, tmp_path, capsys):
    from synthkit.cli import main

    ruled.save(tmp_path / "m.json")
    out = tmp_path / "ds"
    assert main(["sample", str(tmp_path / "m.json"), "-n", str(N), "-o", f"{out}/", "--seed", "6",
                 "--partitions", "2", "--workers", "2", "--no-progress"]) == 0
    assert f"wrote {N:,} rows in 2 parts (2 written) in" in capsys.readouterr().out
    assert dataset_hash(out) == frame_hash(in_memory(ruled, N, 6))
    # an existing folder, or --format parquet without the suffix, is a partitioned dataset too
    assert main(["sample", str(tmp_path / "m.json"), "-n", str(N), "-o", str(out), "--seed", "6",
                 "--partitions", "2", "--no-progress"]) == 0
    assert "(0 written, 2 kept)" in capsys.readouterr().out
    assert main(["sample", str(tmp_path / "m.json"), "-n", "100", "-o", str(tmp_path / "new"), "--format",
                 "parquet", "--seed", "6"]) == 0
    assert read_manifest(tmp_path / "new")["n"] == 100
    assert main(["sample", str(tmp_path / "m.json"), "-n", "10", "-o", str(tmp_path / "one.csv"),
                 "--partitions", "2"]) == 2
    assert "--partitions and --scheduler apply to a partitioned dataset" in capsys.readouterr().err
    assert main(["sample", str(tmp_path / "m.json"), "-n", "10", "-o", f"{tmp_path}/noseed/"]) == 2
    assert "needs --seed" in capsys.readouterr().err and not (tmp_path / "noseed").exists()


def test_refused_call_keeps_the_dataset_and_a_saved_model_keeps_its_parts(tmp_path):
    declared = synthkit.declare({"x": {"distribution": "normal"},
                                 "seg": {"categories": list("abcd"), "probs": [0.4, 0.3, 0.2, 0.1]}},
                                strategy="montecarlo")
    out = tmp_path / "ds"
    sample_to_parquet(declared, N, out, seed=3, partitions=3, progress=False)
    before = sorted(os.listdir(out))
    with pytest.raises(SpecError, match="nope"):
        sample_to_parquet(declared, N, out, seed=3, partitions=2, conditions={"nope": 1}, progress=False)
    assert sorted(os.listdir(out)) == before and read_manifest(out) is not None
    # a condition value the model cannot meet is refused by the plan, before the folder is touched
    with pytest.raises(SpecError, match="zz"):
        sample_to_parquet(declared, N, out, seed=3, partitions=1, conditions={"seg": "zz"}, progress=False)
    assert sorted(os.listdir(out)) == before and read_manifest(out) is not None
    declared.save(tmp_path / "m.json")  # a saved and loaded model is the same model: its parts are kept
    again = sample_to_parquet(synthkit.load(tmp_path / "m.json"), N, out, seed=3, partitions=3, progress=False)
    assert (again.parts_written, again.parts_kept) == (0, 3)


def test_conditions_on_missing_and_on_the_text_nan_are_two_specs(tmp_path):
    """{"c": nan} (rows missing c) and {"c": "nan"} (the label) draw different rows, so a
    dataset of one is never kept for the other (the manifest's JSON writes both as "nan")."""
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.normal(size=600), "c": rng.choice(["nan", "x", "y", None], 600)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = synthkit.fit(df, strategy="gaussian_copula")
    n, out = 2 * BLOCK_ROWS, tmp_path / "ds"
    sample_to_parquet(model, n, out, seed=1, partitions=2, conditions={"c": np.nan}, progress=False)
    (out / "part-00001.parquet").unlink()  # as if interrupted
    again = sample_to_parquet(model, n, out, seed=1, partitions=2, conditions={"c": "nan"}, progress=False)
    assert (again.parts_written, again.parts_kept) == (2, 0)
    assert read_dataset(out)["c"].eq("nan").all()
    assert dataset_hash(out) == frame_hash(in_memory(model, n, 1, conditions={"c": "nan"}))


def _rewrite_footer(file: Path, **changes) -> None:
    """Rewrite a part with its footer entry changed (the data and the spec hash left alone)."""
    import pyarrow.parquet as pq

    table = pq.read_table(file)
    meta = dict(table.schema.metadata)
    entry = {**json.loads(meta[b"synthkit"]), **changes}
    pq.write_table(table.replace_schema_metadata({**meta, b"synthkit": json.dumps(entry).encode()}), file)


def test_a_kept_part_is_listed_under_its_own_name_and_range(ruled, tmp_path):
    """Only the hashes are read from a kept part's footer: a footer naming another part, or
    another row range, or missing its hashes' proof, does not reach the manifest."""
    n, out = 3 * BLOCK_ROWS, tmp_path / "ds"
    h = sample_to_parquet(ruled, n, out, seed=2, partitions=3, progress=False).dataset_hash
    _rewrite_footer(out / "part-00001.parquet", name="part-00000.parquet", row_range=[0, 5])
    _rewrite_footer(out / "part-00002.parquet", data_hash="0" * 64)
    again = sample_to_parquet(ruled, n, out, seed=2, partitions=3, verify=False, progress=False)
    assert (again.parts_written, again.parts_kept) == (1, 2)  # part 2's hashes do not add up
    manifest = read_manifest(out)
    assert [p["name"] for p in manifest["parts"]] == [f"part-0000{i}.parquet" for i in range(3)]
    assert [p["row_range"] for p in manifest["parts"]] == [[0, BLOCK_ROWS], [BLOCK_ROWS, 2 * BLOCK_ROWS],
                                                           [2 * BLOCK_ROWS, n]]
    assert again.dataset_hash == h == dataset_hash(out)


def test_edited_manifests_and_odd_leftovers_are_refused(ruled, tmp_path):
    import hashlib as _hashlib

    out = tmp_path / "ds"
    sample_to_parquet(ruled, N, out, seed=1, partitions=2, progress=False)
    doc = json.loads((out / MANIFEST).read_text())
    edited = {**doc, "schema": [{**c, "dtype": "int8"} for c in doc["schema"]]}
    (out / MANIFEST).write_text(json.dumps(edited))
    with pytest.raises(DataError, match="not the manifest its _SUCCESS marker records"):
        read_dataset(out)
    # a manifest whose marker was rewritten to match still lists each part once
    twice = {**doc, "parts": [doc["parts"][0]] * 3}
    text = json.dumps(twice)
    (out / MANIFEST).write_text(text)
    (out / SUCCESS).write_text(json.dumps({"manifest": MANIFEST, "rows": N,
                                           "sha256": _hashlib.sha256(text.encode()).hexdigest()}))
    with pytest.raises(DataError, match="lists a part more than once"):
        read_dataset(out)
    # a leftover temporary name that is a folder is not removed blindly
    (out / ".part-00001.parquet.tmp-0123456789abcdef0123456789abcdef").mkdir()
    with pytest.raises(DataError, match="not files this writer made"):
        sample_to_parquet(ruled, N, out, seed=1, partitions=2, progress=False)


def test_sizes_beyond_any_dataset_are_refused_at_once(ruled, tmp_path):
    for n in (2**50 + 1, 1e16):
        with pytest.raises(SpecError, match="at most 1,125,899,906,842,624 rows"):
            sample_to_parquet(ruled, n, tmp_path / "ds", seed=1)
    for n in (10**30, 1e300):  # beyond 64-bit row numbers: refused as any row count
        with pytest.raises(SpecError, match=r"`n` must be at most 2\*\*63 - 1"):
            sample_to_parquet(ruled, n, tmp_path / "ds", seed=1)
    with pytest.raises(SpecError, match="at most 1,000,000 parts"):
        partition_layout(2**40, 10**7)
    assert not (tmp_path / "ds").exists()


def test_nullable_floats_and_generated_ids_keep_their_type_in_parts(tmp_path):
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"id": rng.permutation(np.arange(1000, 1400)).astype(np.int16),
                       "score": pd.array(np.where(rng.random(400) < 0.1, np.nan, rng.random(400)),
                                         dtype="Float64")})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        m = synthkit.fit(df, strategy="montecarlo", roles={"id": "identifier"})
    n = BLOCK_ROWS + 5  # ids past the int16 range of the real column
    got = sample_dask(m, n, seed=2, partitions=2).compute(scheduler="threads")
    pd.testing.assert_frame_equal(got, in_memory(m, n, 2))
    assert got["id"].is_unique and got["id"].max() > 2**15 and pd.api.types.is_float_dtype(got["score"])


def test_without_dask_the_error_says_how_to_install(ruled, monkeypatch, tmp_path, capsys):
    from synthkit import schedulers
    from synthkit.cli import main

    ruled.save(tmp_path / "m.json")
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(SynthkitError, match=r"pip install 'synthkit\[scale\]'"):
        schedulers.import_dask()
    assert main(["sample", str(tmp_path / "m.json"), "-n", "10", "-o", f"{tmp_path}/ds/"]) != 0
    assert "pip install 'synthkit[scale]'" in capsys.readouterr().err
    assert not (tmp_path / "ds").exists()


def test_progress_bar_advances_per_part(ruled, tmp_path, monkeypatch):
    from synthkit.scale import parquet_output

    bars, steps = [], []

    def recording(*args, **kwargs):
        bar = progress_bar(*args, **kwargs)
        update = bar.update
        bar.update = lambda k=1: (steps.append(k), update(k))
        bars.append(bar)
        return bar

    progress_bar = parquet_output.progress_bar
    monkeypatch.setattr(parquet_output, "progress_bar", recording)
    sample_to_parquet(ruled, N, tmp_path / "ds", seed=1, partitions=3, progress=True)
    assert len(bars) == 1 and bars[0].total == 3 and steps == [1, 1, 1]
    (tmp_path / "ds" / "part-00001.parquet").unlink()
    sample_to_parquet(ruled, N, tmp_path / "ds", seed=1, partitions=3, progress=True)
    assert bars[1].total == 3 and bars[1].n == 3 and steps == [1, 1, 1, 1]  # starts at the 2 kept parts


# ------------------------------------------------------------------------------ clusters
@pytest.mark.slow
def test_processes_scheduler_writes_the_same_dataset(ruled, tmp_path):
    # dask's multiprocessing scheduler: the model travels as its JSON document
    res = sample_to_parquet(ruled, N, tmp_path / "proc", seed=11, partitions=3, scheduler="processes",
                            workers=2)
    assert res.dataset_hash == dataset_hash(tmp_path / "proc") == frame_hash(in_memory(ruled, N, 11))


@pytest.mark.slow
def test_local_cluster_writes_the_same_dataset_and_survives_a_lost_worker(ruled, tmp_path):
    distributed = pytest.importorskip("distributed")
    n = 40 * BLOCK_ROWS + 17
    h = frame_hash(in_memory(ruled, n, 21))
    with distributed.LocalCluster(processes=True, n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, distributed.Client(cluster) as client:
        res = sample_to_parquet(ruled, n, tmp_path / "a", seed=21, partitions=8, client=client)
        assert res.dataset_hash == h == dataset_hash(tmp_path / "a")
        res = sample_to_parquet(ruled, n, tmp_path / "b", seed=21, partitions=3, scheduler=cluster.scheduler_address)
        assert dataset_hash(tmp_path / "b") == h
        # a worker killed mid-run: its tasks run again elsewhere
        out = tmp_path / "c"
        import threading

        def kill_one():
            while not (out.is_dir() and any(f.startswith("part-") for f in os.listdir(out))):
                time.sleep(0.01)
            pids = client.run(os.getpid)
            os.kill(next(iter(pids.values())), signal.SIGKILL)

        killer = threading.Thread(target=kill_one)
        killer.start()
        res = sample_to_parquet(ruled, n, out, seed=21, partitions=40, client=client)
        killer.join()
        assert res.parts_written == 40 and dataset_hash(out) == h
