//! Spatial relations between objects and furniture, computed from the
//! layout (world version 2's `spatial` goals: "mug on the bed", "vase next
//! to the sofa").
//!
//! - `on`: the object stands on the furniture's top: its base is at the
//!   top's height (within [`ON_TOLERANCE`]) and its centre lies over the
//!   top's footprint.
//! - `next to`: not on it, in the same room, and the object's footprint
//!   disc comes within [`NEXT_TO_GAP`] of the furniture's footprint.
//!
//! A description names a furniture *kind* ("the bed"), so it picks out an
//! instance only when no other instance of the same category stands in the
//! same relation to any furniture of that kind ([`unique_relation`]).

use serde::{Deserialize, Serialize};

use super::catalog::FurnitureKind;
use super::house::{Furniture, House, Object};
use super::objects::footprint_radius;

/// Height difference between an object's base and a top it stands on, metres.
pub const ON_TOLERANCE: f32 = 0.01;
/// Largest gap between an object's footprint and furniture it is next to, metres.
pub const NEXT_TO_GAP: f32 = 0.4;

/// A relation of an object to a piece of furniture.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// Standing on its top.
    On,
    /// Beside it.
    NextTo,
}

impl Relation {
    /// The words of the relation (`"on"`, `"next to"`).
    pub fn words(self) -> &'static str {
        match self {
            Relation::On => "on",
            Relation::NextTo => "next to",
        }
    }
}

/// Whether `obj` stands on `f`'s top.
pub fn on(house: &House, obj: &Object, f: &Furniture) -> bool {
    let top = house.prims[f.prim];
    (obj.base_z - top.z1).abs() <= ON_TOLERANCE && top.shape.distance(obj.x, obj.y) <= 0.0
}

/// Whether `obj` is next to `f` (and not on it).
pub fn next_to(house: &House, obj: &Object, f: &Furniture) -> bool {
    if on(house, obj, f) || f.room != obj.room {
        return false;
    }
    let gap = house.prims[f.prim].shape.distance(obj.x, obj.y) - footprint_radius(obj.kind);
    gap <= NEXT_TO_GAP
}

/// Whether `obj` stands in `rel` to some furniture of `kind`.
pub fn holds(house: &House, obj: &Object, rel: Relation, kind: FurnitureKind) -> bool {
    house
        .furniture
        .iter()
        .filter(|f| f.kind == kind)
        .any(|f| match rel {
            Relation::On => on(house, obj, f),
            Relation::NextTo => next_to(house, obj, f),
        })
}

/// The relations `obj` stands in, best description first: `on` its
/// support, then `next to` each furniture kind within the gap, nearest first.
pub fn relations_of(house: &House, obj: &Object) -> Vec<(Relation, FurnitureKind)> {
    let mut out = Vec::new();
    for f in &house.furniture {
        if on(house, obj, f) && !out.contains(&(Relation::On, f.kind)) {
            out.push((Relation::On, f.kind));
        }
    }
    let mut beside: Vec<(f32, FurnitureKind)> = house
        .furniture
        .iter()
        .filter(|f| next_to(house, obj, f))
        .map(|f| (house.prims[f.prim].shape.distance(obj.x, obj.y), f.kind))
        .collect();
    beside.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    for (_, kind) in beside {
        if !out.contains(&(Relation::NextTo, kind)) {
            out.push((Relation::NextTo, kind));
        }
    }
    out
}

/// The first relation of [`relations_of`] that no other instance of
/// `obj`'s category in the house also stands in, if any.
pub fn unique_relation(house: &House, obj: &Object) -> Option<(Relation, FurnitureKind)> {
    relations_of(house, obj).into_iter().find(|&(rel, kind)| {
        !house
            .objects
            .iter()
            .any(|o| o.kind == obj.kind && o.instance != obj.instance && holds(house, o, rel, kind))
    })
}

