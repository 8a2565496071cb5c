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
//! Cost. In the coordinates of the `TransitionData` lists, θ_i(t) = c_i + Σ_{j listed at t}
//! b_ij with c_i = h_i − σ Σ_j J_ij and b_ij = 2σ J_ij (σ = ±1, the lists' sign), so the
//! curvature of row i is Σ_t w_i(t) z(t) z(t)ᵀ with w_i = 1 − tanh² θ_i and z = (1, listed
//! indicators). Each transition adds its weights w(t) to one accumulator per pair of its k
//! listed cells: O(T k² N) additions per pass, vectorised over rows, instead of O(T N³)
//! dense products. Rows are solved in blocks whose pair accumulators fit in the L2 cache,
//! blocks in parallel. Each row's sums run over t in order, so the result does not depend on
//! the number of threads.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Budget, Solver, Step};
use crate::{
    kernels::{
        columns::{add_columns, add_to_columns},
        fastmath::tanh_and_log_2cosh,
        TransitionData,
    },
    objective::{Penalty, Problem},
    record::Record,
    Error, Raster, Result, Transitions,
};

/// Bytes of pair accumulators per block: wider blocks amortise the per-transition work over
/// more rows until the accumulators leave the cache (4 MiB measured best on a 2 MiB-L2
/// machine; docs/performance.md).
const PAIR_BUDGET_BYTES: usize = 4 << 20;

/// Largest number of step halvings before a row is taken as converged to rounding.
const MAX_HALVINGS: usize = 40;

/// Largest change of any parameter of a row (in list coordinates, b = 2σJ) in the first
/// trial of a line search: |ΔJ| ≤ 2.
const MAX_STEP: f64 = 4.0;

/// The row-separable problem: the kinetic log-likelihood of targets `data.after()` given
/// sources `data.before()`, each transition counted with its multiplicity, with an L2
/// penalty.
///
/// Cells that never or always change state are handled as in the gradient fit: the targets
/// are shrunk by the pseudocount 1/(T + 1), which keeps their fields finite.
pub struct RowProblem {
    lists: TransitionData,
    targets: Raster,
    /// Multiplicity of each transition.
    weights: Vec<f64>,
    /// Σ_t weights[t], the number of transitions represented.
    total: f64,
    /// Σ_t weights[t] [target i up], per cell.
    up_weights: Vec<f64>,
    /// Targets are ±`target_scale`.
    target_scale: f64,
    self_couplings: bool,
    l2: f64,
    l2_fields: f64,
    /// Which rows are solved (all unless [`RowProblem::with_rows`] chose some).
    fitted: Vec<bool>,
    /// The solved rows, in blocks solved in parallel.
    blocks: Vec<Vec<usize>>,
}

impl RowProblem {
    /// The problem for a set of transitions: with `self_couplings`, each row also has J_ii;
    /// `multiplicity[t]` counts transition t that many times (distinct states and their
    /// counts, [`Raster::distinct`]); the penalty's L2 strengths apply (L1 cannot be
    /// represented and is refused).
    pub fn new(
        data: &Transitions,
        multiplicity: Option<&[u64]>,
        self_couplings: bool,
        penalty: &Penalty,
    ) -> Result<Self> {
        penalty.check()?;
        if penalty.has_l1() {
            return Err(Error::setting(
                "solver",
                "newton",
                "lbfgs or gradient with an L1 penalty (Newton takes L2 only)",
            ));
        }
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
        let up_weights = match multiplicity {
            // Unit weights: the count of up targets, by popcount.
            None => data.after().up_counts().iter().map(|&c| c as f64).collect(),
            Some(_) => (0..n)
                .map(|i| {
                    (0..data.len())
                        .filter(|&t| data.after().is_up(i, t))
                        .map(|t| weights[t])
                        .sum()
                })
                .collect(),
        };
        Ok(RowProblem {
            lists: TransitionData::of_sources(data.before())?,
            targets: data.after().clone(),
            weights,
            total,
            up_weights,
            target_scale: if data.after().constant_cells().is_empty() {
                1.0
            } else {
                1.0 - 1.0 / (total + 1.0)
            },
            self_couplings,
            l2: penalty.l2,
            l2_fields: penalty.l2_fields,
            fitted: vec![true; n],
            blocks: blocks(&(0..n).collect::<Vec<_>>(), n),
        })
    }

