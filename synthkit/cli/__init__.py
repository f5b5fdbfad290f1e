"""The ``synthkit`` command.

Each sub-command lives in its own module listed in :data:`COMMAND_MODULES`; a
module exposes ``register(subparsers)``, which adds its parser (with
:func:`add_command`, so every ``--help`` ends with runnable examples) and sets
``func`` to a callable ``(args) -> int`` exit status. Any
:class:`~synthkit.errors.SynthkitError` is printed as ``synthkit: error: ...``
and exits with status 2.

One flag vocabulary across the commands:

* ``-n/--rows``: rows (of the sample, of each dataset);
* ``-o/--output`` (alias ``--out``): what the command writes, a file where it writes
  one file, a folder where it writes several;
* ``--seed``, ``--mkdir`` (create missing folders), ``--no-progress`` (hide the
  progress bars shown on a terminal);
* a table argument is a ``.csv``/``.parquet`` file or an example name such as
  ``sklearn:wine`` (:func:`synthkit.datasets.load_table`).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from .._version import __version__
from ..errors import SpecError, SynthkitError

COMMAND_MODULES = [
    "synthkit.cli.tabular",
    "synthkit.cli.validate",
    "synthkit.cli.clusters",
    "synthkit.cli.inspect_model",
    "synthkit.cli.anonymize",
    "synthkit.cli.extend",
    "synthkit.cli.impute",
    "synthkit.cli.stitch",
    "synthkit.cli.oversample",
]

TABLE_HELP = "a .csv/.parquet file or an example name such as sklearn:wine"


def add_command(sub: argparse._SubParsersAction, name: str, *, help: str, description: str,
                examples: list[str]) -> argparse.ArgumentParser:
    """Add sub-command ``name`` whose ``--help`` ends with the runnable ``examples``."""
    epilog = "examples:\n" + "\n".join(f"  {line}" for line in examples)
    return sub.add_parser(name, help=help, description=description, epilog=epilog,
                          formatter_class=argparse.RawDescriptionHelpFormatter)


def add_output(p: argparse.ArgumentParser, what: str, *, folder: bool, default: str | None = None,
               required: bool = True) -> None:
    """``-o/--output`` (alias ``--out``): the file, or for ``folder=True`` the folder, written."""
    if folder:
        text = f"folder for {what} (created if missing; its parent must exist unless --mkdir)"
    else:
        text = f"{what}: the file to write"
    if default is not None:
        text += f" (default {default})"
    required = required and default is None
    p.add_argument("-o", "--output", "--out", dest="output", required=required, default=default,
                   metavar="DIR" if folder else "FILE", help=text)
    p.add_argument("--mkdir", action="store_true",
                   help="create the output's missing folders" if not folder
                   else "create the output folder's missing parents")


def add_progress(p: argparse.ArgumentParser) -> None:
    """``--no-progress``: ``args.progress`` is None (a bar on a terminal) or False."""
    p.add_argument("--no-progress", dest="progress", action="store_const", const=False, default=None,
                   help="hide the progress bar (shown on a terminal for long work)")


def parse_assignments(items: list[str], option: str, convert) -> dict:
    """Parse repeated ``KEY=VALUE`` options; ``convert(value)`` may raise ValueError."""
    out = {}
    for item in items:
        if "=" not in item:
            raise SpecError(f"{option} must look like KEY=VALUE, got {item!r}")
        key, value = item.split("=", 1)
        try:
            out[key.strip()] = convert(value)
        except ValueError:
            raise SpecError(f"{option} {key}: cannot read {value!r}") from None
    return out


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors read ``synthkit: error: ...`` (exit status 2)."""

    def error(self, message: str):  # type: ignore[override]
        self.print_usage(sys.stderr)
        command = self.prog.removeprefix("synthkit").strip()
        where = f"{command}: " if command else ""
        self.exit(2, f"synthkit: error: {where}{message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="synthkit",
        description="Statistical data synthesis: fit, sample, recipes, clusters, validation.",
    )
    parser.add_argument("--version", action="version", version=f"synthkit {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # usage errors (2), --help and --version (0)
        return exc.code if isinstance(exc.code, int) else 2
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SynthkitError as exc:
        print(f"synthkit: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into a reader that stopped early (`| head`)
        sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - no flush error at exit
        return 0
    except KeyboardInterrupt:  # pragma: no cover - interactive
        print("synthkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
