//! Model against data: means, pair moments, connected correlations, triplet moments and
//! lagged correlations, each summarised by Pearson r, slope, RMSE and distance per site.
//!
//! The model side comes from fresh samples of the fitted model (Metropolis chains for the
//! equilibrium model, replica exchange where they do not mix; free parallel-Glauber runs
//! from the data's states for the kinetic model) of a stated size, never from the training
//! statistics themselves.

use serde::{Deserialize, Serialize};

pub use crate::sample::FreshSamples;
pub use crate::stats::{agreement, rmse, upper_triangle, Agreement};
use crate::{
    data::{ModelFile, ModelKind},
    model::{FlipEnergy, KineticIsing},
    sample::{ChainDiagnostics, FreeRunActivity},
    stats::{activity, Faithfulness, LaggedMoments, Moments, SplitHalf, Triplets},
    Error, Raster, Real, Result, Transitions,
};

/// One statistic on both sides.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StatisticComparison {
    /// Short name, also used in file names ("means", "pairs", …).
    pub name: String,
    /// What the entries are, for axis labels ("⟨s_i⟩", …).
    pub symbol: String,
    /// Data values.
    #[serde(skip)]
    pub data: Vec<f64>,
    /// Model values.
    #[serde(skip)]
    pub model: Vec<f64>,
    /// The summary.
    pub agreement: Agreement,
}

impl StatisticComparison {
    fn new(name: &str, symbol: &str, data: Vec<f64>, model: Vec<f64>, sites: usize) -> Self {
        let agreement = agreement(&data, &model, sites);
        StatisticComparison {
            name: name.into(),
            symbol: symbol.into(),
            data,
            model,
            agreement,
        }
    }
}

/// All comparisons of a model with data.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Comparison {
    /// Spins.
    pub n_spins: usize,
    /// Data samples (or time bins).
    pub data_samples: usize,
    /// Fresh model samples (or time bins).
    pub model_samples: usize,
    /// Which triplets were compared.
    pub triplets: String,
    /// One entry per statistic.
    pub statistics: Vec<StatisticComparison>,
    /// Equilibration diagnostics of the fresh Metropolis chains (equilibrium models).
    #[serde(default)]
    pub chains: Option<ChainDiagnostics>,
    /// Means and pair moments, model against data, as multiples of the data's own
    /// split-half difference (first against second half of the data).
    #[serde(default)]
    pub faithfulness: Option<Faithfulness>,
    /// How the model's means and pair moments were estimated.
    #[serde(default)]
    pub estimator: String,
    /// Kinetic models: the activity of the free runs from data states against the data's.
    #[serde(default)]
    pub free_runs: Option<FreeRunActivity>,
}

impl Comparison {
    /// Equal-time statistics of two rasters: means, pair moments ⟨s_i s_j⟩, connected
    /// correlations, and raw and connected triplet moments.
    pub fn equal_time(data: &Raster, model: &Raster, triplets: &Triplets) -> Result<Self> {
        Self::equal_time_with(data, model, &Moments::of(model), triplets)
    }

    /// [`Comparison::equal_time`] with the model's means and pair moments given (for
    /// example Rao–Blackwellised estimates); `model` still gives the triplets.
    pub fn equal_time_with(
        data: &Raster,
        model: &Raster,
        mm: &Moments,
        triplets: &Triplets,
    ) -> Result<Self> {
        let n = data.n_spins();
        if model.n_spins() != n || mm.means.len() != n {
            return Err(Error::Shape(format!(
                "model samples have {} spins, the data {n}",
                model.n_spins()
            )));
        }
        let md = Moments::of(data);
        let (td, tm) = (triplets.moments(data), triplets.moments(model));
        let statistics = vec![
            StatisticComparison::new(
                "means",
                "⟨s_i⟩",
                md.means.iter().cloned().collect(),
                mm.means.iter().cloned().collect(),
                n,
            ),
            StatisticComparison::new(
                "pairs",
                "⟨s_i s_j⟩",
                upper_triangle(&md.pairs),
                upper_triangle(&mm.pairs),
                n,
            ),
            StatisticComparison::new(
                "connected",
                "C_ij = ⟨s_i s_j⟩ − ⟨s_i⟩⟨s_j⟩",
                upper_triangle(&md.connected()),
                upper_triangle(&mm.connected()),
                n,
            ),
            StatisticComparison::new(
                "connected_triplets",
                "⟨δs_i δs_j δs_k⟩",
                triplets.connected(&td, &md),
                triplets.connected(&tm, mm),
                n,
            ),
            StatisticComparison::new("triplets", "⟨s_i s_j s_k⟩", td, tm, n),
            StatisticComparison::new("activity", "P(K)", activity(data), activity(model), n),
        ];
        Ok(Comparison {
            n_spins: n,
            data_samples: data.n_samples(),
            model_samples: model.n_samples(),
            triplets: triplets.describe(),
            faithfulness: Some(
                Faithfulness::of(&md, mm, &SplitHalf::of(data)).with_activity(data, model),
            ),
            statistics,
            free_runs: None,
            chains: None,
            estimator: "the spins of the fresh samples".into(),
        })
    }

