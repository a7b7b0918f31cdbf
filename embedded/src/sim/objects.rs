//! The shapes of the object kinds: each a small composition of boxes,
//! cylinders and spheres standing on a base height, sized like the real
//! thing (small ones scaled up to 1.5x so that they show at 224 px).

use super::catalog::{ObjectKind, Pattern};
use super::shapes::{Prim, Shape};

/// Where and how to build one object (world frame, metres, radians).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Placement {
    pub(crate) x: f32,
    pub(crate) y: f32,
    pub(crate) base: f32,
    pub(crate) yaw: f32,
    pub(crate) color: [u8; 3],
    pub(crate) color2: [u8; 3],
    pub(crate) pattern: Pattern,
    pub(crate) instance: u32,
}

/// Builds the parts of one object of `kind` at `p`.
pub(crate) fn object_parts(kind: ObjectKind, p: &Placement) -> Vec<Prim> {
    let mut b = Builder {
        p: *p,
        class: kind.class(),
        parts: Vec::new(),
    };
    let z = p.base;
    match kind {
        ObjectKind::AlarmClock => {
            let s = 1.5;
            b.cuboid(0.0, 0.0, 0.07 * s, 0.035 * s, z, z + 0.11 * s, true);
            b.sphere(0.045 * s, 0.0, z + 0.12 * s, 0.025 * s, false);
            b.sphere(-0.045 * s, 0.0, z + 0.12 * s, 0.025 * s, false);
        }
        ObjectKind::Apple => {
            let r = 0.045 * 1.5;
            b.sphere(0.0, 0.0, z + r, r, true);
            b.cylinder(
                0.0,
                0.0,
                0.008,
                z + 2.0 * r - 0.01,
                z + 2.0 * r + 0.025,
                false,
            );
        }
        ObjectKind::BaseballBat => {
            b.cylinder(0.0, 0.0, 0.03, z, z + 0.45, false);
            b.cylinder(0.0, 0.0, 0.045, z + 0.45, z + 0.8, true);
            b.sphere(0.0, 0.0, z + 0.8, 0.045, true);
        }
        ObjectKind::BasketBall => {
            b.sphere(0.0, 0.0, z + 0.12, 0.12, true);
        }
        ObjectKind::Bowl => {
            let s = 1.4;
            b.cylinder(0.0, 0.0, 0.05 * s, z, z + 0.02 * s, false);
            b.cylinder(0.0, 0.0, 0.08 * s, z + 0.02 * s, z + 0.065 * s, true);
        }
        ObjectKind::GarbageCan => {
            b.cylinder(0.0, 0.0, 0.16, z, z + 0.4, true);
            b.cylinder(0.0, 0.0, 0.175, z + 0.4, z + 0.44, false);
        }
        ObjectKind::HousePlant => {
            b.cylinder(0.0, 0.0, 0.12, z, z + 0.22, false);
            b.sphere(0.0, 0.0, z + 0.4, 0.21, true);
        }
        ObjectKind::Laptop => {
            let s = 1.3;
            b.cuboid(0.0, 0.0, 0.16 * s, 0.11 * s, z, z + 0.02 * s, true);
            b.cuboid(
                0.0,
                0.1 * s,
                0.16 * s,
                0.01 * s,
                z + 0.02 * s,
                z + 0.24 * s,
                false,
            );
        }
        ObjectKind::Mug => {
            let s = 1.5;
            let r = 0.045 * s;
            b.cylinder(0.0, 0.0, r, z, z + 0.1 * s, true);
            b.cuboid(
                r + 0.012 * s,
                0.0,
                0.012 * s,
                0.006 * s,
                z + 0.02 * s,
                z + 0.085 * s,
                false,
            );
        }
        ObjectKind::SprayBottle => {
            let s = 1.5;
            b.cylinder(0.0, 0.0, 0.035 * s, z, z + 0.16 * s, true);
            b.cylinder(0.0, 0.0, 0.013 * s, z + 0.16 * s, z + 0.2 * s, false);
            b.cuboid(
                0.015 * s,
                0.0,
                0.03 * s,
                0.012 * s,
                z + 0.2 * s,
                z + 0.235 * s,
                false,
            );
        }
        ObjectKind::Television => {
            b.cuboid(0.0, 0.0, 0.12, 0.08, z, z + 0.08, false);
            b.cuboid(0.0, 0.0, 0.45, 0.035, z + 0.08, z + 0.62, true);
        }
        ObjectKind::Vase => {
            let s = 1.3;
            let r = 0.08 * s;
            b.sphere(0.0, 0.0, z + r, r, true);
            b.cylinder(0.0, 0.0, 0.035 * s, z + r, z + 0.3 * s, true);
        }
        ObjectKind::Book => {
            b.cuboid(0.0, 0.0, 0.11, 0.08, z, z + 0.04, true);
            b.cuboid(0.01, 0.0, 0.1, 0.075, z + 0.04, z + 0.075, false);
        }
        ObjectKind::Box => {
            b.cuboid(0.0, 0.0, 0.2, 0.18, z, z + 0.35, true);
        }
        ObjectKind::Lamp => {
            b.cylinder(0.0, 0.0, 0.12, z, z + 0.03, false);
            b.cylinder(0.0, 0.0, 0.018, z + 0.03, z + 1.2, false);
            b.cylinder(0.0, 0.0, 0.15, z + 1.2, z + 1.42, true);
        }
        ObjectKind::EspressoMachine => {
            // Body with a water tank at the back, the brew head and drip tray in front.
            b.cuboid(-0.04, 0.0, 0.1, 0.13, z, z + 0.36, true);
            b.cuboid(0.1, 0.0, 0.06, 0.07, z + 0.24, z + 0.31, false);
            b.cylinder(0.11, 0.0, 0.025, z + 0.17, z + 0.24, false);
            b.cuboid(0.1, 0.0, 0.06, 0.09, z, z + 0.03, false);
        }
        ObjectKind::RiceCooker => {
            b.cylinder(0.0, 0.0, 0.14, z, z + 0.2, true);
            b.sphere(0.0, 0.0, z + 0.17, 0.13, false);
            b.cuboid(0.0, 0.0, 0.02, 0.09, z + 0.29, z + 0.32, false);
        }
        ObjectKind::PlasticCrate => {
            b.cuboid(0.0, 0.0, 0.22, 0.16, z, z + 0.28, true);
        }
        ObjectKind::GraphicsCard => {
            // A flat board lying on its back with two fans on top, scaled 1.5x.
            let s = 1.5;
            b.cuboid(0.0, 0.0, 0.14 * s, 0.055 * s, z, z + 0.035 * s, true);
            b.cylinder(
                -0.065 * s,
                0.0,
                0.045 * s,
                z + 0.035 * s,
                z + 0.045 * s,
                false,
            );
            b.cylinder(
                0.065 * s,
                0.0,
                0.045 * s,
                z + 0.035 * s,
                z + 0.045 * s,
                false,
            );
        }
        ObjectKind::MateGourd => {
            let s = 1.5;
            let r = 0.05 * s;
            b.sphere(0.0, 0.0, z + r, r, true);
            b.cylinder(0.0, 0.0, 0.032 * s, z + 1.6 * r, z + 2.2 * r, true);
            b.cylinder(
                0.012 * s,
                0.0,
                0.005 * s,
                z + 1.8 * r,
                z + 2.2 * r + 0.1 * s,
                false,
            );
        }
        ObjectKind::ToyPlane => {
            let s = 1.5;
            b.cuboid(0.0, 0.0, 0.15 * s, 0.025 * s, z, z + 0.05 * s, true);
            b.cuboid(
                0.02 * s,
                0.0,
                0.035 * s,
                0.16 * s,
                z + 0.03 * s,
                z + 0.045 * s,
                false,
            );
            b.cuboid(
                -0.13 * s,
                0.0,
                0.02 * s,
                0.06 * s,
                z + 0.04 * s,
                z + 0.05 * s,
                false,
            );
            b.cuboid(
                -0.14 * s,
                0.0,
                0.012 * s,
                0.006 * s,
                z + 0.05 * s,
                z + 0.1 * s,
                false,
            );
        }
        ObjectKind::GingerbreadHouse => {
            let s = 1.5;
            b.cuboid(0.0, 0.0, 0.1 * s, 0.08 * s, z, z + 0.1 * s, true);
            b.cuboid(
                0.0,
                0.0,
                0.11 * s,
                0.06 * s,
                z + 0.1 * s,
                z + 0.14 * s,
                false,
            );
            b.cuboid(
                0.0,
                0.0,
                0.11 * s,
                0.03 * s,
                z + 0.14 * s,
                z + 0.17 * s,
                false,
            );
        }
    }
    b.parts
}

