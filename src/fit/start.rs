//! Where a fit starts: the independent-cell model, a closed-form inversion, or the
//! pseudo-likelihood maximum.

use nalgebra::DMatrix;
use serde::Serialize;

pub use crate::stats::collective::{collectivity, pair_collectivity, COLLECTIVE_ABOVE};
use crate::{
    init::{mean_field, Init, MeanField},
    model::{Energy, KineticOptions},
    sample::{McmcSettings, Metropolis, Sampler, SamplerKind},
    stats::LaggedMoments,
    Ising, KineticIsing, Raster, Real, Result, Spin, Statistics, Transitions,
};

use super::{IsingFitSettings, IsingMethod};

/// The start [`Init::Auto`] stands for in an equilibrium fit of `data`: for Monte Carlo
/// Boltzmann learning the pseudo-likelihood maximum, stepped centred (the synthetic
/// retina is faithful several times sooner from it), unless the activity is collective
/// ([`pair_collectivity`] above [`COLLECTIVE_ABOVE`]); then, and for the exact objectives, the
/// independent cells (J = 0, h_i = atanh ⟨s_i⟩), stepped raw.
///
/// On recordings with population bursts the pseudo-likelihood maximum over-estimates the
/// couplings: its equilibrium sits in the all-active state, on the far side of a
/// first-order transition from the data (`spinfer compare` of it: means 906 × the
/// split-half difference on `generate bursts --seed 1`), and Monte Carlo learning from it
/// did not come back in 1,000 iterations (7.8 ×), where the independent start is faithful
/// after 840.
///
/// The pseudo-likelihood start chosen here is computed only below
/// [`PSEUDO_START_BELOW`] cells, and then tested by [`held_activity`] before learning; at
/// and above that size, or when the test rejects it, learning starts from independent
/// cells, stepped centred.
pub fn resolve_ising(settings: &IsingFitSettings, data: &Raster) -> Init {
    match settings.init {
        Init::Auto
            if settings.method == IsingMethod::Boltzmann
                && settings.sampler != SamplerKind::Exact
                && pair_collectivity(data) <= COLLECTIVE_ABOVE =>
        {
            Init::Pseudo
        }
        Init::Auto => Init::Zero,
        other => other,
    }
}

/// Factor by which the mean activity of a warm start's equilibrium, sampled from the data's
/// own states, may differ from the data's before the start is rejected ([`held_activity`]).
///
/// Measured on `spinfer generate retina --cells 1000 --seed 3` (4.1 % mean activity): the
/// pseudo-likelihood start's chains from data states run to 94.8 % (TAP and naive mean field
/// alike: 200,000 fresh samples put their means 1,390–1,465 × the split-half difference
/// away), and Boltzmann learning from there spent its first 300 iterations (3.9 min with the
/// 1.8 min start) finding its way back; from the independent cells, stepped centred, the fit
/// was at 6.2 × after 150 iterations (31 s) and at the same plateau (4–6 ×) in 4 min. On the
/// 160-cell retina (`--seed 4`) the start holds and the fit is unchanged (230 iterations,
/// the same model).
pub const START_ACTIVITY_FACTOR: f64 = 2.0;

/// The fewest cells for which the default equilibrium fit does not compute its
/// pseudo-likelihood start (it starts from independent cells, stepped centred, as after a
/// rejection by [`held_activity`]). Measured on `spinfer generate retina --cells N --seed 3`
/// (283,041 bins): at N = 160 the start holds (and every seed 1–10 is faithful from it in
/// 7–30 s); at 400 its chains from data states run to 90.7 % activity (data 4.1 %) after
/// 13.7 s of L-BFGS, at 1,000 to 94.8 % after 84–107 s, and at 2,000 the start had not
/// converged after 72 passes (8 min).
pub const PSEUDO_START_BELOW: usize = 400;

/// Difference of mean activities (fractions of active cells) that [`held_activity`] always
/// lets pass, whatever their ratio: a start of a nearly silent recording may be a few times
/// more or less active than the data without having left them.
pub const START_ACTIVITY_SLACK: f64 = 0.02;

