//! Checks for models written against the traits: a model whose energy disagrees with its
//! statistics still runs, and fits the wrong parameters without a word, so check it.

use nalgebra::DVector;
use rand::Rng;

use crate::{
    model::{flip, FlipEnergy},
    raster::Spin,
    Error, Real, Result, Statistics,
};

/// Parameter draws checked (the model's own parameters first).
const DRAWS: usize = 4;

/// Random configurations per draw.
const CONFIGURATIONS: usize = 16;

/// Largest number of sites checked per configuration.
const SITES: usize = 64;

/// Checks that a model and its statistics agree, on the model's own parameters and on
/// random perturbations of them (projected on the model's constraints), each at random
/// configurations:
///
/// 1. the statistics have one entry per parameter;
/// 2. E(s) = −θ · φ(s) (the exponential family the loop assumes);
/// 3. [`FlipEnergy::flip_delta`] equals E(s with s_i flipped) − E(s);
/// 4. after a flip ([`crate::model::flip`]), the updated cache gives the same flip energies
///    as a cache built afresh ([`FlipEnergy::local`]);
/// 5. [`Statistics::accumulate`] adds `w · φ(s)` to what the accumulator holds, for random
///    weights w (the samplers pass conditional-mean weights, the averages 1/M);
/// 6. [`Statistics::average`] over the checked configurations is the mean of their φ (a
///    faster `average` of one's own must agree with `accumulate`).
///
/// Returns [`Error::Model`] naming the first disagreement. Tolerances are relative to the
/// size of the terms, a thousand times the scalar's rounding.
///
/// ```
/// use spinfer::prelude::*;
///
/// let model: Ising<f64> = Ising::planted(6, &mut spinfer::seeded(1));
/// check_model(&model, &PairStatistics::new(6), 1).unwrap();
/// // Statistics per site (φ/N) disagree with the energy:
/// struct PerSite(PairStatistics);
/// impl Statistics for PerSite {
///     fn dim(&self) -> usize { self.0.dim() }
///     fn accumulate(&self, s: &[Spin], w: f64, acc: &mut [f64]) {
///         self.0.accumulate(s, w / s.len() as f64, acc)
///     }
/// }
/// assert!(check_model(&model, &PerSite(PairStatistics::new(6)), 1).is_err());
/// // Statistics that ignore their weight:
/// struct Unweighted(PairStatistics);
/// impl Statistics for Unweighted {
///     fn dim(&self) -> usize { self.0.dim() }
///     fn accumulate(&self, s: &[Spin], _w: f64, acc: &mut [f64]) {
///         self.0.accumulate(s, 1.0, acc)
///     }
/// }
/// let e = check_model(&model, &Unweighted(PairStatistics::new(6)), 1).unwrap_err();
/// assert!(e.to_string().contains("weight"), "{e}");
/// ```
pub fn check_model<T, M, S>(model: &M, stats: &S, seed: u64) -> Result<()>
where
    T: Real,
    M: FlipEnergy<T>,
    S: Statistics + ?Sized,
{
    let dim = model.params().len();
    if stats.dim() != dim {
        return Err(Error::Model(format!(
            "the statistics have {} entries but the model {dim} parameters",
            stats.dim()
        )));
    }
    let n = model.n_spins();
    let mut rng = crate::seeded(seed);
    let tolerance = 1e3 * T::default_epsilon().as_f64();
    let mut checked: Vec<Vec<Spin>> = Vec::new();
    for draw in 0..DRAWS {
        let mut m = model.clone();
        if draw > 0 {
            let perturbed: DVector<T> = model
                .params()
                .map(|v| T::cast(v.as_f64() + 0.3 * (2.0 * uniform(&mut rng) - 1.0)));
            m.set_params(&perturbed);
        }
        let theta: Vec<f64> = m.params().iter().map(|v| v.as_f64()).collect();
        for _ in 0..CONFIGURATIONS {
            let mut s: Vec<Spin> = (0..n)
                .map(|_| if rng.next_u64() >> 63 == 1 { 1 } else { -1 })
                .collect();
            let mut phi = vec![0.0; dim];
            stats.accumulate(&s, 1.0, &mut phi);
            check_weighted(stats, &s, &phi, &mut rng)?;
            checked.push(s.clone());
            let dot: f64 = theta.iter().zip(&phi).map(|(a, b)| a * b).sum();
            let scale: f64 = 1.0
                + theta
                    .iter()
                    .zip(&phi)
                    .map(|(a, b)| (a * b).abs())
                    .sum::<f64>();
            let energy = m.energy(&s).as_f64();
            if (energy + dot).abs() > tolerance * scale {
                return Err(Error::Model(format!(
                    "energy(s) = {energy} but −θ·φ(s) = {} for s = {}: the energy must be \
                     minus the parameters times the statistics",
                    -dot,
                    show(&s)
                )));
            }
            let mut local = m.local(&s);
            let sites: Vec<usize> = if n <= SITES {
                (0..n).collect()
            } else {
                (0..SITES)
                    .map(|_| (rng.next_u64() % n as u64) as usize)
                    .collect()
            };
            for &i in &sites {
                let delta = m.flip_delta(&s, &local, i).as_f64();
                let mut t = s.clone();
                t[i] = -t[i];
                let direct = m.energy(&t).as_f64() - energy;
                if (delta - direct).abs() > tolerance * scale {
                    return Err(Error::Model(format!(
                        "flip_delta(s, {i}) = {delta} but E(s with s_{i} flipped) − E(s) = \
                         {direct} for s = {}",
                        show(&s)
                    )));
                }
            }
            // Flip a few sites through the cache, then compare it with a fresh one.
            for &i in sites.iter().take(4) {
                flip(&m, &mut s, &mut local, i);
            }
            let fresh = m.local(&s);
            for &i in &sites {
                let (a, b) = (
                    m.flip_delta(&s, &local, i).as_f64(),
                    m.flip_delta(&s, &fresh, i).as_f64(),
                );
                if (a - b).abs() > tolerance * scale {
                    return Err(Error::Model(format!(
                        "after flips, the updated cache gives flip_delta(s, {i}) = {a} but a \
                         fresh local(s) gives {b} for s = {}: `flipped` does not update the \
                         cache as `local` builds it",
                        show(&s)
                    )));
                }
            }
        }
    }
    check_average(stats, n, &checked)
}

