//! Analytic primitives (yaw-rotated boxes, vertical cylinders, spheres) and
//! their ray intersections.
//!
//! Rays are parameterised by *horizontal* distance `t`: the point at `t` is
//! `(ox + t dx, oy + t dy, oz + t s)` with `(dx, dy)` a unit vector in the
//! floor plane and `s` the slope (metres up per metre travelled). Boxes and
//! cylinders are vertical prisms, so their hit is the 2-D entry distance when
//! the ray's height there lies within the prism, else the top or bottom face.

use super::catalog::Pattern;

/// The footprint and vertical shape of a primitive (world frame, metres).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Shape {
    /// A box rotated by a yaw about +z.
    Box {
        /// Centre x.
        cx: f32,
        /// Centre y.
        cy: f32,
        /// Half extent along the box's own x axis.
        hx: f32,
        /// Half extent along the box's own y axis.
        hy: f32,
        /// Cosine of the yaw.
        cos: f32,
        /// Sine of the yaw.
        sin: f32,
    },
    /// A vertical cylinder.
    Cylinder {
        /// Axis x.
        cx: f32,
        /// Axis y.
        cy: f32,
        /// Radius.
        r: f32,
    },
    /// A sphere; its `z0..z1` equals `cz - r .. cz + r`.
    Sphere {
        /// Centre x.
        cx: f32,
        /// Centre y.
        cy: f32,
        /// Centre z.
        cz: f32,
        /// Radius.
        r: f32,
    },
}

/// One renderable primitive with its semantic identity and surface look.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Prim {
    /// Geometry.
    pub shape: Shape,
    /// Bottom height, metres.
    pub z0: f32,
    /// Top height, metres.
    pub z1: f32,
    /// Semantic class index.
    pub class: u32,
    /// Instance number (0 for walls).
    pub instance: u32,
    /// Main colour.
    pub color: [u8; 3],
    /// Second colour of the pattern.
    pub color2: [u8; 3],
    /// Texture pattern.
    pub pattern: Pattern,
    /// Pattern period, metres.
    pub scale: f32,
    /// A wall: coloured by the room it faces, spans floor to ceiling.
    pub wall: bool,
}

#[cfg(test)]
impl Prim {
    /// A plain black wall 2.5 m high over [`Shape::aligned_box`]`(cx, cy,
    /// hx, hy)` (for tests on hand-built layouts).
    pub(crate) fn test_wall(cx: f32, cy: f32, hx: f32, hy: f32) -> Prim {
        Prim {
            shape: Shape::aligned_box(cx, cy, hx, hy),
            z0: 0.0,
            z1: 2.5,
            class: super::catalog::CLASS_WALL,
            instance: 0,
            color: [0; 3],
            color2: [0; 3],
            pattern: Pattern::Solid,
            scale: 1.0,
            wall: true,
        }
    }
}

/// Where a ray enters a primitive's footprint and leaves it, with the 2-D
/// outward normal at the entry.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Span {
    /// Horizontal entry distance (clamped to 0 when starting inside).
    pub t_in: f32,
    /// Horizontal exit distance.
    pub t_out: f32,
    /// Entry normal x.
    pub nx: f32,
    /// Entry normal y.
    pub ny: f32,
}

/// Which face of a prism a ray hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    /// A vertical side.
    Side,
    /// The top face (normal +z).
    Top,
    /// The bottom face (normal -z).
    Bottom,
}

impl Shape {
    /// An axis-aligned box centred at `(cx, cy)` with half sizes `hx`
    /// (along x) and `hy` (along y).
    pub fn aligned_box(cx: f32, cy: f32, hx: f32, hy: f32) -> Shape {
        Shape::Box {
            cx,
            cy,
            hx,
            hy,
            cos: 1.0,
            sin: 0.0,
        }
    }

    /// Axis-aligned 2-D bounding box `[xmin, ymin, xmax, ymax]`.
    pub fn aabb(&self) -> [f32; 4] {
        match *self {
            Shape::Box {
                cx,
                cy,
                hx,
                hy,
                cos,
                sin,
            } => {
                let ex = hx * cos.abs() + hy * sin.abs();
                let ey = hx * sin.abs() + hy * cos.abs();
                [cx - ex, cy - ey, cx + ex, cy + ey]
            }
            Shape::Cylinder { cx, cy, r } | Shape::Sphere { cx, cy, r, .. } => {
                [cx - r, cy - r, cx + r, cy + r]
            }
        }
    }

