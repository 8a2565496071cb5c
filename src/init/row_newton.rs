//! Newton's method, row by row, for the kinetic log-likelihood of a model without symmetry
//! constraint, and so for the (asymmetric) pseudo-likelihood of the equilibrium model.
//!
//! Without the symmetry constraint the log-likelihood per transition separates into one
//! logistic regression per cell,
//!
//! F_i = ⟨y_i(t) θ_i(t) − log 2cosh θ_i(t)⟩_t − ½λ₂ Σ_j J_ij² − ½λ₂ʰ h_i²,
//! θ_i(t) = h_i + Σ_j J_ij s_j(t),
//!
//! with y(t) the target state, each concave in its own N + 1 parameters. Every row takes
//! damped Newton steps δ = (−∇²F_i)⁻¹ ∇F_i and converges in a handful of passes over the data,
//! where the gradient loop needs hundreds of iterations on sparse recordings (their curvature
//! is far from the independent-cell one the loop preconditions with).
//!
//! Cost. In the coordinates of the [`TransitionData`] lists, θ_i(t) = c_i + Σ_{j listed at t}
//! b_ij with c_i = h_i − σ Σ_j J_ij and b_ij = 2σ J_ij (σ = ±1, the lists' sign), so the
//! curvature of row i is Σ_t w_i(t) z(t) z(t)ᵀ with w_i = 1 − tanh² θ_i and z = (1, listed
//! indicators). Each transition adds its weights w(t) to one accumulator per pair of its k
//! listed cells: O(T k² N) additions per pass, vectorised over rows, instead of O(T N³)
//! dense products. Rows are solved in blocks whose pair accumulators fit in the L2 cache,
//! blocks in parallel. Each row's sums run over t in order, so the result does not depend on
//! the number of threads.

use std::{ops::Range, time::Instant};

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::{
    fit::constant_cells,
    learn::{History, Outcome, Penalty, Record},
    sample::{
        conditional::{add_columns, add_to_columns, TransitionData},
        fastmath::tanh_and_log_2cosh,
    },
    Error, LearnSettings, Raster, Result, Transitions,
};

/// Settings of [`fit_rows`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RowNewtonSettings {
    /// Fit the self-couplings J_ii (kinetic models) or hold them at 0 (pseudo-likelihood).
    pub self_couplings: bool,
    /// λ₂ on the couplings.
    pub l2: f64,
    /// λ₂ʰ on the fields.
    pub l2_fields: f64,
    /// Largest number of Newton steps.
    pub max_iters: usize,
    /// A row has converged when |∂F_i/∂h_i| and every |∂F_i/∂J_ij| (per transition) are at
    /// most this.
    pub tol: f64,
}

impl Default for RowNewtonSettings {
    fn default() -> Self {
        RowNewtonSettings {
            self_couplings: true,
            l2: 0.0,
            l2_fields: 0.0,
            max_iters: 50,
            tol: 1e-9,
        }
    }
}

impl RowNewtonSettings {
    /// The solver for a fit's L2 penalty and loop settings: at most `learn.max_iters` steps,
    /// converged at `learn.grad_tol`. L1 terms are not representable (callers refuse them).
    pub fn for_fit(self_couplings: bool, penalty: &Penalty, learn: &LearnSettings) -> Self {
        RowNewtonSettings {
            self_couplings,
            l2: penalty.l2,
            l2_fields: penalty.l2_fields,
            max_iters: learn.max_iters,
            tol: learn.grad_tol,
        }
    }

    /// Validates the settings.
    pub fn check(&self) -> Result<()> {
        for (name, v) in [("l2", self.l2), ("l2-fields", self.l2_fields)] {
            if !(v.is_finite() && v >= 0.0) {
                return Err(Error::setting(name, v, "a finite number >= 0"));
            }
        }
        if !(self.tol.is_finite() && self.tol > 0.0) {
            return Err(Error::setting("tol", self.tol, "a finite number > 0"));
        }
        Ok(())
    }
}

