//! SVG figures drawn with plotters' pure-Rust SVG backend (no system fonts or libraries):
//! scatters with a y = x line for model-versus-data and inferred-versus-true comparisons,
//! and line plots for learning curves.

use std::path::Path;

use plotters::{coord::types::RangedCoordf64, prelude::*};

use crate::{data::write_atomic, Error, Result};

/// One named set of points.
#[derive(Clone, Debug, Default)]
pub struct Series {
    /// Legend entry.
    pub label: String,
    /// (x, y) points; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from a label and points.
    pub fn new(label: impl Into<String>, points: Vec<(f64, f64)>) -> Self {
        Series {
            label: label.into(),
            points,
        }
    }

    /// Pairs `x[k]` with `y[k]`.
    pub fn paired(label: impl Into<String>, x: &[f64], y: &[f64]) -> Self {
        Self::new(label, x.iter().cloned().zip(y.iter().cloned()).collect())
    }
}

/// What a figure shows.
#[derive(Clone, Debug, Default)]
pub struct Figure {
    /// Title above the plot.
    pub title: String,
    /// Horizontal axis label.
    pub x_label: String,
    /// Vertical axis label.
    pub y_label: String,
    /// The data.
    pub series: Vec<Series>,
    /// Ticks of the horizontal axis at integers only (iterations).
    pub integer_x: bool,
}

/// Most points drawn per series: a scatter of 10^5 triplets is drawn from an even
/// subsample, which keeps files small without changing the picture.
const MAX_POINTS: usize = 5000;

const SIZE: (u32, u32) = (640, 520);

fn color(k: usize) -> RGBColor {
    const PALETTE: [RGBColor; 10] = [
        RGBColor(31, 119, 180),
        RGBColor(214, 39, 40),
        RGBColor(44, 160, 44),
        RGBColor(255, 127, 14),
        RGBColor(148, 103, 189),
        RGBColor(140, 86, 75),
        RGBColor(227, 119, 194),
        RGBColor(127, 127, 127),
        RGBColor(188, 189, 34),
        RGBColor(23, 190, 207),
    ];
    PALETTE[k % PALETTE.len()]
}

fn finite_points(s: &Series) -> Vec<(f64, f64)> {
    let stride = s.points.len().div_ceil(MAX_POINTS).max(1);
    s.points
        .iter()
        .step_by(stride)
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .cloned()
        .collect()
}

fn range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
        (a.min(v), b.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.05).max(1e-9 * hi.abs().max(1.0));
    (lo - pad, hi + pad)
}

/// Labels of ticks spaced about `step` apart: as many decimals as the step needs, and never
/// "-0" (a tick at zero that rounding left slightly negative).
fn tick_label(v: f64, step: f64) -> String {
    // A tick that is zero but for rounding is zero.
    let v = if v.abs() < 1e-9 * step.abs() { 0.0 } else { v };
    let decimals = if step > 0.0 && step < 1.0 {
        (-step.log10()).ceil() as usize
    } else {
        0
    };
    let text = if v.abs() >= 1e5 || (step > 0.0 && step < 1e-4 && v != 0.0) {
        format!("{v:.1e}")
    } else {
        format!("{v:.decimals$}")
    };
    match text.strip_prefix('-') {
        Some(rest) if rest.chars().all(|c| c == '0' || c == '.') => rest.to_string(),
        _ => text,
    }
}

/// Number of ticks on an axis over `range`: ten, or one per integer for a short integer
/// axis.
fn tick_count(range: (f64, f64), integer: bool) -> usize {
    let span = range.1 - range.0;
    if integer {
        (span.floor() as usize + 1).clamp(2, 10)
    } else {
        10
    }
}

fn plot_error(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Io {
        path: path.to_path_buf(),
        source: std::io::Error::other(format!("drawing the figure failed: {e}")),
    }
}

/// Renders into a string, then writes the file atomically.
fn save(path: &Path, draw: impl FnOnce(&mut String) -> Result<()>) -> Result<()> {
    let mut svg = String::new();
    draw(&mut svg)?;
    write_atomic(path, |w| w.write_all(svg.as_bytes()))
}