    /// Horizontal distance from `(x, y)` to the footprint (0 inside).
    pub fn distance(&self, x: f32, y: f32) -> f32 {
        match *self {
            Shape::Box {
                cx,
                cy,
                hx,
                hy,
                cos,
                sin,
            } => {
                let (lx, ly) = to_local(x - cx, y - cy, cos, sin);
                let ex = (lx.abs() - hx).max(0.0);
                let ey = (ly.abs() - hy).max(0.0);
                (ex * ex + ey * ey).sqrt()
            }
            Shape::Cylinder { cx, cy, r } | Shape::Sphere { cx, cy, r, .. } => {
                { ((x - cx).powi(2) + (y - cy).powi(2)).sqrt() - r }.max(0.0)
            }
        }
    }

    /// Centre of the footprint.
    pub fn center(&self) -> (f32, f32) {
        match *self {
            Shape::Box { cx, cy, .. }
            | Shape::Cylinder { cx, cy, .. }
            | Shape::Sphere { cx, cy, .. } => (cx, cy),
        }
    }

    /// The footprint span of the horizontal ray from `(ox, oy)` along the unit
    /// vector `(dx, dy)`; `None` if missed or entirely behind.
    #[inline]
    pub fn span(&self, ox: f32, oy: f32, dx: f32, dy: f32) -> Option<Span> {
        match *self {
            Shape::Box {
                cx,
                cy,
                hx,
                hy,
                cos,
                sin,
            } => {
                let (lx, ly) = to_local(ox - cx, oy - cy, cos, sin);
                let (ldx, ldy) = to_local(dx, dy, cos, sin);
                let (ax0, ax1, sx) = slab(lx, ldx, hx)?;
                let (ay0, ay1, sy) = slab(ly, ldy, hy)?;
                let t_in = ax0.max(ay0);
                let t_out = ax1.min(ay1);
                if t_in > t_out || t_out < 0.0 {
                    return None;
                }
                let (nlx, nly) = if ax0 > ay0 { (sx, 0.0) } else { (0.0, sy) };
                Some(Span {
                    t_in: t_in.max(0.0),
                    t_out,
                    nx: nlx * cos - nly * sin,
                    ny: nlx * sin + nly * cos,
                })
            }
            Shape::Cylinder { cx, cy, r } | Shape::Sphere { cx, cy, r, .. } => {
                let px = ox - cx;
                let py = oy - cy;
                let b = px * dx + py * dy;
                let c = px * px + py * py - r * r;
                let disc = b * b - c;
                if disc < 0.0 {
                    return None;
                }
                let sq = disc.sqrt();
                let t_in = -b - sq;
                let t_out = -b + sq;
                if t_out < 0.0 {
                    return None;
                }
                let inv = 1.0 / r;
                Some(Span {
                    t_in: t_in.max(0.0),
                    t_out,
                    nx: (px + t_in * dx) * inv,
                    ny: (py + t_in * dy) * inv,
                })
            }
        }
    }
}

/// Rotates a world-frame offset into a box's own frame.
#[inline]
fn to_local(x: f32, y: f32, cos: f32, sin: f32) -> (f32, f32) {
    (x * cos + y * sin, -x * sin + y * cos)
}

/// Slab interval of a 1-D ray `p + t d` against `[-h, h]`, with the sign of
/// the entry normal; `None` if parallel and outside.
#[inline]
fn slab(p: f32, d: f32, h: f32) -> Option<(f32, f32, f32)> {
    if d.abs() < 1e-9 {
        if p.abs() <= h {
            Some((f32::NEG_INFINITY, f32::INFINITY, 0.0))
        } else {
            None
        }
    } else {
        let inv = 1.0 / d;
        let t0 = (-h - p) * inv;
        let t1 = (h - p) * inv;
        if t0 < t1 {
            Some((t0, t1, -1.0))
        } else {
            Some((t1, t0, 1.0))
        }
    }
}

/// Hit of a ray of height `oz + s t` with a vertical prism spanning
/// `span` horizontally and `z0..z1` vertically.
#[inline]
pub fn prism_hit(span: &Span, z0: f32, z1: f32, oz: f32, s: f32) -> Option<(f32, Face)> {
    let h_in = oz + s * span.t_in;
    if h_in >= z0 && h_in <= z1 {
        return Some((span.t_in, Face::Side));
    }
    if h_in > z1 && s < 0.0 {
        let t = (z1 - oz) / s;
        if t <= span.t_out {
            return Some((t, Face::Top));
        }
    } else if h_in < z0 && s > 0.0 {
        let t = (z0 - oz) / s;
        if t <= span.t_out {
            return Some((t, Face::Bottom));
        }
    }
    None
}

