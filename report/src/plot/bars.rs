//! Horizontal bars with 95% interval whiskers: one row per label, one bar
//! per series (run) in each row, the value written past the whisker.

use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::element::{PathElement, Rectangle, Text};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, BLACK};

use super::axis::Axis;
use super::frame::{self, XSide, YSide};
use super::header::Mark;
use super::style;

/// One bar: a value with its interval and the text written next to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    /// Length of the bar.
    pub value: f64,
    /// 95% interval `[low, high]`, drawn as a whisker.
    pub ci95: (f64, f64),
    /// Written right of the whisker (`"78.0%"`, `"0.481"`).
    pub text: String,
}

/// The bars of one run.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// One bar per row; `None` where the run has no such group.
    pub bars: Vec<Option<Bar>>,
}

/// A horizontal bar chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bars {
    /// Title above the chart.
    pub title: String,
    /// Row labels, top to bottom.
    pub rows: Vec<String>,
    /// One series per run.
    pub series: Vec<Series>,
    /// Name of the value axis.
    pub axis: String,
    /// The value axis runs from 0 to this.
    pub max: f64,
    /// Value-axis ticks as percentages (for rates).
    pub percent: bool,
}

/// Share of a row's height left blank above and below its bars.
const ROW_GAP: f64 = 0.1;

impl Bars {
    /// The vertical band `(bottom, top)` of series `s`'s bar in row `row`
    /// (0 at the top), in chart coordinates.
    pub fn band(&self, row: usize, s: usize) -> (f64, f64) {
        let n = self.series.len().max(1) as f64;
        let h = (1.0 - 2.0 * ROW_GAP) / n;
        let top = (self.rows.len() - 1 - row) as f64 + 1.0 - ROW_GAP - s as f64 * h;
        (top - h, top)
    }

    /// Draws the chart onto `root`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        // Room right of the longest whisker for its text.
        let x_end = self.max * 1.16;
        let legend = if self.series.len() > 1 {
            frame::series_legend(self.series.iter().map(|s| s.name.as_str()), Mark::Box)
        } else {
            Vec::new()
        };
        let percent = self.percent;
        let x_format = move |v: &f64| {
            if percent {
                style::percent(*v)
            } else {
                format!("{v:.1}")
            }
        };
        let mut chart = frame::draw(
            root,
            &self.title,
            &legend,
            XSide {
                axis: Axis::new(0.0..x_end, style::ticks(self.max, 5)),
                desc: &self.axis,
                format: &x_format,
            },
            YSide::Rows(&self.rows),
        )?;
        for (s, series) in self.series.iter().enumerate() {
            let colour = style::series(s);
            let bars: Vec<Rectangle<(f64, f64)>> = series
                .bars
                .iter()
                .enumerate()
                .filter_map(|(row, b)| {
                    let b = b.as_ref()?;
                    let (lo, hi) = self.band(row, s);
                    Some(Rectangle::new(
                        [(0.0, lo), (b.value.clamp(0.0, self.max), hi)],
                        colour.filled(),
                    ))
                })
                .collect();
            chart.draw_series(bars)?;
            for (row, b) in series.bars.iter().enumerate() {
                let Some(b) = b else { continue };
                let (lo, hi) = self.band(row, s);
                let (mid, cap) = ((lo + hi) / 2.0, (hi - lo) * 0.2);
                let (l, h) = (b.ci95.0.min(b.ci95.1), b.ci95.0.max(b.ci95.1));
                let whisker = BLACK.stroke_width(2);
                chart.draw_series([
                    PathElement::new(vec![(l, mid), (h, mid)], whisker),
                    PathElement::new(vec![(l, mid - cap), (l, mid + cap)], whisker),
                    PathElement::new(vec![(h, mid - cap), (h, mid + cap)], whisker),
                ])?;
                let text_at = h.max(b.value) + self.max * 0.012;
                chart.draw_series([Text::new(
                    b.text.clone(),
                    (text_at, mid),
                    style::small().pos(Pos::new(HPos::Left, VPos::Center)),
                )])?;
            }
        }
        Ok(())
    }
}
