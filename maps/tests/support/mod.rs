//! Test and bench support: a synthetic apartment (axis-aligned boxes on a
//! floor), a depth ray-caster for it, and a small frontier-exploring agent
//! loop over the `maps` API (the way the CoW policy will use it).
//!
//! Not every user of this module calls every helper.
#![allow(dead_code)]

use std::time::{Duration, Instant};

use maps::{
    follow_path, world_from_camera, Cell, DeadReckoning, FollowConfig, FollowStep, FrontierConfig,
    FrontierFinder, FrontierMemory, MapConfig, Motion, OccupancyMap, PinholeCamera, PlanConfig,
    Planner, Pose2,
};
use nalgebra::{Isometry3, Point2, Vector3};

/// Camera height of CoW in RoboTHOR, metres.
pub(crate) const CAMERA_HEIGHT: f32 = 0.8658;

/// An axis-aligned box, world frame, metres.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Aabb {
    pub(crate) min: [f32; 3],
    pub(crate) max: [f32; 3],
}

/// A few rooms with 1 m doors and furniture boxes.
#[derive(Debug, Clone)]
pub(crate) struct Apartment {
    pub(crate) boxes: Vec<Aabb>,
    /// Where the agent starts: (x, y, yaw).
    pub(crate) start: Pose2,
}

fn wall_x(x: f32, y0: f32, y1: f32) -> Aabb {
    Aabb {
        min: [x - 0.05, y0, 0.0],
        max: [x + 0.05, y1, 2.5],
    }
}

fn wall_y(y: f32, x0: f32, x1: f32) -> Aabb {
    Aabb {
        min: [x0, y - 0.05, 0.0],
        max: [x1, y + 0.05, 2.5],
    }
}

fn furniture(x: f32, y: f32, sx: f32, sy: f32, h: f32) -> Aabb {
    Aabb {
        min: [x, y, 0.0],
        max: [x + sx, y + sy, h],
    }
}

impl Apartment {
    /// 14 x 10 m, 5 rooms joined by 1 m doors, 10 furniture boxes (the
    /// layout of the peer baseline measurement).
    pub(crate) fn new() -> Self {
        let boxes = vec![
            // Outer walls.
            wall_y(0.0, 0.0, 14.0),
            wall_y(10.0, 0.0, 14.0),
            wall_x(0.0, 0.0, 10.0),
            wall_x(14.0, 0.0, 10.0),
            // x = 5 with a door at y 4..5.
            wall_x(5.0, 0.0, 4.0),
            wall_x(5.0, 5.0, 10.0),
            // x = 10 with a door at y 6..7.
            wall_x(10.0, 0.0, 6.0),
            wall_x(10.0, 7.0, 10.0),
            // y = 5 for x 0..5 with a door at x 2..3.
            wall_y(5.0, 0.0, 2.0),
            wall_y(5.0, 3.0, 5.0),
            // y = 4.5 for x 10..14 with a door at x 11.5..12.5.
            wall_y(4.5, 10.0, 11.5),
            wall_y(4.5, 12.5, 14.0),
            // Furniture.
            furniture(1.0, 1.0, 1.2, 0.6, 0.75),
            furniture(3.5, 0.3, 0.8, 0.8, 0.45),
            furniture(0.4, 7.5, 2.0, 1.6, 0.6),
            furniture(3.6, 8.6, 1.0, 1.0, 1.0),
            furniture(6.5, 1.0, 1.5, 0.9, 0.75),
            furniture(8.5, 8.0, 1.0, 1.5, 0.9),
            furniture(6.0, 7.5, 0.5, 0.5, 0.5),
            furniture(11.0, 1.0, 2.0, 1.0, 0.8),
            furniture(12.8, 6.0, 1.0, 2.5, 1.2),
            furniture(10.5, 8.8, 1.0, 1.0, 0.4),
        ];
        Apartment {
            boxes,
            start: Pose2::new(7.5, 5.0, 0.0),
        }
    }

