//! Where objects belong (world version 2): the room kinds each object kind
//! is placed in, and the share placed anywhere else.
//!
//! Version 2 draws every instance's room before placing it: with
//! probability `1 - OFF_PRIOR_SHARE` among the house's rooms of the kind's
//! prior room kinds, else among its other rooms. A house without a room of
//! the prior kinds (or with nothing else) draws among all rooms, and an
//! instance that fits nowhere in its drawn rooms falls back to any room, as
//! version 1 places everything. README "World versions" has the table.

use super::catalog::ObjectKind;
use super::layout::{Room, RoomKind};

/// Share of instances placed off their prior rooms, on purpose.
pub const OFF_PRIOR_SHARE: f64 = 0.15;

/// The room kinds `kind` belongs in; empty: anywhere (the distractors).
pub fn prior_rooms(kind: ObjectKind) -> &'static [RoomKind] {
    use ObjectKind as K;
    use RoomKind::*;
    match kind {
        K::AlarmClock => &[Bedroom],
        K::Apple => &[Kitchen, Dining],
        K::BaseballBat => &[Bedroom],
        K::BasketBall => &[Bedroom, Living],
        K::Bowl => &[Kitchen, Dining],
        K::GarbageCan => &[Kitchen, Office, Bathroom],
        K::HousePlant => &[Living, Dining],
        K::Laptop => &[Office],
        K::Mug => &[Kitchen],
        K::SprayBottle => &[Bathroom],
        K::Television => &[Living],
        K::Vase => &[Living, Dining],
        K::Book | K::Box | K::Lamp => &[],
        K::EspressoMachine | K::RiceCooker => &[Kitchen],
        K::PlasticCrate | K::GraphicsCard => &[Office],
        K::MateGourd | K::GingerbreadHouse => &[Kitchen, Dining],
        K::ToyPlane => &[Bedroom],
    }
}

/// Whether a room of kind `room` is one of `kind`'s prior rooms (always
/// true for a kind without priors).
pub fn on_prior(kind: ObjectKind, room: RoomKind) -> bool {
    let p = prior_rooms(kind);
    p.is_empty() || p.contains(&room)
}

/// The rooms (indices into `rooms`) an instance of `kind` is drawn among:
/// its prior rooms when `off` is false, its other rooms when true; all
/// rooms when that set is empty.
pub fn candidate_rooms(kind: ObjectKind, rooms: &[Room], off: bool) -> Vec<usize> {
    let picked: Vec<usize> = (0..rooms.len())
        .filter(|&i| on_prior(kind, rooms[i].kind) != off)
        .collect();
    if picked.is_empty() || prior_rooms(kind).is_empty() {
        (0..rooms.len()).collect()
    } else {
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::super::catalog::{DISTRACTORS, GOAL_CATEGORIES, UNCOMMON};
    use super::*;

    fn room(kind: RoomKind) -> Room {
        Room {
            kind,
            x0: 0.0,
            y0: 0.0,
            x1: 3.0,
            y1: 3.0,
            wall_color: [0; 3],
            floor_color: [0; 3],
        }
    }

    #[test]
    fn every_goal_and_uncommon_kind_has_a_prior_and_distractors_none() {
        for k in GOAL_CATEGORIES.iter().chain(&UNCOMMON) {
            assert!(!prior_rooms(*k).is_empty(), "{k:?}");
        }
        for k in DISTRACTORS {
            assert!(prior_rooms(k).is_empty());
        }
        assert_eq!(prior_rooms(ObjectKind::Mug), &[RoomKind::Kitchen]);
        assert_eq!(prior_rooms(ObjectKind::AlarmClock), &[RoomKind::Bedroom]);
        assert_eq!(prior_rooms(ObjectKind::Laptop), &[RoomKind::Office]);
        assert_eq!(prior_rooms(ObjectKind::SprayBottle), &[RoomKind::Bathroom]);
    }

    #[test]
    fn candidate_rooms_split_prior_from_other_and_fall_back_to_all() {
        let rooms = [
            room(RoomKind::Living),
            room(RoomKind::Kitchen),
            room(RoomKind::Bedroom),
        ];
        assert_eq!(candidate_rooms(ObjectKind::Mug, &rooms, false), vec![1]);
        assert_eq!(candidate_rooms(ObjectKind::Mug, &rooms, true), vec![0, 2]);
        // No office: anywhere, on or off.
        assert_eq!(
            candidate_rooms(ObjectKind::Laptop, &rooms, false),
            vec![0, 1, 2]
        );
        assert_eq!(
            candidate_rooms(ObjectKind::Box, &rooms, true),
            vec![0, 1, 2]
        );
        assert!(on_prior(ObjectKind::Box, RoomKind::Bathroom));
        assert!(!on_prior(ObjectKind::Mug, RoomKind::Bathroom));
    }
}
