//! `configs/embedded-v2.toml` is `configs/embedded.toml` with world version 2
//! (and its own run directory, and its model: the bundle fine-tuned on
//! version-2 renders with the value prompt it was trained for): nothing
//! else may drift between the two, so that a version-2 number differs from
//! a version-1 number by the world and the model only.

#![allow(clippy::unwrap_used)]

use cow::config::Config;

fn load(name: &str) -> Config {
    Config::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(name)).unwrap()
}

#[test]
fn the_v2_config_differs_from_the_default_by_the_world_only() {
    let v1 = load("configs/embedded.toml");
    let v2 = load("configs/embedded-v2.toml");
    assert_eq!(v1.sim.embedded.world_version, 1);
    assert_eq!(v2.sim.embedded.world_version, 2);
    assert_eq!(v2.run.out_dir, std::path::PathBuf::from("runs/v2"));
    assert_eq!(
        v2.agent.clip.bundle,
        std::path::PathBuf::from("models/cow-embedded-v2")
    );
    assert_eq!(v2.agent.clip.value_prompt, "a room with a {}.");
    assert_eq!(v1.agent.clip.value_prompt, "");
    let mut same = v2.clone();
    same.sim.embedded.world_version = 1;
    same.run.out_dir = v1.run.out_dir.clone();
    same.agent.clip.bundle = v1.agent.clip.bundle.clone();
    same.agent.clip.value_prompt = v1.agent.clip.value_prompt.clone();
    assert_eq!(same, v1);
}

#[test]
fn variants_need_world_version_2() {
    let mut c = load("configs/embedded.toml");
    assert!(c.variants().is_ok());
    c.sim.variants = vec!["category".into(), "hidden".into()];
    let err = c.validate().unwrap_err().to_string();
    assert!(err.contains("need sim.embedded.world_version = 2"), "{err}");
    c.sim.embedded.world_version = 2;
    assert_eq!(c.variants().unwrap().len(), 2);
    c.sim.variants = vec!["hiden".into()];
    let err = c.validate().unwrap_err().to_string();
    assert!(err.contains("\"hiden\" is not one of"), "{err}");
}