/// The maximum of the row-separable objective.
#[derive(Clone, Debug)]
pub struct RowNewtonFit {
    /// The fields h.
    pub fields: DVector<f64>,
    /// The couplings J (row i: the inputs of cell i).
    pub couplings: DMatrix<f64>,
    /// One record per Newton step: Σ_i F_i (the penalised log-likelihood per transition) and
    /// the largest |∂F/∂h_i| and |∂F/∂J_ij|; rows that converged earlier keep their last
    /// values.
    pub history: History,
    /// Whether every row reached the tolerance.
    pub converged: bool,
}

impl RowNewtonFit {
    /// [`Outcome::Converged`] when every row reached the tolerance, else
    /// [`Outcome::MaxIterations`].
    pub fn outcome(&self) -> Outcome {
        if self.converged {
            Outcome::Converged
        } else {
            Outcome::MaxIterations
        }
    }
}

/// Bytes of pair accumulators per block. Measured on the 160-cell retina (2 cores, 2 MiB L2
/// per core): 1 MiB blocks (10 rows) took 9.7 s, 4 MiB (40 rows) 5.2 s, 16 MiB 5.6 s; wider
/// blocks amortise the per-transition work over more rows until the accumulators leave the
/// cache.
const PAIR_BUDGET_BYTES: usize = 4 << 20;

/// Largest number of step halvings before a row is taken as converged to rounding.
const MAX_HALVINGS: usize = 40;

/// Maximises the kinetic log-likelihood of `data` (targets `data.after()` given sources
/// `data.before()`) row by row with Newton's method, from the independent-cell model.
///
/// Cells that never or always change state are handled as in the gradient fit: the targets
/// are shrunk by the pseudocount 1/(T + 1), which keeps their fields finite.
pub fn fit_rows(data: &Transitions, settings: &RowNewtonSettings) -> Result<RowNewtonFit> {
    fit_weighted_rows(data, None, settings)
}

/// [`fit_rows`] where transition t stands for `multiplicity[t]` identical transitions
/// (distinct states and their counts, [`Raster::distinct`]).
pub fn fit_weighted_rows(
    data: &Transitions,
    multiplicity: Option<&[u64]>,
    settings: &RowNewtonSettings,
) -> Result<RowNewtonFit> {
    let problem = Problem::new(data, multiplicity, settings)?;
    let n = data.n_spins();
    let pairs = n * n.saturating_sub(1) / 2;
    // At least two blocks, so that both cores of a small machine work.
    let rows_per_block = (PAIR_BUDGET_BYTES / (8 * pairs.max(1)))
        .clamp(1, n.div_ceil(2).max(1))
        .min(n);
    let blocks: Vec<Range<usize>> = (0..n)
        .step_by(rows_per_block)
        .map(|r| r..(r + rows_per_block).min(n))
        .collect();
    let solved: Vec<BlockFit> = blocks
        .into_par_iter()
        .map(|rows| problem.solve_block(rows))
        .collect();

    let sign = problem.lists.list_sign();
    let mut fields = DVector::zeros(n);
    let mut couplings = DMatrix::zeros(n, n);
    for block in &solved {
        let width = block.rows.len();
        for (r, i) in block.rows.clone().enumerate() {
            let b = |j: usize| block.b[j * width + r];
            fields[i] = block.c[r] + 0.5 * (0..n).map(b).sum::<f64>();
            for j in 0..n {
                couplings[(i, j)] = 0.5 * sign * b(j);
            }
        }
    }
    let steps = solved.iter().map(|b| b.trace.len()).max().unwrap_or(0);
    let records = (0..steps)
        .map(|k| {
            let at = |b: &BlockFit| b.trace[k.min(b.trace.len() - 1)];
            let max =
                |f: fn(&TraceEntry) -> f64| solved.iter().map(|b| f(&at(b))).fold(0.0, f64::max);
            Record {
                iteration: k,
                max_gradient: vec![
                    ("h".into(), max(|e| e.max_grad_h)),
                    ("J".into(), max(|e| e.max_grad_j)),
                ],
                log_likelihood: Some(solved.iter().map(|b| at(b).objective).sum()),
                seconds: max(|e| e.seconds),
                connected_pearson: None,
            }
        })
        .collect();
    Ok(RowNewtonFit {
        fields,
        couplings,
        history: History { records },
        converged: solved.iter().all(|b| b.converged),
    })
}

