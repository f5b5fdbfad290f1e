"""The strategy contract every generation strategy follows.

Modelled on scikit-learn's estimator contract:

* ``__init__`` only stores parameters; they are checked when ``fit`` (or
  ``sample`` on a declared model) runs, with messages of one form
  ("`ks_tolerance` must be in (0, 1], got 2").
* ``fit(data) -> self`` infers the schema (``schema_``), fits one
  :class:`~synthkit.columns.ColumnModel` per column (``columns_``), then calls
  the subclass hook ``_fit_dependence(frame)``. Fitted attributes end in ``_``.
* ``sample(n, seed=None) -> SyntheticDataset`` depends only on the fitted
  parameters, ``n`` and the seed. Rows are drawn in blocks of
  :data:`~synthkit.seeding.BLOCK_ROWS`; block ``b`` uses the generator spawned
  with key ``(b,)`` from the root seed sequence, so the output is identical
  whatever the chunking, and blocks may be drawn by several threads at once.
* ``to_dict`` / ``from_dict`` / ``save`` round-trip through JSON (never pickle).

A subclass provides the dependence: either ``_uniforms(n, rng)`` returning an
``(n, d)`` array of dependent uniforms (the base maps them through the column
models), or ``_sample_block(n, rng, conditions)`` returning a typed frame. A
strategy that models missingness as its own variables (``missing_columns_``)
returns ``(n, d + m)`` uniforms: the values, then one missingness uniform per
listed column (see :meth:`Strategy._missing_layout`).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from .._resources import check_memory
from .._version import __version__
from ..columns import ColumnModel
from ..dataset import SyntheticDataset
from ..errors import FitError, ModelFileError, RuleError, SpecError, SynthkitError
from ..io import to_jsonable, write_json
from ..rules import Rule, apply_rules, parse_rules
from ..schema import Schema, cast_series, check_frame, infer_schema
from ..seeding import BLOCK_ROWS, SeedLike, as_seed_sequence, block_generator, seed_to_json

__all__ = ["Strategy", "MODEL_FORMAT", "MODEL_FORMAT_VERSION", "PROGRESS_MIN_ROWS"]

MODEL_FORMAT = "synthkit-model"
MODEL_FORMAT_VERSION = 1
#: Samples of at least this many rows show a progress bar (when stderr is a terminal).
PROGRESS_MIN_ROWS = 250_000
#: Rejection sampling gives up when the rules accept less than this share of rows.
MIN_ACCEPTANCE = 1e-4


def progress_bar(n: int, progress: bool | None):
    """A tqdm bar over ``n`` rows: forced on/off by ``progress``; by default shown for
    ``n >= PROGRESS_MIN_ROWS`` when stderr is a terminal."""
    from tqdm.auto import tqdm

    if progress is not None and not isinstance(progress, (bool, np.bool_)):
        raise SpecError(f"`progress` must be True, False or None, got {progress!r}")
    if progress is None:
        disable = None if n >= PROGRESS_MIN_ROWS else True
    else:
        disable = not progress
    return tqdm(total=n, unit="rows", desc="sampling", leave=False, disable=disable)


def check_rows_memory(n: int, n_columns: int) -> None:
    """Refuse a sample whose ``n x n_columns`` float64 cells exceed the machine's memory."""
    check_memory(8.0 * n * max(n_columns, 1), f"a sample of {n:,} rows x {n_columns} columns",
                 "draw it in pieces with model.iter_chunks(n, chunk_rows=...) and write each "
                 "chunk out, or sample fewer rows")


def check_n(n: Any) -> int:
    """Validate a row count (a positive integer)."""
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
        if isinstance(n, float) and n.is_integer() and n > 0:
            return int(n)
        raise SpecError(f"`n` must be a positive integer, got {n!r}")
    if n <= 0:
        raise SpecError(f"`n` must be a positive integer, got {n}")
    return int(n)


