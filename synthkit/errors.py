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
    "NotFittedError",
    "ModelFileError",
    "RecipeError",
    "OverlapError",
    "RuleError",
    "reject_unknown_keys",
]


class SynthkitError(Exception):
    """Base class of every error raised on purpose by synthkit."""


class SpecError(SynthkitError, ValueError):
    """A parameter, distribution, correlation matrix or other declaration is invalid."""


class DataError(SynthkitError, ValueError):
    """The input table cannot be used (empty, inf values, unknown kinds, ...)."""


class FitError(SynthkitError, RuntimeError):
    """A model could not be fitted, or a fitted attribute was used before ``fit``."""


class NotFittedError(FitError, AttributeError):
    """A fitted attribute or method was used before ``fit``.

    Also an ``AttributeError``, as scikit-learn's ``NotFittedError`` is: ``hasattr(model,
    "correlation_")`` is False on an unfitted model.

    Examples
    --------
    >>> import synthkit
    >>> hasattr(synthkit.GaussianCopula(), "correlation_")
    False
    """


class ModelFileError(SynthkitError, ValueError):
    """A model, dataset or archetype file is unreadable, malformed or of an unknown version."""


class RecipeError(SynthkitError, ValueError):
    """A YAML recipe is malformed: the message names the file, the key and what is expected."""


class OverlapError(SynthkitError, ValueError):
    """Overlap constraints that are impossible or could not be met."""


class RuleError(SynthkitError, ValueError):
    """A business rule is malformed, unsafe, or no sample satisfies it."""


def reject_unknown_keys(
    mapping: dict, allowed: set[str] | frozenset[str], where: str,
    error: type[SynthkitError],
) -> None:
    """Raise ``error`` naming every key of ``mapping`` outside ``allowed`` (and the allowed ones).

    Used wherever a user-written mapping is read (recipes, column declarations), so a typo
    such as ``colums:`` is reported instead of silently ignored.

    Examples
    --------
    >>> reject_unknown_keys({"rows": 5}, {"rows", "seed"}, "r.yaml", SpecError)
    >>> reject_unknown_keys({"colums": 1}, {"columns"}, "r.yaml", SpecError)
    Traceback (most recent call last):
    ...
    synthkit.errors.SpecError: r.yaml: unknown key(s) ['colums']; allowed keys are ['columns']
    """
    unknown = sorted(set(mapping) - set(allowed), key=str)
    if unknown:
        raise error(f"{where}: unknown key(s) {unknown}; allowed keys are {sorted(allowed)}")
