//! `cow deploy`: the agent drives a robot through its robot-side protocol
//! server (the ROS node), in a long-lived session (`agent::session`), and
//! publishes telemetry for people watching.
//!
//! Telemetry: a ZeroMQ PUB socket (bound; conflated, so a slow subscriber
//! gets the latest message only), single-part UTF-8 JSON messages at most
//! `deploy.telemetry_hz` per second: `{"step", "mode", "goal", "pose": {"x",
//! "y", "yaw"}, "confidence", "step_ms", "action", "map": {"resolution",
//! "origin": {"x", "y"}, "width", "height", "png"}, "evidence": [[x, y,
//! confidence], ...]}`. `map.png` is base64 of an 8-bit grey PNG of the
//! occupancy grid in map_server's convention (0 occupied, 254 free, 205
//! unknown), row 0 the largest y, column 0 the smallest x; `origin` is the
//! world position (metres) of the lower-left corner of the lower-left cell.
//! While the session waits (for a goal, or after a Stop) the latest message
//! is sent again at the same rate, so a subscriber that joins late (RViz
//! started after the robot stopped) still gets the current state.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use base64::Engine as _;
use serde_json::json;

use agent::session::{log_event, run_session, Event, SessionConfig, SessionObserver};
use agent::{Agent, Remote, StepCost};
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::curve::{Authenticator, ClientKeys, ServerKeys};
use sim_bridge::Action;

use crate::cli::DeployArgs;
use crate::cmd::unless_named;
use crate::config::Config;

/// Applies the command line to the configuration.
fn apply_overrides(config: &mut Config, args: &DeployArgs) -> anyhow::Result<()> {
    let d = &mut config.deploy;
    if let Some(r) = &args.robot {
        d.robot = r.clone();
    }
    if let Some(g) = &args.goal {
        d.goal = Some(g.clone());
    }
    if let Some(s) = &args.session {
        d.session = s.clone();
    }
    if args.reset_map {
        d.reset_map_on_reconnect = true;
    }
    if let Some(t) = &args.telemetry {
        d.telemetry = Some(t.clone());
    }
    if let Some(k) = &args.server_key {
        d.server_key = Some(k.clone());
    }
    if let Some(k) = &args.client_key {
        d.client_key = Some(k.clone());
    }
    if let Some(n) = args.max_steps {
        d.max_steps = n;
    }
    if args.once {
        d.once = true;
    }
    crate::cmd::agents::apply_localizer_override(config, args.localizer.as_deref())?;
    config.validate()
}

