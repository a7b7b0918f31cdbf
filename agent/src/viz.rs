//! Top-down pictures of what the CoW agent knows: unknown / free / occupied
//! cells, the inflated configuration space, frontiers, goal evidence, the
//! path taken and the path planned, with the ground truth (start, goal
//! instances) on top when the episode result is given.
//!
//! Image axes: world +x to the right, world +y up (so the picture is the
//! floor plan seen from above with REP-103 axes).

use image::{Rgb, RgbImage};
use imageproc::drawing::{draw_filled_circle_mut, draw_hollow_circle_mut, draw_line_segment_mut};
use maps::{CellState, Pose2};
use nalgebra::Point2;
use sim_bridge::EpisodeResult;

use crate::cow::EpisodeState;

const UNKNOWN: Rgb<u8> = Rgb([205, 205, 205]);
const FREE: Rgb<u8> = Rgb([255, 255, 255]);
const INFLATED: Rgb<u8> = Rgb([235, 225, 200]);
const OCCUPIED: Rgb<u8> = Rgb([40, 40, 40]);
const FRONTIER: Rgb<u8> = Rgb([40, 110, 255]);
const TAKEN: Rgb<u8> = Rgb([0, 160, 60]);
const PLANNED: Rgb<u8> = Rgb([255, 140, 0]);
const GOAL: Rgb<u8> = Rgb([200, 0, 200]);
const START: Rgb<u8> = Rgb([0, 120, 40]);

/// Pixels per map cell.
const SCALE: i32 = 4;
/// Empty margin around the drawing, in cells.
const MARGIN: i32 = 4;

/// What is drawn over the map, in the map frame: goal instances and the path taken.
struct Overlay {
    goals: Vec<Point2<f32>>,
    taken: Vec<Point2<f32>>,
}

impl Overlay {
    fn of(st: &EpisodeState, result: Option<&EpisodeResult>) -> Overlay {
        // Ground truth is in the world frame; under dead reckoning the map is in
        // the agent's start frame, so world points are moved into it.
        let start_world = result
            .and_then(|r| r.path.first())
            .map(|p| Pose2::new(p.x, p.y, p.yaw));
        let to_map = |p: Point2<f32>| -> Point2<f32> {
            match (st.pose.in_world_frame(), start_world) {
                (false, Some(s)) => {
                    let (dx, dy) = (p.x - s.x, p.y - s.y);
                    let (c, sn) = (s.yaw.cos(), s.yaw.sin());
                    Point2::new(c * dx + sn * dy, -sn * dx + c * dy)
                }
                _ => p,
            }
        };
        let goals = result
            .map(|r| {
                r.goal_positions
                    .iter()
                    .map(|g| to_map(Point2::new(g.x, g.y)))
                    .collect()
            })
            .unwrap_or_default();
        let taken = match result {
            Some(r) => r
                .path
                .iter()
                .map(|p| to_map(Point2::new(p.x, p.y)))
                .collect(),
            None => st.trajectory.iter().map(Pose2::point).collect(),
        };
        Overlay { goals, taken }
    }
}

/// The cells [`render`] covers (before its margin): the known map and
/// everything drawn on it, lowest and highest corner.
pub fn bounds(st: &EpisodeState, result: Option<&EpisodeResult>) -> (maps::Cell, maps::Cell) {
    bounds_of(st, &Overlay::of(st, result))
}

fn bounds_of(st: &EpisodeState, overlay: &Overlay) -> (maps::Cell, maps::Cell) {
    let map = &st.map;
    let (mut lo, mut hi) = map.known_bounds().unwrap_or_else(|| {
        let c = map.cell_of(Point2::origin());
        (c, c)
    });
    for p in overlay.goals.iter().chain(&overlay.taken) {
        let c = map.cell_of(*p);
        lo = maps::Cell::new(lo.x.min(c.x), lo.y.min(c.y));
        hi = maps::Cell::new(hi.x.max(c.x), hi.y.max(c.y));
    }
    (lo, hi)
}

