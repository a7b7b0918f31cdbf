//! The pinhole RGB-D-semantic camera: column-coherent ray casting.
//!
//! The camera is level, so every pixel of an image column shares one
//! horizontal direction: each column walks the primitive grid once,
//! collecting the footprints it crosses (stopping at the first
//! floor-to-ceiling wall), and each pixel then only tests that short list
//! with its own slope. Depth is the distance along the optical axis (z in
//! the camera frame), not the ray length.

use super::catalog::{make_class, CEILING_HEIGHT, CLASS_CEILING, CLASS_FLOOR, CLASS_NOTHING};
use super::house::House;
use super::shade::{shade_ceiling, shade_floor, shade_prim};
use super::shapes::{prism_hit, sphere_hit, Face, Shape, Span};
use sim_bridge::types::{make_semantic, CameraIntrinsics, Frame, Pose};

/// A footprint crossed by the current column.
#[derive(Debug, Clone, Copy)]
struct Entry {
    prim: u32,
    span: Span,
}

/// What a pixel ray hit first.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Hit {
    Nothing,
    Floor,
    Ceiling,
    Prim(u32, Face, [f32; 2]),
    Sphere(u32),
}

/// A camera with its precomputed per-column and per-row ray terms and
/// reusable scratch space; renders any pose of any house.
#[derive(Debug, Clone)]
pub struct Camera {
    intrinsics: CameraIntrinsics,
    /// `(u + 0.5 - cx) / fx` per column.
    col_a: Vec<f32>,
    /// `1 / sqrt(1 + a²)` per column: depth per unit horizontal distance.
    col_kinv: Vec<f32>,
    /// `(v + 0.5 - cy) / fy` per row.
    row_b: Vec<f32>,
    entries: Vec<Entry>,
    seen: Vec<u32>,
    stamp: u32,
}

impl Camera {
    /// A camera with these intrinsics (see [`CameraIntrinsics`]).
    pub fn new(intrinsics: CameraIntrinsics) -> Self {
        let col_a: Vec<f32> = (0..intrinsics.width)
            .map(|u| (u as f32 + 0.5 - intrinsics.cx) / intrinsics.fx)
            .collect();
        let col_kinv = col_a.iter().map(|a| 1.0 / (1.0 + a * a).sqrt()).collect();
        let row_b = (0..intrinsics.height)
            .map(|v| (v as f32 + 0.5 - intrinsics.cy) / intrinsics.fy)
            .collect();
        Camera {
            intrinsics,
            col_a,
            col_kinv,
            row_b,
            entries: Vec::with_capacity(256),
            seen: Vec::new(),
            stamp: 0,
        }
    }

    /// The camera model.
    pub fn intrinsics(&self) -> &CameraIntrinsics {
        &self.intrinsics
    }

