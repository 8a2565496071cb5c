//! Eight chains of a pairwise model advanced together: at each site the acceptance tests of
//! the eight run in vector lanes (eight xoshiro256++ streams stepped side by side, the
//! acceptance probability computed without branches), and each accepted flip adds its
//! column of 2J to its own chain's local fields.
//!
//! Each chain draws one variate per proposal from its own stream, so a chain's samples do
//! not depend on which other chains share its group, nor on the number of threads.

use nalgebra::DMatrix;
use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::chains::{Chain, ChainRun, McmcSettings, UpdateRule};
use crate::{kernels::fastmath::tanh_into, model::Pairwise, raster::Raster, Real};

/// Chains per group.
pub const LANES: usize = 8;

/// Eight xoshiro256++ generators, state word by word (structure of arrays).
struct Streams {
    s: [[u64; LANES]; 4],
}

impl Streams {
    fn load(chains: &[Chain]) -> Self {
        let mut s = [[0u64; LANES]; 4];
        for (l, chain) in chains.iter().enumerate() {
            let bytes = chain.rng.state();
            for (w, word) in s.iter_mut().enumerate() {
                word[l] = u64::from_le_bytes(bytes[8 * w..8 * w + 8].try_into().expect("8"));
            }
        }
        Streams { s }
    }

    fn store(&self, chains: &mut [Chain]) {
        for (l, chain) in chains.iter_mut().enumerate() {
            let mut bytes = [0u8; 32];
            for (w, word) in self.s.iter().enumerate() {
                bytes[8 * w..8 * w + 8].copy_from_slice(&word[l].to_le_bytes());
            }
            chain.rng = Xoshiro256PlusPlus::from_seed(bytes);
        }
    }

    /// The next output of every stream (the reference xoshiro256++ step, lane-wise).
    #[inline(always)]
    fn next(&mut self) -> [u64; LANES] {
        let [s0, s1, s2, s3] = &mut self.s;
        let mut out = [0u64; LANES];
        for l in 0..LANES {
            out[l] = s0[l]
                .wrapping_add(s3[l])
                .rotate_left(23)
                .wrapping_add(s0[l]);
            let t = s1[l] << 17;
            s2[l] ^= s0[l];
            s3[l] ^= s1[l];
            s1[l] ^= s2[l];
            s0[l] ^= s3[l];
            s2[l] ^= t;
            s3[l] = s3[l].rotate_left(45);
        }
        out
    }
}

/// The state of a group during a call: spins and local fields per chain (contiguous, so
/// that an accepted flip is one vector loop over its chain's fields), in f64.
struct Group<'a> {
    n: usize,
    /// J column-major in f64.
    couplings: &'a [f64],
    /// Lane l's spins at l·N..(l + 1)·N, as ±1.0, for all eight lanes.
    spins: Vec<f64>,
    /// Lane l's local fields at l·N..(l + 1)·N.
    fields: Vec<f64>,
    streams: Streams,
}

/// `count` sweeps of the lanes marked `active`. Before each sweep the thresholds of all its
/// proposals are drawn (they do not depend on the state, so that loop runs at full vector
/// speed); the sweep itself then tests ΔE ≤ t per lane and site, which keeps the chain of
/// dependent operations from one site to the next short. Compiled for several instruction
/// sets and chosen at run time.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn sweeps<U: UpdateRule>(group: &mut Group<'_>, count: usize, active: [bool; LANES]) {
    const FMA: bool = multiversion::target::target_cfg_f!(target_feature = "fma");
    let n = group.n;
    assert!(group.spins.len() == LANES * n && group.fields.len() == LANES * n);
    let active = (0..LANES).fold(0u32, |m, l| m | (u32::from(active[l]) << l));
    let mut thresholds = vec![[0.0f64; LANES]; n];
    for _ in 0..count {
        for t in thresholds.iter_mut() {
            let bits = group.streams.next();
            for l in 0..LANES {
                // u ∈ (0, 1]: 53 random bits, shifted up by one unit.
                let u = ((bits[l] >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64);
                t[l] = U::threshold::<FMA>(u);
            }
        }
        for (i, t) in thresholds.iter().enumerate() {
            // The eight tests side by side (a strided load of each lane's spin and field,
            // one vector comparison), then a flip per accepted lane.
            let mut accepted = 0u32;
            for (l, &threshold) in t.iter().enumerate() {
                let (s, f) = (group.spins[l * n + i], group.fields[l * n + i]);
                accepted |= u32::from(2.0 * s * f <= threshold) << l;
            }
            accepted &= active;
            while accepted != 0 {
                let l = accepted.trailing_zeros() as usize;
                accepted &= accepted - 1;
                let new = -group.spins[l * n + i];
                group.spins[l * n + i] = new;
                let c = 2.0 * new;
                let column = &group.couplings[i * n..(i + 1) * n];
                for (fk, &j) in group.fields[l * n..(l + 1) * n].iter_mut().zip(column) {
                    *fk += c * j;
                }
            }
        }
    }
}