/// Horizontal distance at which the ray `(o + t (dx, dy, s))` hits a sphere
/// of centre `c` and radius `r`, if it does in front of the origin.
#[inline]
pub fn sphere_hit(o: [f32; 3], dx: f32, dy: f32, s: f32, c: [f32; 3], r: f32) -> Option<f32> {
    let px = o[0] - c[0];
    let py = o[1] - c[1];
    let pz = o[2] - c[2];
    let a = 1.0 + s * s;
    let b = px * dx + py * dy + pz * s;
    let cc = px * px + py * py + pz * pz - r * r;
    let disc = b * b - a * cc;
    if disc < 0.0 {
        return None;
    }
    let t = (-b - disc.sqrt()) / a;
    (t >= 0.0).then_some(t)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn unit_box(yaw: f32) -> Shape {
        Shape::Box {
            cx: 2.0,
            cy: 0.0,
            hx: 0.5,
            hy: 0.25,
            cos: yaw.cos(),
            sin: yaw.sin(),
        }
    }

    #[test]
    fn box_span_along_x() {
        // Box x in [1.5, 2.5]; ray from origin along +x enters at 1.5, normal -x.
        let s = unit_box(0.0).span(0.0, 0.0, 1.0, 0.0).unwrap();
        assert!((s.t_in - 1.5).abs() < 1e-6 && (s.t_out - 2.5).abs() < 1e-6);
        assert!((s.nx + 1.0).abs() < 1e-6 && s.ny.abs() < 1e-6);
        assert!(unit_box(0.0).span(0.0, 1.0, 1.0, 0.0).is_none());
        assert!(unit_box(0.0).span(3.0, 0.0, 1.0, 0.0).is_none());
    }

    #[test]
    fn rotated_box_span() {
        // Rotated by 90 deg the box spans x in [1.75, 2.25].
        let s = unit_box(std::f32::consts::FRAC_PI_2)
            .span(0.0, 0.0, 1.0, 0.0)
            .unwrap();
        assert!((s.t_in - 1.75).abs() < 1e-5 && (s.t_out - 2.25).abs() < 1e-5);
        assert!((s.nx + 1.0).abs() < 1e-5);
    }

    #[test]
    fn cylinder_span_and_distance() {
        let c = Shape::Cylinder {
            cx: 3.0,
            cy: 0.0,
            r: 0.5,
        };
        let s = c.span(0.0, 0.0, 1.0, 0.0).unwrap();
        assert!((s.t_in - 2.5).abs() < 1e-6 && (s.t_out - 3.5).abs() < 1e-6);
        assert!((c.distance(0.0, 0.0) - 2.5).abs() < 1e-6);
        assert_eq!(c.distance(3.1, 0.0), 0.0);
    }

    #[test]
    fn prism_side_and_top() {
        let span = Span {
            t_in: 2.0,
            t_out: 3.0,
            nx: -1.0,
            ny: 0.0,
        };
        // Eye at 1 m looking level hits a 0..2 m prism on its side at t = 2.
        assert_eq!(
            prism_hit(&span, 0.0, 2.0, 1.0, 0.0),
            Some((2.0, Face::Side))
        );
        // A 0..0.5 m prism seen from 1 m with slope -0.2: at t=2 height 0.6, top hit at t=2.5.
        let (t, f) = prism_hit(&span, 0.0, 0.5, 1.0, -0.2).unwrap();
        assert!((t - 2.5).abs() < 1e-5 && f == Face::Top);
        // Slope -0.1: height 0.7 at t=3, misses.
        assert!(prism_hit(&span, 0.0, 0.5, 1.0, -0.1).is_none());
    }

    #[test]
    fn sphere_hit_level() {
        let t = sphere_hit([0.0, 0.0, 1.0], 1.0, 0.0, 0.0, [3.0, 0.0, 1.0], 0.5).unwrap();
        assert!((t - 2.5).abs() < 1e-5);
        assert!(sphere_hit([0.0, 0.0, 1.0], 1.0, 0.0, 0.5, [3.0, 0.0, 1.0], 0.5).is_none());
    }
}
