"""Build and execute notebooks/08_structured.ipynb (run: python notebooks/make_08_structured.py)."""

from build import build_notebook

cells = [
    ("md", """# 08 · Structured data: low-rank matrices and tensors with a known number of patterns

`synthkit.structured` draws matrices and tensors whose hidden structure is a parameter:

* `low_rank_matrix(shape, rank, singular_values=..., noise=σ)`: `X = U diag(s) V' + σ E`, with `U`, `V`
  Haar-random orthonormal and `E` iid N(0, 1);
* `low_rank_tensor(shape, rank, kind="cp" | "tucker", factor_structure=..., noise=σ)`: a sum of `rank`
  rank-one terms (CP) or a core times one factor per mode (Tucker), with Gaussian, nonnegative, sparse
  or collinear factors;
* `validate_structure(result)`: singular values of every unfolding, a rank estimate by the noise edge
  (Johnstone's Tracy–Widom 99% point above the Marchenko–Pastur edge `σ(√m + √n)`), and with
  tensorly the relative fit error per rank and the factor match score (FMS) at the true rank.

Below: how often the rank is found as the signal weakens, the fit-error-vs-rank curve, and how
collinear factors make CP harder. `SYNTHKIT_FAST=1` uses fewer repetitions (the test suite runs this
notebook that way)."""),
    ("code", """import os
import time

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from synthkit.structured import (factor_match_score, estimate_rank, low_rank_matrix, low_rank_tensor,
                                 validate_structure)

threadpool_limits(1)  # small arrays: one BLAS thread
FAST = os.environ.get("SYNTHKIT_FAST") == "1"
REPS = 6 if FAST else 40  # matrices per point of the accuracy curves
TENSOR_REPS = 2 if FAST else 6  # tensors per point of the FMS curve
START = time.perf_counter()
pd.set_option("display.width", 140)"""),
    ("md", """## 1. Matrices: is the rank found?

A singular value `s` of the signal stands out of the noise only when `s > σ (m n)^{1/4}` (the
phase transition of the spiked model, Benaych-Georges & Nadakuditi 2012); below it, no method sees
it from the singular values. Here the smallest of `rank` singular values (spread from 2× down to
1× the smallest) is set to a multiple of that threshold, and the rank rule is applied with the
noise known and with the noise estimated from the median singular value (Gavish & Donoho 2014)."""),
    ("code", """m, n, sigma = 120, 80, 1.0
threshold = sigma * (m * n) ** 0.25
strengths = np.round(np.geomspace(0.5, 4.0, 10), 2)
rows = []
for rank in (1, 3, 8):
    for strength in strengths:
        for rep in range(REPS):
            s = strength * threshold * np.linspace(2.0, 1.0, rank)
            res = low_rank_matrix((m, n), rank, singular_values=s, noise=sigma,
                                  seed=rank * 100_000 + int(100 * strength) * 100 + rep)
            rows.append({"rank": rank, "strength": strength,
                         "known noise": estimate_rank(res.data, noise=sigma)["rank"] == rank,
                         "estimated noise": estimate_rank(res.data)["rank"] == rank})
acc = pd.DataFrame(rows).groupby(["rank", "strength"])[["known noise", "estimated noise"]].mean()

fig, axes = plt.subplots(1, 2, figsize=(11, 4), sharey=True)
for ax, col in zip(axes, ["known noise", "estimated noise"]):
    for rank, part in acc[col].groupby(level="rank"):
        ax.plot(part.index.get_level_values("strength"), part.to_numpy(), marker="o", label=f"rank {rank}")
    ax.axvline(1.0, color="grey", ls="--", lw=1, label="detection threshold σ(mn)^¼")
    ax.set_xscale("log")
    ax.set_xticks([0.5, 1, 2, 4], ["0.5", "1", "2", "4"])
    ax.set_xlabel("smallest signal singular value / σ(mn)^¼")
    ax.set_title(f"{m} x {n} matrices, {col}")
axes[0].set_ylabel(f"share of {REPS} matrices with the rank found")
axes[0].legend()
fig.tight_layout()
acc.unstack("rank").round(2)"""),
    ("md", """## 2. Matrices: how many patterns fit under a fixed noise level?

With the default scaling (the signal's mean square entry is 1, so the per-entry SNR is `1/σ²`) and
equal singular values, each of `rank` patterns gets `s = √(mn / rank)`. Section 1 found the rank
reliably once the smallest pattern is twice the threshold, `s ≥ 2σ(mn)^{1/4}`, i.e. for
`rank ≤ √(mn) / (4σ²)` (dashed lines). The asymptotic limit `s = σ(mn)^{1/4}` (`rank = √(mn) / σ²`)
holds for a few patterns in large matrices; many equal patterns in a 120 × 80 matrix push each
other down and are lost earlier."""),
    ("code", """ranks = [1, 2, 4, 8, 16, 32, 48]
rows = []
for sigma in (1.0, 2.0, 3.0):
    for rank in ranks:
        for rep in range(REPS // 2 or 1):
            res = low_rank_matrix((m, n), rank, singular_values="equal", noise=sigma, seed=rep * 997 + rank)
            found = estimate_rank(res.data, noise=sigma)["rank"]
            rows.append({"sigma": sigma, "rank": rank, "found": found == rank, "estimate": found})
by_rank = pd.DataFrame(rows).groupby(["sigma", "rank"])[["found", "estimate"]].mean()

fig, ax = plt.subplots(figsize=(7, 4))
for (sigma, part), color in zip(by_rank["found"].groupby(level="sigma"), ["C0", "C1", "C2"]):
    ax.plot(part.index.get_level_values("rank"), part.to_numpy(), marker="o", color=color,
            label=f"σ = {sigma:g} (SNR {1 / sigma**2:.2g})")
    ax.axvline(np.sqrt(m * n) / (4 * sigma**2), color=color, ls="--", lw=1)
ax.set_xscale("log", base=2)
ax.set_xlabel("rank (equal singular values, unit mean-square signal)")
ax.set_ylabel("share with the rank found")
ax.set_xticks(ranks, [str(r) for r in ranks])
ax.set_title(f"{m} x {n}: rank found vs rank; dashed: √(mn)/(4σ²)")
ax.legend()
by_rank.unstack("sigma").round(2)"""),
    ("md", """## 3. Tensors: multilinear rank from the unfoldings

For a CP tensor of rank `R` every mode-n unfolding has rank `min(R, I_n)`; the rank rule on each
unfolding gives the multilinear rank (a lower bound of the CP rank). Shape 20 × 20 × 20, rank 4,
equal weights, unit mean-square signal, noise σ growing."""),
    ("code", """rows = []
for sigma in [0.5, 1.0, 2.0, 3.0, 4.0, 6.0]:
    for rep in range(REPS // 2 or 1):
        res = low_rank_tensor((20, 20, 20), 4, noise=sigma, seed=rep * 31 + int(10 * sigma))
        rep_ = validate_structure(res, decompose=False)
        rows.append({"sigma": sigma, "all modes right": rep_.estimated_rank == (4, 4, 4),
                     "estimated noise (mode 0)": rep_.modes["noise"].iloc[0]})
tens = pd.DataFrame(rows).groupby("sigma").mean()
tens"""),
    ("md", """## 4. Fit error against the number of components

`validate_structure` fits CP (tensorly `parafac`) or Tucker (`tucker`) models of rank 1 … R+2 and
reports `||X − X̂|| / ||X||`. The curve drops until the true rank, then flattens at the noise level
(`σ / √(1 + σ²)` for a unit mean-square signal)."""),
    ("code", """sigma = 0.2
cp = validate_structure(low_rank_tensor((20, 20, 20), 4, noise=sigma, seed=1), seed=0)
tk = validate_structure(low_rank_tensor((20, 20, 20), (2, 3, 4), kind="tucker", noise=sigma, seed=1), seed=0)
mx = validate_structure(low_rank_matrix((120, 80), 4, noise=sigma, seed=1))
fig, ax = plt.subplots(figsize=(7, 4))
if cp.fit is not None:  # the CP / Tucker fits need tensorly (pip install "synthkit[tensor]")
    ax.plot(cp.fit["rank"], cp.fit["relative_error"], marker="o", label="CP tensor, rank 4 (parafac)")
    ax.plot(tk.fit["rank"], tk.fit["relative_error"], marker="s",
            label="Tucker tensor, ranks (2, 3, 4) (tucker at (r, r, r))")
else:
    print(*cp.notes)
ax.plot(mx.fit["rank"], mx.fit["relative_error"], marker="^", label="matrix, rank 4 (truncated SVD)")
ax.axhline(sigma / np.sqrt(1 + sigma**2), color="grey", ls="--", lw=1, label="noise level σ/√(1+σ²)")
ax.set_xlabel("rank of the fit")
ax.set_ylabel("relative fit error")
ax.set_title(f"Fit error vs rank (noise σ = {sigma})")
ax.legend()
if cp.fit is not None:
    print("CP FMS at the true rank:", round(cp.factor_match, 4))
(cp if cp.fit is not None else mx).fit.round(4)"""),
    ("md", """## 5. Collinear factors: the hard case for CP

`factor_structure="collinear"` makes every pair of columns of a mode have cosine `c` (so two
components have congruence `c³` in a 3-way tensor). CP alternating least squares then needs many
iterations and may stop on a wrong, "swamp" solution. FMS at the true rank (1 = all factors
recovered) for SVD and random initialisation, 15 × 15 × 15, rank 3, noise σ = 0.3. A random start
can also stop on a poor solution when the factors are not collinear; the SVD start is the
default of `parafac` and of `validate_structure`."""),
    ("code", """import importlib.util

rows = []
if importlib.util.find_spec("tensorly") is None:
    print('this section needs tensorly: pip install "synthkit[tensor]"')
    COLLINEARITY = []
else:
    from tensorly.decomposition import parafac

    COLLINEARITY = [0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99]
for c in COLLINEARITY:
    for rep in range(TENSOR_REPS):
        res = low_rank_tensor((15, 15, 15), 3, factor_structure="collinear", collinearity=c, noise=0.3,
                              seed=rep * 101 + int(100 * c))
        for init in ("svd", "random"):
            fit = parafac(res.data, 3, init=init, n_iter_max=300, tol=1e-9, random_state=rep)
            rows.append({"collinearity": c, "init": init,
                         "FMS": factor_match_score(list(res.factors), list(fit.factors))})
if rows:
    fms = pd.DataFrame(rows).groupby(["collinearity", "init"])["FMS"].mean().unstack("init")
    fig, ax = plt.subplots(figsize=(7, 4))
    for init, marker in (("svd", "o"), ("random", "s")):
        ax.plot(fms.index, fms[init], marker=marker, label=f"parafac, init={init!r}")
    ax.set_xlabel("collinearity c (cosine between the factor columns of a mode)")
    ax.set_ylabel(f"factor match score (mean of {TENSOR_REPS})")
    ax.set_ylim(0, 1.02)
    ax.set_title("CP recovery vs collinearity (15×15×15, rank 3, σ = 0.3)")
    ax.legend()
    display(fms.round(3))"""),
    ("code", """print(f"notebook ran in {time.perf_counter() - START:.1f} s")"""),
]

if __name__ == "__main__":
    build_notebook(cells, "08_structured.ipynb")
