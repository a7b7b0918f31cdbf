//! Building the configured agent and localizer, and saving map pictures.

use std::path::Path;

use anyhow::{bail, Context};

use agent::cow::CowAgent;
use agent::localize::{Localizer, OracleLocalizer};
use agent::perception::LocalizerKind;
use agent::random::RandomAgent;
use agent::results::EpisodeRecord;
use agent::Agent;

use crate::config::Config;

/// Applies `--localizer` to the configuration (validated with it).
pub fn apply_localizer_override(
    config: &mut Config,
    localizer: Option<&str>,
) -> anyhow::Result<()> {
    if let Some(l) = localizer {
        config.agent.localizer = l.to_string();
    }
    Ok(())
}

/// Builds the localizer the configuration names.
pub fn build_localizer(config: &Config) -> anyhow::Result<Box<dyn Localizer>> {
    match config.agent.localizer.as_str() {
        "oracle" => Ok(Box::new(OracleLocalizer::new())),
        name => {
            let kind = match name {
                "patch" => LocalizerKind::Patch,
                "grad" => LocalizerKind::Grad,
                "dense" => LocalizerKind::Dense,
                "owl" => LocalizerKind::Owl,
                other => bail!("unknown localizer {other:?}"),
            };
            let mut clip = config.agent.clip.clone();
            clip.kind = kind;
            // The bundle error names the folder.
            agent::perception::build_localizer(&clip)
                .with_context(|| format!("building the {name} localizer"))
        }
    }
}

/// Builds the agent the configuration names.
pub fn build_agent(config: &Config) -> anyhow::Result<Box<dyn Agent>> {
    match config.agent.kind.as_str() {
        "random" => Ok(Box::new(RandomAgent::new(config.run.seed))),
        "cow" => Ok(Box::new(CowAgent::new(
            config.agent.cow.clone(),
            build_localizer(config)?,
        ))),
        other => bail!("unknown agent {other:?} (expected random or cow)"),
    }
}

/// Saves the agent's map picture as a PNG; agents without a map are skipped.
pub fn save_map_png(
    agent: &dyn Agent,
    record: Option<&EpisodeRecord>,
    path: &Path,
) -> anyhow::Result<()> {
    let Some(img) = agent.render_map(record.map(|r| &r.result)) else {
        return Ok(());
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    img.save(path)
        .with_context(|| format!("writing {}", path.display()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("agent/tests/fixtures")
            .join(name)
    }

    #[test]
    fn owl_is_built_from_an_owlvit_bundle_and_refuses_a_clip_one() {
        let mut config = Config::default();
        apply_localizer_override(&mut config, Some("owl")).unwrap();
        config.validate().unwrap();
        config.agent.clip.bundle = fixture("tiny_owl");
        let loc = build_localizer(&config).unwrap();
        assert_eq!(loc.name(), "owl");
        assert_eq!(loc.threshold(), 0.125);
        config.agent.clip.bundle = fixture("tiny_clip");
        let err = format!("{:#}", build_localizer(&config).err().unwrap());
        assert!(err.contains("building the owl localizer"), "{err}");
        assert!(err.contains("needs a \"owlvit\" bundle"), "{err}");
    }
}
