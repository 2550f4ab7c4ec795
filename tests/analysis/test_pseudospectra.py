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
