//! Horizontal stacked bars of shares: one row per label, each bar split
//! into parts (an episode's outcome) in proportion to their counts, with the
//! count written in every part wide enough to hold it.

use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::element::{Rectangle, Text};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, RGBColor};

use super::axis::Axis;
use super::frame::{self, XSide, YSide};
use super::header::{Entry, Mark};
use super::style;

/// One part of every bar.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    /// Legend entry.
    pub name: String,
    /// Fill colour.
    pub colour: (u8, u8, u8),
}

/// A horizontal stacked bar chart of shares.
#[derive(Debug, Clone, PartialEq)]
pub struct Stacked {
    /// Title above the chart.
    pub title: String,
    /// Row labels, top to bottom.
    pub rows: Vec<String>,
    /// The parts, left to right.
    pub parts: Vec<Part>,
    /// `counts[row][part]`.
    pub counts: Vec<Vec<usize>>,
}

/// Narrowest share whose count is written inside its part.
const MIN_LABELLED: f64 = 0.05;

impl Stacked {
    /// Draws the chart onto `root`.
    pub fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        let rows = self.rows.len().max(1);
        let legend: Vec<Entry> = self
            .parts
            .iter()
            .map(|p| Entry {
                name: p.name.clone(),
                colour: RGBColor(p.colour.0, p.colour.1, p.colour.2),
                mark: Mark::Box,
            })
            .collect();
        let x_format = |v: &f64| style::percent(*v);
        let mut chart = frame::draw(
            root,
            &self.title,
            &legend,
            XSide {
                axis: Axis::new(0.0..1.0, style::ticks(1.0, 5)),
                desc: "share of episodes",
                format: &x_format,
            },
            YSide::Rows(&self.rows),
        )?;
        let totals: Vec<usize> = self.counts.iter().map(|c| c.iter().sum()).collect();
        // Left edge of the next part of each row.
        let mut left = vec![0.0_f64; self.counts.len()];
        for (p, part) in self.parts.iter().enumerate() {
            let (r, g, b) = part.colour;
            let colour = RGBColor(r, g, b);
            let mut boxes = Vec::new();
            let mut texts = Vec::new();
            for (row, counts) in self.counts.iter().enumerate() {
                let n = counts.get(p).copied().unwrap_or(0);
                if totals[row] == 0 || n == 0 {
                    continue;
                }
                let share = n as f64 / totals[row] as f64;
                let y = (rows - 1 - row) as f64;
                let (x0, x1) = (left[row], left[row] + share);
                boxes.push(Rectangle::new(
                    [(x0, y + 0.15), (x1, y + 0.85)],
                    colour.filled(),
                ));
                if share >= MIN_LABELLED {
                    texts.push(Text::new(
                        n.to_string(),
                        ((x0 + x1) / 2.0, y + 0.5),
                        style::small().pos(Pos::new(HPos::Center, VPos::Center)),
                    ));
                }
                left[row] = x1;
            }
            chart.draw_series(boxes)?;
            chart.draw_series(texts)?;
        }
        Ok(())
    }
}
