//! `cow eval DIR...`: evaluate run directories merged into one run, compare
//! it with other runs, export its records, and say which episodes of the
//! expected set have no record.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use anyhow::Context;

use agent::eval::export::cow_record;
use agent::eval::{compare, render_evaluation, Bootstrap, Evaluation, Format, Options, Summary};
use agent::results::{read_runs, safe_name, write_atomic, EpisodeRecord};
use datasets::Format as EpisodeFormat;

use crate::cli::EvalArgs;

/// Most missing episode ids printed by name.
const MAX_LISTED: usize = 20;

/// The records of a run given as folders, or an error naming them when there are none.
fn records_of(dirs: &[PathBuf]) -> anyhow::Result<Vec<EpisodeRecord>> {
    let records = read_runs(dirs)?;
    if records.is_empty() {
        let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        anyhow::bail!(
            "{} hold no episode records (expected episodes/*.json)",
            names.join(", ")
        );
    }
    Ok(records)
}

/// A run's name in comparisons: its folder, as given.
fn name(dirs: &[PathBuf]) -> String {
    dirs.iter()
        .map(|d| d.display().to_string())
        .collect::<Vec<_>>()
        .join("+")
}

/// Prints the evaluation of the merged run (and its comparisons) in the
/// chosen format; with `--expect`, lists the expected episodes without a
/// record (on stderr); with `--export cow DIR`, writes CoW's records.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let format: Format = args.format.parse()?;
    let bootstrap = Bootstrap {
        resamples: args.bootstrap,
        seed: args.seed,
    };
    let records = records_of(&args.dirs)?;
    let options = Options {
        by: args.by.clone(),
        bootstrap,
    };
    let base = name(&args.dirs);
    let mut comparisons = Vec::new();
    for other in &args.compare {
        let other_records = records_of(std::slice::from_ref(other))?;
        comparisons.push(compare(
            &base,
            &records,
            &other.display().to_string(),
            &other_records,
            &bootstrap,
        ));
    }
    let evaluation = Evaluation {
        summary: Summary::with(&records, &options),
        comparisons,
    };
    print!("{}", render_evaluation(&evaluation, format)?);
    if let [kind, dir] = args.export.as_slice() {
        export(kind, Path::new(dir), &records)?;
    }
    if let Some(path) = &args.expect {
        report_missing(path, &records)?;
    }
    Ok(())
}

/// Writes every record in format `kind` into `dir`, one file per episode.
fn export(kind: &str, dir: &Path, records: &[EpisodeRecord]) -> anyhow::Result<()> {
    if kind != "cow" {
        anyhow::bail!("--export {kind:?}: the export formats are: cow");
    }
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    for r in records {
        let path = dir.join(format!("{}.json", safe_name(&r.episode.id)));
        let text = serde_json::to_vec_pretty(&cow_record(r))?;
        write_atomic(&path, &text)?;
    }
    eprintln!(
        "wrote {} records in CoW's format to {}",
        records.len(),
        dir.display()
    );
    Ok(())
}

/// Lists on stderr the episodes of `path` without a record.
fn report_missing(path: &Path, records: &[EpisodeRecord]) -> anyhow::Result<()> {
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
    Ok(())
}