/// Step 5 of [`check_model`]: `accumulate(s, w, acc)` on an accumulator holding `start`
/// leaves `start + w · φ(s)`.
fn check_weighted<S, R>(stats: &S, s: &[Spin], phi: &[f64], rng: &mut R) -> Result<()>
where
    S: Statistics + ?Sized,
    R: Rng,
{
    let weight = 0.1 + 2.0 * uniform(rng);
    let start: Vec<f64> = phi.iter().map(|_| 2.0 * uniform(rng) - 1.0).collect();
    let mut acc = start.clone();
    stats.accumulate(s, weight, &mut acc);
    for (k, ((&a, &p), &z)) in acc.iter().zip(phi).zip(&start).enumerate() {
        let expected = z + weight * p;
        if (a - expected).abs() > 1e-9 * (1.0 + expected.abs() + p.abs()) {
            return Err(Error::Model(format!(
                "accumulate(s, weight {weight:.3}, acc) left acc[{k}] = {a}, not {z} +                  {weight:.3} × φ_{k}(s) = {expected} for s = {}: it must add the weight                  times the statistics to what acc holds",
                show(s)
            )));
        }
    }
    Ok(())
}

/// Step 6 of [`check_model`]: the average over configurations is the mean of their φ.
fn check_average<S: Statistics + ?Sized>(stats: &S, n: usize, configs: &[Vec<Spin>]) -> Result<()> {
    if configs.is_empty() {
        return Ok(());
    }
    let raster = crate::Raster::from_configurations(n, configs.iter().map(|c| &c[..]));
    let average = stats.average(&raster);
    let mut mean = vec![0.0; stats.dim()];
    for c in configs {
        stats.accumulate(c, 1.0 / configs.len() as f64, &mut mean);
    }
    for (k, (&a, &m)) in average.iter().zip(&mean).enumerate() {
        if (a - m).abs() > 1e-9 * (1.0 + m.abs()) {
            return Err(Error::Model(format!(
                "average() gives φ_{k} = {a} over {} configurations, but the mean of their                  accumulated statistics is {m}",
                configs.len()
            )));
        }
    }
    Ok(())
}

fn uniform<R: Rng>(rng: &mut R) -> f64 {
    f64::unit_from_bits(rng.next_u64())
}

/// A configuration as + and − signs (the first 40 spins).
fn show(s: &[Spin]) -> String {
    let mut out: String = s
        .iter()
        .take(40)
        .map(|&x| if x > 0 { '+' } else { '-' })
        .collect();
    if s.len() > 40 {
        out.push('…');
    }
    out
}
