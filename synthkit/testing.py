"""The strategy conformance suite, like scikit-learn's ``check_estimator``.

``check_strategy(cls)`` runs the strategy contract (see
:mod:`synthkit.strategies.base`) on a small mixed table and raises
``AssertionError`` naming the first broken promise. The test suite runs it over
every registered strategy, so new strategies (and plug-ins) get it for free.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import FitError, SpecError, SynthkitError
from .io import to_jsonable
from .strategies.base import Strategy

__all__ = ["check_strategy", "mixed_table", "frame_hash"]


def mixed_table(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A small table with every column kind, missing values and dependence.

    Examples
    --------
    >>> mixed_table(50).dtypes.astype(str).tolist()[:3]
    ['float64', 'float64', 'int64']
    """
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.6, 0.3], [0.6, 1, 0.2], [0.3, 0.2, 1]], size=n)
    income = np.round(np.exp(10 + 0.5 * z[:, 0]), 2)
    score = z[:, 1] * 10 + 50
    score[rng.random(n) < 0.1] = np.nan
    age = np.clip(np.round(40 + 12 * z[:, 2]), 18, 90).astype(np.int64)
    rating = np.clip(np.round(3 + z[:, 0]), 1, 5).astype(float)  # survey answer stored as float
    segment = np.where(z[:, 1] > 0.5, "gold", np.where(z[:, 1] > -0.5, "silver", "bronze"))
    member = z[:, 2] > 0
    since = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 1500, n), unit="D")
    return pd.DataFrame({
        "income": income, "score": score, "age": age, "rating": rating,
        "segment": pd.Categorical(segment, categories=["bronze", "silver", "gold"]),
        "city": rng.choice(["Amsterdam", "Berlin", "Paris"], n), "member": member,
        "since": since,
    })


def frame_hash(frame: pd.DataFrame) -> str:
    """A stable content hash of a frame (values and dtypes)."""
    h = hashlib.sha256()
    h.update(str(list(frame.dtypes.astype(str))).encode())
    h.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
    return h.hexdigest()


