//! `cow report DIR... [--compare DIR]... [--by FIELD] --out DIR`: one static
//! HTML page over evaluated runs (`report::html`).

use std::time::Instant;

use crate::cli::ReportArgs;

/// Writes the report and says where it is, how big and how long it took.
pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let start = Instant::now();
    let runs = super::plot::load(&args.runs)?;
    let settings = report::html::Settings {
        map_size: args.map_size,
    };
    let built = report::html::write(&runs, &args.out, &settings)?;
    println!("{}", built.index.display());
    eprintln!(
        "report of {} episodes in {} ({} files, {:.1} MB; {} maps, {} replays) in {:.1} s",
        built.episodes,
        args.out.display(),
        built.files,
        built.bytes as f64 / 1e6,
        built.maps,
        built.replays,
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
