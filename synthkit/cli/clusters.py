"""``synthkit clusters``: draw labelled cluster benchmark datasets with certified overlap.

Examples::

    synthkit clusters "ten oblong clusters in 50 dimensions with little overlap" -n 100 -o out
    synthkit clusters --archetype arch.json -n 10 -o out --seed 3 --format parquet
"""

from __future__ import annotations

import argparse

from ..errors import SpecError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "clusters",
        help="draw labelled cluster datasets from an archetype (description or JSON)",
        description="Draw labelled cluster benchmark datasets with certified overlap.",
    )
    p.add_argument("description", nargs="?", default=None,
                   help='archetype in words, e.g. "five oblong clusters in 10 dimensions"')
    p.add_argument("--archetype", default=None, metavar="ARCH.json",
                   help="archetype file (written by Archetype.save) instead of a description")
    p.add_argument("-n", "--n-datasets", type=int, default=1, help="datasets to draw (default 1)")
    p.add_argument("-o", "--output", required=True, help="output folder (created if missing)")
    p.add_argument("--mkdir", action="store_true", help="create the output folder's missing parents")
    p.add_argument("--seed", type=int, default=None,
                   help="seed for the whole run (default: fresh entropy, recorded in the metadata)")
    p.add_argument("--samples", type=int, default=None, help="override n_samples per dataset")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="table format (default csv)")
    p.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    p.set_defaults(func=cmd_clusters)


def cmd_clusters(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..clusters import Archetype
    from ..io import make_output_folder, write_table

    if (args.description is None) == (args.archetype is None):
        raise SpecError("give either a DESCRIPTION or --archetype ARCH.json (exactly one)")
    if args.n_datasets < 1:
        raise SpecError(f"`-n` must be a positive integer, got {args.n_datasets}")
    if args.archetype is not None:
        arch = Archetype.load(args.archetype)
    else:
        arch = Archetype.from_description(args.description)
    if args.samples is not None:
        arch = arch.replace(n_samples=args.samples)
    out = make_output_folder(args.output, parents=args.mkdir)
    arch.save(out / "archetype.json")
    rows = []
    progress = False if args.no_progress else None
    for d, ds in enumerate(arch.iter_sample(args.n_datasets, args.seed, progress=progress)):
        path = ds.save(out / f"dataset_{d:03d}.{args.format}")
        rows.append({"dataset": d, "path": str(path), **ds.summary()})
    summary = pd.DataFrame(rows)
    write_table(summary, out / "summary.csv")
    n_ok = int(summary["certified"].sum())
    print(f"{arch.name}: wrote {len(rows)} dataset(s) to {out} ({n_ok} certified; "
          f"max overlap {summary['max_overlap'].max():.4g} <= {arch.max_overlap:g}, "
          f"min nearest-neighbour overlap {summary['min_nn_overlap'].min():.4g} >= "
          f"{arch.min_overlap:g})")
    return 0
