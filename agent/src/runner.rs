//! The episode runner: drives an [`Agent`] against any protocol server
//! (the embedded simulator in-process, or a bridge over TCP), enforces the
//! step budget, times every stage, and writes one result record per
//! finished episode atomically so that a run can be resumed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sim_bridge::limits::Limits;
use sim_bridge::{Action, Capabilities, Episode, Observation};

use crate::agent::{Agent, EpisodeStart};
use crate::env::Environment;
use crate::record::Recorder;
use crate::results::{
    record_path, write_record, EpisodeRecord, EpisodeTiming, Outcome, TimingSummary, RECORD_FORMAT,
};
use crate::Error;

/// How the runner runs.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Step budget per episode.
    pub max_steps: u32,
    /// Run directory (records go to `out_dir/episodes/`).
    pub out_dir: PathBuf,
    /// Skip episodes whose record already exists.
    pub resume: bool,
    /// Record frames, poses and actions here (see [`crate::record`]).
    pub record_dir: Option<PathBuf>,
    /// Abort the run after this many consecutive failed episodes
    /// (a dead simulator), instead of failing every remaining one.
    pub max_consecutive_errors: u32,
    /// How long a worker whose world was lost (no reply after the client's
    /// retries, or a restarted server that lost the episode) keeps asking
    /// it for `hello` before the worker stops; zero stops it at once. A
    /// server restarted on the same endpoint within it is picked up.
    pub reconnect: Duration,
    /// Bounds on the source's episodes and results: a start at x = 1e9 or a
    /// distance of 1.4e9 m ends that episode with an error instead of
    /// entering the metrics.
    pub limits: Limits,
}

/// Progress callbacks, so the binary can draw a progress bar without the
/// runner knowing about terminals. With several workers the calls come from
/// their threads, one at a time.
pub trait RunObserver {
    /// An episode is about to start.
    fn episode_started(&mut self, _episode: &Episode) {}
    /// An action was taken (`step` actions so far); the agent has updated
    /// its state for the observation before it.
    fn after_step(&mut self, _agent: &dyn Agent, _episode: &Episode, _step: u32) {}
    /// An episode finished with this record.
    fn episode_finished(&mut self, _record: &EpisodeRecord) {}
    /// An episode was skipped because its record exists (`--resume`).
    fn episode_skipped(&mut self, _episode: &Episode) {}
    /// An episode failed with an error and was not recorded.
    fn episode_failed(&mut self, _episode: &Episode, _error: &Error) {}
    /// Called after an episode with the agent, e.g. to draw its map.
    fn after_episode(&mut self, _agent: &dyn Agent, _record: &EpisodeRecord) {}
}

/// An observer that does nothing.
#[derive(Debug, Default)]
pub struct Quiet;

impl RunObserver for Quiet {}

/// What a run produced.
#[derive(Debug, Default)]
pub struct RunReport {
    /// Ids of the episodes finished in this run, in the order they finished
    /// (their records are on disk and went to the observer: a run of any
    /// length holds none of them in memory).
    pub finished: Vec<String>,
    /// Episodes skipped because a record existed.
    pub skipped: usize,
    /// Episodes that failed, with the error message (not recorded; a
    /// resumed run tries them again).
    pub failed: Vec<(String, String)>,
    /// Workers that stopped before the run ended, with why: after
    /// `max_consecutive_errors` failed episodes in a row, or a world lost
    /// for longer than the reconnect window.
    pub stopped: Vec<(usize, String)>,
    /// Episodes no worker got to because every worker stopped.
    pub untried: Vec<String>,
    /// Times a worker's lost world answered again and the worker went on.
    pub reconnects: u32,
}

/// One agent with its own world: a connection of its own to an in-process
/// simulator or a server.
pub struct Worker {
    /// The world.
    pub env: Box<dyn Environment>,
    /// The agent, reset for every episode.
    pub agent: Box<dyn Agent>,
}