/// The data and settings shared by all blocks.
struct Problem<'a> {
    lists: TransitionData,
    targets: &'a Raster,
    /// Multiplicity of each transition.
    weights: Vec<f64>,
    /// Σ_t weights[t], the number of transitions represented.
    total: f64,
    /// Σ_t weights[t] [target i up], per cell.
    up_weights: Vec<f64>,
    /// Targets are ±`target_scale`.
    target_scale: f64,
    settings: RowNewtonSettings,
    start: Instant,
}

/// One block's rows after the solve: c[r] and b[j · width + r] in list coordinates.
struct BlockFit {
    rows: Range<usize>,
    c: Vec<f64>,
    b: Vec<f64>,
    trace: Vec<TraceEntry>,
    converged: bool,
}

#[derive(Clone, Copy, Default)]
struct TraceEntry {
    objective: f64,
    max_grad_h: f64,
    max_grad_j: f64,
    seconds: f64,
}

/// Sums over all transitions for the rows of a block (width R), in list coordinates, each
/// transition counted with its multiplicity.
struct Sums {
    /// Σ_t y θ − log 2cosh θ, per row.
    log_likelihood: Vec<f64>,
    /// Σ_t (y − tanh θ), per row.
    residual: Vec<f64>,
    /// Σ_{t: j listed} (y − tanh θ), at j · R + r.
    listed_residual: Vec<f64>,
    /// Σ_t w, per row.
    weight: Vec<f64>,
    /// Σ_{t: j listed} w, at j · R + r.
    listed_weight: Vec<f64>,
    /// Σ_{t: j and k listed} w for j < k, at pair(j, k) · R + r.
    pair_weight: Vec<f64>,
}

/// Index of the pair j < k in the strictly lower triangle, row by row.
#[inline(always)]
fn pair(j: usize, k: usize) -> usize {
    k * (k - 1) / 2 + j
}

/// Per-row Newton quantities at the current parameters.
#[derive(Clone, Default)]
struct RowState {
    objective: f64,
    /// Step direction (−∇²F)⁻¹∇F over (c, b_inputs).
    direction: Vec<f64>,
    decrement: f64,
    done: bool,
}

impl<'a> Problem<'a> {
    /// The problem of maximising the row objectives of `data` (each transition counted
    /// `multiplicity[t]` times) under `settings`.
    fn new(
        data: &'a Transitions,
        multiplicity: Option<&[u64]>,
        settings: &RowNewtonSettings,
    ) -> Result<Self> {
        settings.check()?;
        let n = data.n_spins();
        crate::model::check_dense_size(n)?;
        let weights: Vec<f64> = match multiplicity {
            Some(m) if m.len() != data.len() => {
                return Err(Error::Shape(format!(
                    "{} multiplicities for {} transitions",
                    m.len(),
                    data.len()
                )))
            }
            Some(m) => m.iter().map(|&c| c as f64).collect(),
            None => vec![1.0; data.len()],
        };
        let total: f64 = weights.iter().sum();
        if total == 0.0 {
            return Err(Error::Shape("no transitions to fit".into()));
        }
        let up_weights = (0..n)
            .map(|i| {
                (0..data.len())
                    .filter(|&t| data.after().is_up(i, t))
                    .map(|t| weights[t])
                    .sum()
            })
            .collect();
        Ok(Problem {
            lists: TransitionData::of_sources(data.before())?,
            targets: data.after(),
            weights,
            total,
            up_weights,
            target_scale: if constant_cells(data.after()).is_empty() {
                1.0
            } else {
                1.0 - 1.0 / (total + 1.0)
            },
            settings: *settings,
            start: Instant::now(),
        })
    }
}

