//! Fresh samples of a fitted model, independent of the chains that fitted it: what model
//! checks (the comparison with data, the fit's stopping rule) are computed from.

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use nalgebra::{DMatrix, DVector};

use super::{
    simulate, ChainDiagnostics, McmcSettings, Metropolis, ReplicaExchange, Sampler,
    TemperingSettings,
};
use crate::{
    model::{FlipEnergy, KineticIsing},
    stats::{
        collective::{pair_collectivity, COLLECTIVE_ABOVE},
        pair_index, Moments, PairStatistics,
    },
    Error, Raster, Real, Result,
};

/// Fresh samples of an equilibrium model with Rao–Blackwellised moments.
#[derive(Clone, Debug)]
pub struct FreshIsing {
    /// The samples (16 chains or runs, in order).
    pub samples: Raster,
    /// How the sampler that drew them mixed.
    pub diagnostics: Option<ChainDiagnostics>,
    /// Whether they come from replica exchange (the Metropolis chains did not mix).
    pub tempered: bool,
    /// Means and pair moments from the conditional means of the samples.
    pub moments: Moments,
    /// Root mean square standard error of the means.
    pub means_noise: f64,
    /// Root mean square standard error of the pair moments.
    pub pairs_noise: f64,
}

/// Fresh samples drawn from a fitted model for the comparison.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FreshSamples {
    /// Number of samples (equilibrium) or time bins (kinetic) kept.
    pub samples: usize,
    /// Metropolis sweeps (equilibrium) or Glauber steps (kinetic) discarded first.
    pub burn_in: usize,
    /// Metropolis sweeps between kept samples.
    pub sweeps: usize,
    /// Seed.
    pub seed: u64,
    /// Kinetic comparisons: one run from a uniformly random state after the burn-in,
    /// instead of free runs from the data's states ([`FreshSamples::kinetic_from_data`]).
    #[serde(default)]
    pub random_start: bool,
    /// Equilibrium comparisons ([`crate::validate::Comparison::ising`]): while the
    /// model-side standard errors of the means or pairs exceed
    /// [`FreshSamples::PRECISE_NOISE`] of the data's split-half differences, the samples are
    /// drawn again, [`FreshSamples::PRECISE_GROWTH`] times as many, up to this many (and
    /// [`FreshSamples::PRECISE_MAX_SPINS`] spins in all). `None`: exactly `samples`.
    #[serde(default)]
    pub grow_to: Option<usize>,
    /// Equilibrium samples by replica exchange whatever the Metropolis chains' diagnostics
    /// say ([`FreshSamples::for_data`] sets it for collective data).
    #[serde(default)]
    pub replica_exchange: bool,
}

impl Default for FreshSamples {
    fn default() -> Self {
        FreshSamples {
            samples: 500_000,
            burn_in: 1000,
            sweeps: 1,
            seed: 7,
            random_start: false,
            grow_to: None,
            replica_exchange: false,
        }
    }
}

impl FreshSamples {
    /// Independent Metropolis chains for equilibrium models.
    pub const CHAINS: usize = 16;

    /// Largest model-side standard error, as a fraction of the data's split-half
    /// difference, that a comparison with room to grow ([`FreshSamples::grow_to`]) accepts:
    /// the RMSE it reports is then within √(1 + 0.25²) ≈ 1.03 of the model's own. On a
    /// collective model the fresh means move together with the balance of its states: the
    /// 100-cell bursty recording's fitted model read 0.62×, 1.03× and 1.31× its split-half
    /// difference from 500,000 samples of three seeds (standard errors 0.35–0.57 of that
    /// difference), and 0.76× from 4,000,000.
    pub const PRECISE_NOISE: f64 = 0.25;

    /// Factor on the fresh samples each time they are too noisy.
    pub const PRECISE_GROWTH: usize = 4;

    /// Most spins (samples × cells) a growing comparison keeps: 250 MB as bits.
    pub const PRECISE_MAX_SPINS: usize = 2_000_000_000;

    /// The most fresh samples `spinfer compare` and `spinfer.compare` grow to by default.
    pub const COMPARE_GROW_TO: usize = 8_000_000;

