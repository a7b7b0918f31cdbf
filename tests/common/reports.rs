//! The runs the report tests show: a small embedded run of the CoW agent
//! with the oracle localizer (with `--viz` maps) and a random-agent run on
//! the same episodes, plus a replay GIF for the first episode where
//! `cow replay --gif --out RUN/replay` puts it.

use std::path::{Path, PathBuf};

use agent::results::{read_run, safe_name, EpisodeRecord};

/// Episodes per run.
pub const EPISODES: usize = 6;

/// A 1 × 1 GIF89a (a stand-in for a `cow replay --gif` file).
const TINY_GIF: [u8; 43] = [
    0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0xff, 0xff, 0xff,
    0x00, 0x00, 0x00, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c, 0x00, 0x00, 0x00, 0x00,
    0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b,
];

/// The two runs, in a folder of their own.
pub struct Runs {
    /// The oracle run (maps in `viz/`, a replay of its first episode).
    pub cow: PathBuf,
    /// The random run (no maps).
    pub random: PathBuf,
    /// The oracle run's records, by id.
    pub cow_records: Vec<EpisodeRecord>,
    /// The random run's records, by id.
    pub random_records: Vec<EpisodeRecord>,
}

/// Runs both into `dir` (about ten seconds).
pub fn make(dir: &Path) -> Runs {
    let cow = dir.join("oracle");
    let random = dir.join("random");
    let n = EPISODES.to_string();
    super::cow_ok(&[
        "run",
        "--config",
        "configs/embedded.toml",
        "--localizer",
        "oracle",
        "--episodes",
        &n,
        "--max-steps",
        "150",
        "--viz",
        "--out",
        cow.to_str().unwrap(),
    ]);
    super::cow_ok(&[
        "run",
        "--config",
        "configs/embedded.toml",
        "--agent",
        "random",
        "--episodes",
        &n,
        "--max-steps",
        "60",
        "--seed",
        "1",
        "--out",
        random.to_str().unwrap(),
    ]);
    let cow_records = read_run(&cow).unwrap();
    let random_records = read_run(&random).unwrap();
    assert_eq!(
        (cow_records.len(), random_records.len()),
        (EPISODES, EPISODES)
    );
    let replay = cow.join("replay");
    std::fs::create_dir_all(&replay).unwrap();
    std::fs::write(
        replay.join(format!("{}.gif", safe_name(&cow_records[0].episode.id))),
        TINY_GIF,
    )
    .unwrap();
    Runs {
        cow,
        random,
        cow_records,
        random_records,
    }
}
