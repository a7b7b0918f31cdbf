//! `cow slurm`: one `sbatch --array` job over the shards of a run. Checks
//! the arguments, writes `OUT/slurm/job.sh` (and, for the embedded
//! simulator, `OUT/slurm/config.toml`: the config with the episode file),
//! submits it and prints the job id with the commands that re-submit failed
//! tasks and merge the shards.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use agent::results::write_atomic;
use datasets::select::Shard;
use datasets::Format;
use sim_bridge::Episode;

use crate::cli::SlurmArgs;
use crate::cmd::slurm_script::{array_spec, command_line, JobScript};
use crate::config::Config;

/// `cow run` options the job script sets itself; `--run-args` must not.
const SET_BY_SCRIPT: [&str; 6] = ["--config", "-c", "--sim", "--shard", "--out", "--resume"];

/// What `cow slurm` writes and submits, worked out from the arguments.
#[derive(Debug)]
struct Plan {
    /// The job script.
    script: JobScript,
    /// Where it is written: `OUT/slurm/job.sh`.
    job_path: PathBuf,
    /// The config the tasks read when it is written here (embedded
    /// simulator): its path and text.
    derived_config: Option<(PathBuf, String)>,
    /// Episodes of the run (in the episode file, or its first `--episodes N`).
    episode_count: usize,
    /// The command that re-submits tasks, `K` standing for their ids.
    resubmit: String,
    /// The command that merges the shards and checks them against the file.
    merge: String,
}

/// Writes the job script, then submits it (or prints it with `--dry-run`).
pub fn run(args: &SlurmArgs) -> anyhow::Result<()> {
    let cow = std::env::current_exe()
        .and_then(|p| p.canonicalize())
        .context("locating the cow binary (std::env::current_exe)")?;
    let workdir = std::env::current_dir().context("reading the working directory")?;
    let plan = plan(args, &cow, &workdir)?;
    if let Some((path, text)) = &plan.derived_config {
        write_atomic(path, text.as_bytes())?;
    }
    let text = plan.script.render();
    write_atomic(&plan.job_path, text.as_bytes())?;
    make_executable(&plan.job_path)?;
    if args.dry_run {
        print!("{text}");
        eprintln!(
            "written to {} (not submitted: sbatch {} submits it)",
            plan.job_path.display(),
            plan.job_path.display()
        );
        return Ok(());
    }
    let job = submit(&plan.job_path)?;
    let s = &plan.script;
    println!(
        "submitted job {job}: array tasks {} of {} shards over {} episodes of {}",
        s.array, s.shards, plan.episode_count, s.episodes
    );
    println!(
        "script {}; logs {}/slurm/{job}_<task>.out; watch it with: squeue -j {job}",
        plan.job_path.display(),
        s.out
    );
    println!("re-submit failed tasks (they resume; K: task ids, comma-separated):");
    println!("  {}", plan.resubmit);
    println!("merge the shards and check that every episode is recorded, once every task is done:");
    println!("  {}", plan.merge);
    Ok(())
}

