//! Annealed importance sampling against exact enumeration.

mod common;

use spinfer::{
    sample::{log_partition, AisSettings, ExactDistribution},
    Ising,
};

#[test]
fn ais_log_z_agrees_with_enumeration_at_n16_within_a_hundredth_of_a_nat() {
    for (seed, j_std) in [(51, 0.25), (52, 0.5)] {
        let mut rng = common::rng(seed);
        // J ~ N(0, j_std²): at 0.5 (≈ 2/√N) the model is strongly coupled.
        let model: Ising<f64> = Ising::random(16, 0.5, j_std, &mut rng);
        let exact = ExactDistribution::new(&model).unwrap().log_z();
        let h: Vec<f64> = model.fields().iter().cloned().collect();
        let t0 = std::time::Instant::now();
        let est = log_partition(&model, &h, &AisSettings::default()).unwrap();
        let err = (est.value - exact).abs();
        println!(
            "N = 16, σ_J = {j_std}: exact log Z {exact:.5}, AIS {:.5} ± {:.5} (error {err:.5}) in {:.2?}",
            est.value,
            est.std_error,
            t0.elapsed()
        );
        assert!(err < 0.01, "AIS off by {err}");
        // The error bar is honest: the error is within 5 standard errors (plus the bias of
        // a log of a mean, of order SE²).
        assert!(
            err < 5.0 * est.std_error + 1e-3,
            "error {err} vs SE {}",
            est.std_error
        );
        // Same seed, same estimate.
        let again = log_partition(&model, &h, &AisSettings::default()).unwrap();
        assert_eq!(again, est);
    }
}