impl Problem<'_> {
    /// The inputs of row i: every cell, or every other cell without self-couplings.
    fn inputs(&self, i: usize) -> Vec<usize> {
        let n = self.lists.n_spins();
        (0..n)
            .filter(|&j| self.settings.self_couplings || j != i)
            .collect()
    }

    fn solve_block(&self, rows: Range<usize>) -> BlockFit {
        let n = self.lists.n_spins();
        let width = rows.len();
        let tf = self.total;
        // Start: J = 0 and h_i = atanh ⟨y_i⟩, the maximum of F_i at J = 0 (without penalty).
        let mut c: Vec<f64> = rows
            .clone()
            .map(|i| {
                let up = self.up_weights[i];
                let mean = self.target_scale * (2.0 * up / tf - 1.0);
                mean.clamp(-1.0 + 1e-12, 1.0 - 1e-12).atanh()
            })
            .collect();
        let mut b = vec![0.0; n * width];
        let mut states = vec![RowState::default(); width];
        let mut trace = Vec::new();
        let mut grads = vec![(0.0, 0.0); width];
        let mut iteration = 0;
        let mut curvature_sums = Some(self.pass(&rows, &c, &b, true));
        let converged = loop {
            if let Some(sums) = &curvature_sums {
                for (r, i) in rows.clone().enumerate() {
                    if states[r].done {
                        continue;
                    }
                    let (state, g) = self.newton_row(i, r, width, &c, &b, sums);
                    states[r] = state;
                    grads[r] = g;
                    states[r].done = g.0.max(g.1) <= self.settings.tol;
                }
            }
            trace.push(TraceEntry {
                objective: states.iter().map(|s| s.objective).sum(),
                max_grad_h: grads.iter().map(|g| g.0).fold(0.0, f64::max),
                max_grad_j: grads.iter().map(|g| g.1).fold(0.0, f64::max),
                seconds: self.start.elapsed().as_secs_f64(),
            });
            if states.iter().all(|s| s.done) {
                break true;
            }
            if iteration == self.settings.max_iters {
                break false;
            }
            let moved = self.line_search(&rows, &mut c, &mut b, &mut states);
            iteration += 1;
            // The line search's last pass already gives each row's gradient at its new point:
            // rows that have converged need no curvature pass, and when all have, none is made
            // (it would be the most expensive pass of the solve).
            for (r, g) in moved.into_iter().enumerate() {
                if let Some(g) = g {
                    grads[r] = g;
                    states[r].done = g.0.max(g.1) <= self.settings.tol;
                }
            }
            curvature_sums = if states.iter().all(|s| s.done) {
                None
            } else {
                Some(self.pass(&rows, &c, &b, true))
            };
        };
        BlockFit {
            rows,
            c,
            b,
            trace,
            converged,
        }
    }

    /// Row i's penalised objective F_i, its gradient over (c, b_inputs) and its largest
    /// gradients in the model's own coordinates (|∂F/∂h_i|, max_j |∂F/∂J_ij|), from the
    /// log-likelihood and residual sums of a pass (curvature sums not needed).
    fn row_gradient(
        &self,
        i: usize,
        r: usize,
        width: usize,
        c: &[f64],
        b: &[f64],
        sums: &Sums,
    ) -> (f64, DVector<f64>, (f64, f64)) {
        let s = &self.settings;
        let tf = self.total;
        let sign = self.lists.list_sign();
        let inputs = self.inputs(i);
        let bj = |j: usize| b[j * width + r];
        let h = c[r] + 0.5 * inputs.iter().map(|&j| bj(j)).sum::<f64>();
        // J_ij = σ b_j / 2 and h = c + ½ Σ_j b_j, so ½λ₂J² = λ₂b²/8 and ∂h/∂(c, b) = (1, ½, ..).
        let objective = sums.log_likelihood[r] / tf
            - s.l2 / 8.0 * inputs.iter().map(|&j| bj(j) * bj(j)).sum::<f64>()
            - 0.5 * s.l2_fields * h * h;
        let mut gradient = DVector::zeros(inputs.len() + 1);
        gradient[0] = sums.residual[r] / tf;
        let mut max_grad_j: f64 = 0.0;
        for (a, &j) in inputs.iter().enumerate() {
            let listed_residual = sums.listed_residual[j * width + r] / tf;
            // ∂L/∂J_ij = σ(2 ∂L/∂b_j − ∂L/∂c); the field penalty does not depend on J_ij.
            let grad_j = sign * (2.0 * listed_residual - gradient[0]) - s.l2 * 0.5 * sign * bj(j);
            max_grad_j = max_grad_j.max(grad_j.abs());
            gradient[a + 1] = listed_residual - s.l2 / 4.0 * bj(j) - 0.5 * s.l2_fields * h;
        }
        gradient[0] -= s.l2_fields * h;
        let max_grad_h = gradient[0].abs();
        (objective, gradient, (max_grad_h, max_grad_j))
    }

    /// Row i's objective, Newton direction and decrement, and its largest gradients in the
    /// model's own coordinates (|∂F/∂h_i|, max_j |∂F/∂J_ij|).
    fn newton_row(
        &self,
        i: usize,
        r: usize,
        width: usize,
        c: &[f64],
        b: &[f64],
        sums: &Sums,
    ) -> (RowState, (f64, f64)) {
        let s = &self.settings;
        let tf = self.total;
        let inputs = self.inputs(i);
        let d = inputs.len() + 1;
        let (objective, gradient, (max_grad_h, max_grad_j)) =
            self.row_gradient(i, r, width, c, b, sums);
        let dh = |a: usize| if a == 0 { 1.0 } else { 0.5 };
        let mut curvature = DMatrix::zeros(d, d);
        curvature[(0, 0)] = sums.weight[r] / tf;
        for (a, &j) in inputs.iter().enumerate() {
            let w = sums.listed_weight[j * width + r] / tf;
            curvature[(0, a + 1)] = w;
            curvature[(a + 1, 0)] = w;
            // A tiny ridge keeps inputs that are never listed (constant cells) solvable;
            // it changes the step, not the fixed point.
            curvature[(a + 1, a + 1)] = w + s.l2 / 4.0 + 1e-12;
            for (a2, &k) in inputs.iter().enumerate().take(a) {
                let w = sums.pair_weight[pair(k, j) * width + r] / tf;
                curvature[(a + 1, a2 + 1)] = w;
                curvature[(a2 + 1, a + 1)] = w;
            }
        }
        curvature[(0, 0)] += 1e-12;
        for a in 0..d {
            for a2 in 0..d {
                curvature[(a, a2)] += s.l2_fields * dh(a) * dh(a2);
            }
        }
        let direction = match curvature.cholesky() {
            Some(ch) => ch.solve(&gradient),
            // Not positive definite only through rounding on degenerate data: fall back to
            // the gradient, which the line search still makes an ascent step.
            None => gradient.clone(),
        };
        let decrement = gradient.dot(&direction).max(0.0);
        (
            RowState {
                objective,
                direction: direction.as_slice().to_vec(),
                decrement,
                done: false,
            },
            (max_grad_h, max_grad_j),
        )
    }

    /// Backtracking along each open row's direction until F_i rises by at least 10⁻⁴ of the
    /// predicted gain (Armijo), halving the step of the rows that fail. A row that cannot gain
    /// after [`MAX_HALVINGS`] halvings is at its optimum to rounding and is closed. Returns,
    /// for each row that moved, its largest gradients at the new point (as
    /// [`Problem::row_gradient`] gives them), which the accepting pass already holds.
    fn line_search(
        &self,
        rows: &Range<usize>,
        c: &mut [f64],
        b: &mut [f64],
        states: &mut [RowState],
    ) -> Vec<Option<(f64, f64)>> {
        let width = rows.len();
        let mut moved = vec![None; width];
        let mut step = vec![1.0; width];
        let mut pending: Vec<bool> = states.iter().map(|st| !st.done).collect();
        for _ in 0..=MAX_HALVINGS {
            if !pending.iter().any(|&p| p) {
                return moved;
            }
            let (mut tc, mut tb) = (c.to_vec(), b.to_vec());
            for (r, i) in rows.clone().enumerate() {
                if pending[r] {
                    let dir = &states[r].direction;
                    tc[r] += step[r] * dir[0];
                    for (a, j) in self.inputs(i).into_iter().enumerate() {
                        tb[j * width + r] += step[r] * dir[a + 1];
                    }
                }
            }
            let sums = self.pass(rows, &tc, &tb, false);
            for (r, i) in rows.clone().enumerate() {
                if !pending[r] {
                    continue;
                }
                let (objective, _, grads) = self.row_gradient(i, r, width, &tc, &tb, &sums);
                let old = states[r].objective;
                let wanted = old + 1e-4 * step[r] * states[r].decrement;
                // Rounding of sums over T terms: allow a relative 10⁻¹² shortfall.
                if objective >= wanted - 1e-12 * (1.0 + old.abs()) {
                    c[r] = tc[r];
                    for j in self.inputs(i) {
                        b[j * width + r] = tb[j * width + r];
                    }
                    states[r].objective = objective;
                    moved[r] = Some(grads);
                    pending[r] = false;
                } else {
                    step[r] *= 0.5;
                }
            }
        }
        for (r, p) in pending.iter().enumerate() {
            if *p {
                states[r].done = true;
            }
        }
        moved
    }

    /// One pass over the transitions for the rows of a block: always the log-likelihood and
    /// the gradient sums, the curvature sums when `curvature`.
    fn pass(&self, rows: &Range<usize>, c: &[f64], b: &[f64], curvature: bool) -> Sums {
        block_pass(self, rows.clone(), c, b, curvature)
    }
}

