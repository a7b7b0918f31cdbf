//! `cow slurm`: one `sbatch --array` job over the shards of a run.

use crate::cli::SlurmArgs;

/// Writes and submits (or prints) the array job.
pub fn run(_args: &SlurmArgs) -> anyhow::Result<()> {
    anyhow::bail!("cow slurm is being written")
}
