//! Third moments ⟨s_i s_j s_k⟩ by popcounts, over all triplets or a stated random subset.

use rand::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::Moments;
use crate::{kernels::bits::xor3_popcount, Raster};

/// Largest N for which every triplet is used: C(60, 3) = 34,220 triplets.
pub const ALL_TRIPLETS_UP_TO: usize = 60;

/// Size of the random subset used above [`ALL_TRIPLETS_UP_TO`] spins.
pub const TRIPLET_SUBSET: usize = 20_000;

/// A list of distinct triplets i < j < k.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Triplets {
    /// The triplets.
    pub list: Vec<[u32; 3]>,
    /// Whether the list holds every triplet.
    pub all: bool,
}

impl Triplets {
    /// Every triplet when N ≤ [`ALL_TRIPLETS_UP_TO`], otherwise [`TRIPLET_SUBSET`] distinct
    /// triplets drawn uniformly with the given seed (the same seed gives the same subset).
    pub fn for_spins(n: usize, seed: u64) -> Self {
        if n <= ALL_TRIPLETS_UP_TO {
            let mut list = Vec::new();
            for i in 0..n {
                for j in i + 1..n {
                    for k in j + 1..n {
                        list.push([i as u32, j as u32, k as u32]);
                    }
                }
            }
            return Triplets { list, all: true };
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut seen = std::collections::HashSet::new();
        let mut list = Vec::with_capacity(TRIPLET_SUBSET);
        while list.len() < TRIPLET_SUBSET {
            let mut t = [0u32; 3];
            for v in &mut t {
                *v = (rng.next_u64() % n as u64) as u32;
            }
            t.sort_unstable();
            if t[0] < t[1] && t[1] < t[2] && seen.insert(t) {
                list.push(t);
            }
        }
        list.sort_unstable();
        Triplets { list, all: false }
    }

    /// Words describing the set, for reports.
    pub fn describe(&self) -> String {
        if self.all {
            format!("all {} triplets", self.list.len())
        } else {
            format!("{} random triplets (seeded)", self.list.len())
        }
    }

    /// ⟨s_i s_j s_k⟩ for each triplet: the product is +1 exactly when an odd number of the
    /// three spins are up, so ⟨s_i s_j s_k⟩ = (2 popcount(x_i ⊕ x_j ⊕ x_k) − M)/M.
    pub fn moments(&self, raster: &Raster) -> Vec<f64> {
        let m = raster.n_samples().max(1) as f64;
        self.list
            .par_iter()
            .map(|&[i, j, k]| {
                let (a, b, c) = (
                    raster.row(i as usize),
                    raster.row(j as usize),
                    raster.row(k as usize),
                );
                let odd = xor3_popcount(a, b, c);
                (2.0 * odd as f64 - m) / m
            })
            .collect()
    }

    /// Connected third moments ⟨δs_i δs_j δs_k⟩ = ⟨s_i s_j s_k⟩ − m_i⟨s_j s_k⟩ − m_j⟨s_i s_k⟩
    /// − m_k⟨s_i s_j⟩ + 2 m_i m_j m_k, from the raw moments and the raster's [`Moments`].
    pub fn connected(&self, raw: &[f64], moments: &Moments) -> Vec<f64> {
        let (m, p) = (&moments.means, &moments.pairs);
        self.list
            .iter()
            .zip(raw)
            .map(|(&[i, j, k], &r)| {
                let (i, j, k) = (i as usize, j as usize, k as usize);
                r - m[i] * p[(j, k)] - m[j] * p[(i, k)] - m[k] * p[(i, j)]
                    + 2.0 * m[i] * m[j] * m[k]
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcount_moments_equal_the_definition() {
        let (n, m) = (7, 203);
        let mut r = Raster::zeros(n, m);
        for i in 0..n {
            for t in 0..m {
                r.set(i, t, (t * 7 + i * i * 3 + t * i) % 11 < 4);
            }
        }
        let triplets = Triplets::for_spins(n, 0);
        assert_eq!(triplets.list.len(), 35);
        let fast = triplets.moments(&r);
        let moments = Moments::of(&r);
        let connected = triplets.connected(&fast, &moments);
        for (q, &[i, j, k]) in triplets.list.iter().enumerate() {
            let (i, j, k) = (i as usize, j as usize, k as usize);
            let mut raw = 0.0;
            let mut conn = 0.0;
            for t in 0..m {
                let s = |c: usize| r.spin(c, t) as f64;
                raw += s(i) * s(j) * s(k);
                conn += (s(i) - moments.means[i])
                    * (s(j) - moments.means[j])
                    * (s(k) - moments.means[k]);
            }
            approx::assert_abs_diff_eq!(fast[q], raw / m as f64, epsilon = 1e-12);
            approx::assert_abs_diff_eq!(connected[q], conn / m as f64, epsilon = 1e-12);
        }
    }

    #[test]
    fn large_populations_use_a_reproducible_distinct_subset() {
        let a = Triplets::for_spins(160, 5);
        assert!(!a.all);
        assert_eq!(a.list.len(), TRIPLET_SUBSET);
        assert_eq!(a, Triplets::for_spins(160, 5));
        let unique: std::collections::HashSet<_> = a.list.iter().collect();
        assert_eq!(unique.len(), TRIPLET_SUBSET);
        assert!(a
            .list
            .iter()
            .all(|t| t[0] < t[1] && t[1] < t[2] && t[2] < 160));
    }
}
