//! `cow sim serve` and `cow sim episodes`: the embedded simulator as a
//! protocol v1 server, and episode files.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use std::path::Path;

use anyhow::Context;
use datasets::select::Shard;
use datasets::Format;
use embedded::sim::EmbeddedSim;
use embedded::splits::{generate, Split};
use embedded::variants::Variant;
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::curve::{Authenticator, ServerKeys};
use sim_bridge::server::Server;
use sim_bridge::Episode;

use crate::cli::{SimEpisodesArgs, SimServeArgs, SimWaitArgs};
use crate::cmd::unless_named;
use crate::config::{parse_split, Config};

/// The episodes of the embedded simulator for a config: from the episode
/// file when one is given, else generated for the split (`sim.count` of
/// each of `sim.variants`).
pub fn embedded_episodes(config: &Config) -> anyhow::Result<Vec<Episode>> {
    match &config.sim.episode_file {
        // The episode file's errors name it.
        Some(path) => Ok(datasets::cow::read(path)?),
        None => {
            let split = parse_split(&config.sim.split)?;
            config.sim.embedded.validate()?;
            generate_episodes(split, config.sim.count, &config.variants()?, config)
        }
    }
}

/// `count` episodes of each variant of `split` for the config's world.
fn generate_episodes(
    split: Split,
    count: usize,
    variants: &[Variant],
    config: &Config,
) -> anyhow::Result<Vec<Episode>> {
    let cfg = &config.sim.embedded;
    if variants == [Variant::Category] {
        return Ok(generate(split, count, cfg));
    }
    Ok(embedded::variants::generate(split, variants, count, cfg)?)
}

/// Serves the embedded simulator until a `close` request or Ctrl-C.
pub fn serve(args: &SimServeArgs) -> anyhow::Result<()> {
    let mut config = args.config.load()?;
    if let Some(s) = &args.split {
        config.sim.split = s.clone();
    }
    if let Some(n) = args.episodes {
        config.sim.count = n;
    }
    if let Some(f) = &args.episode_file {
        config.sim.episode_file = Some(f.clone());
    }
    config.validate()?;
    let episodes = embedded_episodes(&config)?;
    let n = episodes.len();
    let sim = EmbeddedSim::new(config.sim.embedded.clone(), episodes)?;
    let ctx = zmq::Context::new();
    let stop = Arc::new(AtomicBool::new(false));
    let flag = stop.clone();
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))
        .context("installing the Ctrl-C handler")?;
    // CURVE: the ZAP handler admits the listed clients (it lives as long as the server).
    let keys = match (&args.curve_key, &args.curve_clients) {
        (Some(key), Some(clients)) => Some(ServerKeys::load(key, clients)?),
        _ => None,
    };
    let _auth = keys
        .as_ref()
        .map(|k| Authenticator::start(&ctx, k.allowed.clone()))
        .transpose()?;
    let server = Server::bind_with_keys(&ctx, &args.bind, Box::new(sim), keys.as_ref());
    let mut server =
        unless_named(server, &args.bind, || format!("binding {}", args.bind))?.with_stop_flag(stop);
    tracing::info!(endpoint = %server.endpoint(), episodes = n, split = %config.sim.split, "serving the embedded simulator");
    let stats = server.serve()?;
    tracing::info!(?stats, "server stopped");
    Ok(())
}

/// `cow sim episodes`: lists a benchmark file's episodes (`--list`), or
/// writes a split's episodes in one of the formats.
pub fn episodes(args: &SimEpisodesArgs) -> anyhow::Result<()> {
    match &args.list {
        Some(path) => list(args, path),
        None => write(args),
    }
}

/// The scene, category and shard filters of the arguments.
fn select(args: &SimEpisodesArgs, episodes: Vec<Episode>) -> anyhow::Result<Vec<Episode>> {
    let mut episodes = datasets::select::filter(episodes, &args.scene, &args.category);
    if let Some(text) = &args.shard {
        let shard = Shard::parse(text).map_err(anyhow::Error::msg)?;
        episodes = shard.select(episodes);
    }
    Ok(episodes)
}