    /// Renders the depth frame (metres along the optical axis, 0 where
    /// nothing is hit within `max_depth`) seen from `world_from_camera`.
    pub(crate) fn render(
        &self,
        cam: &PinholeCamera,
        world_from_camera: &Isometry3<f32>,
        max_depth: f32,
        out: &mut Vec<f32>,
    ) {
        out.clear();
        out.resize(cam.pixels(), 0.0);
        let o = world_from_camera.translation.vector;
        let r = world_from_camera.rotation;
        for v in 0..cam.height {
            for u in 0..cam.width {
                let d_opt = Vector3::new(
                    (u as f32 + 0.5 - cam.cx) / cam.fx,
                    (v as f32 + 0.5 - cam.cy) / cam.fy,
                    1.0,
                );
                let d = r * d_opt;
                // With optical z = 1, the ray parameter is the depth.
                let mut best = f32::INFINITY;
                if d.z < 0.0 {
                    best = -o.z / d.z;
                }
                for b in &self.boxes {
                    if let Some(t) = slab(&o, &d, b) {
                        best = best.min(t);
                    }
                }
                if best <= max_depth {
                    out[(v * cam.width + u) as usize] = best;
                }
            }
        }
    }

    /// Whether a disc of `radius` at `(x, y)` overlaps a box footprint.
    pub(crate) fn collides(&self, x: f32, y: f32, radius: f32) -> bool {
        self.boxes.iter().any(|b| {
            let cx = x.clamp(b.min[0], b.max[0]);
            let cy = y.clamp(b.min[1], b.max[1]);
            (cx - x).powi(2) + (cy - y).powi(2) < radius * radius
        })
    }
}

/// Ray-box entry distance (slab method), `None` on a miss or behind.
fn slab(o: &Vector3<f32>, d: &Vector3<f32>, b: &Aabb) -> Option<f32> {
    let mut t0 = 0.0f32;
    let mut t1 = f32::INFINITY;
    for k in 0..3 {
        let inv = 1.0 / d[k];
        let mut a = (b.min[k] - o[k]) * inv;
        let mut c = (b.max[k] - o[k]) * inv;
        if a > c {
            std::mem::swap(&mut a, &mut c);
        }
        t0 = t0.max(a);
        t1 = t1.min(c);
        if t0 > t1 {
            return None;
        }
    }
    Some(t0)
}

/// Time spent per stage in one step.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct StepTiming {
    pub(crate) map: Duration,
    pub(crate) field: Duration,
    pub(crate) frontier: Duration,
    pub(crate) path: Duration,
    /// Whether the agent was following a frontier target (not spinning or done).
    pub(crate) exploring: bool,
}

impl StepTiming {
    pub(crate) fn total(&self) -> Duration {
        self.map + self.field + self.frontier + self.path
    }
}

/// A frontier explorer built from the `maps` API, with the true pose
/// integrated by dead reckoning (failed moves detected by collision).
pub(crate) struct Explorer {
    pub(crate) apartment: Apartment,
    pub(crate) camera: PinholeCamera,
    pub(crate) map: OccupancyMap,
    pub(crate) planner: Planner,
    pub(crate) finder: FrontierFinder,
    pub(crate) memory: FrontierMemory,
    pub(crate) follow: FollowConfig,
    pub(crate) pose: DeadReckoning,
    pub(crate) steps: usize,
    pub(crate) collisions: usize,
    target: Option<Point2<f32>>,
    depth: Vec<f32>,
    path_points: Vec<Point2<f32>>,
}

impl Explorer {
    /// An explorer at the apartment's start with a square 90 deg camera.
    pub(crate) fn new(size: u32) -> Self {
        let apartment = Apartment::new();
        let start = apartment.start;
        Explorer {
            camera: PinholeCamera::from_hfov(size, size, 90.0).expect("90 deg camera is valid"),
            map: OccupancyMap::new(MapConfig::default()).expect("default config is valid"),
            planner: Planner::new(PlanConfig::default()),
            finder: FrontierFinder::new(FrontierConfig::default()),
            memory: FrontierMemory::new(0.5),
            follow: FollowConfig::default(),
            pose: DeadReckoning::new(start, 0.25, 30f32.to_radians()),
            steps: 0,
            collisions: 0,
            target: None,
            depth: Vec::new(),
            path_points: Vec::new(),
            apartment,
        }
    }

