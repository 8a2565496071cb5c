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
    }
}