/// Renders the episode state; `result` adds the ground truth.
pub fn render(st: &EpisodeState, result: Option<&EpisodeResult>, cell_size: f32) -> RgbImage {
    let overlay = Overlay::of(st, result);
    let bounds = bounds_of(st, &overlay);
    draw(st, &overlay, cell_size, bounds)
}

/// Renders the episode state within the cells `lo..=hi` (plus the margin)
/// instead of the state's own [`bounds`], so that the pictures of an
/// episode's steps share one frame and one size; what lies outside is cut.
pub fn render_within(
    st: &EpisodeState,
    result: Option<&EpisodeResult>,
    cell_size: f32,
    (lo, hi): (maps::Cell, maps::Cell),
) -> RgbImage {
    draw(st, &Overlay::of(st, result), cell_size, (lo, hi))
}

fn draw(
    st: &EpisodeState,
    overlay: &Overlay,
    cell_size: f32,
    (lo, hi): (maps::Cell, maps::Cell),
) -> RgbImage {
    let map = &st.map;
    let (goals, taken) = (&overlay.goals, &overlay.taken);
    let (w_cells, h_cells) = (hi.x - lo.x + 1 + 2 * MARGIN, hi.y - lo.y + 1 + 2 * MARGIN);
    let mut img = RgbImage::from_pixel((w_cells * SCALE) as u32, (h_cells * SCALE) as u32, UNKNOWN);
    let to_px = |p: Point2<f32>| -> (f32, f32) {
        let fx = p.x / cell_size - lo.x as f32 + MARGIN as f32;
        let fy = p.y / cell_size - lo.y as f32 + MARGIN as f32;
        (fx * SCALE as f32, (h_cells as f32 - fy) * SCALE as f32)
    };
    let fill_cell = |img: &mut RgbImage, c: maps::Cell, colour: Rgb<u8>| {
        let px = (c.x - lo.x + MARGIN) * SCALE;
        let py = (h_cells - 1 - (c.y - lo.y + MARGIN)) * SCALE;
        for dy in 0..SCALE {
            for dx in 0..SCALE {
                let (x, y) = ((px + dx) as u32, (py + dy) as u32);
                if x < img.width() && y < img.height() {
                    img.put_pixel(x, y, colour);
                }
            }
        }
    };
    for y in lo.y..=hi.y {
        for x in lo.x..=hi.x {
            let c = maps::Cell::new(x, y);
            let colour = match map.state(c) {
                CellState::Unknown => continue,
                CellState::Occupied => OCCUPIED,
                CellState::Free if map.is_inflated(c) => INFLATED,
                CellState::Free => FREE,
            };
            fill_cell(&mut img, c, colour);
        }
    }
    for &c in st.frontiers.cells() {
        fill_cell(&mut img, c, FRONTIER);
    }
    for (c, e) in map.evidence_cells() {
        let v = (e.max_confidence.clamp(0.0, 1.0) * 255.0) as u8;
        fill_cell(&mut img, c, Rgb([255, 255 - v, 255 - v]));
    }
    let polyline = |img: &mut RgbImage, pts: &[Point2<f32>], colour: Rgb<u8>| {
        for w in pts.windows(2) {
            draw_line_segment_mut(img, to_px(w[0]), to_px(w[1]), colour);
        }
    };
    polyline(&mut img, taken, TAKEN);
    polyline(&mut img, st.policy.path(), PLANNED);
    let r = (SCALE * 2).max(3);
    for g in goals {
        let (x, y) = to_px(*g);
        draw_hollow_circle_mut(&mut img, (x as i32, y as i32), r, GOAL);
        draw_hollow_circle_mut(&mut img, (x as i32, y as i32), r + 1, GOAL);
    }
    if let Some(s) = taken.first() {
        let (x, y) = to_px(*s);
        draw_filled_circle_mut(&mut img, (x as i32, y as i32), r, START);
    }
    if let Some(p) = st.trajectory.last() {
        let (x, y) = to_px(p.point());
        let tip = to_px(p.point() + nalgebra::Vector2::new(p.yaw.cos(), p.yaw.sin()) * 0.4);
        draw_filled_circle_mut(&mut img, (x as i32, y as i32), SCALE, TAKEN);
        draw_line_segment_mut(&mut img, (x, y), tip, TAKEN);
    }
    img
}
