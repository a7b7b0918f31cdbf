//! Authenticated transport over tcp on loopback: `cow keygen` pairs, a CURVE
//! server (`cow sim serve --curve-key --curve-clients`) that serves a listed
//! client and gives an unlisted one and a plain one nothing, and the same for
//! `cow deploy`'s telemetry socket.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{cow, cow_ok, free_port};
use sim_bridge::client::{Client, ClientConfig};
use sim_bridge::curve::{Certificate, ClientKeys};

/// Key pairs `server`, `client` and `stranger` in `dir`, and `dir/allowed`
/// holding only the client's public certificate.
fn keys(dir: &Path) {
    for name in ["server", "client", "stranger"] {
        cow_ok(&["keygen", "--out", dir.to_str().unwrap(), "--name", name]);
    }
    std::fs::create_dir(dir.join("allowed")).unwrap();
    std::fs::copy(dir.join("client.key"), dir.join("allowed/client.key")).unwrap();
}

fn client(endpoint: &str, curve: Option<ClientKeys>) -> Client {
    let ctx = zmq::Context::new();
    Client::connect(
        &ctx,
        ClientConfig {
            timeout_ms: 700,
            retries: 0,
            curve,
            ..ClientConfig::new(endpoint)
        },
    )
    .unwrap()
}

/// A background `cow` process, killed when dropped.
struct Background(Child);

impl Drop for Background {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn(args: &[&str]) -> Background {
    spawn_logged(args, Stdio::null())
}

/// `spawn` with its standard error (warnings and errors) going to `stderr`.
fn spawn_logged(args: &[&str], stderr: impl Into<Stdio>) -> Background {
    Background(
        Command::new(common::cow_bin())
            .args(args)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap(),
    )
}

#[test]
fn keygen_writes_pairs_and_never_replaces_one_silently() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().to_str().unwrap();
    cow_ok(&["keygen", "--out", out, "--name", "robot"]);
    let first = Certificate::load(&dir.path().join("robot.key_secret")).unwrap();
    assert_eq!(
        Certificate::load(&dir.path().join("robot.key"))
            .unwrap()
            .public,
        first.public
    );
    let again = cow(&["keygen", "--out", out, "--name", "robot"]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("--force replaces it"));
    cow_ok(&["keygen", "--out", out, "--name", "robot", "--force"]);
    let second = Certificate::load(&dir.path().join("robot.key_secret")).unwrap();
    assert_ne!(second.public, first.public);
}

#[test]
fn a_curve_server_serves_listed_clients_only() {
    let dir = tempfile::tempdir().unwrap();
    keys(dir.path());
    let endpoint = format!("tcp://127.0.0.1:{}", free_port());
    let key = dir.path().join("server.key_secret");
    let allowed = dir.path().join("allowed");
    let _server = spawn(&[
        "sim",
        "serve",
        "--bind",
        &endpoint,
        "--episodes",
        "1",
        "--curve-key",
        key.to_str().unwrap(),
        "--curve-clients",
        allowed.to_str().unwrap(),
    ]);
    let server_public = dir.path().join("server.key");
    let listed = ClientKeys::load(&dir.path().join("client.key_secret"), &server_public).unwrap();
    // The server takes a moment to start: the listed client retries until it answers.
    let deadline = Instant::now() + Duration::from_secs(30);
    let caps = loop {
        match client(&endpoint, Some(listed.clone())).hello() {
            Ok(c) => break c,
            Err(e) => assert!(Instant::now() < deadline, "never served: {e}"),
        }
    };
    assert_eq!(caps.simulator, "cow-embedded");
    let unlisted =
        ClientKeys::load(&dir.path().join("stranger.key_secret"), &server_public).unwrap();
    let err = client(&endpoint, Some(unlisted)).hello().unwrap_err();
    assert!(matches!(err, sim_bridge::Error::Timeout { .. }), "{err}");
    let err = client(&endpoint, None).hello().unwrap_err();
    assert!(matches!(err, sim_bridge::Error::Timeout { .. }), "{err}");
    // And the listed client is still served after the refusals.
    assert!(client(&endpoint, Some(listed)).hello().is_ok());
}

/// `cow deploy`'s telemetry with CURVE: the listed subscriber receives the
/// status and the map, an unlisted one receives nothing. The robot side is
/// `cow sim serve` (a simulator is a world too: its episodes carry goals).
#[test]
fn telemetry_reaches_listed_subscribers_only() {
    let dir = tempfile::tempdir().unwrap();
    keys(dir.path());
    let robot = format!("tcp://127.0.0.1:{}", free_port());
    let world_log = dir.path().join("world.log");
    let _world = spawn_logged(
        &["sim", "serve", "--bind", &robot, "--episodes", "1"],
        std::fs::File::create(&world_log).unwrap(),
    );
    let telemetry = format!("tcp://127.0.0.1:{}", free_port());
    let config = dir.path().join("deploy.toml");
    std::fs::write(
        &config,
        format!(
            "[sim]\ntimeout_ms = 2000\nretries = 5\n[agent]\nlocalizer = \"oracle\"\n\
             [deploy]\nsession = \"test-house_2000000-AlarmClock-0\"\npoll_ms = 50\n\
             telemetry_hz = 50.0\ntelemetry = \"{telemetry}\"\n\
             telemetry_key = \"{}\"\ntelemetry_clients = \"{}\"\n",
            dir.path().join("server.key_secret").display(),
            dir.path().join("allowed").display()
        ),
    )
    .unwrap();
    let subscribe = |secret: &str| {
        let ctx = zmq::Context::new();
        let sub = ctx.socket(zmq::SUB).unwrap();
        let keys =
            ClientKeys::load(&dir.path().join(secret), &dir.path().join("server.key")).unwrap();
        keys.apply(&sub).unwrap();
        sub.set_subscribe(b"").unwrap();
        sub.set_rcvtimeo(200).unwrap();
        sub.connect(&telemetry).unwrap();
        (ctx, sub)
    };
    let (_c1, listed) = subscribe("client.key_secret");
    let (_c2, unlisted) = subscribe("stranger.key_secret");
    let deploy_log = dir.path().join("deploy.log");
    let _deploy = spawn_logged(
        &[
            "deploy",
            "--config",
            config.to_str().unwrap(),
            "--robot",
            &robot,
        ],
        std::fs::File::create(&deploy_log).unwrap(),
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    let message = loop {
        if let Ok(bytes) = listed.recv_bytes(0) {
            let v: serde_json::Value = serde_json::from_slice(&bytes).unwrap();
            if !v["map"].is_null() {
                break v;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no telemetry with a map; cow deploy said:\n{}\ncow sim serve said:\n{}",
            std::fs::read_to_string(&deploy_log).unwrap_or_default(),
            std::fs::read_to_string(&world_log).unwrap_or_default()
        );
    };
    assert_eq!(message["goal"], "alarm clock");
    assert!(message["pose"]["x"].is_number() && message["action"].is_string());
    let png = base64_decode(message["map"]["png"].as_str().unwrap());
    let img = image::load_from_memory(&png).unwrap().to_luma8();
    assert_eq!(
        img.width() as u64,
        message["map"]["width"].as_u64().unwrap()
    );
    assert!(img.as_raw().iter().all(|&v| matches!(v, 0 | 205 | 254)));
    assert!(
        unlisted.recv_bytes(0).is_err(),
        "an unlisted subscriber got telemetry"
    );
}

fn base64_decode(text: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(text)
        .unwrap()
}
