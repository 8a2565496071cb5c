//! A model of your own: the 2D Ising lattice with one field h and one coupling J on an
//! L × L torus, E(s) = −h Σ_i s_i − J Σ_⟨ij⟩ s_i s_j, written against the public traits
//! (the model is the block between the two rules below: its statistics are
//! φ(s) = (Σ_i s_i, Σ_⟨ij⟩ s_i s_j), each bond counted once as a right or down neighbour)
//! and fitted with every sampler and
//! optimiser:
//!
//! * L = 4 (16 spins) by exact enumeration: L-BFGS to the maximum-likelihood point, then plain
//!   gradient, momentum and Adam from zero, measured against that point;
//! * L = 16 (256 spins) with Metropolis and Gibbs chains and each optimiser, measured against
//!   the truth in standard errors of maximum likelihood.
//!
//! Run: `cargo run --release --example lattice`.

use spinfer::{nalgebra::DVector, prelude::*};

// ---------------------------------------------------------------------------------------
#[derive(Clone)]
struct Lattice {
    l: usize,
    params: DVector<f64>,
}

#[rustfmt::skip]
impl Energy<f64> for Lattice {
    fn n_spins(&self) -> usize { self.l * self.l }
    fn params(&self) -> &DVector<f64> { &self.params }
    fn params_mut(&mut self) -> &mut DVector<f64> { &mut self.params }
}

impl FlipEnergy<f64> for Lattice {
    type Local = ();
    fn energy(&self, s: &[Spin]) -> f64 {
        let mut phi = [0.0; 2];
        LatticeStatistics { l: self.l }.accumulate(s, 1.0, &mut phi);
        -(self.params[0] * phi[0] + self.params[1] * phi[1])
    }
    fn flip_delta(&self, s: &[Spin], _: &(), i: usize) -> f64 {
        let (l, x, y) = (self.l, i % self.l, i / self.l);
        let at = |x: usize, y: usize| s[(y % l) * l + x % l] as f64;
        let neighbours = at(x + 1, y) + at(x + l - 1, y) + at(x, y + 1) + at(x, y + l - 1);
        2.0 * s[i] as f64 * (self.params[0] + self.params[1] * neighbours)
    }
}

struct LatticeStatistics {
    l: usize,
}

impl Statistics for LatticeStatistics {
    #[rustfmt::skip]
    fn dim(&self) -> usize { 2 }
    fn accumulate(&self, s: &[Spin], w: f64, acc: &mut [f64]) {
        for (i, &si) in s.iter().enumerate() {
            let (x, y, l) = (i % self.l, i / self.l, self.l);
            acc[0] += w * si as f64;
            acc[1] += w * (si * (s[y * l + (x + 1) % l] + s[((y + 1) % l) * l + x])) as f64;
        }
    }
}
// ---------------------------------------------------------------------------------------

const TRUTH: [f64; 2] = [0.1, 0.3];

fn lattice(l: usize, params: [f64; 2]) -> Lattice {
    Lattice {
        l,
        params: DVector::from_row_slice(&params),
    }
}

/// Standard errors of maximum likelihood from `data`: √(diag(I⁻¹) / M), with the Fisher
/// information I = Cov(φ) estimated on the data themselves.
fn standard_errors(data: &Raster, stats: &LatticeStatistics) -> [f64; 2] {
    let cov = statistics_covariance(data, stats).expect("two statistics");
    let se = spinfer::validate::standard_errors(&cov, data.n_samples()).expect("identified");
    [se[0], se[1]]
}

