"""``synthkit fit | sample | run | demo``: tabular synthesis from the command line."""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
import pandas as pd

from ..strategies.registry import DEFAULT_STRATEGY
from . import TABLE_HELP, add_command, add_output, add_progress, parse_assignments
from .anonymize import add_roles

DEMO_DATA = "sklearn:wine"


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "fit", help="fit a model on a table and save it as JSON",
                    description="Fit a strategy on a real table and save the model as JSON.",
                    examples=["synthkit fit sklearn:wine -o wine.json",
                              "synthkit fit real.csv -o models/real.json --mkdir --strategy vine",
                              "synthkit fit sklearn:iris -o iris.json --strategy montecarlo "
                              "--param marginals='\"empirical\"'"])
    p.add_argument("data", help=TABLE_HELP)
    add_output(p, "the model (.json)", folder=False)
    p.add_argument("--strategy", default=DEFAULT_STRATEGY,
                   help=f"strategy name (default {DEFAULT_STRATEGY}; montecarlo: independent columns)")
    p.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                   help="strategy parameter; VALUE is read as JSON when it parses, else a string")
    add_roles(p)
    add_progress(p)
    p.set_defaults(func=cmd_fit)

    p = add_command(sub, "sample", help="draw rows from a saved model",
                    description="Draw synthetic rows from a model file written by `synthkit fit`.",
                    examples=["synthkit sample wine.json -n 1000 -o synthetic.csv --seed 1",
                              "synthkit sample wine.json -n 1000000 -o big.parquet --workers 2",
                              "synthkit sample wine.json -n 100000000 -o big/ --format parquet --seed 1",
                              "synthkit sample wine.json -n 1000000000 -o /shared/big/ --seed 1 "
                              "--scheduler tcp://10.0.0.5:8786"])
    p.add_argument("model", help="model file written by `synthkit fit`")
    p.add_argument("-n", "--rows", type=int, required=True, help="number of rows")
    add_output(p, "the synthetic table (.csv or .parquet), with its schema and provenance in "
                  "<table>.meta.json (read by `synthkit validate`); a folder (a path ending in '/', "
                  "an existing folder, or --format parquet without a .parquet suffix) receives a "
                  "partitioned Parquet dataset, written part by part (restartable: re-run the same "
                  "command to finish it; needs dask: pip install 'synthkit[scale]')",
               folder=False)
    p.add_argument("--format", choices=["csv", "parquet"], default=None,
                   help="output format (default: from the file suffix; a folder: parquet)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh entropy)")
    p.add_argument("--workers", type=int, default=None,
                   help="threads drawing blocks (default 1; same output); for a partitioned dataset the "
                        "threads or processes of the local scheduler (default: one per core)")
    p.add_argument("--partitions", type=int, default=None,
                   help="parts of a partitioned dataset (default: about 3 million rows each)")
    p.add_argument("--scheduler", default=None, metavar="ADDRESS|processes|threads",
                   help="where a partitioned dataset is drawn: threads in this process (default), "
                        "'processes', or a Dask scheduler address tcp://host:port (default: "
                        "$DASK_SCHEDULER_ADDRESS when set); the folder must be shared with the workers")
    add_progress(p)
    p.set_defaults(func=cmd_sample)

    p = add_command(sub, "run", help="run a YAML recipe (a file or a packaged example's name)",
                    description="Run a YAML recipe: a file, or the name of a packaged example recipe "
                                "(`synthkit recipes` lists them).",
                    examples=["synthkit run bank_customers -o out --mkdir -n 2000",
                              "synthkit run wine_fit -o out --seed 3",
                              "synthkit run extend_partial -o out --mkdir --seed 2",
                              "synthkit recipes"])
    p.add_argument("recipe", metavar="RECIPE", help="recipe file (.yaml) or example recipe name")
    add_output(p, "the recipe's outputs, written under their own names (default: the paths in "
                  "the recipe)", folder=True, required=False)
    p.add_argument("-n", "--rows", type=int, default=None, help="override the recipe's rows")
    p.add_argument("--seed", type=int, default=None, help="override the recipe's seed")
    p.add_argument("--allow-outside", action="store_true",
                   help="let the recipe write to absolute paths, `..` or symbolic links leading out "
                        "of the working directory (refused by default)")
    add_progress(p)
    p.set_defaults(func=cmd_run)

    p = add_command(sub, "recipes", help="list the packaged example recipes",
                    description="List the example recipes shipped with synthkit; run one with "
                                "`synthkit run NAME`.",
                    examples=["synthkit recipes", "synthkit run wine_fit -o out --mkdir"])
    p.set_defaults(func=cmd_recipes)

    p = add_command(sub, "demo", help="fit on real data (sklearn's wine), sample, compare",
                    description="Fit a model on sklearn's wine table, draw a sample, compare it "
                                "with the real table and validate it.",
                    examples=["synthkit demo", "synthkit demo -o demo -n 5000 --seed 2",
                              "synthkit demo --stratify none --strategy vine"])
    add_output(p, "the model, the sample and the report", folder=True, default="synthkit-demo")
    p.add_argument("-n", "--rows", type=int, default=20_000, help="synthetic rows (default 20000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument("--strategy", default=DEFAULT_STRATEGY,
                   help=f"strategy (default {DEFAULT_STRATEGY})")
    p.add_argument("--stratify", default="auto", metavar="COLUMN|auto|none",
                   help="fit one model per level of this column (default 'auto': the class column "
                        "wine's dependence hangs on); 'none' fits a single model")
    add_progress(p)
    p.set_defaults(func=cmd_demo)