/// Runs a group of up to [`LANES`] chains: burn-in where needed, then `shares[l]` samples
/// of chain l (every lane sweeps as long as the longest share; a lane past its share
/// still sweeps, unrecorded, so that its stream advances as the group's does).
pub(super) fn run_group<T: Real, U: UpdateRule>(
    chains: &mut [Chain],
    model: Pairwise<'_, T>,
    shares: &[usize],
    settings: &McmcSettings,
) -> Vec<ChainRun> {
    let n = model.fields.len();
    let lanes = chains.len();
    let h: Vec<f64> = model.fields.iter().map(|v| v.as_f64()).collect();
    let couplings: Vec<f64> = model.couplings.iter().map(|v| v.as_f64()).collect();
    for chain in chains.iter_mut() {
        if chain.spins.len() != n || !settings.persistent {
            chain.randomize(n);
        }
    }
    // Lanes without a chain hold a fixed state that no sweep touches (they are never
    // active), so that the tests can read all eight lanes.
    let mut fields: Vec<f64> = chains
        .iter()
        .flat_map(|c| local_fields(&h, &couplings, &c.spins))
        .collect();
    fields.resize(LANES * n, 0.0);
    let mut spins: Vec<f64> = chains
        .iter()
        .flat_map(|c| c.spins.iter().map(|&s| s as f64))
        .collect();
    spins.resize(LANES * n, -1.0);
    let mut group = Group {
        n,
        couplings: &couplings,
        spins,
        fields,
        streams: Streams::load(chains),
    };
    // Burn-in: lanes that need it (fresh chains, restarted ones) sweep while the others
    // wait; a restarted lane needs fewer sweeps and stops first.
    let needs: Vec<usize> = chains.iter().map(|c| c.burn_in(settings)).collect();
    for chain in chains.iter_mut() {
        chain.burned_in = true;
    }
    let mut done = 0;
    while let Some(&next) = needs.iter().filter(|&&b| b > done).min() {
        let mut burn = [false; LANES];
        for (l, &b) in needs.iter().enumerate() {
            burn[l] = b > done;
        }
        sweeps::<U>(&mut group, next - done, burn);
        done = next;
    }
    let longest = shares.iter().cloned().max().unwrap_or(0);
    let mut out: Vec<Raster> = shares.iter().map(|&m| Raster::zeros(n, m)).collect();
    let mut conditional: Vec<Option<DMatrix<f32>>> = shares
        .iter()
        .map(|&m| settings.rao_blackwell.then(|| DMatrix::zeros(n, m)))
        .collect();
    let mut all = [false; LANES];
    all[..lanes].fill(true);
    // Each lane's next 64 samples, bit-packed as the raster stores them (bit t mod 64 of
    // word i), written out a word per spin at a time.
    let mut pending = vec![0u64; LANES * n];
    for t in 0..longest {
        sweeps::<U>(&mut group, settings.sweeps, all);
        for l in 0..lanes {
            if t >= shares[l] {
                continue;
            }
            let words = &mut pending[l * n..(l + 1) * n];
            for (w, &s) in words.iter_mut().zip(&group.spins[l * n..(l + 1) * n]) {
                *w |= u64::from(s > 0.0) << (t & 63);
            }
            if t & 63 == 63 || t + 1 == shares[l] {
                for (i, w) in words.iter_mut().enumerate() {
                    out[l].row_mut(i)[t >> 6] = *w;
                    *w = 0;
                }
            }
            if let Some(c) = &mut conditional[l] {
                // E[s_i | s_∖i] = tanh f_i for a pairwise model.
                tanh_into(
                    &group.fields[l * n..(l + 1) * n],
                    c.column_mut(t).as_mut_slice(),
                );
            }
        }
    }
    group.streams.store(chains);
    for (chain, spins) in chains.iter_mut().zip(group.spins.chunks_exact(n.max(1))) {
        chain.spins = spins.iter().map(|&s| s as i8).collect();
    }
    out.into_iter()
        .zip(conditional)
        .map(|(samples, conditional)| ChainRun {
            samples,
            conditional,
        })
        .collect()
}

/// f = h + J s.
fn local_fields(h: &[f64], j: &[f64], s: &[i8]) -> Vec<f64> {
    let n = h.len();
    let mut f = h.to_vec();
    for (k, &sk) in s.iter().enumerate() {
        let c = sk as f64;
        for (fi, &jik) in f.iter_mut().zip(&j[k * n..(k + 1) * n]) {
            *fi += c * jik;
        }
    }
    f
}
