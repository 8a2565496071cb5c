//! Eight chains of a pairwise model advanced together: at each site the acceptance tests of
//! the eight run in vector lanes (eight xoshiro256++ streams stepped side by side, the
//! acceptance thresholds computed without branches), and each accepted flip adds its
//! column of 2J to its own chain's local fields. The kernel works in f32 whatever the
//! model's precision: fields kept in f32 and recomputed in f64 every [`REFRESH_SWEEPS`]
//! sweeps, thresholds from 24-bit uniforms (see [`UpdateRule::threshold`]).
//!
//! Each chain draws its variates from its own stream (half a stream output per proposal),
//! so a chain's samples do not depend on which other chains share its group, nor on the
//! number of threads.

use std::sync::Arc;

use rand::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

use super::{
    chain::{Chain, ChainRun, McmcSettings, UpdateRule},
    fold::ConditionalFold,
};
use crate::{
    kernels::{
        aligned::{padded, AlignedF32},
        fastmath::tanh_into,
        has_avx512,
    },
    model::Pairwise,
    raster::Raster,
    Real, Statistics,
};

/// Chains per group.
pub const LANES: usize = 8;

/// Eight xoshiro256++ generators, state word by word (structure of arrays).
#[derive(Clone, Copy)]
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

/// Sweeps between two recomputations of the f32 local fields from the spins in f64.
///
/// An accepted flip adds ±2J_·k to every field of its chain, rounded to f32; between
/// refreshes a field takes at most `REFRESH_SWEEPS · N` such additions, so its drift stays
/// below `REFRESH_SWEEPS · N` half-units in the last place of the largest field (plus the
/// f32 rounding of J), however long the chain runs.
pub const REFRESH_SWEEPS: usize = 16;

/// The eight lanes' values at one site (spins as ±1.0, or thresholds), side by side: one
/// 256-bit load.
#[derive(Clone, Copy, Debug)]
#[repr(C, align(32))]
struct Site([f32; LANES]);

/// The state of a group during a call. The local fields are per chain (contiguous, so that
/// an accepted flip is one vector loop over its chain's fields) and in f32, which halves the
/// memory traffic of a flip; they are recomputed in f64 every [`REFRESH_SWEEPS`] sweeps so
/// that rounding cannot accumulate. The spins are per site (the eight lanes' spins at a
/// site in one vector, as the tests read them).
#[derive(Clone)]
struct Group<'a> {
    n: usize,
    /// N rounded up to a whole number of cache lines: the stride of `fields` and
    /// `couplings_f32`.
    stride: usize,
    /// J column-major in f64, for the refreshes.
    couplings: &'a [f64],
    /// J column-major in f32, for the flips, each column padded with zeros to `stride`
    /// (shared by the groups of a temperature ladder).
    couplings_f32: Arc<AlignedF32>,
    /// h − J·1 in f64: the fields of the all-down state (the refreshes add 2J_·k per up
    /// spin k).
    base: Arc<Vec<f64>>,
    /// h + J·1: the fields of the all-up state.
    top: Arc<Vec<f64>>,
    /// 1/(2β): the halved thresholds of a chain at inverse temperature β. The test
    /// βΔE ≤ t(u) is ΔE ≤ t(u)/β, so a tempered chain runs on the model's own fields and
    /// only its thresholds scale (0.5 at β = 1, which keeps that case bit for bit).
    half_over_beta: f32,
    /// Site i's spins of the eight lanes (lanes without a chain hold −1 and never flip).
    spins: Vec<Site>,
    /// Lane l's local fields at l·S..l·S + N (S = `stride`; the padding stays zero).
    fields: AlignedF32,
    /// The halved thresholds t/2 of the current sweep, site by site.
    thresholds: Vec<Site>,
    /// Sweeps since the fields were last computed in f64.
    since_refresh: usize,
    streams: Streams,
}