def _json_or_text(value: str):
    from ..errors import ModelFileError
    from ..io import parse_json

    try:
        return parse_json(value, "--param")
    except ModelFileError:
        return value


def cmd_fit(args: argparse.Namespace) -> int:
    from ..api import fit
    from ..datasets import load_table
    from ..io import check_output_path

    params = parse_assignments(args.param, "--param", _json_or_text)
    roles = parse_assignments(args.role, "--role", str)
    if roles:
        params["roles"] = {**(params.get("roles") or {}), **roles}
    check_output_path(args.output, parents=args.mkdir)
    data = load_table(args.data)
    started = time.perf_counter()
    print(f"fitting {args.strategy or DEFAULT_STRATEGY!r} on {args.data} ({data.shape[0]:,} rows x "
          f"{data.shape[1]} columns) ...", flush=True)
    model = fit(data, strategy=args.strategy, progress=args.progress, **params)
    path = model.save(args.output)
    print(f"fitted {model.name!r} on {args.data} ({model.n_train_} rows, "
          f"{len(model.columns_)} columns) in {time.perf_counter() - started:.1f} s -> {path}")
    return 0


def _partitioned_output(output: str, fmt: str | None) -> bool:
    """Whether ``output`` names a partitioned dataset's folder (see ``synthkit sample --help``)."""
    from pathlib import Path

    folder = output.endswith(("/", os.sep)) or Path(output).is_dir()
    return folder or (fmt == "parquet" and Path(output).suffix.lower() != ".parquet")


def cmd_sample(args: argparse.Namespace) -> int:
    from ..api import load
    from ..errors import SpecError
    from ..io import check_output_path

    if _partitioned_output(args.output, args.format):
        if args.format == "csv":
            raise SpecError(f"{args.output!r} is a folder: a partitioned dataset is Parquet; give "
                            "--format parquet, or a .csv file name")
        return _sample_partitioned(args)
    if args.partitions is not None or args.scheduler is not None:
        raise SpecError("--partitions and --scheduler apply to a partitioned dataset: give a folder "
                        "(e.g. -o out/ --format parquet)")
    if args.format is not None and not args.output.lower().endswith(f".{args.format}"):
        raise SpecError(f"--format {args.format} does not match {args.output!r}: name the file "
                        f"*.{args.format}")
    model = load(args.model)
    check_output_path(args.output, parents=args.mkdir)
    started = time.perf_counter()
    ds = model.sample(args.rows, seed=args.seed, workers=1 if args.workers is None else args.workers,
                        progress=args.progress)
    path = ds.save(args.output, progress=args.progress)  # the table and its .meta.json
    print(_wrote(len(ds.frame), ds.frame.shape[1], path, time.perf_counter() - started))
    _print_rules_report(ds)
    return 0


def _sample_partitioned(args: argparse.Namespace) -> int:
    """Write a partitioned Parquet dataset (:func:`synthkit.scale.sample_to_parquet`)."""
    from pathlib import Path

    from ..api import load
    from ..errors import DataError, SpecError
    from ..scale import sample_to_parquet
    from ..schedulers import import_dask

    import_dask()  # (first: without dask, say how to install it)
    if args.seed is None:
        raise SpecError("a partitioned dataset needs --seed, so that re-running the same command after an "
                        "interruption finishes it (a fresh seed would draw another sample)")
    model = load(args.model)
    out = Path(args.output)
    if not out.parent.is_dir():
        if not args.mkdir:
            raise DataError(f"cannot write {args.output!r}: the folder {str(out.parent)!r} does not exist; "
                            "create it first, or ask for it to be created (--mkdir)")
        out.parent.mkdir(parents=True, exist_ok=True)
    result = sample_to_parquet(model, args.rows, out, seed=args.seed, partitions=args.partitions,
                               scheduler=args.scheduler, workers=args.workers, progress=args.progress)
    print(result.summary())
    return 0


def _wrote(rows: int, columns: int, path, seconds: float) -> str:
    """The summary line of a written sample: rows, columns, seconds, rows/s and size."""
    size = os.path.getsize(path) / 1e6
    return (f"wrote {rows:,} rows x {columns} columns -> {path} in {seconds:.1f} s "
            f"({rows / max(seconds, 1e-9):,.0f} rows/s, {size:,.1f} MB)")


