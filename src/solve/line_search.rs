//! A line search that satisfies the strong Wolfe conditions (Nocedal & Wright, Numerical
//! Optimization, 2nd ed., algorithms 3.5 and 3.6: bracketing, then zoom by safeguarded
//! cubic interpolation).
//!
//! Written for minimisation of φ(α) = −F(θ + α p): sufficient decrease
//! φ(α) ≤ φ(0) + c₁ α φ'(0) and the curvature condition |φ'(α)| ≤ c₂ |φ'(0)|.
//!
//! Near the optimum the decrease a step can bring falls below the rounding of φ (about
//! 10⁻¹⁶ |φ|), and the sufficient-decrease test then fails on noise. There the search
//! accepts Hager and Zhang's approximate Wolfe conditions instead: φ(α) ≤ φ(0) + ε |φ(0)|
//! with ε = 10⁻¹² and (2c₁ − 1) φ'(0) ≥ φ'(α), which use the (still accurate) slope.

use crate::Result;

/// Constants of the search.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WolfeSettings {
    /// Sufficient-decrease constant c₁.
    pub c1: f64,
    /// Curvature constant c₂ (0.9 for quasi-Newton directions).
    pub c2: f64,
    /// Largest number of function evaluations.
    pub max_evaluations: usize,
}

impl Default for WolfeSettings {
    fn default() -> Self {
        WolfeSettings {
            c1: 1e-4,
            c2: 0.9,
            max_evaluations: 25,
        }
    }
}

/// One trial point: φ, φ' and whatever the caller keeps for the accepted point.
pub struct Trial<D> {
    /// Step length.
    pub alpha: f64,
    /// φ(α) (+∞ when the objective is not finite there).
    pub value: f64,
    /// φ'(α) (NaN when not finite).
    pub slope: f64,
    /// The caller's data at this point (its gradient, say).
    pub data: D,
}

/// The minimiser of the cubic through (a, fa, da) and (b, fb, db), when it exists
/// (N&W eq. 3.59).
fn cubic_minimiser(a: f64, fa: f64, da: f64, b: f64, fb: f64, db: f64) -> Option<f64> {
    let d1 = da + db - 3.0 * (fa - fb) / (a - b);
    let disc = d1 * d1 - da * db;
    if !(disc.is_finite() && disc >= 0.0) {
        return None;
    }
    let d2 = (b - a).signum() * disc.sqrt();
    let x = b - (b - a) * (db + d2 - d1) / (db - da + 2.0 * d2);
    x.is_finite().then_some(x)
}

