//! One module per subcommand; each is a thin shell over library calls.

pub mod agents;
pub mod bench;
pub mod bench_localize;
pub mod dataset;
pub mod deploy;
pub mod eval;
pub mod keygen;
pub mod plot;
pub mod replay;
pub mod report;
pub mod run;
pub mod sim;
pub mod slurm;
pub mod slurm_script;

/// Adds `context` to an error unless the error's message already names
/// `subject` (an endpoint or a path), so that no message names it twice.
pub(crate) fn unless_named<T, E>(
    result: Result<T, E>,
    subject: &str,
    context: impl FnOnce() -> String,
) -> anyhow::Result<T>
where
    E: std::error::Error + Send + Sync + 'static,
{
    result.map_err(|e| {
        if e.to_string().contains(subject) {
            anyhow::Error::new(e)
        } else {
            anyhow::Error::new(e).context(context())
        }
    })
}