    /// Renders the current view (untimed), then runs and times one agent step.
    pub(crate) fn step(&mut self) -> StepTiming {
        let p = self.pose.pose;
        let wfc = world_from_camera(p.x, p.y, p.yaw, CAMERA_HEIGHT);
        let mut depth = std::mem::take(&mut self.depth);
        self.apartment.render(&self.camera, &wfc, 10.0, &mut depth);
        let timing = self.act(&depth, &wfc);
        self.depth = depth;
        timing
    }

    fn act(&mut self, depth: &[f32], wfc: &Isometry3<f32>) -> StepTiming {
        let mut t = StepTiming::default();
        let t0 = Instant::now();
        self.map
            .integrate(depth, &self.camera, wfc, None)
            .expect("rendered frame matches the camera");
        t.map = t0.elapsed();
        let motion = if self.steps < 9 {
            Motion::TurnLeft
        } else {
            let t1 = Instant::now();
            let here = self.map.cell_of(self.pose.pose.point());
            self.planner.update(&self.map, here);
            t.field = t1.elapsed();
            let t2 = Instant::now();
            self.finder.find(&self.map, &self.planner, &self.memory);
            t.frontier = t2.elapsed();
            let t3 = Instant::now();
            let m = self.next_motion();
            t.path = t3.elapsed();
            t.exploring = self.target.is_some();
            m
        };
        self.execute(motion);
        self.steps += 1;
        t
    }

    /// Follows the path to the current target, switching to the nearest
    /// frontier target when it is reached or lost.
    fn next_motion(&mut self) -> Motion {
        for _ in 0..4 {
            if self.target.is_none() {
                self.target = self
                    .finder
                    .targets()
                    .iter()
                    .map(|t| t.point)
                    .find(|p| !self.memory.contains(*p));
            }
            let Some(target) = self.target else {
                return Motion::TurnLeft;
            };
            let goal: Cell = self.map.cell_of(target);
            match self.planner.plan(&self.map, goal) {
                Some(path) => {
                    self.path_points.clear();
                    self.path_points
                        .extend(path.cells.iter().map(|&c| self.map.center_of(c)));
                    match follow_path(&self.pose.pose, &self.path_points, &self.follow) {
                        FollowStep::Move(m) => return m,
                        FollowStep::Arrived => {
                            self.memory.remember(target);
                            self.target = None;
                        }
                    }
                }
                None => {
                    self.memory.remember(target);
                    self.target = None;
                }
            }
        }
        Motion::TurnLeft
    }

    fn execute(&mut self, motion: Motion) {
        let p = self.pose.pose;
        let ok = match motion {
            Motion::Forward => {
                let nx = p.x + self.pose.move_step * p.yaw.cos();
                let ny = p.y + self.pose.move_step * p.yaw.sin();
                !self.apartment.collides(nx, ny, 0.18)
            }
            _ => true,
        };
        if !ok {
            self.collisions += 1;
            self.map
                .mark_blocked_move(&p, 0.3)
                .expect("the apartment lies well inside the map's extent");
        }
        self.pose.apply(motion, ok);
    }
}

/// `q`-quantile (0..=1) of `v` in milliseconds (sorts a copy).
pub(crate) fn quantile_ms(v: &[Duration], q: f64) -> f64 {
    let mut s: Vec<f64> = v.iter().map(|d| d.as_secs_f64() * 1e3).collect();
    s.sort_by(f64::total_cmp);
    if s.is_empty() {
        return 0.0;
    }
    let i = ((s.len() - 1) as f64 * q).round() as usize;
    s[i]
}
