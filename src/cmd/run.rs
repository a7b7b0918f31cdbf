//! `cow run`: run episodes with an agent against the embedded simulator
//! (in-process, over inproc://) or a remote protocol server, with a
//! progress bar and a summary table at the end.

use std::path::PathBuf;
use std::thread::JoinHandle;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use agent::eval::{render, Format, Summary};
use agent::results::{read_run, write_atomic, EpisodeRecord, Outcome};
use agent::runner::{self, RunObserver, RunnerConfig};
use agent::Agent;
use embedded::sim::EmbeddedSim;
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::server::Server;
use sim_bridge::Episode;

use crate::cli::RunArgs;
use crate::cmd::sim::embedded_episodes;
use crate::config::Config;

/// Applies command-line overrides to the configuration file's values.
pub fn apply_overrides(config: &mut Config, args: &RunArgs) -> anyhow::Result<()> {
    if let Some(s) = &args.sim {
        config.sim.source = s.clone();
    }
    if let Some(a) = &args.agent {
        config.agent.kind = a.clone();
    }
    if let Some(s) = &args.split {
        config.sim.split = s.clone();
    }
    if let Some(b) = &args.bundle {
        config.agent.clip.bundle = b.clone();
    }
    if let Some(n) = args.episodes {
        config.run.episodes = n;
    }
    if let Some(n) = args.max_steps {
        config.run.max_steps = n;
    }
    if let Some(o) = &args.out {
        config.run.out_dir = o.clone();
    }
    if let Some(s) = args.seed {
        config.run.seed = s;
    }
    crate::cmd::agents::apply_localizer_override(config, args.localizer.as_deref())?;
    config.validate()
}

/// A running in-process simulator server.
struct EmbeddedServer {
    thread: Option<JoinHandle<Result<(), sim_bridge::Error>>>,
}

impl EmbeddedServer {
    fn start(ctx: &zmq::Context, endpoint: &str, config: &Config) -> anyhow::Result<Self> {
        // Only as many episodes as the run needs are generated.
        let mut c = config.clone();
        if config.run.episodes > 0 && config.sim.episode_file.is_none() {
            c.sim.count = c.sim.count.min(config.run.episodes);
        }
        let episodes = embedded_episodes(&c)?;
        let sim = EmbeddedSim::new(c.sim.embedded.clone(), episodes)?;
        let mut server = Server::bind(ctx, endpoint, Box::new(sim))?;
        let thread = std::thread::Builder::new()
            .name("embedded-sim".into())
            .spawn(move || server.serve().map(|_| ()))
            .context("starting the embedded simulator thread")?;
        Ok(EmbeddedServer {
            thread: Some(thread),
        })
    }

    fn join(mut self) -> anyhow::Result<()> {
        if let Some(t) = self.thread.take() {
            t.join()
                .map_err(|_| anyhow::anyhow!("the embedded simulator thread panicked"))??;
        }
        Ok(())
    }
}

/// Progress bar and per-episode visualisation.
struct Progress {
    bar: ProgressBar,
    successes: usize,
    done: usize,
    viz_dir: Option<PathBuf>,
    viz_steps: bool,
}

impl RunObserver for Progress {
    fn episode_started(&mut self, episode: &Episode) {
        self.bar
            .set_message(format!("{} ({})", episode.id, episode.goal));
    }
    fn episode_finished(&mut self, record: &EpisodeRecord) {
        self.done += 1;
        if record.outcome == Outcome::Success {
            self.successes += 1;
        }
        self.bar.set_prefix(format!(
            "success {:.0}%",
            100.0 * self.successes as f64 / self.done as f64
        ));
        self.bar.inc(1);
    }
    fn episode_skipped(&mut self, _episode: &Episode) {
        self.bar.inc(1);
    }
    fn episode_failed(&mut self, episode: &Episode, error: &agent::Error) {
        self.bar
            .println(format!("episode {} failed: {error}", episode.id));
        self.bar.inc(1);
    }
    fn after_step(&mut self, agent: &dyn Agent, episode: &Episode, step: u32) {
        if let (true, Some(dir)) = (self.viz_steps, &self.viz_dir) {
            let path = dir
                .join(agent::results::safe_name(&episode.id))
                .join(format!("step_{step:04}.png"));
            if let Err(e) = crate::cmd::agents::save_map_png(agent, None, &path) {
                tracing::warn!("{e:#}");
            }
        }
    }
    fn after_episode(&mut self, agent: &dyn Agent, record: &EpisodeRecord) {
        if let Some(dir) = &self.viz_dir {
            let path = dir.join(format!(
                "{}.png",
                agent::results::safe_name(&record.episode.id)
            ));
            if let Err(e) = crate::cmd::agents::save_map_png(agent, Some(record), &path) {
                tracing::warn!("{e:#}");
            }
        }
    }
}