    /// An equilibrium model against data, from fresh samples (Metropolis, or replica
    /// exchange where the chains do not mix or the data are collective,
    /// [`FreshSamples::for_data`]): means, pair
    /// moments and connected correlations Rao–Blackwellised (from the conditional means of
    /// every sample: unbiased, with a smaller variance), triplets from the spins. With
    /// [`FreshSamples::grow_to`] the samples grow until their own noise is small beside the
    /// data's split-half difference ([`FreshSamples::PRECISE_NOISE`]).
    pub fn ising<T: Real, M: FlipEnergy<T>>(
        model: &M,
        data: &Raster,
        fresh: &FreshSamples,
    ) -> Result<Self> {
        let reference = SplitHalf::of(data);
        let requested = fresh.samples;
        let mut fresh = fresh.clone().for_data(data);
        let f = loop {
            let f = fresh.ising_rao_blackwell(model)?;
            let noise = (f.means_noise, f.pairs_noise);
            match fresh.grown(noise, (reference.means, reference.pairs), data.n_spins()) {
                Some(more) => fresh.samples = more,
                None => break f,
            }
        };
        let triplets = Triplets::for_spins(data.n_spins(), 1);
        let mut c = Self::equal_time_with(data, &f.samples, &f.moments, &triplets)?;
        c.chains = f.diagnostics;
        c.faithfulness = c
            .faithfulness
            .map(|r| r.with_noise(f.means_noise, f.pairs_noise));
        c.estimator = format!(
            "Rao–Blackwellised: from the conditional means E[s_i | s_∖i] of the fresh \
             samples{}{}",
            match (f.tempered, fresh.replica_exchange) {
                (true, true) => ", drawn by replica exchange (the data are collective)",
                (true, false) => ", drawn by replica exchange (the Metropolis chains did not mix)",
                _ => "",
            },
            if fresh.samples > requested {
                format!(
                    "; {requested} samples grew to {} until their standard errors were at \
                     most {} of the split-half difference",
                    fresh.samples,
                    FreshSamples::PRECISE_NOISE
                )
            } else {
                String::new()
            }
        );
        Ok(c)
    }

    /// A kinetic model against a time series: the equal-time statistics plus the lagged
    /// moments ⟨s_i(t+1) s_j(t)⟩ and their connected parts, from free Glauber runs started
    /// at the data's states (or one from a random state with `fresh.random_start`).
    /// `data` are the recording's transitions (repeat boundaries excluded).
    pub fn kinetic<T: Real>(
        model: &KineticIsing<T>,
        series: &Raster,
        data: &Transitions,
        fresh: &FreshSamples,
    ) -> Result<Self> {
        let (run, lm, free_runs) = if fresh.random_start {
            let run = fresh.kinetic(model)?;
            let lm = LaggedMoments::of(&run);
            (run, lm, None)
        } else {
            let (run, check) = fresh.kinetic_from_data(model, series)?;
            let lm = LaggedMoments::of_transitions(&Transitions::from_segments(&run, check.bins)?);
            (run, lm, Some(check))
        };
        let mut c = Self::equal_time(series, &run, &Triplets::for_spins(series.n_spins(), 1))?;
        c.free_runs = free_runs;
        let ld = LaggedMoments::of_transitions(data);
        let n = series.n_spins();
        c.statistics.push(StatisticComparison::new(
            "lagged",
            "⟨s_i(t+1) s_j(t)⟩",
            ld.lagged.as_slice().to_vec(),
            lm.lagged.as_slice().to_vec(),
            n,
        ));
        c.statistics.push(StatisticComparison::new(
            "connected_lagged",
            "⟨s_i(t+1) s_j(t)⟩ − ⟨s_i(t+1)⟩⟨s_j(t)⟩",
            ld.connected().as_slice().to_vec(),
            lm.connected().as_slice().to_vec(),
            n,
        ));
        Ok(c)
    }