/// Half extents `(ex, ey)` of the object's footprint at yaw 0, metres.
pub(crate) fn local_extent(kind: ObjectKind) -> (f32, f32) {
    at_origin(kind)
        .iter()
        .fold((0.0f32, 0.0f32), |(ex, ey), p| {
            let b = p.shape.aabb();
            (
                ex.max(b[0].abs()).max(b[2].abs()),
                ey.max(b[1].abs()).max(b[3].abs()),
            )
        })
}

/// The parts of an object of `kind` built at the origin with yaw 0.
fn at_origin(kind: ObjectKind) -> Vec<Prim> {
    object_parts(
        kind,
        &Placement {
            x: 0.0,
            y: 0.0,
            base: 0.0,
            yaw: 0.0,
            color: [0; 3],
            color2: [0; 3],
            pattern: Pattern::Solid,
            instance: 0,
        },
    )
}

/// Radius of the circle around the object's centre that holds its footprint.
pub(crate) fn footprint_radius(kind: ObjectKind) -> f32 {
    at_origin(kind)
        .iter()
        .map(|p| {
            let b = p.shape.aabb();
            let x = b[0].abs().max(b[2].abs());
            let y = b[1].abs().max(b[3].abs());
            (x * x + y * y).sqrt()
        })
        .fold(0.0, f32::max)
}

