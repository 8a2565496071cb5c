//! How faithful a model is to data, measured against how faithful the data are to
//! themselves: the RMSE of means and pair moments, model against data, as a multiple of the
//! RMSE between the data's first and second halves.

use serde::{Deserialize, Serialize};

use super::{rmse, upper_triangle, Moments};
use crate::Raster;

/// The data's own reproducibility: the RMSE of the means ⟨s_i⟩ and of the pair moments
/// ⟨s_i s_j⟩ (i < j) between the first and the second half of the samples.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct SplitHalf {
    /// RMSE of the means between the halves.
    pub means: f64,
    /// RMSE of the pair moments between the halves.
    pub pairs: f64,
}

impl SplitHalf {
    /// The split-half differences of `data` (samples in recording order).
    pub fn of(data: &Raster) -> Self {
        let m = data.n_samples();
        let (a, b) = (
            Moments::of(&data.samples(0, m / 2)),
            Moments::of(&data.samples(m / 2, m)),
        );
        SplitHalf {
            means: rmse(a.means.as_slice(), b.means.as_slice()),
            pairs: rmse(&upper_triangle(&a.pairs), &upper_triangle(&b.pairs)),
        }
    }
}

/// Model moments against data moments, in absolute terms and relative to [`SplitHalf`]: a
/// ratio of 1 means the model reproduces the data as well as one half of the data
/// reproduces the other.
///
/// The model moments are estimates from fresh samples, and their own noise adds to the
/// RMSE: E\[RMSE²\] = (true RMSE)² + mean(SE²). When the estimates' standard errors are known
/// the `corrected` ratios subtract it, estimating how far the model itself is from the data.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Faithfulness {
    /// RMSE of the means, model against data.
    pub means: f64,
    /// RMSE of the pair moments, model against data.
    pub pairs: f64,
    /// `means` over the split-half difference of the means.
    pub means_ratio: f64,
    /// `pairs` over the split-half difference of the pair moments.
    pub pairs_ratio: f64,
    /// Root mean square standard error of the model means (0 when unknown).
    pub means_noise: f64,
    /// Root mean square standard error of the model pair moments (0 when unknown).
    pub pairs_noise: f64,
    /// Model samples behind the model moments.
    pub samples: usize,
    /// RMSE of the distribution P(K) of the number of active cells, model against data
    /// (when the model's samples were at hand).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity: Option<f64>,
    /// `activity` over the RMSE of P(K) between the data's two halves.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activity_ratio: Option<f64>,
}

impl Faithfulness {
    /// Compares model moments (from `model.samples` fresh samples) with data moments.
    pub fn of(data: &Moments, model: &Moments, reference: &SplitHalf) -> Self {
        let means = rmse(data.means.as_slice(), model.means.as_slice());
        let pairs = rmse(&upper_triangle(&data.pairs), &upper_triangle(&model.pairs));
        Faithfulness {
            means,
            pairs,
            means_ratio: means / reference.means,
            pairs_ratio: pairs / reference.pairs,
            means_noise: 0.0,
            pairs_noise: 0.0,
            samples: model.samples,
            activity: None,
            activity_ratio: None,
        }
    }

    /// The same comparison with the distribution of K, the number of active cells per
    /// sample: P(K) of the model's samples against the data's, and its split-half
    /// difference (first against second half of the data).
    pub fn with_activity(mut self, data: &Raster, model: &Raster) -> Self {
        let m = data.n_samples();
        let (a, b) = (data.samples(0, m / 2), data.samples(m / 2, m));
        let rmse_of = |x: &Raster, y: &Raster| rmse(&activity(x), &activity(y));
        let distance = rmse_of(data, model);
        self.activity = Some(distance);
        self.activity_ratio = Some(distance / rmse_of(&a, &b));
        self
    }

    /// The same comparison, knowing the root mean square standard errors of the model's
    /// means and pair moments.
    pub fn with_noise(mut self, means_noise: f64, pairs_noise: f64) -> Self {
        self.means_noise = means_noise;
        self.pairs_noise = pairs_noise;
        self
    }

    /// The means ratio with the model estimate's own noise removed.
    pub fn means_corrected(&self) -> f64 {
        corrected(self.means, self.means_noise) * self.means_ratio
            / self.means.max(f64::MIN_POSITIVE)
    }

    /// The pairs ratio with the model estimate's own noise removed.
    pub fn pairs_corrected(&self) -> f64 {
        corrected(self.pairs, self.pairs_noise) * self.pairs_ratio
            / self.pairs.max(f64::MIN_POSITIVE)
    }

    /// The larger of the two ratios, as measured (the estimate's own noise included).
    pub fn worst_ratio(&self) -> f64 {
        self.means_ratio.max(self.pairs_ratio)
    }

    /// One line: the RMSEs, their ratios to the split-half difference, and the noise when
    /// it is known.
    pub fn describe(&self) -> String {
        let noise = if self.means_noise > 0.0 || self.pairs_noise > 0.0 {
            format!(
                " (standard errors {:.1e} and {:.1e})",
                self.means_noise, self.pairs_noise
            )
        } else {
            String::new()
        };
        format!(
            "RMSE model vs data: means {:.2e} ({:.2}× the data's split-half difference), \
             pairs {:.2e} ({:.2}×), from {} fresh samples{noise}",
            self.means, self.means_ratio, self.pairs, self.pairs_ratio, self.samples,
        )
    }
}

/// P(K = k), k = 0..=N: the distribution of the number of active cells per sample.
pub fn activity(samples: &Raster) -> Vec<f64> {
    let mut p = vec![0.0; samples.n_spins() + 1];
    let m = samples.n_samples().max(1) as f64;
    for k in samples.column_up_counts() {
        p[k as usize] += 1.0 / m;
    }
    p
}

/// √(max(rmse² − noise², 0)).
fn corrected(rmse: f64, noise: f64) -> f64 {
    (rmse * rmse - noise * noise).max(0.0).sqrt()
}