    /// Renders the view from agent pose `pose` (world frame; the camera sits
    /// `camera_height` above it, looking along its heading) into `frame`.
    /// The frame is resized only if its size differs; its semantic part is
    /// filled when present.
    pub fn render_into(&mut self, house: &House, pose: &Pose, frame: &mut Frame) {
        let (w, h) = (
            self.intrinsics.width as usize,
            self.intrinsics.height as usize,
        );
        if frame.width as usize != w || frame.height as usize != h || frame.depth.len() != w * h {
            let sem = frame.semantic.is_some();
            *frame = Frame::blank(w as u32, h as u32, sem);
        }
        if self.seen.len() != house.prims.len() {
            self.seen = vec![0; house.prims.len()];
            self.stamp = 0;
        }
        let ox = pose.x;
        let oy = pose.y;
        let oz = pose.z + self.intrinsics.camera_height;
        let max_depth = self.intrinsics.max_depth;
        let (sy, cy) = pose.yaw.sin_cos();
        let prims = &house.prims;
        let Frame {
            rgb,
            depth,
            semantic,
            ..
        } = frame;
        for u in 0..w {
            let a = self.col_a[u];
            let kinv = self.col_kinv[u];
            // forward (cos, sin) + a * right (sin, -cos), normalised.
            let dx = (cy + a * sy) * kinv;
            let dy = (sy - a * cy) * kinv;
            self.collect(house, ox, oy, dx, dy);
            for v in 0..h {
                let s = -self.row_b[v] * kinv;
                let mut best = f32::INFINITY;
                let mut hit = Hit::Nothing;
                if s < 0.0 {
                    best = -oz / s;
                    hit = Hit::Floor;
                } else if s > 0.0 {
                    best = (CEILING_HEIGHT - oz) / s;
                    hit = Hit::Ceiling;
                }
                for e in &self.entries {
                    if e.span.t_in >= best {
                        break;
                    }
                    let p = &prims[e.prim as usize];
                    if let Shape::Sphere { cx, cy, cz, r } = p.shape {
                        if let Some(t) = sphere_hit([ox, oy, oz], dx, dy, s, [cx, cy, cz], r) {
                            if t < best {
                                best = t;
                                hit = Hit::Sphere(e.prim);
                            }
                        }
                    } else if let Some((t, face)) = prism_hit(&e.span, p.z0, p.z1, oz, s) {
                        if t < best {
                            best = t;
                            hit = Hit::Prim(e.prim, face, [e.span.nx, e.span.ny]);
                        }
                    }
                }
                let px = v * w + u;
                let pt = [ox + dx * best, oy + dy * best, oz + s * best];
                let (color, class) = match hit {
                    Hit::Nothing => ([0, 0, 0], make_semantic(CLASS_NOTHING, 0)),
                    Hit::Floor => (
                        shade_floor(house, pt[0], pt[1]),
                        make_semantic(CLASS_FLOOR, 0),
                    ),
                    Hit::Ceiling => (shade_ceiling(), make_semantic(CLASS_CEILING, 0)),
                    Hit::Prim(i, face, n2) => {
                        let p = &prims[i as usize];
                        let n = match face {
                            Face::Side => [n2[0], n2[1], 0.0],
                            Face::Top => [0.0, 0.0, 1.0],
                            Face::Bottom => [0.0, 0.0, -1.0],
                        };
                        (shade_prim(house, p, pt, n), make_class(p))
                    }
                    Hit::Sphere(i) => {
                        let p = &prims[i as usize];
                        let n = match p.shape {
                            Shape::Sphere { cx, cy, cz, r } => {
                                let inv = 1.0 / r;
                                [(pt[0] - cx) * inv, (pt[1] - cy) * inv, (pt[2] - cz) * inv]
                            }
                            _ => [0.0, 0.0, 1.0],
                        };
                        (shade_prim(house, p, pt, n), make_class(p))
                    }
                };
                rgb[px * 3..px * 3 + 3].copy_from_slice(&color);
                let z = best * kinv;
                let in_range = z <= max_depth && hit != Hit::Nothing;
                depth[px] = if in_range { z } else { 0.0 };
                if let Some(sem) = semantic.as_mut() {
                    sem[px] = if in_range {
                        class
                    } else {
                        make_semantic(CLASS_NOTHING, 0)
                    };
                }
            }
        }
    }

