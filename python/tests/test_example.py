"""The example runs as a notebook would run it, without a single warning, and the public
API is typed and shows its defaults."""

import inspect
import pathlib
import subprocess
import sys

import numpy as np
import pytest

import spinfer

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "retina.py"


def test_the_retina_example_fits_compares_and_draws_without_warnings(tmp_path):
    assert len(EXAMPLE.read_text().splitlines()) <= 45
    run = subprocess.run(
        [sys.executable, "-W", "error", str(EXAMPLE), "--quick"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "equilibrium: gradient" in run.stdout and "kinetic: newton" in run.stdout
    assert run.stdout.count("converged True") == 2
    # The progress display names its phases.
    assert "preparing" in run.stderr and "learning, iteration" in run.stderr
    for name in ("equilibrium_compare", "kinetic_compare", "equilibrium_learning",
                 "equilibrium_activity", "kinetic_activity", "specific_heat"):  # fmt: skip
        assert (tmp_path / f"{name}.png").stat().st_size > 5_000, name


def test_signatures_show_the_librarys_defaults_as_numbers():
    parameters = inspect.signature(spinfer.fit_ising).parameters
    for name in ("lr", "iters", "tol", "samples", "max_samples", "sweeps", "chains",
                 "burn_in", "target_ratio"):  # fmt: skip
        default = parameters[name].default
        assert isinstance(default, (int, float)) and not isinstance(default, bool), name
    assert parameters["lr"].default == 0.02 and parameters["iters"].default == 1000
    assert parameters["samples"].default == 10_000
    kinetic = inspect.signature(spinfer.fit_kinetic).parameters
    assert kinetic["tol"].default == 1e-5 and kinetic["lr"].default == 1.0
    assert inspect.signature(spinfer.compare).parameters["samples"].default == 500_000


def test_a_default_typed_by_hand_is_taken_as_asked():
    X = spinfer.synthetic_retina(cells=8, repeats=4, bins=200, seed=2)
    # max_samples equal to samples fixes the samples: no growth, even at the default value.
    m = spinfer.fit_ising(X, samples=10_000, max_samples=10_000, iters=20, target_ratio=0)
    assert set(m.history["samples"][1:]) == {10_000.0}


def test_mypy_strict_accepts_a_script_that_fits_samples_and_compares(tmp_path):
    pytest.importorskip("mypy")
    script = tmp_path / "typed.py"
    script.write_text(
        "import numpy as np\n"
        "import spinfer\n"
        "import spinfer.plot\n\n"
        "X = spinfer.synthetic_retina(cells=10, repeats=2, bins=100)\n"
        "ising: spinfer.Model = spinfer.fit_ising(X, progress=False)\n"
        "kinetic = spinfer.fit_kinetic(X)\n"
        "samples: np.ndarray = kinetic.sample(100, seed=2)\n"
        "result = spinfer.compare(ising, X, samples=1000)\n"
        "ratio: float = result['faithfulness']['pairs_ratio']\n"
        "rows = spinfer.fit_kinetic_rows(X, [0, 1])\n"
        "print(rows.h, samples.shape, ratio, spinfer.plot.active_cells(X))\n"
    )
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", str(script)],
        capture_output=True, text=True,
    )  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr


def test_cell_labels_of_dataframes_and_dataarrays_reach_the_model_file_and_compare(tmp_path):
    pd = pytest.importorskip("pandas")
    xr = pytest.importorskip("xarray")
    X = spinfer.synthetic_retina(cells=6, repeats=4, bins=200, seed=3)
    names = [f"cell {i}" for i in range(6)]
    frame = pd.DataFrame(X, columns=names)
    model = spinfer.fit_kinetic(frame)
    assert model.labels == names
    model.save(tmp_path / "k.json")
    assert spinfer.load(tmp_path / "k.json").labels == names
    result = spinfer.compare(model, frame, samples=2_000)
    assert result["labels"] == names
    pairs = next(s for s in result["statistics"] if s["name"] == "pairs")
    assert pairs["cells"].shape == (15, 2) and tuple(pairs["cells"][0]) == (0, 1)
    array = xr.DataArray(X.T, dims=("cell", "time"), coords={"cell": names})
    model = spinfer.fit_ising(array, layout="spins-by-samples", sampler="exact")
    assert model.labels == names
    assert spinfer.fit_ising(np.asarray(X), sampler="exact").labels is None
    with pytest.raises(ValueError, match="labels"):
        spinfer.Model("ising", model.h, model.J, labels=names[:3])
