//! Checks of a state read back from a checkpoint, before any solver touches it: the CRC of a
//! checkpoint guards against damage, not against a state that is consistent JSON but not a
//! state of this fit (an entry deleted from a vector, an edit with the checksum recomputed).

use nalgebra::DVector;

use crate::{Error, Result};

/// The error for a restored state that does not fit the model.
pub fn inconsistent(what: &str, why: String) -> Error {
    Error::Shape(format!(
        "the checkpoint's {what} {why}: it does not belong to this model and settings"
    ))
}

/// `got` entries where the model needs `want`.
pub fn check_len(what: &str, got: usize, want: usize) -> Result<()> {
    if got != want {
        return Err(inconsistent(what, format!("has {got} entries, not {want}")));
    }
    Ok(())
}

/// A vector of `want` finite entries.
pub fn check_vector<T: crate::Real>(what: &str, v: &DVector<T>, want: usize) -> Result<()> {
    check_len(what, v.len(), want)?;
    if v.iter().any(|x| !x.is_finite()) {
        return Err(inconsistent(what, "holds a non-finite value".into()));
    }
    Ok(())
}
