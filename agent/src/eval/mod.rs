//! Evaluation over result files: per-episode metrics ([`metrics`]),
//! confidence intervals ([`stats`]), aggregation with breakdowns
//! ([`summary`]) and rendering ([`report`]).

pub mod metrics;
pub mod pointing;
pub mod report;
pub mod stats;
pub mod summary;

pub use report::{render, Format};
pub use summary::{Aggregate, Summary};

use std::path::Path;

use crate::Error;

/// Reads a run directory and evaluates it.
pub fn evaluate_dir(dir: &Path) -> Result<Summary, Error> {
    let records = crate::results::read_run(dir)?;
    if records.is_empty() {
        return Err(Error::Config(format!(
            "{} holds no episode records (expected episodes/*.json)",
            dir.display()
        )));
    }
    Ok(Summary::of(&records))
}
