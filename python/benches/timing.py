"""Timings of the Python package against the command, and of the Dask fits, on the
synthetic retina (160 cells x 283,041 bins): the figures of docs/python.md.

    python python/benches/timing.py [path/to/spinfer] [--large]

--large adds the cost of Newton rows at 1,000 cells (8 rows of the 1,000-cell retina,
about a minute more).
"""
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import spinfer
import spinfer.dask
from spinfer._arrays import spins

REPO = pathlib.Path(__file__).resolve().parents[2]
paths = [a for a in sys.argv[1:] if not a.startswith("--")]
binary = paths[0] if paths else str(REPO / "target" / "release" / "spinfer")


def best(f, repeats=3):
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = f()
        times.append(time.perf_counter() - started)
    return min(times), result



def main():
    X = spinfer.synthetic_retina()
    print(f"data: {X.shape[0]} bins x {X.shape[1]} cells, {X.mean():.1%} active")
    for name, given in [("uint8 0/1", X), ("float64 ±1", np.where(X > 0, 1.0, -1.0)), ("bool", X > 0)]:
        t, _ = best(lambda: spins(given))
        print(f"checking and converting {name}: {t:.3f} s")
    with tempfile.TemporaryDirectory() as d:
        data = pathlib.Path(d) / "r.txt"
        np.savetxt(data, X.T, fmt="%d")
        command = [binary, "fit", "kinetic", str(data), "--repeat-bins", "953", "--quiet",
                   "--out", str(pathlib.Path(d) / "k.json")]  # fmt: skip
        # Alternating runs, so that both see the same load on a shared machine.
        ours, theirs = [], []
        for _ in range(5):
            t, model = best(lambda: spinfer.fit_kinetic(X, repeat_bins=953), 1)
            ours.append(t)
            t, _ = best(lambda: subprocess.run(command, check=True, capture_output=True), 1)
            theirs.append(t)
    py, cmd = statistics.median(ours), statistics.median(theirs)
    print(f"fit_kinetic from Python: median {py:.2f} s of 5 ({model.metrics['input_seconds']:.3f} s of it packing the array into bits and building the transitions)")
    print(f"spinfer fit kinetic, reading the text included: median {cmd:.2f} s of 5; Python / command = {py / cmd:.2f}")

    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster, Client(cluster) as client:
        t_scatter, _ = best(lambda: client.scatter(X, broadcast=True))
        print(f"Dask: sending the raster ({X.nbytes / 1e6:.0f} MB) to both workers: {t_scatter:.2f} s")
        t_newton, _ = best(lambda: spinfer.fit_kinetic(X, solver="newton", repeat_bins=953))
        t_dask, _ = best(lambda: spinfer.dask.fit_kinetic(X, client, repeat_bins=953))
        print(f"kinetic, one process (Newton): {t_newton:.2f} s; on 2 local workers: {t_dask:.2f} s")
        sample = X[:100_000]
        t_one, a = best(lambda: spinfer.fit_ising(sample, target_ratio=0, iters=50, max_samples=10_000), 1)
        t_two, b = best(lambda: spinfer.dask.fit_ising(sample, client, target_ratio=0, iters=50, max_samples=10_000), 1)
        print(f"Boltzmann learning, 50 iterations of 10,000 samples: one process {t_one:.2f} s, 2 local workers {t_two:.2f} s ({(t_two - t_one) / 50 * 1e3:.0f} ms more per iteration)")

    if "--large" in sys.argv:
        big = spinfer.synthetic_retina(cells=1000)
        rows = list(range(0, 1000, 125))
        t, part = best(lambda: spinfer.fit_kinetic_rows(big, rows, repeat_bins=953), 1)
        solver = part.metrics["seconds"]
        print(f"1,000 cells: {len(rows)} Newton rows in {t:.1f} s wall ({solver:.1f} s in the solver, 2 cores): {2 * solver / len(rows):.1f} core-s per row")


if __name__ == "__main__":
    main()
