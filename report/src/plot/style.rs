//! What every chart shares: colours (Okabe and Ito's palette, which stays
//! distinct for colour-blind readers), text sizes and label helpers.

use plotters::style::{RGBColor, TextStyle};

/// Colours of the runs (series), in order; repeats after the last.
pub(crate) const SERIES: [RGBColor; 7] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(120, 120, 120),
];

/// The colour of series `i`.
pub(crate) fn series(i: usize) -> RGBColor {
    SERIES[i % SERIES.len()]
}

/// Colour of the mesh lines.
pub(crate) const GRID: RGBColor = RGBColor(225, 225, 225);

/// Title text.
pub(crate) fn title() -> TextStyle<'static> {
    ("sans-serif", 20).into()
}

/// Axis labels and legends.
pub(crate) fn label() -> TextStyle<'static> {
    ("sans-serif", 14).into()
}

/// Small text next to bars.
pub(crate) fn small() -> TextStyle<'static> {
    ("sans-serif", 12).into()
}

/// Width in pixels of the label area for row labels like `labels` (about
/// 7.5 pixels a character at the label size), within sensible bounds.
pub(crate) fn label_area(labels: &[String]) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    ((longest as f64 * 7.5) as u32 + 16).clamp(50, 280)
}

/// `0.78` as `78%`.
pub(crate) fn percent(v: f64) -> String {
    format!("{:.0}%", v * 100.0)
}

/// The row (0 at the top) of `rows` drawn at height `y` (row `i` spans
/// `[rows - 1 - i, rows - i)`); `None` off the chart.
pub(crate) fn row_at(y: f64, rows: usize) -> Option<usize> {
    let from_bottom = y.floor();
    if from_bottom < 0.0 || from_bottom >= rows as f64 {
        return None;
    }
    Some(rows - 1 - from_bottom as usize)
}

/// Evenly spaced tick positions from 0 to `max` (`steps` intervals).
pub(crate) fn ticks(max: f64, steps: usize) -> Vec<f64> {
    (0..=steps).map(|i| max * i as f64 / steps as f64).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_count_from_the_top() {
        assert_eq!(row_at(2.5, 3), Some(0));
        assert_eq!(row_at(0.1, 3), Some(2));
        assert_eq!(row_at(3.0, 3), None);
        assert_eq!(row_at(-0.5, 3), None);
    }

    #[test]
    fn ticks_span_the_axis() {
        assert_eq!(ticks(1.0, 4), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
        assert_eq!(percent(0.784), "78%");
    }
}
