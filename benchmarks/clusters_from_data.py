"""Archetypes fitted to four real labelled datasets, and data regenerated from them.

For iris, wine (standardised), digits (PCA to 10 components) and Grunfeld's investment
panel (statsmodels; log invest, value, capital; the firm is the label): fit the archetype,
regenerate ``R`` datasets, and print

* the overlap summary (smallest nearest-neighbour, largest and mean pairwise overlap,
  measured on the points the same way on both sides) of the real data and the mean over
  the regenerated ones, with the largest absolute error;
* the adjusted Rand index of KMeans, GaussianMixture (full) and Ward clustering on the
  real data and on the regenerated data (mean over ``R``);
* Spearman's and Kendall's rank correlation between real and regenerated ARIs over the
  twelve (dataset, clusterer) pairs, and per dataset whether the clusterers' order agrees;
* ``synthkit.validate(LabelledData(X, y), regenerated)`` for the first regenerated dataset:
  the cluster rows that fail.

Run: ``python benchmarks/clusters_from_data.py [R]`` (default R = 5).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import pandas as pd
from scipy import stats


def datasets() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    import statsmodels.api as sm
    from sklearn.datasets import load_digits, load_iris, load_wine
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    iris = load_iris()
    wine = load_wine()
    digits = load_digits()
    grun = sm.datasets.grunfeld.load_pandas().data
    return {
        "iris": (iris.data, iris.target),
        "wine (standardised)": (StandardScaler().fit_transform(wine.data), wine.target),
        "digits (PCA 10)": (PCA(10, random_state=0).fit_transform(digits.data), digits.target),
        "grunfeld (log)": (np.log(grun[["invest", "value", "capital"]].to_numpy()),
                           grun["firm"].to_numpy()),
    }


def overlap_summary(ov: np.ndarray) -> np.ndarray:
    k = ov.shape[0]
    iu = np.triu_indices(k, 1)
    off = np.where(np.eye(k, dtype=bool), -np.inf, ov)
    return np.array([off.max(axis=1).min(), ov[iu].max(), ov[iu].mean()])


def main(R: int = 5) -> None:
    import synthkit
    from synthkit.clusters.estimate import LabelledData
    from synthkit.clusters.from_data import fit_archetype
    from synthkit.clusters.overlap import empirical_overlap_matrix
    from synthkit.validation.labelled import CLUSTERERS, clusterer_ari

    ari_rows, ov_rows, verdicts = [], [], []
    for name, (X, y) in datasets().items():
        t0 = time.perf_counter()
        real = LabelledData(X, y)
        fit = fit_archetype(real)
        arch = fit.archetype
        real_ov = overlap_summary(empirical_overlap_matrix(real.X, real.labels))
        real_ari = clusterer_ari(real.X, real.labels, seed=0)
        regen_ov, regen_ari = [], []
        for r in range(R):
            ds = arch.sample(seed=r)
            regen_ov.append(overlap_summary(ds.empirical_overlap("exact")))
            regen_ari.append(clusterer_ari(ds.X, ds.labels, seed=0))
            if r == 0:
                rep = synthkit.validate(real, ds, seed=0)
                failed = [f"{c.statistic} ({c.value:.3g}"
                          + ("" if c.threshold is None else f" vs {c.threshold:.3g}") + ")"
                          for c in rep.checks if c.passed is False]
                verdicts.append((name, sum(c.passed is not None for c in rep.checks), failed))
        regen_ov = np.array(regen_ov)
        mean_ov = regen_ov.mean(0)
        ov_rows.append({"dataset": name, "k": arch.n_clusters, "p": arch.dim, "n": arch.n_samples,
                        "families": ",".join(sorted(set(fit.clusters["family"]))),
                        "real min_nn": real_ov[0], "regen min_nn": mean_ov[0],
                        "real max": real_ov[1], "regen max": mean_ov[1],
                        "real mean": real_ov[2], "regen mean": mean_ov[2],
                        "max |error|": float(np.abs(mean_ov - real_ov).max()),
                        "seconds": time.perf_counter() - t0})
        for c in CLUSTERERS:
            vals = [a[c] for a in regen_ari]
            ari_rows.append({"dataset": name, "clusterer": c, "real ARI": real_ari[c],
                             "regenerated ARI": float(np.mean(vals)),
                             "regenerated sd": float(np.std(vals, ddof=1)) if R > 1 else np.nan})
    pd.set_option("display.width", 200)
    print(f"Overlap summaries on the points (regenerated: mean over {R} datasets)")
    print(pd.DataFrame(ov_rows).to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    ari = pd.DataFrame(ari_rows)
    print("\nAdjusted Rand index of standard clusterers vs the true labels")
    print(ari.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    rho = stats.spearmanr(ari["real ARI"], ari["regenerated ARI"]).statistic
    tau = stats.kendalltau(ari["real ARI"], ari["regenerated ARI"]).statistic
    print(f"\nAcross the {len(ari)} (dataset, clusterer) pairs: Spearman {rho:.3f}, Kendall {tau:.3f}")
    for name, g in ari.groupby("dataset", sort=False):
        t = stats.kendalltau(g["real ARI"], g["regenerated ARI"]).statistic
        best_r = g["clusterer"].iloc[int(np.argmax(g["real ARI"]))]
        best_s = g["clusterer"].iloc[int(np.argmax(g["regenerated ARI"]))]
        print(f"  {name}: Kendall {t:.3f} within the dataset; best clusterer real {best_r}, "
              f"regenerated {best_s}")
    print("\nvalidate(real, regenerated with seed 0): failing cluster rows")
    for name, n_checks, failed in verdicts:
        print(f"  {name}: {len(failed)} of {n_checks} pass/fail rows fail"
              + (f": {', '.join(failed)}" if failed else ""))


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
