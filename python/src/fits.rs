//! `fit_ising` and `fit_kinetic`: the command's fits, with the GIL released while they run,
//! a Python callback after every iteration, and Ctrl-C stopping them.

use std::sync::{Arc, Mutex};

use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::{prelude::*, types::PyDict};
use std::path::PathBuf;

use spinfer::{
    data::{ModelFile, ModelKind},
    fit::{fit_kinetic_rows, EquilibriumModel, FitChoices, IsingChoices, KineticChoices},
    learn::{Control, Phase, Record},
    nalgebra::DVector,
    objective::Penalty,
    sample::{ModelAverages, Sampler},
    workflow::{self, Failure, FitData, FitJob, FitObserver, FitSettings, Heard, Report},
    Energy, Error, Ising, KineticOptions, Precision, Real, Result, Statistics, Transitions,
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

impl FitObserver for PyObserver {
    fn phase(&mut self, _phase: Phase) -> Control {
        // Ctrl-C during a warm start or before a check: the fit stops there.
        Python::attach(|py| match py.check_signals() {
            Ok(()) => Control::Continue,
            Err(e) => {
                self.error = Some(e);
                Control::Stop
            }
        })
    }

    fn iteration(&mut self, record: &Record) -> Control {
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

/// The choice named `value`, or the library's default when the keyword was left unset.
fn chosen<T: spinfer::choice::ValueEnum + Default>(
    setting: &'static str,
    value: Option<&str>,
) -> PyResult<T> {
    value.map_or(Ok(T::default()), |v| named(setting, v))
}

/// Choices every fit shares, from the keywords.
#[allow(clippy::too_many_arguments)]
fn common(
    solver: Option<&str>,
    init: Option<&str>,
    optimizer: Option<&str>,
    lr: Option<f64>,
    iters: Option<usize>,
    tol: Option<f64>,
    penalty: [f64; 4],
) -> PyResult<FitChoices> {
    Ok(FitChoices {
        solver: chosen("solver", solver)?,
        init: chosen("init", init)?,
        optimizer: optimizer.map(|o| named("optimizer", o)).transpose()?,
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

/// The meta-data a fitted model carries back to Python: its kind, settings, metrics and
/// history.
fn meta(file: &ModelFile, history: &spinfer::learn::History) -> String {
    let mut meta = crate::convert::file_meta(file);
    meta["history"] = serde_json::json!(history.records);
    meta.to_string()
}

/// The fitted model of the workflow's report, or the Python exception that stopped the
/// fit, or the error (a divergence as `DivergedError` with the last finite model).
fn finish<'py>(
    py: Python<'py>,
    result: std::result::Result<Report, Failure>,
    interrupted: Option<PyErr>,
) -> PyResult<Fitted<'py>> {
    if let Some(e) = interrupted {
        return Err(e);
    }
    match result {
        Ok(report) => {
            let (h, j) = file_arrays(py, &report.file);
            Ok((h, j, meta(&report.file, &report.history)))
        }
        Err(Failure {
            error: e @ Error::NonFinite { .. },
            last_finite: Some(file),
        }) => {
            let (h, j) = file_arrays(py, &file);
            Err(DivergedError::new_err((
                e.to_string(),
                h.unbind(),
                j.unbind(),
            )))
        }
        Err(failure) => Err(py_error(failure.error)),
    }
}

/// The job of a fit: fresh `settings`, or with `resume` the checkpoint's (with `iters`
/// applied), with `checkpoint` written every `checkpoint_every` iterations.
fn job(
    kind: ModelKind,
    settings: impl FnOnce() -> FitSettings,
    precision: Option<&str>,
    iters: Option<usize>,
    (checkpoint, checkpoint_every, resume): (Option<PathBuf>, Option<usize>, Option<PathBuf>),
) -> PyResult<FitJob> {
    let job = match &resume {
        Some(path) => FitJob::resume(path, kind, iters),
        None => FitJob::new(settings(), chosen("precision", precision)?),
    }
    .and_then(|job| {
        job.with_checkpoint(
            checkpoint,
            checkpoint_every.unwrap_or(FitJob::CHECKPOINT_EVERY),
        )
    });
    job.map_err(py_error)
}

/// Boltzmann learning or the pseudo-likelihood of an equilibrium model; `x` is a checked
/// (samples × spins) 0/1 array. With `remote`, the model averages come from it.
#[pyfunction]
#[pyo3(signature = (
    x, *, model=None, method=None, sampler=None, solver=None, init=None,
    optimizer=None, lr=None, iters=None, tol=None, samples=None, max_samples=None,
    sweeps=None, chains=None, burn_in=None, seed=None, estimator=None,
    target_ratio=None, target_pearson=None, stepping=None, l1=0.0, l2=0.0, l1_fields=0.0,
    l2_fields=0.0, precision=None, callback=None, remote=None, checkpoint=None,
    checkpoint_every=None, resume=None, split=None
))]
#[allow(clippy::too_many_arguments)]
pub fn fit_ising<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, u8>,
    model: Option<&str>,
    method: Option<&str>,
    sampler: Option<&str>,
    solver: Option<&str>,
    init: Option<&str>,
    optimizer: Option<&str>,
    lr: Option<f64>,
    iters: Option<usize>,
    tol: Option<f64>,
    samples: Option<usize>,
    max_samples: Option<usize>,
    sweeps: Option<usize>,
    chains: Option<usize>,
    burn_in: Option<usize>,
    seed: Option<u64>,
    estimator: Option<&str>,
    target_ratio: Option<f64>,
    target_pearson: Option<f64>,
    stepping: Option<&str>,
    l1: f64,
    l2: f64,
    l1_fields: f64,
    l2_fields: f64,
    precision: Option<&str>,
    callback: Option<Py<PyAny>>,
    remote: Option<Py<PyAny>>,
    checkpoint: Option<PathBuf>,
    checkpoint_every: Option<usize>,
    resume: Option<PathBuf>,
    split: Option<&str>,
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
        model: chosen("model", model)?,
        method: chosen("method", method)?,
        sampler: chosen("sampler", sampler)?,
        samples,
        max_samples,
        sweeps,
        chains,
        burn_in,
        seed: seed.unwrap_or(IsingChoices::default().seed),
        estimator: chosen("estimator", estimator)?,
        target_ratio,
        target_pearson,
        stepping: stepping.map(|st| named("stepping", st)).transpose()?,
    };
    let kind = match choices.model {
        EquilibriumModel::Pairwise => ModelKind::Ising,
        EquilibriumModel::KPairwise => ModelKind::KPairwise,
    };
    let job = job(
        kind,
        || FitSettings::Ising(choices.settings()),
        precision,
        iters,
        (checkpoint, checkpoint_every, resume),
    )?
    .with_split(split.map(|s| named("split", s)).transpose()?);
    let received = std::time::Instant::now();
    let data = raster(&x)?;
    let job = job.with_source("X", Vec::new(), received.elapsed().as_secs_f64());
    let mut observer = PyObserver {
        callback,
        error: None,
    };
    let remote_error = Arc::new(Mutex::new(None));
    let remote = remote.map(|function| RemoteSampler {
        function,
        samples: match &job.settings {
            FitSettings::Ising(s) => s.mcmc.samples,
            FitSettings::Kinetic(_) => 0,
        },
        error: remote_error.clone(),
    });
    let result = py.detach(|| match remote {
        None => workflow::run(FitData::Samples(data), &job, &mut observer),
        Some(r) => match job.precision {
            Precision::F64 => workflow::run_sampled::<f64, _>(data, &job, r, &mut observer),
            Precision::F32 => workflow::run_sampled::<f32, _>(data, &job, r, &mut observer),
        },
    });
    let raised = observer
        .error
        .take()
        .or_else(|| remote_error.lock().ok().and_then(|mut e| e.take()));
    finish(py, result, raised)
}