/// The goal words of a relation: `"mug on the bed"`.
pub fn describe(words: &str, rel: Relation, kind: FurnitureKind) -> String {
    format!("{words} {} the {}", rel.words(), kind.name())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::super::catalog::{ObjectKind, Pattern};
    use super::super::layout::{Room, RoomKind};
    use super::super::objects::{object_parts, Placement};
    use super::super::shapes::{Prim, Shape};
    use super::*;

    /// A hand-built 6 x 4 m room: a bed (top 0.6 m) at x 1..2.5, y 0..2, a
    /// sofa at x 4..5.8, y 3.5..3.95, and a table (top 0.45 m) at x 4..5,
    /// y 1..1.8, with objects added by [`Layout::object`].
    struct Layout {
        prims: Vec<Prim>,
        furniture: Vec<Furniture>,
        objects: Vec<Object>,
    }

    impl Layout {
        fn new() -> Layout {
            let mut l = Layout {
                prims: Vec::new(),
                furniture: Vec::new(),
                objects: Vec::new(),
            };
            l.furniture(FurnitureKind::Bed, [1.0, 0.0, 2.5, 2.0]);
            l.furniture(FurnitureKind::Sofa, [4.0, 3.5, 5.8, 3.95]);
            l.furniture(FurnitureKind::Table, [4.0, 1.0, 5.0, 1.8]);
            l
        }

        fn furniture(&mut self, kind: FurnitureKind, b: [f32; 4]) {
            let instance = 100 + self.furniture.len() as u32;
            self.furniture.push(Furniture {
                kind,
                instance,
                room: 0,
                prim: self.prims.len(),
            });
            self.prims.push(Prim {
                shape: Shape::aligned_box(
                    (b[0] + b[2]) / 2.0,
                    (b[1] + b[3]) / 2.0,
                    (b[2] - b[0]) / 2.0,
                    (b[3] - b[1]) / 2.0,
                ),
                z0: 0.0,
                z1: kind.height(),
                class: kind.class(),
                instance,
                color: [100; 3],
                color2: [100; 3],
                pattern: Pattern::Solid,
                scale: 0.3,
                wall: false,
            });
        }

        fn object(&mut self, kind: ObjectKind, x: f32, y: f32, base: f32) -> u32 {
            let instance = 1 + self.objects.len() as u32;
            let start = self.prims.len();
            self.prims.extend(object_parts(
                kind,
                &Placement {
                    x,
                    y,
                    base,
                    yaw: 0.0,
                    color: [200, 30, 35],
                    color2: [200, 30, 35],
                    pattern: Pattern::Solid,
                    instance,
                },
            ));
            self.objects.push(Object {
                kind,
                instance,
                color: "red".into(),
                pattern: Pattern::Solid,
                x,
                y,
                base_z: base,
                top_z: base + 0.1,
                room: 0,
                support: None,
                parts: start..self.prims.len(),
            });
            instance
        }

        fn house(self) -> House {
            let room = Room {
                kind: RoomKind::Bedroom,
                x0: 0.0,
                y0: 0.0,
                x1: 6.0,
                y1: 4.0,
                wall_color: [200; 3],
                floor_color: [100; 3],
            };
            House::from_parts(
                self.prims,
                vec![room],
                self.furniture,
                self.objects,
                6.0,
                4.0,
            )
        }
    }

    fn obj(h: &House, instance: u32) -> &Object {
        h.object_by_instance(instance).unwrap()
    }

    #[test]
    fn on_needs_the_top_height_and_the_footprint() {
        let mut l = Layout::new();
        let on_bed = l.object(ObjectKind::Mug, 1.8, 1.0, 0.6);
        let floor_by_bed = l.object(ObjectKind::Mug, 2.7, 1.0, 0.0);
        let floating = l.object(ObjectKind::Mug, 1.8, 1.5, 0.9);
        let h = l.house();
        let bed = &h.furniture[0];
        assert!(on(&h, obj(&h, on_bed), bed));
        assert!(
            !on(&h, obj(&h, floor_by_bed), bed),
            "on the floor beside it"
        );
        assert!(!on(&h, obj(&h, floating), bed), "0.3 m above the top");
        assert!(!on(&h, obj(&h, on_bed), &h.furniture[2]), "another piece");
    }

    #[test]
    fn next_to_is_within_the_gap_and_never_on() {
        let mut l = Layout::new();
        // Mug radius about 0.09 m: the gap is 0.2 - 0.09 from the bed's side at x 2.5.
        let close = l.object(ObjectKind::Mug, 2.7, 1.0, 0.0);
        // 0.6 m from the bed's side: beyond 0.4 + 0.09.
        let far = l.object(ObjectKind::Mug, 3.1, 1.0, 0.0);
        let on_bed = l.object(ObjectKind::Mug, 1.8, 1.0, 0.6);
        let h = l.house();
        let bed = &h.furniture[0];
        assert!(next_to(&h, obj(&h, close), bed));
        assert!(!next_to(&h, obj(&h, far), bed));
        assert!(!next_to(&h, obj(&h, on_bed), bed), "on is not next to");
        assert_eq!(
            relations_of(&h, obj(&h, on_bed)),
            vec![(Relation::On, FurnitureKind::Bed)]
        );
        assert_eq!(
            relations_of(&h, obj(&h, close)),
            vec![(Relation::NextTo, FurnitureKind::Bed)]
        );
        assert!(relations_of(&h, obj(&h, far)).is_empty());
    }

    #[test]
    fn a_description_picks_out_one_instance_or_none() {
        let mut l = Layout::new();
        let on_bed = l.object(ObjectKind::Mug, 1.8, 1.0, 0.6);
        let on_table = l.object(ObjectKind::Mug, 4.5, 1.4, 0.45);
        let also_on_table = l.object(ObjectKind::Mug, 4.2, 1.2, 0.45);
        // A vase on the bed does not make "mug on the bed" ambiguous.
        l.object(ObjectKind::Vase, 1.5, 0.5, 0.6);
        let h = l.house();
        assert_eq!(
            unique_relation(&h, obj(&h, on_bed)),
            Some((Relation::On, FurnitureKind::Bed))
        );
        // Two mugs on the table: "mug on the table" names neither.
        assert_eq!(unique_relation(&h, obj(&h, on_table)), None);
        assert_eq!(unique_relation(&h, obj(&h, also_on_table)), None);
        assert_eq!(
            describe("mug", Relation::On, FurnitureKind::Bed),
            "mug on the bed"
        );
        assert_eq!(
            describe("vase", Relation::NextTo, FurnitureKind::Sofa),
            "vase next to the sofa"
        );
    }

    #[test]
    fn the_nearest_piece_comes_first_among_next_to() {
        let mut l = Layout::new();
        // Vase radius about 0.1 m. At (4.5, 3.2): 0.3 m below the sofa's front
        // (y 3.5) and 1.4 m above the table's edge (y 1.8): next to the sofa only.
        // At (4.5, 2.2): 0.4 m from the table, 1.3 m from the sofa.
        let by_sofa = l.object(ObjectKind::Vase, 4.5, 3.2, 0.0);
        let by_table = l.object(ObjectKind::Vase, 4.5, 2.2, 0.0);
        let h = l.house();
        assert_eq!(
            relations_of(&h, obj(&h, by_sofa)),
            vec![(Relation::NextTo, FurnitureKind::Sofa)]
        );
        assert_eq!(
            relations_of(&h, obj(&h, by_table)),
            vec![(Relation::NextTo, FurnitureKind::Table)]
        );
        assert_eq!(
            unique_relation(&h, obj(&h, by_sofa)),
            Some((Relation::NextTo, FurnitureKind::Sofa))
        );
    }
}