impl<'a> Group<'a> {
    fn new(h: &[f64], couplings: &'a [f64], spins: Vec<Site>, streams: Streams) -> Self {
        let n = h.len();
        let row_sums: Vec<f64> = (0..n)
            .map(|i| (0..n).map(|k| couplings[i + n * k]).sum::<f64>())
            .collect();
        let base = h.iter().zip(&row_sums).map(|(h, r)| h - r).collect();
        let top = h.iter().zip(&row_sums).map(|(h, r)| h + r).collect();
        let stride = padded(n);
        let mut couplings_f32 = AlignedF32::zeros(n * stride);
        for (column, values) in couplings_f32
            .as_mut_slice()
            .chunks_exact_mut(stride.max(1))
            .zip(couplings.chunks_exact(n.max(1)))
        {
            for (c, &v) in column.iter_mut().zip(values) {
                *c = v as f32;
            }
        }
        let mut group = Group {
            n,
            stride,
            couplings,
            couplings_f32: Arc::new(couplings_f32),
            base: Arc::new(base),
            top: Arc::new(top),
            half_over_beta: 0.5,
            spins,
            fields: AlignedF32::zeros(LANES * stride),
            thresholds: vec![Site([0.0; LANES]); n],
            since_refresh: 0,
            streams,
        };
        group.refresh();
        group
    }

    /// Every lane's fields recomputed from its spins in f64, from whichever of its up and
    /// down sets is smaller: f = (h − J·1) + Σ_{k up} 2J_·k = (h + J·1) − Σ_{k down} 2J_·k.
    /// Columns are read once for all the lanes that list them (J does not fit in cache at
    /// N = 1,000).
    fn refresh(&mut self) {
        let (n, stride) = (self.n, self.stride);
        let mut from_up = [true; LANES];
        for (l, up) in from_up.iter_mut().enumerate() {
            *up = 2 * self.spins.iter().filter(|s| s.0[l] > 0.0).count() <= n;
        }
        let mut exact = vec![0.0f64; LANES * n];
        for (l, lane) in exact.chunks_exact_mut(n.max(1)).enumerate() {
            lane.copy_from_slice(if from_up[l] { &self.base } else { &self.top });
        }
        add_listed_columns(&self.spins, self.couplings, from_up, &mut exact);
        for (l, lane) in exact.chunks_exact(n.max(1)).enumerate() {
            let fields = &mut self.fields.as_mut_slice()[l * stride..l * stride + n];
            for (f, &e) in fields.iter_mut().zip(lane) {
                *f = e as f32;
            }
        }
        self.since_refresh = 0;
    }

    /// A group on the same model (sharing its couplings) with other spins and streams, at
    /// inverse temperature `beta`.
    fn sibling(&self, spins: Vec<Site>, streams: Streams, beta: f64) -> Self {
        let mut group = Group {
            spins,
            fields: AlignedF32::zeros(LANES * self.stride),
            thresholds: vec![Site([0.0; LANES]); self.n],
            streams,
            half_over_beta: (0.5 / beta) as f32,
            ..self.clone_shared()
        };
        group.refresh();
        group
    }

    /// The shared parts with empty per-lane state (filled in by the caller).
    fn clone_shared(&self) -> Self {
        Group {
            n: self.n,
            stride: self.stride,
            couplings: self.couplings,
            couplings_f32: Arc::clone(&self.couplings_f32),
            base: Arc::clone(&self.base),
            top: Arc::clone(&self.top),
            half_over_beta: self.half_over_beta,
            spins: Vec::new(),
            fields: AlignedF32::zeros(0),
            thresholds: Vec::new(),
            since_refresh: 0,
            streams: self.streams,
        }
    }

    /// Lane l's spins, site by site.
    fn lane_spins(&self, l: usize) -> impl Iterator<Item = f32> + '_ {
        self.spins.iter().map(move |s| s.0[l])
    }
}