fn list(args: &SimEpisodesArgs, path: &Path) -> anyhow::Result<()> {
    let format = match args.format.as_str() {
        "auto" => Format::detect(path)?,
        name => Format::from_name(name).with_context(|| {
            format!("--format {name:?} is not one of auto, cow, habitat, robothor")
        })?,
    };
    let all = format.read(path)?;
    let total = all.len();
    let episodes = select(args, all)?;
    if let Some(out) = &args.out {
        datasets::cow::write(out, &episodes)?;
    }
    if args.json {
        for e in &episodes {
            println!("{}", serde_json::to_string(e)?);
        }
    } else {
        print!("{}", episode_table(&episodes));
    }
    let scenes: std::collections::BTreeSet<&str> =
        episodes.iter().map(|e| e.scene.as_str()).collect();
    eprintln!(
        "{} of {total} episodes ({} format, {} scenes) in {}{}",
        episodes.len(),
        format.name(),
        scenes.len(),
        path.display(),
        args.out
            .as_ref()
            .map(|o| format!("; written to {}", o.display()))
            .unwrap_or_default()
    );
    Ok(())
}

/// One line per episode: id, scene, category, goal words, start (world
/// frame), heading and shortest path length.
fn episode_table(episodes: &[Episode]) -> String {
    let width = |f: &dyn Fn(&Episode) -> usize, title: &str| {
        episodes.iter().map(f).max().unwrap_or(0).max(title.len())
    };
    let (wi, ws, wc) = (
        width(&|e| e.id.len(), "id"),
        width(&|e| e.scene.len(), "scene"),
        width(&|e| e.object_type.len(), "category"),
    );
    let wg = width(&|e| e.goal.len(), "goal");
    let mut s = format!(
        "{:<wi$}  {:<ws$}  {:<wc$}  {:<wg$}  {:>20}  {:>8}  {:>9}\n",
        "id", "scene", "category", "goal", "start x, y, z (m)", "heading", "shortest"
    );
    for e in episodes {
        let p = e.initial_position;
        s.push_str(&format!(
            "{:<wi$}  {:<ws$}  {:<wc$}  {:<wg$}  {:>20}  {:>7.1}°  {:>7.2} m\n",
            e.id,
            e.scene,
            e.object_type,
            e.goal,
            format!("{:.2}, {:.2}, {:.2}", p.x, p.y, p.z),
            e.initial_orientation,
            e.shortest_path_length
        ));
    }
    s
}

fn write(args: &SimEpisodesArgs) -> anyhow::Result<()> {
    let out = args
        .out
        .as_ref()
        .context("--out is needed to write episodes (or --list FILE to read them)")?;
    let mut config = args.config.load()?;
    if let Some(v) = args.world_version {
        config.sim.embedded.world_version = v;
    }
    if let Some(v) = &args.variants {
        config.sim.variants = v.split(',').map(|s| s.trim().to_string()).collect();
    }
    let split = parse_split(&args.split)?;
    let cfg = &config.sim.embedded;
    cfg.validate()?;
    let variants = config.variants()?;
    let episodes = select(
        args,
        generate_episodes(split, args.count, &variants, &config)?,
    )?;
    let written = match args.format.as_str() {
        "auto" | "cow" => {
            datasets::cow::write(out, &episodes)?;
            vec![out.clone()]
        }
        "habitat" => embedded::export::write_habitat(out, &args.split, &episodes, cfg)?,
        "robothor" => embedded::export::write_robothor(out, &episodes, cfg)?,
        other => anyhow::bail!("--format {other:?} is not one of cow, habitat, robothor"),
    };
    println!(
        "wrote {} {} episodes to {} ({} file{})",
        episodes.len(),
        args.split,
        out.display(),
        written.len(),
        if written.len() == 1 { "" } else { "s" }
    );
    Ok(())
}

/// `cow sim wait`: polls `endpoint` with `hello` until it answers; an error
/// after `timeout` seconds (a bridge that never came up).
pub fn wait(args: &SimWaitArgs) -> anyhow::Result<()> {
    let ctx = zmq::Context::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(args.timeout);
    loop {
        let mut client = Client::connect(
            &ctx,
            ClientConfig {
                timeout_ms: 500,
                retries: 0,
                ..ClientConfig::new(args.endpoint.clone())
            },
        )?;
        match client.hello() {
            Ok(caps) => {
                println!("{} answers: {}", args.endpoint, caps.simulator);
                return Ok(());
            }
            Err(sim_bridge::Error::Timeout { .. }) => {}
            // A server that answers, but badly, will not get better by waiting.
            Err(e) => {
                return unless_named(Err(e), &args.endpoint, || {
                    format!("asking {} for hello", args.endpoint)
                })
            }
        }
        if std::time::Instant::now() >= deadline {
            anyhow::bail!(
                "{} did not answer hello within {} s",
                args.endpoint,
                args.timeout
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}
