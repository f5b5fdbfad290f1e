"""``synthkit clusters``: draw labelled cluster benchmark datasets with certified overlap.

Examples::

    synthkit clusters "ten oblong clusters in 50 dimensions with little overlap" --datasets 100 -o out
    synthkit clusters --archetype arch.json --datasets 10 -n 500 -o out --seed 3 --format parquet
"""

from __future__ import annotations

import argparse

from ..errors import SpecError
from . import add_command, add_output, add_progress


def register(sub: argparse._SubParsersAction) -> None:
    p = add_command(
        sub, "clusters",
        help="draw labelled cluster datasets from an archetype (description or JSON)",
        description="Draw labelled cluster benchmark datasets with certified overlap. The folder "
                    "gets dataset_NNN.<format> (with .meta.json), archetype.json and summary.csv.",
        examples=['synthkit clusters "five oblong clusters in 10 dimensions" --datasets 20 -o out --seed 1',
                  'synthkit clusters "three round clusters in 2 dimensions" -n 500 -o out2',
                  "synthkit clusters --archetype out/archetype.json --datasets 5 -o out3 --format parquet"],
    )
    p.add_argument("description", nargs="?", default=None,
                   help='archetype in words, e.g. "five oblong clusters in 10 dimensions"')
    p.add_argument("--archetype", default=None, metavar="ARCH.json",
                   help="archetype file (written by Archetype.save) instead of a description")
    p.add_argument("--datasets", "--n-datasets", dest="datasets", type=int, default=1,
                   help="datasets to draw (default 1)")
    p.add_argument("-n", "--rows", "--samples", dest="rows", type=int, default=None,
                   help="rows of each dataset (default: the archetype's n_samples)")
    add_output(p, "the datasets, archetype.json and summary.csv", folder=True)
    p.add_argument("--seed", type=int, default=None,
                   help="seed for the whole run (default: fresh entropy, recorded in the metadata)")
    p.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="table format (default csv)")
    add_progress(p)
    p.set_defaults(func=cmd_clusters)


def cmd_clusters(args: argparse.Namespace) -> int:
    import pandas as pd

    from ..clusters import Archetype
    from ..clusters.recipe import MAX_DATASETS
    from ..io import make_output_folder, write_table

    if (args.description is None) == (args.archetype is None):
        raise SpecError("give either a DESCRIPTION or --archetype ARCH.json (exactly one)")
    if args.datasets < 1:
        raise SpecError(f"`--datasets` must be a positive integer, got {args.datasets}")
    if args.datasets > MAX_DATASETS:
        raise SpecError(f"`--datasets` is at most {MAX_DATASETS:,} per run (got {args.datasets:,}); "
                        "draw more with several runs and other seeds")
    width = max(3, len(str(args.datasets - 1)))  # names sort in drawing order
    if args.rows is not None and args.rows < 1:
        raise SpecError(f"`-n/--rows` (rows of each dataset) must be a positive integer, got {args.rows}")
    if args.archetype is not None:
        arch = Archetype.load(args.archetype)
    else:
        arch = Archetype.from_description(args.description)
    if args.rows is not None:
        arch = arch.replace(n_samples=args.rows)
    out = make_output_folder(args.output, parents=args.mkdir)
    arch.save(out / "archetype.json")
    rows = []
    for d, ds in enumerate(arch.iter_sample(args.datasets, args.seed, progress=args.progress)):
        path = ds.save(out / f"dataset_{d:0{width}d}.{args.format}")
        rows.append({"dataset": d, "path": str(path), **ds.summary()})
    summary = pd.DataFrame(rows)
    write_table(summary, out / "summary.csv")
    n_ok = int(summary["certified"].sum())
    print(f"{arch.name}: wrote {len(rows)} dataset(s) of {arch.n_samples} rows to {out} ({n_ok} certified; "
          f"max overlap {summary['max_overlap'].max():.4g} <= {arch.max_overlap:g}, "
          f"min nearest-neighbour overlap {summary['min_nn_overlap'].min():.4g} >= "
          f"{arch.min_overlap:g})")
    return 0