/// Checks the arguments and works out the files of the job; nothing is
/// written. `cow` is the binary the tasks run, `workdir` their working
/// directory.
fn plan(args: &SlurmArgs, cow: &Path, workdir: &Path) -> anyhow::Result<Plan> {
    if args.shards == 0 {
        bail!("--shards must be at least 1");
    }
    if let Some(&bad) = args.tasks.iter().find(|&&t| t >= args.shards) {
        bail!(
            "--tasks {bad}: the job has {} shard(s), tasks 0 to {}",
            args.shards,
            args.shards - 1
        );
    }
    if args.cpus_per_task == Some(0) {
        bail!("--cpus-per-task must be at least 1");
    }
    for (flag, value) in [
        ("--partition", &args.partition),
        ("--time", &args.time),
        ("--gres", &args.gres),
    ] {
        if let Some(v) = value {
            check_slurm_value(flag, v)?;
        }
    }
    check_run_args(&args.run_args)?;

    let named = args.config.path();
    let config_path = named
        .canonicalize()
        .with_context(|| format!("config {}", named.display()))?;
    let config = Config::load(&config_path)?;
    let episodes_path = args
        .episodes
        .canonicalize()
        .with_context(|| format!("episode file {}", args.episodes.display()))?;
    let episodes = run_episodes(args, &episodes_path)?;
    check_no_empty_shard(args, &episodes, &episodes_path)?;

    let has_workers = run_args_have(&args.run_args, "--workers");
    let (workers, derived) = match &args.bridge {
        Some(template) => {
            if !template.contains("{port}") && !template.contains("{endpoint}") {
                bail!(
                    "--bridge {template:?} names neither {{port}} nor {{endpoint}}: each task \
                     chooses a free port, which the bridge must bind"
                );
            }
            (None, None)
        }
        None => {
            if config.sim.source != "embedded" {
                bail!(
                    "config {} reads observations from {:?}: give --bridge to start a server \
                     in each task, or a config of the embedded simulator",
                    config_path.display(),
                    config.sim.source
                );
            }
            let workers = match (args.cpus_per_task, has_workers) {
                (Some(c), true) => bail!(
                    "--cpus-per-task {c} sets the workers of each task; drop --workers from \
                     --run-args"
                ),
                (_, true) => None,
                (c, false) => Some(c.unwrap_or(1)),
            };
            (
                workers,
                Some(derived_config(&config, &config_path, &episodes_path)?),
            )
        }
    };

    let out =
        std::path::absolute(&args.out).with_context(|| format!("--out {}", args.out.display()))?;
    let slurm_dir = out.join("slurm");
    let tasks_config = match &derived {
        Some(_) => slurm_dir.join("config.toml"),
        None => config_path.clone(),
    };
    let script = JobScript {
        cow: utf8(cow)?,
        config: utf8(&tasks_config)?,
        episodes: utf8(&episodes_path)?,
        out: sbatch_path("--out", &out)?,
        workdir: utf8(workdir)?,
        shards: args.shards,
        array: array_spec(args.shards, &args.tasks),
        job_name: job_name(&out),
        partition: args.partition.clone(),
        time: args.time.clone(),
        gres: args.gres.clone(),
        cpus_per_task: args.cpus_per_task,
        workers,
        bridge: args.bridge.clone(),
        bridge_timeout: args.bridge_timeout,
        run_args: args.run_args.clone(),
    };
    let resubmit = resubmit_command(&script, &config_path)?;
    let merge = command_line(&[
        script.cow.as_str(),
        "eval",
        script.out.as_str(),
        "--expect",
        script.episodes.as_str(),
    ]);
    Ok(Plan {
        job_path: slurm_dir.join("job.sh"),
        derived_config: derived.map(|text| (tasks_config, text)),
        episode_count: episodes.len(),
        script,
        resubmit,
        merge,
    })
}

/// The episodes of the run: the episode file's (a cow file for the
/// embedded simulator, any format `cow eval --expect` reads for a bridge),
/// its first N with `--run-args --episodes N`.
fn run_episodes(args: &SlurmArgs, path: &Path) -> anyhow::Result<Vec<Episode>> {
    let mut episodes = match &args.bridge {
        None => datasets::cow::read(path).context(
            "the embedded simulator reads cow episode files; \
             `cow sim episodes --list FILE --out F` converts a benchmark's",
        )?,
        // The episode file's errors name it.
        Some(_) => Format::detect(path).and_then(|f| f.read(path))?,
    };
    if let Some(n) = run_arg_episodes(&args.run_args)? {
        episodes.truncate(n);
    }
    if episodes.is_empty() {
        bail!("episode file {} holds no episode", path.display());
    }
    Ok(episodes)
}

/// Refuses a job with a task whose shard holds no episode (its `cow run`
/// would have nothing to do and fail).
fn check_no_empty_shard(args: &SlurmArgs, episodes: &[Episode], path: &Path) -> anyhow::Result<()> {
    let tasks: Vec<u32> = if args.tasks.is_empty() {
        (0..args.shards).collect()
    } else {
        args.tasks.clone()
    };
    let empty: Vec<String> = tasks
        .iter()
        .filter(|&&index| {
            let shard = Shard {
                index,
                count: args.shards,
            };
            !episodes.iter().any(|e| shard.contains(&e.id))
        })
        .map(u32::to_string)
        .collect();
    if !empty.is_empty() {
        bail!(
            "shard(s) {} of {} hold none of the {} episodes of {}: their tasks would have \
             nothing to run; use fewer shards",
            empty.join(", "),
            args.shards,
            episodes.len(),
            path.display()
        );
    }
    Ok(())
}

