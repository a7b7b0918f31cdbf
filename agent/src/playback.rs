//! Playing a recorded episode back through the CoW agent one step at a
//! time, to show what it knew at each step (`cow replay`). The recorded
//! frames, poses and action outcomes go in, and the localizer's output is
//! the relevance the agent computed during the run (`relevance.bin`), so
//! the map, its frontiers and its goal evidence are rebuilt as the agent
//! had them. ([`crate::replay`] is the timing benchmark over recordings,
//! `cow bench replay`.)
//!
//! The replayed agent chooses the recorded action at every step when the
//! recording has its relevance and the agent settings are the run's: the
//! agent is deterministic (its randomness is seeded from the episode id)
//! and sees exactly what it saw then. It can differ when the recording has
//! no relevance (older recordings: goal evidence is then missing), when the
//! settings differ from the run's, or when the run's agent was not CoW. The
//! frames shown are the recorded ones in any case; [`PlaybackStep`] gives
//! both actions.

use std::sync::{Arc, Mutex};

use sim_bridge::{Action, Capabilities, Frame, Observation};

use crate::agent::{Agent, EpisodeStart};
use crate::cow::{CowAgent, CowConfig, EpisodeState, Mode};
use crate::localize::{Goal, Localizer};
use crate::record::Recording;
use crate::replay::BlindLocalizer;
use crate::Error;

/// A localizer whose output is the relevance a recording holds for the
/// frame being played back (handed over by [`Playback`] before each step).
#[derive(Debug)]
struct RecordedLocalizer {
    next: Arc<Mutex<Option<Vec<f32>>>>,
    threshold: f32,
}

impl Localizer for RecordedLocalizer {
    fn name(&self) -> &str {
        "recorded"
    }

    fn set_goal(&mut self, _goal: &Goal, _caps: &Capabilities) -> Result<(), Error> {
        Ok(())
    }

    fn localize(&mut self, _frame: &Frame, out: &mut [f32]) -> Result<(), Error> {
        let mut slot = self.next.lock().unwrap_or_else(|e| e.into_inner());
        let values = slot.take().ok_or_else(|| Error::Localize {
            localizer: "recorded".into(),
            message: "no recorded relevance for this frame".into(),
        })?;
        if values.len() != out.len() {
            return Err(Error::Localize {
                localizer: "recorded".into(),
                message: format!(
                    "recorded relevance has {} values, the frame {}",
                    values.len(),
                    out.len()
                ),
            });
        }
        out.copy_from_slice(&values);
        Ok(())
    }

    fn threshold(&self) -> f32 {
        self.threshold
    }
}

/// One played-back step: the agent acted on recorded frame `frame`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PlaybackStep {
    /// Index of the recorded frame (the number of actions before it).
    pub frame: usize,
    /// The action the agent took on this frame during the run.
    pub recorded_action: Action,
    /// Whether that action did what it should during the run.
    pub recorded_success: bool,
    /// The action the replayed agent chose.
    pub replayed_action: Action,
    /// What the replayed agent's policy is doing after this step.
    pub mode: Mode,
}

impl PlaybackStep {
    /// Whether the replayed agent chose the recorded action.
    pub fn matches(&self) -> bool {
        self.recorded_action == self.replayed_action
    }
}

/// A recorded episode being played back through a CoW agent.
pub struct Playback<'r> {
    recording: &'r Recording,
    agent: CowAgent,
    slot: Option<Arc<Mutex<Option<Vec<f32>>>>>,
    obs: Observation,
    next: usize,
}

impl std::fmt::Debug for Playback<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Playback")
            .field("recording", &self.recording.dir)
            .field("next", &self.next)
            .finish()
    }
}

impl<'r> Playback<'r> {
    /// Prepares the playback of `recording` with the agent settings
    /// `config` (those of the run for a faithful replay). Its relevance is
    /// used as recorded: the agent's `center` reduction, already applied,
    /// is not applied again, and its goal threshold is the recorded one.
    /// Without recorded relevance the agent sees no goal.
    pub fn new(recording: &'r Recording, config: &CowConfig) -> Result<Self, Error> {
        let index = &recording.index;
        let mut cfg = config.clone();
        let (localizer, slot): (Box<dyn Localizer>, _) = match &index.relevance {
            Some(info) => {
                if info.frames + 1 < index.frames {
                    return Err(Error::Observation(format!(
                        "{} holds relevance for {} of its {} acted-on frames",
                        recording.dir.display(),
                        info.frames,
                        index.frames - 1
                    )));
                }
                cfg.center = false;
                cfg.goal_threshold = Some(info.threshold);
                let slot = Arc::new(Mutex::new(None));
                let localizer = RecordedLocalizer {
                    next: Arc::clone(&slot),
                    threshold: info.threshold,
                };
                (Box::new(localizer) as Box<dyn Localizer>, Some(slot))
            }
            None => (Box::new(BlindLocalizer) as Box<dyn Localizer>, None),
        };
        let mut agent = CowAgent::new(cfg, localizer);
        agent.reset(&EpisodeStart::of_episode(
            &index.episode,
            &index.capabilities,
            index.frames as u32,
        ))?;
        Ok(Playback {
            recording,
            agent,
            slot,
            obs: Observation::default(),
            next: 0,
        })
    }

    /// Number of steps: the recorded actions, one per frame but the last.
    pub fn len(&self) -> usize {
        self.recording.len().saturating_sub(1)
    }

    /// Whether the recording holds no action.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether the agent sees the recorded relevance (else no goal at all).
    pub fn has_relevance(&self) -> bool {
        self.slot.is_some()
    }

    /// The recording being played back.
    pub fn recording(&self) -> &'r Recording {
        self.recording
    }

    /// The replayed agent's episode state after the last step.
    pub fn state(&self) -> Option<&EpisodeState> {
        self.agent.state()
    }

    /// The replayed agent.
    pub fn agent(&self) -> &CowAgent {
        &self.agent
    }

    /// Plays the next step (the agent acts on the next recorded frame);
    /// `None` after the last.
    pub fn step(&mut self) -> Result<Option<PlaybackStep>, Error> {
        let i = self.next;
        if i >= self.len() {
            return Ok(None);
        }
        let rec = self.recording;
        let steps = &rec.index.steps;
        let (this, after) = (&steps[i], &steps[i + 1]);
        let recorded_action = after.action.ok_or_else(|| {
            Error::Observation(format!(
                "{}: frame {} has no action",
                rec.dir.display(),
                i + 1
            ))
        })?;
        if let Some(slot) = &self.slot {
            let values = rec.relevance(i).ok_or_else(|| {
                Error::Observation(format!("{}: no relevance for frame {i}", rec.dir.display()))
            })?;
            // Taken by the localizer: one recorded frame per `localize`.
            *slot.lock().unwrap_or_else(|e| e.into_inner()) = Some(values.to_vec());
        }
        rec.frame_into(i, &mut self.obs.frame);
        self.obs.episode_id.clone_from(&rec.index.episode.id);
        self.obs.goal.clone_from(&rec.index.goal);
        self.obs
            .goal_category
            .clone_from(&rec.index.episode.object_type);
        self.obs.step = this.step;
        self.obs.pose = this.pose;
        self.obs.last_action = this.action;
        self.obs.last_action_success = this.success;
        let replayed_action = self.agent.act(&self.obs)?;
        self.next += 1;
        Ok(Some(PlaybackStep {
            frame: i,
            recorded_action,
            recorded_success: after.success,
            replayed_action,
            mode: self.agent.mode().unwrap_or(Mode::Spin),
        }))
    }
}