/// The refresh's sums: lane l's N values in `exact` (l·N..(l + 1)·N) get +2J_·k for every
/// site k whose spin is up when `from_up[l]`, −2J_·k for every site whose spin is down
/// otherwise. Element-wise (c·J with c = ±2 is exact, then one rounded addition), so every
/// instruction set gives the same sums; compiled for several so that the loops use the
/// widest vectors (the baseline build's two-wide ones made the refreshes a tenth of a
/// sampling run).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn add_listed_columns(
    spins: &[Site],
    couplings: &[f64],
    from_up: [bool; LANES],
    exact: &mut [f64],
) {
    let n = spins.len();
    for (k, site) in spins.iter().enumerate() {
        let column = &couplings[k * n..(k + 1) * n];
        for (l, lane) in exact.chunks_exact_mut(n.max(1)).enumerate() {
            if (site.0[l] > 0.0) == from_up[l] {
                let c = if from_up[l] { 2.0 } else { -2.0 };
                for (e, &j) in lane.iter_mut().zip(column) {
                    *e += c * j;
                }
            }
        }
    }
}

/// u ∈ (0, 1] from 24 random bits b: (b + 1)·2⁻²⁴, exact in f32.
#[inline(always)]
fn uniform24(bits: u64) -> f32 {
    ((bits & 0xff_ffff) + 1) as f32 * (1.0 / (1u32 << 24) as f32)
}

/// The halved thresholds t/2 of one sweep: each step of the eight streams gives two
/// sites' uniforms (bits 40–63 and 8–31 of each output), so a 512-bit vector of sixteen f32
/// variates comes from one vector step of the generators. Halved (exactly, a power of two)
/// so that the test ΔE = 2 s f ≤ t is s·f ≤ t/2, where s·f is f with its sign bit flipped
/// by s: one operation on the sweep's critical path instead of two multiplications.
/// Compiled for several instruction sets and chosen at run time.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn draw_thresholds<U: UpdateRule>(streams: &mut Streams, thresholds: &mut [Site], scale: f32) {
    const FMA: bool = multiversion::target::target_cfg_f!(target_feature = "fma");
    // A local copy, so that the state stays in registers through the loop.
    let mut local = *streams;
    let mut pairs = thresholds.chunks_exact_mut(2);
    for pair in &mut pairs {
        let bits = local.next();
        let mut t = [0.0f32; 2 * LANES];
        for l in 0..LANES {
            t[l] = uniform24(bits[l] >> 40);
            t[LANES + l] = uniform24(bits[l] >> 8);
        }
        // Sixteen at once: one 512-bit vector where the instruction set has it.
        for v in &mut t {
            *v = scale * U::threshold::<FMA>(*v);
        }
        pair[0].0.copy_from_slice(&t[..LANES]);
        pair[1].0.copy_from_slice(&t[LANES..]);
    }
    for last in pairs.into_remainder() {
        let bits = local.next();
        for (l, t) in last.0.iter_mut().enumerate() {
            *t = scale * U::threshold::<FMA>(uniform24(bits[l] >> 40));
        }
    }
    *streams = local;
}

/// One pass over the sites with the thresholds drawn: at each site the eight tests
/// ΔE = 2 s_i f_i ≤ t, as s_i f_i ≤ t/2, side by side, then a flip per accepted lane of
/// those marked in `active`. Every operation is exact or rounded once in f32 (c·J with
/// c = ±2 is exact), so [`sites_avx512`] gives the same result bit for bit.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn sites_portable(group: &mut Group<'_>, active: u32) {
    let stride = group.stride;
    let fields = group.fields.as_mut_slice();
    let couplings = group.couplings_f32.as_slice();
    for (i, (spins, thresholds)) in group.spins.iter_mut().zip(&group.thresholds).enumerate() {
        let mut accepted = 0u32;
        for l in 0..LANES {
            let half_delta = spins.0[l] * fields[l * stride + i];
            accepted |= u32::from(half_delta <= thresholds.0[l]) << l;
        }
        accepted &= active;
        while accepted != 0 {
            let l = accepted.trailing_zeros() as usize;
            accepted &= accepted - 1;
            spins.0[l] = -spins.0[l];
            let c = 2.0 * spins.0[l];
            // Whole cache lines: the padding of both is zero and stays zero.
            let column = &couplings[i * stride..(i + 1) * stride];
            for (f, &j) in fields[l * stride..(l + 1) * stride].iter_mut().zip(column) {
                *f += c * j;
            }
        }
    }
}

