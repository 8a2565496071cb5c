//! Model against data: means, pair moments, connected correlations, triplet moments and
//! lagged correlations, each summarised by Pearson r, slope, RMSE and distance per site.
//!
//! The model side comes from fresh samples of the fitted model (Metropolis chains for the
//! equilibrium model, a parallel-Glauber run for the kinetic model) of a stated size, never
//! from the training statistics themselves.

use std::path::{Path, PathBuf};

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use crate::{
    model::KineticIsing,
    report::plot::{scatter_with_diagonal, Figure, Series},
    sample::{simulate, ChainDiagnostics, McmcSettings, Metropolis},
    stats::{LaggedMoments, Moments, Triplets},
    Error, Ising, Raster, Real, Result, Transitions,
};

/// How well model values y reproduce data values x over K entries of one statistic.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Agreement {
    /// Number of entries K.
    pub count: usize,
    /// Pearson correlation r between x and y.
    pub pearson: f64,
    /// Least-squares slope b of y ≈ a + b x (1 for a perfect model).
    pub slope: f64,
    /// Root mean square difference √(Σ (y − x)² / K).
    pub rmse: f64,
    /// The study's distance per site, ‖y − x‖₂ / N with N the number of spins: unlike the
    /// RMSE it grows with the number of entries per spin (N for pairs, N² for triplets).
    pub distance_per_site: f64,
}

/// Root mean square difference √(Σ (a − b)² / K) of paired values.
pub fn rmse(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len(), "paired values");
    let s: f64 = a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum();
    (s / a.len().max(1) as f64).sqrt()
}

/// The entries m_ij, i < j, of a square matrix, row by row.
pub fn upper_triangle(m: &nalgebra::DMatrix<f64>) -> Vec<f64> {
    let n = m.nrows();
    (0..n)
        .flat_map(|i| (i + 1..n).map(move |j| (i, j)))
        .map(|(i, j)| m[(i, j)])
        .collect()
}

/// Pearson r, slope, RMSE and distance per site of `model` against `data` (same length) for a
/// population of `sites` spins.
pub fn agreement(data: &[f64], model: &[f64], sites: usize) -> Agreement {
    assert_eq!(data.len(), model.len(), "paired values");
    let k = data.len().max(1) as f64;
    let mx = data.iter().sum::<f64>() / k;
    let my = model.iter().sum::<f64>() / k;
    let (mut sxx, mut syy, mut sxy, mut sdd) = (0.0, 0.0, 0.0, 0.0);
    for (&x, &y) in data.iter().zip(model) {
        sxx += (x - mx) * (x - mx);
        syy += (y - my) * (y - my);
        sxy += (x - mx) * (y - my);
        sdd += (y - x) * (y - x);
    }
    Agreement {
        count: data.len(),
        pearson: sxy / (sxx * syy).sqrt(),
        slope: sxy / sxx,
        rmse: (sdd / k).sqrt(),
        distance_per_site: sdd.sqrt() / sites.max(1) as f64,
    }
}

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
}

impl Default for FreshSamples {
    fn default() -> Self {
        FreshSamples {
            samples: 500_000,
            burn_in: 1000,
            sweeps: 1,
            seed: 7,
        }
    }
}

impl FreshSamples {
    /// Independent Metropolis chains for equilibrium models.
    pub const CHAINS: usize = 16;

    fn check(&self) -> Result<()> {
        if self.samples < 2 {
            return Err(Error::setting("samples", self.samples, ">= 2"));
        }
        if self.sweeps == 0 {
            return Err(Error::setting("sweeps", self.sweeps, ">= 1"));
        }
        Ok(())
    }

    /// Samples of an equilibrium model from 16 independent Metropolis chains.
    pub fn ising<T: Real>(&self, model: &Ising<T>) -> Result<Raster> {
        self.check()?;
        let mut chains = Metropolis::new(McmcSettings {
            samples: self.samples,
            chains: Self::CHAINS,
            burn_in: self.burn_in,
            sweeps: self.sweeps,
            persistent: false,
            seed: self.seed,
        })?;
        Ok(chains.sample(model))
    }

