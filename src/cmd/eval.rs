//! `cow eval DIR...`: evaluate run directories merged into one run, and say
//! which episodes of the expected set have no record.

use std::collections::BTreeSet;

use anyhow::Context;

use agent::eval::{render, Format, Summary};
use agent::results::read_runs;
use datasets::Format as EpisodeFormat;

use crate::cli::EvalArgs;

/// Most missing episode ids printed by name.
const MAX_LISTED: usize = 20;

/// Prints the evaluation of the merged run in the chosen format; with
/// `--expect`, lists the expected episodes without a record (on stderr).
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let format: Format = args.format.parse()?;
    let records = read_runs(&args.dirs)?;
    if records.is_empty() {
        let names: Vec<String> = args.dirs.iter().map(|d| d.display().to_string()).collect();
        anyhow::bail!(
            "{} hold no episode records (expected episodes/*.json)",
            names.join(", ")
        );
    }
    print!("{}", render(&Summary::of(&records), format)?);
    if let Some(path) = &args.expect {
        let expected = EpisodeFormat::detect(path)
            .and_then(|f| f.read(path))
            .with_context(|| "reading the expected episodes")?;
        let recorded: BTreeSet<&str> = records.iter().map(|r| r.episode.id.as_str()).collect();
        let wanted: BTreeSet<&str> = expected.iter().map(|e| e.id.as_str()).collect();
        let missing: Vec<&str> = wanted.difference(&recorded).copied().collect();
        let extra = recorded.difference(&wanted).count();
        if missing.is_empty() {
            eprintln!(
                "all {} expected episodes of {} are recorded",
                wanted.len(),
                path.display()
            );
        } else {
            eprintln!(
                "{} of {} expected episodes of {} have no record: {}{}",
                missing.len(),
                wanted.len(),
                path.display(),
                missing[..missing.len().min(MAX_LISTED)].join(", "),
                if missing.len() > MAX_LISTED {
                    ", ..."
                } else {
                    ""
                }
            );
        }
        if extra > 0 {
            eprintln!("{extra} recorded episodes are not in {}", path.display());
        }
    }
    Ok(())
}
