//! Property tests over random grids: planned paths, frontiers and growth.

use std::collections::HashMap;

use maps::{
    astar_path, Cell, CellState, FrontierConfig, FrontierFinder, FrontierMemory, MapConfig,
    OccupancyMap, PlanConfig, Planner, NEIGHBOURS_4,
};
use proptest::prelude::*;

const N: i32 = 14;

/// Builds a map from per-cell codes (0 unknown, 1 free, 2 occupied) over an
/// `N x N` square at an offset, with a random inflation radius.
fn build(codes: &[u8], radius: f32, offset: (i32, i32)) -> Option<OccupancyMap> {
    let cfg = MapConfig {
        agent_radius: radius,
        ..MapConfig::default()
    };
    let mut m = OccupancyMap::new(cfg).ok()?;
    for (i, &code) in codes.iter().enumerate() {
        let c = Cell::new(i as i32 % N + offset.0, i as i32 / N + offset.1);
        match code {
            1 => m.observe_cell(c, false).ok()?,
            2 => m.observe_cell(c, true).ok()?,
            _ => {}
        }
    }
    Some(m)
}

fn codes() -> impl Strategy<Value = Vec<u8>> {
    // Mostly free, some obstacles and unknown.
    prop::collection::vec(
        prop_oneof![6 => Just(1u8), 2 => Just(2u8), 1 => Just(0u8)],
        (N * N) as usize,
    )
}

/// Mostly free with a few obstacles: room for the inflated agent to move.
fn sparse_codes() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        prop_oneof![30 => Just(1u8), 2 => Just(2u8), 1 => Just(0u8)],
        (N * N) as usize,
    )
}

