"""``synthkit validate REAL SYNTH``: validate a synthetic table against a real one.

Exit status: 0 when every check passes, 1 when any check fails, 2 on bad input
(unreadable files, no common columns, unknown target, ...).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from . import TABLE_HELP, add_command, add_progress, parse_assignments


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "validate",
        help="compare a synthetic table with a real one (marginals, dependence, privacy, utility)",
        description="Validate SYNTH against REAL and print a summary. Exit status 0 when every "
                    "check passes, 1 when any fails, 2 on bad input.",
        examples=["synthkit validate sklearn:wine synthetic.csv --target target --html report.html",
                  "synthkit validate real.parquet out/synthetic/ --html report.html",
                  "synthkit validate real.parquet out/synthetic/ --scheduler tcp://10.0.0.5:8786",
                  "synthkit validate wine.json synthetic.csv --checks marginals,dependence",
                  "synthkit validate bank_customers out/bank_customers.csv --quiet",
                  "synthkit validate bank_customers out/bank_customers.csv --checks rules"],
    )
    p.add_argument("real", help=f"the reference: {TABLE_HELP}, a saved model (.json) or a recipe "
                                "(.yaml, or an example recipe's name: `synthkit recipes`)")
    p.add_argument("synth", help=f"the synthetic table: {TABLE_HELP} (with the <table>.meta.json that "
                                 "`synthkit sample` writes, the levels the model merged are compared as "
                                 "merged), or a directory of Parquet parts "
                                 "(validated in one pass over its row batches, never loaded whole)")
    p.add_argument("--holdout", default=None,
                   help=f"real rows not used for fitting ({TABLE_HELP}): privacy baseline and "
                        "utility test set")
    p.add_argument("--target", default=None, help="column for the utility check (TSTR vs TRTR)")
    p.add_argument("--html", default=None, metavar="PATH", help="write the HTML report here")
    p.add_argument("--json", default=None, metavar="PATH", help="write the JSON report here")
    p.add_argument("--mkdir", action="store_true", help="create the reports' missing folders")
    p.add_argument("--checks", default=None,
                   help="comma-separated sections: marginals,dependence,rules,privacy,utility,clusters "
                        "(default: every one that applies; rules: a model or recipe with rules)")
    p.add_argument("--threshold", action="append", default=[], metavar="NAME=VALUE",
                   help="override a default threshold, e.g. --threshold ks_distance=0.05")
    p.add_argument("--seed", type=int, default=0, help="seed of the subsamples (default 0)")
    p.add_argument("--scheduler", default=None, metavar="threads|processes|ADDRESS",
                   help="summarise a directory's parts as Dask tasks: 'threads', 'processes' or a "
                        "scheduler address tcp://host:port (default: one sequential pass, no Dask)")
    p.add_argument("--verbose", action="store_true", help="also list informational rows")
    p.add_argument("--quiet", action="store_true", help="print only the verdict line")
    add_progress(p)
    p.set_defaults(func=cmd_validate)


def _load_reference(path: str):
    from ..datasets import load_table

    suffix = Path(path).suffix.lower()
    if suffix == ".json":
        from ..api import load

        return load(path)
    from ..recipes import find_recipe, list_examples

    if suffix in (".yaml", ".yml") or (not Path(path).exists()
                                       and path in {r.name for r in list_examples()}):
        return str(find_recipe(path))  # a recipe file or example name: validate() loads it
    return load_table(path)


def _load_synthetic(path: str):
    """A synthetic table; with the ``.meta.json`` that ``synthkit sample`` writes, its dataset
    (schema and provenance: the levels the model merged are then compared as merged)."""
    from ..dataset import SyntheticDataset
    from ..datasets import load_table

    if Path(path).with_name(Path(path).name + ".meta.json").is_file():
        return SyntheticDataset.load(path)
    return load_table(path)


def cmd_validate(args: argparse.Namespace) -> int:
    from ..datasets import load_table
    from ..io import check_output_path, write_text
    from ..validation import validate

    for out in (args.json, args.html):
        if out:
            check_output_path(out, parents=args.mkdir)
    reference = _load_reference(args.real)
    from ..validation.streaming import is_partitioned

    synth = args.synth if is_partitioned(args.synth) else _load_synthetic(args.synth)
    holdout = load_table(args.holdout) if args.holdout else None
    checks = [c.strip() for c in args.checks.split(",") if c.strip()] if args.checks else None
    report = validate(reference, synth, holdout=holdout, target=args.target, checks=checks,
                      thresholds=parse_assignments(args.threshold, "--threshold", float), seed=args.seed,
                      progress=args.progress, scheduler=args.scheduler)
    if args.quiet:
        print(f"synthkit validation: {'PASSED' if report.passed else 'FAILED'} "
              f"({len(report.failed())} failed)")
    else:
        print(report.summary(verbose=args.verbose))
    page = report.to_html(progress=args.progress) if args.html else None  # before any file is written
    if args.json:
        report.to_json(args.json)
        print(f"wrote {args.json}")
    if page is not None:
        write_text(args.html, page)
        print(f"wrote {args.html}")
    return 0 if report.passed else 1
