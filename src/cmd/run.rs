//! `cow run`: run episodes with an agent against the embedded simulator
//! (in-process, over inproc://) or remote protocol servers, on one or more
//! workers, with one progress bar and a summary table at the end.

use std::path::PathBuf;
use std::thread::JoinHandle;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use agent::eval::{render, Format, Summary};
use agent::results::{read_run, write_atomic, EpisodeRecord, Outcome};
use agent::runner::{self, RunObserver, RunReport, RunnerConfig, Worker};
use agent::{Agent, Remote};
use datasets::select::Shard;
use embedded::sim::EmbeddedSim;
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::server::Server;
use sim_bridge::Episode;

use crate::cli::RunArgs;
use crate::cmd::sim::embedded_episodes;
use crate::cmd::unless_named;
use crate::config::Config;

/// Applies command-line overrides to the configuration file's values.
pub fn apply_overrides(config: &mut Config, args: &RunArgs) -> anyhow::Result<()> {
    if let [one] = args.sim.as_slice() {
        config.sim.source = one.clone();
    }
    if let Some(a) = &args.agent {
        config.agent.kind = a.clone();
    }
    if let Some(s) = &args.split {
        config.sim.split = s.clone();
    }
    if let Some(f) = &args.episode_file {
        config.sim.episode_file = Some(f.clone());
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
    ctx: zmq::Context,
    endpoint: String,
    thread: Option<JoinHandle<Result<(), sim_bridge::Error>>>,
}

impl EmbeddedServer {
    fn start(
        ctx: &zmq::Context,
        endpoint: &str,
        config: &Config,
        episodes: Vec<Episode>,
    ) -> anyhow::Result<Self> {
        let sim = EmbeddedSim::new(config.sim.embedded.clone(), episodes)?;
        let mut server = Server::bind(ctx, endpoint, Box::new(sim))?;
        let thread = std::thread::Builder::new()
            .name("embedded-sim".into())
            .spawn(move || server.serve().map(|_| ()))
            .context("starting the embedded simulator thread")?;
        Ok(EmbeddedServer {
            ctx: ctx.clone(),
            endpoint: endpoint.to_string(),
            thread: Some(thread),
        })
    }

    /// Asks the server to end its serve loop and waits for its thread.
    fn stop(mut self) -> anyhow::Result<()> {
        Client::connect(&self.ctx, ClientConfig::new(self.endpoint.clone()))?
            .close()
            .context("closing an embedded simulator")?;
        if let Some(t) = self.thread.take() {
            t.join()
                .map_err(|_| anyhow::anyhow!("the embedded simulator thread panicked"))??;
        }
        Ok(())
    }
}

/// The cores of this machine (1 when they cannot be counted).
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

/// Where the workers' observations come from: the endpoints of remote
/// servers (one worker each), or `n` in-process embedded simulators.
enum Sources {
    Embedded(usize),
    Remote(Vec<String>),
}

fn sources(args: &RunArgs, config: &Config) -> anyhow::Result<Sources> {
    let sims: Vec<String> = if args.sim.is_empty() {
        vec![config.sim.source.clone()]
    } else {
        args.sim.clone()
    };
    if sims.iter().any(|s| s == "embedded") {
        if sims.len() > 1 {
            anyhow::bail!("--sim embedded cannot be combined with other --sim endpoints");
        }
        let n = args.workers.unwrap_or_else(cores);
        if n == 0 {
            anyhow::bail!("--workers must be at least 1");
        }
        return Ok(Sources::Embedded(n));
    }
    if let Some(n) = args.workers {
        if n != sims.len() {
            anyhow::bail!(
                "--workers {n} with {} endpoint(s): a server runs one episode at a time, so \
                 each worker needs an endpoint of its own (give --sim once per server)",
                sims.len()
            );
        }
    }
    Ok(Sources::Remote(sims))
}

/// The agent of one of `workers` workers: CLIP localizers whose intra-op
/// thread count is left to ONNX Runtime (`threads = 0`) get an equal share
/// of the cores, so that the workers never oversubscribe them.
fn worker_agent(config: &Config, workers: usize) -> anyhow::Result<Box<dyn Agent>> {
    let mut c = config.clone();
    let threads = &mut c.agent.clip.runtime.threads;
    if *threads == 0 {
        *threads = (cores() / workers).max(1);
    }
    crate::cmd::agents::build_agent(&c)
}

/// One progress bar for the run (whatever the number of workers) and
/// per-episode visualisation.
struct Progress {
    bar: ProgressBar,
    successes: usize,
    done: usize,
    started: Instant,
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
        let hours = self.started.elapsed().as_secs_f64() / 3600.0;
        self.bar.set_prefix(format!(
            "success {:.0}%, {:.0} episodes/h",
            100.0 * self.successes as f64 / self.done as f64,
            self.done as f64 / hours.max(1e-9)
        ));
        self.bar.inc(1);
    }
    fn episode_skipped(&mut self, _episode: &Episode) {
        self.bar.inc(1);
    }
    // The runner logs the failure with its error; the summary lists the ids.
    fn episode_failed(&mut self, _episode: &Episode, _error: &agent::Error) {
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
    let mut config = args.config.load()?;
    apply_overrides(&mut config, args)?;
    let shard = args
        .shard
        .as_deref()
        .map(Shard::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let sources = sources(args, &config)?;
    let out = config.run.out_dir.clone();
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let run_json = toml::to_string_pretty(&config).context("serialising the config")?;
    write_atomic(&out.join("config.toml"), run_json.as_bytes())?;
    if let Some(rec) = &args.record {
        // `cow replay` plays the recordings back with the run's agent settings.
        std::fs::create_dir_all(rec).with_context(|| format!("creating {}", rec.display()))?;
        write_atomic(&rec.join("config.toml"), run_json.as_bytes())?;
    }

    let n_workers = match &sources {
        Sources::Embedded(n) => *n,
        Sources::Remote(e) => e.len(),
    };
    // The agents (and their models) first: a missing bundle is reported at
    // once, not after waiting for a simulator.
    let agents = (0..n_workers)
        .map(|_| worker_agent(&config, n_workers))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let ctx = zmq::Context::new();
    let mut servers = Vec::new();
    let endpoints: Vec<String> = match &sources {
        Sources::Embedded(n) => {
            // Only as many episodes as the run needs are generated, once.
            let mut c = config.clone();
            if config.run.episodes > 0 && config.sim.episode_file.is_none() {
                c.sim.count = c.sim.count.min(config.run.episodes);
            }
            let episodes = embedded_episodes(&c)?;
            (0..*n)
                .map(|k| {
                    let endpoint = format!("inproc://cow-embedded-sim-{}-{k}", std::process::id());
                    servers.push(EmbeddedServer::start(
                        &ctx,
                        &endpoint,
                        &c,
                        episodes.clone(),
                    )?);
                    Ok(endpoint)
                })
                .collect::<anyhow::Result<_>>()?
        }
        Sources::Remote(e) => e.clone(),
    };
    let mut workers = Vec::with_capacity(n_workers);
    for (endpoint, agent) in endpoints.iter().zip(agents) {
        let client = Client::connect(
            &ctx,
            ClientConfig {
                endpoint: endpoint.clone(),
                timeout_ms: config.sim.timeout_ms,
                retries: config.sim.retries,
                limits: config.sim.limits,
                curve: None,
            },
        );
        let client = unless_named(client, endpoint, || format!("connecting to {endpoint}"))?;
        workers.push(Worker {
            env: Box::new(Remote::new(client)),
            agent,
        });
    }
    let episodes = select_episodes(&mut workers, &endpoints, &config, shard)?;
    tracing::info!(
        agent = workers[0].agent.name(),
        episodes = episodes.len(),
        workers = workers.len(),
        budget = config.run.max_steps,
        out = %out.display(),
        "running"
    );

    let bar = ProgressBar::new(episodes.len() as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix:>24} [{bar:30}] {pos}/{len} episodes, {elapsed} elapsed, eta {eta}  {msg}",
        )
        .context("progress bar template")?
        .progress_chars("=> "),
    );
    let mut progress = Progress {
        bar,
        successes: 0,
        done: 0,
        started: Instant::now(),
        viz_dir: args.viz.then(|| out.join("viz")),
        viz_steps: args.viz_steps,
    };
    let runner_config = RunnerConfig {
        max_steps: config.run.max_steps,
        out_dir: out.clone(),
        resume: args.resume,
        record_dir: args.record.clone(),
        max_consecutive_errors: config.run.max_consecutive_errors,
        reconnect: std::time::Duration::from_secs_f64(config.sim.reconnect_s),
        limits: config.sim.limits,
    };
    let report = runner::run(&mut workers, &episodes, &runner_config, &mut progress);
    progress.bar.finish_and_clear();
    for server in servers {
        server.stop()?;
    }
    let report = report?;
    print_problems(&report);
    // The summary covers exactly the episodes of this run (finished now or
    // earlier with --resume).
    let wanted: std::collections::HashSet<&str> = episodes.iter().map(|e| e.id.as_str()).collect();
    let records: Vec<EpisodeRecord> = read_run(&out)?
        .into_iter()
        .filter(|r| wanted.contains(r.episode.id.as_str()))
        .collect();
    if !records.is_empty() {
        print!("{}", render(&Summary::of(&records), Format::Table)?);
        println!(
            "results: {} ({} new, {} resumed)",
            out.display(),
            report.finished.len(),
            report.skipped
        );
    }
    if !report.untried.is_empty() {
        anyhow::bail!(
            "every worker stopped after failed episodes; {} episode(s) were not tried \
             (run again with --resume to continue)",
            report.untried.len()
        );
    }
    if records.is_empty() {
        anyhow::bail!("no episode finished");
    }
    Ok(())
}

