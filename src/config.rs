//! The TOML configuration of the `cow` binary. Every field is documented
//! and defaulted, unknown fields are errors (a typo must not silently fall
//! back to a default), and command-line flags override the file.

use std::path::{Path, PathBuf};

use agent::cow::CowConfig;
use agent::perception::LocalizerConfig;
use anyhow::{bail, Context};
use embedded::sim::SimConfig;
use embedded::splits::Split;
use serde::{Deserialize, Serialize};
use sim_bridge::limits::Limits;

/// The whole configuration file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Where observations come from and which episodes run.
    pub sim: SimSection,
    /// Runner settings.
    pub run: RunSection,
    /// Which agent acts, and its settings.
    pub agent: AgentSection,
    /// `cow deploy`: the robot session.
    pub deploy: DeploySection,
}

/// `[deploy]`: a live session on a robot (`cow deploy`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeploySection {
    /// The robot side's protocol endpoint (the ROS node).
    pub robot: String,
    /// Name of the session, sent as the `reset`'s episode id.
    pub session: String,
    /// Goal in words to start with; unset: wait for the robot side's.
    pub goal: Option<String>,
    /// Most actions for one goal before the agent gives up with Stop (0: no limit).
    pub max_steps: u32,
    /// How often to ask again while waiting (for a goal, an e-stop release, the robot), ms.
    pub poll_ms: u64,
    /// End after the first Stop instead of waiting for the next goal.
    pub once: bool,
    /// Forget the map whenever the connection to the robot comes back.
    pub reset_map_on_reconnect: bool,
    /// Telemetry PUB endpoint to bind (status and map for people watching); unset: none.
    pub telemetry: Option<String>,
    /// Most telemetry messages per second.
    pub telemetry_hz: f32,
    /// CURVE: the robot side's public certificate (with `client_key`).
    pub server_key: Option<PathBuf>,
    /// CURVE: this side's secret certificate (with `server_key`).
    pub client_key: Option<PathBuf>,
    /// CURVE on the telemetry socket: its secret certificate (with `telemetry_clients`).
    pub telemetry_key: Option<PathBuf>,
    /// CURVE on the telemetry socket: the folder of admitted subscribers' public certificates.
    pub telemetry_clients: Option<PathBuf>,
}

impl Default for DeploySection {
    fn default() -> Self {
        DeploySection {
            robot: "tcp://127.0.0.1:5570".into(),
            session: "cow".into(),
            goal: None,
            max_steps: 500,
            poll_ms: 500,
            once: false,
            reset_map_on_reconnect: false,
            telemetry: None,
            telemetry_hz: 4.0,
            server_key: None,
            client_key: None,
            telemetry_key: None,
            telemetry_clients: None,
        }
    }
}

/// `[sim]`: the observation source and the episodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SimSection {
    /// `"embedded"` (the in-process simulator over inproc://) or a server
    /// endpoint such as `"tcp://127.0.0.1:5555"`.
    pub source: String,
    /// Split of the embedded episodes: `"train"`, `"val"` or `"test"`.
    pub split: String,
    /// Number of episodes the embedded simulator generates for the split
    /// (per goal variant).
    pub count: usize,
    /// Goal variants of the generated embedded episodes: `"category"`
    /// (plain, the default), and with `sim.embedded.world_version = 2`
    /// `"appearance"`, `"spatial"`, `"hidden"`, `"uncommon"`
    /// (`embedded::variants`).
    pub variants: Vec<String>,
    /// Read episodes from this file instead of generating them (embedded
    /// source only; empty = generate).
    pub episode_file: Option<PathBuf>,
    /// Reply timeout per request to a remote source, milliseconds.
    pub timeout_ms: u64,
    /// Retries (with reconnect) before a request fails.
    pub retries: u32,
    /// Seconds a worker whose source was lost (no reply after the retries,
    /// or a server that restarted mid-episode) keeps asking it for `hello`
    /// before the worker stops; a server back on the same endpoint within
    /// them is picked up (0: stop at once).
    pub reconnect_s: f64,
    /// Bounds on what the source declares (`[sim.limits]`): frame size,
    /// episode coordinates and result distances.
    pub limits: Limits,
    /// The embedded simulator's own settings (camera, motion, noise).
    pub embedded: SimConfig,
}