/// Accumulates parts in the object's own frame.
struct Builder {
    p: Placement,
    class: u32,
    parts: Vec<Prim>,
}

impl Builder {
    /// World position of a local offset.
    fn at(&self, lx: f32, ly: f32) -> (f32, f32) {
        let (s, c) = self.p.yaw.sin_cos();
        (self.p.x + lx * c - ly * s, self.p.y + lx * s + ly * c)
    }

    fn push(&mut self, shape: Shape, z0: f32, z1: f32, main: bool) {
        let (color, color2, pattern) = if main {
            (self.p.color, self.p.color2, self.p.pattern)
        } else {
            (self.p.color2, self.p.color2, Pattern::Solid)
        };
        self.parts.push(Prim {
            shape,
            z0,
            z1,
            class: self.class,
            instance: self.p.instance,
            color,
            color2,
            pattern,
            scale: 0.04,
            wall: false,
        });
    }

    #[allow(clippy::too_many_arguments)]
    fn cuboid(&mut self, lx: f32, ly: f32, hx: f32, hy: f32, z0: f32, z1: f32, main: bool) {
        let (cx, cy) = self.at(lx, ly);
        let (sin, cos) = self.p.yaw.sin_cos();
        self.push(
            Shape::Box {
                cx,
                cy,
                hx,
                hy,
                cos,
                sin,
            },
            z0,
            z1,
            main,
        );
    }

    fn cylinder(&mut self, lx: f32, ly: f32, r: f32, z0: f32, z1: f32, main: bool) {
        let (cx, cy) = self.at(lx, ly);
        self.push(Shape::Cylinder { cx, cy, r }, z0, z1, main);
    }

    fn sphere(&mut self, lx: f32, ly: f32, cz: f32, r: f32, main: bool) {
        let (cx, cy) = self.at(lx, ly);
        self.push(Shape::Sphere { cx, cy, cz, r }, cz - r, cz + r, main);
    }
}