    /// The problem restricted to the rows `rows` (distinct cell indices): only they are
    /// solved, the others keep the start (J = 0, h_i = atanh ⟨y_i⟩). Rows do not interact,
    /// and each row's sums run in the same order whichever rows share its block, so a row
    /// comes out bit for bit as in the fit of all rows: row blocks can be fitted apart (on
    /// the workers of a cluster) and assembled.
    pub fn with_rows(mut self, rows: &[usize]) -> Result<Self> {
        let n = self.n_spins();
        let mut fitted = vec![false; n];
        for &i in rows {
            if i >= n {
                return Err(Error::Shape(format!(
                    "row {i} does not exist: the data have {n} cells (0 to {})",
                    n - 1
                )));
            }
            if std::mem::replace(&mut fitted[i], true) {
                return Err(Error::Shape(format!("row {i} is listed twice")));
            }
        }
        if rows.is_empty() {
            return Err(Error::Shape("no rows to fit".into()));
        }
        self.blocks = blocks(rows, n);
        self.fitted = fitted;
        Ok(self)
    }

    /// Number of spins.
    pub fn n_spins(&self) -> usize {
        self.lists.n_spins()
    }

    /// The inputs of row i: every cell, or every other cell without self-couplings.
    fn inputs(&self, i: usize) -> Vec<usize> {
        let n = self.lists.n_spins();
        (0..n).filter(|&j| self.self_couplings || j != i).collect()
    }

    /// The c and b (b[j · width + r]) of the given rows, from the state.
    fn block_arrays(&self, rows: &[usize], state: &RowNewtonState) -> (Vec<f64>, Vec<f64>) {
        let n = self.n_spins();
        let width = rows.len();
        let c = rows.iter().map(|&i| state.c[i]).collect();
        let mut b = vec![0.0; n * width];
        for (r, &i) in rows.iter().enumerate() {
            for j in 0..n {
                b[j * width + r] = state.b[i * n + j];
            }
        }
        (c, b)
    }

    /// The parameters (h, J column-major, as [`crate::KineticIsing`] holds them) of a state:
    /// J_ij = σ b_ij / 2 and h_i = c_i + ½ Σ_j b_ij.
    pub fn params(&self, state: &RowNewtonState) -> DVector<f64> {
        let n = self.n_spins();
        let sign = self.lists.list_sign();
        let mut params = DVector::zeros(n + n * n);
        for i in 0..n {
            let row = &state.b[i * n..(i + 1) * n];
            params[i] = state.c[i] + 0.5 * row.iter().sum::<f64>();
            for (j, &bij) in row.iter().enumerate() {
                params[n + i + n * j] = 0.5 * sign * bij;
            }
        }
        params
    }
}

impl Problem for RowProblem {
    type Scalar = f64;
    type State = ();

    fn state(&self) {}

    fn restore(&mut self, _state: ()) -> Result<()> {
        Ok(())
    }
}

/// `rows` in blocks whose pair accumulators for N cells take about [`PAIR_BUDGET_BYTES`],
/// at least two blocks so that both cores of a small machine work.
fn blocks(rows: &[usize], n: usize) -> Vec<Vec<usize>> {
    let pairs = n * n.saturating_sub(1) / 2;
    let per_block =
        (PAIR_BUDGET_BYTES / (8 * pairs.max(1))).clamp(1, rows.len().div_ceil(2).max(1));
    rows.chunks(per_block).map(<[usize]>::to_vec).collect()
}

/// Newton's method for every row at once, one step per iteration ([`RowProblem`]).
///
/// A step evaluates the curvature of every open row (one pass over the data), solves for
/// its Newton direction, and backtracks along it until its objective rises by at least
/// 10⁻⁴ of the predicted gain (Armijo). A row whose gradient is within the tolerance stops
/// moving; one that cannot gain after 40 halvings is at its optimum to rounding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RowNewton;

/// Per-row Newton quantities.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RowStatus {
    done: bool,
    objective: f64,
    grad_h: f64,
    grad_j: f64,
    /// Step direction (−∇²F)⁻¹∇F over (c, b_inputs), once evaluated.
    direction: Vec<f64>,
    decrement: f64,
}

/// What [`RowNewton`] carries between iterations: the parameters in list coordinates and
/// every row's status.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RowNewtonState {
    c: Vec<f64>,
    /// b[i · N + j].
    b: Vec<f64>,
    rows: Vec<RowStatus>,
    /// Whether every open row has its direction at the current parameters.
    evaluated: bool,
    tol: f64,
}

impl Solver<RowProblem> for RowNewton {
    type State = RowNewtonState;