impl Default for SimSection {
    fn default() -> Self {
        SimSection {
            source: "embedded".into(),
            split: "test".into(),
            count: 200,
            variants: vec!["category".into()],
            episode_file: None,
            timeout_ms: 10_000,
            retries: 3,
            reconnect_s: 120.0,
            limits: Limits::default(),
            embedded: SimConfig::default(),
        }
    }
}

/// `[run]`: the runner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RunSection {
    /// Step budget per episode (the Habitat / RoboTHOR challenge default is 500).
    pub max_steps: u32,
    /// Run directory for result files.
    pub out_dir: PathBuf,
    /// Run only the first N episodes (0 = all).
    pub episodes: usize,
    /// Seed of the agent's randomness.
    pub seed: u64,
    /// Abort after this many failed episodes in a row.
    pub max_consecutive_errors: u32,
}

impl Default for RunSection {
    fn default() -> Self {
        RunSection {
            max_steps: 500,
            out_dir: PathBuf::from("runs/latest"),
            episodes: 0,
            seed: 0,
            max_consecutive_errors: 3,
        }
    }
}

/// `[agent]`: which agent acts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentSection {
    /// `"cow"` (the CoW agent) or `"random"` (the uniform random baseline).
    pub kind: String,
    /// Localizer of the CoW agent: `"oracle"` (ground truth from the
    /// simulator's semantic frames), or a CLIP localizer through ONNX
    /// Runtime: `"patch"`, `"grad"`, `"dense"` (settings in `[agent.clip]`).
    pub localizer: String,
    /// The CoW agent's settings (`[agent.cow]`).
    pub cow: CowConfig,
    /// Settings of the CLIP localizers (`[agent.clip]`): model bundle,
    /// ONNX Runtime device and threads, templates, threshold.
    pub clip: LocalizerConfig,
}

impl Default for AgentSection {
    fn default() -> Self {
        AgentSection {
            kind: "cow".into(),
            localizer: "oracle".into(),
            cow: CowConfig::default(),
            clip: LocalizerConfig::default(),
        }
    }
}

