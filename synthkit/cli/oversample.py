"""``synthkit oversample DATA --target y -o OUT``: add rows to the smaller classes of a table."""

from __future__ import annotations

import argparse

from . import TABLE_HELP, add_command, add_output, add_progress

#: The names of synthkit.oversampling.METHODS (kept here so that building the parser imports no pandas).
METHOD_NAMES = ["naive", "smote", "borderline", "adasyn", "smotenc", "kmeans_smote", "synthetic"]


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "oversample", help="add rows to the smaller classes of a labelled table",
                    description="Grow the minority classes of TARGET by duplication, the SMOTE family "
                                "(imbalanced-learn) or class-conditional synthesis ('synthetic': a "
                                "synthkit model fitted on each class, with privacy checks of the new "
                                "rows; exit status 1 when they fail). The original rows are written first, "
                                "verbatim.",
                    examples=["synthkit oversample train.csv --target y -o balanced.csv --seed 1",
                              "synthkit oversample train.csv --target y -o out.csv --method synthetic",
                              "synthkit oversample train.csv --target y -o out.csv --method smotenc "
                              "--ratio 0.5"])
    p.add_argument("data", help=f"the labelled table: {TABLE_HELP}")
    p.add_argument("--target", required=True, metavar="COLUMN", help="the class column")
    add_output(p, "the oversampled table (.csv or .parquet)", folder=False)
    p.add_argument("--method", default="smote", choices=METHOD_NAMES,
                   help="how new rows are made (default smote)")
    p.add_argument("--ratio", type=float, default=None,
                   help="bring every class to at least this share of the largest class, in (0, 1] "
                        "(default: to the largest class's count)")
    p.add_argument("--strategy", default="gaussian_copula",
                   help="synthkit strategy fitted on each class for --method synthetic")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh entropy)")
    add_progress(p)
    p.set_defaults(func=cmd_oversample)


def cmd_oversample(args: argparse.Namespace) -> int:
    from ..datasets import load_table
    from ..io import check_output_path, write_table
    from ..oversampling import oversample

    check_output_path(args.output, parents=args.mkdir)
    data = load_table(args.data)
    res = oversample(data, target=args.target, method=args.method, ratio=args.ratio, seed=args.seed,
                     strategy=args.strategy, progress=args.progress)
    path = write_table(res.frame, args.output)
    counts = ", ".join(f"{c}: {res.counts_before[c]} -> {res.counts_after[c]}" for c in res.counts_before)
    print(f"{args.method}: {counts}; wrote {len(res.frame)} rows -> {path}")
    if res.privacy:
        for c, rep in res.privacy.items():
            failed = ", ".join(ch.statistic for ch in rep.failed()) or "none"
            print(f"privacy of class {c}'s new rows: {'passed' if rep.passed else 'FAILED'} "
                  f"(failed checks: {failed})")
    return 1 if res.privacy_passed is False else 0