/// Runs the session until Ctrl-C (or the first Stop with `--once`).
pub fn run(args: &DeployArgs) -> anyhow::Result<()> {
    let mut config = args.config.load()?;
    apply_overrides(&mut config, args)?;
    let d = config.deploy.clone();
    let mut agent = crate::cmd::agents::build_agent(&config)?;
    let ctx = zmq::Context::new();
    let curve = match (&d.client_key, &d.server_key) {
        (Some(client), Some(server)) => Some(ClientKeys::load(client, server)?),
        _ => None,
    };
    let client = Client::connect(
        &ctx,
        ClientConfig {
            endpoint: d.robot.clone(),
            timeout_ms: config.sim.timeout_ms,
            retries: config.sim.retries,
            limits: config.sim.limits,
            curve,
        },
    );
    let client = unless_named(client, &d.robot, || format!("connecting to {}", d.robot))?;
    let telemetry = match &d.telemetry {
        Some(endpoint) => Some(Telemetry::bind(&ctx, endpoint, &d)?),
        None => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")?;
    let session = SessionConfig {
        name: d.session.clone(),
        goal: d.goal.clone(),
        max_steps: d.max_steps,
        once: d.once,
        poll: Duration::from_millis(d.poll_ms),
        reset_map_on_reconnect: d.reset_map_on_reconnect,
    };
    tracing::info!(robot = %d.robot, session = %d.session, goal = ?d.goal, "deploying");
    let mut observer = Watch {
        telemetry,
        goal: String::new(),
    };
    let report = run_session(
        &mut Remote::new(client),
        agent.as_mut(),
        &session,
        &mut observer,
        &stop,
    )?;
    println!(
        "session {}: {} goal(s), {} Stop(s), {} actions, {} reconnect(s), {} e-stop(s), {} stale frame(s) refused",
        d.session,
        report.goals,
        report.stops,
        report.steps,
        report.reconnects,
        report.estops,
        report.stale_frames
    );
    Ok(())
}

/// Logs events and publishes telemetry.
struct Watch {
    telemetry: Option<Telemetry>,
    goal: String,
}

impl SessionObserver for Watch {
    fn event(&mut self, event: &Event) {
        log_event(event);
        if let Event::Goal { text, .. } = event {
            self.goal = text.clone();
        }
    }

    fn step(&mut self, agent: &dyn Agent, action: Action, cost: &StepCost, step_ms: f64) {
        if let Some(t) = self.telemetry.as_mut() {
            if let Err(e) = t.publish(agent, &self.goal, action, cost, step_ms) {
                // Telemetry is for people watching: a failure never stops the robot.
                tracing::warn!("telemetry: {e:#}");
            }
        }
    }

    fn idle(&mut self) {
        if let Some(t) = self.telemetry.as_mut() {
            if let Err(e) = t.republish() {
                tracing::warn!("telemetry: {e:#}");
            }
        }
    }
}

/// The telemetry PUB socket.
struct Telemetry {
    socket: zmq::Socket,
    /// Keeps the ZAP handler of a CURVE socket alive.
    _auth: Option<Authenticator>,
    min_interval: Duration,
    last: Option<Instant>,
    steps: u64,
    /// The last message sent, sent again while the session waits.
    latest: Option<Vec<u8>>,
}

impl Telemetry {
    fn bind(
        ctx: &zmq::Context,
        endpoint: &str,
        d: &crate::config::DeploySection,
    ) -> anyhow::Result<Self> {
        let socket = ctx.socket(zmq::PUB)?;
        socket.set_conflate(true)?;
        socket.set_linger(0)?;
        let auth = match (&d.telemetry_key, &d.telemetry_clients) {
            (Some(key), Some(clients)) => {
                let keys = ServerKeys::load(key, clients)?;
                let auth = Authenticator::start(ctx, keys.allowed.clone())?;
                keys.apply(&socket)?;
                Some(auth)
            }
            _ => None,
        };
        socket
            .bind(endpoint)
            .with_context(|| format!("binding the telemetry socket {endpoint}"))?;
        tracing::info!(%endpoint, curve = auth.is_some(), "telemetry");
        Ok(Telemetry {
            socket,
            _auth: auth,
            min_interval: Duration::from_secs_f32(1.0 / d.telemetry_hz),
            last: None,
            steps: 0,
            latest: None,
        })
    }

    fn publish(
        &mut self,
        agent: &dyn Agent,
        goal: &str,
        action: Action,
        cost: &StepCost,
        step_ms: f64,
    ) -> anyhow::Result<()> {
        self.steps += 1;
        if self.last.is_some_and(|t| t.elapsed() < self.min_interval) {
            return Ok(());
        }
        self.last = Some(Instant::now());
        let status = agent.status();
        let map = match status.as_ref().and_then(|s| s.map.as_ref()) {
            Some(m) => {
                let png = map_png(m)?;
                json!({
                    "resolution": m.resolution,
                    "origin": {"x": m.origin.0, "y": m.origin.1},
                    "width": m.width,
                    "height": m.height,
                    "png": base64::engine::general_purpose::STANDARD.encode(png),
                })
            }
            None => serde_json::Value::Null,
        };
        let message = json!({
            "step": self.steps,
            "mode": status.as_ref().map(|s| s.mode.clone()),
            "goal": goal,
            "pose": status.as_ref().map(|s| json!({"x": s.pose.0, "y": s.pose.1, "yaw": s.pose.2})),
            "confidence": status.as_ref().map(|s| s.confidence),
            "step_ms": step_ms,
            "agent_ms": cost.agent_ms(),
            "localize_ms": cost.localize_ms,
            "action": action.name(),
            "map": map,
            "evidence": status.as_ref().map(|s| {
                s.evidence.iter().map(|&(x, y, c)| json!([x, y, c])).collect::<Vec<_>>()
            }),
        });
        let bytes = serde_json::to_vec(&message)?;
        self.socket
            .send(&bytes, zmq::DONTWAIT)
            .context("sending telemetry")?;
        self.latest = Some(bytes);
        Ok(())
    }

    /// Sends the last message again, at most `telemetry_hz` per second.
    fn republish(&mut self) -> anyhow::Result<()> {
        let Some(bytes) = &self.latest else {
            return Ok(());
        };
        if self.last.is_some_and(|t| t.elapsed() < self.min_interval) {
            return Ok(());
        }
        self.last = Some(Instant::now());
        self.socket
            .send(bytes.as_slice(), zmq::DONTWAIT)
            .context("sending telemetry")?;
        Ok(())
    }
}

/// The occupancy grid as an 8-bit grey PNG in map_server's convention (0
/// occupied, 254 free, 205 unknown), row 0 at the largest y.
fn map_png(m: &agent::MapSnapshot) -> anyhow::Result<Vec<u8>> {
    let (w, h) = (m.width, m.height);
    let img = image::GrayImage::from_fn(w, h, |x, y| {
        let row = (h - 1 - y) as usize;
        let v = m
            .cells
            .get(row * w as usize + x as usize)
            .copied()
            .unwrap_or(0);
        image::Luma([match v {
            1 => 254,
            2 => 0,
            _ => 205,
        }])
    });
    let mut out = std::io::Cursor::new(Vec::new());
    img.write_to(&mut out, image::ImageFormat::Png)
        .context("encoding the map as PNG")?;
    Ok(out.into_inner())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn the_map_png_follows_map_servers_convention() {
        // 2 x 2: row 0 (smallest y) free, occupied; row 1 unknown, free.
        let m = agent::MapSnapshot {
            resolution: 0.125,
            origin: (0.0, 0.0),
            width: 2,
            height: 2,
            cells: vec![1, 2, 0, 1],
        };
        let png = map_png(&m).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_luma8();
        // Image row 0 is the largest y: map row 1.
        assert_eq!(img.as_raw(), &vec![205, 254, 254, 0]);
    }
}
