"""Bad input is a ValueError naming the problem; every accepted encoding and layout is the
same data."""

import numpy as np
import pytest

import spinfer


@pytest.mark.parametrize(
    "X, words",
    [
        ([[0, 1, 0], [1, 0]], "ragged"),
        ([[0, 1], [1, "a"]], "dtype"),
        (np.array([[0.0, 1.0], [np.nan, 0.0]]), "X[1, 0] is NaN"),
        (np.array([[0, 1], [2, 0]]), "X[1, 0] = 2"),
        (np.array([[0.0, 0.5]]), "X[0, 1] = 0.5"),
        (np.array([[0, 1], [-1, 1]]), "mixes 0"),
        (np.array([0, 1, 1]), "2-D"),
        (np.zeros((2, 2, 2)), "2-D"),
        (np.zeros((0, 3)), "empty"),
        (np.array([[1 + 0j, 0]]), "dtype complex"),
        (np.array([["0", "1"]]), "dtype <U1"),
    ],
)
def test_bad_data_is_a_value_error_naming_the_problem(X, words):
    for fit in (spinfer.fit_kinetic, spinfer.fit_ising):
        with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
            fit(X)


def test_bad_settings_carry_the_commands_message():
    X = np.random.default_rng(1).random((200, 4)) < 0.3
    with pytest.raises(ValueError, match='invalid setting sampler = "magic"'):
        spinfer.fit_ising(X, sampler="magic")
    with pytest.raises(ValueError, match="invalid setting lr"):
        spinfer.fit_kinetic(X, solver="gradient", lr=-1.0)
    with pytest.raises(ValueError, match="symmetric"):
        spinfer.fit_kinetic(X, symmetric=True, solver="newton")
    with pytest.raises(ValueError, match="layout"):
        spinfer.fit_kinetic(X, layout="columns")
    with pytest.raises(ValueError, match="row 4 does not exist"):
        spinfer.fit_kinetic_rows(X, [0, 4])


def test_every_encoding_and_layout_is_the_same_data():
    up = np.random.default_rng(2).random((3000, 6)) < 0.2
    reference = spinfer.fit_kinetic(up)
    for X, layout in [
        (up.astype(np.uint8), "samples-by-spins"),
        (up.astype(np.int64), "samples-by-spins"),
        (up.astype(np.float32), "samples-by-spins"),
        (np.where(up, 1, -1).astype(np.int8), "samples-by-spins"),
        (np.where(up, 1.0, -1.0), "samples-by-spins"),
        (up.T.copy(), "spins-by-samples"),
        (np.asfortranarray(up), "samples-by-spins"),
        (up.tolist(), "samples-by-spins"),
    ]:
        got = spinfer.fit_kinetic(X, layout=layout)
        assert np.array_equal(got.h, reference.h) and np.array_equal(got.J, reference.J)


def test_models_are_checked_like_model_files():
    with pytest.raises(ValueError, match="symmetric"):
        spinfer.Model("ising", np.zeros(3), np.triu(np.ones((3, 3)), 1)).sample(5)
    with pytest.raises(ValueError, match="J must be 3 × 3"):
        spinfer.Model("kinetic", np.zeros(3), np.zeros((3, 2)))
    with pytest.raises(ValueError, match="non-finite"):
        spinfer.Model("kinetic", [0.0, np.inf], np.zeros((2, 2)))
    with pytest.raises(ValueError, match="kind"):
        spinfer.Model("potts", np.zeros(2), np.zeros((2, 2)))


def test_numbers_are_checked_for_what_they_are_with_the_keyword_named():
    X = np.zeros((50, 3), dtype=np.uint8)
    X[::2, 0] = 1
    X[::3, 1] = 1
    X[::5, 2] = 1
    cases = [
        (dict(iters=-5), ValueError, "iters"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(seed=2**70), ValueError, "seed"),
        (dict(lr="0.1"), TypeError, "lr"),
        (dict(iters=True), TypeError, "iters"),
        (dict(samples=2.5), TypeError, "samples"),
        (dict(max_samples=0), ValueError, "max_samples"),
    ]
    for kwargs, error, name in cases:
        with pytest.raises(error, match=name):
            spinfer.fit_ising(X, **kwargs)
    model = spinfer.Model("ising", np.zeros(3), np.zeros((3, 3)))
    for n, error in ((-1, ValueError), (2.5, TypeError), (True, TypeError)):
        with pytest.raises(error, match="^n must"):
            model.sample(n)
    with pytest.raises(ValueError, match="repeat_bins"):
        spinfer.fit_kinetic(np.zeros((30, 3), dtype=np.uint8), repeat_bins=7)


def test_ill_posed_fits_warn():
    rng = np.random.default_rng(1)
    few = (rng.random((20, 40)) < 0.3).astype(np.uint8)
    with pytest.warns(spinfer.FitWarning, match="fewer samples than spins"):
        spinfer.fit_ising(few, method="pseudo-likelihood", l2=0.01)
    silent = np.zeros((200, 4), dtype=np.uint8)
    with pytest.warns(spinfer.FitWarning, match="every cell is constant"):
        spinfer.fit_ising(silent, iters=20)
