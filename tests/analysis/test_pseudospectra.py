"""epsilon-pseudospectra (nnrnn_edu.analysis.pseudospectra; chapter 4)."""

import numpy as np
import pytest

from nnrnn_edu import analysis as an
from nnrnn_edu import connectivity as cx


def test_pseudospectrum_of_normal_matrix_is_distance_to_spectrum():
    W = cx.random_orthogonal(40, 0.9, seed=0)
    ps = an.pseudospectrum(W, extent=1.2, n_grid=30)
    Z = ps.re[None, :] + 1j * ps.im[:, None]
    lam = np.linalg.eigvals(W)
    dist = np.min(np.abs(Z[..., None] - lam), axis=-1)
    assert ps.sigma.shape == (30, 30)
    assert np.allclose(ps.sigma, dist, atol=1e-12)
    # the Lanczos path agrees too (no normal shortcut)
    lz = an.sigma_min(W, Z[::3, ::3], method="lanczos", tol=1e-10, max_iter=300)
    assert np.allclose(lz, dist[::3, ::3], rtol=1e-5, atol=1e-12)
    # so the eps-pseudospectrum is the union of eps-discs around the eigenvalues
    assert an.pseudospectral_radius(ps, 0.1) <= 0.9 + 0.1 + 1e-12


def test_pseudospectrum_lanczos_matches_svd_on_dense_and_fbchain():
    rng = np.random.default_rng(2)
    z = rng.uniform(-1.2, 1.2, 60) + 1j * rng.uniform(-1.2, 1.2, 60)
    for W in (rng.standard_normal((50, 50)) / np.sqrt(50), cx.chain_with_feedback(50, 0.99, 0.04)):
        ref = an.sigma_min(W, z, method="svd")
        fast = an.sigma_min(W, z)
        assert np.allclose(fast, ref, rtol=1e-3, atol=1e-13)


def test_chain_pseudospectrum_shows_eigenvalues_mislead():
    n = 50
    W = cx.chain(n, 1.0)
    z = np.array([0.3, 0.5j, -0.7, 0.6 + 0.3j])
    s = an.sigma_min(W, z)
    # all eigenvalues are 0, so the distance to the spectrum is |z| ...
    assert np.all(s < 1e-3 * np.abs(z))
    # ... but sigma_min(zI - J) ~ |z|^N (1 - |z|^2): far inside every practical eps-pseudospectrum
    assert np.allclose(s, np.abs(z) ** n * (1 - np.abs(z) ** 2), rtol=0.05)
    assert np.allclose(s, an.sigma_min(W, z, method="svd"), rtol=1e-4, atol=1e-14)
    ps = an.pseudospectrum(W, n_grid=41)
    assert ps.sigma[20, 20] == 0.0  # z = 0 is the eigenvalue
    assert an.pseudospectral_radius(ps, 1e-3) > 0.8 > cx.spectral_radius(W)


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: an.sigma_min(np.eye(3), [np.nan]), "z"),
        (lambda: an.sigma_min(np.eye(3), [0.5], method="qr"), "method"),
        (lambda: an.sigma_min(np.eye(3), [0.5], tol=0.0), "tol"),
        (lambda: an.pseudospectrum(np.eye(3), n_grid=1), "n_grid"),
        (lambda: an.pseudospectrum(np.eye(3), extent=(1, 0, -1, 1)), "extent"),
        (lambda: an.pseudospectrum(np.eye(3), extent=-1.0), "extent"),
        (lambda: an.pseudospectral_radius(an.pseudospectrum(np.eye(2), n_grid=3), 0.0), "eps"),
    ],
)
def test_bad_input_raises_value_error_naming_argument(call, name):
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()


# --------------------------------------------------------------------------- complex input

from _complex_input import FORMS, array_functions, assert_rejects_complex  # noqa: E402

from nnrnn_edu.analysis import pseudospectra  # noqa: E402


def test_complex_cases_cover_every_public_function_that_takes_an_array():
    assert array_functions(pseudospectra) == {"sigma_min", "pseudospectrum"}


@pytest.mark.parametrize("form", FORMS)
def test_complex_matrix_raises_naming_the_argument(form):
    W = cx.chain(4, 0.9)
    an.sigma_min(W, [0.5 + 0.5j])  # the real input works (z is complex by design)
    an.pseudospectrum(W, n_grid=3)
    assert_rejects_complex(lambda: an.sigma_min(FORMS[form](W), [0.5 + 0.5j]), "W")
    assert_rejects_complex(lambda: an.pseudospectrum(FORMS[form](W), n_grid=3), "W")