fn radius() -> impl Strategy<Value = f32> {
    prop_oneof![Just(0.0f32), Just(0.125f32), Just(0.18f32)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn planned_paths_stay_in_free_space(
        codes in codes(),
        radius in radius(),
        s in 0..(N * N),
        g in 0..(N * N),
        ox in -50i32..50,
        oy in -50i32..50,
    ) {
        let m = build(&codes, radius, (ox, oy)).ok_or_else(|| TestCaseError::fail("config"))?;
        let start = Cell::new(s % N + ox, s / N + oy);
        let goal = Cell::new(g % N + ox, g / N + oy);
        prop_assume!(m.is_free(start));
        let mut planner = Planner::new(PlanConfig::default());
        planner.update(&m, start);
        let field = planner.cost_to(goal);
        let path = planner.plan(&m, goal);
        // The field and A* agree on reachability and on the cost.
        prop_assert_eq!(field.is_some(), path.is_some());
        if let Some(path) = path {
            let field = field.unwrap_or(f32::NAN);
            prop_assert!((path.cost - field).abs() <= 1e-3 * (1.0 + field), "{} vs {}", path.cost, field);
            prop_assert_eq!(path.cells[0], start);
            prop_assert_eq!(*path.cells.last().unwrap_or(&start), goal);
            for c in &path.cells {
                prop_assert!(m.is_free(*c), "path crosses {:?} ({:?}, inflated {})", c, m.state(*c), m.is_inflated(*c));
            }
            for w in path.cells.windows(2) {
                prop_assert!(w[0].is_8_neighbour(w[1]));
                let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
                if dx != 0 && dy != 0 {
                    prop_assert!(m.is_free(w[0].offset(dx, 0)) && m.is_free(w[0].offset(0, dy)), "corner cut at {:?}", w[0]);
                }
            }
            // Never shorter than the straight line.
            prop_assert!(path.cost + 1e-4 >= start.dist(goal) * m.cell_size());
        } else {
            // No path: the plain A* agrees.
            prop_assert!(astar_path(&m, &PlanConfig::default(), start, goal).is_none());
        }
    }

    #[test]
    fn frontier_cells_are_exactly_free_cells_touching_unknown(
        codes in codes(),
        radius in radius(),
        ox in -50i32..50,
        oy in -50i32..50,
    ) {
        let m = build(&codes, radius, (ox, oy)).ok_or_else(|| TestCaseError::fail("config"))?;
        let mut planner = Planner::new(PlanConfig::default());
        planner.update(&m, Cell::new(ox, oy));
        let mut finder = FrontierFinder::new(FrontierConfig::default());
        let targets = finder.find(&m, &planner, &FrontierMemory::new(0.0)).to_vec();
        let touches_unknown = |c: Cell| NEIGHBOURS_4.iter().any(|&(dx, dy)| m.state(c.offset(dx, dy)) == CellState::Unknown);
        for c in finder.cells() {
            prop_assert!(m.is_free(*c));
            prop_assert!(touches_unknown(*c));
        }
        let mut expected = 0;
        for y in (oy - 1)..=(oy + N) {
            for x in (ox - 1)..=(ox + N) {
                let c = Cell::new(x, y);
                if m.is_free(c) && touches_unknown(c) {
                    expected += 1;
                }
            }
        }
        prop_assert_eq!(finder.cells().len(), expected);
        for t in &targets {
            prop_assert!(finder.cells().contains(&t.cell));
            prop_assert_eq!(planner.cost_to(t.cell), Some(t.cost));
        }
    }

    #[test]
    fn growth_preserves_contents(
        ops in prop::collection::vec((-300i32..300, -300i32..300, any::<bool>()), 1..60),
    ) {
        let mut m = OccupancyMap::new(MapConfig { clear_ratio: 2, ..MapConfig::default() })
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut model: HashMap<Cell, (u32, u32)> = HashMap::new();
        for &(x, y, occ) in &ops {
            let c = Cell::new(x, y);
            m.observe_cell(c, occ).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let e = model.entry(c).or_default();
            if occ { e.0 += 1 } else { e.1 += 1 }
            for (&c, &(h, mi)) in &model {
                let want = if h > 0 && mi < 2 * h {
                    CellState::Occupied
                } else {
                    CellState::Free
                };
                prop_assert_eq!(m.state(c), want, "cell {:?}", c);
                prop_assert_eq!(m.counts(c), (h as u16, mi as u16));
            }
        }
        // Inflation is exactly the union of 3x3 blocks around occupied cells.
        for &(x, y, _) in &ops {
            for (dx, dy) in [(0, 0), (1, 1), (-1, 0), (2, 0)] {
                let c = Cell::new(x + dx, y + dy);
                let want = (-1..=1).any(|a| (-1..=1).any(|b| m.state(c.offset(a, b)) == CellState::Occupied));
                prop_assert_eq!(m.is_inflated(c), want, "cell {:?}", c);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// The hand-unrolled back-projection in `integrate` agrees with
    /// nalgebra's `world_from_camera * back_project` for one pixel.
    #[test]
    fn single_pixel_lands_where_nalgebra_puts_it(
        x in -20.0f32..20.0,
        y in -20.0f32..20.0,
        yaw in -3.2f32..3.2,
        u in 0u32..32,
        v in 0u32..32,
        d in 0.3f32..4.5,
    ) {
        let cam = maps::PinholeCamera::from_hfov(32, 32, 90.0)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let t = maps::world_from_camera(x, y, yaw, 0.8658);
        let p = t * cam.back_project(u, v, d);
        prop_assume!(p.z > 0.1 && p.z < 1.85);
        // Skip points within 1 mm of a cell border (float rounding).
        let fx = (p.x / 0.125).fract().abs();
        let fy = (p.y / 0.125).fract().abs();
        prop_assume!(fx > 0.01 && fx < 0.99 && fy > 0.01 && fy < 0.99);
        let mut depth = vec![0.0f32; 32 * 32];
        depth[(v * 32 + u) as usize] = d;
        let mut m = OccupancyMap::new(MapConfig::default())
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        let s = m.integrate(&depth, &cam, &t, None)
            .map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(s.obstacle_points, 1);
        let c = m.cell_of(nalgebra::Point2::new(p.x, p.y));
        prop_assert_eq!(m.state(c), CellState::Occupied);
        prop_assert_eq!(m.census().1, 1);
        // The camera cell is cleared unless the point is in it.
        let cam_cell = m.cell_of(nalgebra::Point2::new(x, y));
        if cam_cell != c {
            prop_assert_eq!(m.state(cam_cell), CellState::Free);
        }
    }
}

/// The planning settings the agent uses: its normal planner (known free
/// space only, or through unknown cells at a cost), and the relaxed one
/// that crosses inflated cells.
fn plan_config() -> impl Strategy<Value = PlanConfig> {
    (
        prop_oneof![Just(None), (1.0f32..4.0).prop_map(Some)],
        any::<bool>(),
    )
        .prop_map(|(unknown_cost, cross_inflated)| PlanConfig {
            unknown_cost,
            cross_inflated,
            ..PlanConfig::default()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    /// Whatever the settings and wherever the agent stands (free, inflated,
    /// unknown, even an occupied cell: escape mode), neither the planner's
    /// A*, nor the plain A*, nor the nearest reachable cell ever leads
    /// through an occupied cell, and no diagonal step squeezes past one.
    #[test]
    fn no_planner_leads_through_occupied_cells(
        codes in codes(),
        radius in radius(),
        cfg in plan_config(),
        s in 0..(N * N),
        g in 0..(N * N),
        ox in -50i32..50,
        oy in -50i32..50,
    ) {
        let m = build(&codes, radius, (ox, oy)).ok_or_else(|| TestCaseError::fail("config"))?;
        let start = Cell::new(s % N + ox, s / N + oy);
        let goal = Cell::new(g % N + ox, g / N + oy);
        let occupied = |c: Cell| m.state(c) == CellState::Occupied;
        let mut planner = Planner::new(cfg);
        planner.update(&m, start);
        let check = |path: &maps::Path| -> Result<(), TestCaseError> {
            prop_assert_eq!(path.cells[0], start);
            for c in &path.cells[1..] {
                prop_assert!(!occupied(*c), "path enters occupied {:?}", c);
            }
            for w in path.cells.windows(2) {
                prop_assert!(w[0].is_8_neighbour(w[1]));
                let (dx, dy) = (w[1].x - w[0].x, w[1].y - w[0].y);
                if dx != 0 && dy != 0 {
                    prop_assert!(
                        !occupied(w[0].offset(dx, 0)) && !occupied(w[0].offset(0, dy)),
                        "corner cut past an obstacle at {:?}", w[0]
                    );
                }
            }
            Ok(())
        };
        let planned = planner.plan(&m, goal);
        if let Some(path) = &planned {
            check(path)?;
            prop_assert_eq!(*path.cells.last().unwrap_or(&start), goal);
        }
        let direct = astar_path(&m, &cfg, start, goal);
        prop_assert_eq!(direct.is_some(), planned.is_some());
        if let (Some(a), Some(b)) = (&direct, &planned) {
            check(a)?;
            prop_assert!((a.cost - b.cost).abs() <= 1e-3 * (1.0 + a.cost), "{} vs {}", a.cost, b.cost);
        }
        if let Some(near) = planner.nearest_reachable(&m, goal, 0.5) {
            prop_assert!(near == start || !occupied(near), "nearest reachable {:?} is occupied", near);
            let path = planner.plan(&m, near);
            prop_assert!(path.is_some(), "nearest reachable {:?} has no path", near);
            if let Some(path) = &path {
                check(path)?;
            }
        }
    }

    /// The path follower steers only by points of the planned path, so it
    /// never aims into an occupied cell: its look-ahead waypoint is a path
    /// point beyond the look-ahead distance (or the last one), a `Forward`
    /// comes only with the waypoint within half a turn step of the
    /// heading, and `Arrived` exactly when the path's end is within the
    /// arrival distance. (A 0.25 m step at up to 15 deg off can still clip
    /// an obstacle corner: the agent learns of it from the blocked move.)
    #[test]
    fn the_follower_aims_only_at_path_points(
        codes in sparse_codes(),
        cfg in plan_config(),
        s in any::<prop::sample::Index>(),
        g in any::<prop::sample::Index>(),
        dx in -0.06f32..0.06,
        dy in -0.06f32..0.06,
        yaw in -3.2f32..3.2,
    ) {
        let m = build(&codes, 0.18, (0, 0)).ok_or_else(|| TestCaseError::fail("config"))?;
        let free: Vec<Cell> = (0..N * N).map(|i| Cell::new(i % N, i / N)).filter(|&c| m.is_free(c)).collect();
        prop_assume!(free.len() >= 2);
        let start = free[s.index(free.len())];
        let goal = free[g.index(free.len())];
        let follow = maps::FollowConfig::default();
        let pose = maps::Pose2::new(m.center_of(start).x + dx, m.center_of(start).y + dy, yaw);
        let mut planner = Planner::new(cfg);
        planner.update(&m, start);
        let Some(path) = planner.plan(&m, goal) else { return Ok(()) };
        let points = path.points(&m);
        let aim = maps::lookahead_point(&pose, &points, follow.lookahead)
            .ok_or_else(|| TestCaseError::fail("no waypoint on a non-empty path"))?;
        let k = points.iter().position(|&p| p == aim)
            .ok_or_else(|| TestCaseError::fail("the waypoint is not a path point"))?;
        prop_assert!(m.state(path.cells[k]) != CellState::Occupied);
        let beyond = (aim - pose.point()).norm() > follow.lookahead;
        prop_assert!(beyond || k == points.len() - 1, "waypoint {} of {} within the look-ahead", k, points.len());
        let to_end = (points[points.len() - 1] - pose.point()).norm();
        match maps::follow_path(&pose, &points, &follow) {
            maps::FollowStep::Arrived => prop_assert!(to_end <= follow.arrival_distance),
            maps::FollowStep::Move(motion) => {
                prop_assert!(to_end > follow.arrival_distance);
                let err = maps::heading_error(&pose, aim);
                match motion {
                    maps::Motion::Forward => prop_assert!(err.abs() <= follow.turn_step / 2.0, "{}", err),
                    maps::Motion::TurnLeft => prop_assert!(err > follow.turn_step / 2.0, "{}", err),
                    maps::Motion::TurnRight => prop_assert!(err < -follow.turn_step / 2.0, "{}", err),
                }
            }
        }
    }
}
