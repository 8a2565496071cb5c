//! Observers: called after every iteration, may stop the run.

use nalgebra::DVector;

use super::Record;
use crate::Real;

/// Whether the loop goes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Keep going.
    Continue,
    /// Stop after this iteration.
    Stop,
}

/// Watches a run: progress bars, custom stopping rules, logging.
pub trait Observer<T: Real> {
    /// Called after each iteration with its record and the parameters after the step.
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