/// A warm start rejected by [`held_activity`]: the mean activity its chains ran to, from
/// the data's own states, against the data's.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RejectedStart {
    /// Mean probability of a cell being active in the start's chains, (1 + ⟨s⟩)/2 averaged
    /// over cells.
    pub activity: f64,
    /// The same in the data.
    pub data_activity: f64,
}

impl RejectedStart {
    /// The rejection in words, for the fit's warnings.
    pub fn describe(&self) -> String {
        format!(
            "the pseudo-likelihood start ran away from the data: Metropolis chains started \
             from data states reached {:.1}% mean activity against the data's {:.1}%, so the \
             fit started from independent cells (centred steps) instead",
            100.0 * self.activity,
            100.0 * self.data_activity
        )
    }
}

/// Sweeps of the chains that test a start (each chain starts from a data state).
pub const START_TEST_BURN_IN: usize = 1_000;
/// Samples (one sweep apart) of those chains, over all 16 of them.
pub const START_TEST_SAMPLES: usize = 3_200;

/// Whether the equilibrium of `start` stays at the data's activity: 16 Metropolis chains
/// started from states of `data` run [`START_TEST_BURN_IN`] sweeps, then their mean
/// activity a = (1 + ⟨s⟩)/2 (averaged over cells) is compared with the data's. A start
/// whose activity is off by more than [`START_ACTIVITY_FACTOR`] either way, and by more
/// than [`START_ACTIVITY_SLACK`], is rejected:
/// the data's states are not even metastable in it, so learning from it first has to undo
/// a phase transition. The chains cost N × 16 × 1,200 single-spin updates (a fraction of
/// one learning iteration).
pub fn held_activity<T: Real>(
    start: &Ising<T>,
    data: &Raster,
    seed: u64,
) -> Result<std::result::Result<(), RejectedStart>> {
    let n = data.n_spins();
    let settings = McmcSettings::default()
        .with_chains(16)
        .with_samples(START_TEST_SAMPLES)
        .with_burn_in(START_TEST_BURN_IN)
        .with_sweeps(1)
        .with_persistent(false)
        .with_rao_blackwell(false)
        .with_seed(seed);
    let mut chains = Metropolis::new(settings)?;
    chains.start_from(data);
    let activity = Sampler::<T, Ising<T>>::averages(&mut chains, start, &MeanActivity(n))?.stats[0];
    let data_activity = data.density();
    let ratio = activity / data_activity.max(f64::MIN_POSITIVE);
    let within_factor =
        ratio.is_finite() && (1.0 / START_ACTIVITY_FACTOR..=START_ACTIVITY_FACTOR).contains(&ratio);
    // Near silence a factor means nothing (0.3 % against a silent raster's 0 %).
    if within_factor || (activity - data_activity).abs() <= START_ACTIVITY_SLACK {
        Ok(Ok(()))
    } else {
        Ok(Err(RejectedStart {
            activity,
            data_activity,
        }))
    }
}

/// φ(s) = (1/N) Σ_i (1 + s_i)/2: the fraction of active cells.
struct MeanActivity(usize);

impl Statistics for MeanActivity {
    fn dim(&self) -> usize {
        1
    }
    fn accumulate(&self, s: &[Spin], weight: f64, acc: &mut [f64]) {
        let active = s.iter().filter(|&&x| x > 0).count();
        acc[0] += weight * active as f64 / self.0.max(1) as f64;
    }
}

/// The start [`Init::Auto`] stands for in a kinetic fit by L-BFGS or first-order steps
/// (row-wise Newton always starts from independent cells): TAP. It is one N × N inversion
/// from moments the fit computes anyway, and it shortens the climb where iterations are
/// dear. L-BFGS iterations to convergence (zero → TAP start): 1,000-cell synthetic retina,
/// 286,000 bins, 67 → 48 (95,000 bins: 166 → 130 with the naive mean-field start); dense
/// planted N = 200, 10 → 7; the 160-cell retina, asymmetric 24 → 27 and symmetric 23 → 23.
pub fn resolve_kinetic(init: Init) -> Init {
    match init {
        Init::Auto => Init::Tap,
        other => other,
    }
}

