//! Shared helpers for the integration tests and the bench: a corridor
//! backend with constant frames, and a server running on a thread that is
//! always stopped when its handle drops.

#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

pub mod corridor;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use sim_bridge::server::{ServeStats, Server};
use sim_bridge::{Backend, Error};

pub use corridor::Corridor;

/// A server serving on its own thread. Dropping the handle raises the stop
/// flag and joins the thread.
pub struct RunningServer {
    /// The endpoint the server bound (port filled in).
    pub endpoint: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<Result<ServeStats, Error>>>,
}

impl RunningServer {
    /// Binds `endpoint` (e.g. `tcp://127.0.0.1:*` or `inproc://x`) in `ctx`
    /// and serves `backend` on a new thread.
    pub fn start(ctx: &zmq::Context, endpoint: &str, backend: Box<dyn Backend>) -> Self {
        let server = Server::bind(ctx, endpoint, backend)
            .unwrap()
            .with_poll_interval(Duration::from_millis(20));
        let endpoint = server.endpoint().to_owned();
        let stop = server.stop_flag();
        let thread = std::thread::spawn(move || {
            let mut server = server;
            server.serve()
        });
        RunningServer {
            endpoint,
            stop,
            thread: Some(thread),
        }
    }

    /// Waits for the serve loop to end on its own (after a `close`) and
    /// returns its counters.
    pub fn join(mut self) -> ServeStats {
        let thread = self.thread.take().unwrap();
        thread.join().unwrap().unwrap()
    }

    /// Whether the serve loop is still running.
    pub fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A REQ socket for sending hand-made (often malformed) requests.
pub fn raw_req(ctx: &zmq::Context, endpoint: &str) -> zmq::Socket {
    let socket = ctx.socket(zmq::REQ).unwrap();
    socket.set_linger(0).unwrap();
    socket.set_rcvtimeo(5_000).unwrap();
    socket.connect(endpoint).unwrap();
    socket
}

/// Sends `parts` on a raw REQ socket and returns the reply's parts.
pub fn raw_call(socket: &zmq::Socket, parts: &[&[u8]]) -> Vec<Vec<u8>> {
    socket.send_multipart(parts.iter().copied(), 0).unwrap();
    socket.recv_multipart(0).unwrap()
}
