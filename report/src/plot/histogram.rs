//! A histogram of per-episode values in `[0, 1]` (SPL): equal bins, the
//! share of each run's episodes per bin, the runs' bars side by side.

use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::element::Rectangle;
use plotters::prelude::DrawingBackend;
use plotters::style::Color;

use super::axis::Axis;
use super::frame::{self, XSide, YSide};
use super::header::Mark;
use super::style;

/// The values of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// One value per episode, in `[0, 1]`.
    pub values: Vec<f64>,
}

/// A histogram chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Histogram {
    /// Title above the chart.
    pub title: String,
    /// Name of the value axis.
    pub axis: String,
    /// Number of equal bins over `[0, 1]` (the last one includes 1).
    pub bins: usize,
    /// One series per run.
    pub series: Vec<Series>,
}

/// The share of `values` in each of `bins` equal bins over `[0, 1]`.
pub fn shares(values: &[f64], bins: usize) -> Vec<f64> {
    let mut counts = vec![0usize; bins.max(1)];
    for v in values {
        let i = ((v.clamp(0.0, 1.0) * bins as f64) as usize).min(counts.len() - 1);
        counts[i] += 1;
    }
    let n = values.len().max(1) as f64;
    counts.into_iter().map(|c| c as f64 / n).collect()
}

impl Histogram {
    /// Draws the chart onto `root`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let bins = self.bins.max(1);
        let all: Vec<Vec<f64>> = self
            .series
            .iter()
            .map(|s| shares(&s.values, bins))
            .collect();
        let top = all.iter().flatten().copied().fold(0.0_f64, f64::max);
        let y_max = ((top * 10.0).ceil() / 10.0).clamp(0.1, 1.0);
        let legend = frame::series_legend(self.series.iter().map(|s| s.name.as_str()), Mark::Box);
        let x_format = |v: &f64| format!("{v:.1}");
        let y_format = |v: &f64| style::percent(*v);
        let mut chart = frame::draw(
            root,
            &self.title,
            &legend,
            XSide {
                axis: Axis::new(0.0..1.0, style::ticks(1.0, 10)),
                desc: &self.axis,
                format: &x_format,
            },
            YSide::Values {
                axis: Axis::new(0.0..y_max, style::ticks(y_max, 5)),
                desc: "share of episodes",
                format: &y_format,
            },
        )?;
        let width = 1.0 / bins as f64;
        let per = width * 0.8 / all.len().max(1) as f64;
        for (s, shares) in all.iter().enumerate() {
            let colour = style::series(s);
            let boxes = shares
                .iter()
                .enumerate()
                .filter(|(_, v)| **v > 0.0)
                .map(|(b, v)| {
                    let x0 = b as f64 * width + width * 0.1 + s as f64 * per;
                    Rectangle::new([(x0, 0.0), (x0 + per, *v)], colour.filled())
                });
            chart.draw_series(boxes)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_fall_into_their_bins() {
        let s = shares(&[0.0, 0.05, 0.5, 1.0], 10);
        assert_eq!(s[0], 0.5);
        assert_eq!(s[5], 0.25);
        // 1.0 belongs to the last bin.
        assert_eq!(s[9], 0.25);
        assert!((s.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }
}