@pytest.mark.parametrize(
    "call, name",
    [
        (lambda: an.pseudospectrum(np.eye(2), extent=2j), "extent"),
        (lambda: an.pseudospectral_radius(an.pseudospectrum(np.eye(2), n_grid=3), 1e-3j), "eps"),
        (lambda: an.pseudospectrum_explorer_data(alpha=1j, n=5, n_grid=3), "alpha"),
        (lambda: an.pseudospectrum_explorer_data(eps=1e-2j, n=5, n_grid=3), "eps"),
    ],
)
def test_complex_scalars_raise_naming_the_argument(call, name):
    assert_rejects_complex(call, name, "must be")


@pytest.mark.parametrize("name", ["alpha", "beta", "lam"])
@pytest.mark.parametrize("kind", cx.KINDS)
def test_explorer_data_rejects_complex_parameters_even_those_the_kind_ignores(name, kind):
    assert_rejects_complex(lambda: an.pseudospectrum_explorer_data(kind=kind, n=5, n_grid=3, **{name: 0.5j}),
                           name, "must be a finite real number")


# --------------------------------------------------------------------------- fast and accurate (issue 14, item 5)
# sigma_min is computed by inverse iteration on factored zI - W (banded W: all z in one LAPACK call;
# outside W's field of values, shift-invert Lanczos; dense W: the Schur form), once per symmetry class.

from nnrnn_edu.analysis import pseudospectra as ps_mod  # noqa: E402
from nnrnn_edu.analysis import singular_values as sv_mod  # noqa: E402  (sigma_min's solvers and constants)


def _grid(R, n):
    x = ps_mod._axis(-R, R, n)
    return x[None, :] + 1j * x[:, None]


def _matrices(n):
    rng = np.random.default_rng(0)
    Q = cx.random_orthogonal(n, 1.0, seed=0)
    return {
        "chain": cx.chain(n, 1.0),
        "chain with feedback": cx.chain_with_feedback(n, 0.99, 0.04),
        "chain with strong feedback": cx.chain_with_feedback(n, 1.99, 0.99),
        "chain, small gain": cx.chain(n, 0.1),
        "banded (2 below, 3 above)": np.triu(np.tril(rng.standard_normal((n, n)), 3), -2) / 3,
        "lower-triangular band": np.tril(np.triu(rng.standard_normal((n, n)), -2)) / 3,
        "random orthogonal": Q,
        "trained-like (orthogonal + low rank + noise)": Q + np.outer(rng.standard_normal(n), rng.standard_normal(n)) / n
        + 0.05 * rng.standard_normal((n, n)) / np.sqrt(n),
    }


@pytest.mark.parametrize("name", list(_matrices(4)))
def test_sigma_min_matches_the_svd_to_high_relative_accuracy(name):
    # wherever the SVD itself is accurate (its error is ~1e-16 ||zI - W||, so sigma >= 1e-5 ||zI - W||
    # leaves it 1e-11 relative), the two agree to 2e-10 (tol = 1e-10); elsewhere within the SVD's error
    W = _matrices(40)[name]
    Z = _grid(1.2 * max(1.0, np.linalg.norm(W, 2)), 24)
    method = "lanczos" if name == "random orthogonal" else "auto"  # auto: exact distances for normal W
    s = an.sigma_min(W, Z, method=method)
    ref = an.sigma_min(W, Z, method="svd")
    size = np.abs(Z) + np.linalg.norm(W, 2)
    accurate = ref >= 1e-5 * size
    assert np.sum(accurate) > 100
    assert np.max(np.abs(s - ref)[accurate] / ref[accurate]) < 2e-10
    assert np.all(np.abs(s - ref) <= 2e-10 * ref + 1e-14 * size)


def _mp_sigma_min(W, z):
    mp = pytest.importorskip("mpmath")
    with mp.workdps(60):
        A = mp.matrix([[(z if i == j else 0) - W[i, j] for j in range(W.shape[0])] for i in range(W.shape[0])])
        return float(min(mp.svd_c(A, compute_uv=False)))


@pytest.mark.parametrize("kind", ["chain", "fbchain"])
def test_tiny_values_are_relatively_accurate_against_60_digits(kind):
    # the chain's sigma_min ~ |z|^N: down to 1e-26 (chain) and 1e-14 (with feedback) here, where the
    # dense SVD has no correct digit (1e-16 absolute)
    n = 20
    W = cx.memory_network(kind, n, alpha=1.0, beta=0.04)[0]
    z = np.array([0.05 + 0.02j, 0.3 + 0.2j, 0.6j, 0.8 + 0.1j, 1.2 + 0.5j])
    s = an.sigma_min(W, z)
    ref = np.array([_mp_sigma_min(W, zk) for zk in z])
    assert ref.min() < 1e-13 and ref.max() > 0.1
    assert np.max(np.abs(s - ref) / ref) < 1e-11, (s, ref)