/// The run's episodes: the first worker's list (every other server must
/// list the same ids), its first `run.episodes`, then the shard.
fn select_episodes(
    workers: &mut [Worker],
    endpoints: &[String],
    config: &Config,
    shard: Option<Shard>,
) -> anyhow::Result<Vec<Episode>> {
    let mut lists = Vec::with_capacity(workers.len());
    for (w, endpoint) in workers.iter_mut().zip(endpoints) {
        let caps = unless_named(w.env.capabilities(), endpoint, || {
            format!("asking {endpoint} for hello")
        })?;
        if !caps.provides_ground_truth {
            anyhow::bail!(
                "{endpoint} ({}) has no episodes and no ground truth: it is a robot; \
                 drive it with `cow deploy`",
                caps.simulator
            );
        }
        let list = unless_named(w.env.episodes(), endpoint, || {
            format!("listing the episodes of {endpoint}")
        })?;
        lists.push(list);
    }
    let ids = |l: &[Episode]| l.iter().map(|e| e.id.clone()).collect::<Vec<_>>();
    for (list, endpoint) in lists.iter().zip(endpoints).skip(1) {
        if ids(list) != ids(&lists[0]) {
            anyhow::bail!(
                "{endpoint} lists other episodes than {} ({} vs {}): every server of a run \
                 must serve the same episodes",
                endpoints[0],
                list.len(),
                lists[0].len()
            );
        }
    }
    let mut episodes = lists.swap_remove(0);
    if config.run.episodes > 0 {
        episodes.truncate(config.run.episodes);
    }
    if let Some(shard) = shard {
        episodes = shard.select(episodes);
    }
    Ok(episodes)
}

/// Prints which episodes failed and which were never tried, with how to
/// continue (the errors themselves were logged as they happened).
fn print_problems(report: &RunReport) {
    // Each failure and each stopped worker was logged with its error as it
    // happened; here only which episodes need another run.
    if !report.failed.is_empty() {
        let ids: Vec<&str> = report.failed.iter().map(|(id, _)| id.as_str()).collect();
        eprintln!(
            "{} episode(s) failed and were not recorded (errors above; run again with \
             --resume to retry): {}",
            ids.len(),
            ids.join(", ")
        );
    }
    if !report.untried.is_empty() {
        eprintln!(
            "{} episode(s) were not tried: {}{}",
            report.untried.len(),
            report.untried[..report.untried.len().min(10)].join(", "),
            if report.untried.len() > 10 {
                ", ..."
            } else {
                ""
            }
        );
    }
}
