//! `cow plot DIR... [--compare DIR]... [--by FIELD] --out DIR`: the standard
//! pictures of evaluated runs, each as PNG and SVG (names in
//! `report::plot::figures`).

use std::io::Write;

use anyhow::Context;

use agent::eval::{Bootstrap, Options};
use report::plot::{figures, render};
use report::runs::Runs;

use crate::cli::{PlotArgs, RunsArgs};

/// Reads and evaluates the runs named on the command line (shared with `cow report`).
pub fn load(args: &RunsArgs) -> anyhow::Result<Runs> {
    let options = Options {
        by: args.by.clone(),
        bootstrap: Bootstrap {
            resamples: args.bootstrap,
            seed: args.seed,
        },
    };
    Runs::load(&args.dirs, &args.compare, &options).context("reading the runs")
}

/// Writes every picture into `--out` and lists the files.
pub fn run(args: &PlotArgs) -> anyhow::Result<()> {
    let runs = load(&args.runs)?;
    let written = render::write_all(&figures::standard(&runs), &args.out)?;
    let mut stdout = std::io::stdout().lock();
    for w in &written {
        writeln!(stdout, "{}\n{}", w.png.display(), w.svg.display())?;
    }
    eprintln!(
        "wrote {} pictures (PNG and SVG, {}x{}) to {}",
        written.len(),
        report::plot::WIDTH,
        report::plot::HEIGHT,
        args.out.display()
    );
    Ok(())
}
