//! The strip above every chart: the title, centred, and under it the
//! legend, wrapped into as many rows as it needs, so that the legend never
//! covers a bar or a curve.

use plotters::coord::Shift;
use plotters::drawing::{DrawingArea, DrawingAreaErrorKind};
use plotters::element::{PathElement, Rectangle, Text};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{Color, RGBColor};

use super::style;

/// How a legend entry is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    /// A filled square (bars).
    Box,
    /// A short thick line (curves).
    Line,
}

/// One legend entry.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// Its text.
    pub name: String,
    /// Its colour.
    pub colour: RGBColor,
    /// Its mark.
    pub mark: Mark,
}

/// Height of the title line, pixels.
const TITLE: i32 = 34;
/// Height of one legend row, pixels.
const ROW: i32 = 20;
/// Space from an entry's mark to its text, and after the text.
const GAP: i32 = 18;

/// Draws the title and legend at the top of `root` and returns the area
/// left below them for the chart.
pub(crate) fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[Entry],
) -> Result<DrawingArea<DB, Shift>, DrawingAreaErrorKind<DB::ErrorType>> {
    let (width, _) = root.dim_in_pixel();
    let width = width as i32;
    root.draw(&Text::new(
        title.to_string(),
        (width / 2, 8),
        style::title().pos(Pos::new(HPos::Center, VPos::Top)),
    ))?;
    // Lay the entries out in rows, each row centred.
    let mut rows: Vec<Vec<(&Entry, i32)>> = vec![Vec::new()];
    let mut used = 0;
    for e in entries {
        let (w, _) = root.estimate_text_size(&e.name, &style::label())?;
        let w = w as i32 + GAP + GAP;
        if used + w > width - 24 && !rows[rows.len() - 1].is_empty() {
            rows.push(Vec::new());
            used = 0;
        }
        used += w;
        if let Some(row) = rows.last_mut() {
            row.push((e, w));
        }
    }
    let rows: Vec<_> = rows.into_iter().filter(|r| !r.is_empty()).collect();
    for (i, row) in rows.iter().enumerate() {
        let y = TITLE + i as i32 * ROW + ROW / 2;
        let total: i32 = row.iter().map(|(_, w)| w).sum();
        let mut x = (width - total) / 2;
        for (e, w) in row {
            match e.mark {
                Mark::Box => root.draw(&Rectangle::new(
                    [(x, y - 6), (x + 12, y + 6)],
                    e.colour.filled(),
                ))?,
                Mark::Line => root.draw(&PathElement::new(
                    vec![(x, y), (x + 14, y)],
                    e.colour.stroke_width(3),
                ))?,
            }
            root.draw(&Text::new(
                e.name.clone(),
                (x + GAP, y),
                style::label().pos(Pos::new(HPos::Left, VPos::Center)),
            ))?;
            x += w;
        }
    }
    let height = TITLE + rows.len() as i32 * ROW + 4;
    Ok(root.split_vertically(height).1)
}