/// What the workers of a run share.
struct Shared<'a> {
    episodes: &'a [Episode],
    config: &'a RunnerConfig,
    next: AtomicUsize,
    /// Episodes given back by a worker whose world was lost before the
    /// episode's first action: taken before `next`.
    returned: Mutex<Returned>,
    /// Set on an error that must end the whole run (a record that cannot be
    /// written, a run folder of another agent): the workers stop taking episodes.
    abort: AtomicBool,
    observer: Mutex<&'a mut (dyn RunObserver + Send)>,
    report: Mutex<RunReport>,
}

/// The episodes given back to the queue (indices into the run's list).
#[derive(Default)]
struct Returned {
    queue: Vec<usize>,
    /// Every episode given back once: the second time it fails instead (a
    /// world that answers `hello` but never a `reset`).
    ever: std::collections::HashSet<usize>,
}

impl Shared<'_> {
    /// The next episode to run: one given back, else the next of the list.
    fn take(&self) -> Option<(usize, &Episode)> {
        let given_back = self
            .returned
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .queue
            .pop();
        let i = given_back.unwrap_or_else(|| self.next.fetch_add(1, Ordering::SeqCst));
        self.episodes.get(i).map(|e| (i, e))
    }

    /// Gives episode `i` back for any worker to run; false if it was given
    /// back before.
    fn give_back(&self, i: usize) -> bool {
        let mut r = self.returned.lock().unwrap_or_else(|e| e.into_inner());
        let first = r.ever.insert(i);
        if first {
            r.queue.push(i);
        }
        first
    }

    /// Whether no episode is left to take.
    fn exhausted(&self) -> bool {
        let r = self.returned.lock().unwrap_or_else(|e| e.into_inner());
        r.queue.is_empty() && self.next.load(Ordering::SeqCst) >= self.episodes.len()
    }

    fn observe(&self, f: impl FnOnce(&mut dyn RunObserver)) {
        // A panic in another worker's observer call leaves the observer usable.
        let mut guard = self.observer.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut **guard);
    }

    fn report(&self, f: impl FnOnce(&mut RunReport)) {
        f(&mut self.report.lock().unwrap_or_else(|e| e.into_inner()));
    }
}

/// Runs `episodes` on `workers` in parallel: each worker takes the next
/// episode from one queue, so records do not depend on how many workers
/// there are (each episode runs alone on a freshly reset agent).
///
/// Records are written as episodes finish (atomically, so `resume` skips
/// them in a later run). An error inside an episode (simulator timeout,
/// agent error) is reported through the observer and in
/// [`RunReport::failed`], and the run goes on; a worker that fails
/// `max_consecutive_errors` episodes in a row stops
/// ([`RunReport::stopped`]) and the others go on; episodes left when every
/// worker stopped are [`RunReport::untried`].
///
/// A lost world ([`Error::lost_world`]: no reply after the client's
/// retries, or a server that restarted and lost the episode) fails the
/// episode it was running, naming the server; an episode lost before its
/// first action instead goes back to the queue (once) for any worker. The
/// worker then asks its world for `hello` until it answers (it goes on:
/// a server restarted on the same endpoint is picked up), the
/// `reconnect` window passes or no episode is left (it stops). Errors that concern the whole
/// run (no `hello`, a record that cannot be written, `resume` into a folder
/// of another agent) end it with `Err`.
pub fn run(
    workers: &mut [Worker],
    episodes: &[Episode],
    config: &RunnerConfig,
    observer: &mut (dyn RunObserver + Send),
) -> Result<RunReport, Error> {
    if workers.is_empty() {
        return Err(Error::Config("a run needs at least one worker".into()));
    }
    let mut capabilities = Vec::with_capacity(workers.len());
    for w in workers.iter_mut() {
        capabilities.push(w.env.capabilities()?);
    }
    let shared = Shared {
        episodes,
        config,
        next: AtomicUsize::new(0),
        returned: Mutex::new(Returned::default()),
        abort: AtomicBool::new(false),
        observer: Mutex::new(observer),
        report: Mutex::new(RunReport::default()),
    };
    let fatal: Vec<Error> = std::thread::scope(|scope| {
        let handles: Vec<_> = workers
            .iter_mut()
            .zip(capabilities)
            .enumerate()
            .map(|(index, (worker, caps))| {
                let shared = &shared;
                std::thread::Builder::new()
                    .name(format!("worker-{index}"))
                    .spawn_scoped(scope, move || work(index, worker, caps, shared))
            })
            .collect();
        handles
            .into_iter()
            .filter_map(|h| match h {
                Ok(handle) => match handle.join() {
                    Ok(result) => result.err(),
                    Err(_) => Some(Error::Config("a worker thread panicked".into())),
                },
                Err(e) => Some(Error::Io {
                    context: "starting a worker thread".into(),
                    cause: e,
                }),
            })
            .collect()
    });
    if let Some(error) = fatal.into_iter().next() {
        return Err(error);
    }
    let mut report = shared
        .report
        .into_inner()
        .unwrap_or_else(|e| e.into_inner());
    let taken = shared.next.into_inner().min(episodes.len());
    let mut untried = shared
        .returned
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .queue;
    untried.sort_unstable();
    untried.extend(taken..episodes.len());
    report.untried = untried
        .into_iter()
        .map(|i| episodes[i].id.clone())
        .collect();
    Ok(report)
}

