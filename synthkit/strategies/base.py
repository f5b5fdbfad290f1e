"""The strategy contract every generation strategy follows.

Modelled on scikit-learn's estimator contract:

* ``__init__`` only stores parameters (``get_params`` / ``set_params``); they
  are checked when ``fit`` or ``from_spec`` runs ("`ks_tolerance` must be in (0, 1], got 2").
* ``fit``, ``from_spec`` and ``from_dict`` all end in one ``_set_state``: the
  column models (``columns_``) and one
  :class:`~synthkit.strategies._state.FittedDependence` (``dependence_``), given
  by the hooks ``_estimate(frame)``, ``_declare()`` and ``_dependence_from_dict(d)``.
* ``sample(n, seed)`` depends only on the fitted state, ``n`` and the seed: the
  engine (:mod:`~synthkit.strategies._engine`) draws block ``b`` (public:
  :meth:`Strategy.sample_block`) from the generator of key ``(b,)`` only, through
  the hook ``_draw`` (default: ``_uniforms(n, rng)`` through the column models).
* ``to_dict`` / ``from_dict`` / ``save`` round-trip through JSON (never pickle).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._counts import check_n
from .._threads import limit_threads
from ..columns import ColumnModel
from ..dataset import SyntheticDataset
from ..dependence.hierarchy import split_determined
from ..dependence.level_order import order_levels
from ..errors import NotFittedError, SpecError
from ..io import write_json
from ..schema import Schema, check_frame, infer_schema
from ..seeding import BLOCK_ROWS, SeedLike, as_seed_sequence
from . import _conditional, _document, _engine, _generated, _private
from ._engine import PROGRESS_MIN_ROWS, BlockRequest
from ._params import Parameters, check_common_params, policy
from ._state import FittedDependence
from .registry import get_strategy

__all__ = ["Strategy", "MODEL_FORMAT", "MODEL_FORMAT_VERSION", "PROGRESS_MIN_ROWS"]

MODEL_FORMAT = _document.MODEL_FORMAT
MODEL_FORMAT_VERSION = _document.MODEL_FORMAT_VERSION


class Strategy(Parameters):
    """Base class of synthkit's generation strategies.

    Parameters
    ----------
    marginals : str or dict
        How each column's marginal is fitted: ``"auto"`` (AIC/BIC family selection
        with a KS fidelity check, empirical fallback), ``"empirical"``, ``"kde"``, a
        scipy.stats family name, or a dict ``{column: method}`` (other columns auto).
    criterion : {"bic", "aic"}
        Information criterion of the automatic family selection.
    ks_tolerance : float
        Largest KS distance at which a fitted family is accepted (else empirical).
    rules : list, optional
        Business rules applied to every sample (see :mod:`synthkit.rules`,
        :func:`~synthkit.rules.compile_rules`): hard rules every row satisfies, soft
        rules ``{"rule": text, "keep": p}`` whose violators are kept with probability
        ``p``, derived columns ``"name = expression"``. Rows are drawn in rounds until
        each block holds its rows (:mod:`synthkit.strategies._engine`); a hard bound on
        one column (``age >= 18``) is drawn exactly, without rejection, by strategies
        with ``supports_conditions``. Checked against the columns at ``fit`` / ``declare``.
    stratify : str, optional
        Fit the strategy separately within each level of this low-cardinality column
        (shorthand for :class:`~synthkit.strategies.stratify.Stratified` over this
        strategy), or ``"auto"`` to pick the column with the strongest class
        structure, if any. ``None``: no strata.
    privacy : {"standard", "off"}
        ``"standard"`` (default): identifier and PII columns are generated, never copied
        (:mod:`synthkit.privacy`), and the fitted model stores no record: levels and
        values held by fewer than ``min_count`` rows are merged, extremes are top/bottom
        coded and numeric quantile functions keep a bounded number of knots
        (:mod:`synthkit.privacy.protections`). ``"off"``: the data as they are, for
        non-sensitive tables (a warning is given when identifier/PII columns are present).
    min_count : int
        ``k`` of the protections: the fewest rows a stored level, value or tail may hold.
    roles : dict, optional
        ``{column: role}`` overriding the detected roles: ``"identifier"``, ``"pii"``,
        ``"pii:email"`` (a PII type), ``"quasi_identifier"`` or ``"ordinary"``.
    locale : str, optional
        Faker locale of generated PII (``"de_DE"``...); default: guessed from the data.
    hierarchies : "auto", None or dict
        Columns determined by another column (occupation code -> group, product ->
        category) are derived from it by the stored level map instead of being modelled,
        so every sampled row keeps the hierarchy (:mod:`synthkit.dependence.hierarchy`):
        ``"auto"`` detects them (at most 1% of rows disagreeing), ``None`` models every
        column, ``{"group": "code"}`` declares them.
    """

    name: ClassVar[str] = "base"
    #: Whether the model draws given conditions (``sample(..., conditions=...)``, ``extend``,
    #: exact bounds): it implements :meth:`_uniforms_given`.
    supports_conditions: ClassVar[bool] = False

    def __init__(self, *, marginals: str | dict[str, str] = "auto", criterion: str = "bic",
                 ks_tolerance: float = 0.035, rules: list[str] | None = None,
                 stratify: str | None = None, privacy: str = "standard", min_count: int = 5,
                 roles: dict[str, str] | None = None, locale: str | None = None,
                 hierarchies: str | dict[str, str] | None = "auto") -> None:
        self.privacy = privacy
        self.min_count = min_count
        self.roles = roles
        self.locale = locale
        self.marginals = marginals
        self.criterion = criterion
        self.ks_tolerance = ks_tolerance
        self.rules = rules
        self.stratify = stratify
        self.hierarchies = hierarchies

    def _validate_params(self) -> None:
        """Check the base parameters; subclasses extend (and call super)."""
        check_common_params(self)

    def fit(self, data: pd.DataFrame, *, progress: bool | None = None) -> Strategy:
        """Fit the marginals and the dependence on a real table (mixed kinds, nulls allowed); returns self.

        With ``privacy="standard"`` identifier and PII columns are set aside first (only
        their format is learned, see :mod:`synthkit.privacy`) and the protections of
        :mod:`synthkit.privacy.protections` run before and after the marginals are fitted;
        ``privacy_`` records which ran.

        ``progress``: a bar with one step per modelled column and one for the dependence;
        by default shown on a terminal, at once for ``PROGRESS_MIN_ROWS`` (250,000) rows or
        more, else once the fit has taken two seconds. True or False forces it on or off.
        The fitted model does not depend on it, nor on the number of BLAS threads (the fit
        runs on one).
        """
        from .._progress import check_progress, progress_bar

        progress = check_progress(progress)
        self._validate_params()
        self.__dict__.pop("dependence_", None)  # a failed refit leaves an unfitted model
        frame = check_frame(data)
        prepared = _private.prepare(frame, policy(self), self.roles, self.locale)
        self.generated_ = prepared.generated
        _engine.check_rules(self, [str(c) for c in frame.columns])
        if isinstance(self.stratify, str):
            _generated.check_not_generated(self, [self.stratify], "`stratify`")
        _generated.check_not_generated(self, _generated.correlation_names(getattr(self, "correlation", None)),
                                       "the `correlation` target")
        # one BLAS thread: sums over rows (correlations, EM) and blocked factorisations
        # differ in their last bits with the thread count, and the model must not
        with progress_bar(total=prepared.frame.shape[1] + 1, progress=progress, desc="fit", unit="step",
                          large=len(frame) >= PROGRESS_MIN_ROWS, leave=False) as bar, limit_threads(1):
            self._fit_frame(prepared.frame, prepared.roles, prepared.records, bar=bar)
        self.privacy_ = prepared.summary(self.privacy_["protections"])
        return self

    def _fit_frame(self, frame: pd.DataFrame, roles: dict | None = None, records: list | None = None,
                   continuous: tuple[str, ...] = (), bar: Any = None) -> None:
        """Fit the modelled columns of ``frame`` (protected already): the body of :meth:`fit`.

        The strata of a stratified model are fitted through here (no role detection; their
        own protections ran in :func:`~synthkit.strategies.stratify._fit_level`); ``continuous``
        names the whole table's continuous columns, kept continuous in a level whose few
        values of them would otherwise read as a discrete support. ``bar`` (a progress bar
        or None) advances by one per column and once for the dependence.
        """
        schema = infer_schema(frame)  # records non-string labels, restored on sampled frames
        frame = frame.rename(columns=str)
        for col in schema:
            if roles and col.name in roles:
                col.role, col.role_reason = roles[col.name].role, roles[col.name].reason
            if col.name in continuous and col.kind == "integer":
                col.kind = "continuous"
        columns, knots = _document.fit_columns(frame, schema, self.marginals, self.criterion,
                                               self.ks_tolerance, policy(self), bar=bar)
        # determined columns leave the modelled table; nominal levels get their latent order
        protect = [v for v in (self.stratify, getattr(self, "by", None)) if v not in (None, "auto")]
        protect += _generated.correlation_names(getattr(self, "correlation", None))
        frame, schema, columns, self.hierarchies_ = split_determined(frame, schema, columns,
                                                                     self.hierarchies, protect)
        columns = order_levels(frame, columns, self.hierarchies_)
        self.schema_, self.columns_, self.n_train_ = schema, columns, len(frame)  # for the hooks
        strata = None
        if self.stratify is not None:  # the dependence lives in the strata: no pooled fit
            strata = get_strategy("stratified").wrap(self, frame)
        dependence = FittedDependence() if strata is not None else self._estimate(frame)
        if bar is not None:
            bar.update(1)
        self._set_state(schema, columns, dependence, n_train=len(frame), strata=strata)
        self.privacy_ = {"policy": policy(self).to_dict(),
                         "protections": list(records or []) + knots + self._sampler()._strata_protections()}

    @property
    def schema(self) -> Schema:
        """The whole table's schema, roles included: the modelled columns, the columns they
        determine and the generated identifier / PII ones, in the table's order (``schema_``
        is the modelled part)."""
        self._check_fitted()
        return _engine.output_schema(self)

    @classmethod
    def from_spec(cls, columns: list[ColumnModel], **params: Any) -> Strategy:
        """Build a sampler from declared column models (no data).

        Examples
        --------
        >>> from synthkit.spec import declare_columns
        >>> from synthkit.strategies.montecarlo import MonteCarlo
        >>> m = MonteCarlo.from_spec(declare_columns({"x": {"distribution": "normal"}}))
        >>> m.sample(5, seed=0).frame.shape
        (5, 1)
        """
        obj = cls(**params)
        obj._validate_params()
        if obj.stratify not in (None, "auto"):
            raise SpecError("`stratify` needs data: it applies to fitted models only")
        columns = list(columns)
        schema = Schema([c.column for c in columns])
        obj.schema_, obj.columns_, obj.n_train_ = schema, columns, None
        obj._set_state(schema, columns, obj._declare())
        _engine.check_rules(obj)
        # declared columns are the user's statements: nothing was protected, the record says so
        obj.privacy_ = {"policy": None, "declared": True, "protections": []}
        return obj

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Strategy:
        """Rebuild a fitted model from :meth:`to_dict` output (no code is executed)."""
        return _document.read_model(None if cls is Strategy else cls, d)

    def _set_state(self, schema: Schema, columns: list[ColumnModel], dependence: FittedDependence, *,
                   n_train: int | None = None, strata: Any = None) -> None:
        """The one place a model's fitted state is set (fit, from_spec, from_dict)."""
        _engine.forget_rules(self)  # compiled rules and sampling plans belong to the old state
        self.schema_, self.columns_, self.n_train_ = schema, list(columns), n_train
        self.__dict__.setdefault("generated_", [])
        self.__dict__.setdefault("hierarchies_", [])
        self.__dict__.setdefault("privacy_", {"policy": policy(self).to_dict(), "protections": []})
        self.dependence_ = dependence
        self.missing_columns_ = list(dependence.missing_columns)
        self.strata_ = strata
        self.stratify_ = None if strata is None else strata.by_
        if strata is None:  # a stratified model's dependence lives in its strata
            self._on_state()

    def _estimate(self, frame: pd.DataFrame) -> FittedDependence:
        """Hook: the dependence fitted on ``frame`` (``schema_`` and ``columns_`` are set)."""
        return FittedDependence()

    def _declare(self) -> FittedDependence:
        """Hook: the dependence of a declared model (``columns_`` are set)."""
        return FittedDependence()

    def _strata_protections(self) -> list[dict]:  # hook: the protections of a stratified model's levels
        return []

    def _on_state(self) -> None:  # hook: derive sampling caches (factors, loaded vines) from dependence_
        pass

    def _check_fitted(self) -> None:
        if not hasattr(self, "dependence_"):
            raise NotFittedError(f"this {type(self).__name__} is not fitted yet: call fit(data) or build it "
                           "with from_spec(...) before sampling")

    def _sampler(self) -> Any:
        """The model whose ``_draw`` makes this model's blocks (its strata, when stratified)."""
        return self if self.strata_ is None else self.strata_

    def _prepare_sample(self, n: int, root: np.random.SeedSequence, workers: int) -> Any:
        """Hook: state shared by every block of one sample of ``n`` rows (default none)."""
        return None

    def _uniforms(self, n: int, rng: np.random.Generator) -> np.ndarray:  # hook of the default _draw
        raise NotImplementedError(f"{type(self).__name__} must define _uniforms or _draw")

    def _draw(self, request: BlockRequest) -> list[np.ndarray]:
        """Hook: one block's per-column values (default: ``_uniforms`` through the columns; with
        ``conditions``, :meth:`_uniforms_given` through them)."""
        if request.conditions:
            if not self.supports_conditions:
                raise SpecError(f"the {self.name!r} strategy does not support `conditions`")
            return _conditional.draw_conditions(self, request.conditions, request.rows, request.rng)
        return _engine.values_from_uniforms(self, self._uniforms(request.rows, request.rng))

    def sample_block(self, b: int, seed: SeedLike = None, *, n: int | None = None,
                     conditions: dict | None = None) -> pd.DataFrame:
        """Block ``b`` of the sample of ``n`` rows drawn with ``seed`` (for partitioned sampling).

        Concatenating blocks ``0, 1, ...`` gives ``sample(n, seed)``, with or without
        rules: block ``b`` is rows ``[b * BLOCK_ROWS, min((b + 1) * BLOCK_ROWS, n))``.
        """
        self._check_fitted()
        frame = _engine.sample_block(self, b, as_seed_sequence(seed), n, conditions=conditions)
        return self.schema.relabel(frame)

    def iter_chunks(self, n: int, seed: SeedLike = None, *, chunk_rows: int | None = None,
                    conditions: dict | None = None, progress: bool | None = None,
                    workers: int = 1) -> Iterator[pd.DataFrame]:
        """Yield the sample of ``n`` rows as consecutive frames of ``chunk_rows`` rows.

        The concatenation is identical to ``sample(n, seed).frame`` for any
        ``chunk_rows`` and any number of ``workers`` (threads drawing blocks).
        """
        self._check_fitted()
        n = check_n(n)
        chunk_rows = BLOCK_ROWS if chunk_rows is None else check_n(chunk_rows, "chunk_rows")
        for chunk in _engine.iter_chunks(self, n, as_seed_sequence(seed), chunk_rows,
                                         conditions=conditions, progress=progress, workers=workers):
            yield self.schema.relabel(chunk)

    def sample(self, n: int | None = None, seed: SeedLike = None, *,
               conditions: dict | pd.DataFrame | None = None, counts: Any = None,
               progress: bool | None = None, workers: int = 1) -> SyntheticDataset:
        """Draw ``n`` synthetic rows.

        Parameters
        ----------
        n : int
            Number of rows (> 0); with a conditions table, optional (its rows).
        seed : None, int, SeedSequence or Generator
            Randomness; the same seed gives the same rows.
        conditions : dict or DataFrame, optional
            A dict: fixed values or ``(low, high)`` ranges per column, for every row
            (strategies with ``supports_conditions`` only). A DataFrame: one output row
            per condition row, drawn given that row's values (NaN cells unconstrained;
            strategies with ``supports_conditions``, see :mod:`synthkit.strategies._conditional`).
        counts : array-like or str, optional
            With a conditions table: rows to draw per condition row (an array, or the
            name of a column of the table).
        progress : bool, optional
            Show a progress bar (default: for ``n >= 250,000`` rows on a terminal).
        workers : int
            Threads drawing blocks in parallel; the output does not depend on it.

        Returns
        -------
        SyntheticDataset
        """
        self._check_fitted()
        if isinstance(conditions, pd.DataFrame) or counts is not None:
            return _conditional.sample_table(self, conditions, n, seed, counts=counts)
        root = as_seed_sequence(seed)
        n = check_n(n)
        frame, report = _engine.sample_with_report(self, n, root, conditions=conditions, progress=progress,
                                                   workers=workers)
        schema = self.schema
        return SyntheticDataset(schema.relabel(frame), schema,
                                _document.provenance(self, len(frame), root, conditions), report)

    def _restore_dtypes(self, frame: pd.DataFrame) -> pd.DataFrame:
        return _engine.restore_dtypes(self, frame)

    def _dependence_to_dict(self) -> dict[str, Any]:
        """Hook: JSON-able fitted dependence parameters."""
        return {}

    def _dependence_from_dict(self, d: dict[str, Any]) -> FittedDependence:
        """Hook: the dependence :meth:`_dependence_to_dict` wrote (``columns_`` are set)."""
        return FittedDependence()

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as a JSON-able document (format ``synthkit-model`` v1)."""
        self._check_fitted()
        return _document.write_model(self)

    def save(self, path: str | os.PathLike, *, parents: bool = False) -> Path:
        """Write the fitted model as JSON (atomically). Load it with :func:`synthkit.load`.

        ``parents=True`` creates a missing folder (and its parents) first.
        """
        return write_json(path, self.to_dict(), parents=parents)

    def _uniforms_given(self, lo: np.ndarray, hi: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Hook: ``(n, d + m)`` uniforms, each row drawn given its own bounds ``lo <= u <= hi``.

        ``NaN`` bounds leave a dimension free, ``lo == hi`` fixes it; the layout is
        :func:`~synthkit.strategies._engine.missing_layout`'s. Strategies implementing it
        set ``supports_conditions = True``.
        """
        raise SpecError(_conditional.unsupported_message(self))

    def extend(self, real: pd.DataFrame, columns: list[str] | None = None, *, seed: SeedLike = None,
               rules: list | None = None, weights: Any = None) -> SyntheticDataset:
        """Complete real rows: draw the model's other columns given each row's observed values.

        Parameters
        ----------
        real : DataFrame
            Real rows holding some of the model's columns (missing cells are evidence
            of a missing value where the column can be missing).
        columns : list of str, optional
            The columns to draw (default: every model column ``real`` lacks).
        seed : None, int, SeedSequence or Generator
            Randomness; the same seed gives the same rows.
        rules : list, optional
            Rules (:func:`synthkit.rules.compile_rules` forms) the completed rows must
            satisfy, with the model's own; a failing row's drawn columns are redrawn.
        weights : str or array-like, optional
            Non-negative replication weights (a column of ``real`` or one per row):
            each row appears its systematically rounded weight times, each copy with
            its own draw.

        Returns
        -------
        SyntheticDataset
            ``real``'s rows (their given columns verbatim, same order and index) and
            the drawn columns. See :func:`synthkit.strategies._conditional.extend`.

        Examples
        --------
        >>> import pandas as pd, synthkit
        >>> from sklearn.datasets import load_wine
        >>> wine = load_wine(as_frame=True).frame
        >>> m = synthkit.fit(wine, strategy="gaussian_copula", stratify=None)
        >>> m.extend(wine[["alcohol", "malic_acid"]].head(3), seed=0).frame.shape
        (3, 14)
        """
        self._check_fitted()
        return _conditional.extend(self, real, columns, seed=seed, rules=rules, weights=weights)
