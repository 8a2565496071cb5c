"""The example runs: the study in Python on a short synthetic retina."""

import pathlib
import subprocess
import sys

EXAMPLE = pathlib.Path(__file__).resolve().parents[1] / "examples" / "retina.py"


def test_the_retina_example_fits_compares_and_draws(tmp_path):
    assert len(EXAMPLE.read_text().splitlines()) <= 40
    out = subprocess.run(
        [sys.executable, str(EXAMPLE), "--quick"],
        cwd=tmp_path, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert "equilibrium: gradient" in out and "kinetic: newton" in out
    assert out.count("converged True") == 2
    assert (tmp_path / "retina_python.png").stat().st_size > 10_000
