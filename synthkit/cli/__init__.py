"""The ``synthkit`` command.

Each sub-command lives in its own module listed in :data:`COMMAND_MODULES`; a
module exposes ``register(subparsers)``, which adds its parser and sets
``func`` to a callable ``(args) -> int`` exit status. Any
:class:`~synthkit.errors.SynthkitError` is printed as ``synthkit: error: ...``
and exits with status 2.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from .._version import __version__
from ..errors import SpecError, SynthkitError

COMMAND_MODULES = [
    "synthkit.cli.tabular",
    "synthkit.cli.validate",
    "synthkit.cli.clusters",
]


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
    except KeyboardInterrupt:  # pragma: no cover - interactive
        print("synthkit: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