/// One worker's loop: take the next episode until none is left, the worker
/// failed too often in a row, or the run aborts. `Err` only for errors that
/// end the whole run.
fn work(
    index: usize,
    worker: &mut Worker,
    mut capabilities: Capabilities,
    shared: &Shared<'_>,
) -> Result<(), Error> {
    let config = shared.config;
    let mut recorder = config.record_dir.clone().map(Recorder::new);
    let mut consecutive_errors = 0;
    while !shared.abort.load(Ordering::SeqCst) {
        let Some((i, episode)) = shared.take() else {
            break;
        };
        let existing = record_path(&config.out_dir, &episode.id);
        if config.resume && existing.exists() {
            if let Err(e) = check_resumable(&existing, worker.agent.as_ref(), config) {
                shared.abort.store(true, Ordering::SeqCst);
                return Err(e);
            }
            shared.report(|r| r.skipped += 1);
            shared.observe(|o| o.episode_skipped(episode));
            continue;
        }
        shared.observe(|o| o.episode_started(episode));
        let mut step_observer = WorkerSteps { shared, steps: 0 };
        let outcome = run_episode(
            worker.env.as_mut(),
            worker.agent.as_mut(),
            episode,
            &capabilities,
            config,
            recorder.as_mut(),
            &mut step_observer,
        );
        match outcome {
            Ok(record) => {
                consecutive_errors = 0;
                if let Err(e) = write_record(&config.out_dir, &record) {
                    shared.abort.store(true, Ordering::SeqCst);
                    return Err(e);
                }
                let agent = worker.agent.as_ref();
                shared.observe(|o| {
                    o.episode_finished(&record);
                    o.after_episode(agent, &record);
                });
                shared.report(|r| r.finished.push(record.episode.id));
            }
            Err(error) if error.lost_world() && step_observer.steps == 0 && shared.give_back(i) => {
                tracing::warn!(
                    worker = index,
                    episode = %episode.id,
                    %error,
                    "the world was lost before the episode's first action: the episode goes back \
                     to the queue"
                );
                match reconnect(index, worker, shared, &error) {
                    Some(caps) => capabilities = caps,
                    None => return Ok(()),
                }
            }
            Err(error) => {
                tracing::error!(worker = index, episode = %episode.id, %error, "episode failed");
                shared.observe(|o| o.episode_failed(episode, &error));
                shared.report(|r| r.failed.push((episode.id.clone(), error.to_string())));
                consecutive_errors += 1;
                if consecutive_errors >= config.max_consecutive_errors.max(1) {
                    tracing::error!(
                        worker = index,
                        "{consecutive_errors} episodes failed in a row; this worker stops"
                    );
                    let why = format!(
                        "stopped after {consecutive_errors} failed episode(s) in a row; the last: \
                         {error}"
                    );
                    shared.report(|r| r.stopped.push((index, why)));
                    return Ok(());
                }
                if error.lost_world() {
                    match reconnect(index, worker, shared, &error) {
                        Some(caps) => capabilities = caps,
                        None => return Ok(()),
                    }
                }
            }
        }
    }
    Ok(())
}