impl Config {
    /// Reads a TOML file; a missing file is an error naming it.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        let config: Config =
            toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))?;
        config
            .validate()
            .with_context(|| format!("checking config {}", path.display()))?;
        Ok(config)
    }

    /// The implicit configuration: `path` if it exists, else the copy of
    /// `configs/embedded.toml` built into the binary (the same settings:
    /// running cow outside the repository is never a quietly different
    /// experiment). A file the user named goes through [`Config::load`].
    pub fn load_implicit(path: &Path) -> anyhow::Result<Config> {
        if path.exists() {
            return Config::load(path);
        }
        tracing::info!(
            "{} not found here: using the built-in copy of configs/embedded.toml",
            path.display()
        );
        Config::builtin()
    }

    /// The shipped `configs/embedded.toml`, as built into the binary.
    pub fn builtin() -> anyhow::Result<Config> {
        let config: Config = toml::from_str(BUILTIN)
            .context("parsing the built-in copy of configs/embedded.toml")?;
        config.validate()?;
        Ok(config)
    }

    /// Checks values serde cannot.
    pub fn validate(&self) -> anyhow::Result<()> {
        parse_split(&self.sim.split)?;
        self.variants()?;
        let r = self.sim.reconnect_s;
        if !(r.is_finite() && (0.0..=86_400.0).contains(&r)) {
            bail!("sim.reconnect_s {r} must be between 0 and 86400 seconds");
        }
        if self.run.max_steps == 0 {
            bail!("run.max_steps must be at least 1");
        }
        if !matches!(self.agent.kind.as_str(), "random" | "cow") {
            bail!("agent.kind {:?} is not one of random, cow", self.agent.kind);
        }
        if !LOCALIZERS.contains(&self.agent.localizer.as_str()) {
            bail!(
                "agent.localizer {:?} is not one of {}",
                self.agent.localizer,
                LOCALIZERS.join(", ")
            );
        }
        let d = &self.deploy;
        if d.server_key.is_some() != d.client_key.is_some() {
            bail!("deploy.server_key and deploy.client_key go together (CURVE needs both)");
        }
        if d.telemetry_key.is_some() != d.telemetry_clients.is_some() {
            bail!("deploy.telemetry_key and deploy.telemetry_clients go together");
        }
        if !(d.telemetry_hz.is_finite() && d.telemetry_hz > 0.0 && d.telemetry_hz <= 100.0) {
            bail!(
                "deploy.telemetry_hz {} must be above 0 and at most 100",
                d.telemetry_hz
            );
        }
        let cow = &self.agent.cow;
        cow.validate()?;
        if let Some(r) = cow.reexplore_max_depth {
            if !(r.is_finite() && r > cow.map.min_depth) {
                bail!(
                    "agent.cow.reexplore_max_depth {r} must be a range in metres above \
                     agent.cow.map.min_depth ({})",
                    cow.map.min_depth
                );
            }
        }
        Ok(())
    }
}

impl Config {
    /// The goal variants of `sim.variants`, checked: known names, at least
    /// one, and any but `category` only in world version 2.
    pub fn variants(&self) -> anyhow::Result<Vec<embedded::variants::Variant>> {
        use embedded::variants::Variant;
        let v = Variant::parse_list(&self.sim.variants.join(","))?;
        if self.sim.embedded.world_version != 2 && v != [Variant::Category] {
            bail!(
                "sim.variants {:?} need sim.embedded.world_version = 2 (configs/embedded-v2.toml); \
                 world version {} has category goals only",
                self.sim.variants,
                self.sim.embedded.world_version
            );
        }
        Ok(v)
    }
}

/// `configs/embedded.toml`, built in: the implicit configuration.
const BUILTIN: &str = include_str!("../configs/embedded.toml");

/// Localizers the binary can build.
pub const LOCALIZERS: &[&str] = &["oracle", "patch", "grad", "dense", "owl"];

