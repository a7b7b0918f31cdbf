//! The fixed vocabulary of the embedded world: semantic classes, furniture
//! kinds, object categories (the 12 RoboTHOR goals, distractors, and the
//! uncommon kinds of world version 2), named colours and texture patterns.

use serde::{Deserialize, Serialize};

/// Height of every ceiling (and of full-height walls), metres.
pub const CEILING_HEIGHT: f32 = 2.5;
/// Wall thickness, metres.
pub const WALL_THICKNESS: f32 = 0.1;
/// Height of the agent's body: primitives whose bottom is below this block motion, metres.
pub const AGENT_BODY_HEIGHT: f32 = 1.0;

/// Semantic class index of "nothing" (out of range).
pub const CLASS_NOTHING: u32 = 0;
/// Semantic class index of floors.
pub const CLASS_FLOOR: u32 = 1;
/// Semantic class index of walls (and door lintels).
pub const CLASS_WALL: u32 = 2;
/// Semantic class index of ceilings.
pub const CLASS_CEILING: u32 = 3;
/// Semantic class index of the first furniture kind.
const FIRST_FURNITURE_CLASS: u32 = 4;

/// Semantic pixel value (class and instance) of a primitive.
#[inline]
pub fn make_class(p: &super::shapes::Prim) -> u32 {
    sim_bridge::types::make_semantic(p.class, p.instance)
}

/// Kinds of furniture (static obstacles objects can stand on).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum FurnitureKind {
    /// Low table, 0.45 m: the camera sees over it.
    Table,
    /// Book shelf, 1.8 m.
    Shelf,
    /// Sofa, 0.8 m.
    Sofa,
    /// Bed, 0.6 m.
    Bed,
    /// Kitchen or bathroom counter, 0.9 m.
    Counter,
}

impl FurnitureKind {
    /// Every kind, in class order.
    pub const ALL: [FurnitureKind; 5] = [
        FurnitureKind::Table,
        FurnitureKind::Shelf,
        FurnitureKind::Sofa,
        FurnitureKind::Bed,
        FurnitureKind::Counter,
    ];

    /// Lower-case name, also the semantic class name.
    pub fn name(self) -> &'static str {
        match self {
            FurnitureKind::Table => "table",
            FurnitureKind::Shelf => "shelf",
            FurnitureKind::Sofa => "sofa",
            FurnitureKind::Bed => "bed",
            FurnitureKind::Counter => "counter",
        }
    }

    /// Height of the top surface, metres.
    pub fn height(self) -> f32 {
        match self {
            FurnitureKind::Table => 0.45,
            FurnitureKind::Shelf => 1.8,
            FurnitureKind::Sofa => 0.8,
            FurnitureKind::Bed => 0.6,
            FurnitureKind::Counter => 0.9,
        }
    }

    /// Whether objects are placed on its top.
    pub fn holds_objects(self) -> bool {
        matches!(
            self,
            FurnitureKind::Table | FurnitureKind::Bed | FurnitureKind::Counter
        )
    }

    /// Semantic class index.
    pub fn class(self) -> u32 {
        FIRST_FURNITURE_CLASS + self as u32
    }
}

/// Kinds of small objects: the 12 RoboTHOR goal categories, then distractors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ObjectKind {
    /// Goal category "alarm clock".
    AlarmClock,
    /// Goal category "apple".
    Apple,
    /// Goal category "baseball bat".
    BaseballBat,
    /// Goal category "basketball".
    BasketBall,
    /// Goal category "bowl".
    Bowl,
    /// Goal category "garbage can".
    GarbageCan,
    /// Goal category "plant".
    HousePlant,
    /// Goal category "laptop".
    Laptop,
    /// Goal category "mug".
    Mug,
    /// Goal category "spray bottle".
    SprayBottle,
    /// Goal category "TV".
    Television,
    /// Goal category "vase".
    Vase,
    /// Distractor: a book.
    Book,
    /// Distractor: a cardboard box.
    Box,
    /// Distractor: a floor lamp.
    Lamp,
    /// Uncommon (world version 2, val and test houses only): "espresso machine".
    EspressoMachine,
    /// Uncommon: "rice cooker".
    RiceCooker,
    /// Uncommon: "green plastic crate".
    PlasticCrate,
    /// Uncommon: "graphics card".
    GraphicsCard,
    /// Uncommon: "mate gourd".
    MateGourd,
    /// Uncommon: "wooden toy plane".
    ToyPlane,
    /// Uncommon: "gingerbread house".
    GingerbreadHouse,
}

