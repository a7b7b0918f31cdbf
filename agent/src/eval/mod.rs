//! Evaluation over result files: per-episode metrics ([`metrics`]),
//! intervals and tests ([`stats`]), aggregation with breakdowns
//! ([`summary`]), comparisons of runs ([`compare`]), rendering
//! ([`format`]) and CoW's own record format ([`export`]).

pub mod compare;
pub mod export;
pub mod format;
pub mod metrics;
pub mod pointing;
pub mod stats;
pub mod summary;
#[cfg(test)]
pub(crate) mod testing;

pub use compare::{compare, Comparison};
pub use format::{render, render_evaluation, Evaluation, Format};
pub use stats::Bootstrap;
pub use summary::{Aggregate, Options, Summary};

use std::path::Path;

use crate::Error;

/// Reads a run directory and evaluates it.
pub fn evaluate_dir(dir: &Path) -> Result<Summary, Error> {
    evaluate_dirs(&[dir.to_path_buf()])
}

/// Reads run directories, merged into one run (shards; the same episode
/// twice is an error naming both files), and evaluates them.
pub fn evaluate_dirs(dirs: &[std::path::PathBuf]) -> Result<Summary, Error> {
    let records = crate::results::read_runs(dirs)?;
    if records.is_empty() {
        let names: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
        return Err(Error::Config(format!(
            "{} holds no episode records (expected episodes/*.json)",
            names.join(", ")
        )));
    }
    Ok(Summary::of(&records))
}
