"""Statistical matching (synthkit.stitch): Gower hot-deck, model-based matching, auxiliary data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

import synthkit
from synthkit.cli import main
from synthkit.errors import DataError, SpecError, SynthkitError
from synthkit.stitching import match_distances


@pytest.fixture(scope="module")
def fair() -> pd.DataFrame:
    return sm.datasets.fair.load_pandas().data


def _split(df, on, y, z, seed, aux_rows=0):
    idx = np.random.default_rng(seed).permutation(len(df))
    half = len(df) // 2
    left, right = df.iloc[idx[:half]][on + y], df.iloc[idx[half:]][on + z]
    aux = df.iloc[idx[:aux_rows]][y + z] if aux_rows else None
    return left, right, aux


def _cross_error(frame, truth, y, z) -> float:
    """Mean absolute error of the left-only x right-only correlations."""
    return float(np.abs(frame[y + z].corr().loc[y, z].to_numpy() - truth.loc[y, z].to_numpy()).mean())


def _random_join(left, right, z, seed):
    out = left.copy()
    out[z] = right[z].sample(len(left), replace=True, random_state=seed).to_numpy()
    return out


def test_numbers_are_compared_as_numbers():
    a = pd.DataFrame({"n": [7, 30]})
    b = pd.DataFrame({"n": [8, 62]})
    d = match_distances(a, b, ["n"])
    assert d[0, 0] < d[1, 1]
    # the hot-deck gives 7 the donor 8 and 30 the donor 62 (nearest, k=1), for every seed
    right = pd.DataFrame({"n": [62, 8], "z": ["far", "near"]})
    for seed in range(5):
        out = synthkit.stitch(pd.DataFrame({"n": [7]}), right, on=["n"], k=1, seed=seed).frame
        assert out["z"].tolist() == ["near"]
    with pytest.raises(SpecError, match="compared numerically"):
        synthkit.stitch(a, b.assign(z=1), on=["n"], text_keys=["n"])


def test_gower_distance_matches_its_formula():
    left = pd.DataFrame({"x": [0.0, 4.0, np.nan], "c": ["a", "b", "a"]})
    right = pd.DataFrame({"x": [1.0, 2.0, 3.0, 10.0], "c": ["a", "a", "b", None]})
    d = match_distances(left, right, ["x", "c"])
    both = np.array([0.0, 4.0, 1.0, 2.0, 3.0, 10.0])
    iqr = np.subtract(*np.quantile(both, [0.75, 0.25]))
    for i in range(3):
        for j in range(4):
            terms: list[float] = []
            if not np.isnan(left.x[i]):
                terms.append(abs(left.x[i] - right.x[j]) / iqr)
            if pd.notna(right.c[j]):  # pandas 3 reads None in a text column as missing
                terms.append(float(left.c[i] != right.c[j]))
            # nothing observed on both rows: matched last
            assert d[i, j] == (pytest.approx(np.mean(terms), rel=1e-12) if terms else np.inf)


def test_exact_twins_are_matched():
    rng = np.random.default_rng(3)
    x = pd.DataFrame({"a": rng.normal(size=300), "b": rng.integers(0, 4, 300).astype(str)})
    left = x.assign(y=np.arange(300))
    perm = rng.permutation(300)
    right = x.iloc[perm].assign(z=perm).reset_index(drop=True)
    # z marks the donor (a record number): declared an ordinary value, it is donated
    res = synthkit.stitch(left, right, on=["a", "b"], k=1, seed=0, roles={"z": "ordinary"})
    assert (res.frame["z"].to_numpy() == np.arange(300)).all()
    assert (res.distances == 0).all()
    assert res.summary()["exact share"] == 1.0
    assert res.frame.index.equals(left.index)


def test_fuzzy_text_keys():
    names = ["John Smith", "Maria Garcia", "Wei Zhang", "Aisha Bello", "Olga Ivanova", "Pierre Dubois"]
    typos = ["Smith John", "Maria Garcya", "Zhang Wei", "Aisha Belo", "Olga Ivanovna", "Piere Dubois"]
    left = pd.DataFrame({"name": typos, "age": [40, 31, 52, 28, 61, 45], "y": range(6)})
    right = pd.DataFrame({"name": names[::-1], "age": [45, 61, 28, 52, 31, 40], "z": names[::-1]})
    res = synthkit.stitch(left, right, on=["name", "age"], text_keys=["name"], k=1, seed=0)
    assert res.frame["z"].tolist() == names
    # the text term is 1 - token_sort_ratio / 100, averaged with the numeric term
    from rapidfuzz import fuzz
    d = match_distances(left, right, ["name"], text_keys=["name"])
    assert d[1, 4] == pytest.approx(1 - fuzz.token_sort_ratio("Maria Garcya", "Maria Garcia") / 100)
    with pytest.raises(SpecError, match="text keys are matched only"):
        synthkit.stitch(left, right, on=["name", "age"], text_keys=["name"], method="model")


def test_ties_are_broken_at_random_and_seeded():
    left = pd.DataFrame({"x": np.zeros(2000)})
    right = pd.DataFrame({"x": np.zeros(10), "z": np.arange(10)})
    a = synthkit.stitch(left, right, on=["x"], k=1, seed=5).frame["z"]
    b = synthkit.stitch(left, right, on=["x"], k=1, seed=5).frame["z"]
    c = synthkit.stitch(left, right, on=["x"], k=1, seed=6).frame["z"]
    assert a.equals(b) and not a.equals(c)
    # all ten tied donors are used, each about 200 times (binomial, 5 standard errors)
    counts = a.value_counts().reindex(range(10), fill_value=0).to_numpy()
    assert np.abs(counts - 200).max() < 5 * np.sqrt(2000 * 0.1 * 0.9)


def test_donor_cap():
    rng = np.random.default_rng(0)
    right = pd.DataFrame({"x": rng.normal(size=50), "z": np.arange(50)})
    left = pd.DataFrame({"x": rng.normal(0.5, 0.3, size=100)})  # crowds the donors near 0.5
    free = synthkit.stitch(left, right, on=["x"], k=1, seed=1, roles={"z": "ordinary"})
    assert free.frame["z"].value_counts().max() > 2
    capped = synthkit.stitch(left, right, on=["x"], k=1, donor_cap=2, seed=1, roles={"z": "ordinary"})
    assert capped.frame["z"].value_counts().max() <= 2
    assert capped.summary()["max donor uses"] <= 2
    assert capped.distances.mean() >= free.distances.mean()
    with pytest.raises(SpecError, match="donor_cap=1 allows at most 50"):
        synthkit.stitch(left, right, on=["x"], donor_cap=1)


def test_bad_inputs():
    left = pd.DataFrame({"a": [1.0, 2.0], "b": ["x", "y"], "y": [0, 1]})
    right = pd.DataFrame({"a": [1.0, 2.0], "b": [1, 2], "z": [3, 4]})
    with pytest.raises(SpecError, match=r"missing from the right table"):
        synthkit.stitch(left, right.drop(columns="a"), on=["a"])
    with pytest.raises(DataError, match="categorical .* in the left table but numeric"):
        synthkit.stitch(left, right, on=["a", "b"])
    with pytest.raises(SpecError, match="in both tables but not in `on`"):
        synthkit.stitch(left, right.assign(y=1), on=["a"])
    with pytest.raises(SpecError, match="`method` must be one of"):
        synthkit.stitch(left, right.drop(columns="b"), on=["a"], method="nearest")
    with pytest.raises(SpecError, match="`k` must be a positive integer"):
        synthkit.stitch(left, right.drop(columns="b"), on=["a"], k=0)
    with pytest.raises(SpecError, match="must name the shared columns"):
        synthkit.stitch(left, right, on=[])
    with pytest.raises(SpecError, match="nothing to donate"):
        synthkit.stitch(left, right[["a"]], on=["a"])
    with pytest.raises(SpecError, match="at least one left-only column and one right-only"):
        synthkit.stitch(left, right.drop(columns="b"), on=["a"], auxiliary=pd.DataFrame({"y": [1, 2]}))
    with pytest.raises(DataError, match="no rows"):
        synthkit.stitch(left.iloc[:0], right, on=["a"])
    with pytest.raises(SynthkitError):
        synthkit.stitch(left, right.drop(columns="b"), on=["a"], method="model", donor_cap=3)


def test_stitched_correlations_beat_a_random_join(fair):
    """Shared variables that carry the dependence: matching recovers the cross-source correlations."""
    on, y, z = ["age", "educ", "religious"], ["yrs_married", "rate_marriage"], ["children", "affairs"]
    left, right, _ = _split(fair, on, y, z, seed=0)
    truth = fair.corr()
    random_err = _cross_error(_random_join(left, right, z, 0), truth, y, z)
    # one correlation from n rows has standard error <= 1 / sqrt(n); the errors are means of four
    se = 1 / np.sqrt(len(left))
    for method in ("hotdeck", "model"):
        err = _cross_error(synthkit.stitch(left, right, on=on, method=method, seed=0).frame, truth, y, z)
        assert err < random_err - 5 * se, (method, err, random_err)
    # auxiliary Y-Z rows must not spoil the X-Z dependence the right table shows on its own
    _, _, aux = _split(fair, on, y, z, seed=0, aux_rows=len(fair) // 20)
    cia = synthkit.stitch(left, right, on=on, method="model", seed=0).frame
    with_aux = synthkit.stitch(left, right, on=on, method="model", auxiliary=aux, seed=0).frame
    assert _cross_error(with_aux, truth, on, z) < _cross_error(cia, truth, on, z) + 2 * se


@pytest.mark.slow  # (10-19 s: run with `pytest -m slow`)
def test_auxiliary_data_beats_conditional_independence(fair):
    """Shared variables that say little about the pair: 5% complete rows carry the Y-Z dependence."""
    on, y, z = ["educ", "religious", "occupation"], ["yrs_married", "rate_marriage"], ["age", "children"]
    left, right, aux = _split(fair, on, y, z, seed=1, aux_rows=len(fair) // 20)
    truth = fair.corr()
    # the Y-Z correlations are learnt from the auxiliary rows: standard error <= 1 / sqrt(n_aux)
    se = 1 / np.sqrt(len(aux))
    for method in ("model", "hotdeck"):
        cia = _cross_error(synthkit.stitch(left, right, on=on, method=method, seed=0).frame, truth, y, z)
        with_aux = synthkit.stitch(left, right, on=on, method=method, auxiliary=aux, seed=0)
        assert with_aux.frame[z].notna().all().all()  # the stacking's missingness is not drawn
        err = _cross_error(with_aux.frame, truth, y, z)
        assert err < cia - 3 * se and err < 2 * se, (method, err, cia)
    assert with_aux.matched_on == on + z
    donated = with_aux.frame[z].to_numpy()
    assert (donated == right[z].loc[with_aux.donors].to_numpy()).all()  # a real donor's values


def test_summary_and_histogram():
    import matplotlib
    matplotlib.use("Agg")
    left = pd.DataFrame({"x": [0.0, 1.0, 2.0]})
    right = pd.DataFrame({"x": [0.0, 1.5, 3.0], "z": [1, 2, 3]})
    res = synthkit.stitch(left, right, on=["x"], k=1, seed=0)
    s = res.summary()
    assert s["count"] == 3 and s["max"] == pytest.approx(res.distances.max())
    ax = res.plot_distances(bins=5)
    assert sum(p.get_height() for p in ax.patches) == 3
    exact = np.mean(res.distances == 0)
    assert f"({exact:.1%} exact matches)" in ax.get_xlabel()
    import matplotlib.pyplot as plt

    plt.close(ax.figure)


def test_cli(tmp_path, capsys):
    from sklearn.datasets import load_wine
    wine = load_wine(as_frame=True).frame
    on = ["alcohol", "malic_acid", "ash"]
    wine[on + ["hue"]].iloc[::2].to_csv(tmp_path / "l.csv", index=False)
    wine[on + ["proline"]].iloc[1::2].to_csv(tmp_path / "r.csv", index=False)
    out, dist = tmp_path / "o.csv", tmp_path / "d.csv"
    rc = main(["stitch", str(tmp_path / "l.csv"), str(tmp_path / "r.csv"), "--on", ",".join(on),
               "-o", str(out), "--seed", "1", "--distances", str(dist), "--no-progress"])
    assert rc == 0
    frame = pd.read_csv(out)
    assert list(frame.columns) == on + ["hue", "proline"] and len(frame) == 89
    assert frame["proline"].isin(wine["proline"].iloc[1::2]).all()
    assert len(pd.read_csv(dist)) == 89
    assert "match distance" in capsys.readouterr().out
    rc = main(["stitch", str(tmp_path / "l.csv"), str(tmp_path / "r.csv"), "--on", "alcohol,nope",
               "-o", str(out)])
    assert rc == 2
    assert "missing from the left table" in capsys.readouterr().err


def test_hotdeck_generates_the_donors_identifiers_and_pii():
    """A donor's record number or e-mail is never given to a recipient (it linked 9 recipients to
    one real person): identifier and PII columns of the right table are generated in their format,
    unique where the real ones were, the same for the same seed."""
    rng = np.random.default_rng(0)
    left = pd.DataFrame({"x": rng.normal(size=500), "y": rng.normal(size=500)})
    right = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200),
                          "person_id": [f"P{i:04d}" for i in range(200)],
                          "email": [f"user{i}@example.com" for i in range(200)]})
    res = synthkit.stitch(left, right, on=["x"], seed=0)
    out = res.frame
    assert not out["person_id"].isin(right["person_id"]).any() and out["person_id"].is_unique
    assert out["person_id"].str.fullmatch(r"P\d{4}").all()
    assert not out["email"].isin(right["email"]).any()
    assert set(res.info["generated"]) == {"person_id", "email"}
    # the other donated values are the donors' own
    np.testing.assert_array_equal(out["z"].to_numpy(), right["z"].to_numpy()[res.donors.to_numpy()])
    assert synthkit.stitch(left, right, on=["x"], seed=0).frame.equals(out)
