"""Surrogate pair separations: a cheap lower bound of the exact minimax separation.

For the pair direction ``a = delta`` the linear rule's separation is
``q_s = |delta|^2 / (sqrt(delta' S_i delta) + sqrt(delta' S_j delta))``, a lower bound of
the exact Anderson–Bahadur ``q*`` (so its overlap ``2 Phi(-q_s)`` bounds the exact overlap
from above), with the analytic gradient used by the center placement
(:mod:`synthkit.clusters.centers`) and the screening of the overlap control
(:mod:`synthkit.clusters.overlap_control`).
"""

from __future__ import annotations

import numpy as np

from .overlap import overlap_to_q

__all__ = ["PairSurrogate"]

_TINY = 1e-300


class PairSurrogate:
    """Vectorised surrogate separations ``q_s`` and penalty over a set of pairs.

    Parameters
    ----------
    factors : ndarray (k, p, p)
        ``A_i`` with covariance ``A_i A_i'``.
    I, J : int arrays (P,)
        The pairs (``I < J`` not required).
    """

    def __init__(self, factors: np.ndarray, I: np.ndarray, J: np.ndarray):
        self.A = factors
        self.At = np.swapaxes(factors, -1, -2)
        k = factors.shape[0]
        self.k = k
        I = np.asarray(I, dtype=int)
        J = np.asarray(J, dtype=int)
        self.I, self.J = I, J
        P = I.size
        self.P = P
        src = np.concatenate([I, J])
        dst = np.concatenate([J, I])
        pid = np.concatenate([np.arange(P), np.arange(P)])
        fwd = np.concatenate([np.ones(P, bool), np.zeros(P, bool)])
        order = np.lexsort((dst, src))
        src, dst, pid, fwd = src[order], dst[order], pid[order], fwd[order]
        counts = np.bincount(src, minlength=k)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        slot = np.arange(src.size) - starts[src]
        dmax = max(int(counts.max()) if P else 1, 1)
        T = np.tile(np.arange(k)[:, None], (1, dmax))
        T[src, slot] = dst
        valid = np.zeros((k, dmax), bool)
        valid[src, slot] = True
        self.T, self.valid = T, valid
        self.fr = np.empty(P, int)
        self.fs = np.empty(P, int)
        self.rr = np.empty(P, int)
        self.rs = np.empty(P, int)
        self.fr[pid[fwd]], self.fs[pid[fwd]] = src[fwd], slot[fwd]
        self.rr[pid[~fwd]], self.rs[pid[~fwd]] = src[~fwd], slot[~fwd]

    def _parts(self, M: np.ndarray, grad: bool):
        D = M[self.T] - M[:, None, :]  # (k, dmax, p): mu_dst - mu_src
        Y = D @ self.A  # rows (A_src' delta)'
        sig = np.sqrt(np.einsum("kdp,kdp->kd", Y, Y))
        d = D[self.fr, self.fs]
        si = np.maximum(sig[self.fr, self.fs], _TINY)
        sj = np.maximum(sig[self.rr, self.rs], _TINY)
        N = np.einsum("pk,pk->p", d, d)
        S = si + sj
        q = N / S
        if not grad:
            return q, None
        Z = Y @ self.At  # rows (S_src delta)'
        Zi = Z[self.fr, self.fs]
        Zj = -Z[self.rr, self.rs]
        dq = 2.0 * d / S[:, None] - (N / S**2)[:, None] * (Zi / si[:, None] + Zj / sj[:, None])
        return q, dq

    def q(self, M: np.ndarray) -> np.ndarray:
        """Surrogate separation of every pair, shape (P,), in row blocks of bounded memory."""
        k, dmax = self.T.shape
        p = M.shape[1]
        sig = np.empty((k, dmax))
        sq = np.empty((k, dmax))
        rows = max(1, int(2**25 // (8 * dmax * max(p, 1))))  # ~32 MB per block
        for r0 in range(0, k, rows):
            r1 = min(r0 + rows, k)
            D = M[self.T[r0:r1]] - M[r0:r1, None, :]
            Y = D @ self.A[r0:r1]
            sig[r0:r1] = np.sqrt(np.einsum("kdp,kdp->kd", Y, Y))
            sq[r0:r1] = np.einsum("kdp,kdp->kd", D, D)
        si = np.maximum(sig[self.fr, self.fs], _TINY)
        sj = np.maximum(sig[self.rr, self.rs], _TINY)
        return sq[self.fr, self.fs] / (si + sj)

    def q_and_grad(self, M: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``q_s`` (P,) and ``dq_s/d delta`` (P, p) with ``delta = mu_J - mu_I``."""
        return self._parts(M, grad=True)

    def penalty(self, M, rho, H, L, tau=0.02, w_min=1.0):
        """Penalty value and gradient (k, p) for per-pair ``rho``, ``H`` and ``L`` (P,)."""
        q, dq = self._parts(M, grad=True)
        qh = rho * q
        x = np.maximum(1.0 - qh / H, 0.0)
        f = float(np.sum(x * x))
        dqh = -2.0 * x / H
        r = qh / L - 1.0
        R = np.full(self.valid.shape, np.inf)
        R[self.fr, self.fs] = r
        R[self.rr, self.rs] = r
        has = self.valid.any(1)
        rmin = np.where(has, R.min(1), 0.0)
        W = np.exp(-np.where(self.valid, R - rmin[:, None], np.inf) / tau)  # 0 off the set
        Ssum = np.where(has, W.sum(1), 1.0)
        sm = rmin - tau * np.log(Ssum)
        y = np.where(has, np.maximum(sm, 0.0), 0.0)
        f += w_min * float(np.sum(y * y))
        dR = (2.0 * w_min * y / Ssum)[:, None] * W
        dqh += (dR[self.fr, self.fs] + dR[self.rr, self.rs]) / L
        g = (dqh * rho)[:, None] * dq
        G = np.zeros(self.valid.shape + (M.shape[1],))
        G[self.fr, self.fs] = -g
        G[self.rr, self.rs] = g
        return f, G.sum(1)


def _tail_quantile(ref: np.ndarray | None, e: float) -> float:
    """Worst one-sided standardised quantile of a family at level ``e`` (1-D projection).

    The larger of the coordinates' tail quantile and the normal one: a projection of iid
    coordinates mixes them towards the normal law, so a light-tailed family (uniform) has
    projections with heavier tails than its coordinates, a heavy-tailed one the reverse.
    """
    normal = float(overlap_to_q(2 * e))
    if ref is None:
        return normal
    flat = ref.ravel()
    lo, hi = np.quantile(flat, [e, 1 - e])
    return float(max(hi, -lo, normal))
