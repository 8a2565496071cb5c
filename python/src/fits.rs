//! `fit_ising` and `fit_kinetic`: the command's fits, with the GIL released while they run,
//! a Python callback after every iteration, and Ctrl-C stopping them.

use std::sync::{Arc, Mutex};

use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::{prelude::*, types::PyDict};
use spinfer::{
    data::ModelFile,
    fit::{
        fit_ising_sampled, fit_ising_with, fit_kinetic_rows, fit_kinetic_with, Fit, FitChoices,
        FitControl, IsingChoices, KineticChoices,
    },
    learn::{Control, Observer, Record},
    nalgebra::DVector,
    objective::Penalty,
    sample::{ModelAverages, Sampler},
    validate::{ising_score, kinetic_score, Score},
    Energy, Error, Ising, KineticOptions, Real, Result, Statistics, Transitions,
};

use crate::{
    convert::{file_arrays, named, py_error, raster},
    DivergedError,
};

/// What a fit hands back to Python: h, J and the rest as JSON (settings, metrics, history).
pub type Fitted<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>, String);

/// Calls the user's callback after every iteration and checks for Ctrl-C; either stops the
/// fit after the iteration, keeping the Python exception to raise once the fit returns.
struct PyObserver {
    callback: Option<Py<PyAny>>,
    error: Option<PyErr>,
}

impl PyObserver {
    fn observe_with_gil(&mut self, py: Python<'_>, record: &Record) -> PyResult<Control> {
        py.check_signals()?;
        let Some(callback) = &self.callback else {
            return Ok(Control::Continue);
        };
        let answer = callback
            .call1(py, (record.iteration, record_dict(py, record)?))?
            .into_bound(py);
        // None (a callback that returns nothing) goes on; False (or numpy.False_) stops.
        let stop = !answer.is_none() && !answer.is_truthy()?;
        Ok(if stop {
            Control::Stop
        } else {
            Control::Continue
        })
    }
}

impl<T: Real> Observer<T> for PyObserver {
    fn observe(&mut self, record: &Record, _params: &DVector<T>) -> Control {
        Python::attach(|py| match self.observe_with_gil(py, record) {
            Ok(control) => control,
            Err(e) => {
                self.error = Some(e);
                Control::Stop
            }
        })
    }
}

/// A learning record as a dict (the keys of the command's `--trace` columns).
fn record_dict<'py>(py: Python<'py>, r: &Record) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("iteration", r.iteration)?;
    d.set_item("objective", r.objective)?;
    for (group, g) in &r.max_gradient {
        d.set_item(format!("max_gradient_{group}"), g)?;
    }
    d.set_item("seconds", r.seconds)?;
    d.set_item("samples", r.samples)?;
    d.set_item("signal_to_noise", r.signal_to_noise)?;
    d.set_item("connected_pearson", r.connected_pearson)?;
    Ok(d)
}

/// The model side of Boltzmann learning from a Python function `remote(theta, samples)`
/// returning (means of the statistics, their standard errors): chains on the workers of a
/// cluster (`spinfer.dask`).
struct RemoteSampler {
    function: Py<PyAny>,
    samples: usize,
    error: Arc<Mutex<Option<PyErr>>>,
}

impl RemoteSampler {
    fn call(&self, params: Vec<f64>) -> PyResult<(Vec<f64>, Vec<f64>)> {
        Python::attach(|py| {
            let out = self
                .function
                .call1(py, (PyArray1::from_vec(py, params), self.samples))?;
            let (mean, se): (PyReadonlyArray1<f64>, PyReadonlyArray1<f64>) = out.extract(py)?;
            Ok((mean.as_array().to_vec(), se.as_array().to_vec()))
        })
    }
}

impl<T: Real> Sampler<T, Ising<T>> for RemoteSampler {
    type State = usize;

    fn averages(&mut self, model: &Ising<T>, stats: &dyn Statistics) -> Result<ModelAverages> {
        let params = model.params().iter().map(|v| v.as_f64()).collect();
        let (mean, se) = self.call(params).map_err(|e| {
            *self.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
            Error::Shape("the remote sampler raised an exception".into())
        })?;
        if mean.len() != stats.dim() || se.len() != stats.dim() {
            return Err(Error::Shape(format!(
                "the remote sampler returned {} means and {} standard errors for {} statistics",
                mean.len(),
                se.len(),
                stats.dim()
            )));
        }
        Ok(ModelAverages {
            stats: DVector::from_vec(mean),
            log_partition: None,
            std_error: Some(DVector::from_vec(se)),
        })
    }

    fn is_exact(&self) -> bool {
        false
    }

    fn state(&self) -> usize {
        self.samples
    }

    fn restore(&mut self, samples: usize) -> Result<()> {
        self.samples = samples;
        Ok(())
    }

    fn samples(&self) -> Option<usize> {
        Some(self.samples)
    }

    fn set_samples(&mut self, samples: usize) -> Result<()> {
        self.samples = samples;
        Ok(())
    }
}

