//! Property tests of depth-frame integration through
//! [`OccupancyMap::integrate`] with random poses and depth (NaN, infinite,
//! negative and huge readings, absurd poses): a repeated frame changes
//! nothing it did not already say, the map never outgrows its configured
//! extent, and frontier cells always border unknown space.

#![allow(clippy::unwrap_used)]

use maps::{
    world_from_camera, Cell, CellState, Error, FrontierConfig, FrontierFinder, FrontierMemory,
    MapConfig, OccupancyMap, PinholeCamera, PlanConfig, Planner, Pose2, NEIGHBOURS_4, NEIGHBOURS_8,
};
use proptest::prelude::*;

const W: u32 = 24;
const H: u32 = 18;
const CAMERA_HEIGHT: f32 = 0.8658;

/// One depth reading: mostly valid, sometimes NaN, infinite, zero,
/// negative, tiny or absurdly large.
fn reading() -> impl Strategy<Value = f32> {
    prop_oneof![
        12 => 0.05f32..6.0,
        1 => Just(f32::NAN),
        1 => Just(f32::INFINITY),
        1 => Just(f32::NEG_INFINITY),
        1 => Just(0.0f32),
        1 => Just(-1.0f32),
        1 => Just(1e-30f32),
        1 => Just(1e30f32),
    ]
}

fn depth() -> impl Strategy<Value = Vec<f32>> {
    prop::collection::vec(reading(), (W * H) as usize)
}

/// Goal confidence per pixel, NaN and out-of-range values included.
fn confidence() -> impl Strategy<Value = Option<Vec<f32>>> {
    prop::option::of(prop::collection::vec(
        prop_oneof![
            6 => Just(0.0f32),
            3 => 0.0f32..1.0,
            1 => Just(f32::NAN),
            1 => Just(-2.0f32),
            1 => Just(7.0f32),
        ],
        (W * H) as usize,
    ))
}

/// A coordinate: mostly inside a house, sometimes far away, sometimes absurd.
fn coordinate() -> impl Strategy<Value = f32> {
    prop_oneof![
        10 => -8.0f32..8.0,
        2 => -2.0e6f32..2.0e6,
        1 => prop::sample::select(vec![
            1.0e9f32,
            -1.0e9,
            f32::NAN,
            f32::INFINITY,
            f32::NEG_INFINITY,
            1.0e6,
            -1.0e6,
            999_999.9,
            f32::MAX,
            f32::MIN_POSITIVE,
        ]),
    ]
}

/// Yaw and camera height, mostly sane, sometimes NaN or infinite.
fn angle() -> impl Strategy<Value = f32> {
    prop_oneof![
        10 => -7.0f32..7.0,
        1 => prop::sample::select(vec![f32::NAN, f32::INFINITY, 1.0e9]),
    ]
}

fn height() -> impl Strategy<Value = f32> {
    prop_oneof![
        10 => 0.2f32..1.6,
        1 => prop::sample::select(vec![f32::NAN, f32::INFINITY, -3.0, 1.0e9]),
    ]
}

/// A frame: depth, optional confidence, camera pose `(x, y, yaw, height)`
/// and the horizontal field of view, degrees.
#[derive(Debug, Clone)]
struct Frame {
    depth: Vec<f32>,
    confidence: Option<Vec<f32>>,
    pose: (f32, f32, f32, f32),
    hfov: f32,
}

fn frame() -> impl Strategy<Value = Frame> {
    (
        depth(),
        confidence(),
        (coordinate(), coordinate(), angle(), height()),
        prop_oneof![Just(90.0f32), 30.0f32..170.0],
    )
        .prop_map(|(depth, confidence, pose, hfov)| Frame {
            depth,
            confidence,
            pose,
            hfov,
        })
}