/// Parses a split name.
pub fn parse_split(s: &str) -> anyhow::Result<Split> {
    match s {
        "train" => Ok(Split::Train),
        "val" => Ok(Split::Val),
        "test" => Ok(Split::Test),
        other => bail!("unknown split {other:?} (expected train, val or test)"),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn shipped_configs_parse_and_validate() {
        for entry in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/configs")).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "toml") {
                Config::load(&path).unwrap();
            }
        }
    }

    #[test]
    fn unknown_fields_and_bad_values_are_errors() {
        let err = toml::from_str::<Config>("[run]\nmax_step = 3\n").unwrap_err();
        assert!(err.to_string().contains("max_step"), "{err}");
        let bad: Config = toml::from_str("[sim]\nsplit = \"tset\"\n").unwrap();
        let err = bad.validate().unwrap_err();
        assert!(err.to_string().contains("tset"), "{err}");
        let bad: Config = toml::from_str("[agent.cow]\nreexplore_max_depth = 0.0\n").unwrap();
        let err = bad.validate().unwrap_err();
        assert!(err.to_string().contains("reexplore_max_depth"), "{err}");
        let err = toml::from_str::<Config>("[agent.cow]\nexplore = \"valu\"\n").unwrap_err();
        assert!(err.to_string().contains("valu"), "{err}");
        let bad: Config = toml::from_str("[agent.cow]\nvalue_radius = 9.0\n").unwrap();
        let err = bad.validate().unwrap_err();
        assert!(err.to_string().contains("value_radius = 9"), "{err}");
    }

    /// Every field of the configuration appears in `configs/embedded.toml`,
    /// set or commented out, inside its section (the file documents them all).
    #[test]
    fn the_shipped_config_names_every_field() {
        fn walk(v: &toml::Value, section: &str, out: &mut Vec<(String, String)>) {
            if let toml::Value::Table(t) = v {
                for (k, v) in t {
                    if v.is_table() {
                        let sub = if section.is_empty() {
                            k.clone()
                        } else {
                            format!("{section}.{k}")
                        };
                        walk(v, &sub, out);
                    } else {
                        out.push((section.to_string(), k.clone()));
                    }
                }
            }
        }
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/configs/embedded.toml"
        ))
        .unwrap();
        // Section of each line: the last `[header]` above it.
        let mut section = String::new();
        let mut named = std::collections::HashSet::new();
        for line in text.lines() {
            let l = line.trim_start_matches('#').trim();
            if l.starts_with('[') && l.ends_with(']') && !line.starts_with('#') {
                section = l.trim_matches(|c| c == '[' || c == ']').to_string();
            } else if let Some((k, _)) = l.split_once('=') {
                named.insert((section.clone(), k.trim().to_string()));
            }
        }
        let mut fields = Vec::new();
        // Optional fields are absent from the serialised defaults: fill them.
        let mut c = Config::default();
        c.sim.episode_file = Some("x".into());
        c.agent.cow.goal_threshold = Some(0.5);
        c.agent.cow.stop_threshold = Some(0.5);
        c.agent.cow.unknown_cost = Some(1.0);
        c.agent.cow.reexplore_max_depth = Some(1.0);
        c.agent.clip.templates = Some(agent::perception::TemplateSet::Single);
        c.agent.clip.threshold = Some(0.5);
        c.agent.clip.runtime.onnxruntime = Some("x".into());
        c.deploy.goal = Some("x".into());
        c.deploy.telemetry = Some("x".into());
        c.deploy.server_key = Some("x".into());
        c.deploy.client_key = Some("x".into());
        c.deploy.telemetry_key = Some("x".into());
        c.deploy.telemetry_clients = Some("x".into());
        walk(&toml::Value::try_from(&c).unwrap(), "", &mut fields);
        let missing: Vec<_> = fields
            .iter()
            .filter(|f| !named.contains(*f))
            .map(|(s, k)| format!("[{s}] {k}"))
            .collect();
        assert!(
            missing.is_empty(),
            "configs/embedded.toml lacks {missing:?}"
        );
    }

    /// The robot preset runs the shipped model with the settings tuned for it in
    /// `configs/embedded.toml` (the built-in defaults are plain CoW's); only the
    /// robot's own fields differ.
    #[test]
    fn the_robot_preset_keeps_the_shipped_models_tuned_settings() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/configs");
        let shipped = Config::load(Path::new(&format!("{dir}/embedded.toml"))).unwrap();
        let robot = Config::load(Path::new(&format!("{dir}/robot.toml"))).unwrap();
        assert_eq!(robot.agent.kind, shipped.agent.kind);
        assert_eq!(robot.agent.localizer, shipped.agent.localizer);
        assert_eq!(robot.agent.clip, shipped.agent.clip);
        let mut cow = robot.agent.cow.clone();
        // A robot's own: odometry restarts become a new map; an uneven floor.
        cow.on_pose_jump = shipped.agent.cow.on_pose_jump;
        cow.map.floor_tolerance = shipped.agent.cow.map.floor_tolerance;
        assert_eq!(cow, shipped.agent.cow);
    }

    #[test]
    fn defaults_fill_missing_fields() {
        let c: Config = toml::from_str("[run]\nmax_steps = 20\n").unwrap();
        assert_eq!(c.run.max_steps, 20);
        assert_eq!(c.sim, SimSection::default());
    }
}