    fn name(&self) -> &'static str {
        "newton"
    }

    fn check_state(&self, problem: &RowProblem, s: &RowNewtonState) -> Result<()> {
        use crate::restored::{check_len, inconsistent};
        let n = problem.n_spins();
        check_len("row fields c", s.c.len(), n)?;
        check_len("row couplings b", s.b.len(), n * n)?;
        check_len("row statuses", s.rows.len(), n)?;
        if s.c.iter().chain(&s.b).any(|v| !v.is_finite()) {
            return Err(inconsistent(
                "row parameters",
                "hold a non-finite value".into(),
            ));
        }
        for (i, row) in s.rows.iter().enumerate() {
            // A direction is over (c_i, b_i of the row's inputs), or not evaluated yet.
            let inputs = problem.inputs(i).len();
            if !row.direction.is_empty() {
                check_len("row Newton direction", row.direction.len(), inputs + 1)?;
            }
        }
        Ok(())
    }

    /// Start: J = 0 and h_i = atanh ⟨y_i⟩, the maximum of F_i at J = 0 (without penalty).
    fn init(&self, problem: &mut RowProblem, budget: &Budget) -> Result<RowNewtonState> {
        let n = problem.n_spins();
        let c = (0..n)
            .map(|i| {
                let mean =
                    problem.target_scale * (2.0 * problem.up_weights[i] / problem.total - 1.0);
                mean.clamp(-1.0 + 1e-12, 1.0 - 1e-12).atanh()
            })
            .collect();
        Ok(RowNewtonState {
            c,
            b: vec![0.0; n * n],
            rows: problem
                .fitted
                .iter()
                .map(|&fitted| RowStatus {
                    done: !fitted,
                    ..RowStatus::default()
                })
                .collect(),
            evaluated: false,
            tol: budget.grad_tol,
        })
    }

    fn current(
        &self,
        problem: &mut RowProblem,
        state: &mut RowNewtonState,
        iteration: usize,
    ) -> Result<Record> {
        if !state.evaluated {
            let updates: Vec<Vec<(usize, RowStatus)>> = problem
                .blocks
                .par_iter()
                .map(|block| {
                    // Only the rows still open: a pass costs in proportion to its rows.
                    let rows: Vec<usize> = block
                        .iter()
                        .copied()
                        .filter(|&i| !state.rows[i].done)
                        .collect();
                    if rows.is_empty() {
                        return Vec::new();
                    }
                    let (c, b) = problem.block_arrays(&rows, state);
                    let sums = problem.pass(&rows, &c, &b, true);
                    rows.iter()
                        .enumerate()
                        .map(|(r, &i)| (i, problem.newton_row(i, r, rows.len(), &c, &b, &sums)))
                        .collect()
                })
                .collect();
            for (i, mut status) in updates.into_iter().flatten() {
                status.done = status.grad_h.max(status.grad_j) <= state.tol;
                if !status.objective.is_finite() {
                    return Err(Error::NonFinite {
                        iteration,
                        what: "objective",
                    });
                }
                state.rows[i] = status;
            }
            state.evaluated = true;
        }
        let max = |f: fn(&RowStatus) -> f64| state.rows.iter().map(f).fold(0.0, f64::max);
        Ok(Record {
            iteration,
            max_gradient: vec![
                ("h".into(), max(|s| s.grad_h)),
                ("J".into(), max(|s| s.grad_j)),
            ],
            objective: Some(state.rows.iter().map(|s| s.objective).sum()),
            seconds: 0.0,
            connected_pearson: None,
            samples: None,
            signal_to_noise: None,
        })
    }

    fn advance(&self, problem: &mut RowProblem, state: &mut RowNewtonState) -> Result<Step> {
        let n = problem.n_spins();
        let moves: Vec<Vec<(usize, RowMove)>> = problem
            .blocks
            .par_iter()
            .map(|block| {
                let rows: Vec<usize> = block
                    .iter()
                    .copied()
                    .filter(|&i| !state.rows[i].done && !state.rows[i].direction.is_empty())
                    .collect();
                if rows.is_empty() {
                    return Vec::new();
                }
                let (mut c, mut b) = problem.block_arrays(&rows, state);
                let statuses: Vec<RowStatus> =
                    rows.iter().map(|&i| state.rows[i].clone()).collect();
                let moved = problem.line_search(&rows, &mut c, &mut b, &statuses);
                rows.iter()
                    .enumerate()
                    .map(|(r, &i)| {
                        let row_b = (0..n).map(|j| b[j * rows.len() + r]).collect();
                        (
                            i,
                            RowMove {
                                c: c[r],
                                b: row_b,
                                outcome: moved[r],
                            },
                        )
                    })
                    .collect()
            })
            .collect();
        let mut any = false;
        for (i, m) in moves.into_iter().flatten() {
            let status = &mut state.rows[i];
            match m.outcome {
                LineOutcome::Moved {
                    objective,
                    grads: (gh, gj),
                } => {
                    any = true;
                    state.c[i] = m.c;
                    state.b[i * n..(i + 1) * n].copy_from_slice(&m.b);
                    status.objective = objective;
                    status.grad_h = gh;
                    status.grad_j = gj;
                    status.done = gh.max(gj) <= state.tol;
                }
                LineOutcome::Stuck => status.done = true,
            }
            status.direction.clear();
        }
        state.evaluated = state.rows.iter().all(|s| s.done);
        Ok(if any { Step::Moved } else { Step::Stalled })
    }

    fn result(&self, problem: &RowProblem, state: &RowNewtonState) -> DVector<f64> {
        problem.params(state)
    }
}

