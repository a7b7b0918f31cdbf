//! `cow eval DIR`: evaluate a run directory.

use anyhow::Context;

use agent::eval::{evaluate_dir, render, Format};

use crate::cli::EvalArgs;

/// Prints the evaluation of a run directory in the chosen format.
pub fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let format: Format = args.format.parse()?;
    let summary =
        evaluate_dir(&args.dir).with_context(|| format!("evaluating {}", args.dir.display()))?;
    print!("{}", render(&summary, format)?);
    Ok(())
}
