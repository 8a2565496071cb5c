//! Models and data files: load and save (the command's JSON), sample, score, compare, read
//! rasters, and the synthetic retina.

use std::path::PathBuf;

use numpy::{PyArray2, PyReadonlyArray2};
use pyo3::prelude::*;
use spinfer::{
    data::ModelFile,
    retina::RetinaSettings,
    sample::draw_from,
    thermo::{thermodynamics, ThermoSettings},
    validate::{Comparison, FreshSamples, Score},
    workflow::{evaluate, Evaluation},
};

use crate::convert::{
    file_arrays, file_meta, model_file, named, py_error, raster, raster_array, ModelSpec,
};
use crate::fits::Fitted;

/// Checks a model by the rules model files are read with (`ValueError` naming the rule).
#[pyfunction]
pub fn check_model(model: ModelSpec<'_>) -> PyResult<()> {
    model_file(&model).map(drop)
}

/// Reads a model file: (h, J, JSON of kind, symmetric, self_couplings, settings, metrics).
#[pyfunction]
pub fn load(py: Python<'_>, path: PathBuf) -> PyResult<Fitted<'_>> {
    let file = py.detach(|| ModelFile::read(&path)).map_err(py_error)?;
    let meta = file_meta(&file);
    let (h, j) = file_arrays(py, &file);
    Ok((h, j, meta.to_string()))
}

/// Writes a model file atomically, with `settings` and `metrics` given as JSON text and the
/// cells' `labels` (none, or one per spin).
#[pyfunction]
#[pyo3(signature = (path, model, settings=None, metrics=None, labels=None))]
pub fn save(
    py: Python<'_>,
    path: PathBuf,
    model: ModelSpec<'_>,
    settings: Option<&str>,
    metrics: Option<&str>,
    labels: Option<Vec<String>>,
) -> PyResult<()> {
    let mut file = model_file(&model)?;
    file.labels = labels.unwrap_or_default();
    let parse = |text: Option<&str>| -> PyResult<serde_json::Value> {
        text.map_or(Ok(serde_json::Value::Null), |t| {
            serde_json::from_str(t)
                .map_err(|e| pyo3::exceptions::PyValueError::new_err(e.to_string()))
        })
    };
    file.settings = parse(settings)?;
    file.metrics = parse(metrics)?;
    py.detach(|| file.write(&path)).map_err(py_error)
}

/// Samples of an equilibrium model (Metropolis, `sweeps` apart after `burn_in` sweeps) or a
/// simulated series of a kinetic model, as the command's `sample` draws them.
/// With `start` (a checked (samples × spins) 0/1 array), from the data's states as
/// `spinfer sample --from` starts.
#[pyfunction]
#[pyo3(signature = (model, n, *, seed, sweeps, burn_in, start=None))]
pub fn sample<'py>(
    py: Python<'py>,
    model: ModelSpec<'py>,
    n: usize,
    seed: u64,
    sweeps: usize,
    burn_in: usize,
    start: Option<PyReadonlyArray2<'py, u8>>,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let file = model_file(&model)?;
    let start = start.as_ref().map(raster).transpose()?;
    let data = py
        .detach(|| draw_from(&file, n, sweeps, burn_in, seed, start.as_ref()))
        .map_err(py_error)?;
    Ok(raster_array(py, &data))
}

/// The thermodynamics of an equilibrium model as `spinfer thermo` computes it (JSON text:
/// thermo.json).
#[pyfunction]
#[pyo3(signature = (model, *, t_min=None, t_max=None, samples=None, runs=None, seed=None))]
pub fn thermo(
    py: Python<'_>,
    model: ModelSpec<'_>,
    t_min: Option<f64>,
    t_max: Option<f64>,
    samples: Option<usize>,
    runs: Option<usize>,
    seed: Option<u64>,
) -> PyResult<String> {
    let file = model_file(&model)?;
    if file.kind == spinfer::data::ModelKind::Kinetic {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "thermo needs an equilibrium (ising or k-pairwise) model",
        ));
    }
    let ising = file.to_equilibrium::<f64>().map_err(py_error)?;
    let mut settings = ThermoSettings::default();
    settings.t_min = t_min.unwrap_or(settings.t_min);
    settings.t_max = t_max.unwrap_or(settings.t_max);
    settings.samples = samples.unwrap_or(settings.samples);
    settings.runs = runs.unwrap_or(settings.runs);
    settings.seed = seed.unwrap_or(settings.seed);
    let result = py
        .detach(|| thermodynamics(&ising, &settings))
        .map_err(py_error)?;
    serde_json::to_string(&result)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))
}

