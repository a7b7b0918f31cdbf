//! Floor plans: a rectangular footprint split recursively (binary space
//! partition) into rooms, one doorway per split so every room is connected,
//! and the wall boxes (with lintels over the doorways) that realise it.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::catalog::{Pattern, CEILING_HEIGHT, CLASS_WALL, WALL_THICKNESS};
use super::shapes::{Prim, Shape};

/// Smallest side of a room (wall centre to wall centre), metres.
const MIN_ROOM_SIDE: f32 = 2.5;
/// Bottom of the lintel over a doorway, metres.
const DOOR_HEIGHT: f32 = 2.1;
/// Clear distance kept between a doorway and a wall junction, metres.
const DOOR_MARGIN: f32 = 0.4;

/// What a room is used as (decides its furniture).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum RoomKind {
    /// Sofa, table, shelf.
    Living,
    /// Counters and a table.
    Kitchen,
    /// Bed, shelf, small table.
    Bedroom,
    /// Desk and shelves.
    Office,
    /// A counter.
    Bathroom,
    /// A table and a counter.
    Dining,
}

impl RoomKind {
    /// Kinds in the order rooms get them, largest room first.
    const ORDER: [RoomKind; 8] = [
        RoomKind::Living,
        RoomKind::Kitchen,
        RoomKind::Bedroom,
        RoomKind::Office,
        RoomKind::Bathroom,
        RoomKind::Bedroom,
        RoomKind::Dining,
        RoomKind::Bedroom,
    ];

    /// Lower-case name (`"living room"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            RoomKind::Living => "living room",
            RoomKind::Kitchen => "kitchen",
            RoomKind::Bedroom => "bedroom",
            RoomKind::Office => "office",
            RoomKind::Bathroom => "bathroom",
            RoomKind::Dining => "dining room",
        }
    }
}

/// A rectangular room; bounds are wall centre lines (world frame, metres).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Room {
    /// What the room is.
    pub kind: RoomKind,
    /// Minimum x.
    pub x0: f32,
    /// Minimum y.
    pub y0: f32,
    /// Maximum x.
    pub x1: f32,
    /// Maximum y.
    pub y1: f32,
    /// Wall paint.
    pub wall_color: [u8; 3],
    /// Floor base colour.
    pub floor_color: [u8; 3],
}

impl Room {
    /// Floor area inside the walls, m².
    pub fn area(&self) -> f32 {
        (self.x1 - self.x0 - WALL_THICKNESS) * (self.y1 - self.y0 - WALL_THICKNESS)
    }

    /// Whether `(x, y)` lies inside the room's walls, shrunk by `margin`.
    pub fn contains(&self, x: f32, y: f32, margin: f32) -> bool {
        let m = WALL_THICKNESS / 2.0 + margin;
        x >= self.x0 + m && x <= self.x1 - m && y >= self.y0 + m && y <= self.y1 - m
    }
}

/// A doorway: a gap in a wall.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Door {
    /// Centre x, metres.
    pub x: f32,
    /// Centre y, metres.
    pub y: f32,
    /// The wall runs along x (else along y).
    pub along_x: bool,
    /// Clear width, metres.
    pub width: f32,
}

/// A wall centre line: `fixed` is its y (along x) or x (along y), from `a` to `b`.
#[derive(Debug, Clone, Copy)]
struct Segment {
    along_x: bool,
    fixed: f32,
    a: f32,
    b: f32,
}

/// The outcome of [`plan`]: footprint size, rooms, doors and walls.
pub(crate) struct Plan {
    pub(crate) width: f32,
    pub(crate) depth: f32,
    pub(crate) rooms: Vec<Room>,
    pub(crate) doors: Vec<Door>,
    pub(crate) walls: Vec<Prim>,
}

/// Rounds to the 5 cm raster plans are drawn on.
fn snap(v: f32) -> f32 {
    (v * 20.0).round() / 20.0
}

