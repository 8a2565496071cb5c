"""Type stubs of the native module (``spinfer._native``). The public API is ``spinfer``;
these functions take the checked (samples x spins) ``uint8`` 0/1 arrays it prepares."""

from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np
import numpy.typing as npt

__version__: str

class DivergedError(RuntimeError):
    """args: (message, h or None, J or None) of the last finite model."""

ModelSpec = Tuple[
    str,
    npt.NDArray[np.float64],
    npt.NDArray[np.float64],
    bool,
    bool,
    Optional[npt.NDArray[np.float64]],
]
Fitted = Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], str]

def fit_ising(
    x: npt.NDArray[np.uint8],
    *,
    model: Optional[str] = None,
    method: Optional[str] = None,
    sampler: Optional[str] = None,
    solver: Optional[str] = None,
    init: Optional[str] = None,
    optimizer: Optional[str] = None,
    lr: Optional[float] = None,
    iters: Optional[int] = None,
    tol: Optional[float] = None,
    samples: Optional[int] = None,
    max_samples: Optional[int] = None,
    sweeps: Optional[int] = None,
    chains: Optional[int] = None,
    burn_in: Optional[int] = None,
    seed: Optional[int] = None,
    estimator: Optional[str] = None,
    target_ratio: Optional[float] = None,
    target_pearson: Optional[float] = None,
    stepping: Optional[str] = None,
    l1: float = 0.0,
    l2: float = 0.0,
    l1_fields: float = 0.0,
    l2_fields: float = 0.0,
    precision: Optional[str] = None,
    callback: Optional[Callable[[int, dict], Any]] = None,
    remote: Optional[
        Callable[[npt.NDArray[np.float64], int], Tuple[np.ndarray, np.ndarray]]
    ] = None,
    checkpoint: Optional[str] = None,
    checkpoint_every: Optional[int] = None,
    resume: Optional[str] = None,
    split: Optional[str] = None,
) -> Fitted: ...
def fit_kinetic(
    x: npt.NDArray[np.uint8],
    *,
    symmetric: bool = False,
    self_couplings: bool = False,
    solver: Optional[str] = None,
    init: Optional[str] = None,
    optimizer: Optional[str] = None,
    lr: Optional[float] = None,
    iters: Optional[int] = None,
    tol: Optional[float] = None,
    l1: float = 0.0,
    l2: float = 0.0,
    l1_fields: float = 0.0,
    l2_fields: float = 0.0,
    repeat_bins: Optional[int] = None,
    rows: Optional[Sequence[int]] = None,
    precision: Optional[str] = None,
    callback: Optional[Callable[[int, dict], Any]] = None,
    checkpoint: Optional[str] = None,
    checkpoint_every: Optional[int] = None,
    resume: Optional[str] = None,
    split: Optional[str] = None,
) -> Fitted: ...
def defaults() -> str: ...
def choices() -> str: ...
def check_model(model: ModelSpec) -> None: ...
def load(path: str) -> Fitted: ...
def save(
    path: str,
    model: ModelSpec,
    settings: Optional[str] = None,
    metrics: Optional[str] = None,
    labels: Optional[List[str]] = None,
) -> None: ...
def sample(
    model: ModelSpec,
    n: int,
    *,
    seed: int,
    sweeps: int,
    burn_in: int,
    start: Optional[npt.NDArray[np.uint8]] = None,
) -> npt.NDArray[np.uint8]: ...
def thermo(
    model: ModelSpec,
    *,
    t_min: Optional[float] = None,
    t_max: Optional[float] = None,
    samples: Optional[int] = None,
    runs: Optional[int] = None,
    seed: Optional[int] = None,
) -> str: ...
def log_likelihood(
    model: ModelSpec,
    x: npt.NDArray[np.uint8],
    *,
    repeat_bins: Optional[int] = None,
    seed: Optional[int] = None,
    score: Optional[str] = None,
) -> Tuple[float, str, Optional[float]]: ...
def compare(
    model: ModelSpec,
    x: npt.NDArray[np.uint8],
    *,
    samples: Optional[int] = None,
    burn_in: Optional[int] = None,
    seed: Optional[int] = None,
    repeat_bins: Optional[int] = None,
    max_samples: Optional[int] = None,
) -> str: ...
def read_raster(path: str, *, layout: str = "spins-by-samples") -> npt.NDArray[np.uint8]: ...
def synthetic_retina(
    *, cells: int = 160, repeats: int = 297, bins: int = 953, seed: int = 1
) -> npt.NDArray[np.uint8]: ...

class Chains:
    """Persistent Monte Carlo chains of one worker (``spinfer.dask.fit_ising``)."""

    def __init__(
        self,
        n: int,
        *,
        sampler: str = "metropolis",
        chains: int = 16,
        seed: int = 1,
        sweeps: int = 1,
        burn_in: int = 500,
        rao_blackwell: bool = True,
    ) -> None: ...
    def averages(
        self, theta: npt.NDArray[np.float64], samples: int
    ) -> Tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
