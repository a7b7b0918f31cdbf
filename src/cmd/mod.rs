//! One module per subcommand; each is a thin shell over library calls.

pub mod agents;
pub mod bench;
pub mod bench_localize;
pub mod dataset;
pub mod deploy;
pub mod eval;
pub mod keygen;
pub mod run;
pub mod sim;
pub mod slurm;
pub mod slurm_script;