/// The sums of [`Sums`] over all transitions for rows `rows`. Compiled for AVX2+FMA as well
/// as the baseline, chosen at run time: the per-pair additions are vector loops over rows.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn block_pass(
    problem: &Problem<'_>,
    rows: Range<usize>,
    c: &[f64],
    b: &[f64],
    curvature: bool,
) -> Sums {
    const FMA: bool = multiversion::target::target_cfg_f!(target_feature = "fma");
    let lists = &problem.lists;
    let n = lists.n_spins();
    let width = rows.len();
    let pairs = n * n.saturating_sub(1) / 2;
    let mut sums = Sums {
        log_likelihood: vec![0.0; width],
        residual: vec![0.0; width],
        listed_residual: vec![0.0; n * width],
        weight: vec![0.0; width],
        listed_weight: vec![0.0; if curvature { n * width } else { 0 }],
        pair_weight: vec![0.0; if curvature { pairs * width } else { 0 }],
    };
    // At J = 0 (the solver's start) θ_i(t) = c_i for every t, so each row's weight is a
    // constant and its pair sums are that constant times the data's co-listing counts: one
    // shared count per pair instead of one accumulator per pair and row.
    let uniform = curvature && b.iter().all(|&v| v == 0.0);
    let mut pair_count = vec![0.0; if uniform { pairs } else { 0 }];
    let mut theta = vec![0.0; width];
    let mut y = vec![0.0; width];
    let mut residual = vec![0.0; width];
    let mut weight = vec![0.0; width];
    for (t, &m) in problem.weights.iter().enumerate() {
        let listed = lists.listed(t);
        add_columns(&mut theta, c, b, listed, width);
        for (yr, i) in y.iter_mut().zip(rows.clone()) {
            *yr = if problem.targets.is_up(i, t) {
                problem.target_scale
            } else {
                -problem.target_scale
            };
        }
        for r in 0..width {
            let (th, lc) = tanh_and_log_2cosh::<FMA>(theta[r]);
            sums.log_likelihood[r] += m * (y[r] * theta[r] - lc);
            residual[r] = m * (y[r] - th);
            weight[r] = m * (1.0 - th) * (1.0 + th);
            sums.residual[r] += residual[r];
        }
        add_to_columns(&mut sums.listed_residual, &residual, listed, width);
        if curvature {
            for (w, acc) in weight.iter().zip(&mut sums.weight) {
                *acc += w;
            }
            add_to_columns(&mut sums.listed_weight, &weight, listed, width);
            for (a, &k) in listed.iter().enumerate().skip(1) {
                let row = pair(0, k as usize);
                for &j in &listed[..a] {
                    if uniform {
                        pair_count[row + j as usize] += m;
                        continue;
                    }
                    let at = (row + j as usize) * width;
                    for (acc, w) in sums.pair_weight[at..at + width].iter_mut().zip(&weight) {
                        *acc += w;
                    }
                }
            }
        }
    }
    if uniform {
        let row_weight: Vec<f64> = c
            .iter()
            .map(|&c| {
                let (th, _) = tanh_and_log_2cosh::<FMA>(c);
                (1.0 - th) * (1.0 + th)
            })
            .collect();
        for (acc, &count) in sums.pair_weight.chunks_exact_mut(width).zip(&pair_count) {
            for (a, w) in acc.iter_mut().zip(&row_weight) {
                *a = count * w;
            }
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use rand::{Rng, SeedableRng};
    use rand_xoshiro::Xoshiro256PlusPlus;

    use super::*;

    /// At J = 0 the pass takes its shared-count path; its curvature sums must be the direct
    /// Σ_t m_t w_i(t) [j and k listed at t] with w_i = 1 − tanh² θ_i, as the general path
    /// accumulates them.
    #[test]
    fn the_pass_at_zero_couplings_gives_the_direct_curvature_sums() {
        let (n, t) = (7, 400);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut raster = Raster::zeros(n, t);
        for i in 0..n {
            for s in 0..t {
                raster.set(i, s, rng.next_u64() % 5 == 0);
            }
        }
        let data = Transitions::from_series(&raster);
        let counts: Vec<u64> = (0..data.len()).map(|_| 1 + rng.next_u64() % 3).collect();
        let problem = Problem::new(&data, Some(&counts), &RowNewtonSettings::default()).unwrap();
        let c: Vec<f64> = (0..n).map(|i| -1.5 + 0.3 * i as f64).collect();
        let sums = block_pass(&problem, 0..n, &c, &vec![0.0; n * n], true);
        let mut direct = vec![0.0; n * (n - 1) / 2 * n];
        for (s, &count) in counts.iter().enumerate() {
            let listed = problem.lists.listed(s);
            for (r, &cr) in c.iter().enumerate() {
                let w = count as f64 * (1.0 - cr.tanh().powi(2));
                for (a, &k) in listed.iter().enumerate() {
                    for &j in &listed[..a] {
                        direct[pair(j as usize, k as usize) * n + r] += w;
                    }
                }
            }
        }
        assert!(direct.iter().any(|&v| v > 0.0));
        for (got, want) in sums.pair_weight.iter().zip(&direct) {
            assert!(
                (got - want).abs() <= 1e-12 * want.max(1.0),
                "{got} vs {want}"
            );
        }
    }
}