/// The 12 goal categories in class order.
pub const GOAL_CATEGORIES: [ObjectKind; 12] = [
    ObjectKind::AlarmClock,
    ObjectKind::Apple,
    ObjectKind::BaseballBat,
    ObjectKind::BasketBall,
    ObjectKind::Bowl,
    ObjectKind::GarbageCan,
    ObjectKind::HousePlant,
    ObjectKind::Laptop,
    ObjectKind::Mug,
    ObjectKind::SprayBottle,
    ObjectKind::Television,
    ObjectKind::Vase,
];

/// The distractor kinds.
pub const DISTRACTORS: [ObjectKind; 3] = [ObjectKind::Book, ObjectKind::Box, ObjectKind::Lamp];

/// The uncommon kinds of world version 2: names from the long-tail list of
/// "CoWs on Pasture" that the renderer can draw from boxes, cylinders and
/// spheres. They stand only in val and test houses and are left out of
/// every training-data render and caption, so the embedded model has never
/// been told their names (the `uncommon` goal variant).
pub const UNCOMMON: [ObjectKind; 7] = [
    ObjectKind::EspressoMachine,
    ObjectKind::RiceCooker,
    ObjectKind::PlasticCrate,
    ObjectKind::GraphicsCard,
    ObjectKind::MateGourd,
    ObjectKind::ToyPlane,
    ObjectKind::GingerbreadHouse,
];

