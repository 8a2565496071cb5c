//! Column sums over the listed cells of a state, blocked so that the accumulators stay in
//! registers: the inner loops of the kinetic likelihood and of the row-wise Newton solver.

/// θ = base + Σ_{j listed} col_j, in blocks of 32 rows held in registers across all the
/// listed columns (instead of loading and storing θ once per column).
#[inline(always)]
pub(crate) fn add_columns(
    theta: &mut [f64],
    base: &[f64],
    matrix: &[f64],
    listed: &[u16],
    n: usize,
) {
    const BLOCK: usize = 32;
    let full = n - n % BLOCK;
    for start in (0..full).step_by(BLOCK) {
        let mut acc = [0.0f64; BLOCK];
        acc.copy_from_slice(&base[start..start + BLOCK]);
        for &j in listed {
            let col = &matrix[j as usize * n + start..j as usize * n + start + BLOCK];
            for (a, &c) in acc.iter_mut().zip(col) {
                *a += c;
            }
        }
        theta[start..start + BLOCK].copy_from_slice(&acc);
    }
    theta[full..].copy_from_slice(&base[full..]);
    for &j in listed {
        let col = &matrix[j as usize * n + full..(j as usize + 1) * n];
        for (th, &c) in theta[full..].iter_mut().zip(col) {
            *th += c;
        }
    }
}

/// col_j += v for every listed j, in blocks of 32 rows of v held in registers.
#[inline(always)]
pub(crate) fn add_to_columns(matrix: &mut [f64], v: &[f64], listed: &[u16], n: usize) {
    const BLOCK: usize = 32;
    let full = n - n % BLOCK;
    for start in (0..full).step_by(BLOCK) {
        let mut block = [0.0f64; BLOCK];
        block.copy_from_slice(&v[start..start + BLOCK]);
        for &j in listed {
            let col = &mut matrix[j as usize * n + start..j as usize * n + start + BLOCK];
            for (c, &b) in col.iter_mut().zip(&block) {
                *c += b;
            }
        }
    }
    for &j in listed {
        let col = &mut matrix[j as usize * n + full..(j as usize + 1) * n];
        for (c, &b) in col.iter_mut().zip(&v[full..]) {
            *c += b;
        }
    }
}
