//! Command-line interface: argument parsing, logging set-up and dispatch.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use crate::cmd;

/// cow: CLIP on Wheels, zero-shot language-driven object navigation.
#[derive(Debug, Parser)]
#[command(name = "cow", version, about, long_about = None)]
pub struct Cli {
    /// More log output (-v: debug, -vv: trace). RUST_LOG overrides.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,
    /// Only warnings and errors.
    #[arg(short, long, global = true)]
    pub quiet: bool,
    /// The subcommand.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run episodes with an agent and write one result file per episode.
    Run(RunArgs),
    /// Evaluate a run directory: success, SPL, SoftSPL, breakdowns.
    Eval(EvalArgs),
    /// Pictures of evaluated runs as PNG and SVG: success per group, the SPL
    /// histogram, success within k steps, the comparison, the failure split.
    Plot(PlotArgs),
    /// One static HTML page over evaluated runs (no server, no external
    /// assets): tables, pictures, the comparison, a table of episodes.
    Report(ReportArgs),
    /// The embedded simulator: serve it, or write episode files.
    #[command(subcommand)]
    Sim(SimCommand),
    /// Spread a run over a SLURM cluster: one `sbatch --array` job, one shard per task.
    Slurm(SlurmArgs),
    /// Drive a robot: a long-lived session against a robot-side protocol server (the ROS node).
    Deploy(DeployArgs),
    /// Write a CURVE key pair (ZeroMQ ZPL certificates, as pyzmq writes them).
    Keygen(KeygenArgs),
    /// Benchmarks over recordings.
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Pictures of one recorded episode, step by step: the RGB frame with the
    /// goal relevance over it, the depth and the top-down map; PNG frames and
    /// an animated GIF.
    Replay(ReplayArgs),
}

/// Options shared by commands that read a config file.
#[derive(Debug, Clone, Args)]
pub struct ConfigArg {
    /// TOML configuration (see configs/ and README); defaults apply to every
    /// field it leaves out. A file named here must exist. Without it,
    /// configs/embedded.toml, or (run elsewhere) the copy built into cow.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
}

impl ConfigArg {
    /// The implicit configuration file.
    pub const DEFAULT: &'static str = "configs/embedded.toml";

    /// The file named, or the implicit one.
    pub fn path(&self) -> PathBuf {
        self.config
            .clone()
            .unwrap_or_else(|| PathBuf::from(Self::DEFAULT))
    }

    /// Loads the configuration: the file named (an error if it does not
    /// exist), else `configs/embedded.toml`, else the copy of it built into
    /// cow, so that the defaults are always the shipped ones.
    pub fn load(&self) -> anyhow::Result<crate::config::Config> {
        match &self.config {
            Some(path) => crate::config::Config::load(path),
            None => crate::config::Config::load_implicit(std::path::Path::new(Self::DEFAULT)),
        }
    }
}

/// `cow run`.
#[derive(Debug, Clone, Args)]
pub struct RunArgs {
    /// Configuration file.
    #[command(flatten)]
    pub config: ConfigArg,
    /// Observation source: `embedded` (in-process over inproc://) or a
    /// server endpoint such as `tcp://127.0.0.1:5555`. Repeat it to run one
    /// worker per endpoint (several bridge servers, e.g. one per GPU).
    #[arg(long)]
    pub sim: Vec<String>,
    /// Agents run in parallel, each with its own simulator connection (an
    /// in-process simulator each for `embedded`), taking episodes from one
    /// queue. Default: the number of cores (embedded), one per endpoint.
    #[arg(long)]
    pub workers: Option<usize>,
    /// Run only shard K of N (`K/N`, K from 0): a partition of the episode
    /// set by episode id, so that N jobs cover it exactly once.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// Agent: `cow` or `random`.
    #[arg(long)]
    pub agent: Option<String>,
    /// Localizer of the cow agent (e.g. `oracle`).
    #[arg(long)]
    pub localizer: Option<String>,
    /// Model bundle of the CLIP localizers (overrides `agent.clip.bundle`).
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Split of the embedded episodes: train, val or test.
    #[arg(long)]
    pub split: Option<String>,
    /// Run the episodes of this cow episode file (`cow sim episodes --out`)
    /// instead of generating the split's (overrides `sim.episode_file`).
    #[arg(long, value_name = "FILE")]
    pub episode_file: Option<PathBuf>,
    /// Run only the first N episodes.
    #[arg(long)]
    pub episodes: Option<usize>,
    /// Step budget per episode.
    #[arg(long)]
    pub max_steps: Option<u32>,
    /// Run directory for the result files.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Skip episodes that already have a result file in the run directory.
    #[arg(long)]
    pub resume: bool,
    /// Record frames, poses and actions of every episode into this folder.
    #[arg(long)]
    pub record: Option<PathBuf>,
    /// Write a top-down PNG of the final map per episode into OUT/viz/.
    #[arg(long)]
    pub viz: bool,
    /// With --viz, also write one PNG per step.
    #[arg(long, requires = "viz")]
    pub viz_steps: bool,
    /// Seed of the agent's randomness.
    #[arg(long)]
    pub seed: Option<u64>,
}

