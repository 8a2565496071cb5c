//! Fits the data cannot pin down: warnings a front end shows with the result (the command
//! on standard error, Python through `warnings.warn`), so that an ill-posed fit never
//! reports only "converged".

use crate::{Energy, Real};

use super::Fit;

/// Largest |h_i| or |J_ij| taken for a parameter the data pin down. Beyond it one
/// parameter alone moves a conditional firing probability by a factor e^60 ≈ 10²⁶, which no
/// recording can measure: the value is set by the solver's stopping point, not by the data.
/// (Rare cells in a fit of the synthetic retina reach |J| ≈ 13 through few coincidences:
/// loosely pinned, but pinned.)
pub const RUNAWAY_PARAMETER: f64 = 30.0;

/// Warnings about the data themselves, known before any fit: fewer samples than spins (a
/// forgotten layout, or a model with more parameters than the data can fix), constant
/// cells, or a raster in which every cell is constant.
pub fn data_warnings(n_spins: usize, n_samples: usize, constant_cells: &[usize]) -> Vec<String> {
    let mut out = Vec::new();
    if n_samples < n_spins {
        out.push(format!(
            "the data have {n_samples} samples of {n_spins} spins: fewer samples than spins \
             cannot pin the couplings (is the layout right? spins are lines by default); add \
             an L2 penalty (--l2, l2=) if they are"
        ));
    }
    if !constant_cells.is_empty() && constant_cells.len() == n_spins {
        out.push(
            "every cell is constant (never or always active): there are no correlations to \
             fit, and the fields only reflect the pseudocount"
                .into(),
        );
    } else if !constant_cells.is_empty() {
        let list: Vec<String> = constant_cells.iter().map(|c| c.to_string()).collect();
        out.push(format!(
            "cells {} never or always fire; their statistics are regularised with a \
             pseudocount of 1/(M+1) so that their fields stay finite",
            list.join(", ")
        ));
    }
    out
}

/// A warning when some fitted parameter exceeds [`RUNAWAY_PARAMETER`] in magnitude.
pub fn runaway_warning<T: Real>(params: &nalgebra::DVector<T>) -> Option<String> {
    let largest = params.iter().fold(0.0f64, |m, v| m.max(v.as_f64().abs()));
    (largest > RUNAWAY_PARAMETER).then(|| {
        format!(
            "a fitted parameter has size {largest:.3}, above {RUNAWAY_PARAMETER}: the data \
             cannot pin it (too few samples, or cells that always or never fire together); \
             add an L2 penalty (--l2 0.01, l2=0.01)"
        )
    })
}

impl<M> Fit<M> {
    /// Every warning about this fit on `n_samples` samples: [`data_warnings`],
    /// [`runaway_warning`] and a rejected warm start ([`super::start::RejectedStart`]).
    pub fn warnings<T: Real>(&self, n_samples: usize) -> Vec<String>
    where
        M: Energy<T>,
    {
        let mut out = data_warnings(self.model.n_spins(), n_samples, &self.constant_cells);
        out.extend(runaway_warning(self.model.params()));
        out.extend(self.rejected_start.map(|r| r.describe()));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_ill_posed_case_is_named() {
        assert!(data_warnings(4, 1000, &[]).is_empty());
        assert!(data_warnings(2000, 100, &[])[0].contains("fewer samples than spins"));
        assert!(data_warnings(3, 100, &[0, 1, 2])[0].contains("every cell is constant"));
        assert!(data_warnings(3, 100, &[1])[0].contains("cells 1 never"));
        let pinned = nalgebra::DVector::from_vec(vec![-3.0, 13.1]);
        assert_eq!(runaway_warning(&pinned), None);
        let loose = nalgebra::DVector::from_vec(vec![0.1, -1777.0]);
        assert!(runaway_warning(&loose).unwrap().contains("1777.000"));
    }
}
