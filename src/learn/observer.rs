//! Observers: called after every iteration, may stop the run.

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

/// Watches a run: progress bars, custom stopping rules, logging.
pub trait Observer<T: Real> {
    /// Called after each evaluation with its record and the parameters the run would
    /// return if it stopped now (the iterate, or the average of iterates).
    fn observe(&mut self, _record: &Record, _params: &DVector<T>) -> Control {
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