    /// A time series of a kinetic model by parallel Glauber dynamics after a burn-in.
    pub fn kinetic<T: Real>(&self, model: &KineticIsing<T>) -> Result<Raster> {
        self.check()?;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(self.seed);
        let run = simulate(model, self.burn_in + self.samples, None, &mut rng)?;
        Ok(run.samples(self.burn_in, self.burn_in + self.samples))
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
}

impl Comparison {
    /// Equal-time statistics of two rasters: means, pair moments ⟨s_i s_j⟩, connected
    /// correlations, and raw and connected triplet moments.
    pub fn equal_time(data: &Raster, model: &Raster, triplets: &Triplets) -> Result<Self> {
        let n = data.n_spins();
        if model.n_spins() != n {
            return Err(Error::Shape(format!(
                "model samples have {} spins, the data {n}",
                model.n_spins()
            )));
        }
        let (md, mm) = (Moments::of(data), Moments::of(model));
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
                triplets.connected(&tm, &mm),
                n,
            ),
            StatisticComparison::new("triplets", "⟨s_i s_j s_k⟩", td, tm, n),
        ];
        Ok(Comparison {
            n_spins: n,
            data_samples: data.n_samples(),
            model_samples: model.n_samples(),
            triplets: triplets.describe(),
            statistics,
            chains: None,
        })
    }

    /// An equilibrium model against data, from fresh Metropolis samples.
    pub fn ising<T: Real>(model: &Ising<T>, data: &Raster, fresh: &FreshSamples) -> Result<Self> {
        let samples = fresh.ising(model)?;
        let mut c = Self::equal_time(data, &samples, &Triplets::for_spins(data.n_spins(), 1))?;
        c.chains = ChainDiagnostics::of(&samples, FreshSamples::CHAINS);
        Ok(c)
    }

    /// A kinetic model against a time series: the equal-time statistics plus the lagged
    /// moments ⟨s_i(t+1) s_j(t)⟩ and their connected parts, from a fresh Glauber run.
    /// `data` are the recording's transitions (repeat boundaries excluded).
    pub fn kinetic<T: Real>(
        model: &KineticIsing<T>,
        series: &Raster,
        data: &Transitions,
        fresh: &FreshSamples,
    ) -> Result<Self> {
        let run = fresh.kinetic(model)?;
        let mut c = Self::equal_time(series, &run, &Triplets::for_spins(series.n_spins(), 1))?;
        let (ld, lm) = (LaggedMoments::of_transitions(data), LaggedMoments::of(&run));
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

    /// The comparison of one statistic by name.
    pub fn get(&self, name: &str) -> Option<&StatisticComparison> {
        self.statistics.iter().find(|s| s.name == name)
    }

    /// A Markdown table, one row per statistic.
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "Data: {} samples; model: {} fresh samples; triplets: {}.\n\n\
             | statistic | entries | Pearson r | slope | RMSE | distance per site |\n\
             |---|---:|---:|---:|---:|---:|\n",
            self.data_samples, self.model_samples, self.triplets
        );
        if let Some(d) = &self.chains {
            out = format!(
                "Fresh chains: R̂ = {:.3} across {} chains, autocorrelation time {:.1} samples.{}\n\n{out}",
                d.r_hat,
                d.chains,
                d.autocorrelation_time,
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

    /// One scatter per statistic, model against data with y = x, named `{prefix}{name}.svg`
    /// in `dir`; returns the files written.
    pub fn write_figures(
        &self,
        dir: &Path,
        prefix: &str,
        model_name: &str,
    ) -> Result<Vec<PathBuf>> {
        let mut files = Vec::new();
        for s in &self.statistics {
            let path = dir.join(format!("{prefix}{}.svg", s.name));
            let a = &s.agreement;
            scatter_with_diagonal(
                &path,
                &Figure {
                    title: format!(
                        "{model_name}: {} (r = {:.3})",
                        s.name.replace('_', " "),
                        a.pearson
                    ),
                    x_label: format!("data {}", s.symbol),
                    y_label: format!("model {}", s.symbol),
                    series: vec![Series::paired(
                        format!("{} entries", a.count),
                        &s.data,
                        &s.model,
                    )],
                },
            )?;
            files.push(path);
        }
        Ok(files)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agreement_of_a_perfect_and_a_scaled_model() {
        let x = [0.1, -0.3, 0.5, 0.2];
        let a = agreement(&x, &x, 2);
        assert!((a.pearson - 1.0).abs() < 1e-12 && (a.slope - 1.0).abs() < 1e-12);
        assert_eq!(a.rmse, 0.0);
        let y: Vec<f64> = x.iter().map(|v| 2.0 * v + 1.0).collect();
        let b = agreement(&x, &y, 2);
        assert!((b.slope - 2.0).abs() < 1e-12 && (b.pearson - 1.0).abs() < 1e-12);
        let d: f64 = x.iter().map(|v| (v + 1.0) * (v + 1.0)).sum();
        assert!((b.distance_per_site - d.sqrt() / 2.0).abs() < 1e-12);
        assert!((b.rmse - (d / 4.0).sqrt()).abs() < 1e-12);
    }
}