/// `cow eval`.
#[derive(Debug, Clone, Args)]
pub struct EvalArgs {
    /// Run directories (holding episodes/*.json), merged into one run: the
    /// shards of a cluster run, for instance. A folder without episodes/
    /// whose subfolders have one stands for those subfolders.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// The episode file (any format `cow sim episodes --list` reads) the run
    /// should cover: episodes without a record are listed as missing.
    #[arg(long, value_name = "FILE")]
    pub expect: Option<PathBuf>,
    /// Also group by this episode field (category and house size always):
    /// `scene`, `split`, `goal`, a dataset's own field (repeatable).
    #[arg(long, value_name = "FIELD")]
    pub by: Vec<String>,
    /// Compare with this run (a run folder, or a folder of shards), on the
    /// episodes both have (repeatable: one comparison each).
    #[arg(long, value_name = "DIR")]
    pub compare: Vec<PathBuf>,
    /// Also write every record in another format into a folder: `cow DIR`
    /// (CoW's own per-episode JSON, for its aggregation scripts).
    #[arg(long, num_args = 2, value_names = ["FORMAT", "DIR"])]
    pub export: Vec<String>,
    /// Bootstrap resamples of the mean intervals.
    #[arg(long, default_value_t = 2000)]
    pub bootstrap: usize,
    /// Seed of the bootstrap resampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output format: table, markdown, csv, latex or json.
    #[arg(long, default_value = "table")]
    pub format: String,
}

/// The runs `cow plot` and `cow report` show, evaluated as `cow eval` does.
#[derive(Debug, Clone, Args)]
pub struct RunsArgs {
    /// Run directories merged into one run (shards, as for `cow eval`); the
    /// base of the comparisons.
    #[arg(required = true)]
    pub dirs: Vec<PathBuf>,
    /// Another run to show next to it and compare with it (repeatable).
    #[arg(long, value_name = "DIR")]
    pub compare: Vec<PathBuf>,
    /// Also group by this episode field (category and house size always;
    /// repeatable).
    #[arg(long, value_name = "FIELD")]
    pub by: Vec<String>,
    /// Bootstrap resamples of the mean intervals.
    #[arg(long, default_value_t = 2000)]
    pub bootstrap: usize,
    /// Seed of the bootstrap resampling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
}

/// `cow plot`.
#[derive(Debug, Clone, Args)]
pub struct PlotArgs {
    /// The runs.
    #[command(flatten)]
    pub runs: RunsArgs,
    /// Folder for the pictures (NAME.png and NAME.svg each).
    #[arg(long)]
    pub out: PathBuf,
}

/// `cow report`.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// The runs.
    #[command(flatten)]
    pub runs: RunsArgs,
    /// Folder of the report (index.html and what it shows); replaced.
    #[arg(long, default_value = "report")]
    pub out: PathBuf,
    /// Longest side, in pixels, of the top-down maps copied into the report.
    #[arg(long, default_value_t = 200)]
    pub map_size: u32,
}

/// `cow sim ...`.
#[derive(Debug, Subcommand)]
pub enum SimCommand {
    /// Serve the embedded simulator over ZeroMQ (protocol v1).
    Serve(SimServeArgs),
    /// Generate a split's episodes and write them (cow, Habitat or RoboTHOR
    /// format), or list, filter and shard the episodes of a benchmark file.
    Episodes(SimEpisodesArgs),
    /// Render training data: frames, class and instance masks, captioned object crops.
    Dataset(SimDatasetArgs),
    /// Wait until a protocol server answers `hello` (scripts start a bridge, then this).
    Wait(SimWaitArgs),
}