/// After worker `index` lost its world (`lost`): asks it for `hello` until
/// it answers (its capabilities), or the reconnect window passes, no
/// episode is left or the run aborts (`None`: the worker stops, reported in
/// [`RunReport::stopped`] unless the run aborts).
fn reconnect(
    index: usize,
    worker: &mut Worker,
    shared: &Shared<'_>,
    lost: &Error,
) -> Option<Capabilities> {
    let window = shared.config.reconnect;
    let started = Instant::now();
    let stop = |why: String| {
        tracing::error!(worker = index, "{why}; this worker stops");
        shared.report(|r| r.stopped.push((index, why)));
        None
    };
    let mut last = lost.to_string();
    loop {
        if shared.abort.load(Ordering::SeqCst) {
            return None;
        }
        if shared.exhausted() {
            return stop(format!(
                "stopped: its world was lost and had not answered again when no episode was left \
                 ({last})"
            ));
        }
        if started.elapsed() >= window {
            return stop(format!(
                "stopped: its world was lost and did not answer within the reconnect window of \
                 {} s (sim.reconnect_s): {last}",
                window.as_secs_f64()
            ));
        }
        match worker.env.capabilities() {
            Ok(caps) => {
                tracing::warn!(
                    worker = index,
                    seconds = started.elapsed().as_secs_f64(),
                    "the world answers again: the worker goes on"
                );
                shared.report(|r| r.reconnects += 1);
                return Some(caps);
            }
            Err(e) if e.lost_world() => last = e.to_string(),
            Err(e) => {
                return stop(format!(
                    "stopped: its world was lost and answered again with an error: {e}"
                ))
            }
        }
    }
}

/// Passes a worker's per-step callbacks to the run's observer.
struct WorkerSteps<'a, 'b> {
    shared: &'a Shared<'b>,
    /// Actions applied in the running episode.
    steps: u32,
}

impl RunObserver for WorkerSteps<'_, '_> {
    fn after_step(&mut self, agent: &dyn Agent, episode: &Episode, step: u32) {
        self.steps = step;
        self.shared.observe(|o| o.after_step(agent, episode, step));
    }
}

/// A record kept by `--resume` must come from the same agent, localizer and
/// step budget as this run: a run directory mixing them would report one
/// agent's numbers under another's name.
fn check_resumable(path: &Path, agent: &dyn Agent, config: &RunnerConfig) -> Result<(), Error> {
    let old = crate::results::read_record(path)?;
    let now = (agent.name(), agent.localizer_name(), config.max_steps);
    let then = (old.agent.as_str(), old.localizer.as_deref(), old.max_steps);
    if now != then {
        return Err(Error::Config(format!(
            "cannot resume into {}: {} was written by agent {:?} with localizer {:?} and a \
             budget of {} steps, this run uses agent {:?} with localizer {:?} and {} steps; \
             choose another --out",
            config.out_dir.display(),
            path.display(),
            then.0,
            then.1.unwrap_or("none"),
            then.2,
            now.0,
            now.1.unwrap_or("none"),
            now.2
        )));
    }
    Ok(())
}