/// Sites per block of [`sites_avx512`].
const BLOCK: usize = 16;

/// [`sites_portable`] written with AVX-512 intrinsics, a block of [`BLOCK`] sites at a
/// time: first the block's tests, site by site, then its flips' column updates.
///
/// The tests need each site's fields with the flips at earlier sites of the block added:
/// the block's eight-lane fields are loaded at its start and every site's flips add
/// c_l J_{b,i} to them in registers (the same fused multiply-adds, in the same order, as
/// the column updates then make in memory, so the results are bit for bit those of
/// [`sites_portable`]). The tests then run without branches, and the flips of the whole
/// block are one loop over its accepted (site, lane) pairs: one mispredicted loop exit per
/// block rather than one or two per site, and no wait on a flip's stores before the next
/// site's loads.
///
/// # Safety
/// The processor must support AVX-512F, AVX-512VL, AVX2 and FMA ([`has_avx512`]).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512vl,avx2,fma")]
unsafe fn sites_avx512(group: &mut Group<'_>, active: u32) {
    use std::arch::x86_64::*;
    let (n, stride) = (group.n, group.stride);
    assert!(
        group.spins.len() == n
            && group.thresholds.len() == n
            && group.fields.as_slice().len() == LANES * stride
            && group.couplings_f32.as_slice().len() == n * stride
            && stride % BLOCK == 0
            && BLOCK == 16
    );
    let fields = group.fields.as_mut_slice().as_mut_ptr();
    let couplings = group.couplings_f32.as_slice().as_ptr();
    let spins = group.spins.as_mut_ptr();
    let thresholds = group.thresholds.as_ptr();
    let sign = _mm256_set1_ps(-0.0);
    let minus_two = _mm256_set1_ps(-2.0);
    let active = active as __mmask8;
    for start in (0..n).step_by(BLOCK) {
        let len = BLOCK.min(n - start);
        // SAFETY (this block): blocks start at multiples of 16 below n ≤ stride, and the
        // stride is a multiple of 16, so sites start..start + 16 are inside every lane's
        // fields and every column (the padding past N holds zeros, and only zeros are
        // added to it); the site arrays are 32-byte aligned, the columns and lanes whole
        // 64-byte lines of their aligned buffers (asserted above).
        let mut block = [_mm256_setzero_ps(); BLOCK];
        for (b, f) in block.iter_mut().enumerate() {
            // Eight scalar loads: a gather instruction measured a fifth slower.
            let p = fields.add(start + b);
            *f = _mm256_setr_ps(
                *p,
                *p.add(stride),
                *p.add(2 * stride),
                *p.add(3 * stride),
                *p.add(4 * stride),
                *p.add(5 * stride),
                *p.add(6 * stride),
                *p.add(7 * stride),
            );
        }
        // c_l = 2 s_l (the new spin) of the lanes that flip at each site, 0 elsewhere; bit
        // 8b + l of `flips` set when lane l flips at site start + b.
        let mut factors = [Site([0.0; LANES]); BLOCK];
        let mut flips = 0u128;
        // The test at site start + b, written out for each b so that `block[b]` is a
        // register: indexed by a loop variable, the block lives on the stack and each
        // site's chain waits on a store and a load.
        macro_rules! test_site {
            ($b:literal) => {
                if $b < len {
                    let i = start + $b;
                    let site = (*spins.add(i)).0.as_mut_ptr();
                    let s = _mm256_load_ps(site);
                    // s·f: f with its sign flipped where s = −1 (exact).
                    let sf = _mm256_xor_ps(block[$b], _mm256_and_ps(s, sign));
                    let t = _mm256_load_ps((*thresholds.add(i)).0.as_ptr());
                    let accepted = _mm256_mask_cmp_ps_mask::<_CMP_LE_OQ>(active, sf, t);
                    let c = _mm256_maskz_mul_ps(accepted, minus_two, s);
                    _mm256_store_ps(
                        site,
                        _mm256_mask_sub_ps(s, accepted, _mm256_setzero_ps(), s),
                    );
                    _mm256_store_ps(factors[$b].0.as_mut_ptr(), c);
                    flips |= u128::from(accepted) << (LANES * $b);
                    // The flips' share of the later sites' fields (zero where no lane
                    // flipped).
                    let column = couplings.add(i * stride + start);
                    for (k, f) in block.iter_mut().enumerate().skip($b + 1) {
                        *f = _mm256_fmadd_ps(c, _mm256_set1_ps(*column.add(k)), *f);
                    }
                }
            };
        }
        test_site!(0);
        test_site!(1);
        test_site!(2);
        test_site!(3);
        test_site!(4);
        test_site!(5);
        test_site!(6);
        test_site!(7);
        test_site!(8);
        test_site!(9);
        test_site!(10);
        test_site!(11);
        test_site!(12);
        test_site!(13);
        test_site!(14);
        test_site!(15);
        // Site by site within each lane, as the tests assumed.
        while flips != 0 {
            let bit = flips.trailing_zeros() as usize;
            flips &= flips - 1;
            let (b, l) = (bit / LANES, bit % LANES);
            let c = _mm512_set1_ps(factors[b].0[l]);
            let column = couplings.add((start + b) * stride);
            let lane = fields.add(l * stride);
            for k in (0..stride).step_by(16) {
                let updated = _mm512_fmadd_ps(
                    c,
                    _mm512_load_ps(column.add(k)),
                    _mm512_load_ps(lane.add(k)),
                );
                _mm512_store_ps(lane.add(k), updated);
            }
        }
    }
}