/// The exact likelihood of a time series under the kinetic model; `x` is a checked
/// (bins × spins) 0/1 array. With `rows`, only those rows are fitted (row-wise Newton).
#[pyfunction]
#[pyo3(signature = (
    x, *, symmetric=false, self_couplings=false, solver=None, init=None, optimizer=None,
    lr=None, iters=None, tol=None, l1=0.0, l2=0.0, l1_fields=0.0, l2_fields=0.0,
    repeat_bins=None, rows=None, precision=None, callback=None, checkpoint=None,
    checkpoint_every=None, resume=None, split=None
))]
#[allow(clippy::too_many_arguments)]
pub fn fit_kinetic<'py>(
    py: Python<'py>,
    x: PyReadonlyArray2<'py, u8>,
    symmetric: bool,
    self_couplings: bool,
    solver: Option<&str>,
    init: Option<&str>,
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
    precision: Option<&str>,
    callback: Option<Py<PyAny>>,
    checkpoint: Option<PathBuf>,
    checkpoint_every: Option<usize>,
    resume: Option<PathBuf>,
    split: Option<&str>,
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
    let job = job(
        ModelKind::Kinetic,
        || FitSettings::Kinetic(choices.settings()),
        precision,
        iters,
        (checkpoint, checkpoint_every, resume),
    )?
    .with_split(split.map(|s| named("split", s)).transpose()?);
    let received = std::time::Instant::now();
    let series = raster(&x)?;
    let data = Transitions::within_repeats(&series, repeat_bins).map_err(py_error)?;
    drop(series);
    let job = job.with_source("X", Vec::new(), received.elapsed().as_secs_f64());
    let mut observer = PyObserver {
        callback,
        error: None,
    };
    if let Some(rows) = rows {
        return fit_rows(py, &data, &job, &rows, observer);
    }
    let result = py.detach(|| workflow::run(FitData::Series(data), &job, &mut observer));
    finish(py, result, observer.error.take())
}

/// Some rows of an asymmetric kinetic model (row-wise Newton): not a model of the data,
/// so without scores or checkpoints.
fn fit_rows<'py>(
    py: Python<'py>,
    data: &Transitions,
    job: &FitJob,
    rows: &[usize],
    mut observer: PyObserver,
) -> PyResult<Fitted<'py>> {
    let FitSettings::Kinetic(settings) = &job.settings else {
        return Err(py_error(Error::Shape(
            "rows are fitted only by kinetic fits".into(),
        )));
    };
    if job.checkpoint.is_some() {
        return Err(py_error(Error::setting(
            "checkpoint",
            "a path",
            "None when fitting rows",
        )));
    }
    macro_rules! rows {
        ($t:ty) => {{
            let result = py
                .detach(|| fit_kinetic_rows::<$t>(data, settings, rows, &mut Heard(&mut observer)));
            if let Some(e) = observer.error.take() {
                return Err(e);
            }
            let fit = result.map_err(py_error)?;
            let mut file = ModelFile::from_kinetic(&fit.model);
            let mut metrics = fit.metrics(<$t as Real>::NAME);
            metrics["warnings"] = serde_json::json!(fit.warnings(data.len()));
            file.settings = serde_json::to_value(settings).unwrap_or_default();
            file.metrics = metrics;
            let (h, j) = file_arrays(py, &file);
            Ok((h, j, meta(&file, &fit.history)))
        }};
    }
    match job.precision {
        Precision::F64 => rows!(f64),
        Precision::F32 => rows!(f32),
    }
}
