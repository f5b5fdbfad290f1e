"""Build and execute notebooks/09_scale.ipynb (run: python notebooks/make_09_scale.py)."""

from build import build_notebook

cells = [
    ("md", """# 09 · Scale-out: partitioned samples on Dask, validated without collecting them

A fitted model draws its rows in fixed blocks of 65,536 rows, block `b` seeded from the root seed
and `b` alone. `synthkit.scale` hands runs of whole blocks to Dask workers, so a sample of any size
is written as a partitioned Parquet dataset whose data do not depend on the number of partitions,
the scheduler or the machine:

* `sample_to_parquet(model, n, path, seed=...)`: one part per partition, written to a temporary
  name and renamed, a manifest written last; re-running after a crash writes only what is missing;
* `sample_dask(model, n, seed=...)`: the same rows as a lazy `dask.dataframe`;
* `validate(real, path)`: the validation report of a dataset larger than memory, from mergeable
  summaries filled in one pass over the parts.

With no scheduler given everything runs in this process on threads (no server, no ports).
Here `n` is small; `benchmarks/scale.py` measures 10^6 to 10^8 rows. Dask is an optional extra:
`pip install 'synthkit[scale]'`."""),
    ("code", """import json
import os
import tempfile
import time
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

import synthkit
from synthkit.datasets import load_example

try:
    import dask  # noqa: F401
    HAVE_DASK = True
except ImportError:
    HAVE_DASK = False
    print("dask is not installed: pip install 'synthkit[scale]' to run the partitioned sections")
FAST = os.environ.get("SYNTHKIT_FAST") == "1"
N = 300_000 if FAST else 3_000_000
WORK = Path(tempfile.mkdtemp(prefix="synthkit-scale-"))
real = load_example("sklearn:wine")
model = synthkit.fit(real, stratify="auto")  # gaussian_copula, one model per class
print(f"model fitted on {real.shape[0]} rows x {real.shape[1]} columns; sampling N = {N:,} rows")"""),
    ("md", """## 1. Write a partitioned dataset locally

The embedded default: dask's threaded scheduler in this process. The call prints one summary line;
the directory holds zero-padded parts in row order, the manifest and `_SUCCESS`."""),
    ("code", """if HAVE_DASK:
    from synthkit.scale import dataset_hash, read_dataset, sample_to_parquet

    res = sample_to_parquet(model, N, WORK / "local", seed=11, partitions=4, progress=False)
    print(res.summary().split(" -> ")[0])  # (the path is a temporary folder)
    for f in sorted((WORK / "local").iterdir()):
        print(f"{f.name:<22}{f.stat().st_size:>12,} bytes")
    manifest = json.loads((WORK / "local" / "_manifest.json").read_text())
    print({k: manifest[k] for k in ("n", "block_rows", "seed") if k in manifest})"""),
    ("md", """## 2. The same data whatever the partitioning

The data hash is computed in row order, independent of how the rows are split into parts and
row groups. One, four and sixteen partitions and the in-memory `model.sample` give the same hash."""),
    ("code", """if HAVE_DASK:
    from synthkit.scale import frame_hash, output_meta, cast_to_meta

    hashes = {}
    for p in (1, 4, 16):
        out = WORK / f"p{p}"
        sample_to_parquet(model, N, out, seed=11, partitions=p, progress=False)
        hashes[f"{p} partition(s)"] = dataset_hash(out)
    hashes["in memory"] = frame_hash(cast_to_meta(model.sample(N, seed=11).frame, output_meta(model)))
    print(pd.Series(hashes).str[:16].to_string())
    print("all identical:", len(set(hashes.values())) == 1)"""),
    ("md", """## 3. Restart after a crash

A part is kept when its footer entry matches the requested spec and its data still hash to it.
Deleting one part and damaging another, then re-running the same call, rewrites those two only."""),
    ("code", """if HAVE_DASK:
    parts = sorted((WORK / "local").glob("part-*.parquet"))
    parts[1].unlink()
    parts[2].write_bytes(parts[2].read_bytes()[:1000])  # truncated, as by a crash mid-write
    res2 = sample_to_parquet(model, N, WORK / "local", seed=11, partitions=4, progress=False)
    print(res2.summary().split(" -> ")[0])
    print("same data as before:", dataset_hash(WORK / "local") == hashes["4 partition(s)"])"""),
    ("md", """## 4. A lazy Dask frame

`sample_dask` gives the rows without writing them: any Dask computation runs partition by
partition, here the mean alcohol per class over all rows."""),
    ("code", """if HAVE_DASK:
    from synthkit.scale import sample_dask

    ddf = sample_dask(model, N, seed=11, partitions=4)
    print(ddf.npartitions, "partitions;", list(ddf.columns)[:4], "...")
    by_class = ddf.groupby("target", observed=True)["alcohol"].mean().compute()
    print(pd.DataFrame({"synthetic": by_class, "real": real.groupby("target", observed=True)["alcohol"].mean()}).round(3))"""),
    ("md", """## 5. On a cluster

The same call with a `distributed.Client` (here a local cluster of two worker processes; on a real
cluster, `scheduler="tcp://host:8786"` or the `DASK_SCHEDULER_ADDRESS` variable, and a `path` every
worker can write to). The data hash is the local one."""),
    ("code", """if HAVE_DASK:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        res3 = sample_to_parquet(model, N, WORK / "cluster", seed=11, partitions=4, client=client,
                                 progress=False)
    print(res3.summary().split(" -> ")[0])
    print("same data as the local run:", dataset_hash(WORK / "cluster") == hashes["4 partition(s)"])"""),
    ("md", """## 6. Validate without collecting the data

`validate(real, path)` reads each part once and fills mergeable summaries (counts, moments,
co-moments, fixed-edge histograms on the real table's values); the record-level sections use the
same seeded row subsample as in memory. The report is the in-memory report, to about 1e-3 on every score."""),
    ("code", """if HAVE_DASK:
    from synthkit.validation import validate

    t = time.perf_counter()
    streamed = validate(real, WORK / "local", checks=["marginals", "dependence"], progress=False)
    t_stream = time.perf_counter() - t
    t = time.perf_counter()
    in_memory = validate(real, read_dataset(WORK / "local"), checks=["marginals", "dependence"],
                         progress=False)
    t_mem = time.perf_counter() - t
    a, b = streamed.describe(), in_memory.describe()
    diff = (a["value"] - b["value"]).abs().max()
    print(f"streamed {t_stream:.1f} s, in memory {t_mem:.1f} s; largest score difference {diff:.2e}; "
          f"verdicts {'agree' if streamed.passed == in_memory.passed else 'DIFFER'}")
    print(streamed.summary())"""),
    ("code", """if HAVE_DASK:
    table = a[a["statistic"] == "ks_distance"].set_index("columns")
    fig, ax = plt.subplots(figsize=(8, 3.5))
    ax.barh(table.index, table["value"], color="tab:blue", label="KS distance (streamed)")
    ax.scatter(table["threshold"], table.index, color="black", marker="|", s=200,
               label="threshold + sampling allowance")
    ax.set_xlabel("two-sample KS distance, synthetic vs real")
    ax.set_title(f"{N:,} synthetic rows validated from per-part summaries")
    ax.legend(loc="lower right")
    fig.tight_layout()
    plt.show()"""),
]

if __name__ == "__main__":
    build_notebook(cells, "09_scale.ipynb")