/// A frame from a sane pose in a 16 x 16 m area (random depth still).
fn sane_frame() -> impl Strategy<Value = Frame> {
    (
        depth(),
        confidence(),
        (-8.0f32..8.0, -8.0f32..8.0, -3.2f32..3.2),
        prop_oneof![Just(90.0f32), 40.0f32..150.0],
    )
        .prop_map(|(depth, confidence, (x, y, yaw), hfov)| Frame {
            depth,
            confidence,
            pose: (x, y, yaw, CAMERA_HEIGHT),
            hfov,
        })
}

fn integrate(m: &mut OccupancyMap, f: &Frame) -> Result<maps::UpdateStats, Error> {
    let cam = PinholeCamera::from_hfov(W, H, f.hfov)?;
    let (x, y, yaw, h) = f.pose;
    m.integrate(
        &f.depth,
        &cam,
        &world_from_camera(x, y, yaw, h),
        f.confidence.as_deref(),
    )
}

/// Everything observable about every stored cell (and a ring around the
/// storage), for before/after comparisons.
#[derive(Debug, Clone, PartialEq)]
struct Snapshot {
    extent: maps::Extent,
    known: Option<(Cell, Cell)>,
    frames: u32,
    cells: Vec<CellView>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct CellView {
    cell: Cell,
    state: CellState,
    counts: (u16, u16),
    inflated: bool,
    proximity: f32,
    evidence: Option<(f32, u16, f32)>,
}

fn view(m: &OccupancyMap, c: Cell) -> CellView {
    CellView {
        cell: c,
        state: m.state(c),
        counts: m.counts(c),
        inflated: m.is_inflated(c),
        proximity: m.proximity(c),
        evidence: m
            .evidence(c)
            .map(|e| (e.max_confidence, e.frames_above, e.height)),
    }
}

fn snapshot(m: &OccupancyMap) -> Snapshot {
    let e = m.extent();
    let mut cells = Vec::new();
    for y in (e.origin.y - 1)..=(e.origin.y + e.height) {
        for x in (e.origin.x - 1)..=(e.origin.x + e.width) {
            cells.push(view(m, Cell::new(x, y)));
        }
    }
    Snapshot {
        extent: e,
        known: m.known_bounds(),
        frames: m.frames(),
        cells,
    }
}

fn map_config(max_extent: f32) -> MapConfig {
    MapConfig {
        max_extent,
        ..MapConfig::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// On a fresh map, integrating a frame a second time from the same pose
    /// leaves every state, inflation, proximity and the evidence maxima as
    /// the first time left them (only the counts grow), grows nothing, and
    /// reports no changed cell.
    #[test]
    fn integrating_the_same_frame_twice_changes_nothing(f in sane_frame()) {
        let mut m = OccupancyMap::new(MapConfig::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let first = integrate(&mut m, &f).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let once = snapshot(&m);
        let second = integrate(&mut m, &f).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let twice = snapshot(&m);
        prop_assert_eq!(twice.extent, once.extent);
        prop_assert_eq!(twice.known, once.known);
        prop_assert!(m.last_changed().is_empty(), "changed {:?}", m.last_changed());
        prop_assert_eq!(second.cells_changed, 0);
        prop_assert!(!second.grew);
        prop_assert_eq!(
            (second.sampled, second.dropped_invalid, second.dropped_height, second.floor_points, second.obstacle_points, second.rays, second.cells_touched),
            (first.sampled, first.dropped_invalid, first.dropped_height, first.floor_points, first.obstacle_points, first.rays, first.cells_touched)
        );
        for (a, b) in once.cells.iter().zip(&twice.cells) {
            prop_assert_eq!(a.state, b.state, "cell {:?}", a.cell);
            prop_assert_eq!(a.inflated, b.inflated, "cell {:?}", a.cell);
            prop_assert_eq!(a.proximity, b.proximity, "cell {:?}", a.cell);
            prop_assert_eq!(a.evidence.map(|e| (e.0, e.2)), b.evidence.map(|e| (e.0, e.2)), "cell {:?}", a.cell);
            // Counts: whatever the frame added once, it adds again.
            let (h0, m0) = a.counts;
            let (h1, m1) = b.counts;
            prop_assert!(h0 <= 1 && m0 <= 1, "one frame counts a cell once");
            prop_assert_eq!((h1, m1), (2 * h0, 2 * m0), "cell {:?}", a.cell);
        }
    }

    /// After any history, a repeated frame adds exactly the counts it added
    /// the first time to exactly the same cells, grows nothing, and a cell
    /// changes state only the way the frame votes: to occupied where it saw
    /// an obstacle, to free where it saw floor or a ray crossed.
    #[test]
    fn a_repeated_frame_only_repeats_its_votes(
        history in prop::collection::vec(sane_frame(), 0..4),
        f in sane_frame(),
    ) {
        let mut m = OccupancyMap::new(MapConfig::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for h in &history {
            integrate(&mut m, h).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let before = snapshot(&m);
        integrate(&mut m, &f).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let once = snapshot(&m);
        integrate(&mut m, &f).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let twice = snapshot(&m);
        prop_assert_eq!(twice.extent, once.extent);
        prop_assert_eq!(twice.known, once.known);
        let counts_before: std::collections::HashMap<Cell, (u16, u16)> =
            before.cells.iter().map(|v| (v.cell, v.counts)).collect();
        for (a, b) in once.cells.iter().zip(&twice.cells) {
            let c = a.cell;
            let start = counts_before.get(&c).copied().unwrap_or((0, 0));
            let vote = (a.counts.0 - start.0, a.counts.1 - start.1);
            prop_assert!(vote == (0, 0) || vote == (1, 0) || vote == (0, 1), "cell {:?} vote {:?}", c, vote);
            prop_assert_eq!(b.counts, (a.counts.0 + vote.0, a.counts.1 + vote.1), "cell {:?}", c);
            if a.state != b.state {
                let want = if vote.0 == 1 { CellState::Occupied } else { CellState::Free };
                prop_assert_eq!(b.state, want, "cell {:?} voted {:?}", c, vote);
            }
            // The evidence maximum does not move on the same pixels.
            prop_assert_eq!(a.evidence.map(|e| (e.0, e.2)), b.evidence.map(|e| (e.0, e.2)), "cell {:?}", c);
        }
    }

    /// Whatever poses and depth it is given (1e9, NaN and infinite poses,
    /// NaN and infinite depth, wide cameras), integration either succeeds
    /// or refuses with a typed error naming the value and the limit, a
    /// refused frame changes nothing, the observed area never spans more
    /// than `max_extent`, and the storage never more than its bound.
    #[test]
    fn the_map_never_exceeds_its_configured_extent(
        max_extent in prop_oneof![Just(20.0f32), Just(40.0f32), Just(200.0f32)],
        frames in prop::collection::vec(frame(), 1..8),
    ) {
        let cfg = map_config(max_extent);
        let cs = cfg.cell_size;
        let mut m = OccupancyMap::new(cfg).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let limit = m.storage_limit();
        prop_assert!(limit as f32 * cs <= max_extent + 80.0 * cs, "storage limit {} cells", limit);
        for f in &frames {
            let before = (m.extent(), m.known_bounds(), m.frames(), m.census());
            match integrate(&mut m, f) {
                Ok(_) => {}
                Err(e) => {
                    let text = e.to_string();
                    match e {
                        Error::PoseOutOfRange { limit, .. } => {
                            prop_assert!(text.contains(&limit.to_string()), "{}", text);
                        }
                        Error::ExtentExceeded { span, limit } => {
                            prop_assert!(span > limit);
                            prop_assert!(text.contains(&format!("{limit} m")), "{}", text);
                        }
                        other => return Err(TestCaseError::fail(format!("unexpected error {other:?}"))),
                    }
                    prop_assert_eq!((m.extent(), m.known_bounds(), m.frames(), m.census()), before);
                }
            }
            check_bounds(&m, max_extent, limit)?;
        }
    }

    /// Blocked-move and collision marks from any pose are bounded the same
    /// way: refused beyond the extent, never growing the map past it.
    #[test]
    fn marks_never_exceed_the_configured_extent(
        max_extent in prop_oneof![Just(20.0f32), Just(200.0f32)],
        marks in prop::collection::vec((coordinate(), coordinate(), angle(), 0u8..3), 1..12),
    ) {
        let mut m = OccupancyMap::new(map_config(max_extent))
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let limit = m.storage_limit();
        for &(x, y, yaw, kind) in &marks {
            let before = (m.extent(), m.known_bounds(), m.census());
            let p = nalgebra::Point2::new(x, y);
            let result = match kind {
                0 => m.mark_obstacle(p).map(|_| ()),
                1 => m.mark_free(p).map(|_| ()),
                _ => m.mark_blocked_move(&Pose2::new(x, y, yaw), 0.305).map(|_| ()),
            };
            if let Err(e) = result {
                prop_assert!(
                    matches!(e, Error::PointOutOfRange { .. } | Error::ExtentExceeded { .. }),
                    "{:?}", e
                );
                prop_assert_eq!((m.extent(), m.known_bounds(), m.census()), before);
            }
            check_bounds(&m, max_extent, limit)?;
        }
    }

    /// On maps built from random frames, every frontier cell is known free,
    /// not inflated, and borders unknown space (by the finder's
    /// adjacency), and every such cell in the known area is found.
    #[test]
    fn frontier_cells_always_border_unknown(
        frames in prop::collection::vec(sane_frame(), 1..6),
        eight_adjacent in any::<bool>(),
    ) {
        let mut m = OccupancyMap::new(MapConfig::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        for f in &frames {
            integrate(&mut m, f).map_err(|e| TestCaseError::fail(e.to_string()))?;
        }
        let adjacency: &[(i32, i32)] = if eight_adjacent { &NEIGHBOURS_8 } else { &NEIGHBOURS_4 };
        let borders_unknown = |c: Cell| {
            adjacency.iter().any(|&(dx, dy)| m.state(c.offset(dx, dy)) == CellState::Unknown)
        };
        let (x, y, _, _) = frames[frames.len() - 1].pose;
        let here = m.cell_of(nalgebra::Point2::new(x, y));
        let mut planner = Planner::new(PlanConfig::default());
        planner.update(&m, here);
        let mut finder = FrontierFinder::new(FrontierConfig { eight_adjacent, ..FrontierConfig::default() });
        let targets = finder.find(&m, &planner, &FrontierMemory::new(0.0)).to_vec();
        for &c in finder.cells() {
            prop_assert!(m.is_free(c), "frontier {:?} is {:?}", c, m.state(c));
            prop_assert!(borders_unknown(c), "frontier {:?} borders no unknown cell", c);
        }
        let Some((lo, hi)) = m.known_bounds() else { return Err(TestCaseError::fail("no bounds")) };
        let mut expected = 0;
        for y in lo.y..=hi.y {
            for x in lo.x..=hi.x {
                let c = Cell::new(x, y);
                if m.is_free(c) && borders_unknown(c) {
                    expected += 1;
                }
            }
        }
        prop_assert_eq!(finder.cells().len(), expected);
        for t in &targets {
            prop_assert!(finder.cells().contains(&t.cell));
            prop_assert!(planner.cost_to(t.cell).is_some(), "target {:?} unreachable", t.cell);
        }
    }
}

/// The observed area spans at most `max_extent`, and the storage at most
/// `limit` cells a side.
fn check_bounds(m: &OccupancyMap, max_extent: f32, limit: i32) -> Result<(), TestCaseError> {
    if let Some((lo, hi)) = m.known_bounds() {
        let side = (i64::from(hi.x) - i64::from(lo.x)).max(i64::from(hi.y) - i64::from(lo.y)) + 1;
        prop_assert!(
            side as f32 * m.cell_size() <= max_extent,
            "known {:?}..{:?} spans {} cells",
            lo,
            hi,
            side
        );
    }
    let e = m.extent();
    prop_assert!(
        e.width <= limit && e.height <= limit,
        "storage {:?} beyond {} cells",
        e,
        limit
    );
    Ok(())
}

// Regression tests: the failing cases the properties above found.

/// Marks 7 m either side of the origin on a 20 m map doubled the storage
/// to 292 cells a side, past the 232 the extent allows.
#[test]
fn marks_across_the_extent_keep_the_storage_bounded() {
    let mut m = OccupancyMap::new(map_config(20.0)).expect("valid config");
    for x in [-6.9974203, 0.0, 7.7518835] {
        m.mark_obstacle(nalgebra::Point2::new(x, 0.0))
            .expect("within the extent");
    }
    assert_eq!(m.storage_limit(), 232);
    let e = m.extent();
    assert!(e.width <= 232 && e.height <= 232, "{e:?}");
    for x in [-6.9974203f32, 0.0, 7.7518835] {
        let c = m.cell_of(nalgebra::Point2::new(x, 0.0));
        assert_eq!(m.state(c), CellState::Occupied, "{c:?}");
        assert!(m.is_inflated(c.offset(1, 1)));
    }
}

/// Frames 17 m either side of the origin on a 40 m map: the same doubling
/// through `integrate`.
#[test]
fn frames_across_the_extent_keep_the_storage_bounded() {
    let cam = PinholeCamera::new(1, 1, 1.0, 1.0, 0.5, 0.5).expect("valid camera");
    let mut m = OccupancyMap::new(map_config(40.0)).expect("valid config");
    // Each camera sees a point 1 m ahead (+x): at x = 1, -18 and 5.5 m;
    // doubling to the left, then to the right, made 402 cells of 392.
    for x in [0.0, -19.0, 4.5] {
        m.integrate(&[1.0], &cam, &world_from_camera(x, 0.0, 0.0, 0.5), None)
            .expect("within the extent");
    }
    let e = m.extent();
    assert!(
        e.width <= m.storage_limit(),
        "{e:?} beyond {}",
        m.storage_limit()
    );
    for x in [8, -144, 44] {
        assert_eq!(m.state(Cell::new(x, 0)), CellState::Occupied, "x = {x}");
    }
    assert_eq!(m.state(Cell::new(-145, 0)), CellState::Free);
    assert_eq!(m.state(Cell::new(-143, 0)), CellState::Unknown);
    assert_eq!(m.state(Cell::new(43, 0)), CellState::Free);
}

/// A mark 1e9 m away (or NaN) saturated its cell index to `i32::MAX` and
/// overflowed the storage arithmetic; now it is refused with the value and
/// the limit, and the map is untouched.
#[test]
fn far_and_nan_marks_are_refused() {
    let mut m = OccupancyMap::new(MapConfig::default()).expect("valid config");
    m.mark_free(nalgebra::Point2::new(0.0, 0.0)).expect("near");
    let before = (m.extent(), m.known_bounds(), m.census());
    let e = m
        .mark_obstacle(nalgebra::Point2::new(1.0e9, 0.0))
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        "obstacle mark (1000000000, 0) is not a finite point within 1000000 m of the origin"
    );
    assert!(m.mark_free(nalgebra::Point2::new(f32::NAN, 0.0)).is_err());
    assert!(m
        .mark_blocked_move(&Pose2::new(0.0, 0.0, f32::NAN), 0.3)
        .is_err());
    assert!(m.observe_cell(Cell::new(i32::MAX, 0), true).is_err());
    let e = m
        .mark_obstacle(nalgebra::Point2::new(500.0, 0.0))
        .unwrap_err();
    assert!(
        matches!(e, Error::ExtentExceeded { limit, .. } if limit == 200.0),
        "{e}"
    );
    assert_eq!((m.extent(), m.known_bounds(), m.census()), before);
}
