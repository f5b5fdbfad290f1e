"""``synthkit impute DATA -o OUT [--m 5]``: fill missing values by draws from a fitted model."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import TABLE_HELP, add_command, add_output, add_progress


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "impute", help="fill a table's missing values (multiple imputation with --m)",
                    description="Draw each missing cell from a model's conditional distribution given "
                                "the row's observed values and the fact that the cell is missing "
                                "(synthkit.impute). Observed values are kept verbatim. With --m K, K "
                                "completed tables are written as OUT's stem _1 ... _K.",
                    examples=["synthkit impute holes.csv -o completed.csv --seed 1",
                              "synthkit impute holes.csv -o completed.csv --m 5 --seed 1",
                              "synthkit impute holes.csv -o completed.csv --model fitted.json"])
    p.add_argument("data", help=f"the table with missing values: {TABLE_HELP}")
    add_output(p, "the completed table (.csv or .parquet)", folder=False)
    p.add_argument("--m", type=int, default=1, metavar="K",
                   help="number of completed tables (multiple imputation; default 1)")
    p.add_argument("--model", default=None, metavar="FILE",
                   help="model file written by `synthkit fit` (default: a gaussian_copula fitted on DATA)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh entropy)")
    p.add_argument("--bootstrap", action="store_true",
                   help="draw each table from the model refitted to a bootstrap resample of the rows "
                        "(proper multiple imputation; costs K fits)")
    add_progress(p)
    p.set_defaults(func=cmd_impute)


def cmd_impute(args: argparse.Namespace) -> int:
    from ..datasets import load_table
    from ..imputation import _check_m, impute
    from ..io import check_output_path, write_table

    m = _check_m(args.m)
    out = Path(args.output)
    paths = [out] if m == 1 else [out.with_name(f"{out.stem}_{i + 1}{out.suffix}") for i in range(m)]
    for path in paths:
        check_output_path(path, parents=args.mkdir)
    data = load_table(args.data)
    model = None
    if args.model is not None:
        from ..api import load

        model = load(args.model)
    holes = int(data.isna().sum().sum())
    tables = impute(data, model=model, m=m, seed=args.seed, bootstrap=args.bootstrap,
                    progress=args.progress)
    tables = [tables] if m == 1 else tables
    written = [write_table(t, p) for t, p in zip(tables, paths, strict=True)]
    print(f"filled {holes} missing value(s) in {len(data)} rows x {data.shape[1]} columns; wrote "
          f"{m} table(s): {', '.join(map(str, written[:3]))}{' ...' if m > 3 else ''}")
    return 0