/// The score of a model on data by the library's rule ([`spinfer::workflow::evaluate`]):
/// per sample for equilibrium models (`score`: auto, exact for N ≤ 20 and log Z by annealed
/// importance sampling above; ais; pseudo), per transition for kinetic ones. Returns
/// (value, measure, standard error or None).
#[pyfunction]
#[pyo3(signature = (model, x, *, repeat_bins=None, seed=None, score=None))]
pub fn log_likelihood(
    py: Python<'_>,
    model: ModelSpec<'_>,
    x: PyReadonlyArray2<'_, u8>,
    repeat_bins: Option<usize>,
    seed: Option<u64>,
    score: Option<&str>,
) -> PyResult<(f64, String, Option<f64>)> {
    let file = model_file(&model)?;
    let data = raster(&x)?;
    let mut how = Evaluation {
        repeat_bins,
        ..Evaluation::default()
    };
    if let Some(s) = score {
        how.method = named("score", s)?;
    }
    if let Some(seed) = seed {
        how.ais.seed = seed;
    }
    let score: Score = py
        .detach(|| evaluate(&file, &data, &how))
        .map_err(py_error)?;
    let measure = serde_json::to_value(score.measure)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    Ok((score.value, measure, score.std_error))
}

/// The model against data from fresh samples, as `spinfer compare` computes it (JSON text:
/// compare.json with each statistic's `data` and `model` values).
#[pyfunction]
#[pyo3(signature = (model, x, *, samples=None, burn_in=None, seed=None, repeat_bins=None, max_samples=None))]
#[allow(clippy::too_many_arguments)]
pub fn compare(
    py: Python<'_>,
    model: ModelSpec<'_>,
    x: PyReadonlyArray2<'_, u8>,
    samples: Option<usize>,
    burn_in: Option<usize>,
    seed: Option<u64>,
    repeat_bins: Option<usize>,
    max_samples: Option<usize>,
) -> PyResult<String> {
    let file = model_file(&model)?;
    let data = raster(&x)?;
    let defaults = FreshSamples::default();
    let grow_to = max_samples.unwrap_or(FreshSamples::COMPARE_GROW_TO);
    if grow_to < samples.unwrap_or(defaults.samples) {
        return Err(pyo3::exceptions::PyValueError::new_err(format!(
            "max_samples must be at least samples ({}), not {grow_to}",
            samples.unwrap_or(defaults.samples)
        )));
    }
    let fresh = FreshSamples {
        samples: samples.unwrap_or(defaults.samples),
        burn_in: burn_in.unwrap_or(defaults.burn_in),
        seed: seed.unwrap_or(defaults.seed),
        grow_to: Some(grow_to),
        ..defaults
    };
    let comparison = py
        .detach(|| Comparison::of_file(&file, &data, repeat_bins, &fresh))
        .map_err(py_error)?;
    // The command's compare.json, with each statistic's values on both sides (which the
    // file leaves to its figures) for plotting.
    let mut json = serde_json::to_value(&comparison)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    if let Some(list) = json["statistics"].as_array_mut() {
        for (entry, statistic) in list.iter_mut().zip(&comparison.statistics) {
            entry["data"] = serde_json::json!(statistic.data);
            entry["model"] = serde_json::json!(statistic.model);
        }
    }
    Ok(json.to_string())
}

/// Reads a data file of the command (text or .gz) as a (samples × spins) 0/1 array.
#[pyfunction]
#[pyo3(signature = (path, *, layout="spins-by-samples"))]
pub fn read_raster<'py>(
    py: Python<'py>,
    path: PathBuf,
    layout: &str,
) -> PyResult<Bound<'py, PyArray2<u8>>> {
    let layout = named("layout", layout)?;
    let data = py
        .detach(|| spinfer::data::read_raster(&path, layout))
        .map_err(py_error)?;
    Ok(raster_array(py, &data))
}

/// The synthetic retina of `spinfer generate retina`, as a (bins × cells) 0/1 array.
#[pyfunction]
#[pyo3(signature = (*, cells=160, repeats=297, bins=953, seed=1))]
pub fn synthetic_retina(
    py: Python<'_>,
    cells: usize,
    repeats: usize,
    bins: usize,
    seed: u64,
) -> PyResult<Bound<'_, PyArray2<u8>>> {
    let settings = RetinaSettings {
        cells,
        repeats,
        bins,
        seed,
    };
    settings.check().map_err(py_error)?;
    let data = py.detach(|| settings.generate()).map_err(py_error)?;
    Ok(raster_array(py, &data))
}
