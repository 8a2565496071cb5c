//! Free runs of a kinetic model from the data's own states, and the check that they stay at
//! the data's activity level.
//!
//! A kinetic model fitted to a recording with shared drive can have two stable activity
//! levels (two fixed points of its mean-field dynamics m = tanh(h + J m)). A run from a
//! uniformly random state (half the cells up) then settles at the high one although the
//! data never visit it. Runs started from states of the recording show the dynamics the fit
//! learned from them; a run from a random state that settles elsewhere is reported as a
//! second stable level.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{simulate, FreshSamples};
use crate::{
    model::{Energy, KineticIsing},
    Error, Raster, Real, Result,
};

/// The mean activity (fraction of cells up per bin) of free runs against the data.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct FreeRunActivity {
    /// Runs started from data states (evenly spaced through the recording).
    pub runs: usize,
    /// Bins per run.
    pub bins: usize,
    /// The data's mean activity.
    pub data: f64,
    /// Mean activity over the second half of every run from a data state.
    pub from_data: f64,
    /// Its standard error (the spread of the runs over √runs).
    pub from_data_std_error: f64,
    /// Mean activity over the second half of a run of the same total length from a
    /// uniformly random state.
    pub from_random: f64,
}

impl FreeRunActivity {
    /// Relative difference beyond which two activity levels count as different.
    pub const RELATIVE_TOLERANCE: f64 = 0.2;

    /// Whether the runs from data states drift away from the data's activity: by more than
    /// 4 standard errors and more than [`Self::RELATIVE_TOLERANCE`] of the data's level.
    pub fn drifts(&self) -> bool {
        let d = (self.from_data - self.data).abs();
        d > 4.0 * self.from_data_std_error && d > Self::RELATIVE_TOLERANCE * self.data
    }

    /// Whether a run from a random state settles at another activity level than the data.
    pub fn random_start_elsewhere(&self) -> bool {
        (self.from_random - self.data).abs() > Self::RELATIVE_TOLERANCE.max(0.5) * self.data
    }

    /// A warning in words, or `None`.
    pub fn warning(&self) -> Option<String> {
        let pct = |v: f64| 100.0 * v;
        if self.drifts() {
            return Some(format!(
                "free runs from the data's states drift to {:.1}% ± {:.1}% activity, the data \
                 sit at {:.1}%: the fitted dynamics do not hold the data's activity level",
                pct(self.from_data),
                pct(self.from_data_std_error),
                pct(self.data)
            ));
        }
        self.random_start_elsewhere().then(|| {
            format!(
                "a run from a random state settles at {:.1}% activity while runs from the \
                 data's states stay at {:.1}% (data {:.1}%): the model has another stable \
                 activity level; sample it from data states (spinfer sample --from DATA)",
                pct(self.from_random),
                pct(self.from_data),
                pct(self.data)
            )
        })
    }
}

/// Fraction of up spins over bins `from..to` of `run`.
fn activity(run: &Raster, from: usize, to: usize) -> f64 {
    let ups = run.samples(from, to).column_up_counts();
    ups.iter().map(|&u| u as f64).sum::<f64>() / ((to - from).max(1) * run.n_spins()) as f64
}

