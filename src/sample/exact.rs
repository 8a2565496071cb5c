//! Exact enumeration of all 2^N configurations (N ≤ 20): moments, log Z, log-likelihood and
//! exact samples. The oracle against which Monte Carlo is tested.

use nalgebra::DVector;
use rand::Rng;
use rayon::prelude::*;

use super::{ModelAverages, Sampler};
use crate::{
    model::{flip, FlipEnergy},
    raster::{Raster, Spin},
    Error, Real, Result, Statistics,
};

/// Largest N that is enumerated (2^20 ≈ 10^6 configurations).
pub const MAX_EXACT_SPINS: usize = 20;

/// Configurations whose energy is accumulated by single flips before it is recomputed from
/// scratch, to bound rounding drift (matters in f32).
const REFRESH: usize = 1024;

/// Configuration number k: spin i is up when bit i of k is set.
#[inline]
fn decode(k: usize, s: &mut [Spin]) {
    for (i, si) in s.iter_mut().enumerate() {
        *si = if (k >> i) & 1 == 1 { 1 } else { -1 };
    }
}

/// The exact distribution P(s) = exp(−E(s))/Z of a small model.
#[derive(Clone, Debug)]
pub struct ExactDistribution {
    n: usize,
    /// log P(s) for configuration number k (see `decode`).
    log_probs: Vec<f64>,
    log_z: f64,
}

impl ExactDistribution {
    /// Enumerates the model in Gray-code order, so each configuration costs one flip
    /// (O(N) with the model's local cache) instead of a full energy evaluation.
    pub fn new<T: Real, M: FlipEnergy<T>>(model: &M) -> Result<Self> {
        let n = model.n_spins();
        if n > MAX_EXACT_SPINS {
            return Err(Error::TooManySpins {
                n,
                max: MAX_EXACT_SPINS,
            });
        }
        let states = 1usize << n;
        let mut log_w = vec![0.0; states];
        let mut s: Vec<Spin> = vec![-1; n];
        let mut local = model.local(&s);
        let mut energy = model.energy(&s);
        log_w[0] = -energy.as_f64();
        for k in 1..states {
            let i = k.trailing_zeros() as usize;
            energy += model.flip_delta(&s, &local, i);
            flip(model, &mut s, &mut local, i);
            if k % REFRESH == 0 {
                local = model.local(&s);
                energy = model.energy(&s);
            }
            log_w[k ^ (k >> 1)] = -energy.as_f64();
        }
        let max = log_w.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let log_z = max + log_w.iter().map(|&l| (l - max).exp()).sum::<f64>().ln();
        for l in &mut log_w {
            *l -= log_z;
        }
        Ok(ExactDistribution {
            n,
            log_probs: log_w,
            log_z,
        })
    }

    /// Number of spins.
    pub fn n_spins(&self) -> usize {
        self.n
    }

    /// log Z.
    pub fn log_z(&self) -> f64 {
        self.log_z
    }

    /// log P(s).
    pub fn log_prob(&self, s: &[Spin]) -> f64 {
        let k = s
            .iter()
            .enumerate()
            .fold(0usize, |k, (i, &si)| k | (usize::from(si > 0) << i));
        self.log_probs[k]
    }

    /// Mean log-likelihood per sample of a raster: (1/M) Σ_t log P(s(t)).
    pub fn log_likelihood(&self, data: &Raster) -> Result<f64> {
        if data.n_spins() != self.n {
            return Err(Error::Shape(format!(
                "data has {} spins, the model {}",
                data.n_spins(),
                self.n
            )));
        }
        let mut s = vec![0; self.n];
        let mut total = 0.0;
        for t in 0..data.n_samples() {
            data.column_into(t, &mut s);
            total += self.log_prob(&s);
        }
        Ok(total / data.n_samples().max(1) as f64)
    }

