//! How well model values reproduce data values: Pearson r, slope, RMSE, distance per site.

use serde::{Deserialize, Serialize};

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

/// Pearson correlation of paired values (NaN when either side is constant).
pub fn pearson(x: &[f64], y: &[f64]) -> f64 {
    agreement(x, y, 1).pearson
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
