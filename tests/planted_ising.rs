//! Planted-model recovery for the equilibrium Ising model (N = 5, 100,000 exact samples),
//! with default settings apart from the sampler, in f64 and f32.

mod common;

use common::{ising_rmse, planted_ising};
use spinfer::{
    fit::{fit_ising, IsingFitSettings},
    learn::NoObserver,
    sample::SamplerKind,
    Real,
};

fn recover<T: Real>(sampler: SamplerKind) -> (f64, f64) {
    let (truth, data) = planted_ising(5, 100_000, 11);
    let settings = IsingFitSettings::default().with_sampler(sampler);
    let t0 = std::time::Instant::now();
    let fit = fit_ising::<T>(&data, &settings, &mut NoObserver).unwrap();
    let (h, j) = ising_rmse(&fit.model, &truth);
    eprintln!(
        "{sampler:?} {}: rmse h {h:.4} J {j:.4} after {} iterations ({:?}) in {:?}",
        T::NAME,
        fit.history.records.len(),
        fit.outcome,
        t0.elapsed()
    );
    (h, j)
}

#[test]
fn exact_sampler_recovers_the_planted_model_f64() {
    let (h, j) = recover::<f64>(SamplerKind::Exact);
    assert!(h <= 0.02 && j <= 0.02, "rmse h {h} J {j}");
}

#[test]
fn exact_sampler_recovers_the_planted_model_f32() {
    let (h, j) = recover::<f32>(SamplerKind::Exact);
    assert!(h <= 0.02 && j <= 0.02, "rmse h {h} J {j}");
}

#[test]
fn metropolis_recovers_the_planted_model_f64() {
    let (h, j) = recover::<f64>(SamplerKind::Metropolis);
    assert!(h <= 0.04 && j <= 0.04, "rmse h {h} J {j}");
}

#[test]
fn metropolis_recovers_the_planted_model_f32() {
    let (h, j) = recover::<f32>(SamplerKind::Metropolis);
    assert!(h <= 0.04 && j <= 0.04, "rmse h {h} J {j}");
}