/// Runs one episode and returns its record (not yet written).
pub fn run_episode(
    env: &mut dyn Environment,
    agent: &mut dyn Agent,
    episode: &Episode,
    capabilities: &Capabilities,
    config: &RunnerConfig,
    mut recorder: Option<&mut Recorder>,
    observer: &mut dyn RunObserver,
) -> Result<EpisodeRecord, Error> {
    let started = Instant::now();
    config.limits.check_episode(episode)?;
    let mut obs = Observation::default();
    env.reset(&episode.id, None, &mut obs)?;
    agent.reset(&EpisodeStart::of_episode(
        episode,
        capabilities,
        config.max_steps,
    ))?;
    if let Some(rec) = recorder.as_deref_mut() {
        rec.start(episode, capabilities, &obs)?;
    }
    let mut stages = StageSamples::with_capacity(config.max_steps as usize);
    let mut steps = 0;
    let mut first_localized = None;
    while !obs.done && steps < config.max_steps {
        let t = Instant::now();
        let action = agent.act(&obs)?;
        stages.act.push(ms(t));
        if let Some(rec) = recorder.as_deref_mut() {
            // Borrowed from the agent: a run without --record copies nothing.
            if let Some(relevance) = agent.relevance() {
                rec.relevance(relevance, agent.localizer_name())?;
            }
        }
        if first_localized.is_none() && agent.goal_localized() == Some(true) {
            first_localized = Some(steps);
        }
        let cost = agent.last_cost();
        stages.agent.push(cost.agent_ms());
        stages.localize.push(cost.localize_ms);
        stages.map.push(cost.map_ms);
        stages.frontier.push(cost.frontier_ms);
        stages.plan.push(cost.plan_ms);
        let t = Instant::now();
        env.step(action, &mut obs)?;
        stages.sim.push(ms(t));
        steps += 1;
        if let Some(rec) = recorder.as_deref_mut() {
            rec.step(action, &obs)?;
        }
        observer.after_step(agent, episode, steps);
        if action == Action::Stop {
            break;
        }
    }
    let result = env.result()?.ok_or_else(|| {
        Error::Config(format!(
            "the world {:?} has no ground truth (provides_ground_truth is false): a benchmark \
             run needs episode results; drive a robot with `cow deploy`",
            capabilities.simulator
        ))
    })?;
    config.limits.check_result(&result)?;
    if let Some(rec) = recorder {
        rec.finish()?;
    }
    let localized = agent.goal_localized().map(|_| first_localized.is_some());
    let outcome = Outcome::classify(&result, localized);
    Ok(EpisodeRecord {
        format: RECORD_FORMAT.to_string(),
        episode: episode.clone(),
        agent: agent.name().to_string(),
        localizer: agent.localizer_name().map(str::to_string),
        max_steps: config.max_steps,
        result,
        first_localized_step: first_localized,
        outcome,
        timing: stages.summarise(started.elapsed().as_secs_f64()),
    })
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

/// Per-step samples of each stage during one episode.
#[derive(Debug, Default)]
struct StageSamples {
    agent: Vec<f64>,
    localize: Vec<f64>,
    map: Vec<f64>,
    frontier: Vec<f64>,
    plan: Vec<f64>,
    act: Vec<f64>,
    sim: Vec<f64>,
}

impl StageSamples {
    fn with_capacity(n: usize) -> Self {
        let v = || Vec::with_capacity(n);
        StageSamples {
            agent: v(),
            localize: v(),
            map: v(),
            frontier: v(),
            plan: v(),
            act: v(),
            sim: v(),
        }
    }

    fn summarise(&self, wall_s: f64) -> EpisodeTiming {
        EpisodeTiming {
            agent: TimingSummary::of(&self.agent),
            localize: TimingSummary::of(&self.localize),
            map: TimingSummary::of(&self.map),
            frontier: TimingSummary::of(&self.frontier),
            plan: TimingSummary::of(&self.plan),
            act: TimingSummary::of(&self.act),
            sim: TimingSummary::of(&self.sim),
            wall_s,
        }
    }
}