def _print_rules_report(ds) -> None:
    """Print a sample's rules report (rows drawn and accepted, each rule's share), if it has rules."""
    if ds.rules_report is not None:
        print(ds.rules_report)


def cmd_run(args: argparse.Namespace) -> int:
    from ..recipes import find_recipe, load_recipe, run_recipe

    if "anonymize" in load_recipe(find_recipe(args.recipe)):  # a release: synthkit anonymize RECIPE
        from ..release import run_release_recipe
        from .anonymize import report_release

        return report_release(run_release_recipe(
            args.recipe, out_dir=args.output, rows=args.rows, seed=args.seed, parents=args.mkdir,
            allow_outside=args.allow_outside, progress=args.progress))
    for path in run_recipe(args.recipe, out_dir=args.output, rows=args.rows, seed=args.seed,
                           parents=args.mkdir, progress=args.progress,
                           allow_outside=args.allow_outside, on_sample=_print_rules_report):
        print(f"wrote {path}")
    return 0


def cmd_recipes(args: argparse.Namespace) -> int:
    from ..recipes import list_examples

    examples = list_examples()
    width = max((len(r.name) for r in examples), default=0)
    for r in examples:
        print(f"{r.name:<{width}}  {r.description}")
    print(f"\n{len(examples)} example recipe(s); run one with `synthkit run NAME -o DIR --mkdir`")
    return 0


def comparison_table(real: pd.DataFrame, synth: pd.DataFrame) -> pd.DataFrame:
    """Per numeric column: real vs synthetic mean and sd, and the two-sample KS distance."""
    from scipy import stats

    rows = []
    for c in real.columns:
        r, s = real[c], synth[c]
        if pd.api.types.is_numeric_dtype(r) and not pd.api.types.is_bool_dtype(r):
            r, s = r.dropna().astype(float), s.dropna().astype(float)
            rows.append({"column": c, "real_mean": r.mean(), "synth_mean": s.mean(),
                         "real_sd": r.std(), "synth_sd": s.std(),
                         "ks": stats.ks_2samp(r, s).statistic})
        else:
            fr = r.astype(str).value_counts(normalize=True)
            fs = s.astype(str).value_counts(normalize=True)
            tv = 0.5 * fr.subtract(fs, fill_value=0).abs().sum()
            rows.append({"column": c, "real_mean": np.nan, "synth_mean": np.nan,
                         "real_sd": np.nan, "synth_sd": np.nan, "ks": tv})
    return pd.DataFrame(rows).set_index("column")


def cmd_demo(args: argparse.Namespace) -> int:
    from ..datasets import load_example
    from ..io import make_output_folder, write_table
    from ..strategies.registry import get_strategy

    strategy = args.strategy
    stratify = None if args.stratify == "none" else args.stratify
    out = make_output_folder(args.output, parents=args.mkdir)
    real = load_example(DEMO_DATA)
    print(f"synthkit demo: fitting {strategy!r} on {DEMO_DATA} "
          f"({real.shape[0]} rows x {real.shape[1]} columns)")
    model = get_strategy(strategy)(stratify=stratify).fit(real, progress=args.progress)
    if getattr(model, "stratify_", None) is not None:
        print(f"one model per level of {model.stratify_!r} (`--stratify none`: a single model)")
    model_path = model.save(out / "model.json")
    ds = model.sample(args.rows, seed=args.seed, progress=args.progress)
    data_path = write_table(ds.frame, out / "synthetic.csv", progress=args.progress)
    print(f"model  -> {model_path}\nsample -> {data_path} ({len(ds.frame)} rows)\n")
    table = comparison_table(real, ds.frame)
    with pd.option_context("display.width", 120, "display.max_columns", 10,
                           "display.float_format", "{:,.3f}".format):
        print("per-column comparison (ks = two-sample KS distance; total variation for "
              "categorical columns):")
        print(table.to_string())
    from ..validation import validate

    report = validate(real, ds, progress=args.progress)
    path = out / "report.html"
    report.to_html(path, progress=args.progress)
    table = report.describe()
    failed = table[table["passed"] == False]  # noqa: E712 - None means informational
    verdict = "PASSED" if report.passed else "FAILED"
    print(f"\nvalidation: {verdict} ({len(failed)} of {int(table['passed'].notna().sum())} "
          f"checks failed) -> {path}")
    for row in failed.itertuples():
        print(f"  failed: {row.section} {row.statistic} [{row.columns}] = {row.value:.4g} "
              f"(threshold {row.threshold:.4g})")
    if not report.passed and stratify is None:
        print("  (a single copula cannot carry non-monotone class structure: compare with "
              "`synthkit demo --stratify auto`, one model per class, and its privacy section)")
    sys.stdout.flush()
    return 0


