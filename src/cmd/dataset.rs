//! `cow sim dataset`: renders training data for the embedded CLIP model
//! (layout documented in `sim_bridge::dataset`).

use anyhow::Context;
use embedded::dataset::{write_dataset, DatasetOptions, DatasetSummary};

use crate::cli::SimDatasetArgs;
use crate::config::parse_split;

/// Writes the dataset the arguments describe and returns what was written.
pub fn dataset(args: &SimDatasetArgs) -> anyhow::Result<DatasetSummary> {
    let mut config = args.config.load()?;
    if let Some(v) = args.world_version {
        config.sim.embedded.world_version = v;
    }
    let opts = DatasetOptions {
        split: parse_split(&args.split)?,
        count: args.count,
        size: args.size,
        frames_per_house: args.frames_per_house,
    };
    write_dataset(&opts, &config.sim.embedded, &args.out).with_context(|| {
        format!(
            "writing the {} dataset to {}",
            args.split,
            args.out.display()
        )
    })
}

/// `cow sim dataset`.
pub fn run(args: &SimDatasetArgs) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    let s = dataset(args)?;
    println!(
        "wrote {} frames and {} crops from {} {} houses to {} in {:.1} s",
        s.frames,
        s.crops,
        s.houses,
        args.split,
        args.out.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cli::ConfigArg;

    #[test]
    fn writes_the_requested_frames() {
        let dir = tempfile::tempdir().unwrap();
        let args = SimDatasetArgs {
            config: ConfigArg { config: None },
            split: "val".into(),
            count: 3,
            size: 32,
            frames_per_house: 20,
            world_version: None,
            out: dir.path().join("ds"),
        };
        let s = dataset(&args).unwrap();
        assert_eq!((s.frames, s.houses), (3, 1));
        assert!(dir.path().join("ds/frames/000002.png").is_file());
        let meta: serde_json::Value = serde_json::from_str(
            &std::fs::read_to_string(dir.path().join("ds/dataset.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(meta["split"], "val");
        assert_eq!(meta["size"], 32);
        let bad = SimDatasetArgs {
            split: "dev".into(),
            ..args
        };
        assert!(dataset(&bad)
            .unwrap_err()
            .to_string()
            .contains("unknown split"));
    }
}
