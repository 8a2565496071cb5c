//! What a fit is asked to do: the model family and its settings, the precision, the split,
//! checkpoints, resumption and the true model, checked before any data are read.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{
    data::{Checkpoint, ModelFile, ModelKind},
    fit::{EquilibriumModel, IsingFitSettings, KineticFitSettings},
    validate::Split,
    Error, Precision, Result,
};

/// The settings of a fit of either model family.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum FitSettings {
    /// An equilibrium fit.
    Ising(IsingFitSettings),
    /// A kinetic fit.
    Kinetic(KineticFitSettings),
}

impl FitSettings {
    /// The model family these settings fit.
    pub fn kind(&self) -> ModelKind {
        match self {
            FitSettings::Ising(s) if s.model == EquilibriumModel::KPairwise => ModelKind::KPairwise,
            FitSettings::Ising(_) => ModelKind::Ising,
            FitSettings::Kinetic(_) => ModelKind::Kinetic,
        }
    }

    /// Refuses settings no fit can run with ([`IsingFitSettings::check`],
    /// [`KineticFitSettings::check`]).
    pub fn check(&self) -> Result<()> {
        match self {
            FitSettings::Ising(s) => s.check(),
            FitSettings::Kinetic(s) => s.check(),
        }
    }

    /// The iteration budget.
    pub fn max_iters(&self) -> usize {
        match self {
            FitSettings::Ising(s) => s.learn.max_iters,
            FitSettings::Kinetic(s) => s.learn.max_iters,
        }
    }

    fn set_max_iters(&mut self, k: usize) {
        match self {
            FitSettings::Ising(s) => s.learn.max_iters = k,
            FitSettings::Kinetic(s) => s.learn.max_iters = k,
        }
    }

    /// The settings as a model file and a checkpoint store them.
    pub(crate) fn to_json(&self) -> Result<serde_json::Value> {
        match self {
            FitSettings::Ising(s) => serde_json::to_value(s),
            FitSettings::Kinetic(s) => serde_json::to_value(s),
        }
        .map_err(|e| Error::Shape(format!("the settings cannot be saved: {e}")))
    }
}

/// A checkpoint to continue from: where it was read and what it holds.
#[derive(Clone, Debug)]
pub(crate) struct Resumed {
    pub path: PathBuf,
    pub checkpoint: Checkpoint,
}

/// A fit as a front end asks for it. Built by [`FitJob::new`] (fresh settings, checked at
/// once) or [`FitJob::resume`] (the settings of a checkpoint), then refined with the
/// `with_*` methods and run by [`super::run`].
#[derive(Clone, Debug)]
pub struct FitJob {
    /// The model family and its settings.
    pub settings: FitSettings,
    /// The scalar type the fit runs in.
    pub precision: Precision,
    /// Fit on one part of the data, score the other.
    pub split: Option<Split>,
    /// Write the fit's state here (atomically) every `checkpoint_every` iterations.
    pub checkpoint: Option<PathBuf>,
    /// Iterations between checkpoints.
    pub checkpoint_every: usize,
    /// The model the data were generated from: the report gains the RMSE against it.
    pub truth: Option<ModelFile>,
    /// How messages name the true model (its file).
    pub truth_source: String,
    /// Seconds the front end spent reading or packing the data (kept in the metrics).
    pub input_seconds: f64,
    /// Names of the cells, kept in the model file.
    pub labels: Vec<String>,
    /// How messages name the data (a file's path, or "X" for an array).
    pub source: String,
    pub(crate) resumed: Option<Resumed>,
}

impl FitJob {
    /// Iterations between checkpoints unless asked otherwise.
    pub const CHECKPOINT_EVERY: usize = 50;

    /// A fresh fit with these settings, refused now if no fit can run with them.
    pub fn new(settings: FitSettings, precision: Precision) -> Result<Self> {
        settings.check()?;
        Ok(FitJob {
            settings,
            precision,
            split: None,
            checkpoint: None,
            checkpoint_every: Self::CHECKPOINT_EVERY,
            truth: None,
            truth_source: "the true model".into(),
            input_seconds: 0.0,
            labels: Vec::new(),
            source: "the data".into(),
            resumed: None,
        })
    }

    /// The fit saved in the checkpoint at `path`, to be continued on the same data: its
    /// settings and precision, with the iteration budget changed to `iters` when given.
    /// That the data are the checkpoint's is checked when the job runs.
    pub fn resume(path: &Path, kind: ModelKind, iters: Option<usize>) -> Result<Self> {
        let checkpoint = Checkpoint::read(path)?;
        let shown = path.display();
        if checkpoint.kind != kind {
            return Err(Error::Shape(format!(
                "{shown} is a checkpoint of a {:?} fit, not of a {kind:?} fit",
                checkpoint.kind
            )));
        }
        let unreadable =
            |e: serde_json::Error| Error::Shape(format!("{shown}: unreadable settings: {e}"));
        let value = checkpoint.settings.clone();
        let mut settings = match kind {
            ModelKind::Ising => {
                FitSettings::Ising(serde_json::from_value(value).map_err(unreadable)?)
            }
            ModelKind::Kinetic => {
                FitSettings::Kinetic(serde_json::from_value(value).map_err(unreadable)?)
            }
            ModelKind::KPairwise => {
                FitSettings::Ising(serde_json::from_value(value).map_err(unreadable)?)
            }
        };
        if let Some(k) = iters {
            settings.set_max_iters(k);
        }
        let precision = match checkpoint.precision.as_str() {
            "f32" => Precision::F32,
            "f64" => Precision::F64,
            other => {
                return Err(Error::Shape(format!(
                    "{shown}: unknown precision {other:?} (f32 or f64)"
                )))
            }
        };
        let mut job = FitJob::new(settings, precision)?;
        job.resumed = Some(Resumed {
            path: path.to_path_buf(),
            checkpoint,
        });
        Ok(job)
    }

    /// Fit on one part of the data and score the other.
    pub fn with_split(mut self, split: Option<Split>) -> Self {
        self.split = split;
        self
    }

    /// Save the fit's state to `path` every `every` iterations (and when it stops).
    pub fn with_checkpoint(mut self, path: Option<PathBuf>, every: usize) -> Result<Self> {
        if path.is_some() && every == 0 {
            return Err(Error::setting("checkpoint-every", 0, ">= 1"));
        }
        self.checkpoint = path;
        self.checkpoint_every = every;
        Ok(self)
    }

    /// The model the data were generated from, of the fit's family and size; `source`
    /// names it in messages.
    pub fn with_truth(mut self, truth: Option<ModelFile>, source: impl Into<String>) -> Self {
        self.truth = truth;
        self.truth_source = source.into();
        self
    }

    /// How messages name the data, the cells' labels and the seconds spent on input.
    pub fn with_source(
        mut self,
        source: impl Into<String>,
        labels: Vec<String>,
        input_seconds: f64,
    ) -> Self {
        self.source = source.into();
        self.labels = labels;
        self.input_seconds = input_seconds;
        self
    }

    /// The model family (of the fitted model: an equilibrium fit may learn the K-pairwise
    /// model).
    pub fn kind(&self) -> ModelKind {
        self.settings.kind()
    }
}