impl ObjectKind {
    /// Episode-file name (`"AlarmClock"`, ...), also the semantic class name.
    pub fn name(self) -> &'static str {
        match self {
            ObjectKind::AlarmClock => "AlarmClock",
            ObjectKind::Apple => "Apple",
            ObjectKind::BaseballBat => "BaseballBat",
            ObjectKind::BasketBall => "BasketBall",
            ObjectKind::Bowl => "Bowl",
            ObjectKind::GarbageCan => "GarbageCan",
            ObjectKind::HousePlant => "HousePlant",
            ObjectKind::Laptop => "Laptop",
            ObjectKind::Mug => "Mug",
            ObjectKind::SprayBottle => "SprayBottle",
            ObjectKind::Television => "Television",
            ObjectKind::Vase => "Vase",
            ObjectKind::Book => "Book",
            ObjectKind::Box => "Box",
            ObjectKind::Lamp => "Lamp",
            ObjectKind::EspressoMachine => "EspressoMachine",
            ObjectKind::RiceCooker => "RiceCooker",
            ObjectKind::PlasticCrate => "PlasticCrate",
            ObjectKind::GraphicsCard => "GraphicsCard",
            ObjectKind::MateGourd => "MateGourd",
            ObjectKind::ToyPlane => "ToyPlane",
            ObjectKind::GingerbreadHouse => "GingerbreadHouse",
        }
    }

    /// The goal in words as CoW's prompts name it (`"alarm clock"`, `"TV"`, ...).
    pub fn clip_name(self) -> &'static str {
        match self {
            ObjectKind::AlarmClock => "alarm clock",
            ObjectKind::Apple => "apple",
            ObjectKind::BaseballBat => "baseball bat",
            ObjectKind::BasketBall => "basketball",
            ObjectKind::Bowl => "bowl",
            ObjectKind::GarbageCan => "garbage can",
            ObjectKind::HousePlant => "plant",
            ObjectKind::Laptop => "laptop",
            ObjectKind::Mug => "mug",
            ObjectKind::SprayBottle => "spray bottle",
            ObjectKind::Television => "TV",
            ObjectKind::Vase => "vase",
            ObjectKind::Book => "book",
            ObjectKind::Box => "box",
            ObjectKind::Lamp => "lamp",
            ObjectKind::EspressoMachine => "espresso machine",
            ObjectKind::RiceCooker => "rice cooker",
            ObjectKind::PlasticCrate => "green plastic crate",
            ObjectKind::GraphicsCard => "graphics card",
            ObjectKind::MateGourd => "mate gourd",
            ObjectKind::ToyPlane => "wooden toy plane",
            ObjectKind::GingerbreadHouse => "gingerbread house",
        }
    }

    /// Parses an episode-file name (`"Mug"`).
    pub fn from_name(name: &str) -> Option<ObjectKind> {
        GOAL_CATEGORIES
            .into_iter()
            .chain(DISTRACTORS)
            .chain(UNCOMMON)
            .find(|k| k.name() == name)
    }

    /// Whether this is one of the 12 goal categories.
    pub fn is_goal(self) -> bool {
        (self as usize) < GOAL_CATEGORIES.len()
    }

    /// Whether this is one of the [`UNCOMMON`] kinds of world version 2.
    pub fn is_uncommon(self) -> bool {
        UNCOMMON.contains(&self)
    }

    /// Semantic class index.
    pub fn class(self) -> u32 {
        FIRST_FURNITURE_CLASS + FurnitureKind::ALL.len() as u32 + self as u32
    }

    /// Whether it may stand on the floor.
    pub fn on_floor(self) -> bool {
        matches!(
            self,
            ObjectKind::BaseballBat
                | ObjectKind::BasketBall
                | ObjectKind::GarbageCan
                | ObjectKind::HousePlant
                | ObjectKind::SprayBottle
                | ObjectKind::Television
                | ObjectKind::Vase
                | ObjectKind::Box
                | ObjectKind::Lamp
                | ObjectKind::PlasticCrate
                | ObjectKind::ToyPlane
        )
    }

    /// Whether it may stand on a furniture top.
    pub fn on_furniture(self) -> bool {
        !matches!(
            self,
            ObjectKind::BaseballBat
                | ObjectKind::BasketBall
                | ObjectKind::GarbageCan
                | ObjectKind::Box
                | ObjectKind::Lamp
                | ObjectKind::PlasticCrate
        )
    }

    /// Colours an instance may have (names into [`color_rgb`]).
    pub fn colors(self) -> &'static [&'static str] {
        match self {
            ObjectKind::AlarmClock => &["red", "blue", "black", "white", "pink"],
            ObjectKind::Apple => &["red", "green", "yellow"],
            ObjectKind::BaseballBat => &["brown", "silver", "black"],
            ObjectKind::BasketBall => &["orange", "brown"],
            ObjectKind::Bowl => &["white", "blue", "green", "yellow"],
            ObjectKind::GarbageCan => &["grey", "black", "green", "blue", "silver"],
            ObjectKind::HousePlant => &["green"],
            ObjectKind::Laptop => &["silver", "black", "grey", "white"],
            ObjectKind::Mug => &["red", "blue", "white", "yellow", "green", "black"],
            ObjectKind::SprayBottle => &["blue", "green", "white", "pink", "yellow"],
            ObjectKind::Television => &["black", "grey", "silver"],
            ObjectKind::Vase => &["blue", "white", "purple", "green", "yellow", "red"],
            ObjectKind::Book => &["red", "blue", "green", "brown"],
            ObjectKind::Box => &["brown"],
            ObjectKind::Lamp => &["white", "yellow", "black"],
            ObjectKind::EspressoMachine => &["silver", "black", "red"],
            ObjectKind::RiceCooker => &["white", "silver"],
            ObjectKind::PlasticCrate => &["green"],
            ObjectKind::GraphicsCard => &["black", "grey"],
            ObjectKind::MateGourd => &["brown", "green"],
            ObjectKind::ToyPlane => &["brown"],
            ObjectKind::GingerbreadHouse => &["brown"],
        }
    }

    /// Texture patterns an instance may have.
    pub fn patterns(self) -> &'static [Pattern] {
        use Pattern::*;
        match self {
            ObjectKind::AlarmClock => &[Solid, Checks],
            ObjectKind::Apple => &[Solid, Noise],
            ObjectKind::BaseballBat => &[Solid, Stripes],
            ObjectKind::BasketBall => &[Stripes],
            ObjectKind::Bowl => &[Solid, Checks],
            ObjectKind::GarbageCan => &[Solid, Stripes],
            ObjectKind::HousePlant => &[Noise],
            ObjectKind::Laptop => &[Solid],
            ObjectKind::Mug => &[Solid, Stripes, Checks],
            ObjectKind::SprayBottle => &[Solid, Stripes],
            ObjectKind::Television => &[Solid],
            ObjectKind::Vase => &[Stripes, Checks, Noise],
            ObjectKind::Book => &[Solid, Stripes],
            ObjectKind::Box => &[Noise],
            ObjectKind::Lamp => &[Solid],
            ObjectKind::EspressoMachine => &[Solid],
            ObjectKind::RiceCooker => &[Solid],
            ObjectKind::PlasticCrate => &[Stripes],
            ObjectKind::GraphicsCard => &[Solid, Stripes],
            ObjectKind::MateGourd => &[Noise],
            ObjectKind::ToyPlane => &[Stripes],
            ObjectKind::GingerbreadHouse => &[Checks],
        }
    }
}

