"""The study in Python, cell by cell as in a notebook: a recording (the synthetic retina,
or a data file of the command given as argument), both model families fitted with the
defaults and a progress display, judged against the data from fresh samples, and the
figures of spinfer.plot saved as PNG files.

    python python/examples/retina.py [DATA.txt[.gz]] [--quick]
"""
import sys

import matplotlib

matplotlib.use("Agg")  # files only; in a notebook the figures show inline

import spinfer  # noqa: E402
import spinfer.plot  # noqa: E402

files = [a for a in sys.argv[1:] if a != "--quick"]
quick = "--quick" in sys.argv
X = spinfer.read_raster(files[0]) if files else spinfer.synthetic_retina(repeats=30 if quick else 297)
repeat_bins = None if files else 953
print(f"{X.shape[0]} bins x {X.shape[1]} cells, {X.mean():.1%} active per bin")

ising = spinfer.fit_ising(X, progress=True)
kinetic = spinfer.fit_kinetic(X, repeat_bins=repeat_bins, progress=True)
samples = 20_000 if quick else 200_000
for name, model in (("equilibrium", ising), ("kinetic", kinetic)):
    m = model.metrics
    print(f"{name}: {m['solver']}, {m['iterations']} iterations, converged {model.converged}")
    result = spinfer.compare(model, X, samples=samples, repeat_bins=repeat_bins)
    f = result["faithfulness"]
    print(f"  split-half ratios: means {f['means_ratio']:.2f}, pairs {f['pairs_ratio']:.2f}")
    spinfer.plot.comparison(result).savefig(f"{name}_compare.png", dpi=80)
    spinfer.plot.learning_curve(model).savefig(f"{name}_learning.png", dpi=80)
    spinfer.plot.activity(model, X, samples=samples).savefig(f"{name}_activity.png", dpi=80)

thermo = ising.thermo(samples=20_000 if quick else 200_000, runs=4 if quick else 16)
print(f"entropy {thermo['entropy_bits_per_spin']['value']:.3f} bits per spin")
spinfer.plot.specific_heat(thermo).savefig("specific_heat.png", dpi=80)
