//! The study's standard figures, built on [`super::plot`].

use std::path::Path;

use super::plot::{lines, scatter_with_diagonal, Figure, Series};
pub use crate::validate::Params;
use crate::{learn::History, thermo::Thermodynamics, validate::Comparison, Result};

/// Inferred against true parameters, one h series and one J series per fit, with y = x.
pub fn inferred_vs_true(
    path: &Path,
    title: &str,
    truth: &Params,
    fits: &[(String, Params)],
) -> Result<()> {
    let mut series = Vec::new();
    for (label, p) in fits {
        let prefix = if fits.len() > 1 {
            format!("{label}: ")
        } else {
            String::new()
        };
        series.push(Series::paired(format!("{prefix}J"), &truth.j, &p.j));
        series.push(Series::paired(format!("{prefix}h"), &truth.h, &p.h));
    }
    scatter_with_diagonal(
        path,
        &Figure {
            title: title.into(),
            x_label: "true parameter".into(),
            y_label: "inferred parameter".into(),
            series,
            integer_x: false,
        },
    )
}

/// Which optimum a learning curve measures its distance to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gap {
    /// Each run's own best value (runs of different objectives).
    OwnBest,
    /// The best value over all runs (runs of one objective).
    SharedBest,
}

/// Learning curves of several runs, drawn to show the approach to the optimum: when every
/// run knows its objective exactly, log10 of the gap between the best value and the value
/// at each iteration (points at the best itself are left out); otherwise log10 of
/// max |gradient|. Iteration ticks are integers.
pub fn learning_curves(
    path: &Path,
    title: &str,
    runs: &[(String, &History)],
    gap: Gap,
) -> Result<()> {
    let exact = runs
        .iter()
        .all(|(_, h)| h.records.iter().all(|r| r.objective.is_some()));
    let best_of = |h: &History| {
        h.records
            .iter()
            .filter_map(|r| r.objective)
            .fold(f64::NEG_INFINITY, f64::max)
    };
    let shared = runs
        .iter()
        .map(|(_, h)| best_of(h))
        .fold(f64::NEG_INFINITY, f64::max);
    let series = runs
        .iter()
        .map(|(label, h)| {
            let best = match gap {
                Gap::OwnBest => best_of(h),
                Gap::SharedBest => shared,
            };
            let points = h
                .records
                .iter()
                .filter_map(|r| {
                    let y = if exact {
                        let d = best - r.objective.unwrap_or(f64::NAN);
                        (d > 0.0).then(|| d.log10())?
                    } else {
                        r.max_abs_gradient().log10()
                    };
                    Some((r.iteration as f64, y))
                })
                .collect();
            Series::new(label.clone(), points)
        })
        .collect();
    lines(
        path,
        &Figure {
            title: title.into(),
            x_label: "iteration".into(),
            y_label: if exact {
                "log10 (best − objective per observation)".into()
            } else {
                "log10 max |gradient|".into()
            },
            series,
            integer_x: true,
        },
    )
}

/// Highest temperature a specific-heat figure shows: the ladder runs much hotter (for
/// log Z), where C(T) only decays.
pub const SPECIFIC_HEAT_MAX_T: f64 = 3.0;

/// The specific heat per spin C(T) = β² Var(E) / N of every ladder level up to
/// [`SPECIFIC_HEAT_MAX_T`].
pub fn specific_heat(path: &Path, title: &str, thermo: &Thermodynamics) -> Result<()> {
    let points = thermo
        .levels
        .iter()
        .filter(|l| l.temperature <= SPECIFIC_HEAT_MAX_T)
        .map(|l| (l.temperature, l.specific_heat.value))
        .collect();
    lines(
        path,
        &Figure {
            title: title.into(),
            x_label: "temperature T".into(),
            y_label: "C(T) / N".into(),
            series: vec![Series::new("C(T)", points)],
            integer_x: false,
        },
    )
}

/// The figures of a comparison ([`Comparison`]), named `{prefix}{name}.svg` in `dir`: one
/// scatter per statistic, model against data with y = x, and the distribution P(K) of the
/// number of active cells as two lines on a log scale (its small probabilities, the
/// synchronous events, are what a scatter hides). Returns the files written.
pub fn comparison_figures(
    comparison: &Comparison,
    dir: &Path,
    prefix: &str,
    model_name: &str,
) -> Result<Vec<std::path::PathBuf>> {
    let mut files = Vec::new();
    for s in &comparison.statistics {
        let path = dir.join(format!("{prefix}{}.svg", s.name));
        let a = &s.agreement;
        if s.name == "activity" {
            let log = |p: &[f64]| -> Vec<(f64, f64)> {
                p.iter()
                    .enumerate()
                    .filter(|(_, &v)| v > 0.0)
                    .map(|(k, &v)| (k as f64, v.log10()))
                    .collect()
            };
            lines(
                &path,
                &Figure {
                    title: format!("{model_name}: probability of K active cells"),
                    x_label: "K (active cells in a sample)".into(),
                    y_label: "log10 P(K)".into(),
                    series: vec![
                        Series::new("data", log(&s.data)),
                        Series::new("model", log(&s.model)),
                    ],
                    integer_x: true,
                },
            )?;
        } else {
            scatter_with_diagonal(
                &path,
                &Figure {
                    title: format!(
                        "{model_name}: {} (r = {:.3})",
                        s.name.replace('_', " "),
                        a.pearson
                    ),
                    x_label: format!("data {}", s.symbol),
                    y_label: format!("model {}", s.symbol),
                    series: vec![Series::paired(
                        format!("{} entries", a.count),
                        &s.data,
                        &s.model,
                    )],
                    integer_x: false,
                },
            )?;
        }
        files.push(path);
    }
    Ok(files)
}