/// `cow-` and the run folder's name, in characters SLURM shows as they are.
fn job_name(out: &Path) -> String {
    let name: String = out
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("run")
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    format!("cow-{name}")
}

/// The config of the embedded tasks: `config` with `sim.episode_file` set
/// to the run's episode file, every field written out.
fn derived_config(config: &Config, source: &Path, episodes: &Path) -> anyhow::Result<String> {
    let mut c = config.clone();
    c.sim.episode_file = Some(episodes.to_path_buf());
    let body = toml::to_string_pretty(&c).context("serialising the tasks' config")?;
    Ok(format!(
        "# Written by cow slurm: {} with sim.episode_file = {}.\n{body}",
        source.display(),
        episodes.display()
    ))
}

/// The `cow slurm` command that re-submits tasks `K` of the same job.
fn resubmit_command(s: &JobScript, config: &Path) -> anyhow::Result<String> {
    let mut words: Vec<String> = vec![s.cow.clone(), "slurm".into()];
    let mut push = |flag: &str, value: String| {
        words.push(flag.into());
        words.push(value);
    };
    push("--config", utf8(config)?);
    push("--episodes", s.episodes.clone());
    push("--shards", s.shards.to_string());
    push("--out", s.out.clone());
    for (flag, value) in [
        ("--partition", &s.partition),
        ("--time", &s.time),
        ("--gres", &s.gres),
    ] {
        if let Some(v) = value {
            push(flag, v.clone());
        }
    }
    if let Some(c) = s.cpus_per_task {
        push("--cpus-per-task", c.to_string());
    }
    if let Some(b) = &s.bridge {
        push("--bridge", b.clone());
        push("--bridge-timeout", s.bridge_timeout.to_string());
    }
    let mut line = command_line(&words);
    line.push_str(" --tasks K");
    if !s.run_args.is_empty() {
        line.push_str(" --run-args ");
        line.push_str(&command_line(&s.run_args));
    }
    Ok(line)
}

/// Submits the script; returns the job id.
fn submit(job: &Path) -> anyhow::Result<String> {
    let output = Command::new("sbatch")
        .arg("--parsable")
        .arg(job)
        .output()
        .context("running sbatch (SLURM's client commands must be on PATH)")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        bail!(
            "sbatch {} failed ({}): {}",
            job.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    // `--parsable` prints `ID` or `ID;CLUSTER`.
    let id = stdout.trim().split(';').next().unwrap_or_default();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_digit()) {
        bail!("sbatch printed {:?}, not a job id", stdout.trim());
    }
    Ok(id.to_string())
}

/// Lets the script be run by hand too (`SLURM_ARRAY_TASK_ID=0 OUT/slurm/job.sh`).
fn make_executable(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
            .with_context(|| format!("making {} executable", path.display()))?;
    }
    Ok(())
}

/// A path as text (the script is text).
fn utf8(path: &Path) -> anyhow::Result<String> {
    path.to_str()
        .map(str::to_string)
        .with_context(|| format!("path {} is not UTF-8", path.display()))
}

/// A path that goes on an `#SBATCH` line: no `"` and no control character.
fn sbatch_path(what: &str, path: &Path) -> anyhow::Result<String> {
    let text = utf8(path)?;
    if text.contains('"') || text.chars().any(char::is_control) {
        bail!("{what} {text:?}: a path on an #SBATCH line cannot hold '\"' or a control character");
    }
    Ok(text)
}

/// A value of `--partition`, `--time` or `--gres`: one word for sbatch.
fn check_slurm_value(flag: &str, value: &str) -> anyhow::Result<()> {
    if value.is_empty()
        || value
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "\"'#".contains(c))
    {
        bail!(
            "{flag} {value:?}: expected one word without spaces or quotes (e.g. gpu:1, 04:00:00)"
        );
    }
    Ok(())
}