/// `cow sim wait`.
#[derive(Debug, Clone, Args)]
pub struct SimWaitArgs {
    /// The server's endpoint, e.g. tcp://127.0.0.1:5560.
    pub endpoint: String,
    /// Give up after this many seconds (exit status 1).
    #[arg(long, default_value_t = 300)]
    pub timeout: u64,
}

/// `cow sim serve`.
#[derive(Debug, Clone, Args)]
pub struct SimServeArgs {
    /// Configuration file.
    #[command(flatten)]
    pub config: ConfigArg,
    /// Endpoint to bind, e.g. tcp://127.0.0.1:5555.
    #[arg(long, default_value = "tcp://127.0.0.1:5555")]
    pub bind: String,
    /// Split to serve: train, val or test.
    #[arg(long)]
    pub split: Option<String>,
    /// Number of episodes to generate for the split.
    #[arg(long)]
    pub episodes: Option<usize>,
    /// Serve the episodes of this file instead of generating them.
    #[arg(long)]
    pub episode_file: Option<PathBuf>,
    /// Serve with CURVE: this server's secret certificate (with --curve-clients).
    #[arg(long, requires = "curve_clients")]
    pub curve_key: Option<PathBuf>,
    /// Serve with CURVE: the folder of admitted clients' public certificates.
    #[arg(long, requires = "curve_key")]
    pub curve_clients: Option<PathBuf>,
}