/// What the line search did to one row.
#[derive(Clone, Copy, Debug)]
enum LineOutcome {
    /// The row moved: its objective and largest gradients (h, J) at the new point.
    Moved { objective: f64, grads: (f64, f64) },
    /// No step along the direction improved it: it is at its optimum to rounding.
    Stuck,
}

/// A row's parameters after a line search.
struct RowMove {
    c: f64,
    b: Vec<f64>,
    outcome: LineOutcome,
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

impl RowProblem {
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
        let tf = self.total;
        let sign = self.lists.list_sign();
        let inputs = self.inputs(i);
        let bj = |j: usize| b[j * width + r];
        let h = c[r] + 0.5 * inputs.iter().map(|&j| bj(j)).sum::<f64>();
        // J_ij = σ b_j / 2 and h = c + ½ Σ_j b_j, so ½λ₂J² = λ₂b²/8 and ∂h/∂(c, b) = (1, ½, ..).
        let objective = sums.log_likelihood[r] / tf
            - self.l2 / 8.0 * inputs.iter().map(|&j| bj(j) * bj(j)).sum::<f64>()
            - 0.5 * self.l2_fields * h * h;
        let mut gradient = DVector::zeros(inputs.len() + 1);
        gradient[0] = sums.residual[r] / tf;
        let mut max_grad_j: f64 = 0.0;
        for (a, &j) in inputs.iter().enumerate() {
            let listed_residual = sums.listed_residual[j * width + r] / tf;
            // ∂L/∂J_ij = σ(2 ∂L/∂b_j − ∂L/∂c); the field penalty does not depend on J_ij.
            let grad_j =
                sign * (2.0 * listed_residual - gradient[0]) - self.l2 * 0.5 * sign * bj(j);
            max_grad_j = max_grad_j.max(grad_j.abs());
            gradient[a + 1] = listed_residual - self.l2 / 4.0 * bj(j) - 0.5 * self.l2_fields * h;
        }
        gradient[0] -= self.l2_fields * h;
        let max_grad_h = gradient[0].abs();
        (objective, gradient, (max_grad_h, max_grad_j))
    }

    /// Row i's objective, Newton direction and decrement, and its largest gradients in the
    /// model's own coordinates.
    fn newton_row(
        &self,
        i: usize,
        r: usize,
        width: usize,
        c: &[f64],
        b: &[f64],
        sums: &Sums,
    ) -> RowStatus {
        let tf = self.total;
        let inputs = self.inputs(i);
        let d = inputs.len() + 1;
        let (objective, gradient, (grad_h, grad_j)) = self.row_gradient(i, r, width, c, b, sums);
        let dh = |a: usize| if a == 0 { 1.0 } else { 0.5 };
        let mut curvature = DMatrix::zeros(d, d);
        curvature[(0, 0)] = sums.weight[r] / tf;
        for (a, &j) in inputs.iter().enumerate() {
            let w = sums.listed_weight[j * width + r] / tf;
            curvature[(0, a + 1)] = w;
            curvature[(a + 1, 0)] = w;
            // A tiny ridge keeps inputs that are never listed (constant cells) solvable;
            // it changes the step, not the fixed point.
            curvature[(a + 1, a + 1)] = w + self.l2 / 4.0 + 1e-12;
            for (a2, &k) in inputs.iter().enumerate().take(a) {
                let w = sums.pair_weight[pair(k, j) * width + r] / tf;
                curvature[(a + 1, a2 + 1)] = w;
                curvature[(a2 + 1, a + 1)] = w;
            }
        }
        curvature[(0, 0)] += 1e-12;
        for a in 0..d {
            for a2 in 0..d {
                curvature[(a, a2)] += self.l2_fields * dh(a) * dh(a2);
            }
        }
        let direction = match curvature.cholesky() {
            Some(ch) => ch.solve(&gradient),
            // Not positive definite only through rounding on degenerate data: fall back to
            // the gradient, which the line search still makes an ascent step.
            None => gradient.clone(),
        };
        let decrement = gradient.dot(&direction).max(0.0);
        RowStatus {
            done: false,
            objective,
            grad_h,
            grad_j,
            direction: direction.as_slice().to_vec(),
            decrement,
        }
    }

