//! The runs a picture or a report shows: each one's records (merged from
//! its folders, as `cow eval` merges shards), the folder each record came
//! from (where its map and replay live), its evaluation, and the
//! comparisons of the first run with the others.

use std::path::{Path, PathBuf};

use agent::eval::{compare, Comparison, Options, Summary};
use agent::results::{read_runs, record_path, run_dirs, safe_name, EpisodeRecord};

use crate::Error;

/// One evaluated run.
#[derive(Debug, Clone)]
pub struct Run {
    /// Its name: the folders as given, joined by `+` (as `cow eval` names runs).
    pub name: String,
    /// The run folders its records came from (shards stand for their parent).
    pub folders: Vec<PathBuf>,
    /// Its records, sorted by episode id.
    pub records: Vec<EpisodeRecord>,
    /// For each record, the index into `folders` of the folder holding it.
    folder_of: Vec<usize>,
    /// Its evaluation.
    pub summary: Summary,
}

impl Run {
    /// Reads the run made of `dirs` (an episode recorded twice is an error
    /// naming both files) and evaluates it; a run without records is an error.
    pub fn load(dirs: &[PathBuf], options: &Options) -> Result<Run, Error> {
        let name = dirs
            .iter()
            .map(|d| d.display().to_string())
            .collect::<Vec<_>>()
            .join("+");
        let records = read_runs(dirs)?;
        if records.is_empty() {
            return Err(Error::Input(format!(
                "{name} holds no episode records (expected episodes/*.json)"
            )));
        }
        let folders = run_dirs(dirs)?;
        let folder_of = records
            .iter()
            .map(|r| {
                folders
                    .iter()
                    .position(|f| {
                        record_path(f, &r.episode.id).is_file()
                            || f.join(format!("{}.json", safe_name(&r.episode.id)))
                                .is_file()
                    })
                    .unwrap_or(0)
            })
            .collect();
        let summary = Summary::with(&records, options);
        Ok(Run {
            name,
            folders,
            records,
            folder_of,
            summary,
        })
    }

    /// The run folder holding record `index` (its `viz/` and `replay/` are there).
    pub fn folder(&self, index: usize) -> &Path {
        &self.folders[self.folder_of[index]]
    }

    /// The largest step budget of the run's records.
    pub fn max_steps(&self) -> u32 {
        self.summary.max_steps.iter().copied().max().unwrap_or(0)
    }
}

/// Everything a set of pictures or a report is made of.
#[derive(Debug, Clone)]
pub struct Runs {
    /// The first run (the base of comparisons), then the compared ones.
    pub runs: Vec<Run>,
    /// The first run compared with each other one, in order.
    pub comparisons: Vec<Comparison>,
    /// How the runs were evaluated (grouping fields, bootstrap).
    pub options: Options,
}

impl Runs {
    /// Reads the base run (`base`, folders merged into one run) and each
    /// compared run (one folder each), evaluates them and compares the base
    /// with each, as `cow eval DIR... --compare DIR...` does.
    pub fn load(base: &[PathBuf], others: &[PathBuf], options: &Options) -> Result<Runs, Error> {
        let mut runs = vec![Run::load(base, options)?];
        for other in others {
            runs.push(Run::load(std::slice::from_ref(other), options)?);
        }
        Ok(Runs::of(runs, options.clone()))
    }

    /// Compares the first of `runs` with each other one.
    pub fn of(runs: Vec<Run>, options: Options) -> Runs {
        let comparisons = match runs.split_first() {
            Some((base, others)) => others
                .iter()
                .map(|o| {
                    compare(
                        &base.name,
                        &base.records,
                        &o.name,
                        &o.records,
                        &options.bootstrap,
                    )
                })
                .collect(),
            None => Vec::new(),
        };
        Runs {
            runs,
            comparisons,
            options,
        }
    }

    /// The fields grouped by: category and house size, then the `--by` ones.
    pub fn fields(&self) -> Vec<String> {
        self.runs
            .first()
            .map(|r| {
                r.summary
                    .groupings
                    .iter()
                    .map(|g| g.field.clone())
                    .collect()
            })
            .unwrap_or_default()
    }
}
