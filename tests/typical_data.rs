//! Default settings on typical data: 160 sparse-firing cells (h ≈ −1.5, J ~ N(0, 0.25/N),
//! about 6 % activity). The fit must stay in the data's phase (a model that drifts into
//! another phase has max |gradient| of order 1) and recover J better than J = 0 does.

mod common;

use rand_distr::{Distribution, Normal};
use spinfer::{
    fit::{fit_ising, IsingFitSettings},
    learn::NoObserver,
    sample::{McmcSettings, Metropolis},
    Energy, Ising,
};

#[test]
fn default_equilibrium_fit_is_stable_on_sparse_160_cell_data() {
    let n = 160;
    let mut rng = common::rng(7);
    let mut truth: Ising<f64> = Ising::random(n, 0.1, (0.25 / n as f64).sqrt(), &mut rng);
    let shift = Normal::new(-1.5, 0.1).unwrap();
    for i in 0..n {
        truth.params_mut()[i] = shift.sample(&mut rng);
    }
    truth.project();
    let mut chains = Metropolis::new(
        McmcSettings::default()
            .with_samples(60_000)
            .with_sweeps(10)
            .with_burn_in(2_000)
            .with_seed(3),
    )
    .unwrap();
    let data = chains.sample(&truth);
    assert!(
        (0.03..0.12).contains(&data.density()),
        "density {}",
        data.density()
    );

    let fit = fit_ising::<f64>(&data, &IsingFitSettings::default(), &mut NoObserver).unwrap();
    let last = fit.history.records.last().unwrap().max_abs_gradient();
    let (p, q) = (fit.model.params(), truth.params());
    let pairs = p.len() - n;
    let rmse_j = ((n..p.len()).map(|k| (p[k] - q[k]).powi(2)).sum::<f64>() / pairs as f64).sqrt();
    let spread_j = ((n..q.len()).map(|k| q[k].powi(2)).sum::<f64>() / pairs as f64).sqrt();
    eprintln!("final max|grad| {last:.3}, RMSE J {rmse_j:.4} vs true spread {spread_j:.4}");
    assert!(
        last < 0.2,
        "the fit left the data's phase: max |gradient| {last}"
    );
    assert!(
        rmse_j < spread_j,
        "RMSE J {rmse_j} is no better than J = 0 ({spread_j})"
    );
}
