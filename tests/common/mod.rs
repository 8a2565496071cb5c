//! Helpers shared by the integration tests.
#![allow(dead_code)]

use nalgebra::DVector;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use spinfer::{sample::ExactDistribution, Energy, Ising, Raster, Real};

/// A seeded generator.
pub fn rng(seed: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed)
}

/// The study's planted N-spin model and `m` exact samples from it.
pub fn planted_ising(n: usize, m: usize, seed: u64) -> (Ising<f64>, Raster) {
    let mut r = rng(seed);
    let model = Ising::planted(n, &mut r);
    let data = ExactDistribution::new(&model).unwrap().sample(m, &mut r);
    (model, data)
}

/// Root-mean-square difference of two parameter blocks.
pub fn rmse(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    (a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

/// RMSE of h and of J (upper triangle) between two equilibrium models.
pub fn ising_rmse<T: Real, U: Real>(a: &Ising<T>, b: &Ising<U>) -> (f64, f64) {
    let n = a.n_spins();
    let pa: Vec<f64> = a.params().iter().map(|v| v.as_f64()).collect();
    let pb: Vec<f64> = b.params().iter().map(|v| v.as_f64()).collect();
    (rmse(&pa[..n], &pb[..n]), rmse(&pa[n..], &pb[n..]))
}

/// Converts a vector to f64.
pub fn to_f64<T: Real>(v: &DVector<T>) -> Vec<f64> {
    v.iter().map(|x| x.as_f64()).collect()
}
