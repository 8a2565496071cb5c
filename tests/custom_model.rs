//! Models written outside the crate, against the public traits only, fitted by the same loop
//! with every kind of solver, and checked against their statistics.
//!
//! The mean-field (Curie–Weiss) model: E(s) = −h M − (j / 2N) M² with M = Σ_i s_i, two
//! parameters θ = (h, j) and statistics φ(s) = (M, M²/2N). Its local cache is M itself, so a
//! flip costs O(1).

mod common;

use spinfer::{nalgebra::DVector, prelude::*, testing::check_model, Error};

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
    fn groups(&self) -> Vec<ParamGroup> {
        vec![
            ParamGroup::fields("h", 0..1),
            ParamGroup::couplings("j", 1..2),
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
    fn flipped(&self, s: &[Spin], m: &mut i64, i: usize) {
        *m += 2 * s[i] as i64;
    }
}

struct MeanFieldStatistics {
    n: usize,
}

impl Statistics for MeanFieldStatistics {
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
    let cov = dist
        .covariance(&MeanFieldStatistics { n: model.n })
        .unwrap();
    let se = spinfer::validate::standard_errors(&cov, samples).unwrap();
    [se[0], se[1]]
}

const N: usize = 12;
const SAMPLES: usize = 50_000;

fn truth() -> MeanField<f64> {
    MeanField {
        n: N,
        params: DVector::from_vec(vec![0.15, 0.6]),
    }
}

/// Fits the planted model with `sampler` and `solver`; returns the estimate and the
/// standard errors of maximum likelihood.
fn fit_with<X, S>(sampler: X, solver: S, settings: &LearnSettings) -> (MeanField<f64>, [f64; 2])
where
    X: Sampler<f64, MeanField<f64>>,
    S: Solver<Likelihood<f64, MeanField<f64>, MeanFieldStatistics, X>>,
{
    let data = ExactDistribution::new(&truth())
        .unwrap()
        .sample(SAMPLES, &mut common::rng(4));
    let start = MeanField {
        n: N,
        params: DVector::zeros(2),
    };
    let objective = Likelihood::new(start, MeanFieldStatistics { n: N }, sampler, &data).unwrap();
    let mut learner = Learner::new(objective, solver).unwrap();
    learner.run(settings, &mut NoObserver).unwrap();
    (learner.into_model(), standard_errors(&truth(), SAMPLES))
}

fn assert_within(fit: &MeanField<f64>, se: [f64; 2], z_max: f64, what: &str) {
    let truth = [0.15, 0.6];
    for k in 0..2 {
        let z = (fit.params[k] - truth[k]).abs() / se[k];
        eprintln!(
            "{what}: parameter {k}: {} vs {} ({z:.2} SE)",
            fit.params[k], truth[k]
        );
        assert!(
            z <= z_max,
            "{what}: parameter {k} is {z:.1} standard errors off"
        );
    }
}

#[test]
fn the_model_agrees_with_its_statistics() {
    check_model(&truth(), &MeanFieldStatistics { n: N }, 3).unwrap();
}

#[test]
fn lbfgs_over_exact_enumeration_reaches_the_maximum_likelihood_point() {
    let stop = LearnSettings::default().with_grad_tol(1e-10);
    let (fit, se) = fit_with(ExactSampler, Lbfgs::default(), &stop);
    assert_within(&fit, se, 5.0, "L-BFGS, exact");
    // At the maximum the model's statistics equal the data's.
    let data = ExactDistribution::new(&truth())
        .unwrap()
        .sample(SAMPLES, &mut common::rng(4));
    let stats = MeanFieldStatistics { n: N };
    let data_phi = stats.average(&data);
    let model_phi = ExactDistribution::new(&fit).unwrap().average(&stats);
    assert!((&data_phi - &model_phi).amax() < 1e-9);
}

#[test]
fn adam_over_exact_enumeration_is_within_five_standard_errors() {
    let stop = LearnSettings::default()
        .with_max_iters(600)
        .with_grad_tol(1e-8);
    let solver = Stochastic::new(Adam::with_lr(0.02)).with_adaptive_steps(true);
    let (fit, se) = fit_with(ExactSampler, solver, &stop);
    assert_within(&fit, se, 5.0, "Adam, exact");
}

#[test]
fn adam_over_metropolis_chains_is_within_five_standard_errors() {
    let chains = Metropolis::new(McmcSettings::default().with_samples(20_000)).unwrap();
    let stop = LearnSettings::default()
        .with_max_iters(600)
        .with_grad_tol(0.0);
    let solver = Stochastic::new(Adam::with_lr(0.02)).with_averaging(Averaging::Tail(0.3));
    let (fit, se) = fit_with(chains, solver, &stop);
    // The Monte Carlo side adds its own noise, of the order of the data's own: allow 5 SE
    // of the sum of both variances.
    assert_within(
        &fit,
        [se[0] * 2f64.sqrt(), se[1] * 2f64.sqrt()],
        5.0,
        "Adam, Metropolis",
    );
}

/// The 2D lattice of the issue that found the holes: uniform h and J on an L × L torus.
#[derive(Clone)]
struct Lattice {
    l: usize,
    params: DVector<f64>,
    /// A planted mistake: the flip energy without its factor 2.
    half_flip: bool,
}

impl Energy<f64> for Lattice {
    fn n_spins(&self) -> usize {
        self.l * self.l
    }
    fn params(&self) -> &DVector<f64> {
        &self.params
    }
    fn params_mut(&mut self) -> &mut DVector<f64> {
        &mut self.params
    }
}

impl Lattice {
    fn neighbours(&self, s: &[Spin], i: usize) -> f64 {
        let (l, x, y) = (self.l, i % self.l, i / self.l);
        let at = |x: usize, y: usize| s[(y % l) * l + x % l] as f64;
        at(x + 1, y) + at(x + l - 1, y) + at(x, y + 1) + at(x, y + l - 1)
    }
}

impl FlipEnergy<f64> for Lattice {
    type Local = ();
    fn energy(&self, s: &[Spin]) -> f64 {
        let mut phi = [0.0; 2];
        LatticeStatistics {
            l: self.l,
            per_site: false,
        }
        .accumulate(s, 1.0, &mut phi);
        -(self.params[0] * phi[0] + self.params[1] * phi[1])
    }
    fn flip_delta(&self, s: &[Spin], _: &(), i: usize) -> f64 {
        let factor = if self.half_flip { 1.0 } else { 2.0 };
        factor * s[i] as f64 * (self.params[0] + self.params[1] * self.neighbours(s, i))
    }
}

/// φ = (Σ_i s_i, Σ_⟨ij⟩ s_i s_j), or (a planted mistake) the same per site.
struct LatticeStatistics {
    l: usize,
    per_site: bool,
}

impl Statistics for LatticeStatistics {
    fn dim(&self) -> usize {
        2
    }
    fn accumulate(&self, s: &[Spin], w: f64, acc: &mut [f64]) {
        let l = self.l;
        let w = if self.per_site { w / (l * l) as f64 } else { w };
        for y in 0..l {
            for x in 0..l {
                let si = s[y * l + x] as f64;
                acc[0] += w * si;
                acc[1] += w * si * (s[y * l + (x + 1) % l] + s[((y + 1) % l) * l + x]) as f64;
            }
        }
    }
}

#[test]
fn check_model_catches_per_site_statistics_and_a_missing_factor_two() {
    let lattice = |half_flip| Lattice {
        l: 4,
        params: DVector::from_vec(vec![0.1, 0.3]),
        half_flip,
    };
    let stats = |per_site| LatticeStatistics { l: 4, per_site };
    check_model(&lattice(false), &stats(false), 1).unwrap();
    let err = check_model(&lattice(false), &stats(true), 1).unwrap_err();
    assert!(
        matches!(&err, Error::Model(m) if m.contains("θ·φ")),
        "{err}"
    );
    let err = check_model(&lattice(true), &stats(false), 1).unwrap_err();
    assert!(
        matches!(&err, Error::Model(m) if m.contains("flip_delta")),
        "{err}"
    );
    // The exact sampler refuses the inconsistent model in debug builds, where it runs the
    // check itself.
    if cfg!(debug_assertions) {
        let refused = ExactSampler.averages(&lattice(true), &stats(false));
        assert!(matches!(refused, Err(Error::Model(_))));
    }
}
