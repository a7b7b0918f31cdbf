//! Step curves of a rate against a count (success within k steps): one
//! curve per run, the value axis from 0 to 100%.

use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::prelude::{DrawingBackend, LineSeries};
use plotters::style::Color;

use super::axis::Axis;
use super::frame::{self, XSide, YSide};
use super::header::Mark;
use super::style;

/// The curve of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// Points `(x, rate)`, by increasing x; drawn as a step function.
    pub points: Vec<(f64, f64)>,
}

/// A chart of step curves.
#[derive(Debug, Clone, PartialEq)]
pub struct Curves {
    /// Title above the chart.
    pub title: String,
    /// Name of the horizontal axis.
    pub x_axis: String,
    /// Name of the vertical axis.
    pub y_axis: String,
    /// The horizontal axis runs from 0 to this.
    pub x_max: f64,
    /// One curve per run.
    pub series: Vec<Series>,
}

/// `points` as a step function: each value holds until the next x.
fn steps(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len() * 2);
    for (i, &(x, y)) in points.iter().enumerate() {
        if i > 0 {
            out.push((x, points[i - 1].1));
        }
        out.push((x, y));
    }
    out
}

impl Curves {
    /// Draws the chart onto `root`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let x_max = self.x_max.max(1.0);
        let legend = frame::series_legend(self.series.iter().map(|s| s.name.as_str()), Mark::Line);
        let x_format = |v: &f64| format!("{v:.0}");
        let y_format = |v: &f64| style::percent(*v);
        let mut chart = frame::draw(
            root,
            &self.title,
            &legend,
            XSide {
                axis: Axis::new(0.0..x_max, style::ticks(x_max, 5)),
                desc: &self.x_axis,
                format: &x_format,
            },
            YSide::Values {
                axis: Axis::new(0.0..1.0, style::ticks(1.0, 5)),
                desc: &self.y_axis,
                format: &y_format,
            },
        )?;
        for (s, series) in self.series.iter().enumerate() {
            let colour = style::series(s);
            chart.draw_series(LineSeries::new(
                steps(&series.points),
                colour.stroke_width(2),
            ))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_holds_its_value_until_the_next_point() {
        assert_eq!(
            steps(&[(0.0, 0.0), (2.0, 0.5), (5.0, 1.0)]),
            vec![(0.0, 0.0), (2.0, 0.0), (2.0, 0.5), (5.0, 0.5), (5.0, 1.0)]
        );
    }
}