    /// Σ_s P(s) φ(s), in parallel over fixed blocks of configurations (deterministic).
    pub fn average(&self, stats: &dyn Statistics) -> DVector<f64> {
        let dim = stats.dim();
        let block = 4096.min(self.log_probs.len());
        let partial: Vec<Vec<f64>> = self
            .log_probs
            .par_chunks(block)
            .enumerate()
            .map(|(b, chunk)| {
                let mut acc = vec![0.0; dim];
                let mut s = vec![0; self.n];
                for (k, &lp) in chunk.iter().enumerate() {
                    decode(b * block + k, &mut s);
                    stats.accumulate(&s, lp.exp(), &mut acc);
                }
                acc
            })
            .collect();
        let mut total = vec![0.0; dim];
        for p in &partial {
            for (t, v) in total.iter_mut().zip(p) {
                *t += v;
            }
        }
        DVector::from_vec(total)
    }

    /// `m` independent exact samples (inverse transform on the cumulative distribution).
    pub fn sample<R: Rng + ?Sized>(&self, m: usize, rng: &mut R) -> Raster {
        let mut cumulative = Vec::with_capacity(self.log_probs.len());
        let mut acc = 0.0;
        for &lp in &self.log_probs {
            acc += lp.exp();
            cumulative.push(acc);
        }
        let mut out = Raster::zeros(self.n, m);
        let mut s = vec![0; self.n];
        for t in 0..m {
            let u = f64::unit_from_bits(rng.next_u64()) * acc;
            let k = cumulative
                .partition_point(|&c| c <= u)
                .min(cumulative.len() - 1);
            decode(k, &mut s);
            out.set_column(t, &s);
        }
        out
    }
}

/// A [`Sampler`] that returns exact model averages and log Z by enumeration (N ≤ 20).
///
/// ```
/// use spinfer::prelude::*;
///
/// let mut model = Ising::<f64>::zeros(2);
/// model.params_mut()[0] = 0.5; // h_1
/// model.project();
/// let averages = ExactSampler.averages(&model, &PairStatistics::new(2)).unwrap();
/// assert!((averages.stats[0] - 0.5f64.tanh()).abs() < 1e-12);
/// ```
#[derive(Clone, Copy, Debug, Default)]
pub struct ExactSampler;

impl<T: Real, M: FlipEnergy<T>> Sampler<T, M> for ExactSampler {
    type State = ();

    /// In debug builds the model is first checked against its statistics
    /// ([`crate::testing::check_model`]): the exact log-likelihood is only right when
    /// E(s) = −θ·φ(s).
    fn averages(&mut self, model: &M, stats: &dyn Statistics) -> Result<ModelAverages> {
        #[cfg(debug_assertions)]
        crate::testing::check_model(model, stats, 0)?;
        let dist = ExactDistribution::new(model)?;
        Ok(ModelAverages {
            stats: dist.average(stats),
            log_partition: Some(dist.log_z()),
            std_error: None,
        })
    }

    fn is_exact(&self) -> bool {
        true
    }

    fn state(&self) {}

    fn restore(&mut self, _state: ()) -> Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{model::Ising, PairStatistics};
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn gray_code_energies_match_direct_evaluation() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let model: Ising<f64> = Ising::random(7, 0.6, 0.6, &mut rng);
        let dist = ExactDistribution::new(&model).unwrap();
        let mut s = vec![0; 7];
        let mut z = 0.0;
        for k in 0..128 {
            decode(k, &mut s);
            z += (-model.energy(&s)).exp();
        }
        approx::assert_relative_eq!(dist.log_z(), z.ln(), epsilon = 1e-12);
        decode(77, &mut s);
        approx::assert_relative_eq!(
            dist.log_prob(&s),
            -model.energy(&s) - z.ln(),
            epsilon = 1e-12
        );
    }

    #[test]
    fn too_many_spins_is_refused() {
        let model: Ising<f32> = Ising::zeros(MAX_EXACT_SPINS + 1);
        let err = ExactDistribution::new(&model).unwrap_err();
        assert!(matches!(err, Error::TooManySpins { n: 21, max: 20 }));
    }

    #[test]
    fn independent_spins_have_tanh_means() {
        let mut model: Ising<f64> = Ising::zeros(3);
        model.params_mut()[0] = 0.4;
        use crate::model::Energy;
        model.project();
        let dist = ExactDistribution::new(&model).unwrap();
        let avg = dist.average(&PairStatistics::new(3));
        approx::assert_relative_eq!(avg[0], 0.4f64.tanh(), epsilon = 1e-12);
        approx::assert_abs_diff_eq!(avg[1], 0.0, epsilon = 1e-12);
    }
}