/// `cow sim episodes`.
#[derive(Debug, Clone, Args)]
pub struct SimEpisodesArgs {
    /// Configuration file.
    #[command(flatten)]
    pub config: ConfigArg,
    /// List the episodes of this file or folder (cow JSON, Habitat ObjectNav
    /// json.gz, RoboTHOR challenge json.gz or its folder) instead of
    /// generating a split; nothing is started.
    #[arg(long, value_name = "PATH")]
    pub list: Option<PathBuf>,
    /// Format: with --list, of the file read (`auto` detects it); else of the
    /// files written: `cow` (a JSON file at --out), `habitat` (--out/<split>/<split>.json.gz)
    /// or `robothor` (--out/episodes/<scene>.json.gz).
    #[arg(long, default_value = "auto")]
    pub format: String,
    /// Split to generate: train, val or test.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Number of episodes to generate (per goal variant).
    #[arg(long, default_value_t = 200)]
    pub count: usize,
    /// World version of the generated episodes (default: the config's
    /// `sim.embedded.world_version`; 2 is the world with room priors).
    #[arg(long, value_name = "N")]
    pub world_version: Option<u32>,
    /// Goal variants, comma-separated: category, appearance, spatial,
    /// hidden, uncommon (all but category need world version 2); `--count`
    /// episodes of each, grouped by variant (default: the config's `sim.variants`).
    #[arg(long, value_name = "LIST")]
    pub variants: Option<String>,
    /// Keep only episodes of this scene (repeatable).
    #[arg(long)]
    pub scene: Vec<String>,
    /// Keep only episodes of this category, by name or goal words (repeatable).
    #[arg(long)]
    pub category: Vec<String>,
    /// Keep only shard K of N (`K/N`, K from 0): a partition by episode id.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<String>,
    /// With --list: print one JSON object per episode instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Output: a file for `cow`, a folder for `habitat` and `robothor`. With
    /// --list, writes the selected episodes as a cow episode file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

/// `cow sim dataset`.
#[derive(Debug, Clone, Args)]
pub struct SimDatasetArgs {
    /// Configuration file (camera and agent settings of the embedded simulator).
    #[command(flatten)]
    pub config: ConfigArg,
    /// Split whose houses are rendered: train, val or test.
    #[arg(long, default_value = "train")]
    pub split: String,
    /// Number of frames.
    #[arg(long, default_value_t = 1000)]
    pub count: usize,
    /// Frame side in pixels.
    #[arg(long, default_value_t = 224)]
    pub size: u32,
    /// Frames rendered per house.
    #[arg(long, default_value_t = 20)]
    pub frames_per_house: usize,
    /// World version whose houses are rendered (default: the config's
    /// `sim.embedded.world_version`); version 2 adds room captions.
    #[arg(long, value_name = "N")]
    pub world_version: Option<u32>,
    /// Output folder.
    #[arg(long)]
    pub out: PathBuf,
}

/// `cow deploy`.
#[derive(Debug, Clone, Args)]
pub struct DeployArgs {
    /// Configuration file (`configs/robot.toml`: agent, limits, `[deploy]`).
    #[command(flatten)]
    pub config: ConfigArg,
    /// The robot side's endpoint, e.g. tcp://robot.local:5570.
    #[arg(long)]
    pub robot: Option<String>,
    /// The goal in words; without it, the robot side announces goals.
    #[arg(long)]
    pub goal: Option<String>,
    /// Name of the session (the `reset`'s episode id).
    #[arg(long)]
    pub session: Option<String>,
    /// Forget the map whenever the connection comes back.
    #[arg(long)]
    pub reset_map: bool,
    /// Telemetry PUB endpoint to bind, e.g. tcp://127.0.0.1:5571.
    #[arg(long)]
    pub telemetry: Option<String>,
    /// The robot side's public certificate (CURVE; with --client-key).
    #[arg(long)]
    pub server_key: Option<PathBuf>,
    /// This side's secret certificate (CURVE; with --server-key).
    #[arg(long)]
    pub client_key: Option<PathBuf>,
    /// Most actions per goal (0: no limit).
    #[arg(long)]
    pub max_steps: Option<u32>,
    /// End after the first Stop instead of waiting for the next goal.
    #[arg(long)]
    pub once: bool,
    /// Localizer of the cow agent (e.g. `oracle` with a robot that sends semantic frames).
    #[arg(long)]
    pub localizer: Option<String>,
}

/// `cow keygen`.
#[derive(Debug, Clone, Args)]
pub struct KeygenArgs {
    /// Folder for NAME.key (public: give it to peers) and NAME.key_secret (keep it).
    #[arg(long)]
    pub out: PathBuf,
    /// Name of the pair.
    #[arg(long, default_value = "cow")]
    pub name: String,
    /// Replace an existing pair of that name.
    #[arg(long)]
    pub force: bool,
}

/// `cow slurm`.
#[derive(Debug, Clone, Args)]
pub struct SlurmArgs {
    /// Configuration file of the run (as for `cow run`).
    #[command(flatten)]
    pub config: ConfigArg,
    /// Episode file of the run: given to the embedded simulator
    /// (`sim.episode_file`), or to the bridge command as `{episodes}`; and the
    /// set that the merged result must cover.
    #[arg(long)]
    pub episodes: PathBuf,
    /// Number of shards, one array task each.
    #[arg(long)]
    pub shards: u32,
    /// Run directory; task K writes OUT/shard-K, and the job script and logs go to OUT/slurm/.
    #[arg(long)]
    pub out: PathBuf,
    /// SLURM partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Time limit per task, HH:MM:SS.
    #[arg(long)]
    pub time: Option<String>,
    /// Generic resources per task, e.g. gpu:1.
    #[arg(long)]
    pub gres: Option<String>,
    /// CPUs per task (`#SBATCH --cpus-per-task`); with the embedded
    /// simulator also the `--workers` of each task's run (default 1).
    #[arg(long)]
    pub cpus_per_task: Option<u32>,
    /// Bridge server each task starts before its run (on a free port, waited
    /// for until it answers hello, stopped after, also when the run fails): a
    /// bash command with `{port}`, `{endpoint}` and `{episodes}` filled in.
    /// Without it the tasks run the embedded simulator on the episode file.
    #[arg(long)]
    pub bridge: Option<String>,
    /// Seconds a task waits for its bridge to answer hello.
    #[arg(long, default_value_t = 600)]
    pub bridge_timeout: u64,
    /// Only these array tasks (e.g. `2` or `0,3`): re-submit failed tasks; they resume.
    #[arg(long, value_delimiter = ',')]
    pub tasks: Vec<u32>,
    /// Extra arguments for every task's `cow run` (e.g. `--localizer oracle --max-steps 250`).
    #[arg(long, allow_hyphen_values = true, num_args = 1..)]
    pub run_args: Vec<String>,
    /// Write the job script (and the embedded run's config) and print it,
    /// without submitting it.
    #[arg(long)]
    pub dry_run: bool,
}

/// `cow bench ...`.
#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Replay recordings through the mapping and planning stages and
    /// print per-stage timings.
    Replay(BenchReplayArgs),
    /// Localization quality and latency of localizers on rendered goal views:
    /// pointing accuracy, detection and false-alarm rates, ms per frame.
    Localize(LocalizeArgs),
}