class Strategy:
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
    rules : list of str, optional
        Business rules every sampled row must satisfy (see :mod:`synthkit.rules`);
        rows breaking them are rejected and redrawn.
    stratify : str, optional
        Fit the strategy separately within each level of this low-cardinality column
        (a mixture; see :mod:`synthkit.strategies.stratify`), or ``"auto"`` to pick the
        column with the strongest class structure, if any. ``None``: no strata.
    """

    name: ClassVar[str] = "base"
    #: Whether ``sample(..., conditions=...)`` is supported.
    supports_conditions: ClassVar[bool] = False
    #: Whether, without conditions, a block is exactly the column models applied to
    #: ``_uniforms(n, rng)``. Then ``sample`` fills preallocated columns block by block
    #: (no per-block frames, no concatenation copy). True when ``_sample_block`` is
    #: not overridden; a subclass that overrides it only for conditions sets it.
    block_is_uniforms: ClassVar[bool] = False

    def __init__(
        self,
        *,
        marginals: str | dict[str, str] = "auto",
        criterion: str = "bic",
        ks_tolerance: float = 0.035,
        rules: list[str] | None = None,
        stratify: str | None = None,
    ) -> None:
        self.marginals = marginals
        self.criterion = criterion
        self.ks_tolerance = ks_tolerance
        self.rules = rules
        self.stratify = stratify

    # ------------------------------------------------------------ parameters
    @classmethod
    def _param_names(cls) -> list[str]:
        names: list[str] = []
        for klass in cls.__mro__:
            if klass is object or "__init__" not in klass.__dict__:
                continue
            for p in inspect.signature(klass.__init__).parameters.values():
                if p.name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
                    if p.name not in names:
                        names.append(p.name)
        return names

    def get_params(self) -> dict[str, Any]:
        """The constructor parameters, by name (scikit-learn style)."""
        return {k: getattr(self, k) for k in self._param_names()}

    def __repr__(self) -> str:
        defaults = {}
        for klass in type(self).__mro__:
            if "__init__" in klass.__dict__ and klass is not object:
                for p in inspect.signature(klass.__init__).parameters.values():
                    defaults.setdefault(p.name, p.default)
        shown = [f"{k}={v!r}" for k, v in self.get_params().items()
                 if not _same(v, defaults.get(k, inspect.Parameter.empty))]
        return f"{type(self).__name__}({', '.join(shown)})"

    def _validate_params(self) -> None:
        """Check the base parameters; subclasses extend (and call super)."""
        if not isinstance(self.marginals, (str, dict)):
            raise SpecError(f"`marginals` must be a method name or a dict, got {self.marginals!r}")
        if self.criterion not in ("aic", "bic"):
            raise SpecError(f"`criterion` must be 'aic' or 'bic', got {self.criterion!r}")
        if isinstance(self.ks_tolerance, bool) or not (isinstance(self.ks_tolerance, (int, float))
                                                       and 0 < self.ks_tolerance <= 1):
            raise SpecError(f"`ks_tolerance` must be in (0, 1], got {self.ks_tolerance!r}")
        parse_rules(self.rules)
        if self.stratify is not None and not isinstance(self.stratify, str):
            raise SpecError(f"`stratify` must be None, 'auto' or a column name, got {self.stratify!r}")

    # ------------------------------------------------------------------- fit
    def fit(self, data: pd.DataFrame) -> Strategy:
        """Fit the marginals and the dependence on a real table.

        Parameters
        ----------
        data : pandas.DataFrame
            The real table (mixed kinds, missing values allowed).

        Returns
        -------
        self
        """
        self._validate_params()
        frame = check_frame(data)
        schema = infer_schema(frame)  # records non-string labels, restored on sampled frames
        frame = frame.rename(columns=str)
        methods = self.marginals if isinstance(self.marginals, dict) else {}
        unknown = sorted(set(methods) - set(schema.names))
        if unknown:
            raise SpecError(f"`marginals` names unknown column(s) {unknown}")
        default = self.marginals if isinstance(self.marginals, str) else "auto"
        columns = []
        for col in schema:
            method = methods.get(col.name, default)
            if col.kind in ("integer",) and method not in ("auto", "pmf", "poisson", "nbinom",
                                                           "binom", "empirical"):
                method = "auto"
            columns.append(ColumnModel.fit(frame[col.name], col, method=method,
                                           criterion=self.criterion,
                                           ks_tolerance=self.ks_tolerance))
        self.schema_ = schema
        self.columns_ = columns
        self.n_train_ = len(frame)
        self._fit_dependence(frame)
        self._fit_strata(frame)
        return self

    def _fit_strata(self, frame: pd.DataFrame) -> None:
        from .stratify import Strata, choose_stratify_column

        self.strata_ = None
        min_rows = max(20, 2 * (len(self.columns_) - 1))
        by = self.stratify
        if by == "auto":
            by = choose_stratify_column(frame, self.columns_, min_rows)
        elif by is not None and by not in self.schema_.names:
            raise SpecError(f"`stratify` names unknown column {by!r}; columns are {self.schema_.names}")
        self.stratify_ = by
        if by is not None:
            self.strata_ = Strata.fit(self, frame, by, min_rows)

    def _fit_dependence(self, frame: pd.DataFrame) -> None:
        """Hook: fit the dependence structure (``schema_`` and ``columns_`` are set)."""

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
        obj.columns_ = list(columns)
        obj.schema_ = Schema([c.column for c in obj.columns_])
        obj.n_train_ = None
        obj.strata_ = None
        obj.stratify_ = None
        if obj.stratify not in (None, "auto"):
            raise SpecError("`stratify` needs data: it applies to fitted models only")
        obj._init_declared()
        return obj

    def _init_declared(self) -> None:
        """Hook: set up the dependence of a declared model (after ``from_spec``)."""

    def _check_fitted(self) -> None:
        if not hasattr(self, "columns_"):
            raise FitError(
                f"this {type(self).__name__} is not fitted yet: call fit(data) or build it "
                "with from_spec(...) before sampling"
            )

    # ---------------------------------------------------------------- sample
    def _uniforms(self, n: int, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError

    def _sample_block(
        self, n: int, rng: np.random.Generator, conditions: dict | None = None
    ) -> pd.DataFrame:
        """Draw ``n`` typed rows from ``rng`` (default: map ``_uniforms`` through the columns)."""
        if conditions:
            raise SpecError(f"the {self.name!r} strategy does not support `conditions`")
        u = self._uniforms(n, rng)
        return self._frame_from_uniforms(u)

    def _missing_layout(self) -> dict[int, int]:
        """Column index -> the column of ``_uniforms`` output holding its missingness uniform.

        Strategies that model missingness as its own dimension (``missing_columns_``)
        return ``(n, d + m)`` uniforms, the missingness ones after the ``d`` value
        ones; otherwise (empty layout) each column's null mass sits at the bottom of
        its single uniform.
        """
        missing = getattr(self, "missing_columns_", None)
        if not missing:
            return {}
        pos = {cm.name: j for j, cm in enumerate(self.columns_)}
        d = len(self.columns_)
        return {pos[c]: d + k for k, c in enumerate(missing)}

    def _frame_from_uniforms(self, u: np.ndarray) -> pd.DataFrame:
        lay = self._missing_layout()
        return pd.DataFrame({cm.name: cm.from_uniform(u[:, j], u[:, lay[j]] if j in lay else None)
                             for j, cm in enumerate(self.columns_)}, copy=False)

    def _block(self, root: np.random.SeedSequence, b: int, rows: int,
               conditions: dict | None, rules: list[Rule]) -> pd.DataFrame:
        rng = block_generator(root, b)
        if getattr(self, "strata_", None) is not None:
            frame = self.strata_.sample_block(self, rows, rng, root, b)
        else:
            frame = self._sample_block(rows, rng, conditions)
        if rules:
            frame = frame.loc[apply_rules(frame, rules)]
        return frame

    def iter_chunks(
        self,
        n: int,
        seed: SeedLike = None,
        *,
        chunk_rows: int | None = None,
        conditions: dict | None = None,
        progress: bool | None = None,
        workers: int = 1,
        _root: np.random.SeedSequence | None = None,
    ) -> Iterator[pd.DataFrame]:
        """Yield the sample of ``n`` rows as consecutive frames of ``chunk_rows`` rows.

        The concatenation is identical to ``sample(n, seed).frame`` for any
        ``chunk_rows`` and any number of ``workers`` (threads drawing blocks).
        """
        self._check_fitted()
        n = check_n(n)
        chunk_rows = BLOCK_ROWS if chunk_rows is None else check_n(chunk_rows)
        check_rows_memory(min(n, chunk_rows), len(self.columns_))
        if not isinstance(workers, int) or workers < 1:
            raise SpecError(f"`workers` must be a positive integer, got {workers!r}")
        root = _root if _root is not None else as_seed_sequence(seed)
        rules = parse_rules(self.rules, self.schema_.names)
        if conditions:
            if not self.supports_conditions:
                raise SpecError(
                    f"the {self.name!r} strategy does not support `conditions`; "
                    "use strategy='gaussian_copula'"
                )
            unknown = sorted(set(conditions) - set(self.schema_.names))
            if unknown:
                raise SpecError(f"`conditions` name unknown column(s) {unknown}")
            if getattr(self, "strata_", None) is not None:
                raise SpecError("`conditions` are not supported by stratified models; "
                                "fit with stratify=None")
        bar = progress_bar(n, progress)
        buffer: list[pd.DataFrame] = []
        buffered = 0
        produced = 0
        try:
            for frame in self._iter_block_frames(n, root, conditions, rules, workers):
                take = min(len(frame), n - produced)
                if take < len(frame):
                    frame = frame.iloc[:take]
                produced += take
                bar.update(take)
                buffer.append(frame)
                buffered += take
                while buffered >= chunk_rows or (produced == n and buffered):
                    out = pd.concat(buffer, ignore_index=True) if len(buffer) > 1 else buffer[0]
                    head, rest = out.iloc[:chunk_rows], out.iloc[chunk_rows:]
                    head = head.reset_index(drop=True)
                    yield head if _root is not None else self.schema_.relabel(head)
                    buffer = [rest] if len(rest) else []
                    buffered = len(rest)
                if produced == n:
                    break
        finally:
            bar.close()

    def _iter_block_frames(self, n, root, conditions, rules, workers) -> Iterator[pd.DataFrame]:
        if not rules:
            sizes = [min(BLOCK_ROWS, n - s) for s in range(0, n, BLOCK_ROWS)]
            if workers == 1:
                for b, rows in enumerate(sizes):
                    yield self._block(root, b, rows, conditions, rules)
            else:
                with ThreadPoolExecutor(workers) as pool:
                    yield from pool.map(
                        lambda br: self._block(root, br[0], br[1], conditions, rules),
                        enumerate(sizes),
                    )
            return
        # Rejection sampling: full blocks, filtered in order, until n rows are accepted.
        accepted = drawn = 0
        b = 0
        while accepted < n:
            frame = self._block(root, b, BLOCK_ROWS, conditions, rules)
            b += 1
            drawn += BLOCK_ROWS
            accepted += len(frame)
            if accepted == 0 or accepted / drawn < MIN_ACCEPTANCE:
                texts = [r.text for r in rules]
                raise RuleError(
                    f"the rules {texts} accept {accepted} of {drawn} sampled rows; no usable "
                    "sample satisfies them: check the rules against the columns' ranges"
                )
            yield frame

    def sample(
        self,
        n: int,
        seed: SeedLike = None,
        *,
        conditions: dict | None = None,
        progress: bool | None = None,
        workers: int = 1,
    ) -> SyntheticDataset:
        """Draw ``n`` synthetic rows.

        Parameters
        ----------
        n : int
            Number of rows (> 0).
        seed : None, int, SeedSequence or Generator
            Randomness; the same seed gives the same rows.
        conditions : dict, optional
            Fixed values or ``(low, high)`` ranges per column (strategies with
            ``supports_conditions`` only).
        progress : bool, optional
            Show a progress bar (default: for ``n >= 250,000`` rows on a terminal).
        workers : int
            Threads drawing blocks in parallel; the output does not depend on it.

        Returns
        -------
        SyntheticDataset
        """
        self._check_fitted()
        root = as_seed_sequence(seed)
        n = check_n(n)
        check_rows_memory(n, len(self.columns_))
        if not conditions and not self.rules and self._columnar():
            frame = self._sample_columnar(n, root, progress, workers)
        else:
            chunks = list(self.iter_chunks(n, chunk_rows=n, conditions=conditions,
                                           progress=progress, workers=workers, _root=root))
            frame = chunks[0] if len(chunks) == 1 else pd.concat(chunks, ignore_index=True)
        frame = self.schema_.relabel(self._restore_dtypes(frame))
        provenance = {
            "strategy": self.name,
            "params": to_jsonable(self.get_params()),
            "n": int(len(frame)),
            "seed": seed_to_json(root),
            "block_rows": BLOCK_ROWS,
            "synthkit_version": __version__,
        }
        if conditions:
            provenance["conditions"] = to_jsonable(conditions)
        return SyntheticDataset(frame, self.schema_, provenance)

    def _columnar(self) -> bool:
        cls = type(self)
        has_uniforms = cls._uniforms is not Strategy._uniforms
        if getattr(self, "strata_", None) is not None:
            return False
        return has_uniforms and (cls._sample_block is Strategy._sample_block
                                 or cls.block_is_uniforms)

    def _sample_columnar(self, n: int, root: np.random.SeedSequence, progress: bool | None,
                         workers: int) -> pd.DataFrame:
        """Fill preallocated column arrays block by block (same rows as the block path)."""
        if not isinstance(workers, int) or workers < 1:
            raise SpecError(f"`workers` must be a positive integer, got {workers!r}")
        outs = [np.empty(n, dtype=np.int64 if cm.coded else float) for cm in self.columns_]
        lay = self._missing_layout()
        bar = progress_bar(n, progress)

        def fill(b: int) -> int:
            start, stop = b * BLOCK_ROWS, min((b + 1) * BLOCK_ROWS, n)
            u = self._uniforms(stop - start, block_generator(root, b))
            for j, cm in enumerate(self.columns_):
                outs[j][start:stop] = cm.values_from_uniform(u[:, j], u[:, lay[j]] if j in lay else None)
            return stop - start

        blocks = range(-(-n // BLOCK_ROWS))
        try:
            if workers == 1:
                for b in blocks:
                    bar.update(fill(b))
            else:
                with ThreadPoolExecutor(workers) as pool:
                    for rows in pool.map(fill, blocks):
                        bar.update(rows)
        finally:
            bar.close()
        return pd.DataFrame({cm.name: cm.series_from_values(outs[j])
                             for j, cm in enumerate(self.columns_)}, copy=False)

    def _restore_dtypes(self, frame: pd.DataFrame) -> pd.DataFrame:
        for col in self.schema_:
            s = frame[col.name]
            if str(s.dtype) != col.dtype and not (col.dtype.lower().startswith("int")
                                                  and str(s.dtype).startswith("Int")):
                try:
                    frame[col.name] = cast_series(s, col)
                except (TypeError, ValueError):
                    pass
        return frame

    # ------------------------------------------------------------ persistence
    def _dependence_to_dict(self) -> dict[str, Any]:
        """Hook: JSON-able fitted dependence parameters."""
        return {}

    def _dependence_from_dict(self, d: dict[str, Any]) -> None:
        """Hook: restore what :meth:`_dependence_to_dict` wrote."""

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as a JSON-able document (format ``synthkit-model`` v1)."""
        self._check_fitted()
        return to_jsonable({
            "format": MODEL_FORMAT,
            "format_version": MODEL_FORMAT_VERSION,
            "synthkit_version": __version__,
            "strategy": self.name,
            "params": self.get_params(),
            "n_train": self.n_train_,
            "schema": self.schema_.to_dict(),
            "columns": [c.to_dict() for c in self.columns_],
            "dependence": self._dependence_to_dict(),
            "strata": None if getattr(self, "strata_", None) is None else self.strata_.to_dict(),
        })

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Strategy:
        """Rebuild a fitted model from :meth:`to_dict` output (no code is executed)."""
        from .registry import get_strategy

        if not isinstance(d, dict):
            raise ModelFileError("a model document must be a JSON object")
        if d.get("format") != MODEL_FORMAT:
            raise ModelFileError(f"not a synthkit model (format {d.get('format')!r})")
        if d.get("format_version") != MODEL_FORMAT_VERSION:
            raise ModelFileError(
                f"unknown model format_version {d.get('format_version')!r}; this synthkit "
                f"reads version {MODEL_FORMAT_VERSION}: upgrade synthkit or re-fit the model"
            )
        for key in ("strategy", "params", "schema", "columns"):
            if key not in d:
                raise ModelFileError(f"model document is missing the `{key}` entry")
        try:
            klass = get_strategy(d["strategy"]) if cls is Strategy else cls
        except SpecError as exc:
            raise ModelFileError(f"model document: {exc}") from None
        if not isinstance(d["params"], dict) or not isinstance(d["columns"], list):
            raise ModelFileError("model document: `params` must be an object and `columns` a list")
        try:
            obj = klass(**d["params"])
        except TypeError as exc:
            raise ModelFileError(f"model parameters do not match strategy "
                                 f"{d['strategy']!r}: {exc}") from None
        try:
            obj.schema_ = Schema.from_dict(d["schema"])
            obj.columns_ = [ColumnModel.from_dict(c) for c in d["columns"]]
        except SpecError as exc:
            raise ModelFileError(f"malformed model document: {exc}") from None
        if [c.name for c in obj.columns_] != obj.schema_.names:
            raise ModelFileError("model document: `columns` do not match the `schema`")
        try:  # parameters are checked as at fit time: a hand-edited file must not be used as is
            obj._validate_params()
            parse_rules(obj.rules, obj.schema_.names)
        except SynthkitError as exc:
            raise ModelFileError(f"model document: invalid `params`: {exc}") from None
        obj.n_train_ = d.get("n_train")
        if obj.n_train_ is not None and (isinstance(obj.n_train_, bool)
                                         or not isinstance(obj.n_train_, int) or obj.n_train_ < 1):
            raise ModelFileError(f"model document: `n_train` must be a positive integer or null, "
                                 f"got {obj.n_train_!r}")
        obj._dependence_from_dict(d.get("dependence") or {})
        obj.strata_ = None
        if d.get("strata"):
            from .stratify import Strata

            obj.strata_ = Strata.from_dict(d["strata"])
        obj.stratify_ = None if obj.strata_ is None else obj.strata_.by
        return obj

    def save(self, path: str | os.PathLike) -> Path:
        """Write the fitted model as JSON (atomically). Load it with :func:`synthkit.load`."""
        return write_json(path, self.to_dict())


def _same(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (ValueError, TypeError):
        return a is b