/// The chart every figure draws into: f64 axes on an SVG string.
type Chart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// Draws the frame of `fig` (title, axes over `x` × `y`, axis labels), lets `body` add the
/// series, draws the legend at `legend` if asked, and writes the file atomically.
fn framed(
    path: &Path,
    fig: &Figure,
    (x, y): ((f64, f64), (f64, f64)),
    y_label_area: u32,
    legend: Option<SeriesLabelPosition>,
    body: impl FnOnce(&mut Chart<'_, '_>) -> Result<()>,
) -> Result<()> {
    save(path, |svg| {
        let root = SVGBackend::with_string(svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| plot_error(path, e))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(&fig.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(48)
            .y_label_area_size(y_label_area)
            .build_cartesian_2d(x.0..x.1, y.0..y.1)
            .map_err(|e| plot_error(path, e))?;
        let (nx, ny) = (tick_count(x, fig.integer_x), tick_count(y, false));
        let (sx, sy) = ((x.1 - x.0) / nx as f64, (y.1 - y.0) / ny as f64);
        let x_format = |v: &f64| {
            if fig.integer_x {
                tick_label(v.round(), 1.0)
            } else {
                tick_label(*v, sx)
            }
        };
        let y_format = |v: &f64| tick_label(*v, sy);
        chart
            .configure_mesh()
            .x_desc(&fig.x_label)
            .y_desc(&fig.y_label)
            .x_labels(nx)
            .y_labels(ny)
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format)
            .max_light_lines(0)
            .draw()
            .map_err(|e| plot_error(path, e))?;
        body(&mut chart)?;
        if let Some(position) = legend {
            chart
                .configure_series_labels()
                .position(position)
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .draw()
                .map_err(|e| plot_error(path, e))?;
        }
        root.present().map_err(|e| plot_error(path, e))
    })
}

/// A scatter plot of every series with the line y = x, on equal axis ranges: the picture of
/// "model against data" or "inferred against true".
pub fn scatter_with_diagonal(path: &Path, fig: &Figure) -> Result<()> {
    let points: Vec<Vec<(f64, f64)>> = fig.series.iter().map(finite_points).collect();
    let (lo, hi) = range(points.iter().flatten().flat_map(|&(x, y)| [x, y]));
    let legend = Some(SeriesLabelPosition::UpperLeft);
    framed(path, fig, ((lo, hi), (lo, hi)), 64, legend, |chart| {
        chart
            .draw_series(LineSeries::new([(lo, lo), (hi, hi)], BLACK.stroke_width(1)))
            .map_err(|e| plot_error(path, e))?
            .label("y = x")
            .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], BLACK));
        for (k, (s, pts)) in fig.series.iter().zip(&points).enumerate() {
            let c = color(k);
            chart
                .draw_series(pts.iter().map(|&p| Circle::new(p, 2, c.mix(0.6).filled())))
                .map_err(|e| plot_error(path, e))?
                .label(&s.label)
                .legend(move |(x, y)| Circle::new((x + 9, y), 4, c.filled()));
        }
        Ok(())
    })
}

/// Line plots of every series against a shared x axis (learning curves). A legend is drawn
/// when there is more than one series.
pub fn lines(path: &Path, fig: &Figure) -> Result<()> {
    let points: Vec<Vec<(f64, f64)>> = fig.series.iter().map(finite_points).collect();
    let x = range(points.iter().flatten().map(|p| p.0));
    let y = range(points.iter().flatten().map(|p| p.1));
    let legend = (fig.series.len() > 1).then_some(SeriesLabelPosition::LowerRight);
    framed(path, fig, (x, y), 72, legend, |chart| {
        for (k, (s, pts)) in fig.series.iter().zip(&points).enumerate() {
            let c = color(k);
            chart
                .draw_series(LineSeries::new(pts.iter().cloned(), c.stroke_width(2)))
                .map_err(|e| plot_error(path, e))?
                .label(&s.label)
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], c.stroke_width(2)));
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_labels_never_read_minus_zero_and_fit_the_step() {
        assert_eq!(tick_label(-0.0, 0.1), "0.0");
        assert_eq!(tick_label(-1e-17, 0.5), "0.0");
        assert_eq!(tick_label(-0.004, 0.1), "0.0");
        assert_eq!(tick_label(-23.5, 0.5), "-23.5");
        assert_eq!(tick_label(12.0, 2.0), "12");
        assert_eq!(tick_count((0.0, 3.0), true), 4);
    }

    #[test]
    fn figures_are_svg_with_labels_and_legends() {
        let dir = tempfile::tempdir().unwrap();
        let fig = Figure {
            title: "t".into(),
            x_label: "data ⟨s_i⟩".into(),
            y_label: "model ⟨s_i⟩".into(),
            series: vec![
                Series::paired("means", &[0.1, 0.2], &[0.1, 0.25]),
                Series::new("pairs", vec![(0.3, 0.31), (f64::NAN, 1.0)]),
            ],
            integer_x: false,
        };
        let p = dir.path().join("s.svg");
        scatter_with_diagonal(&p, &fig).unwrap();
        let svg = std::fs::read_to_string(&p).unwrap();
        assert!(svg.starts_with("<svg"));
        for text in ["data ⟨s_i⟩", "model ⟨s_i⟩", "means", "pairs", "y = x"] {
            assert!(svg.contains(text), "{text} missing");
        }
        let p = dir.path().join("l.svg");
        lines(&p, &fig).unwrap();
        assert!(std::fs::read_to_string(&p).unwrap().contains("pairs"));
    }
}