/// Runs the episodes and prints the evaluation of the whole run directory.
pub fn run(args: &RunArgs) -> anyhow::Result<()> {
    let mut config = Config::load_or_default(&args.config.config)?;
    apply_overrides(&mut config, args)?;
    let out = config.run.out_dir.clone();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let run_json = toml::to_string_pretty(&config).context("serialising the config")?;
    write_atomic(&out.join("config.toml"), run_json.as_bytes())?;

    // The agent (and its model) first: a missing bundle is reported at once,
    // not after waiting for a simulator.
    let mut agent = crate::cmd::agents::build_agent(&config)?;
    let ctx = zmq::Context::new();
    let (endpoint, server) = if config.sim.source == "embedded" {
        let endpoint = format!("inproc://cow-embedded-sim-{}", std::process::id());
        let server = EmbeddedServer::start(&ctx, &endpoint, &config)?;
        (endpoint, Some(server))
    } else {
        (config.sim.source.clone(), None)
    };
    let mut client = Client::connect(
        &ctx,
        ClientConfig {
            endpoint: endpoint.clone(),
            timeout_ms: config.sim.timeout_ms,
            retries: config.sim.retries,
            limits: config.sim.limits,
        },
    )
    .with_context(|| format!("connecting to {endpoint}"))?;

    let mut episodes = client
        .list_episodes()
        .with_context(|| format!("listing the episodes of {endpoint}"))?;
    if config.run.episodes > 0 {
        episodes.truncate(config.run.episodes);
    }
    tracing::info!(
        agent = agent.name(),
        episodes = episodes.len(),
        budget = config.run.max_steps,
        out = %out.display(),
        "running"
    );

    let bar = ProgressBar::new(episodes.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>12} [{bar:30}] {pos}/{len} episodes, {elapsed} elapsed, eta {eta}  {msg}",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let mut progress = Progress {
        bar,
        successes: 0,
        done: 0,
        viz_dir: args.viz.then(|| out.join("viz")),
        viz_steps: args.viz_steps,
    };
    let runner_config = RunnerConfig {
        max_steps: config.run.max_steps,
        out_dir: out.clone(),
        resume: args.resume,
        record_dir: args.record.clone(),
        max_consecutive_errors: config.run.max_consecutive_errors,
        limits: config.sim.limits,
    };
    let report = runner::run(
        &mut client,
        agent.as_mut(),
        &episodes,
        &runner_config,
        &mut progress,
    );
    progress.bar.finish_and_clear();
    if let Some(server) = server {
        client.close().context("closing the embedded simulator")?;
        server.join()?;
    }
    let report = report?;
    if !report.failed.is_empty() {
        eprintln!(
            "{} episode(s) failed and were not recorded (run again with --resume to retry):",
            report.failed.len()
        );
        for (id, e) in &report.failed {
            eprintln!("  {id}: {e}");
        }
    }
    // The summary covers exactly the episodes of this run (finished now or
    // earlier with --resume).
    let wanted: std::collections::HashSet<&str> = episodes.iter().map(|e| e.id.as_str()).collect();
    let records: Vec<EpisodeRecord> = read_run(&out)?
        .into_iter()
        .filter(|r| wanted.contains(r.episode.id.as_str()))
        .collect();
    if records.is_empty() {
        anyhow::bail!("no episode finished");
    }
    print!("{}", render(&Summary::of(&records), Format::Table)?);
    println!(
        "results: {} ({} new, {} resumed)",
        out.display(),
        report.finished.len(),
        report.skipped
    );
    Ok(())
}
