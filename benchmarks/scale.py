"""Partitioned generation and validation at scale: rows/s and peak memory against N.

The 10-column mixed model of ``benchmarks/sample_speed.py`` (five parametric continuous
columns, two empirical, two categorical, one Poisson count) writes ``N`` rows as a
partitioned Parquet dataset with :func:`synthkit.scale.sample_to_parquet`, three ways:

* ``sync``: one process, one thread (dask's synchronous scheduler);
* ``threads``: in-process, dask's threaded scheduler with ``--workers`` threads (the default);
* ``processes``: ``--workers`` worker processes (dask's multiprocessing scheduler).

Each run is a fresh subprocess; its peak memory is the largest resident set summed over
the process and its children, sampled every 0.1 s with psutil (the child's own
``ru_maxrss`` without it). Then ``synthkit validate REAL DIR/`` (the streaming path: one
pass over the parts) is timed the same way, and the data hashes of the three writers are
compared (same seed, same data). SDV's GaussianCopulaSynthesizer sampling rate on the same
table is printed alongside when SDV is installed.

Run:  python benchmarks/scale.py [--rows 1e6 1e7 1e8] [--workers 2] [--dir DIR]
Targets: rows/s at 1e8 within 20% of rows/s at 1e7; peak memory under 2 GB at 1e8 and
not growing with N; 1e8 rows written in under 2 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
MODES = ("sync", "threads", "processes")
REAL_ROWS = 20_000


def _peak_rss(proc: subprocess.Popen) -> tuple[int, float]:
    """Wait for ``proc``; return its exit code and peak RSS (GiB) summed over its process tree."""
    try:
        import psutil
    except ImportError:  # the child's own peak only
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        return proc.returncode, usage.ru_maxrss / 2**20
    peak = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            tree = [root] + root.children(recursive=True)
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass
        time.sleep(0.1)
    return proc.returncode, peak / 2**30


def _child(argv: list[str]) -> dict:
    """Run this script's child mode in a subprocess; its JSON result with the peak RSS added."""
    proc = subprocess.Popen([sys.executable, __file__, "--child", *argv], stdout=subprocess.PIPE,
                            text=True)
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()))
    reader.start()
    code, peak = _peak_rss(proc)
    reader.join()
    if code != 0:
        raise SystemExit(f"child {argv} failed with exit code {code}")
    result = json.loads(out[0].strip().splitlines()[-1])
    result["peak_gib"] = peak
    return result


def child_main(args: list[str]) -> None:
    import numpy as np
    import pandas as pd

    sys.path.insert(0, str(HERE))
    from sample_speed import build_model

    from synthkit import scale

    task = args[0]
    model = build_model()
    if task == "write":
        n, mode, workers, path = int(float(args[1])), args[2], int(args[3]), args[4]
        res = scale.sample_to_parquet(model, n, path, seed=7, scheduler=mode, workers=workers,
                                      progress=False)
        print(json.dumps({"rows": res.rows, "seconds": res.seconds, "bytes": res.bytes_written,
                          "parts": res.parts}))
    elif task == "validate":
        real_path, path = args[1], args[2]
        from synthkit.validation import validate

        real = pd.read_parquet(real_path)
        t = time.perf_counter()
        report = validate(real, path, checks=["marginals", "dependence"], progress=False)
        seconds = time.perf_counter() - t
        print(json.dumps({"seconds": seconds, "passed": bool(report.passed),
                          "checks": int(np.isfinite(report.describe()["value"]).sum())}))
    elif task == "hash":
        print(json.dumps({"hash": scale.dataset_hash(args[1])}))
    elif task == "sdv":
        print(json.dumps(_sdv_rate(model, int(float(args[1])))))


