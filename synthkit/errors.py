"""The one exception family of synthkit.

Every error a user can cause is a :class:`SynthkitError` (or a subclass) whose
message says what was wrong and how to fix it. Subclasses also derive from the
matching built-in exception so that ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "SynthkitError",
    "SpecError",
    "DataError",
    "FitError",
    "ModelFileError",
    "RecipeError",
    "OverlapError",
    "RuleError",
]


class SynthkitError(Exception):
    """Base class of every error raised on purpose by synthkit."""


class SpecError(SynthkitError, ValueError):
    """A parameter, distribution, correlation matrix or other declaration is invalid."""


class DataError(SynthkitError, ValueError):
    """The input table cannot be used (empty, inf values, unknown kinds, ...)."""


class FitError(SynthkitError, RuntimeError):
    """A model could not be fitted, or a fitted attribute was used before ``fit``."""


class ModelFileError(SynthkitError, ValueError):
    """A model, dataset or archetype file is unreadable, malformed or of an unknown version."""


class RecipeError(SynthkitError, ValueError):
    """A YAML recipe is malformed: the message names the file, the key and what is expected."""


class OverlapError(SynthkitError, ValueError):
    """Overlap constraints that are impossible or could not be met."""


class RuleError(SynthkitError, ValueError):
    """A business rule is malformed, unsafe, or no sample satisfies it."""
