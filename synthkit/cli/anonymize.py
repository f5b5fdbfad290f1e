"""``synthkit anonymize DATA -o OUT/``: an anonymized synthetic release with its evidence.

Exit status: 0 when every privacy check passes, 1 when one fails (the verdict names
the check that caught it first), 2 on bad input.
"""

from __future__ import annotations

import argparse

from . import TABLE_HELP, add_command, add_output, add_progress, parse_assignments


def add_roles(p: argparse.ArgumentParser) -> None:
    """``--role COLUMN=ROLE`` (repeatable): override a detected column role."""
    p.add_argument("--role", action="append", default=[], metavar="COLUMN=ROLE",
                   help="set a column's role: identifier, pii, pii:TYPE (e.g. pii:email), "
                        "quasi_identifier or ordinary (repeatable)")


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "anonymize",
        help="fit with privacy on, sample, attack the release, write it with its evidence",
        description="Make an anonymized synthetic release of DATA: split off a holdout, fit with "
                    "privacy='standard' (identifiers and PII generated, rare levels and extremes "
                    "protected), sample, validate fidelity and disclosure risk by attacks, and write "
                    "synthetic.csv, model.json, report.html and verdict.json. Exit status 0 when "
                    "every privacy check passes, 1 when one fails, 2 on bad input.",
        examples=["synthkit anonymize customers.csv -o release --mkdir",
                  "synthkit anonymize customers.csv -o release --role email=pii "
                  "--role customer_no=identifier",
                  "synthkit anonymize train.csv --synthetic release.csv --holdout holdout.csv -o audit"])
    p.add_argument("data", help=f"the confidential table: {TABLE_HELP}; or a recipe (.yaml) with an "
                                "`anonymize` section (its settings apply; -n, --seed, -o, --mkdir and "
                                "--allow-outside override them)")
    add_output(p, "the release, its model, report.html and verdict.json (a recipe: its folder by "
                  "default)", folder=True, required=False)
    p.add_argument("-n", "--rows", type=int, default=None, help="rows of the release (default: as DATA)")
    p.add_argument("--seed", type=int, default=None,
                   help="seed of the split, sample and attacks (default 0)")
    p.add_argument("--strategy", default=None, help="strategy (default gaussian_copula)")
    p.add_argument("--min-count", type=int, default=None, dest="min_count",
                   help="k: the fewest rows a stored level, value or tail may hold (default 5)")
    p.add_argument("--locale", default=None, help="Faker locale of generated PII (default: guessed)")
    p.add_argument("--holdout", default=None,
                   help="share of DATA kept out as the attacks' control (default 0.2), or a table of "
                        "holdout rows")
    p.add_argument("--synthetic", default=None,
                   help=f"audit this release ({TABLE_HELP}) instead of making one; needs --holdout rows")
    p.add_argument("--allow-outside", action="store_true",
                   help="let a recipe write outside the working directory (as `synthkit run`)")
    add_roles(p)
    add_progress(p)
    p.set_defaults(func=cmd_anonymize)


def cmd_anonymize(args: argparse.Namespace) -> int:
    from pathlib import Path

    from ..datasets import load_table
    from ..errors import SpecError
    from ..release import anonymize, run_release_recipe

    if Path(args.data).suffix.lower() in (".yaml", ".yml"):
        clash = [flag for flag, value in (("--strategy", args.strategy), ("--min-count", args.min_count),
                                          ("--locale", args.locale), ("--holdout", args.holdout),
                                          ("--synthetic", args.synthetic), ("--role", args.role))
                 if value]
        if clash:
            raise SpecError(f"{', '.join(clash)} do not apply to a recipe: set them in its `anonymize` "
                            "section (or run the table itself)")
        return report_release(run_release_recipe(args.data, out_dir=args.output, rows=args.rows,
                                                 seed=args.seed, parents=args.mkdir,
                                                 allow_outside=args.allow_outside, progress=args.progress))
    if args.output is None:
        raise SpecError("-o/--output: the folder to write the release into is required for a table")
    holdout: float | object = 0.2
    if args.holdout is not None:
        try:
            holdout = float(args.holdout)
        except ValueError:
            holdout = load_table(args.holdout)
    synthetic = load_table(args.synthetic) if args.synthetic else None
    res = anonymize(load_table(args.data), rows=args.rows, seed=0 if args.seed is None else args.seed,
                    strategy=args.strategy or "gaussian_copula", holdout=holdout,
                    roles=parse_assignments(args.role, "--role", str) or None,
                    min_count=5 if args.min_count is None else args.min_count, locale=args.locale,
                    synthetic=synthetic, out_dir=args.output, parents=args.mkdir, progress=args.progress)
    return report_release(res)


def report_release(res) -> int:
    """Print a release's verdict; the exit status: 0 passed, 1 a privacy check failed."""
    v = res.verdict
    for g in v["generated_columns"]:
        print(f"generated {g['role']:<10} {g['column']}: {g['reason']}")
    print(f"protections: {len(v['protections'])} applied (see model.json `privacy`)"
          if res.model is not None else "audit of an existing release")
    for c in v["privacy_checks"]:
        if c["passed"] is not None:
            print(f"  {'ok  ' if c['passed'] else 'FAIL'} {c['check']} [{c['columns']}] = "
                  f"{c['value'] if c['value'] is None else round(c['value'], 4)} "
                  f"(threshold {c['threshold']})")
    if v["fidelity_failures"]:
        print(f"fidelity: {len(v['fidelity_failures'])} check(s) failed (reported, not blocking): "
              + "; ".join(v["fidelity_failures"][:5]))
    for key, path in res.paths.items():
        print(f"{key:<9} -> {path}")
    if res.passed:
        print("release: PASSED (every privacy check passed)")
        return 0
    first = v["first_privacy_failure"]
    print(f"release: FAILED - caught first by {first['check']} [{first['columns']}]")
    return 1