    /// The model of a model file against `series`, as `spinfer compare` computes it:
    /// [`Comparison::ising`] or [`Comparison::kinetic`] (transitions within repeats of
    /// `repeat_bins` bins when given), in f64.
    pub fn of_file(
        file: &ModelFile,
        series: &Raster,
        repeat_bins: Option<usize>,
        fresh: &FreshSamples,
    ) -> Result<Self> {
        match file.kind {
            ModelKind::Ising | ModelKind::KPairwise => {
                Self::ising(&file.to_equilibrium::<f64>()?, series, fresh)
            }
            ModelKind::Kinetic => {
                let transitions = Transitions::within_repeats(series, repeat_bins)?;
                Self::kinetic(&file.to_kinetic::<f64>()?, series, &transitions, fresh)
            }
        }
    }

    /// The comparison of one statistic by name.
    pub fn get(&self, name: &str) -> Option<&StatisticComparison> {
        self.statistics.iter().find(|s| s.name == name)
    }

    /// A Markdown table, one row per statistic.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Data: {} samples; model: {} fresh samples (means and pairs {}); triplets: {}.\n\n\
             | statistic | entries | Pearson r | slope | RMSE | distance per site |\n\
             |---|---:|---:|---:|---:|---:|\n",
            self.data_samples, self.model_samples, self.estimator, self.triplets
        );
        if let Some(f) = &self.faithfulness {
            out = format!(
                "Against the data's own reproducibility (first against second half of the \
                 data): means {:.2}×, pairs {:.2}× the split-half difference (model-side \
                 standard errors {:.1e} and {:.1e}){}.\n\n{out}",
                f.means_ratio,
                f.pairs_ratio,
                f.means_noise,
                f.pairs_noise,
                f.activity_ratio
                    .map(|r| format!("; the distribution P(K) of active cells {r:.2}×"))
                    .unwrap_or_default()
            );
        }
        if let Some(f) = &self.free_runs {
            out = format!(
                "Free runs: {} runs of {} bins from the data's states hold {:.2}% ± {:.2}% \
                 activity (data {:.2}%); a run from a random state settles at {:.2}%.{}\n\n{out}",
                f.runs,
                f.bins,
                100.0 * f.from_data,
                100.0 * f.from_data_std_error,
                100.0 * f.data,
                100.0 * f.from_random,
                f.warning()
                    .map_or(String::new(), |w| format!(" **Warning: {w}.**"))
            );
        }
        if let Some(d) = &self.chains {
            let ladder = d.tempering.map_or(String::new(), |t| {
                format!(
                    " Replica exchange over {} temperatures down to β = {:.3}: {} round trips, \
                     lowest swap rate {:.3}.",
                    t.levels, t.min_beta, t.round_trips, t.min_swap_rate
                )
            });
            out = format!(
                "Fresh chains: R̂ = {:.3} across {} chains, autocorrelation time {:.1} samples.{ladder}{}\n\n{out}",
                d.r_hat,
                d.chains,
                d.longest_autocorrelation_time(),
                d.warning().map_or(String::new(), |w| format!(" **Warning: {w}.**"))
            );
        }
        for s in &self.statistics {
            let a = &s.agreement;
            out.push_str(&format!(
                "| {} `{}` | {} | {:.4} | {:.3} | {:.2e} | {:.2e} |\n",
                s.name, s.symbol, a.count, a.pearson, a.slope, a.rmse, a.distance_per_site
            ));
        }
        out
    }
}
