//! World version 1 is frozen: its houses, its train / val / test splits and
//! its training-data renders are pinned here by hashes taken before world
//! version 2 existed, so that every published v1 number keeps its meaning.
//! A change that moves any of them is a new world version, never an edit
//! of this one.

#![allow(clippy::unwrap_used)]

use embedded::dataset::{write_dataset, DatasetOptions};
use embedded::sim::{House, SimConfig};
use embedded::splits::{generate, Split};

/// FNV-1a over bytes (stable across machines and runs).
fn fnv(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

#[test]
fn v1_splits_are_unchanged() {
    let cfg = SimConfig::default();
    let test = generate(Split::Test, 12, &cfg);
    // A few episodes in full, readable.
    let first = &test[0];
    assert_eq!(first.id, PINNED_FIRST_TEST_ID);
    assert_eq!(
        (first.initial_position.x, first.initial_position.y),
        PINNED_FIRST_TEST_POSITION
    );
    assert_eq!(first.initial_orientation, PINNED_FIRST_TEST_HEADING);
    let ids: Vec<&str> = test.iter().map(|e| e.id.as_str()).take(6).collect();
    assert_eq!(ids, PINNED_TEST_IDS);
    // Every split, byte for byte.
    for (split, count, pinned) in [
        (Split::Train, 10, PINNED_TRAIN_HASH),
        (Split::Val, 10, PINNED_VAL_HASH),
        (Split::Test, 12, PINNED_TEST_HASH),
    ] {
        let eps = generate(split, count, &cfg);
        let json = serde_json::to_vec(&eps).unwrap();
        assert_eq!(fnv(&json), pinned, "{split:?} split moved");
        assert!(
            eps.iter().all(|e| e.extra.is_empty()),
            "v1 episodes gained fields"
        );
    }
}

#[test]
fn v1_houses_are_unchanged() {
    for (seed, pinned) in PINNED_HOUSES {
        let h = House::generate(seed);
        let text = format!("{:?}{:?}{:?}", h.prims, h.objects, h.rooms);
        assert_eq!(fnv(text.as_bytes()), pinned, "house {seed} moved");
    }
}

#[test]
fn v1_training_renders_are_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let opts = DatasetOptions {
        split: Split::Train,
        count: 6,
        size: 64,
        frames_per_house: 6,
    };
    write_dataset(&opts, &SimConfig::default(), dir.path()).unwrap();
    let mut bytes = Vec::new();
    for f in [
        "dataset.json",
        "index.jsonl",
        "crops.jsonl",
        "frames/000005.png",
    ] {
        bytes.extend(std::fs::read(dir.path().join(f)).unwrap());
    }
    assert_eq!(fnv(&bytes), PINNED_DATASET_HASH);
}

const PINNED_FIRST_TEST_ID: &str = "test-house_2000000-AlarmClock-0";
const PINNED_FIRST_TEST_POSITION: (f32, f32) = (6.825_000_3, 1.275);
const PINNED_FIRST_TEST_HEADING: f32 = 312.0;
const PINNED_TEST_IDS: [&str; 6] = [
    "test-house_2000000-AlarmClock-0",
    "test-house_2000000-Vase-0",
    "test-house_2000000-Mug-0",
    "test-house_2000000-BasketBall-0",
    "test-house_2000000-Laptop-0",
    "test-house_2000001-GarbageCan-0",
];
const PINNED_TRAIN_HASH: u64 = 5_908_591_619_870_111_397;
const PINNED_VAL_HASH: u64 = 832_428_017_896_751_305;
const PINNED_TEST_HASH: u64 = 4_428_072_501_156_161_944;
const PINNED_HOUSES: [(u64, u64); 3] = [
    (0, 11_831_167_671_315_330_786),
    (1_000_003, 700_294_893_253_041_107),
    (2_000_017, 4_060_262_784_383_064_610),
];
const PINNED_DATASET_HASH: u64 = 5_882_347_206_234_638_352;