/// A generator for run `r` of the free runs seeded `seed`.
fn stream(seed: u64, r: usize) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ (r as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

impl FreshSamples {
    /// [`FreshSamples::CHAINS`] free runs of `model` by parallel Glauber dynamics, each of
    /// ⌈samples / runs⌉ bins, run r starting from the data's state at bin r T / runs (no
    /// burn-in: a data state is already typical of the recording, and a burn-in would hide a
    /// drift), concatenated; with the activity check. The transitions of the result lie
    /// within repeats of `bins` bins. The same seed gives the same runs whatever the number
    /// of threads.
    pub fn kinetic_from_data<T: Real>(
        &self,
        model: &KineticIsing<T>,
        data: &Raster,
    ) -> Result<(Raster, FreeRunActivity)> {
        self.check()?;
        let n = model.n_spins();
        if data.n_spins() != n || data.n_samples() == 0 {
            return Err(Error::Shape(format!(
                "free runs need data states of {n} spins, the data have {} spins and {} bins",
                data.n_spins(),
                data.n_samples()
            )));
        }
        let runs = Self::CHAINS;
        let bins = self.samples.div_ceil(runs).max(2);
        crate::raster::check_request("samples", bins * runs, n, bins * runs)?;
        let parts: Vec<Raster> = (0..runs)
            .into_par_iter()
            .map(|r| {
                let start = data.column(r * data.n_samples() / runs);
                simulate(model, bins, Some(&start), &mut stream(self.seed, r))
            })
            .collect::<Result<_>>()?;
        let levels: Vec<f64> = parts.iter().map(|p| activity(p, bins / 2, bins)).collect();
        let mean = levels.iter().sum::<f64>() / runs as f64;
        let var = levels.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (runs - 1) as f64;
        let random_bins = bins * runs;
        let random = simulate(model, random_bins, None, &mut stream(self.seed, runs))?;
        let check = FreeRunActivity {
            runs,
            bins,
            data: activity(data, 0, data.n_samples()),
            from_data: mean,
            from_data_std_error: (var / runs as f64).sqrt(),
            from_random: activity(&random, random_bins / 2, random_bins),
        };
        Ok((Raster::concat(&parts)?, check))
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::{DMatrix, DVector};

    use super::*;

    /// A kinetic model with uniform excitation: m = tanh(h + J N m) with h = 0.5, J N = 3
    /// has a low fixed point (m ≈ −0.99, under 1 % active) and a high one (m ≈ 0.99); a
    /// random state of N = 200 cells (m ≈ 0 ± 0.07, field h + 3m > 0) runs to the high one.
    fn bistable(n: usize) -> KineticIsing<f64> {
        let mut j = DMatrix::from_element(n, n, 3.0 / n as f64);
        j.fill_diagonal(0.0);
        KineticIsing::new(DVector::from_element(n, 0.5), j, Default::default()).unwrap()
    }

    #[test]
    fn runs_from_data_states_stay_low_and_a_random_start_is_reported() {
        let model = bistable(200);
        let fresh = FreshSamples {
            samples: 16 * 400,
            seed: 3,
            ..Default::default()
        };
        // "Data": the model's own low-activity regime, from an all-down start.
        let data = simulate(
            &model,
            4000,
            Some(&[-1; 200]),
            &mut Xoshiro256PlusPlus::seed_from_u64(9),
        )
        .unwrap();
        let (series, check) = fresh.kinetic_from_data(&model, &data).unwrap();
        assert_eq!(series.n_samples(), 16 * 400);
        assert!(!check.drifts(), "{check:?}");
        assert!(check.random_start_elsewhere(), "{check:?}");
        assert!(check.from_random > 0.9 && check.data < 0.02, "{check:?}");
        assert!(check
            .warning()
            .unwrap()
            .contains("another stable activity level"));
        // The same seed gives the same runs.
        let (again, _) = fresh.kinetic_from_data(&model, &data).unwrap();
        assert_eq!(series, again);
    }

    #[test]
    fn a_drift_away_from_the_data_is_flagged() {
        let model = bistable(200);
        let fresh = FreshSamples {
            samples: 16 * 400,
            ..Default::default()
        };
        // Data at 50 % activity that the model cannot hold.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let data = simulate(
            &KineticIsing::<f64>::zeros(200, Default::default()),
            2000,
            None,
            &mut rng,
        )
        .unwrap();
        let (_, check) = fresh.kinetic_from_data(&model, &data).unwrap();
        assert!(check.drifts(), "{check:?}");
        assert!(check.warning().unwrap().contains("drift"));
    }
}