def test_each_symmetry_class_is_computed_once(monkeypatch):
    # on the explorer's symmetric grid: the chain 820 classes of 6400 points (rotations), the chain with
    # feedback 1600 (conj z, -z), a dense real matrix 3200 (conj z); the values are exactly symmetric
    seen = []
    original = sv_mod._sigma_min_nonnormal
    monkeypatch.setattr(sv_mod, "_sigma_min_nonnormal", lambda W, z, *a: (seen.append(z.size), original(W, z, *a))[1])
    rng = np.random.default_rng(1)
    for W, classes in ((cx.chain(30, 1.0), 820), (cx.chain_with_feedback(30, 1.0, 0.04), 1600),
                       (cx.chain(30, 0.9) + 0.1 * rng.standard_normal((30, 30)), 3200)):
        seen.clear()
        ps = an.pseudospectrum(W)
        assert seen == [classes]
        assert np.array_equal(ps.sigma, ps.sigma[::-1])  # conj z
    assert np.array_equal(ps.re, -ps.re[::-1]) and np.array_equal(ps.im, -ps.im[::-1])
    assert np.allclose(ps.re, np.linspace(ps.re[0], ps.re[-1], ps.re.size), rtol=0, atol=1e-15)


def test_far_points_by_shift_invert_agree_with_inverse_iteration(monkeypatch):
    # outside the field of values the shifted Lanczos and the plain inverse iteration give the same values
    W = cx.chain_with_feedback(40, 1.0, 0.04)
    z = np.array([1.3 + 0.2j, 0.2 + 1.1j, -1.1 - 0.6j, 1.5j])
    fast = an.sigma_min(W, z)
    monkeypatch.setattr(sv_mod, "_FAR", np.inf)  # every point to inverse iteration and Lanczos
    slow = an.sigma_min(W, z)
    assert np.allclose(fast, slow, rtol=2e-10, atol=0)
    assert np.allclose(fast, an.sigma_min(W, z, method="svd"), rtol=1e-12)


def test_points_below_1e150_are_zero_and_spoil_no_other_point():
    # the chain's sigma_min ~ (|z| / alpha)^N: below 1e-150 near 0 at N = 200, alpha = 2; the stacked
    # solves must not spread an overflow (0 * inf) to other points
    W = cx.chain(200, 2.0)
    Z = _grid(2.3, 30)
    s = an.sigma_min(W, Z)
    est = (np.abs(Z) / 2.0) ** 200  # within a factor of ~2N of sigma_min inside the disc
    assert np.all(s[est < 1e-160] == 0) and np.all(s[est > 1e-140] > 0)
    big = np.flatnonzero(est.ravel() > 1e-3)[::37]  # a dozen points: the SVD at N = 200 is slow
    assert np.allclose(s.ravel()[big], an.sigma_min(W, Z.ravel()[big], method="svd"), rtol=1e-9)
    # beyond the screen (an inverse above ~1e460): isolated solves for all points instead
    z = np.array([1e-3, 1.0 + 0.5j, 2.5])
    s = an.sigma_min(cx.chain(400, 2.0), z)
    assert s[0] == 0 and 1e-102 < s[1] < 1e-100 and np.isclose(s[2], 0.5003007674, rtol=1e-9)


def test_explorer_data_reuses_its_grid_when_only_epsilon_moves(monkeypatch):
    a = an.pseudospectrum_explorer_data(kind="chain", n=20, n_grid=20, eps=1e-2)
    monkeypatch.setattr(ps_mod, "pseudospectrum", lambda *a, **k: pytest.fail("recomputed"))
    b = an.pseudospectrum_explorer_data(kind="chain", n=20, n_grid=20, eps=1e-4, beta=0.3)  # beta: ignored by chains
    assert b.pseudospectrum is a.pseudospectrum and b.eps == 1e-4
    assert b.pseudospectral_radius == an.pseudospectral_radius(a.pseudospectrum, 1e-4)
    assert not a.pseudospectrum.sigma.flags.writeable
    monkeypatch.undo()
    c = an.pseudospectrum_explorer_data(kind="chain", n=20, n_grid=20, alpha=0.5)
    assert c.pseudospectrum is not a.pseudospectrum
