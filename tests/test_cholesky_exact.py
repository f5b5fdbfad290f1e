"""Cholesky ``exact=True``: the whole sample's moments are exact, whatever the blocks, chunks and threads."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import synthkit
from synthkit.seeding import BLOCK_ROWS

NORMALS = {
    "a": {"distribution": "normal", "params": {"loc": 10, "scale": 2}},
    "b": {"distribution": "normal"},
    "c": {"distribution": "normal", "params": {"loc": -5, "scale": 0.1}},
}
TARGET = np.array([[1.0, 0.6, -0.3], [0.6, 1.0, 0.2], [-0.3, 0.2, 1.0]])
MEANS, SDS = np.array([10.0, 0.0, -5.0]), np.array([2.0, 1.0, 0.1])


def _check_exact(x: np.ndarray, corr: np.ndarray, means: np.ndarray, sds: np.ndarray) -> None:
    assert np.abs(np.corrcoef(x, rowvar=False) - corr).max() < 1e-10
    assert np.abs(x.mean(axis=0) - means).max() < 1e-10
    assert np.abs(x.std(axis=0, ddof=1) - sds).max() < 1e-10


@pytest.mark.parametrize("n", [BLOCK_ROWS + 2, 150_000])
def test_exact_whole_sample_any_chunking_and_workers(n):
    m = synthkit.declare(NORMALS, strategy="cholesky", correlation=TARGET, exact=True)
    full = m.sample(n, seed=5).frame
    _check_exact(full.to_numpy(), TARGET, MEANS, SDS)
    for chunk_rows in (1000, BLOCK_ROWS, 100_000):
        for workers in (1, 2):
            parts = list(m.iter_chunks(n, seed=5, chunk_rows=chunk_rows, workers=workers))
            assert all(len(p) == chunk_rows for p in parts[:-1])
            pd.testing.assert_frame_equal(pd.concat(parts, ignore_index=True), full)
    pd.testing.assert_frame_equal(m.sample(n, seed=5, workers=2).frame, full)


def test_exact_fitted_model_reproduces_its_moments_across_blocks():
    rng = np.random.default_rng(4)
    z = rng.standard_normal((3000, 3)) @ np.linalg.cholesky(TARGET).T
    df = pd.DataFrame(z * SDS + MEANS, columns=list("abc"))
    m = synthkit.fit(df, strategy="cholesky", exact=True, marginals="norm")
    x = m.sample(2 * BLOCK_ROWS + 7, seed=1).frame.to_numpy()
    _check_exact(x, m.correlation_, m.means_, m.stds_)


def test_draw_moments_merge_equals_whole_draw():
    from synthkit.dependence.cholesky import DrawMoments, whiten

    z = np.random.default_rng(2).standard_normal((1001, 4)) * [1, 2, 3, 4] + [0, 1, -1, 5]
    parts = [DrawMoments.of(z[a:b]) for a, b in ((0, 3), (3, 700), (700, 1001))]
    merged = parts[0].merge(parts[1]).merge(parts[2])
    np.testing.assert_allclose(merged.mean, z.mean(axis=0), rtol=0, atol=1e-13)
    np.testing.assert_allclose(merged.cross / 1000, np.cov(z, rowvar=False), rtol=1e-12, atol=1e-12)
    shift, w = merged.whitening()
    np.testing.assert_allclose((z - shift) @ w, whiten(z), rtol=0, atol=1e-11)


def test_declared_discrete_column_has_exact_moments():
    cols = {"k": {"distribution": "poisson", "params": {"mu": 0.7}}, "b": {"distribution": "normal"}}
    m = synthkit.declare(cols, strategy="cholesky")
    assert m.means_[0] == pytest.approx(0.7, rel=1e-9)
    assert m.stds_[0] == pytest.approx(np.sqrt(0.7), rel=1e-9)
