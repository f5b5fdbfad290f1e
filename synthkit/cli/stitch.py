"""``synthkit stitch LEFT RIGHT --on a,b,c``: join two tables sharing some columns by statistical matching."""

from __future__ import annotations

import argparse

from . import TABLE_HELP, add_command, add_output, add_progress


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(sub, "stitch", help="join two tables sharing some columns (statistical matching)",
                    description="For each LEFT row, take the columns only RIGHT holds from a donor RIGHT "
                                "row drawn among the k nearest on the shared columns (Gower distance; "
                                "--method hotdeck), or draw them from a model of RIGHT given the row's "
                                "shared values (--method model). Assumes the two tables' own columns "
                                "independent given the shared ones unless --auxiliary holds both.",
                    examples=["synthkit stitch survey.csv register.csv --on age,sex,region -o joined.csv "
                              "--seed 1",
                              "synthkit stitch a.csv b.csv --on name,city,age --text-keys name,city "
                              "-o out.csv --k 1",
                              "synthkit stitch a.csv b.csv --on x1,x2,x3 --method model --auxiliary "
                              "both.csv -o out.parquet"])
    p.add_argument("left", help=f"the recipient table (its rows are kept): {TABLE_HELP}")
    p.add_argument("right", help=f"the donor table: {TABLE_HELP}")
    p.add_argument("--on", required=True, type=_names, metavar="A,B,C",
                   help="comma-separated shared columns to match on")
    add_output(p, "the stitched table (.csv or .parquet)", folder=False)
    p.add_argument("--method", choices=["hotdeck", "model"], default="hotdeck",
                   help="nearest-neighbour hot-deck (default) or a model's conditional draws")
    p.add_argument("--k", type=int, default=5, help="draw the donor among the k nearest (default 5)")
    p.add_argument("--donor-cap", type=int, default=None, metavar="N",
                   help="use one donor at most N times")
    p.add_argument("--text-keys", type=_names, default=None, metavar="A,B",
                   help="shared text columns (names, addresses) compared fuzzily")
    p.add_argument("--auxiliary", default=None, metavar="TABLE",
                   help=f"a table holding left-only and right-only columns together: {TABLE_HELP}")
    p.add_argument("--distances", default=None, metavar="FILE",
                   help="also write the per-row match distances (.csv or .parquet)")
    p.add_argument("--seed", type=int, default=None, help="random seed (default: fresh entropy)")
    add_progress(p)
    p.set_defaults(func=cmd_stitch)


def cmd_stitch(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..datasets import load_table
    from ..io import check_output_path, write_table
    from ..stitching import stitch

    check_output_path(args.output, parents=args.mkdir)
    if args.distances is not None:
        check_output_path(args.distances, parents=args.mkdir)
    left, right = load_table(args.left), load_table(args.right)
    auxiliary = load_table(args.auxiliary) if args.auxiliary else None
    res = stitch(left, right, on=args.on, method=args.method, k=args.k, donor_cap=args.donor_cap,
                 text_keys=args.text_keys, auxiliary=auxiliary, seed=args.seed, progress=args.progress)
    path = write_table(res.frame, args.output)
    if args.distances is not None:
        write_table(pd.DataFrame({"distance": res.distances}, index=res.frame.index), args.distances)
    s = res.summary()
    print(f"wrote {len(res.frame)} rows x {res.frame.shape[1]} columns -> {path}")
    print(f"match distance: median {s['50%']:.3g}, 90% {s['90%']:.3g}, max {s['max']:.3g}, "
          f"exact {s['exact share']:.1%}")
    return 0