/// The three optimisers, with rates for N spins: the gradient of θ·φ(s) grows as N, so the
/// rates of plain gradient and momentum shrink as 1/N (Adam's steps do not depend on the
/// gradient's scale).
fn optimisers(n: usize) -> [(&'static str, AnyOptimizer); 3] {
    let scale = 16.0 / n as f64;
    [
        (
            "plain gradient",
            AnyOptimizer::new(OptimizerKind::Sgd, 0.01 * scale),
        ),
        (
            "momentum",
            AnyOptimizer::new(OptimizerKind::Momentum, 0.002 * scale),
        ),
        ("Adam", AnyOptimizer::new(OptimizerKind::Adam, 0.01)),
    ]
}

/// Fits `data` from θ = 0 with `sampler` and `solver`; prints and returns the estimate.
fn fit<X, S>(name: &str, data: &Raster, sampler: X, solver: S, stop: &LearnSettings) -> [f64; 2]
where
    X: Sampler<f64, Lattice>,
    S: Solver<Likelihood<f64, Lattice, LatticeStatistics, X>>,
{
    let l = (data.n_spins() as f64).sqrt() as usize;
    let objective = Likelihood::new(lattice(l, [0.0; 2]), LatticeStatistics { l }, sampler, data)
        .expect("a valid objective");
    let mut learner = Learner::new(objective, solver).expect("a valid solver");
    let outcome = learner.run(stop, &mut NoObserver).expect("a finite fit");
    let theta = learner.into_model().params;
    println!(
        "  {name:<28} h = {:.5}, J = {:.5} ({outcome:?})",
        theta[0], theta[1]
    );
    [theta[0], theta[1]]
}

fn main() -> Result<()> {
    let mut rng = spinfer::seeded(1);

    println!("L = 4 by exact enumeration, 100,000 samples of the truth (h, J) = {TRUTH:?}");
    let truth = lattice(4, TRUTH);
    check_model(&truth, &LatticeStatistics { l: 4 }, 1)?;
    let data = ExactDistribution::new(&truth)?.sample(100_000, &mut rng);
    let exact = LearnSettings::default().with_grad_tol(1e-10);
    let best = fit("L-BFGS", &data, ExactSampler, Lbfgs::default(), &exact);
    let gradient = {
        let stats = LatticeStatistics { l: 4 };
        let model = ExactDistribution::new(&lattice(4, best))?.average(&stats);
        (stats.average(&data) - model).amax()
    };
    println!("  max |∂L/∂θ| at the L-BFGS point: {gradient:.1e} (the maximum-likelihood point)");
    let first_order = exact.clone().with_max_iters(2000).with_grad_tol(1e-8);
    for (name, optimiser) in optimisers(16) {
        let solver = Stochastic::new(optimiser).with_adaptive_steps(true);
        let theta = fit(name, &data, ExactSampler, solver, &first_order);
        let gap = (theta[0] - best[0]).abs().max((theta[1] - best[1]).abs());
        println!("    {gap:.1e} from the maximum-likelihood point");
    }

    let (l, m) = (16, 20_000);
    println!("L = 16 with Monte Carlo chains, {m} independent samples of the truth");
    let truth = lattice(l, TRUTH);
    let fresh = FreshSamples {
        samples: m,
        sweeps: 20,
        ..Default::default()
    };
    let data = fresh.ising(&truth)?;
    let se = standard_errors(&data, &LatticeStatistics { l });
    println!(
        "  standard errors of maximum likelihood: h {:.1e}, J {:.1e}",
        se[0], se[1]
    );
    let stop = LearnSettings::default()
        .with_max_iters(400)
        .with_grad_tol(0.0);
    let chains = McmcSettings::default().with_samples(5_000);
    for kind in [SamplerKind::Metropolis, SamplerKind::Gibbs] {
        for (name, optimiser) in optimisers(l * l) {
            let solver = Stochastic::new(optimiser).with_averaging(Averaging::Tail(0.5));
            let sampler = AnySampler::new(kind, &chains)?;
            let theta = fit(&format!("{kind:?}, {name}"), &data, sampler, solver, &stop);
            let z = [0, 1].map(|k| (theta[k] - TRUTH[k]) / se[k]);
            println!(
                "    ({:+.1}, {:+.1}) standard errors from the truth",
                z[0], z[1]
            );
        }
    }
    Ok(())
}