/// Choices every fit shares, from the keywords.
#[allow(clippy::too_many_arguments)]
fn common(
    solver: &str,
    init: &str,
    optimizer: Option<&str>,
    lr: Option<f64>,
    iters: Option<usize>,
    tol: Option<f64>,
    penalty: [f64; 4],
) -> PyResult<FitChoices> {
    Ok(FitChoices {
        solver: named("solver", solver, "auto, gradient, lbfgs or newton")?,
        init: named("init", init, "auto, zero, mean-field, tap or pseudo")?,
        optimizer: optimizer
            .map(|o| named("optimizer", o, "sgd, momentum or adam"))
            .transpose()?,
        lr,
        iters,
        tol,
        penalty: Penalty {
            l1: penalty[0],
            l2: penalty[1],
            l1_fields: penalty[2],
            l2_fields: penalty[3],
        },
    })
}

/// The fitted model, its settings, metrics (with the training score, as the command writes
/// them) and history, or the Python exception that stopped it.
fn finish<'py, T: Real, M: spinfer::Energy<T>>(
    py: Python<'py>,
    (result, last_finite): (Result<Fit<M>>, Option<ModelFile>),
    interrupted: Option<PyErr>,
    (settings, input_seconds, n_samples): (serde_json::Value, f64, usize),
    (to_file, score): (
        impl Fn(&M) -> ModelFile,
        impl Fn(&M) -> Result<Option<Score>>,
    ),
    precision: &str,
) -> PyResult<Fitted<'py>> {
    if let Some(e) = interrupted {
        return Err(e);
    }
    let fit = match result {
        Ok(fit) => fit,
        Err(e @ Error::NonFinite { .. }) => {
            let message = e.to_string();
            return Err(match last_finite {
                Some(file) => {
                    let (h, j) = file_arrays(py, &file);
                    DivergedError::new_err((message, h.unbind(), j.unbind()))
                }
                None => py_error(e),
            });
        }
        Err(e) => return Err(py_error(e)),
    };
    let mut metrics = fit.metrics(precision);
    if let Some(score) = score(&fit.model).map_err(py_error)? {
        metrics["train_score"] = serde_json::json!(score);
    }
    // Seconds spent packing the array (and building the transitions of a kinetic fit).
    metrics["input_seconds"] = serde_json::json!(input_seconds);
    // Shown by the Python wrapper through `warnings.warn`.
    metrics["warnings"] = serde_json::json!(fit.warnings(n_samples));
    let file = to_file(&fit.model);
    let meta = serde_json::json!({
        "kind": file.kind,
        "symmetric": file.symmetric,
        "self_couplings": file.self_couplings,
        "settings": settings,
        "metrics": metrics,
        "history": fit.history.records,
    });
    let (h, j) = file_arrays(py, &file);
    Ok((h, j, meta.to_string()))
}

/// Boltzmann learning or the pseudo-likelihood of an equilibrium model; `x` is a checked
/// (samples × spins) 0/1 array. With `remote`, the model averages come from it.
#[pyfunction]
#[pyo3(signature = (
    x, *, method="boltzmann", sampler="auto", solver="auto", init="auto",
    optimizer=None, lr=None, iters=None, tol=None, samples=None, max_samples=None,
    sweeps=None, chains=None, burn_in=None, seed=1, estimator="rao-blackwell",
    target_ratio=None, target_pearson=None, stepping=None, l1=0.0, l2=0.0, l1_fields=0.0,
    l2_fields=0.0, precision="f64", callback=None, remote=None
))]
#[allow(clippy::too_many_arguments)]
pub fn fit_ising<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, u8>,
    method: &str,
    sampler: &str,
    solver: &str,
    init: &str,
    optimizer: Option<&str>,
    lr: Option<f64>,
    iters: Option<usize>,
    tol: Option<f64>,
    samples: Option<usize>,
    max_samples: Option<usize>,
    sweeps: Option<usize>,
    chains: Option<usize>,
    burn_in: Option<usize>,
    seed: u64,
    estimator: &str,
    target_ratio: Option<f64>,
    target_pearson: Option<f64>,
    stepping: Option<&str>,
    l1: f64,
    l2: f64,
    l1_fields: f64,
    l2_fields: f64,
    precision: &str,
    callback: Option<Py<PyAny>>,
    remote: Option<Py<PyAny>>,
) -> PyResult<Fitted<'py>> {
    let choices = IsingChoices {
        common: common(
            solver,
            init,
            optimizer,
            lr,
            iters,
            tol,
            [l1, l2, l1_fields, l2_fields],
        )?,
        method: named("method", method, "boltzmann or pseudo-likelihood")?,
        sampler: named(
            "sampler",
            sampler,
            "auto, metropolis, gibbs, tempering or exact",
        )?,
        samples,
        max_samples,
        sweeps,
        chains,
        burn_in,
        seed,
        rao_blackwell: match estimator {
            "rao-blackwell" => true,
            "plain" => false,
            other => return Err(value_error("estimator", other, "rao-blackwell or plain")),
        },
        target_ratio,
        target_pearson,
        centred: match stepping {
            None => None,
            Some("centred") => Some(true),
            Some("raw") => Some(false),
            Some(other) => return Err(value_error("stepping", other, "centred or raw")),
        },
    };
    let settings = choices.settings();
    settings.check().map_err(py_error)?;
    let received = std::time::Instant::now();
    let data = raster(&x)?;
    let input_seconds = received.elapsed().as_secs_f64();
    let settings_json = serde_json::to_value(&settings).unwrap_or_default();
    let mut observer = PyObserver {
        callback,
        error: None,
    };
    let remote_error = Arc::new(Mutex::new(None));
    macro_rules! run {
        ($t:ty) => {{
            let remote = remote.map(|function| RemoteSampler {
                function,
                samples: settings.mcmc.samples,
                error: remote_error.clone(),
            });
            let outcome = py.detach(|| {
                let mut control = FitControl::default();
                let result = match remote {
                    None => {
                        fit_ising_with::<$t>(&data, &settings, None, &mut observer, &mut control)
                    }
                    Some(r) => fit_ising_sampled::<$t, _>(&data, &settings, r, &mut observer),
                };
                (
                    result,
                    control.last_finite.as_ref().map(ModelFile::from_ising),
                )
            });
            let raised = observer
                .error
                .take()
                .or_else(|| remote_error.lock().ok().and_then(|mut e| e.take()));
            finish(
                py,
                outcome,
                raised,
                (settings_json, input_seconds, data.n_samples()),
                (ModelFile::from_ising, |m: &Ising<$t>| {
                    ising_score(m, &data).map(Some)
                }),
                <$t as Real>::NAME,
            )
        }};
    }
    match precision {
        "f64" => run!(f64),
        "f32" => run!(f32),
        other => Err(value_error("precision", other, "f64 or f32")),
    }
}

