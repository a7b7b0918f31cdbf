//! Playing a recorded episode back through the CoW agent
//! (`agent::playback`): the runner records the agent's relevance, and the
//! replayed agent, fed that relevance, chooses every recorded action and
//! rebuilds the same map picture at every step. The localizer gives
//! continuous confidences around the threshold (the oracle scaled by a
//! depth ramp, plus a little everywhere), so that any rounding of the
//! recorded relevance would show. Without the relevance the replayed map
//! holds no goal evidence.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use agent::cow::{CowAgent, CowConfig};
use agent::playback::Playback;
use agent::record::{list_recordings, Recorder, Recording};
use agent::runner::{run_episode, RunObserver, RunnerConfig};
use agent::{Agent, Environment, Error};
use common::AlteredOracle;
use embedded::sim::{EmbeddedSim, SimConfig};
use embedded::splits::{generate, Split};
use image::RgbImage;
use sim_bridge::{Action, Backend, Capabilities, Episode, EpisodeResult, Observation};

/// The embedded simulator in-process, without the wire.
struct Embedded(EmbeddedSim);

impl Environment for Embedded {
    fn capabilities(&mut self) -> Result<Capabilities, Error> {
        Ok(self.0.hello())
    }
    fn episodes(&mut self) -> Result<Vec<Episode>, Error> {
        Ok(self.0.list_episodes())
    }
    fn reset(
        &mut self,
        name: &str,
        _goal: Option<&str>,
        obs: &mut Observation,
    ) -> Result<(), Error> {
        *obs = self.0.reset(name)?;
        Ok(())
    }
    fn step(&mut self, action: Action, obs: &mut Observation) -> Result<(), Error> {
        *obs = self.0.step(action)?;
        Ok(())
    }
    fn result(&mut self) -> Result<Option<EpisodeResult>, Error> {
        Ok(Some(self.0.episode_result()?))
    }
}

/// Keeps the agent's map picture after every action.
#[derive(Default)]
struct Maps(Vec<RgbImage>);

impl RunObserver for Maps {
    fn after_step(&mut self, agent: &dyn Agent, _episode: &Episode, _step: u32) {
        self.0.push(agent.render_map(None).unwrap());
    }
}

fn agent(config: &CowConfig) -> CowAgent {
    let localizer = AlteredOracle::new(|frame: &sim_bridge::Frame, out: &mut [f32]| {
        for (c, d) in out.iter_mut().zip(&frame.depth) {
            *c = *c * (0.4 + 0.06 * d.clamp(0.0, 10.0)) + 0.02 * d.fract();
        }
    });
    CowAgent::new(config.clone(), Box::new(localizer))
}

/// Runs and records `episodes` with `config`; the map pictures of each.
fn record(config: &CowConfig, episodes: &[Episode], dir: &Path) -> Vec<Vec<RgbImage>> {
    let cfg = SimConfig::default();
    let mut env = Embedded(EmbeddedSim::new(cfg, episodes.to_vec()).unwrap());
    let caps = env.capabilities().unwrap();
    let mut agent = agent(config);
    let run = RunnerConfig {
        max_steps: 120,
        out_dir: dir.join("run"),
        resume: false,
        record_dir: None,
        max_consecutive_errors: 1,
        reconnect: Default::default(),
        limits: Default::default(),
    };
    let mut recorder = Recorder::new(dir.join("rec"));
    episodes
        .iter()
        .map(|ep| {
            let mut maps = Maps::default();
            run_episode(
                &mut env,
                &mut agent,
                ep,
                &caps,
                &run,
                Some(&mut recorder),
                &mut maps,
            )
            .unwrap();
            maps.0
        })
        .collect()
}

fn check_faithful(config: CowConfig) {
    let episodes = generate(Split::Test, 2, &SimConfig::default());
    let dir = tempfile::tempdir().unwrap();
    let maps = record(&config, &episodes, dir.path());
    let mut goal_seen = false;
    for (path, run_maps) in list_recordings(&dir.path().join("rec"))
        .unwrap()
        .iter()
        .zip(&maps)
    {
        let rec = Recording::open(path).unwrap();
        let info = rec.index.relevance.clone().unwrap();
        assert_eq!(info.frames, rec.len() - 1, "one relevance per action");
        assert_eq!(info.localizer.as_deref(), Some("altered-oracle"));
        goal_seen |= (0..info.frames).any(|i| {
            rec.relevance(i)
                .unwrap()
                .iter()
                .any(|v| *v > info.threshold)
        });
        let mut playback = Playback::new(&rec, &config).unwrap();
        assert_eq!(playback.len(), run_maps.len());
        let mut k = 0;
        while let Some(step) = playback.step().unwrap() {
            assert!(
                step.matches(),
                "{}: step {k}: recorded {:?}, replayed {:?}",
                rec.index.episode.id,
                step.recorded_action,
                step.replayed_action
            );
            let map = playback.agent().render_map(None).unwrap();
            assert!(
                map == run_maps[k],
                "{}: the map differs at step {k}",
                rec.index.episode.id
            );
            k += 1;
        }
        assert_eq!(k, run_maps.len());
    }
    assert!(
        goal_seen,
        "the goal was never in view: the test shows nothing"
    );
}

#[test]
fn the_replayed_agent_takes_the_recorded_actions_and_rebuilds_the_map() {
    check_faithful(CowConfig::default());
}

#[test]
fn the_replay_is_faithful_with_the_center_reduction_too() {
    check_faithful(CowConfig {
        center: true,
        ..CowConfig::default()
    });
}

#[test]
fn without_the_recorded_relevance_there_is_no_goal_evidence() {
    let config = CowConfig::default();
    let episodes = generate(Split::Test, 1, &SimConfig::default());
    let dir = tempfile::tempdir().unwrap();
    record(&config, &episodes, dir.path());
    let path = &list_recordings(&dir.path().join("rec")).unwrap()[0];
    let mut rec = Recording::open(path).unwrap();
    let mut with = Playback::new(&rec, &config).unwrap();
    while with.step().unwrap().is_some() {}
    assert!(with.state().unwrap().map.evidence_cells().next().is_some());
    rec.index.relevance = None;
    let mut without = Playback::new(&rec, &config).unwrap();
    assert!(!without.has_relevance());
    while without.step().unwrap().is_some() {}
    assert!(without
        .state()
        .unwrap()
        .map
        .evidence_cells()
        .next()
        .is_none());
}