/// `count` sweeps of the lanes marked `active`. Before each sweep the thresholds of all its
/// proposals are drawn (they do not depend on the state, so that loop runs at full vector
/// speed); the sweep itself then tests ΔE ≤ t per lane and site, which keeps the chain of
/// dependent operations from one site to the next short.
fn sweeps<U: UpdateRule>(group: &mut Group<'_>, count: usize, active: [bool; LANES]) {
    let active = (0..LANES).fold(0u32, |m, l| m | (u32::from(active[l]) << l));
    let avx512 = has_avx512();
    for _ in 0..count {
        draw_thresholds::<U>(
            &mut group.streams,
            &mut group.thresholds,
            group.half_over_beta,
        );
        if avx512 {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the features it is compiled for were detected at run time.
            unsafe {
                sites_avx512(group, active)
            }
        } else {
            sites_portable(group, active);
        }
        group.since_refresh += 1;
        if group.since_refresh == REFRESH_SWEEPS {
            group.refresh();
        }
    }
}

/// Sets bit `bit` of each site's word of every lane whose spin is up (the eight lanes of a
/// site side by side, so the loop is a vector comparison and shift).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn record_bits(spins: &[Site], words: &mut [[u64; LANES]], bit: usize) {
    for (site, words) in spins.iter().zip(words) {
        for (w, &s) in words.iter_mut().zip(&site.0) {
            *w |= u64::from(s > 0.0) << bit;
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
    rao_blackwell: Option<&dyn Statistics>,
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
    let mut spins = vec![Site([-1.0; LANES]); n];
    for (l, chain) in chains.iter().enumerate() {
        for (site, &s) in spins.iter_mut().zip(&chain.spins) {
            site.0[l] = f32::from(s);
        }
    }
    let mut group = Group::new(&h, &couplings, spins, Streams::load(chains));
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
    let mut folds: Vec<Option<ConditionalFold>> = shares
        .iter()
        .map(|&m| rao_blackwell.map(|stats| ConditionalFold::new(stats, n, m)))
        .collect();
    let mut all = [false; LANES];
    all[..lanes].fill(true);
    // Each lane's next 64 samples, bit-packed as the raster stores them (bit t mod 64 of
    // word i), written out a word per spin at a time.
    let mut pending = vec![[0u64; LANES]; n];
    for t in 0..longest {
        sweeps::<U>(&mut group, settings.sweeps, all);
        // All eight lanes at once (a lane past its share collects bits it never writes).
        record_bits(&group.spins, &mut pending, t & 63);
        for l in 0..lanes {
            if t >= shares[l] {
                continue;
            }
            if t & 63 == 63 || t + 1 == shares[l] {
                for (i, words) in pending.iter_mut().enumerate() {
                    out[l].row_mut(i)[t >> 6] = words[l];
                    words[l] = 0;
                }
            }
            if let Some(fold) = &mut folds[l] {
                // E[s_i | s_∖i] = tanh f_i for a pairwise model.
                tanh_into(
                    &group.fields.as_slice()[l * group.stride..l * group.stride + n],
                    fold.column(t),
                );
                fold.recorded(&out[l], t);
            }
        }
    }
    group.streams.store(chains);
    for (l, chain) in chains.iter_mut().enumerate() {
        chain.spins = group.lane_spins(l).map(|s| s as i8).collect();
    }
    out.into_iter()
        .zip(folds)
        .map(|(samples, fold)| ChainRun {
            conditional: fold.and_then(|f| f.finish(&samples)),
            samples,
        })
        .collect()
}

/// A temperature ladder of a pairwise model for replica exchange: one group per inverse
/// temperature β_k (all sharing the model's couplings, only their thresholds scaled by
/// 1/β_k), lane l of every group belonging to independent run l. Swapping two replicas
/// of a run swaps their configurations and local fields between neighbouring groups: the
/// fields are those of the unscaled model at every level, so nothing is recomputed.
pub(super) struct LaneLadder<'a> {
    groups: Vec<Group<'a>>,
    h: Vec<f64>,
    active: [bool; LANES],
}