def check_strategy(cls: type[Strategy], params: dict[str, Any] | None = None) -> None:
    """Run the strategy contract on ``cls``.

    Checks (after scikit-learn's estimator checks): ``__init__`` only stores
    parameters; ``get_params`` round-trips through the constructor and
    ``set_params`` returns the model and refuses unknown names; bad parameter
    values raise at ``fit``, not at ``__init__``; ``fit`` returns self and sets
    ``schema_``/``columns_``/``dependence_``; ``sample`` returns the input's column
    order and dtypes; same seed gives the same frame (also through
    ``iter_chunks`` with different chunk sizes and several workers, and through
    ``sample_block``); different seeds give different frames; ``rules`` (hard,
    soft, a one-column bound and a derived column) hold on every row, whatever the
    chunking, ``sample_block`` gives the same rows and the sample carries a rules
    report; ``conditions`` hold (or are refused with ``SpecError`` by strategies
    without them); ``extend`` keeps the real columns verbatim and a conditions table
    holds row by row (or both are refused with ``SpecError`` without ``supports_conditions``);
    the declared path
    (``from_spec``) samples or refuses with ``SpecError``;
    ``to_dict``/``save``/``load`` round-trips give identical samples; ``n <= 0``
    and sampling before ``fit`` raise :class:`~synthkit.errors.SynthkitError`.

    Examples
    --------
    >>> from synthkit.strategies.montecarlo import MonteCarlo
    >>> check_strategy(MonteCarlo)
    """
    import synthkit

    params = dict(params or {})
    data = mixed_table()
    model = cls(**params)
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(model)), (
        f"{cls.__name__}.__init__ must only store parameters, found fitted attributes"
    )
    _check_params(cls, model, params, data)
    try:
        model.sample(5, seed=0)
    except FitError:
        pass
    else:  # pragma: no cover - contract breach
        raise AssertionError(f"{cls.__name__}.sample before fit must raise FitError")
    out = model.fit(data)
    assert out is model, f"{cls.__name__}.fit must return self"
    assert all(hasattr(model, a) for a in ("schema_", "columns_", "dependence_")), (
        "fit must set schema_, columns_ and dependence_")

    ds = model.sample(400, seed=123)
    frame = ds.frame
    assert list(frame.columns) == list(data.columns), (
        f"{cls.__name__}: column order {list(frame.columns)} != {list(data.columns)}"
    )
    for c in data.columns:
        assert str(frame[c].dtype) == str(data[c].dtype) or (
            frame[c].isna().any() and str(frame[c].dtype).lower() == str(data[c].dtype).lower()
        ), f"{cls.__name__}: column {c!r} dtype {frame[c].dtype} != {data[c].dtype}"
    assert len(frame) == 400, f"{cls.__name__}: asked 400 rows, got {len(frame)}"

    again = model.sample(400, seed=123).frame
    assert frame_hash(again) == frame_hash(frame), f"{cls.__name__}: same seed, different frame"
    other = model.sample(400, seed=124).frame
    assert frame_hash(other) != frame_hash(frame), f"{cls.__name__}: different seeds, same frame"
    for chunk, workers in ((7, 1), (150, 2)):
        chunks = list(model.iter_chunks(400, seed=123, chunk_rows=chunk, workers=workers))
        assert all(len(c) == chunk for c in chunks[:-1]), "iter_chunks: wrong chunk sizes"
        joined = model._restore_dtypes(pd.concat(chunks, ignore_index=True))
        assert frame_hash(joined) == frame_hash(frame), (
            f"{cls.__name__}: chunk_rows={chunk}, workers={workers} changed the sample"
        )

    block = model.sample_block(0, 123, n=400)
    assert frame_hash(model._restore_dtypes(block)) == frame_hash(frame), (
        f"{cls.__name__}: sample_block(0) of a one-block sample is not the sample")
    _check_rules_and_conditions(cls, model, params, data)
    _check_declared(cls, model, params)

    doc = model.to_dict()
    clone = type(model).from_dict(doc)
    assert frame_hash(clone.sample(400, seed=123).frame) == frame_hash(frame), (
        f"{cls.__name__}: to_dict/from_dict round trip changed the sample"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "model.json"
        model.save(path)
        loaded = synthkit.load(path)
        assert type(loaded) is type(model), "load returned another strategy class"
        assert frame_hash(loaded.sample(400, seed=123).frame) == frame_hash(frame), (
            f"{cls.__name__}: save/load round trip changed the sample"
        )
    for bad in (0, -5, 2.5, "10"):
        try:
            model.sample(bad, seed=0)
        except SpecError:
            continue
        except SynthkitError:  # pragma: no cover - wrong family member
            raise AssertionError(f"sample(n={bad!r}) must raise SpecError") from None
        raise AssertionError(f"{cls.__name__}: sample(n={bad!r}) must raise SpecError")


def _check_params(cls: type[Strategy], model: Strategy, params: dict[str, Any], data: pd.DataFrame) -> None:
    got = model.get_params()
    again = cls(**got)._params_to_json()
    assert to_jsonable(again) == to_jsonable(model._params_to_json()), (
        f"{cls.__name__}: get_params does not round-trip through the constructor")
    assert model.set_params(**{k: got[k] for k in list(got)[:1]}) is model, "set_params must return self"
    try:
        model.set_params(no_such_parameter=1)
    except SpecError:
        pass
    else:  # pragma: no cover - contract breach
        raise AssertionError(f"{cls.__name__}.set_params must refuse unknown parameter names")
    bad = cls(**{**params, "ks_tolerance": 7.0})  # storing a bad value must not raise
    try:
        bad.fit(data)
    except SpecError:
        pass
    else:  # pragma: no cover - contract breach
        raise AssertionError(f"{cls.__name__}: a bad parameter must raise SpecError at fit")


def _check_rules_and_conditions(cls: type[Strategy], model: Strategy, params: dict[str, Any],
                                data: pd.DataFrame) -> None:
    rules = ["age >= 30", "rating > 1", {"rule": "member == True", "keep": 0.5},
             "band = if age >= 50 then 'senior' else 'adult'"]
    ruled = type(model).from_dict(model.to_dict()).set_params(rules=rules)  # rules act at sampling
    ds = ruled.sample(300, seed=5)
    frame = ds.frame
    assert len(frame) == 300 and (frame["age"] >= 30).all() and (frame["rating"] > 1).all(), (
        f"{cls.__name__}: rules broken")
    assert list(frame.columns) == list(data.columns) + ["band"], f"{cls.__name__}: derived column missing"
    assert ((frame["band"] == "senior") == (frame["age"] >= 50)).all(), f"{cls.__name__}: derived values"
    report = ds.rules_report
    assert report is not None and report.rows == 300 and report.accepted >= 300, (
        f"{cls.__name__}: no rules report")
    chunks = pd.concat(list(ruled.iter_chunks(300, seed=5, chunk_rows=7, workers=2)), ignore_index=True)
    assert frame_hash(ruled._restore_dtypes(chunks)) == frame_hash(frame), (
        f"{cls.__name__}: chunking changed a sample with rules")
    block = ruled.sample_block(0, 5, n=300)
    assert frame_hash(ruled._restore_dtypes(block)) == frame_hash(frame), (
        f"{cls.__name__}: sample_block(0) of a sample with rules is not the sample")
    try:
        cond = model.sample(200, seed=6, conditions={"segment": "gold"}).frame
    except SpecError:
        assert not model.supports_conditions or model.stratify_ is not None, (
            f"{cls.__name__} says it supports conditions but refused one")
    else:
        assert model.supports_conditions, f"{cls.__name__}: conditions accepted but not supported"
        assert (cond["segment"] == "gold").all(), f"{cls.__name__}: the condition does not hold"
    real = data[["segment", "age"]].head(40)
    try:
        ext = model.extend(real, seed=7).frame
    except SpecError:
        assert not model.supports_conditions or model.stratify_ is not None, (
            f"{cls.__name__} says it supports per-row conditions (supports_conditions) but refused extend")
    else:
        assert model.supports_conditions, f"{cls.__name__}: extend accepted but supports_conditions is False"
        assert list(ext.columns) == list(data.columns) and ext[["segment", "age"]].equals(real), (
            f"{cls.__name__}: extend must keep the given columns verbatim, in the table's order")
        table = model.sample(conditions=real.assign(age=np.nan), seed=7).frame
        assert len(table) == 40 and (table["segment"] == real["segment"].to_numpy()).all(), (
            f"{cls.__name__}: a conditions table's values must hold row by row")


def _check_declared(cls: type[Strategy], model: Strategy, params: dict[str, Any]) -> None:
    try:
        declared = cls.from_spec(model.columns_, **params)
    except SpecError:  # fitted-only strategies and options refuse the declared path
        return
    frame = declared.sample(50, seed=7).frame
    assert [str(c) for c in frame.columns] == model.schema_.names and len(frame) == 50, (
        f"{cls.__name__}: the declared model samples other columns")
