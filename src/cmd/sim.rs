//! `cow sim serve` and `cow sim episodes`: the embedded simulator as a
//! protocol v1 server, and episode files.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use anyhow::Context;
use sim_bridge::episodes::{generate, read_episode_file, write_episode_file};
use sim_bridge::server::Server;
use sim_bridge::sim::EmbeddedSim;
use sim_bridge::Episode;

use crate::cli::{SimEpisodesArgs, SimServeArgs};
use crate::config::{parse_split, Config};

/// The episodes of the embedded simulator for a config: from the episode
/// file when one is given, else generated for the split.
pub fn embedded_episodes(config: &Config) -> anyhow::Result<Vec<Episode>> {
    match &config.sim.episode_file {
        Some(path) => read_episode_file(path)
            .with_context(|| format!("reading episode file {}", path.display())),
        None => {
            let split = parse_split(&config.sim.split)?;
            config.sim.embedded.validate()?;
            Ok(generate(split, config.sim.count, &config.sim.embedded))
        }
    }
}

/// Serves the embedded simulator until a `close` request or Ctrl-C.
pub fn serve(args: &SimServeArgs) -> anyhow::Result<()> {
    let mut config = Config::load_or_default(&args.config.config)?;
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
    let mut server = Server::bind(&ctx, &args.bind, Box::new(sim))
        .with_context(|| format!("binding {}", args.bind))?
        .with_stop_flag(stop);
    tracing::info!(endpoint = %server.endpoint(), episodes = n, split = %config.sim.split, "serving the embedded simulator");
    let stats = server.serve()?;
    tracing::info!(?stats, "server stopped");
    Ok(())
}

/// Writes a split's episodes to a file.
pub fn episodes(args: &SimEpisodesArgs) -> anyhow::Result<()> {
    let config = Config::load_or_default(&args.config.config)?;
    let split = parse_split(&args.split)?;
    config.sim.embedded.validate()?;
    let episodes = generate(split, args.count, &config.sim.embedded);
    write_episode_file(&args.out, &episodes)
        .with_context(|| format!("writing {}", args.out.display()))?;
    println!(
        "wrote {} {} episodes to {}",
        episodes.len(),
        args.split,
        args.out.display()
    );
    Ok(())
}
