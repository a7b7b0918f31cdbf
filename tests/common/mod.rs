//! Shared helpers of the end-to-end tests: run the `cow` binary, start a
//! simulator server on a free port (always stopped on drop), read results;
//! a throwaway one-node SLURM cluster ([`slurm`]); a WebDriver client for
//! headless Chromium ([`webdriver`]).
#![allow(dead_code, clippy::unwrap_used, unreachable_pub)]

pub mod reports;
pub mod slurm;
pub mod webdriver;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Path of the binary under test.
pub fn cow_bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cow"))
}

/// Runs `cow` with arguments from the repository root and returns its output.
pub fn cow(args: &[&str]) -> Output {
    Command::new(cow_bin())
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("RUST_LOG", "warn")
        .output()
        .unwrap()
}

/// Like [`cow`] but panics with stdout and stderr unless it succeeded.
pub fn cow_ok(args: &[&str]) -> String {
    let out = cow(args);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "cow {args:?} failed\nstdout:\n{stdout}\nstderr:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `cow sim serve` process, killed when dropped.
pub struct SimServer {
    /// Endpoint it serves.
    pub endpoint: String,
    child: Child,
}

impl SimServer {
    /// Starts `cow sim serve` on a free port with extra arguments and waits
    /// until it answers `hello`.
    pub fn start(extra: &[&str]) -> SimServer {
        let endpoint = format!("tcp://127.0.0.1:{}", free_port());
        let child = Command::new(cow_bin())
            .args(["sim", "serve", "--bind", &endpoint])
            .args(extra)
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let server = SimServer { endpoint, child };
        server.wait_ready();
        server
    }

    fn wait_ready(&self) {
        let ctx = zmq::Context::new();
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let cfg = sim_bridge::client::ClientConfig {
                endpoint: self.endpoint.clone(),
                timeout_ms: 500,
                retries: 1,
                limits: Default::default(),
                curve: None,
            };
            if let Ok(mut c) = sim_bridge::client::Client::connect(&ctx, cfg) {
                if c.hello().is_ok() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "cow sim serve did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Kills the process now (a crashed simulator).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Reads every result record of a run directory.
pub fn records(dir: &Path) -> Vec<agent::results::EpisodeRecord> {
    agent::results::read_run(dir).unwrap()
}
