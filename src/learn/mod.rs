//! The learning loop: one [`Learner`] drives any model through the four traits.

pub mod history;
pub mod learner;
pub mod observer;
pub mod penalty;
pub mod settings;

pub use history::{History, Record};
pub use learner::{Accepted, Learner, LearnerState, Outcome};
pub use observer::{Control, NoObserver, Observer};
pub use penalty::Penalty;
pub use settings::LearnSettings;