/// The starting kinetic model for `data`; `None` for the independent-cell start.
pub fn kinetic_start<T: Real>(
    data: &Transitions,
    init: Init,
    options: KineticOptions,
) -> Result<Option<KineticIsing<T>>> {
    let Some(kind) = mean_field_kind(init)? else {
        return Ok(None);
    };
    Ok(finite(mean_field::kinetic(data, kind, options)?))
}

/// [`kinetic_start`] from the lagged moments and the sources' inverse covariance that the
/// fit has already computed.
pub(crate) fn kinetic_start_from<T: Real>(
    lagged: &LaggedMoments,
    inverse_covariance: &DMatrix<f64>,
    init: Init,
    options: KineticOptions,
) -> Result<Option<KineticIsing<T>>> {
    let Some(kind) = mean_field_kind(init)? else {
        return Ok(None);
    };
    let model = mean_field::kinetic_from(lagged, inverse_covariance, kind, options)?;
    Ok(finite(model))
}

/// The inversion as a start, or `None` (the independent cells) where it broke down: a start
/// is only a start, whichever way its inverse covariance was obtained.
fn finite<T: Real>(model: KineticIsing<f64>) -> Option<KineticIsing<T>> {
    model
        .params()
        .iter()
        .all(|v| v.is_finite())
        .then(|| model.cast())
}

/// The closed-form inversion a kinetic `init` asks for; `None` for the independent cells.
fn mean_field_kind(init: Init) -> Result<Option<MeanField>> {
    Ok(Some(match init {
        Init::Auto | Init::Zero => return Ok(None),
        Init::MeanField => MeanField::Naive,
        Init::Tap => MeanField::Tap,
        Init::Pseudo => {
            return Err(crate::Error::setting(
                "init",
                "pseudo",
                "auto, zero, mean-field or tap for kinetic models (their likelihood is \
                 already exact)",
            ))
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sample::ExactDistribution;

    /// Independent cells with every field `h` (±1 spins).
    fn independent(n: usize, h: f64) -> Ising<f64> {
        let mut model = Ising::zeros(n);
        for i in 0..n {
            model.params_mut()[i] = h;
        }
        model
    }

    #[test]
    fn a_start_whose_chains_leave_the_data_activity_is_rejected() {
        let n = 12;
        let mut rng = crate::seeded(3);
        let truth = independent(n, -1.5); // P(active) = (1 + tanh(−1.5))/2 ≈ 4.7 %
        let data = ExactDistribution::new(&truth)
            .unwrap()
            .sample(20_000, &mut rng);
        assert_eq!(held_activity(&truth, &data, 1).unwrap(), Ok(()));
        // 1.8 times as active as the data, within the factor of 2: held.
        assert_eq!(
            held_activity(&independent(n, -1.2), &data, 1).unwrap(),
            Ok(())
        );
        // A start whose equilibrium is the active state: rejected, with the activity its
        // chains reached (independent spins: exactly (1 + tanh 2)/2) within 5 standard
        // errors of the chains' samples.
        let rejected = held_activity(&independent(n, 2.0), &data, 1)
            .unwrap()
            .unwrap_err();
        let exact = (1.0 + 2.0f64.tanh()) / 2.0;
        let se = (exact * (1.0 - exact) / (START_TEST_SAMPLES * n) as f64).sqrt();
        assert!((rejected.activity - exact).abs() < 5.0 * se, "{rejected:?}");
        let data_activity = (1.0 + (-1.5f64).tanh()) / 2.0;
        let data_se = (data_activity * (1.0 - data_activity) / (20_000 * n) as f64).sqrt();
        assert!((rejected.data_activity - data_activity).abs() < 5.0 * data_se);
        assert!(rejected.describe().contains("independent cells"));
        // A silent recording: a start firing 0.25 % of the time has not left it.
        let silent = crate::Raster::zeros(n, 1_000);
        assert_eq!(
            held_activity(&independent(n, -3.0), &silent, 1).unwrap(),
            Ok(())
        );
        assert!(held_activity(&independent(n, 0.0), &silent, 1)
            .unwrap()
            .is_err());
    }
}