    /// These fresh samples for a model of `data`: by replica exchange when the data are
    /// collective ([`pair_collectivity`] above [`COLLECTIVE_ABOVE`]). Single-site chains of
    /// such a model can settle in one of its states and pass every diagnostic there: on
    /// the 100-cell bursty recording's fitted model, 16 chains after 20,000 sweeps of
    /// burn-in agreed (R̂ 1.000, autocorrelation time 1.2 samples) on means 6.1 × the
    /// split-half difference from the data, where replica exchange finds 0.6–0.8 ×.
    pub fn for_data(mut self, data: &Raster) -> Self {
        self.replica_exchange |= pair_collectivity(data) > COLLECTIVE_ABOVE;
        self
    }

    /// The samples to draw after `self.samples` gave standard errors `noise` (means, pairs)
    /// against split-half differences `reference` for `n` cells; `None` when they suffice
    /// or may not grow.
    pub fn grown(&self, noise: (f64, f64), reference: (f64, f64), n: usize) -> Option<usize> {
        let most = self
            .grow_to?
            .min(Self::PRECISE_MAX_SPINS / n.max(1))
            .min(McmcSettings::MAX_SAMPLES);
        let noisy = noise.0 > Self::PRECISE_NOISE * reference.0
            || noise.1 > Self::PRECISE_NOISE * reference.1;
        (noisy && self.samples < most).then(|| (self.samples * Self::PRECISE_GROWTH).min(most))
    }

    /// Longest autocorrelation time (in samples) of Metropolis chains that fresh samples
    /// accept when the samples are collective. Beyond it a replica-exchange ladder of a
    /// dozen levels, whose β = 1 replica decorrelates in a few sweeps, gives more effective
    /// samples for the same work: on the bursty recordings' fitted models the chains pass
    /// their diagnostics with autocorrelation times of 250–380 samples and standard errors
    /// of the means 5–10 × the data's split-half difference.
    pub const MAX_AUTOCORRELATION: f64 = 50.0;

