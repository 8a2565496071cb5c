//! The executor: one loop drives any [solver](crate::solve) on any problem, and owns the
//! budget, the stopping rule, the observers, the history and checkpoints.

pub mod executor;
pub mod observer;
pub use crate::restored;
pub mod settings;

pub use crate::record::{History, Record};
pub use executor::{CheckpointSink, Learner, LearnerState, Outcome};
pub use observer::{Control, NoObserver, Observer, Phase};
pub use settings::LearnSettings;
