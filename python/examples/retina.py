"""The study in Python: a recording (the synthetic retina, or a data file of the command
given as argument), both model families fitted with the defaults, compared with the data
from fresh samples, and the model-vs-data figures drawn.

    python python/examples/retina.py [DATA.txt[.gz]] [--quick]
"""
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

import spinfer  # noqa: E402

files = [a for a in sys.argv[1:] if a != "--quick"]
quick = "--quick" in sys.argv
X = spinfer.read_raster(files[0]) if files else spinfer.synthetic_retina(repeats=30 if quick else 297)
repeat_bins = None if files else 953
print(f"{X.shape[0]} bins x {X.shape[1]} cells, {X.mean():.1%} active per bin")
models = {
    "equilibrium": spinfer.fit_ising(X),
    "kinetic": spinfer.fit_kinetic(X, repeat_bins=repeat_bins),
}
fig, axes = plt.subplots(2, 3, figsize=(12, 8))
for row, (name, model) in zip(axes, models.items()):
    m = model.metrics
    print(f"{name}: {m['solver']}, {m['iterations']} iterations, converged {model.converged}")
    result = spinfer.compare(model, X, samples=20_000 if quick else 200_000, repeat_bins=repeat_bins)
    for ax, stat in zip(row, result["statistics"]):
        agreement = stat["agreement"]
        print(f"  {stat['name']}: Pearson r {agreement['pearson']:.3f}, RMSE {agreement['rmse']:.2e}")
        ax.plot(stat["data"], stat["model"], ".", ms=2, alpha=0.5)
        ends = [min(stat["data"].min(), stat["model"].min()), max(stat["data"].max(), stat["model"].max())]
        ax.plot(ends, ends, "k-", lw=0.5)
        ax.set(title=f"{name}: {stat['name']}", xlabel="data", ylabel="model")
fig.tight_layout()
fig.savefig("retina_python.png", dpi=110)
print("wrote retina_python.png")
