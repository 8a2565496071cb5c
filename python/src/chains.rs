//! Persistent Monte Carlo chains held by a Python object: the worker side of
//! `spinfer.dask.fit_ising`, where each worker keeps its own chains between iterations and
//! only the parameters come in and the moment averages go out.

use numpy::{PyArray1, PyReadonlyArray1};
use pyo3::{exceptions::PyValueError, prelude::*};
use spinfer::{
    nalgebra::DVector,
    sample::{AnySampler, McmcSettings, Sampler, SamplerKind},
    Energy, Ising, PairStatistics,
};

use crate::convert::{named, py_error};

/// Means of the statistics and their standard errors.
type MeansAndErrors<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray1<f64>>);

/// Chains of one worker: `chains` persistent chains of an N-spin equilibrium model with
/// their own seed.
#[pyclass(module = "spinfer._native")]
pub struct Chains {
    n: usize,
    sampler: AnySampler,
}

#[pymethods]
impl Chains {
    #[new]
    #[pyo3(signature = (n, *, sampler="metropolis", chains=16, seed=1, sweeps=1, burn_in=500, rao_blackwell=true))]
    fn new(
        n: usize,
        sampler: &str,
        chains: usize,
        seed: u64,
        sweeps: usize,
        burn_in: usize,
        rao_blackwell: bool,
    ) -> PyResult<Self> {
        spinfer::model::check_dense_size(n).map_err(py_error)?;
        let kind: SamplerKind = named("sampler", sampler)?;
        let single_site = [SamplerKind::Metropolis, SamplerKind::Gibbs];
        if !single_site.contains(&kind) {
            let names: Vec<String> = single_site.iter().map(spinfer::choice::name).collect();
            return Err(py_error(spinfer::Error::setting(
                "sampler",
                format!("{sampler:?}"),
                names.join(" or "),
            )));
        }
        let settings = McmcSettings::default()
            .with_chains(chains)
            .with_seed(seed)
            .with_sweeps(sweeps)
            .with_burn_in(burn_in)
            .with_rao_blackwell(rao_blackwell)
            .with_samples(chains);
        settings.check().map_err(py_error)?;
        let sampler = AnySampler::new(kind, &settings).map_err(py_error)?;
        if Sampler::<f64, Ising<f64>>::is_exact(&sampler) {
            return Err(PyValueError::new_err(
                "distributed chains are Monte Carlo chains: choose metropolis or gibbs",
            ));
        }
        Ok(Chains { n, sampler })
    }

    /// Runs the chains for `samples` samples at the parameters `theta` (fields, then the
    /// couplings i < j in row order, as the model's parameter vector) and returns the means
    /// of (s_i, s_i s_j) and their standard errors.
    fn averages<'py>(
        &mut self,
        py: Python<'py>,
        theta: PyReadonlyArray1<'py, f64>,
        samples: usize,
    ) -> PyResult<MeansAndErrors<'py>> {
        let stats = PairStatistics::new(self.n);
        let theta = theta.as_array();
        if theta.len() != self.n + self.n * (self.n - 1) / 2 {
            return Err(PyValueError::new_err(format!(
                "theta has {} entries, a model of {} spins has {}",
                theta.len(),
                self.n,
                self.n + self.n * (self.n - 1) / 2
            )));
        }
        let mut model = Ising::<f64>::zeros(self.n);
        model.set_params(&DVector::from_iterator(theta.len(), theta.iter().copied()));
        let sampler = &mut self.sampler;
        let averages = py
            .detach(|| {
                Sampler::<f64, Ising<f64>>::set_samples(sampler, samples)?;
                sampler.averages(&model, &stats)
            })
            .map_err(py_error)?;
        let se = averages
            .std_error
            .unwrap_or_else(|| DVector::from_element(averages.stats.len(), f64::NAN));
        Ok((
            PyArray1::from_slice(py, averages.stats.as_slice()),
            PyArray1::from_slice(py, se.as_slice()),
        ))
    }
}
