//! Pictures of evaluated runs, each drawn once and written as PNG and SVG
//! of [`WIDTH`] × [`HEIGHT`] pixels: horizontal bars with 95% intervals
//! ([`bars`]: success per group, the comparison of runs), stacked bars
//! ([`stacked`]: the failure split), a histogram ([`histogram`]: SPL) and
//! step curves ([`curves`]: success within k steps). [`figures`] makes the
//! standard set from runs; [`render`] encodes and writes them.

mod axis;
pub mod bars;
pub mod curves;
pub mod figures;
mod frame;
mod header;
pub mod histogram;
pub mod render;
pub mod stacked;
mod style;

use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::prelude::DrawingBackend;

/// Width of every picture, pixels.
pub const WIDTH: u32 = 800;
/// Height of every picture, pixels.
pub const HEIGHT: u32 = 500;

/// One of the kinds of chart.
#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    /// Horizontal bars with intervals.
    Bars(bars::Bars),
    /// Horizontal stacked bars of shares.
    Stacked(stacked::Stacked),
    /// A histogram of values in `[0, 1]`.
    Histogram(histogram::Histogram),
    /// Step curves.
    Curves(curves::Curves),
}

impl Chart {
    /// Draws the chart onto `root` (any plotters backend).
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        match self {
            Chart::Bars(c) => c.draw(root),
            Chart::Stacked(c) => c.draw(root),
            Chart::Histogram(c) => c.draw(root),
            Chart::Curves(c) => c.draw(root),
        }
    }
}

/// A chart with the name its files get (`NAME.png`, `NAME.svg`).
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// File stem, `[A-Za-z0-9._-]` only.
    pub name: String,
    /// One line saying what it shows (for pages that show it).
    pub caption: String,
    /// The chart.
    pub chart: Chart,
}