impl<'a> LaneLadder<'a> {
    /// The ladder with `replicas[k][l]` (spins of the model's size, generators) at level k
    /// and lane l, at inverse temperatures `betas`; `couplings` is J column-major in f64.
    pub(super) fn new(
        h: &[f64],
        couplings: &'a [f64],
        betas: &[f64],
        replicas: &[Vec<Chain>],
    ) -> Self {
        let lanes = replicas.first().map_or(0, Vec::len);
        debug_assert!(lanes <= LANES && replicas.iter().all(|r| r.len() == lanes));
        let spins_of = |chains: &[Chain]| {
            let mut spins = vec![Site([-1.0; LANES]); h.len()];
            for (l, chain) in chains.iter().enumerate() {
                for (site, &s) in spins.iter_mut().zip(&chain.spins) {
                    site.0[l] = f32::from(s);
                }
            }
            spins
        };
        let first = Group::new(
            h,
            couplings,
            spins_of(&replicas[0]),
            Streams::load(&replicas[0]),
        );
        let mut groups = Vec::with_capacity(betas.len());
        for (&beta, chains) in betas.iter().zip(replicas).skip(1) {
            groups.push(first.sibling(spins_of(chains), Streams::load(chains), beta));
        }
        let mut bottom = first;
        bottom.half_over_beta = (0.5 / betas[0]) as f32;
        groups.insert(0, bottom);
        let mut active = [false; LANES];
        active[..lanes].fill(true);
        LaneLadder {
            groups,
            h: h.to_vec(),
            active,
        }
    }

    /// Levels of the ladder.
    pub(super) fn levels(&self) -> usize {
        self.groups.len()
    }

    /// `count` sweeps of every level.
    pub(super) fn sweep<U: UpdateRule>(&mut self, count: usize) {
        for group in &mut self.groups {
            sweeps::<U>(group, count, self.active);
        }
    }

    /// The energy E(s) = −Σ h s − ½ Σ J s s of every lane at level k (at β = 1), from the
    /// kept fields f = h + J s: E = −½ Σ_i s_i (h_i + f_i).
    pub(super) fn energies(&self, k: usize) -> [f64; LANES] {
        let group = &self.groups[k];
        let mut out = [0.0; LANES];
        for (l, e) in out.iter_mut().enumerate() {
            let fields = &group.fields.as_slice()[l * group.stride..l * group.stride + group.n];
            let mut sum = 0.0f64;
            for ((site, &f), &h) in group.spins.iter().zip(fields).zip(&self.h) {
                sum += f64::from(site.0[l]) * (h + f64::from(f));
            }
            *e = -0.5 * sum;
        }
        out
    }

