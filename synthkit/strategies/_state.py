"""The fitted dependence of a strategy: one typed object, ``model.dependence_``.

Every strategy ends ``fit``, ``from_spec`` and ``from_dict`` in one
``_set_state(schema, columns, dependence)``; ``dependence`` is a
:class:`FittedDependence` saying which matrix the model holds and what it
measures, so readers (validation, reports) never guess from attribute names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["FittedDependence", "MEASURES"]

#: What a dependence matrix can measure.
MEASURES = ("normal_scores", "spearman", "pearson", "kendall")


@dataclass(frozen=True, eq=False)
class FittedDependence:
    """The dependence a fitted (or declared) model samples from.

    Attributes
    ----------
    latent : ndarray or None
        The model's matrix over the value columns, then one dimension per column
        listed in ``missing_columns`` (its missingness indicator); None for
        strategies without a correlation matrix (independent columns, strata).
    measure : {"normal_scores", "spearman", "pearson", "kendall"} or None
        What ``latent`` measures: the correlation of the normal scores (Gaussian
        and t copulas' parameter, the vine's completed table), Spearman's rho
        (Iman–Conover's target), Pearson (Cholesky's numeric pairs).
    missing_columns : tuple of str
        Columns whose missingness is a dimension of its own (after the values).
    target : ndarray or None
        The declared target matrix over the value columns, as declared.
    target_type : str or None
        What ``target`` measures (the strategy's ``correlation_type``).
    repair : RepairReport or None
        The nearest-correlation repair applied to the estimated / declared matrix.
    norta : NortaReport or None
        The NORTA solution of a declared Pearson target.
    params : dict
        Strategy-specific fitted parameters (means and standard deviations,
        degrees of freedom, the vine's JSON).

    Examples
    --------
    >>> import numpy as np
    >>> dep = FittedDependence(np.eye(2), "spearman")
    >>> dep.matrix.shape, dep.measure
    ((2, 2), 'spearman')
    """

    latent: np.ndarray | None = None
    measure: str | None = None
    missing_columns: tuple[str, ...] = ()
    target: np.ndarray | None = None
    target_type: str | None = None
    repair: Any = None
    norta: Any = None
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def matrix(self) -> np.ndarray | None:
        """The value block of ``latent`` (``d x d``)."""
        if self.latent is None:
            return None
        d = self.latent.shape[0] - len(self.missing_columns)
        return self.latent[:d, :d]

    def comparable(self) -> tuple[np.ndarray | None, str | None]:
        """``(matrix, measure)`` a sample of the model should reproduce.

        The declared target when there is one (its own type), else the fitted matrix.
        """
        if self.target is not None and self.target_type is not None:
            return self.target, self.target_type
        return self.matrix, self.measure