/// Whether `--run-args` holds `flag` (as `flag` or `flag=VALUE`).
fn run_args_have(run_args: &[String], flag: &str) -> bool {
    run_args
        .iter()
        .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
}

/// Refuses `--run-args` that set what the script sets itself.
fn check_run_args(run_args: &[String]) -> anyhow::Result<()> {
    for flag in SET_BY_SCRIPT {
        if run_args_have(run_args, flag) {
            bail!(
                "--run-args {flag}: cow slurm sets --config, --sim, --shard, --out and --resume \
                 of each task itself (--config, --bridge and --out of cow slurm choose them)"
            );
        }
    }
    Ok(())
}

/// The `--episodes N` of `--run-args` (the run takes the file's first N
/// episodes before sharding).
fn run_arg_episodes(run_args: &[String]) -> anyhow::Result<Option<usize>> {
    let mut value = None;
    for (i, a) in run_args.iter().enumerate() {
        if a == "--episodes" {
            value = Some(run_args.get(i + 1).map(String::as_str).unwrap_or(""));
        } else if let Some(v) = a.strip_prefix("--episodes=") {
            value = Some(v);
        }
    }
    value
        .map(|v| {
            v.parse::<usize>()
                .with_context(|| format!("--run-args --episodes {v:?}: not a count"))
        })
        .transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::cli::ConfigArg;

    const CONFIG: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/configs/embedded.toml");

    /// A folder with an episode file of 8 embedded test episodes.
    fn episodes() -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("episodes.json");
        let eps = embedded::splits::generate(
            embedded::splits::Split::Test,
            8,
            &embedded::sim::SimConfig::default(),
        );
        datasets::cow::write(&path, &eps).unwrap();
        (dir, path)
    }

    fn args(episodes: &Path, out: &Path) -> SlurmArgs {
        SlurmArgs {
            config: ConfigArg {
                config: Some(CONFIG.into()),
            },
            episodes: episodes.to_path_buf(),
            shards: 4,
            out: out.to_path_buf(),
            partition: None,
            time: None,
            gres: None,
            cpus_per_task: None,
            bridge: None,
            bridge_timeout: 600,
            tasks: vec![],
            run_args: vec![],
            dry_run: false,
        }
    }

    fn plan_of(a: &SlurmArgs) -> anyhow::Result<Plan> {
        plan(a, Path::new("/opt/cow"), Path::new("/home/u"))
    }

    fn error_of(a: &SlurmArgs) -> String {
        format!("{:#}", plan_of(a).unwrap_err())
    }

    #[test]
    fn embedded_plan_uses_absolute_paths_and_a_config_with_the_episode_file() {
        let (dir, eps) = episodes();
        let mut a = args(&eps, &dir.path().join("run"));
        a.run_args = vec!["--localizer".into(), "oracle".into()];
        let p = plan_of(&a).unwrap();
        let out = dir.path().join("run");
        assert_eq!(p.job_path, out.join("slurm/job.sh"));
        assert_eq!(p.script.cow, "/opt/cow");
        assert_eq!(p.script.workdir, "/home/u");
        assert_eq!(p.script.array, "0-3");
        assert_eq!(p.script.job_name, "cow-run");
        assert_eq!(job_name(Path::new("/x/my run (2)")), "cow-my_run__2_");
        assert_eq!(p.script.workers, Some(1));
        assert_eq!(p.episode_count, 8);
        let canonical = eps.canonicalize().unwrap();
        assert_eq!(p.script.episodes, canonical.to_str().unwrap());
        let (path, text) = p.derived_config.unwrap();
        assert_eq!(path, out.join("slurm/config.toml"));
        assert_eq!(p.script.config, path.to_str().unwrap());
        // The written config reads back as the shipped one with the file.
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &text).unwrap();
        let mut expected = Config::load(Path::new(CONFIG)).unwrap();
        expected.sim.episode_file = Some(canonical.clone());
        assert_eq!(Config::load(&path).unwrap(), expected);
        assert!(p.resubmit.starts_with(&format!(
            "/opt/cow slurm --config {CONFIG} --episodes {} --shards 4 --out {} --tasks K \
             --run-args --localizer oracle",
            canonical.display(),
            out.display()
        )));
        assert_eq!(
            p.merge,
            format!(
                "/opt/cow eval {} --expect {}",
                out.display(),
                canonical.display()
            )
        );
    }

    #[test]
    fn cpus_per_task_become_the_workers_unless_run_args_choose() {
        let (dir, eps) = episodes();
        let mut a = args(&eps, dir.path());
        a.cpus_per_task = Some(4);
        assert_eq!(plan_of(&a).unwrap().script.workers, Some(4));
        a.cpus_per_task = None;
        a.run_args = vec!["--workers".into(), "2".into()];
        assert_eq!(plan_of(&a).unwrap().script.workers, None);
        a.cpus_per_task = Some(4);
        assert!(error_of(&a).contains("--cpus-per-task 4 sets the workers"));
    }

    #[test]
    fn bridge_plan_keeps_the_config_and_reads_any_episode_format() {
        let (dir, eps) = episodes();
        let mut a = args(&eps, dir.path());
        a.bridge = Some("my-bridge --bind {endpoint}".into());
        a.tasks = vec![3, 1];
        let p = plan_of(&a).unwrap();
        assert!(p.derived_config.is_none());
        assert_eq!(p.script.config, CONFIG);
        assert_eq!(p.script.workers, None);
        assert_eq!(p.script.array, "1,3");
        assert!(p
            .resubmit
            .contains(" --bridge 'my-bridge --bind {endpoint}' --bridge-timeout 600 --tasks K"));
        a.bridge = Some("my-bridge --bind tcp://127.0.0.1:5555".into());
        assert!(error_of(&a).contains("names neither {port} nor {endpoint}"));
    }

    #[test]
    fn bad_input_is_an_error_never_a_default() {
        let (dir, eps) = episodes();
        let mut a = args(&eps, dir.path());
        a.shards = 0;
        assert!(error_of(&a).contains("--shards must be at least 1"));
        a.shards = 4;
        a.tasks = vec![1, 4];
        assert!(error_of(&a).contains("--tasks 4: the job has 4 shard(s), tasks 0 to 3"));
        a.tasks = vec![];

        let mut missing = a.clone();
        missing.config.config = Some(dir.path().join("nope.toml"));
        let e = error_of(&missing);
        assert!(e.contains("config ") && e.contains("nope.toml"), "{e}");

        let mut missing = a.clone();
        missing.episodes = dir.path().join("nope.json");
        let e = error_of(&missing);
        assert!(
            e.contains("episode file ") && e.contains("nope.json"),
            "{e}"
        );

        let mut bad = a.clone();
        bad.gres = Some("gpu:1\n#SBATCH --x".into());
        assert!(error_of(&bad).contains("--gres"));
        let mut bad = a.clone();
        bad.partition = Some("a b".into());
        assert!(error_of(&bad).contains("--partition \"a b\""));

        let mut bad = a.clone();
        bad.run_args = vec!["--out=/x".into()];
        assert!(error_of(&bad).contains("--run-args --out"));
        bad.run_args = vec!["--resume".into()];
        assert!(error_of(&bad).contains("--run-args --resume"));
        bad.run_args = vec!["--episodes".into(), "many".into()];
        assert!(error_of(&bad).contains("--run-args --episodes \"many\": not a count"));
    }

    #[test]
    fn a_shard_without_episodes_is_refused() {
        let (dir, eps) = episodes();
        let mut a = args(&eps, dir.path());
        a.shards = 64;
        let e = error_of(&a);
        assert!(e.contains("hold none of the 8 episodes"), "{e}");
        // The first N episodes of --run-args are what is sharded.
        a.shards = 4;
        a.run_args = vec!["--episodes".into(), "1".into()];
        assert!(error_of(&a).contains("hold none of the 1 episodes"));
    }

    #[test]
    fn an_embedded_job_needs_an_embedded_config() {
        let (dir, eps) = episodes();
        let config = dir.path().join("remote.toml");
        std::fs::write(&config, "[sim]\nsource = \"tcp://127.0.0.1:5560\"\n").unwrap();
        let mut a = args(&eps, dir.path());
        a.config.config = Some(config);
        assert!(error_of(&a).contains("give --bridge"));
    }
}