    /// Fills `entries` with the footprints the horizontal ray from `(ox,
    /// oy)` along `(dx, dy)` crosses, sorted by entry distance.
    fn collect(&mut self, house: &House, ox: f32, oy: f32, dx: f32, dy: f32) {
        self.stamp = self.stamp.wrapping_add(1);
        if self.stamp == 0 {
            self.seen.iter_mut().for_each(|s| *s = 0);
            self.stamp = 1;
        }
        let stamp = self.stamp;
        let entries = &mut self.entries;
        let seen = &mut self.seen;
        entries.clear();
        let prims = &house.prims;
        let mut t_block = f32::INFINITY;
        house
            .grid
            .walk(ox, oy, dx, dy, f32::INFINITY, |t_enter, items| {
                if t_enter > t_block {
                    return false;
                }
                for &i in items {
                    let slot = &mut seen[i as usize];
                    if *slot == stamp {
                        continue;
                    }
                    *slot = stamp;
                    let p = &prims[i as usize];
                    if let Some(span) = p.shape.span(ox, oy, dx, dy) {
                        if p.wall && p.z0 <= 0.0 && p.z1 >= CEILING_HEIGHT {
                            t_block = t_block.min(span.t_in);
                        }
                        entries.push(Entry { prim: i, span });
                    }
                }
                true
            });
        // Insertion sort: short, mostly ordered lists.
        for i in 1..entries.len() {
            let mut j = i;
            while j > 0 && entries[j - 1].span.t_in > entries[j].span.t_in {
                entries.swap(j - 1, j);
                j -= 1;
            }
        }
        // Everything behind the first full-height wall is hidden.
        if let Some(cut) = entries.iter().position(|e| e.span.t_in > t_block) {
            entries.truncate(cut);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::catalog::{Pattern, CLASS_WALL};
    use super::super::shapes::Prim;
    use super::*;
    use sim_bridge::types::split_semantic;

    fn solid(shape: Shape, z0: f32, z1: f32, class: u32, instance: u32) -> Prim {
        Prim {
            shape,
            z0,
            z1,
            class,
            instance,
            color: [200, 50, 50],
            color2: [200, 50, 50],
            pattern: Pattern::Solid,
            scale: 1.0,
            wall: class == CLASS_WALL,
        }
    }

    /// A wall whose near face is the plane x = `x` (y in [0, 20]).
    fn wall_at_x(x: f32) -> Prim {
        let shape = Shape::aligned_box(x + 0.05, 10.0, 0.05, 10.0);
        solid(shape, 0.0, CEILING_HEIGHT, CLASS_WALL, 0)
    }

    fn render(house: &House, pose: Pose) -> Frame {
        let mut cam = Camera::new(CameraIntrinsics::from_hfov(224, 224, 90.0, 0.88, 10.0));
        let mut f = Frame::blank(224, 224, true);
        cam.render_into(house, &pose, &mut f);
        f
    }

    fn pose(x: f32, y: f32, yaw: f32) -> Pose {
        Pose { x, y, z: 0.0, yaw }
    }

    #[test]
    fn wall_two_metres_ahead_has_depth_two() {
        let house = House::from_prims(vec![wall_at_x(7.0)], 20.0, 20.0);
        let f = render(&house, pose(5.0, 10.0, 0.0));
        let c = 112 * 224 + 112;
        assert!((f.depth[c] - 2.0).abs() < 1e-4, "{}", f.depth[c]);
        assert_eq!(
            split_semantic(f.semantic.as_ref().unwrap()[c]).0,
            CLASS_WALL
        );
    }

    #[test]
    fn depth_is_optical_z_not_ray_length_at_the_corner() {
        // Wall plane 1 m ahead. Corner pixel (0, 0): a = b = -111.5/112, so
        // the ray meets the plane at height 0.88 + 0.9955 < 2.5 and 1 m
        // along the axis; its ray length would be sqrt(1 + 2 * 0.991) = 1.727.
        let house = House::from_prims(vec![wall_at_x(6.0)], 20.0, 20.0);
        let f = render(&house, pose(5.0, 10.0, 0.0));
        for px in [0, 223, 223 * 224, 224 * 224 - 1] {
            if px < 112 * 224 {
                assert!(
                    (f.depth[px] - 1.0).abs() < 1e-4,
                    "pixel {px}: {}",
                    f.depth[px]
                );
            }
        }
        // Bottom rows see the floor first: bottom row b = 111.5/112, depth 0.88 / b.
        let px = 223 * 224 + 112;
        assert!((f.depth[px] - 0.88 / (111.5 / 112.0)).abs() < 1e-4);
        assert_eq!(
            split_semantic(f.semantic.as_ref().unwrap()[px]).0,
            CLASS_FLOOR
        );
    }

    #[test]
    fn heading_rotates_the_view() {
        // Wall plane y = 12 seen from (5, 10) looking along +y (yaw 90 deg).
        let shape = Shape::aligned_box(10.0, 12.05, 10.0, 0.05);
        let house = House::from_prims(vec![solid(shape, 0.0, 2.5, CLASS_WALL, 0)], 20.0, 20.0);
        let f = render(&house, pose(5.0, 10.0, std::f32::consts::FRAC_PI_2));
        assert!((f.depth[112 * 224 + 112] - 2.0).abs() < 1e-4);
        // Looking along +x instead nothing is near: the centre ray sees the
        // far ceiling/nothing beyond range.
        let g = render(&house, pose(5.0, 10.0, 0.0));
        assert_eq!(g.depth[112 * 224 + 112], 0.0);
    }

    #[test]
    fn beyond_max_depth_is_zero_and_nothing() {
        let house = House::from_prims(vec![wall_at_x(17.0)], 20.0, 20.0);
        let f = render(&house, pose(5.0, 10.0, 0.0));
        let c = 112 * 224 + 112;
        assert_eq!(f.depth[c], 0.0);
        assert_eq!(f.semantic.as_ref().unwrap()[c], 0);
        assert_ne!(&f.rgb[c * 3..c * 3 + 3], &[0, 0, 0]);
    }

    #[test]
    fn object_right_of_centre_and_low_table_seen_over() {
        // Cylinder r = 0.3 at (8, 9): 3 m ahead, 1 m to the right.
        // Column of its axis: u = cx + fx * (1 / 3) = 112 + 37.33 -> u = 149.
        // A 0.45 m table 1 m ahead does not hide the centre row.
        let cyl = solid(
            Shape::Cylinder {
                cx: 8.0,
                cy: 9.0,
                r: 0.3,
            },
            0.0,
            1.5,
            20,
            5,
        );
        let table = Shape::aligned_box(6.0, 10.0, 0.2, 2.0);
        let table = solid(table, 0.0, 0.45, 4, 1);
        let house = House::from_prims(vec![cyl, table, wall_at_x(12.0)], 20.0, 20.0);
        let f = render(&house, pose(5.0, 10.0, 0.0));
        let sem = f.semantic.as_ref().unwrap();
        let px = 112 * 224 + 149;
        assert_eq!(split_semantic(sem[px]), (20, 5));
        // Nearest point of the cylinder surface on that ray: depth ≈ 3 - 0.3 * cos ≈ 2.7.
        assert!((f.depth[px] - 2.715).abs() < 0.03, "{}", f.depth[px]);
        assert_eq!(split_semantic(sem[112 * 224 + 112]).0, CLASS_WALL);
        // Looking down at the table top (row 200): class 4 (table).
        assert_eq!(split_semantic(sem[200 * 224 + 112]).0, 4);
    }
}

#[cfg(test)]
mod determinism {
    use super::*;

    #[test]
    fn same_seed_same_frames() {
        let intr = CameraIntrinsics::from_hfov(96, 64, 90.0, 0.88, 10.0);
        let render = || {
            let house = House::generate(11);
            let mut cam = Camera::new(intr);
            let mut f = Frame::blank(96, 64, true);
            let pose = Pose {
                x: house.rooms[0].x0 + 1.0,
                y: house.rooms[0].y0 + 1.0,
                z: 0.0,
                yaw: 0.7,
            };
            cam.render_into(&house, &pose, &mut f);
            f
        };
        let (a, b) = (render(), render());
        assert_eq!(a, b);
        assert!(a.depth.iter().any(|&d| d > 0.0));
    }
}
