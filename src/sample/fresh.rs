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
}

impl Default for FreshSamples {
    fn default() -> Self {
        FreshSamples {
            samples: 500_000,
            burn_in: 1000,
            sweeps: 1,
            seed: 7,
            random_start: false,
        }
    }
}

impl FreshSamples {
    /// Independent Metropolis chains for equilibrium models.
    pub const CHAINS: usize = 16;

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
    /// [`FreshSamples::MAX_AUTOCORRELATION`], 16 independent replica-exchange runs of the same
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
        let mut chains = self.chains(true)?;
        let mut averages = Sampler::<T, M>::averages(&mut chains, model, &stats)?;
        let mut diagnostics = Sampler::<T, M>::diagnostics(&chains);
        let mut samples = chains.last_samples().cloned();
        let tempered = match (&diagnostics, &samples) {
            (Some(d), Some(s)) => !Self::chains_suffice(d, s),
            (Some(d), None) => !d.is_trustworthy(),
            (None, _) => false,
        };
        if tempered {
            let mut pt: ReplicaExchange = ReplicaExchange::new(self.tempering(true))?;
            averages = Sampler::<T, M>::averages(&mut pt, model, &stats)?;
            diagnostics = Sampler::<T, M>::diagnostics(&pt);
            samples = pt.last_samples().cloned();
        }
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