    /// The number of up spins of every lane at level k.
    pub(super) fn ups(&self, k: usize) -> [u32; LANES] {
        let mut out = [0u32; LANES];
        for site in &self.groups[k].spins {
            for (o, &s) in out.iter_mut().zip(&site.0) {
                *o += u32::from(s > 0.0);
            }
        }
        out
    }

    /// Exchanges the configurations (and fields) of lane l at levels k and k + 1.
    pub(super) fn swap(&mut self, k: usize, l: usize) {
        let (low, high) = self.groups.split_at_mut(k + 1);
        let (a, b) = (&mut low[k], &mut high[0]);
        for (x, y) in a.spins.iter_mut().zip(b.spins.iter_mut()) {
            std::mem::swap(&mut x.0[l], &mut y.0[l]);
        }
        let range = l * a.stride..l * a.stride + a.n;
        a.fields.as_mut_slice()[range.clone()].swap_with_slice(&mut b.fields.as_mut_slice()[range]);
    }

    /// Sets bit `bit` of each site's word of every lane at level 0 whose spin is up.
    pub(super) fn record_bottom(&self, words: &mut [[u64; LANES]], bit: usize) {
        record_bits(&self.groups[0].spins, words, bit);
    }

    /// Lane l's local fields at level 0 (for the Rao–Blackwellised estimator).
    pub(super) fn bottom_fields(&self, l: usize) -> &[f32] {
        let g = &self.groups[0];
        &g.fields.as_slice()[l * g.stride..l * g.stride + g.n]
    }

