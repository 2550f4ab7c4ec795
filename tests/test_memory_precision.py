"""Fisher memory against high-precision references computed here with mpmath (issue 15).

The references never use double precision: the noise covariance C and the signal
covariance S_v solve ``X = W X W^T + Q`` exactly in 60-digit arithmetic (an entry-wise
recursion for bidiagonal W, doubling to below 1e-60 otherwise), then C is
Cholesky-factored and J(k) = ||L^-1 W^k v||^2, J_tot = trace(L^-1 S_v L^-T) at 60 digits.
Cases include networks whose C is beyond double precision (cond(C) up to ~1e23), which the
library refused before the square-root formulation.
"""

import mpmath as mp
import numpy as np
import pytest

from nnrnn_edu import connectivity as cx
from nnrnn_edu.memory import curve_and_total, fisher_memory_curve, total_fisher_memory

DPS = 60


def _mp(A):
    return mp.matrix([[mp.mpf(float(x)) for x in row] for row in np.atleast_2d(A)])


def _stein_bidiagonal(diag, sub, Q):
    """X = W X W^T + Q for lower-bidiagonal W (diagonal ``diag``, W[i, i-1] = sub[i-1]), exactly."""
    n = len(diag)
    d = [mp.mpf(float(x)) for x in diag]
    a = [mp.mpf(0)] + [mp.mpf(float(x)) for x in sub]
    X = [[None] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            s = mp.mpf(Q[i, j])
            if i > 0 and j > 0:
                s += a[i] * a[j] * X[i - 1][j - 1]
            if i > 0:
                s += a[i] * d[j] * (X[i - 1][j] if j <= i - 1 else X[j][i - 1])
            if j > 0:
                s += d[i] * a[j] * X[i][j - 1]
            X[i][j] = X[j][i] = s / (1 - d[i] * d[j])
    return mp.matrix(X)


def _stein_doubling(W, Q):
    """X = sum_k W^k Q W^kT by doubling in high precision (W stable)."""
    P, X = _mp(W), Q
    for _ in range(60):
        X = X + P * X * P.T
        if mp.mnorm(P, "F") < mp.mpf(10) ** (-DPS // 2 - 2):  # next term below 1e-64 relative
            return X
        P = P * P
    raise AssertionError("reference doubling did not converge")


def _forward(L, u):
    n = L.rows
    y = [mp.mpf(0)] * n
    for i in range(n):
        y[i] = (u[i] - mp.fsum(L[i, p] * y[p] for p in range(i))) / L[i, i]
    return y


def reference(W, v, k_max):
    """(J(k) for k < k_max, J_tot) of ``W``, ``v`` at 60 digits."""
    mp.mp.dps = DPS
    n = W.shape[0]
    vv = [mp.mpf(float(x)) for x in v]
    I = mp.eye(n)
    Sq = mp.matrix([[vv[i] * vv[j] for j in range(n)] for i in range(n)])
    if np.array_equal(np.diag(np.diag(W)) + np.diag(np.diag(W, -1), -1), W):
        C = _stein_bidiagonal(np.diag(W), np.diag(W, -1), I)
        S = _stein_bidiagonal(np.diag(W), np.diag(W, -1), Sq)
    else:
        C, S = _stein_doubling(W, I), _stein_doubling(W, Sq)
    L = mp.cholesky(C)
    Wm = _mp(W)
    u = mp.matrix(vv)
    J = []
    for _ in range(k_max):
        J.append(mp.fsum(y * y for y in _forward(L, u)))
        u = Wm * u
    X = [_forward(L, S.column(j)) for j in range(n)]  # columns of L^-1 S
    tot = mp.fsum(_forward(L, [X[j][i] for j in range(n)])[i] for i in range(n))  # trace(L^-1 (L^-1 S)^T)
    cond = mp.mnorm(C, 1) * mp.mnorm(mp.inverse(C), 1) if n <= 40 else None
    return np.array([float(x) for x in J]), float(tot), cond


def _e1(n):
    v = np.zeros(n)
    v[0] = 1.0
    return v


def _bidiagonal(n, d, alpha):
    return d * np.eye(n) + np.diag(np.full(n - 1, alpha), -1)


def _dense_nonnormal(n, seed):
    # a random stable matrix made strongly non-normal by a similarity with a graded diagonal
    rng = np.random.default_rng(seed)
    A = 0.6 * rng.standard_normal((n, n)) / np.sqrt(n)
    D = np.diag(np.logspace(0, 3, n))
    W = D @ A @ np.linalg.inv(D)
    v = rng.standard_normal(n)
    return W, v / np.linalg.norm(v)


CASES = {
    "chain 1.05": (lambda: (cx.chain(40, 1.05), _e1(40)), 60),
    "chain 2.0": (lambda: (cx.chain(30, 2.0), _e1(30)), 40),
    "fbchain 0.99/0.04": (lambda: cx.memory_network("fbchain", 24, alpha=0.99, beta=0.04), 60),
    "fbchain 1.5/0.1": (lambda: cx.memory_network("fbchain", 24, alpha=1.5, beta=0.1), 60),
    "fbchain 2.0/0.1 (cond 2e24)": (lambda: cx.memory_network("fbchain", 30, alpha=2.0, beta=0.1), 60),
    "d=0.2 alpha=1.05": (lambda: (_bidiagonal(60, 0.2, 1.05), _e1(60)), 60),
    "d=0.2 alpha=1.0": (lambda: (_bidiagonal(60, 0.2, 1.0), _e1(60)), 60),
    "d=0.2 alpha=0.95": (lambda: (_bidiagonal(60, 0.2, 0.95), _e1(60)), 60),
    "dense non-normal": (lambda: _dense_nonnormal(20, 3), 40),
}


@pytest.mark.parametrize("name", list(CASES))
def test_curve_and_total_match_60_digit_reference(name):
    make, k_max = CASES[name]
    W, v = make()
    J_ref, tot_ref, _ = reference(W, v, k_max)
    J = fisher_memory_curve(W, v, k_max)
    nz = J_ref > 0
    assert np.all(J[~nz] == 0)
    np.testing.assert_allclose(J[nz], J_ref[nz], rtol=1e-8, atol=0)
    assert total_fisher_memory(W, v) == pytest.approx(tot_ref, rel=1e-8)
    J2, tot2 = curve_and_total(W, v, k_max)
    np.testing.assert_allclose(J2[nz], J_ref[nz], rtol=1e-8, atol=0)
    assert tot2 == pytest.approx(tot_ref, rel=1e-8)


def test_reference_cases_include_covariances_beyond_double_precision():
    # the point of the square-root formulation: cond(C) far beyond 1/eps, yet 1e-8 above
    W, v = _bidiagonal(40, 0.2, 1.05), _e1(40)
    _, _, cond = reference(W, v, 1)
    assert cond > 1e9
    W, v = cx.memory_network("fbchain", 30, alpha=2.0, beta=0.1)
    _, _, cond = reference(W, v, 1)
    assert cond > 1e20


@pytest.mark.slow
@pytest.mark.parametrize("alpha", [1.05, 1.0, 0.95])
def test_kerg_et_al_networks_at_n_100(alpha):
    # W = 0.2 I + alpha (sub-diagonal), N = 100, v = e_1: the double-precision C (cond 1e15 to 1e23)
    # was refused or wrong in the sixth digit; the factor gives J_tot to 1e-8 and J(k), k < N, to 1e-8
    n = 100
    W, v = _bidiagonal(n, 0.2, alpha), _e1(n)
    J_ref, tot_ref, _ = reference(W, v, n)
    J, tot = curve_and_total(W, v, n)
    assert tot == pytest.approx(tot_ref, rel=1e-8)
    np.testing.assert_allclose(J, J_ref, rtol=1e-8 if alpha < 1.05 else 2e-7)