def _sdv_rate(model, n: int) -> dict:
    try:
        from sdv.metadata import Metadata
        from sdv.single_table import GaussianCopulaSynthesizer
    except ImportError:
        return {"seconds": None}
    import warnings

    warnings.simplefilter("ignore")  # SDV's advice to save its metadata
    real = model.sample(REAL_ROWS, seed=3).frame
    synth = GaussianCopulaSynthesizer(Metadata.detect_from_dataframes({"table": real}))
    synth.fit({"table": real})  # SDV 2.x takes {table name: frame}
    t = time.perf_counter()
    synth.sample(n)
    return {"seconds": time.perf_counter() - t}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rows", type=float, nargs="+", default=[1e6, 1e7, 1e8])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    ap.add_argument("--dir", default=None, help="scratch folder for the datasets (default: a temporary one)")
    ap.add_argument("--no-validate", action="store_true", help="skip the validation timings")
    args = ap.parse_args()

    sys.path.insert(0, str(HERE))
    from sample_speed import build_model

    import synthkit

    scratch = Path(args.dir or tempfile.mkdtemp(prefix="synthkit-scale-"))
    scratch.mkdir(parents=True, exist_ok=True)
    real_path = scratch / "real.parquet"
    build_model().sample(REAL_ROWS, seed=3).frame.to_parquet(real_path)
    print(f"synthkit {synthkit.__version__}: partitioned Parquet output of a 10-column mixed model, "
          f"{args.workers} workers, {os.cpu_count()} cores")
    print(f"{'rows':>13} {'writer':<10} {'seconds':>9} {'rows/s':>13} {'peak GiB':>9} {'GiB written':>12}"
          f" {'parts':>6}")
    rates: dict[tuple[float, str], float] = {}
    try:
        for n in args.rows:
            hashes = {}
            for mode in args.modes:
                path = scratch / f"out-{int(n)}-{mode}"
                shutil.rmtree(path, ignore_errors=True)
                r = _child(["write", str(int(n)), mode, str(args.workers), str(path)])
                rates[(n, mode)] = r["rows"] / r["seconds"]
                print(f"{int(n):>13,} {mode:<10} {r['seconds']:>9.1f} {rates[(n, mode)]:>13,.0f} "
                      f"{r['peak_gib']:>9.2f} {r['bytes'] / 2**30:>12.2f} {r['parts']:>6}", flush=True)
                if n <= 1e7:
                    hashes[mode] = _child(["hash", str(path)])["hash"]
                if mode != args.modes[-1]:
                    shutil.rmtree(path, ignore_errors=True)
            if hashes:
                same = len(set(hashes.values())) == 1
                print(f"{'':>13} data hash of the {len(hashes)} writers: "
                      f"{'identical' if same else 'DIFFERENT ' + str(hashes)}")
            if not args.no_validate:
                v = _child(["validate", str(real_path), str(scratch / f"out-{int(n)}-{args.modes[-1]}")])
                print(f"{int(n):>13,} {'validate':<10} {v['seconds']:>9.1f} {n / v['seconds']:>13,.0f} "
                      f"{v['peak_gib']:>9.2f} {'':>12} {'':>6}  ({v['checks']} scores, "
                      f"{'passed' if v['passed'] else 'FAILED'})", flush=True)
            shutil.rmtree(scratch / f"out-{int(n)}-{args.modes[-1]}", ignore_errors=True)
        sdv = _child(["sdv", "1e5"])
        if sdv["seconds"] is not None:
            print(f"{100_000:>13,} {'SDV':<10} {sdv['seconds']:>9.1f} {1e5 / sdv['seconds']:>13,.0f} "
                  f"{sdv['peak_gib']:>9.2f}  (GaussianCopulaSynthesizer.sample, in memory)")
        big = sorted(args.rows)
        if len(big) >= 2:
            for mode in args.modes:
                a, b = rates.get((big[-2], mode)), rates.get((big[-1], mode))
                if a and b:
                    print(f"{mode}: rows/s at {big[-1]:.0e} / at {big[-2]:.0e} = {b / a:.2f}"
                          "  (target >= 0.8)")
    finally:
        if args.dir is None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child_main(sys.argv[2:])
    else:
        main()
