//! Popcounts of bit rows, compiled for the popcount instructions of the machine (x86-64's
//! baseline has none: `count_ones` would be a dozen shifts and masks per word).

/// Number of positions where two bit rows differ: Σ_w popcount(a_w XOR b_w).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx512vpopcntdq+avx2+popcnt",
    "x86_64+avx2+popcnt",
    "x86_64+popcnt"
))]
pub(crate) fn xor_popcount(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x ^ y).count_ones() as u64)
        .sum()
}

/// Rows compared at once by [`xor_popcounts`].
pub(crate) const BLOCK_ROWS: usize = 4;

/// [`xor_popcount`] of one row `a` against each of four rows `b` in one pass over `a`: when
/// a block of rows is compared with many others (all N² pairs of a raster), each streamed
/// row is read once per block instead of once per pair, a quarter of the memory traffic.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx512vpopcntdq+avx2+popcnt",
    "x86_64+avx2+popcnt",
    "x86_64+popcnt"
))]
pub(crate) fn xor_popcounts(a: &[u64], b: [&[u64]; BLOCK_ROWS]) -> [u64; BLOCK_ROWS] {
    const LANES: usize = 8;
    let len = a.len();
    let rows = b.map(|r| &r[..len]);
    // Eight words per row at a time in fixed-size arrays: no bounds checks, so the loop
    // becomes vector XORs and popcounts (scalar with a check per word otherwise).
    let mut lanes = [[0u64; LANES]; BLOCK_ROWS];
    let whole = len / LANES * LANES;
    for w in (0..whole).step_by(LANES) {
        let x: &[u64; LANES] = a[w..w + LANES].try_into().expect("eight words");
        for (acc, row) in lanes.iter_mut().zip(&rows) {
            let y: &[u64; LANES] = row[w..w + LANES].try_into().expect("eight words");
            for l in 0..LANES {
                acc[l] += (x[l] ^ y[l]).count_ones() as u64;
            }
        }
    }
    let mut counts = [0u64; BLOCK_ROWS];
    for ((count, acc), row) in counts.iter_mut().zip(&lanes).zip(&rows) {
        *count = acc.iter().sum::<u64>() + xor_popcount(&a[whole..], &row[whole..]);
    }
    counts
}

/// popcount(r XOR b) for every streamed row r and every row b of `block`, four block rows
/// at a time: one run of `block.len()` counts per streamed row, in order. Each streamed row
/// is read once for the whole block.
pub(crate) fn xor_popcount_table<'a>(
    block: &[&[u64]],
    streamed: impl ExactSizeIterator<Item = &'a [u64]>,
) -> Vec<u64> {
    let mut counts = Vec::with_capacity(streamed.len() * block.len());
    for row in streamed {
        xor_popcount_block(row, block, &mut counts);
    }
    counts
}

/// Appends popcount(a XOR b_k) for each row b_k of `block` (any number of rows) to `out`,
/// four rows at a time.
fn xor_popcount_block(a: &[u64], block: &[&[u64]], out: &mut Vec<u64>) {
    let mut chunks = block.chunks_exact(BLOCK_ROWS);
    for four in &mut chunks {
        out.extend(xor_popcounts(a, [four[0], four[1], four[2], four[3]]));
    }
    out.extend(chunks.remainder().iter().map(|b| xor_popcount(a, b)));
}

/// Σ_w popcount(a_w XOR b_w XOR c_w): the positions where an odd number of the three rows
/// have their bit set.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl+avx512vpopcntdq+avx2+popcnt",
    "x86_64+avx2+popcnt",
    "x86_64+popcnt"
))]
pub(crate) fn xor3_popcount(a: &[u64], b: &[u64], c: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .zip(c)
        .map(|((x, y), z)| (x ^ y ^ z).count_ones() as u64)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn popcounts_count_the_differing_bits() {
        let a: Vec<u64> = (0..37u64)
            .map(|k| k.wrapping_mul(0x9e37_79b9_7f4a_7c15))
            .collect();
        let b: Vec<u64> = a.iter().map(|x| x.rotate_left(7)).collect();
        let c: Vec<u64> = a.iter().map(|x| !x).collect();
        let naive2: u64 = (0..37)
            .map(|k| (0..64).filter(|&s| ((a[k] ^ b[k]) >> s) & 1 == 1).count() as u64)
            .sum();
        assert_eq!(xor_popcount(&a, &b), naive2);
        assert_eq!(xor_popcount(&a, &c), 37 * 64);
        // a XOR b XOR (NOT a) = NOT b.
        let ones_b: u64 = b
            .iter()
            .map(|w| (0..64).filter(|&s| (w >> s) & 1 == 1).count() as u64)
            .sum();
        assert_eq!(xor3_popcount(&a, &b, &c), 37 * 64 - ones_b);
        // The block form agrees with the pairwise one, for full and partial blocks.
        let d: Vec<u64> = a.iter().map(|x| x.wrapping_mul(3)).collect();
        let rows: [&[u64]; 6] = [&a, &b, &c, &d, &b, &a];
        for len in [4, 5, 6] {
            let streamed = [&d[..], &a[..]];
            let expected: Vec<u64> = streamed
                .iter()
                .flat_map(|s| rows[..len].iter().map(|r| xor_popcount(s, r)))
                .collect();
            assert_eq!(
                xor_popcount_table(&rows[..len], streamed.into_iter()),
                expected
            );
        }
    }
}
