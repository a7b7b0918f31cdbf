//! A linear axis over `f64` whose ticks are given, not chosen by plotters
//! (plotters' own `WithKeyPoints` cannot take a label formatter for `f64`):
//! percent ticks on a rate axis, one tick per row of a bar chart.

use std::ops::Range;

use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::types::RangedCoordf64;

/// A linear axis from `range.start` to `range.end` with ticks at `ticks`.
#[derive(Clone)]
pub(crate) struct Axis {
    /// The linear mapping.
    inner: RangedCoordf64,
    /// Tick positions.
    ticks: Vec<f64>,
}

impl Axis {
    /// An axis over `range` with ticks at `ticks`.
    pub(crate) fn new(range: Range<f64>, ticks: Vec<f64>) -> Axis {
        Axis {
            inner: range.into(),
            ticks,
        }
    }
}

impl Ranged for Axis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(value, limit)
    }

    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        // Ticks (and their grid lines) are bold points only.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> Range<f64> {
        self.inner.range()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_linearly_and_keeps_its_ticks() {
        let a = Axis::new(0.0..2.0, vec![0.0, 1.0, 2.0]);
        assert_eq!(a.map(&1.0, (0, 100)), 50);
        assert_eq!(
            a.key_points(plotters::coord::ranged1d::BoldPoints(5)),
            vec![0.0, 1.0, 2.0]
        );
    }
}
