"""``synthkit extend MODEL REAL``: complete real rows with the model's other columns."""

from __future__ import annotations

import argparse

from . import TABLE_HELP, add_command, add_output


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "extend", help="complete real rows with a model's other columns",
                    description="Draw the columns of a saved model that a real table lacks, each row "
                                "given its own observed values (Strategy.extend). The real columns "
                                "are kept verbatim, in the real rows' order.",
                    examples=["synthkit extend wine.json partial.csv -o completed.csv --seed 1",
                              "synthkit extend wine.json partial.csv -o out.parquet --columns proline",
                              "synthkit extend survey.json sample.csv -o population.csv --weights w"])
    p.add_argument("model", help="model file written by `synthkit fit` (a strategy with per-row "
                                 "conditional draws, such as gaussian_copula)")
    p.add_argument("real", help=f"the real rows: {TABLE_HELP}")
    add_output(p, "the completed table (.csv or .parquet)", folder=False)
    p.add_argument("--columns", nargs="+", default=None, metavar="COLUMN",
                   help="draw only these columns (default: every model column the table lacks)")
    p.add_argument("--weights", default=None, metavar="COLUMN",
                   help="column of replication weights: each row appears its rounded weight times")
    p.add_argument("--rule", action="append", default=[], metavar="RULE",
                   help="a rule the completed rows must satisfy (repeatable)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh entropy)")
    p.set_defaults(func=cmd_extend)


def cmd_extend(args: argparse.Namespace) -> int:
    from ..api import load
    from ..datasets import load_table
    from ..io import check_output_path, write_table

    model = load(args.model)
    check_output_path(args.output, parents=args.mkdir)
    real = load_table(args.real)
    ds = model.extend(real, args.columns, seed=args.seed, rules=args.rule or None, weights=args.weights)
    path = write_table(ds.frame, args.output)
    drawn = ds.provenance["extend"]["drawn"]
    print(f"wrote {len(ds.frame)} rows x {ds.frame.shape[1]} columns ({len(drawn)} drawn: "
          f"{', '.join(map(str, drawn[:8]))}{' ...' if len(drawn) > 8 else ''}) -> {path}")
    return 0