/// The exact likelihood of a time series under the kinetic model; `x` is a checked
/// (bins × spins) 0/1 array. With `rows`, only those rows are fitted (row-wise Newton).
#[pyfunction]
#[pyo3(signature = (
    x, *, symmetric=false, self_couplings=false, solver="auto", init="auto", optimizer=None,
    lr=None, iters=None, tol=None, l1=0.0, l2=0.0, l1_fields=0.0, l2_fields=0.0,
    repeat_bins=None, rows=None, precision="f64", callback=None
))]
#[allow(clippy::too_many_arguments)]
pub fn fit_kinetic<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, u8>,
    symmetric: bool,
    self_couplings: bool,
    solver: &str,
    init: &str,
    optimizer: Option<&str>,
    lr: Option<f64>,
    iters: Option<usize>,
    tol: Option<f64>,
    l1: f64,
    l2: f64,
    l1_fields: f64,
    l2_fields: f64,
    repeat_bins: Option<usize>,
    rows: Option<Vec<usize>>,
    precision: &str,
    callback: Option<Py<PyAny>>,
) -> PyResult<Fitted<'py>> {
    let choices = KineticChoices {
        common: common(
            solver,
            init,
            optimizer,
            lr,
            iters,
            tol,
            [l1, l2, l1_fields, l2_fields],
        )?,
        options: KineticOptions {
            symmetric,
            self_couplings,
        },
    };
    let settings = choices.settings();
    settings.check().map_err(py_error)?;
    let received = std::time::Instant::now();
    let series = raster(&x)?;
    let data = Transitions::within_repeats(&series, repeat_bins).map_err(py_error)?;
    drop(series);
    let input_seconds = received.elapsed().as_secs_f64();
    let settings_json = serde_json::to_value(&settings).unwrap_or_default();
    let mut observer = PyObserver {
        callback,
        error: None,
    };
    macro_rules! run {
        ($t:ty) => {{
            let outcome = py.detach(|| {
                let mut control = FitControl::default();
                let result = match &rows {
                    None => {
                        fit_kinetic_with::<$t>(&data, &settings, None, &mut observer, &mut control)
                    }
                    Some(rows) => fit_kinetic_rows::<$t>(&data, &settings, rows, &mut observer),
                };
                (
                    result,
                    control.last_finite.as_ref().map(ModelFile::from_kinetic),
                )
            });
            finish(
                py,
                outcome,
                observer.error.take(),
                (settings_json, input_seconds, data.len()),
                // A fit of some rows is not a model of the data: no score.
                (
                    ModelFile::from_kinetic,
                    |m: &spinfer::KineticIsing<$t>| match rows {
                        Some(_) => Ok(None),
                        None => kinetic_score(m, &data).map(Some),
                    },
                ),
                <$t as Real>::NAME,
            )
        }};
    }
    match precision {
        "f64" => run!(f64),
        "f32" => run!(f32),
        other => Err(value_error("precision", other, "f64 or f32")),
    }
}

fn value_error(setting: &'static str, value: &str, allowed: &str) -> PyErr {
    py_error(Error::setting(setting, format!("{value:?}"), allowed))
}
