//! Observers: called after every iteration and at every phase of a fit that is not an
//! iteration; may stop the run.

use nalgebra::DVector;

use super::Record;
use crate::Real;

/// Whether the loop goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Keep going.
    Continue,
    /// Stop after this iteration (interrupted: the run is not finished).
    Stop,
    /// Stop after this iteration: the observer's own criterion is met (for example the
    /// model reproduces the data as well as the data reproduce themselves).
    Reached,
}

/// A stretch of a fit between or around its learning iterations, named so that a progress
/// display can say what the fit is doing and an interrupt can be honoured there.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Phase {
    /// The warm start ran `iteration` of at most `budget` passes over the data.
    WarmStart {
        /// Passes done.
        iteration: usize,
        /// The most passes it takes.
        budget: usize,
    },
    /// The fit's own warm start was rejected: Metropolis chains started from the data's
    /// states ran to a mean activity (fraction of active cells) of `activity` against the
    /// data's `data_activity`; the fit starts from independent cells instead.
    StartRejected {
        /// Mean activity of the start's chains.
        activity: f64,
        /// Mean activity of the data.
        data_activity: f64,
    },
    /// Learning iterations begin: announced by the executor with the first record of a run,
    /// just before [`Observer::observe`] sees it (a stop is heard from that call).
    Learning,
    /// A check did not pass, and learning goes on: the model's means and pairs are at these
    /// multiples of the data's split-half difference (the check's own noise included).
    Checked {
        /// RMSE of the means over the split-half RMSE.
        means: f64,
        /// RMSE of the pair moments over the split-half RMSE.
        pairs: f64,
        /// RMSE of P(K), the distribution of the number of active cells, over its
        /// split-half RMSE, when the rule judges it (models with a potential on K).
        activity: Option<f64>,
    },
    /// A check of the stopping rule draws `samples` fresh samples of the current model.
    FreshCheck {
        /// Fresh samples drawn.
        samples: usize,
    },
    /// The returned model is compared with the data on `samples` fresh samples.
    FinalComparison {
        /// Fresh samples drawn.
        samples: usize,
    },
    /// The fitted model is scored on the data (log-likelihood or its estimate).
    Scoring,
}

impl Phase {
    /// The phase in words, for progress displays ("fresh-sample check (200000 samples)").
    pub fn describe(&self) -> String {
        match self {
            Phase::WarmStart { iteration, budget } => {
                format!("warm start: pass {iteration} of at most {budget}")
            }
            Phase::StartRejected {
                activity,
                data_activity,
            } => format!(
                "warm start rejected: its chains from data states ran to {:.1}% activity \
                 (data {:.1}%); starting from independent cells",
                100.0 * activity,
                100.0 * data_activity
            ),
            Phase::Learning => "learning".into(),
            Phase::Checked {
                means,
                pairs,
                activity,
            } => format!(
                "checked: means {means:.2}×, pairs {pairs:.2}×{} the split-half difference; \
                 learning goes on",
                activity.map_or(String::new(), |a| format!(", P(K) {a:.2}×"))
            ),
            Phase::FreshCheck { samples } => format!("fresh-sample check ({samples} samples)"),
            Phase::FinalComparison { samples } => {
                format!("final comparison ({samples} fresh samples)")
            }
            Phase::Scoring => "scoring the model".into(),
        }
    }
}

/// Watches a run: progress bars, custom stopping rules, logging.
pub trait Observer<T: Real> {
    /// Called after each evaluation with its record and the parameters the run would
    /// return if it stopped now (the iterate, or the average of iterates).
    fn observe(&mut self, _record: &Record, _params: &DVector<T>) -> Control {
        Control::Continue
    }

    /// Called when a fit enters `phase` (and after every pass of a warm start).
    /// [`Control::Stop`] ends the fit there: with [`crate::Error::Interrupted`] before the
    /// first iteration or after the last, as after an iteration otherwise.
    fn phase(&mut self, _phase: Phase) -> Control {
        Control::Continue
    }
}

/// An observer that does nothing.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoObserver;

impl<T: Real> Observer<T> for NoObserver {}

impl<T: Real, F: FnMut(&Record, &DVector<T>) -> Control> Observer<T> for F {
    fn observe(&mut self, record: &Record, params: &DVector<T>) -> Control {
        self(record, params)
    }
}