/// Searches along a descent direction of φ from α = `initial`; `phi` evaluates a trial.
/// Returns the accepted trial, or the best trial with sufficient decrease when the
/// evaluations run out, or `None` when no trial decreased φ enough.
pub fn strong_wolfe<D, F>(
    phi0: f64,
    slope0: f64,
    initial: f64,
    settings: &WolfeSettings,
    mut phi: F,
) -> Result<Option<Trial<D>>>
where
    F: FnMut(f64) -> Result<Trial<D>>,
{
    debug_assert!(slope0 < 0.0, "not a descent direction");
    let (c1, c2) = (settings.c1, settings.c2);
    // Only where the decrease the test asks for is below the rounding of φ.
    let resolution = 1e-12 * phi0.abs().max(1.0);
    let approximate = |t: &Trial<D>| {
        -c1 * t.alpha * slope0 <= resolution
            && t.value <= phi0 + resolution
            && t.slope <= (2.0 * c1 - 1.0) * slope0
    };
    let armijo = |t: &Trial<D>| t.value <= phi0 + c1 * t.alpha * slope0 || approximate(t);
    let curvature = |t: &Trial<D>| t.slope.abs() <= -c2 * slope0;
    let mut evaluations = 0;
    let mut best: Option<Trial<D>> = None;
    let keep_best = |t: Trial<D>, best: &mut Option<Trial<D>>| {
        if armijo(&t) && best.as_ref().is_none_or(|b| t.value < b.value) {
            *best = Some(t);
        }
    };
    // Bracketing: (α_prev, φ_prev, φ'_prev) starts at 0.
    let (mut a_prev, mut f_prev, mut d_prev) = (0.0, phi0, slope0);
    let mut alpha = initial;
    let (mut lo, mut hi);
    loop {
        let t = phi(alpha)?;
        evaluations += 1;
        if !t.value.is_finite() || !armijo(&t) || (evaluations > 1 && t.value >= f_prev) {
            lo = (a_prev, f_prev, d_prev);
            hi = (t.alpha, t.value, t.slope);
            break;
        }
        if curvature(&t) {
            return Ok(Some(t));
        }
        if t.slope >= 0.0 {
            lo = (t.alpha, t.value, t.slope);
            hi = (a_prev, f_prev, d_prev);
            keep_best(t, &mut best);
            break;
        }
        if evaluations >= settings.max_evaluations {
            keep_best(t, &mut best);
            return Ok(best);
        }
        (a_prev, f_prev, d_prev) = (t.alpha, t.value, t.slope);
        keep_best(t, &mut best);
        // Expand: extrapolate by the cubic when it points further out, within [2α, 10α].
        let next = cubic_minimiser(a_prev, f_prev, d_prev, 0.0, phi0, slope0)
            .filter(|x| *x > a_prev)
            .unwrap_or(4.0 * a_prev);
        alpha = next.clamp(2.0 * a_prev, 10.0 * a_prev);
    }
    // Zoom between lo (sufficient decrease, lower φ) and hi.
    while evaluations < settings.max_evaluations {
        let (a_lo, f_lo, d_lo) = lo;
        let (a_hi, f_hi, d_hi) = hi;
        let width = a_hi - a_lo;
        if width.abs() <= 1e-16 * a_lo.abs().max(1e-300) {
            break;
        }
        // Cubic interpolation when both ends are finite, kept away from the ends; bisection
        // otherwise (an end where the objective overflowed).
        let (low, high) = (a_lo + 0.1 * width, a_hi - 0.1 * width);
        let (low, high) = (low.min(high), low.max(high));
        let trial_alpha = if f_hi.is_finite() && d_hi.is_finite() {
            cubic_minimiser(a_lo, f_lo, d_lo, a_hi, f_hi, d_hi)
                .map(|x| x.clamp(low, high))
                .unwrap_or(a_lo + 0.5 * width)
        } else {
            a_lo + 0.5 * width
        };
        let t = phi(trial_alpha)?;
        evaluations += 1;
        if !t.value.is_finite() || !armijo(&t) || t.value >= f_lo {
            hi = (t.alpha, t.value, t.slope);
            continue;
        }
        if curvature(&t) {
            return Ok(Some(t));
        }
        if t.slope * (a_hi - a_lo) >= 0.0 {
            hi = lo;
        }
        lo = (t.alpha, t.value, t.slope);
        keep_best(t, &mut best);
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quadratic(alpha: f64) -> Result<Trial<()>> {
        // φ(α) = (α − 3)², minimum at 3.
        Ok(Trial {
            alpha,
            value: (alpha - 3.0).powi(2),
            slope: 2.0 * (alpha - 3.0),
            data: (),
        })
    }

    #[test]
    fn finds_a_strong_wolfe_point_by_expansion_and_by_zoom() {
        let s = WolfeSettings::default();
        for initial in [0.01, 1.0, 2.9, 5.0, 100.0] {
            let t = strong_wolfe(9.0, -6.0, initial, &s, quadratic)
                .unwrap()
                .unwrap();
            assert!(
                t.value <= 9.0 + s.c1 * t.alpha * -6.0,
                "{initial}: {}",
                t.alpha
            );
            assert!(t.slope.abs() <= s.c2 * 6.0, "{initial}: {}", t.alpha);
        }
    }

    #[test]
    fn an_overflowing_trial_is_treated_as_too_far() {
        let s = WolfeSettings::default();
        let t = strong_wolfe(9.0, -6.0, 1e6, &s, |a| {
            if a > 10.0 {
                Ok(Trial {
                    alpha: a,
                    value: f64::INFINITY,
                    slope: f64::NAN,
                    data: (),
                })
            } else {
                quadratic(a)
            }
        })
        .unwrap()
        .unwrap();
        assert!(t.alpha < 10.0 && t.slope.abs() <= 0.9 * 6.0);
    }
}