/// A procedural texture pattern mixing an object's two colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Pattern {
    /// One colour.
    Solid,
    /// Horizontal bands.
    Stripes,
    /// A 3-D checker board.
    Checks,
    /// Speckled value noise.
    Noise,
}

impl Pattern {
    /// Material word for captions (`"striped"`, ...).
    pub fn name(self) -> &'static str {
        match self {
            Pattern::Solid => "plain",
            Pattern::Stripes => "striped",
            Pattern::Checks => "checkered",
            Pattern::Noise => "speckled",
        }
    }
}

/// Named colours, `(name, rgb)`.
const COLORS: [(&str, [u8; 3]); 14] = [
    ("red", [200, 30, 35]),
    ("green", [40, 160, 60]),
    ("blue", [35, 70, 200]),
    ("yellow", [235, 205, 40]),
    ("orange", [235, 120, 25]),
    ("purple", [130, 50, 170]),
    ("pink", [240, 130, 180]),
    ("brown", [125, 80, 40]),
    ("black", [25, 25, 28]),
    ("white", [240, 240, 235]),
    ("grey", [128, 128, 128]),
    ("silver", [190, 195, 200]),
    ("beige", [215, 195, 160]),
    ("teal", [30, 140, 140]),
];

/// RGB of a named colour; mid grey for an unknown name.
pub fn color_rgb(name: &str) -> [u8; 3] {
    COLORS
        .iter()
        .find(|(n, _)| *n == name)
        .map_or([128, 128, 128], |(_, c)| *c)
}

/// Names of the semantic classes of world version 1 (and of every training
/// render), indexed by class: `"nothing"`, `"floor"`, `"wall"`,
/// `"ceiling"`, the furniture kinds, the 12 goal categories by episode
/// name, then the distractors.
pub fn semantic_classes() -> Vec<String> {
    let mut names: Vec<String> = ["nothing", "floor", "wall", "ceiling"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.extend(FurnitureKind::ALL.iter().map(|k| k.name().to_string()));
    names.extend(
        GOAL_CATEGORIES
            .iter()
            .chain(DISTRACTORS.iter())
            .map(|k| k.name().to_string()),
    );
    names
}

/// Names of the semantic classes a world of `world_version` announces:
/// version 1's [`semantic_classes`], and for version 2 the [`UNCOMMON`]
/// kinds after them (their class indices follow the distractors').
pub fn semantic_classes_of(world_version: u32) -> Vec<String> {
    let mut names = semantic_classes();
    if world_version >= 2 {
        names.extend(UNCOMMON.iter().map(|k| k.name().to_string()));
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_indices_match_the_published_names() {
        let names = semantic_classes();
        assert_eq!(names[CLASS_WALL as usize], "wall");
        for k in FurnitureKind::ALL {
            assert_eq!(names[k.class() as usize], k.name());
        }
        for k in GOAL_CATEGORIES.iter().chain(DISTRACTORS.iter()) {
            assert_eq!(names[k.class() as usize], k.name());
            assert_eq!(ObjectKind::from_name(k.name()), Some(*k));
        }
        assert_eq!(names.len(), 4 + 5 + 12 + 3);
        let v2 = semantic_classes_of(2);
        assert_eq!(v2[..names.len()], names[..], "version 1 is a prefix");
        assert_eq!(semantic_classes_of(1), names);
        for k in UNCOMMON {
            assert_eq!(v2[k.class() as usize], k.name());
            assert_eq!(ObjectKind::from_name(k.name()), Some(k));
            assert!(k.is_uncommon() && !k.is_goal());
        }
    }

    #[test]
    fn every_object_colour_is_named() {
        for k in GOAL_CATEGORIES.iter().chain(&DISTRACTORS).chain(&UNCOMMON) {
            for c in k.colors() {
                assert!(COLORS.iter().any(|(n, _)| n == c), "{c} unnamed");
            }
            assert!(k.on_floor() || k.on_furniture());
        }
    }
}