/// Draws a floor plan with 3 to 8 rooms and 40 to 150 m² of floor.
/// A draw whose rectangles cannot be split into 3 rooms (the splits avoid
/// earlier doorways) is redrawn from the same generator, so the result
/// stays deterministic for a seed.
pub(crate) fn plan(rng: &mut ChaCha8Rng) -> Plan {
    loop {
        let p = try_plan(rng);
        if p.rooms.len() >= 3 {
            return p;
        }
    }
}

/// One draw of a floor plan; may end with fewer rooms than drawn when no
/// rectangle can be split further.
fn try_plan(rng: &mut ChaCha8Rng) -> Plan {
    let n = rng.gen_range(3..=8usize);
    let area = (n as f32 * rng.gen_range(13.0..18.5f32)).clamp(44.0, 140.0);
    let aspect = rng.gen_range(1.0..1.7f32);
    let width = snap((area * aspect).sqrt());
    let depth = snap(area / width);
    let mut rects: Vec<[f32; 4]> = vec![[0.0, 0.0, width, depth]];
    let mut splittable = vec![true];
    let mut doors: Vec<Door> = Vec::new();
    let mut segments = vec![
        Segment {
            along_x: true,
            fixed: 0.0,
            a: 0.0,
            b: width,
        },
        Segment {
            along_x: true,
            fixed: depth,
            a: 0.0,
            b: width,
        },
        Segment {
            along_x: false,
            fixed: 0.0,
            a: 0.0,
            b: depth,
        },
        Segment {
            along_x: false,
            fixed: width,
            a: 0.0,
            b: depth,
        },
    ];
    while rects.len() < n {
        let Some(i) = (0..rects.len())
            .filter(|&i| splittable[i])
            .max_by(|&a, &b| {
                let area = |r: &[f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
                area(&rects[a]).total_cmp(&area(&rects[b])).then(b.cmp(&a))
            })
        else {
            break;
        };
        match split(rng, rects[i], &doors) {
            Some((r0, r1, seg, door)) => {
                rects[i] = r0;
                rects.push(r1);
                splittable.push(true);
                segments.push(seg);
                doors.push(door);
            }
            None => splittable[i] = false,
        }
    }
    let mut order: Vec<usize> = (0..rects.len()).collect();
    let area = |r: &[f32; 4]| (r[2] - r[0]) * (r[3] - r[1]);
    order.sort_by(|&a, &b| area(&rects[b]).total_cmp(&area(&rects[a])).then(a.cmp(&b)));
    let mut rooms = vec![None; rects.len()];
    for (rank, &i) in order.iter().enumerate() {
        let r = rects[i];
        rooms[i] = Some(Room {
            kind: RoomKind::ORDER[rank % RoomKind::ORDER.len()],
            x0: r[0],
            y0: r[1],
            x1: r[2],
            y1: r[3],
            wall_color: WALL_PAINTS[rng.gen_range(0..WALL_PAINTS.len())],
            floor_color: FLOORS[rng.gen_range(0..FLOORS.len())],
        });
    }
    let rooms = rooms.into_iter().flatten().collect();
    let walls = wall_prims(&segments, &doors);
    Plan {
        width,
        depth,
        rooms,
        doors,
        walls,
    }
}

/// Pastel wall paints.
const WALL_PAINTS: [[u8; 3]; 6] = [
    [225, 220, 205],
    [200, 215, 225],
    [225, 205, 200],
    [205, 225, 205],
    [230, 225, 180],
    [210, 205, 225],
];

/// Floor base colours (wood and tiles).
const FLOORS: [[u8; 3]; 5] = [
    [150, 105, 65],
    [180, 140, 95],
    [120, 85, 60],
    [170, 170, 165],
    [200, 190, 170],
];

/// Tries to split `r` across its longer side, away from existing doorways
/// on its boundary; returns the two halves, the new wall and its doorway.
fn split(
    rng: &mut ChaCha8Rng,
    r: [f32; 4],
    doors: &[Door],
) -> Option<([f32; 4], [f32; 4], Segment, Door)> {
    let split_x = r[2] - r[0] >= r[3] - r[1];
    let (lo, hi, a, b) = if split_x {
        (r[0], r[2], r[1], r[3])
    } else {
        (r[1], r[3], r[0], r[2])
    };
    if hi - lo < 2.0 * MIN_ROOM_SIDE {
        return None;
    }
    for _ in 0..24 {
        let c = snap(lo + rng.gen_range(0.35..0.65f32) * (hi - lo));
        if c - lo < MIN_ROOM_SIDE || hi - c < MIN_ROOM_SIDE {
            continue;
        }
        // A new wall must not end inside a doorway of the walls it meets.
        let blocked = doors.iter().any(|d| {
            let (pos, other) = if split_x { (d.x, d.y) } else { (d.y, d.x) };
            d.along_x == split_x
                && (other - a).abs().min((other - b).abs()) < 0.01
                && (pos - c).abs() < d.width / 2.0 + DOOR_MARGIN
        });
        if blocked {
            continue;
        }
        let width = snap(rng.gen_range(0.9..1.0f32));
        let half = width / 2.0 + DOOR_MARGIN;
        let pos = snap(rng.gen_range(a + half..b - half));
        let (door, seg, r0, r1) = if split_x {
            (
                Door {
                    x: c,
                    y: pos,
                    along_x: false,
                    width,
                },
                Segment {
                    along_x: false,
                    fixed: c,
                    a,
                    b,
                },
                [r[0], r[1], c, r[3]],
                [c, r[1], r[2], r[3]],
            )
        } else {
            (
                Door {
                    x: pos,
                    y: c,
                    along_x: true,
                    width,
                },
                Segment {
                    along_x: true,
                    fixed: c,
                    a,
                    b,
                },
                [r[0], r[1], r[2], c],
                [r[0], c, r[2], r[3]],
            )
        };
        return Some((r0, r1, seg, door));
    }
    None
}

/// A wall box from `a` to `b` along a centre line, between heights `z0..z1`.
fn wall_box(along_x: bool, fixed: f32, a: f32, b: f32, z0: f32, z1: f32) -> Prim {
    let (cx, cy, hx, hy) = if along_x {
        ((a + b) / 2.0, fixed, (b - a) / 2.0, WALL_THICKNESS / 2.0)
    } else {
        (fixed, (a + b) / 2.0, WALL_THICKNESS / 2.0, (b - a) / 2.0)
    };
    Prim {
        shape: Shape::aligned_box(cx, cy, hx, hy),
        z0,
        z1,
        class: CLASS_WALL,
        instance: 0,
        color: [220, 220, 220],
        color2: [220, 220, 220],
        pattern: Pattern::Solid,
        scale: 1.0,
        wall: true,
    }
}

/// Wall boxes for every segment, cut at its doorways, plus lintels.
fn wall_prims(segments: &[Segment], doors: &[Door]) -> Vec<Prim> {
    let mut out = Vec::new();
    let half_t = WALL_THICKNESS / 2.0;
    for s in segments {
        let mut gaps: Vec<(f32, f32)> = doors
            .iter()
            .filter(|d| d.along_x == s.along_x)
            .filter_map(|d| {
                let (pos, fixed) = if s.along_x { (d.x, d.y) } else { (d.y, d.x) };
                ((fixed - s.fixed).abs() < 0.01 && pos > s.a && pos < s.b)
                    .then_some((pos - d.width / 2.0, pos + d.width / 2.0))
            })
            .collect();
        gaps.sort_by(|p, q| p.0.total_cmp(&q.0));
        let mut start = s.a - half_t;
        for &(g0, g1) in &gaps {
            out.push(wall_box(s.along_x, s.fixed, start, g0, 0.0, CEILING_HEIGHT));
            out.push(wall_box(
                s.along_x,
                s.fixed,
                g0,
                g1,
                DOOR_HEIGHT,
                CEILING_HEIGHT,
            ));
            start = g1;
        }
        out.push(wall_box(
            s.along_x,
            s.fixed,
            start,
            s.b + half_t,
            0.0,
            CEILING_HEIGHT,
        ));
    }
    out
}
