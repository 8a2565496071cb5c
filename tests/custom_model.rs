//! A model written outside the crate, against the public traits only, fitted by the same loop.
//!
//! The mean-field (Curie–Weiss) model: E(s) = −h M − (j / 2N) M² with M = Σ_i s_i, two
//! parameters θ = (h, j) and statistics φ(s) = (M, M²/2N). Its local cache is M itself, so a
//! flip costs O(1).

mod common;

use nalgebra::DVector;
use spinfer::{
    model::ParamGroup,
    optim::Adam,
    sample::{ExactDistribution, ExactSampler, McmcSettings, Metropolis},
    Energy, FlipEnergy, LearnSettings, Learner, Real, Spin, Statistics,
};

#[derive(Clone, Debug)]
struct MeanField<T: Real> {
    n: usize,
    params: DVector<T>,
}

impl<T: Real> Energy<T> for MeanField<T> {
    fn n_spins(&self) -> usize {
        self.n
    }
    fn params(&self) -> &DVector<T> {
        &self.params
    }
    fn params_mut(&mut self) -> &mut DVector<T> {
        &mut self.params
    }
    fn project(&mut self) {}
    fn groups(&self) -> Vec<ParamGroup> {
        vec![
            ParamGroup {
                name: "h",
                range: 0..1,
            },
            ParamGroup {
                name: "j",
                range: 1..2,
            },
        ]
    }
}

impl<T: Real> FlipEnergy<T> for MeanField<T> {
    type Local = i64;

    fn energy(&self, s: &[Spin]) -> T {
        let m = T::cast(s.iter().map(|&x| x as f64).sum::<f64>());
        -(self.params[0] * m + self.params[1] * m * m / T::cast(2.0 * self.n as f64))
    }
    fn local(&self, s: &[Spin]) -> i64 {
        s.iter().map(|&x| x as i64).sum()
    }
    fn flip_delta(&self, s: &[Spin], m: &i64, i: usize) -> T {
        let after = m - 2 * s[i] as i64;
        let (a, b) = (T::cast(after as f64), T::cast(*m as f64));
        let two_n = T::cast(2.0 * self.n as f64);
        -(self.params[0] * (a - b) + self.params[1] * (a * a - b * b) / two_n)
    }
    fn flip(&self, s: &mut [Spin], m: &mut i64, i: usize) {
        s[i] = -s[i];
        *m += 2 * s[i] as i64;
    }
}

struct MeanFieldStatistics {
    n: usize,
}

impl<T: Real> Statistics<T> for MeanFieldStatistics {
    fn dim(&self) -> usize {
        2
    }
    fn accumulate(&self, s: &[Spin], weight: f64, acc: &mut [f64]) {
        let m: f64 = s.iter().map(|&x| x as f64).sum();
        acc[0] += weight * m;
        acc[1] += weight * m * m / (2.0 * self.n as f64);
    }
}

/// Standard errors of the maximum-likelihood estimate from M samples: sqrt(diag(I⁻¹)/M) with
/// the Fisher information I = Cov(φ), computed exactly.
fn standard_errors(model: &MeanField<f64>, samples: usize) -> [f64; 2] {
    let dist = ExactDistribution::new(model).unwrap();
    let n = model.n;
    let (mut e, mut cov) = ([0.0; 2], [[0.0; 2]; 2]);
    for k in 0..(1usize << n) {
        let s: Vec<Spin> = (0..n)
            .map(|i| if (k >> i) & 1 == 1 { 1 } else { -1 })
            .collect();
        let p = dist.log_prob(&s).exp();
        let m: f64 = s.iter().map(|&x| x as f64).sum();
        let phi = [m, m * m / (2.0 * n as f64)];
        for a in 0..2 {
            e[a] += p * phi[a];
            for b in 0..2 {
                cov[a][b] += p * phi[a] * phi[b];
            }
        }
    }
    for a in 0..2 {
        for b in 0..2 {
            cov[a][b] -= e[a] * e[b];
        }
    }
    let det = cov[0][0] * cov[1][1] - cov[0][1] * cov[1][0];
    let m = samples as f64;
    [(cov[1][1] / det / m).sqrt(), (cov[0][0] / det / m).sqrt()]
}

fn fit_with<X: spinfer::Sampler<f64, MeanField<f64>>>(sampler: X) -> (MeanField<f64>, [f64; 2]) {
    let n = 12;
    let truth = MeanField {
        n,
        params: DVector::from_vec(vec![0.15, 0.6]),
    };
    let samples = 50_000;
    let data = ExactDistribution::new(&truth)
        .unwrap()
        .sample(samples, &mut common::rng(4));
    let start = MeanField {
        n,
        params: DVector::zeros(2),
    };
    let mut learner = Learner::new(
        start,
        MeanFieldStatistics { n },
        sampler,
        Adam::with_lr(0.02),
        &data,
    )
    .unwrap();
    let settings = LearnSettings {
        max_iters: 600,
        grad_tol: 1e-8,
        average_tail: 0.3,
        adaptive_step: true,
        target_pearson: None,
    };
    learner
        .run(&settings, &mut spinfer::learn::NoObserver)
        .unwrap();
    (learner.into_model(), standard_errors(&truth, samples))
}

#[test]
fn a_model_written_outside_the_crate_is_fitted_by_the_loop_exactly() {
    let (fit, se) = fit_with(ExactSampler);
    let truth = [0.15, 0.6];
    for k in 0..2 {
        let z = (fit.params[k] - truth[k]).abs() / se[k];
        eprintln!(
            "exact: parameter {k}: {} vs {} ({z:.2} SE)",
            fit.params[k], truth[k]
        );
        assert!(z <= 5.0, "parameter {k} is {z:.1} standard errors off");
    }
}

#[test]
fn a_model_written_outside_the_crate_is_fitted_by_the_loop_with_metropolis() {
    let chains = Metropolis::new(McmcSettings {
        samples: 20_000,
        ..Default::default()
    })
    .unwrap();
    let (fit, se) = fit_with(chains);
    let truth = [0.15, 0.6];
    for k in 0..2 {
        // The Monte Carlo side adds its own noise, of the order of the data's own: allow 5 SE
        // of the sum of both variances.
        let z = (fit.params[k] - truth[k]).abs() / (se[k] * 2f64.sqrt());
        eprintln!(
            "metropolis: parameter {k}: {} vs {} ({z:.2} SE)",
            fit.params[k], truth[k]
        );
        assert!(z <= 5.0, "parameter {k} is {z:.1} standard errors off");
    }
}