    /// Backtracking along each row's direction until F_i rises by at least 10⁻⁴ of the
    /// predicted gain (Armijo), halving the step of the rows that fail. The first trial
    /// moves no parameter by more than [`MAX_STEP`] (in list coordinates): on nearly
    /// separable rows (a rare input that always coincides with silence) the Newton step
    /// along the flat direction is orders of magnitude too long. Each trial pass covers only
    /// the rows still pending. A row that cannot gain after [`MAX_HALVINGS`] halvings is
    /// stuck (at its optimum to rounding).
    fn line_search(
        &self,
        rows: &[usize],
        c: &mut [f64],
        b: &mut [f64],
        states: &[RowStatus],
    ) -> Vec<LineOutcome> {
        let n = self.n_spins();
        let width = rows.len();
        let mut outcome = vec![LineOutcome::Stuck; width];
        let mut step: Vec<f64> = states
            .iter()
            .map(|st| {
                let longest = st.direction.iter().fold(0.0f64, |m, d| m.max(d.abs()));
                (MAX_STEP / longest).min(1.0)
            })
            .collect();
        let mut pending: Vec<usize> = (0..width).collect();
        for _ in 0..=MAX_HALVINGS {
            if pending.is_empty() {
                break;
            }
            let p = pending.len();
            let trial_rows: Vec<usize> = pending.iter().map(|&r| rows[r]).collect();
            let mut tc: Vec<f64> = pending.iter().map(|&r| c[r]).collect();
            let mut tb = vec![0.0; n * p];
            for (k, &r) in pending.iter().enumerate() {
                for j in 0..n {
                    tb[j * p + k] = b[j * width + r];
                }
                let dir = &states[r].direction;
                tc[k] += step[r] * dir[0];
                for (a, j) in self.inputs(rows[r]).into_iter().enumerate() {
                    tb[j * p + k] += step[r] * dir[a + 1];
                }
            }
            let sums = self.pass(&trial_rows, &tc, &tb, false);
            let mut still = Vec::new();
            for (k, &r) in pending.iter().enumerate() {
                let (objective, _, grads) = self.row_gradient(rows[r], k, p, &tc, &tb, &sums);
                let old = states[r].objective;
                let wanted = old + 1e-4 * step[r] * states[r].decrement;
                // Rounding of sums over T terms: allow a relative 10⁻¹² shortfall.
                if objective >= wanted - 1e-12 * (1.0 + old.abs()) {
                    c[r] = tc[k];
                    for j in 0..n {
                        b[j * width + r] = tb[j * p + k];
                    }
                    outcome[r] = LineOutcome::Moved { objective, grads };
                } else {
                    step[r] *= 0.5;
                    still.push(r);
                }
            }
            pending = still;
        }
        outcome
    }

    /// One pass over the transitions for the rows of a block: always the log-likelihood and
    /// the gradient sums, the curvature sums when `curvature`.
    fn pass(&self, rows: &[usize], c: &[f64], b: &[f64], curvature: bool) -> Sums {
        block_pass(self, rows, c, b, curvature)
    }
}

/// The sums of [`Sums`] over all transitions for rows `rows`. Compiled for AVX2+FMA as well
/// as the baseline, chosen at run time: the per-pair additions are vector loops over rows.
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512vl+avx2+fma",
    "x86_64+avx2+fma",
    "x86_64+sse4.2"
))]
fn block_pass(problem: &RowProblem, rows: &[usize], c: &[f64], b: &[f64], curvature: bool) -> Sums {
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
        for (yr, &i) in y.iter_mut().zip(rows) {
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
        let problem = RowProblem::new(&data, Some(&counts), true, &Penalty::default()).unwrap();
        let c: Vec<f64> = (0..n).map(|i| -1.5 + 0.3 * i as f64).collect();
        let rows: Vec<usize> = (0..n).collect();
        let sums = block_pass(&problem, &rows, &c, &vec![0.0; n * n], true);
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