    /// Writes every replica's spins and generator back.
    pub(super) fn store(&self, replicas: &mut [Vec<Chain>]) {
        for (group, chains) in self.groups.iter().zip(replicas.iter_mut()) {
            group.streams.store(chains);
            for (l, chain) in chains.iter_mut().enumerate() {
                chain.spins = group.lane_spins(l).map(|s| s as i8).collect();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use rand::{Rng, RngExt};

    use super::*;
    use crate::sample::MetropolisRule;

    /// A random N-spin model (h, J) with couplings of scale `coupling`.
    fn model(n: usize, coupling: f64, seed: u64) -> (Vec<f64>, Vec<f64>) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let h: Vec<f64> = (0..n).map(|_| rng.random_range(-1.0..0.5)).collect();
        let mut j = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..a {
                let v = coupling * rng.random_range(-1.0..1.0);
                j[a + n * b] = v;
                j[b + n * a] = v;
            }
        }
        (h, j)
    }

    /// A group on the model (h, J) with random spins and seeded streams.
    fn group<'a>(h: &[f64], j: &'a [f64], seed: u64) -> Group<'a> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut spins = vec![Site([-1.0; LANES]); h.len()];
        for site in &mut spins {
            for s in &mut site.0 {
                *s = if rng.random::<bool>() { 1.0 } else { -1.0 };
            }
        }
        let mut s = [[0u64; LANES]; 4];
        for word in s.iter_mut().flatten() {
            *word = rng.next_u64();
        }
        Group::new(h, j, spins, Streams { s })
    }

    /// For every lane and site, (|f32 field − f64 field recomputed from the spins|, that
    /// f64 field).
    fn errors(group: &Group<'_>, h: &[f64], j: &[f64]) -> Vec<(f64, f64)> {
        let n = group.n;
        let mut out = Vec::new();
        for l in 0..LANES {
            for i in 0..n {
                let exact = h[i]
                    + (0..n)
                        .map(|k| j[i + n * k] * f64::from(group.spins[k].0[l]))
                        .sum::<f64>();
                let kept = f64::from(group.fields.as_slice()[l * group.stride + i]);
                out.push(((kept - exact).abs(), exact));
            }
        }
        out
    }

    #[test]
    fn f32_fields_do_not_drift_over_long_runs() {
        // Strong couplings at N = 50: about a third of the proposals flip, so each field
        // takes some 16 rounded additions per sweep, 50,000 flips in all.
        let n = 50;
        let (h, j) = model(n, 0.3, 1);
        let mut g = group(&h, &j, 1);
        let reach = h.iter().map(|v| v.abs()).fold(0.0, f64::max)
            + (0..n)
                .map(|i| (0..n).map(|k| j[i + n * k].abs()).sum::<f64>())
                .fold(0.0, f64::max);
        // Between refreshes: at most REFRESH_SWEEPS · N additions since the last one, each
        // rounded by at most half a unit in the last place of a value below `reach`, plus
        // the f32 rounding of J in the flips (relative 2⁻²⁴ of each |J_ik|, summed).
        let half_ulp = reach * 2f64.powi(-24);
        let anywhere = (REFRESH_SWEEPS * n + 1) as f64 * half_ulp + reach * 2f64.powi(-24);
        let mut flips = 0usize;
        for round in 0..400 {
            let before = g.spins.clone();
            // Whole refresh periods on even rounds, 7 sweeps (prime to the period, so every
            // phase of it is checked) on odd ones.
            let count = if round % 2 == 0 {
                REFRESH_SWEEPS - g.since_refresh
            } else {
                7
            };
            sweeps::<MetropolisRule>(&mut g, count, [true; LANES]);
            flips += before
                .iter()
                .zip(&g.spins)
                .map(|(a, b)| a.0.iter().zip(&b.0).filter(|(x, y)| x != y).count())
                .sum::<usize>();
            for (error, exact) in errors(&g, &h, &j) {
                assert!(
                    error <= anywhere,
                    "round {round}: drift {error:e} > {anywhere:e}"
                );
                if g.since_refresh == 0 {
                    // Just refreshed: only the rounding of the exact field to f32 remains,
                    // whatever came before (1e-12 covers the f64 sums' different order).
                    let rounding = exact.abs() * 2f64.powi(-24) + 1e-12;
                    assert!(error <= rounding, "round {round}: {error:e} > {rounding:e}");
                }
            }
        }
        assert!(
            flips > 10_000,
            "the chains barely moved: {flips} spin changes"
        );
    }

    #[test]
    fn the_avx512_kernel_matches_the_portable_one_bit_for_bit() {
        if !has_avx512() {
            return;
        }
        // N = 37: columns and lanes padded to 48 values, an odd number of sites, a last
        // block of five sites; N = 48: whole blocks only.
        let active = 0b1011_0111;
        for n in [37, 48] {
            let (h, j) = model(n, 0.4, 2);
            let mut a = group(&h, &j, 3);
            let mut b = a.clone();
            for _ in 0..300 {
                draw_thresholds::<MetropolisRule>(&mut a.streams, &mut a.thresholds, 0.5);
                draw_thresholds::<MetropolisRule>(&mut b.streams, &mut b.thresholds, 0.5);
                sites_portable(&mut a, active);
                // SAFETY: the features were detected above.
                unsafe { sites_avx512(&mut b, active) };
            }
            let bits = |g: &Group<'_>| -> Vec<u32> {
                g.fields.as_slice().iter().map(|v| v.to_bits()).collect()
            };
            assert_eq!(bits(&a), bits(&b), "N = {n}");
            assert!(a.spins.iter().zip(&b.spins).all(|(x, y)| x.0 == y.0));
        }
        let (h, j) = model(37, 0.4, 2);
        // Inactive lanes never flip.
        let mut c = group(&h, &j, 3);
        let start = c.spins.clone();
        for _ in 0..50 {
            draw_thresholds::<MetropolisRule>(&mut c.streams, &mut c.thresholds, 0.5);
            sites_portable(&mut c, active);
        }
        for l in [3, 6] {
            assert!(c.spins.iter().zip(&start).all(|(x, y)| x.0[l] == y.0[l]));
        }
    }
}
