//! The frame every chart is drawn in: a white background, the header
//! (title and legend), the plotting area with its margins and label areas,
//! and the mesh with its axis names and tick labels.

use plotters::coord::cartesian::Cartesian2d;
use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::prelude::{ChartBuilder, ChartContext, DrawingBackend};
use plotters::style::WHITE;

use super::axis::Axis;
use super::header::{self, Entry, Mark};
use super::style;

/// A chart's plotting area, both axes [`Axis`].
pub(crate) type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<Axis, Axis>>;

/// Width of the value-axis label area left of a chart, pixels.
const VALUE_LABEL_AREA: u32 = 56;

/// The horizontal axis of a chart.
pub(crate) struct XSide<'a> {
    /// Its range and ticks.
    pub axis: Axis,
    /// Its name.
    pub desc: &'a str,
    /// Its tick labels.
    pub format: &'a dyn Fn(&f64) -> String,
}

/// The vertical axis of a chart.
pub(crate) enum YSide<'a> {
    /// A value axis.
    Values {
        /// Its range and ticks.
        axis: Axis,
        /// Its name.
        desc: &'a str,
        /// Its tick labels.
        format: &'a dyn Fn(&f64) -> String,
    },
    /// One row per label, top to bottom, labelled by them, without
    /// horizontal grid lines.
    Rows(&'a [String]),
}

/// Legend entries for series named `names`, in the series' colours.
pub(crate) fn series_legend<'n>(
    names: impl IntoIterator<Item = &'n str>,
    mark: Mark,
) -> Vec<Entry> {
    names
        .into_iter()
        .enumerate()
        .map(|(i, name)| Entry {
            name: name.to_string(),
            colour: style::series(i),
            mark,
        })
        .collect()
}

/// Fills `root` white, draws the header (`title`, `legend`) and the mesh
/// of axes `x` and `y` below it, and returns the chart to draw into.
pub(crate) fn draw<'c, DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    legend: &[Entry],
    x: XSide<'_>,
    y: YSide<'_>,
) -> Result<Chart<'c, DB>, DrawingAreaErrorKind<DB::ErrorType>> {
    root.fill(&WHITE)?;
    let area = header::draw(root, title, legend)?;
    let (y_label_area, y_axis) = match &y {
        YSide::Values { axis, .. } => (VALUE_LABEL_AREA, axis.clone()),
        YSide::Rows(labels) => {
            let rows = labels.len().max(1);
            let centres: Vec<f64> = (0..rows).map(|i| i as f64 + 0.5).collect();
            (
                style::label_area(labels),
                Axis::new(0.0..rows as f64, centres),
            )
        }
    };
    let mut chart = ChartBuilder::on(&area)
        .margin(12)
        .margin_right(24)
        .x_label_area_size(44)
        .y_label_area_size(y_label_area)
        .build_cartesian_2d(x.axis, y_axis)?;
    let labels: &[String] = match &y {
        YSide::Rows(labels) => labels,
        YSide::Values { .. } => &[],
    };
    let row_format = |v: &f64| {
        style::row_at(*v, labels.len().max(1))
            .and_then(|i| labels.get(i).cloned())
            .unwrap_or_default()
    };
    let mut mesh = chart.configure_mesh();
    mesh.bold_line_style(style::GRID)
        .x_desc(x.desc)
        .x_label_formatter(x.format)
        .label_style(style::label())
        .axis_desc_style(style::label());
    match &y {
        YSide::Values { desc, format, .. } => {
            mesh.y_desc(*desc).y_label_formatter(*format);
        }
        YSide::Rows(_) => {
            mesh.disable_y_mesh().y_label_formatter(&row_format);
        }
    }
    mesh.draw()?;
    Ok(chart)
}