    /// Whether Metropolis chains with diagnostics `d` and samples `samples` serve as fresh
    /// samples: certified, and decorrelating within [`FreshSamples::MAX_AUTOCORRELATION`]
    /// samples unless the activity is not collective ([`pair_collectivity`] at most
    /// [`COLLECTIVE_ABOVE`]). Slow decorrelation of weakly coupled cells is not a mode the
    /// chains are stuck in, and a ladder does not shorten it: at 1,000 cells of the
    /// synthetic retina (pair collectivity 0.02) every check then fell to replica exchange
    /// and one fit spent over 20 minutes in its checks.
    fn chains_suffice(d: &ChainDiagnostics, samples: &Raster) -> bool {
        d.is_trustworthy()
            && (d.longest_autocorrelation_time() <= Self::MAX_AUTOCORRELATION
                || pair_collectivity(samples) <= COLLECTIVE_ABOVE)
    }

    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        if self.samples < 2 || self.samples > McmcSettings::MAX_SAMPLES {
            return Err(Error::setting(
                "samples",
                self.samples,
                format!("between 2 and {}", McmcSettings::MAX_SAMPLES),
            ));
        }
        super::chain::check_sweeps(self.sweeps, self.burn_in)
    }

    /// Means and pair moments of an equilibrium model from 16 independent Metropolis chains
    /// (or, when their diagnostics fail or they decorrelate slowly, see
    /// [`FreshSamples::MAX_AUTOCORRELATION`], or with [`FreshSamples::replica_exchange`],
    /// 16 independent replica-exchange runs of the same
    /// length: single-site chains stay in one mode of a model with collective states),
    /// Rao–Blackwellised (from the conditional means of each recorded sample, see
    /// [`crate::Statistics::average_conditional`]), with the root mean square standard
    /// errors of the means and of the pair moments from the spread of the chains.
    pub fn ising_moments<T: Real, M: FlipEnergy<T>>(
        &self,
        model: &M,
    ) -> Result<(Moments, f64, f64)> {
        let f = self.ising_rao_blackwell(model)?;
        Ok((f.moments, f.means_noise, f.pairs_noise))
    }

    /// [`FreshSamples::ising_moments`] with the samples themselves.
    pub fn ising_rao_blackwell<T: Real, M: FlipEnergy<T>>(&self, model: &M) -> Result<FreshIsing> {
        self.check()?;
        let n = model.n_spins();
        crate::raster::check_request("samples", self.samples, n, self.samples)?;
        let stats = PairStatistics::new(n);
        let metropolis = if self.replica_exchange {
            None
        } else {
            let mut chains = self.chains(true)?;
            let averages = Sampler::<T, M>::averages(&mut chains, model, &stats)?;
            let diagnostics = Sampler::<T, M>::diagnostics(&chains);
            let samples = chains.last_samples().cloned();
            let suffice = match (&diagnostics, &samples) {
                (Some(d), Some(s)) => Self::chains_suffice(d, s),
                (Some(d), None) => d.is_trustworthy(),
                (None, _) => true,
            };
            suffice.then_some((averages, diagnostics, samples))
        };
        let tempered = metropolis.is_none();
        let (averages, diagnostics, samples) = match metropolis {
            Some(drawn) => drawn,
            None => {
                let mut pt: ReplicaExchange = ReplicaExchange::new(self.tempering(true))?;
                let averages = Sampler::<T, M>::averages(&mut pt, model, &stats)?;
                (
                    averages,
                    Sampler::<T, M>::diagnostics(&pt),
                    pt.last_samples().cloned(),
                )
            }
        };
        let mut moments = Moments {
            samples: self.samples,
            means: averages.stats.rows(0, n).clone_owned(),
            pairs: DMatrix::identity(n, n),
        };
        for i in 0..n {
            for j in i + 1..n {
                let v = averages.stats[n + pair_index(n, i, j)];
                moments.pairs[(i, j)] = v;
                moments.pairs[(j, i)] = v;
            }
        }
        let se = averages
            .std_error
            .unwrap_or_else(|| DVector::zeros(averages.stats.len()));
        let rms = |v: &[f64]| (v.iter().map(|x| x * x).sum::<f64>() / v.len().max(1) as f64).sqrt();
        Ok(FreshIsing {
            samples: samples.unwrap_or_else(|| Raster::zeros(n, 0)),
            diagnostics,
            tempered,
            moments,
            means_noise: rms(&se.as_slice()[..n]),
            pairs_noise: rms(&se.as_slice()[n..]),
        })
    }

    fn chains(&self, rao_blackwell: bool) -> Result<Metropolis> {
        Metropolis::new(
            McmcSettings::default()
                .with_samples(self.samples)
                .with_chains(Self::CHAINS)
                .with_burn_in(self.burn_in)
                .with_sweeps(self.sweeps)
                .with_persistent(false)
                .with_seed(self.seed)
                .with_rao_blackwell(rao_blackwell),
        )
    }

    /// 16 independent replica-exchange runs with the same samples, burn-in and seed.
    fn tempering(&self, rao_blackwell: bool) -> TemperingSettings {
        TemperingSettings::default()
            .with_samples(self.samples)
            .with_runs(Self::CHAINS)
            .with_burn_in(self.burn_in)
            .with_persistent(false)
            .with_seed(self.seed)
            .with_rao_blackwell(rao_blackwell)
    }

    /// Samples of an equilibrium model from 16 independent Metropolis chains, or from
    /// replica exchange when the chains' diagnostics fail.
    pub fn ising<T: Real, M: FlipEnergy<T>>(&self, model: &M) -> Result<Raster> {
        self.check()?;
        crate::raster::check_request("samples", self.samples, model.n_spins(), self.samples)?;
        if self.replica_exchange {
            let mut pt: ReplicaExchange = ReplicaExchange::new(self.tempering(false))?;
            return Ok(pt.sample(model));
        }
        let mut chains = self.chains(false)?;
        let samples = chains.sample(model);
        if ChainDiagnostics::of(&samples, Self::CHAINS)
            .is_none_or(|d| Self::chains_suffice(&d, &samples))
        {
            return Ok(samples);
        }
        let mut pt: ReplicaExchange = ReplicaExchange::new(self.tempering(false))?;
        Ok(pt.sample(model))
    }

    /// A time series of a kinetic model by parallel Glauber dynamics after a burn-in.
    pub fn kinetic<T: Real>(&self, model: &KineticIsing<T>) -> Result<Raster> {
        self.check()?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let run = simulate(
            model,
            self.burn_in.saturating_add(self.samples),
            None,
            &mut rng,
        )?;
        Ok(run.samples(self.burn_in, self.burn_in + self.samples))
    }
}
