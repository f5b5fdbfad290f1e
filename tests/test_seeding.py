import numpy as np
import pytest

import synthkit
from synthkit.errors import SpecError
from synthkit.seeding import (
    BLOCK_ROWS,
    as_generator,
    as_seed_sequence,
    block_generator,
    iter_blocks,
)


def test_int_seed_reproducible_and_distinct():
    a = as_generator(5).random(4)
    assert np.array_equal(a, as_generator(5).random(4))
    assert not np.array_equal(a, as_generator(6).random(4))


def test_generator_passes_through_and_seedsequence_accepted():
    g = np.random.default_rng(0)
    assert as_generator(g) is g
    ss = np.random.SeedSequence(9)
    assert np.array_equal(as_generator(ss).random(3), as_generator(9).random(3))


def test_none_seed_records_entropy():
    ss = as_seed_sequence(None)
    assert isinstance(ss.entropy, int) and ss.entropy > 0


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_bad_seed_rejected(bad):
    with pytest.raises(SpecError, match="seed"):
        as_seed_sequence(bad)


def test_block_generator_matches_spawn_and_is_constant_time():
    root = np.random.SeedSequence(42)
    children = np.random.SeedSequence(42).spawn(4)
    for b in range(4):
        ref = np.random.Generator(np.random.PCG64(children[b])).random(3)
        assert np.array_equal(block_generator(root, b).random(3), ref)
    # A far block is built directly, and differs from its neighbour.
    far = block_generator(root, 10**9).random(3)
    assert not np.array_equal(far, block_generator(root, 10**9 + 1).random(3))


def test_iter_blocks_cover_rows():
    blocks = list(iter_blocks(2 * BLOCK_ROWS + 5))
    assert [b.size for b in blocks] == [BLOCK_ROWS, BLOCK_ROWS, 5]
    assert blocks[-1].stop == 2 * BLOCK_ROWS + 5


def test_child_seed_is_the_spawn_path_and_does_not_mutate_the_root():
    from synthkit.seeding import child_generator, child_seed

    root = np.random.SeedSequence(11)
    spawned = root.spawn(4)[3].spawn(3)[2]  # numpy's own derivation of child (3, 2)
    root = np.random.SeedSequence(11)
    ours = child_seed(root, 3, 2)
    assert ours.spawn_key == (3, 2) and root.n_children_spawned == 0
    assert np.array_equal(ours.generate_state(4), spawned.generate_state(4))
    assert np.array_equal(child_generator(11, 3, 2).random(3),
                          np.random.Generator(np.random.PCG64(spawned)).random(3))
    assert np.array_equal(block_generator(root, 5).random(2), child_generator(root, 5).random(2))
    with pytest.raises(SpecError, match="non-negative"):
        child_seed(root, -1)


def test_data_seed_is_a_function_of_the_data():
    from synthkit.seeding import data_seed

    x = np.linspace(0.0, 1.0, 50)
    assert data_seed(x).entropy == data_seed(x.copy()).entropy
    assert data_seed(x).entropy != data_seed(x[::-1]).entropy
    assert data_seed(x).entropy != data_seed(x.astype(np.float32)).entropy
    assert data_seed(x).entropy != data_seed(x, salt="other").entropy


def test_fit_subsample_is_seeded_by_the_data_not_a_constant(monkeypatch):
    """Large columns are fitted on a subsample: the same column gives the same subsample, and
    two different columns of the same length do not share one fixed set of rank positions."""
    from synthkit.marginals import selection
    from synthkit.marginals.parametric import ParametricMarginal

    seen = []
    real_fit = ParametricMarginal.fit.__func__

    def spy(cls, x, family, *a, **kw):
        seen.append(np.asarray(x).copy())
        return real_fit(cls, x, family, *a, **kw)

    monkeypatch.setattr(ParametricMarginal, "fit", classmethod(spy))
    n = selection.FIT_SUBSAMPLE + 1000
    rng = as_generator(3)
    cols = [rng.gamma(2.0, 1.0, n), rng.gamma(2.0, 1.0, n)]
    ranks = []
    for col in cols + [cols[0].copy()]:
        seen.clear()
        selection.fit_continuous(col, candidates=["gamma"])
        assert seen and seen[0].size == selection.FIT_SUBSAMPLE
        ranks.append(np.searchsorted(np.sort(col), seen[0]))
    assert np.array_equal(ranks[0], ranks[2])  # same data, same fit
    assert not np.array_equal(ranks[0], ranks[1])


def test_limit_threads_limits_and_restores():
    from threadpoolctl import threadpool_info

    from synthkit._threads import limit_threads

    def blas():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas()
    with limit_threads(1):
        assert blas() and all(t == 1 for t in blas())
    assert blas() == before
    with pytest.raises(SpecError, match="api"):
        with limit_threads(1, "cuda"):
            pass


def test_models_and_structured_data_do_not_depend_on_the_blas_thread_count():
    """Blocked Cholesky/QR and sums over rows differ in their last bits with the number of
    BLAS threads from about 150 columns on; fits, declared factors, exact whitening and
    the structured generators run on one thread, so the bits are the same."""
    from threadpoolctl import threadpool_limits

    from synthkit.structured import low_rank_matrix, low_rank_tensor
    from synthkit.testing import frame_hash

    d = 160
    corr = np.full((d, d), 0.3)
    np.fill_diagonal(corr, 1.0)
    spec = {f"c{i}": {"distribution": "normal"} for i in range(d)}
    table = synthkit.declare(spec, strategy="gaussian_copula", correlation=corr,
                             correlation_type="normal_scores").sample(1000, seed=4).frame

    def run():
        copula = synthkit.declare(spec, strategy="gaussian_copula", correlation=corr,
                                  correlation_type="normal_scores")
        exact = synthkit.declare(spec, strategy="cholesky", correlation=corr, exact=True)
        fitted = synthkit.fit(table, strategy="gaussian_copula", privacy="off")
        return (frame_hash(copula.sample(500, seed=1).frame), frame_hash(exact.sample(500, seed=1).frame),
                fitted.latent_correlation_.tobytes(), frame_hash(fitted.sample(500, seed=1).frame),
                low_rank_matrix((600, 400), 150, seed=3).data.tobytes(),
                low_rank_tensor((40, 40, 40), 8, kind="tucker", seed=3).data.tobytes())

    with threadpool_limits(1):
        one = run()
    with threadpool_limits(2):
        two = run()
    assert one == two