/// `cow bench localize`.
#[derive(Debug, Clone, Args)]
pub struct LocalizeArgs {
    /// Configuration file (simulator camera, `[agent.clip]` settings and bundle).
    #[command(flatten)]
    pub config: ConfigArg,
    /// Split whose houses are rendered: train, val or test.
    #[arg(long, default_value = "test")]
    pub split: String,
    /// Number of positive views (goal visible); as many negative views.
    #[arg(long, default_value_t = 200)]
    pub count: usize,
    /// Fewest goal pixels of a positive view.
    #[arg(long, default_value_t = 40)]
    pub min_pixels: u32,
    /// Localizers, comma-separated (oracle, patch, grad, dense).
    #[arg(long, default_value = "patch,grad,dense", value_delimiter = ',')]
    pub localizers: Vec<String>,
    /// Model bundle (overrides `agent.clip.bundle`).
    #[arg(long)]
    pub bundle: Option<PathBuf>,
    /// Also write the reports (with per-view top confidences) as JSON here.
    #[arg(long)]
    pub json: Option<PathBuf>,
}

/// `cow bench replay`.
#[derive(Debug, Clone, Args)]
pub struct BenchReplayArgs {
    /// Configuration file (agent and map settings).
    #[command(flatten)]
    pub config: ConfigArg,
    /// A recording folder, or a folder of recordings.
    pub dir: PathBuf,
    /// Replay each recording this many times and keep, per step, the
    /// fastest replay (its stages): removes time lost to other processes
    /// on a shared machine. 1 = one plain replay.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub repeat: u32,
}

/// `cow replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// The recordings of `cow run --record DIR` (or one episode's recording folder).
    pub dir: PathBuf,
    /// Id of the episode to show.
    #[arg(long)]
    pub episode: String,
    /// Also write an animated GIF, `OUT/<episode>.gif`.
    #[arg(long)]
    pub gif: bool,
    /// Output folder: the pictures go to `OUT/<episode>/frame_NNNN.png`, with
    /// an index (`frames.json`: step, action, mode per picture).
    #[arg(long, default_value = "runs/replay")]
    pub out: PathBuf,
    /// Agent settings of the replay. Default: the run's, DIR/config.toml
    /// (written by `cow run --record DIR`), else configs/embedded.toml.
    #[arg(short, long)]
    pub config: Option<PathBuf>,
    /// Milliseconds per GIF frame.
    #[arg(long, default_value_t = 200)]
    pub frame_ms: u32,
}

fn init_logging(verbose: u8, quiet: bool) {
    let default = match (quiet, verbose) {
        (true, _) => "warn",
        (false, 0) => "info",
        (false, 1) => "debug",
        _ => "trace",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colour only on a terminal: logs of cluster tasks and CI stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
}

/// Parses the command line, runs the command, and maps errors to exit code 1.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose, cli.quiet);
    let result = match cli.command {
        Command::Run(a) => cmd::run::run(&a),
        Command::Eval(a) => cmd::eval::run(&a),
        Command::Plot(a) => cmd::plot::run(&a),
        Command::Report(a) => cmd::report::run(&a),
        Command::Sim(SimCommand::Serve(a)) => cmd::sim::serve(&a),
        Command::Sim(SimCommand::Episodes(a)) => cmd::sim::episodes(&a),
        Command::Sim(SimCommand::Dataset(a)) => cmd::dataset::run(&a),
        Command::Sim(SimCommand::Wait(a)) => cmd::sim::wait(&a),
        Command::Slurm(a) => cmd::slurm::run(&a),
        Command::Deploy(a) => cmd::deploy::run(&a),
        Command::Keygen(a) => cmd::keygen::run(&a),
        Command::Bench(BenchCommand::Replay(a)) => cmd::bench::replay(&a),
        Command::Bench(BenchCommand::Localize(a)) => cmd::bench_localize::run(&a),
        Command::Replay(a) => cmd::replay::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
