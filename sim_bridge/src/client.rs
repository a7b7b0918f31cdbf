//! The protocol v1 client: a lazy-pirate REQ socket.
//!
//! Each call sends one request and waits at most `timeout_ms` for the
//! reply. On a timeout the socket is closed (linger 0), a fresh one is
//! connected and the same request (same id, same bytes) is sent again, up
//! to `retries` more times; then the call fails with [`Error::Timeout`]. A
//! dead simulator is therefore an error for that call, never a hang, and
//! the client stays usable: the next call goes out on the fresh socket.
//! Servers answer a retried request from their reply cache, so a retried
//! `step` is applied once.

use std::time::{SystemTime, UNIX_EPOCH};

use tracing::{debug, warn};

use crate::curve::ClientKeys;
use crate::limits::Limits;
use crate::protocol::{decode_observation_into, Header, Reply, Request};
use crate::server::recv_parts;
use crate::types::{
    Action, Capabilities, Episode, EpisodeResult, Observation, Pose, Position, SceneObject,
};
use crate::Error;

/// Most parts kept per reply (an observation has 4 at most).
const MAX_KEPT_PARTS: usize = 8;

/// Where and how patiently a [`Client`] talks to a server.
#[derive(Debug, Clone, PartialEq)]
pub struct ClientConfig {
    /// Server endpoint, e.g. `tcp://127.0.0.1:5555` or `inproc://sim`.
    pub endpoint: String,
    /// How long to wait for each reply, milliseconds.
    pub timeout_ms: u64,
    /// How many times a request is sent again after a timeout (so a call
    /// makes at most `retries + 1` attempts).
    pub retries: u32,
    /// Bounds on what the server declares (camera size, ...); also caps the
    /// size of a message this client accepts.
    pub limits: Limits,
    /// CURVE keys: the client's pair and the pinned server key; `None` for
    /// plain loopback.
    pub curve: Option<ClientKeys>,
}

impl ClientConfig {
    /// Default timeout per attempt, milliseconds.
    pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;
    /// Default number of resends after a timeout.
    pub const DEFAULT_RETRIES: u32 = 3;

    /// A configuration for `endpoint` with the default timeout and retries.
    pub fn new(endpoint: impl Into<String>) -> Self {
        ClientConfig {
            endpoint: endpoint.into(),
            timeout_ms: Self::DEFAULT_TIMEOUT_MS,
            retries: Self::DEFAULT_RETRIES,
            limits: Limits::default(),
            curve: None,
        }
    }
}

/// A connection to a protocol v1 server. One request at a time.
pub struct Client {
    ctx: zmq::Context,
    cfg: ClientConfig,
    socket: zmq::Socket,
    next_id: u64,
    header: Vec<u8>,
    parts: Vec<zmq::Message>,
    /// Parts in the latest reply (at most `parts.len()` of them kept).
    received: usize,
    /// Frame size announced by the last `hello`: every observation must have it.
    camera: Option<(u32, u32)>,
}

impl Client {
    /// Connects a REQ socket to `cfg.endpoint` in `ctx`. Connecting does not
    /// wait for the server: a missing server shows up as a timeout on the
    /// first call.
    pub fn connect(ctx: &zmq::Context, cfg: ClientConfig) -> Result<Client, Error> {
        let socket = open_socket(ctx, &cfg)?;
        Ok(Client {
            ctx: ctx.clone(),
            socket,
            next_id: first_request_id(),
            header: Vec::new(),
            parts: Vec::new(),
            received: 0,
            camera: None,
            cfg,
        })
    }

    /// The configuration this client was made with.
    pub fn config(&self) -> &ClientConfig {
        &self.cfg
    }

    /// Asks for the server's capabilities, checked against the configured
    /// [`Limits`] ([`Error::OutOfRange`] naming the value and the limit).
    /// From then on every observation must have the announced frame size.
    pub fn hello(&mut self) -> Result<Capabilities, Error> {
        match self.call(&Request::Hello, "capabilities")? {
            Reply::Capabilities(c) => {
                self.cfg.limits.check_capabilities(&c)?;
                self.camera = Some((c.camera.width, c.camera.height));
                Ok(c)
            }
            other => Err(unexpected("capabilities", &other)),
        }
    }

    /// Asks for the episodes the server can run.
    pub fn list_episodes(&mut self) -> Result<Vec<Episode>, Error> {
        match self.call(&Request::ListEpisodes, "episodes")? {
            Reply::Episodes(e) => Ok(e),
            other => Err(unexpected("episodes", &other)),
        }
    }

    /// Starts episode `episode_id` and returns its first observation.
    pub fn reset(&mut self, episode_id: &str) -> Result<Observation, Error> {
        let mut obs = Observation::default();
        self.reset_into(episode_id, &mut obs)?;
        Ok(obs)
    }

    /// Like [`Client::reset`], writing into `obs` and reusing its buffers.
    /// On error the contents of `obs` are unspecified.
    pub fn reset_into(&mut self, episode_id: &str, obs: &mut Observation) -> Result<(), Error> {
        let request = Request::Reset {
            episode_id: episode_id.to_owned(),
            goal: None,
        };
        self.observe(&request, obs)
    }

    /// Starts a session named `episode_id` with a goal in words (a source
    /// without an episode list, such as a robot), writing into `obs`.
    pub fn reset_with_goal_into(
        &mut self,
        episode_id: &str,
        goal: &str,
        obs: &mut Observation,
    ) -> Result<(), Error> {
        let request = Request::Reset {
            episode_id: episode_id.to_owned(),
            goal: Some(goal.to_owned()),
        };
        self.observe(&request, obs)
    }

    /// Applies `action` and returns the next observation.
    pub fn step(&mut self, action: Action) -> Result<Observation, Error> {
        let mut obs = Observation::default();
        self.step_into(action, &mut obs)?;
        Ok(obs)
    }

    /// Like [`Client::step`], writing into `obs` and reusing its buffers (the
    /// per-step path: no large allocation once `obs` has its frame size).
    /// On error the contents of `obs` are unspecified.
    pub fn step_into(&mut self, action: Action, obs: &mut Observation) -> Result<(), Error> {
        self.observe(&Request::Step { action }, obs)
    }

    /// Asks for the ground truth of the current (or just finished) episode.
    pub fn episode_result(&mut self) -> Result<EpisodeResult, Error> {
        match self.call(&Request::EpisodeResult, "episode_result")? {
            Reply::EpisodeResult(r) => Ok(r),
            other => Err(unexpected("episode_result", &other)),
        }
    }

    /// Test worlds only: places the agent before the episode's first action
    /// (the pose becomes the start, world frame) and returns the observation.
    pub fn set_pose(&mut self, pose: Pose) -> Result<Observation, Error> {
        let mut obs = Observation::default();
        self.observe(&Request::SetPose { pose }, &mut obs)?;
        Ok(obs)
    }

    /// Test worlds only: walkable distance from `from` to the nearest of
    /// `to` in the running episode's scene (world frame); `None` if unreachable.
    pub fn geodesic_distance(
        &mut self,
        from: Position,
        to: &[Position],
    ) -> Result<Option<f32>, Error> {
        let request = Request::GeodesicDistance {
            from,
            to: to.to_vec(),
        };
        match self.call(&request, "distance")? {
            Reply::Distance(d) => Ok(d),
            other => Err(unexpected("distance", &other)),
        }
    }

    /// Test worlds only: corners of a shortest walkable path from `from` to
    /// the nearest success point of `object_type`, `from` first.
    pub fn shortest_path(
        &mut self,
        from: Position,
        object_type: &str,
    ) -> Result<Vec<Position>, Error> {
        let request = Request::ShortestPath {
            from,
            object_type: object_type.to_owned(),
        };
        match self.call(&request, "path")? {
            Reply::Path(p) => Ok(p),
            other => Err(unexpected("path", &other)),
        }
    }

    /// Test worlds only: the scene's objects seen from the current pose.
    pub fn objects(&mut self) -> Result<Vec<SceneObject>, Error> {
        match self.call(&Request::Objects, "objects")? {
            Reply::Objects(o) => Ok(o),
            other => Err(unexpected("objects", &other)),
        }
    }

    /// Test worlds only: the frames of the running episode's scene from any
    /// pose (world frame); the episode does not change.
    pub fn render(&mut self, pose: Pose) -> Result<Observation, Error> {
        let mut obs = Observation::default();
        self.observe(&Request::Render { pose }, &mut obs)?;
        Ok(obs)
    }

    /// Test worlds only: whether the agent can stand at `position` (world frame).
    pub fn free(&mut self, position: Position) -> Result<bool, Error> {
        match self.call(&Request::Free { position }, "free")? {
            Reply::Free(f) => Ok(f),
            other => Err(unexpected("free", &other)),
        }
    }

    /// Asks the server to end its serve loop; `Ok` once it has acknowledged.
    pub fn close(&mut self) -> Result<(), Error> {
        match self.call(&Request::Close, "ok")? {
            Reply::Ok => Ok(()),
            other => Err(unexpected("ok", &other)),
        }
    }

    /// Sends a request whose reply is an observation and decodes it into `obs`.
    fn observe(&mut self, request: &Request, obs: &mut Observation) -> Result<(), Error> {
        let id = self.exchange(request)?;
        let parts = &self.parts[..self.received.min(MAX_KEPT_PARTS)];
        let header = checked_header(parts, id, "observation")?;
        if self.received > MAX_KEPT_PARTS {
            return Err(Error::Malformed(format!(
                "observation reply has {} parts, expected at most 4",
                self.received
            )));
        }
        decode_observation_into(&header, parts, obs)?;
        match self.camera {
            Some((w, h)) if (obs.frame.width, obs.frame.height) != (w, h) => {
                Err(Error::OutOfRange {
                    what: "observation frame".into(),
                    value: format!("{} x {}", obs.frame.width, obs.frame.height),
                    limit: format!("the camera the server announced is {w} x {h}"),
                })
            }
            _ => Ok(()),
        }
    }

    /// Sends a request whose reply has no binary parts and decodes it.
    fn call(&mut self, request: &Request, expected: &str) -> Result<Reply, Error> {
        let id = self.exchange(request)?;
        let parts = &self.parts[..self.received.min(MAX_KEPT_PARTS)];
        let header = checked_header(parts, id, expected)?;
        if self.received != 1 {
            return Err(Error::Malformed(format!(
                "{expected:?} reply has {} parts, expected 1",
                self.received
            )));
        }
        Reply::decode_with_header(&header, parts)
    }

    /// Sends `request` with a fresh id, lazy-pirate style, and receives the
    /// reply into `self.parts`. Returns the request id.
    fn exchange(&mut self, request: &Request) -> Result<u64, Error> {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1);
        request.encode(id, &mut self.header)?;
        let attempts = self.cfg.retries.saturating_add(1);
        let timeout = i64::try_from(self.cfg.timeout_ms).unwrap_or(i64::MAX);
        for attempt in 1..=attempts {
            debug!(id, kind = request.kind(), attempt, "request");
            let sent = match self.socket.send(&self.header[..], 0) {
                Ok(()) => true,
                Err(zmq::Error::EAGAIN) => false,
                Err(e) => return Err(e.into()),
            };
            if sent && self.socket.poll(zmq::POLLIN, timeout)? > 0 {
                let (kept, total) = recv_parts(&self.socket, &mut self.parts, MAX_KEPT_PARTS)?;
                debug_assert!(kept <= total);
                self.received = total;
                return Ok(id);
            }
            warn!(
                endpoint = %self.cfg.endpoint,
                id,
                "no reply to {} within {} ms (attempt {attempt} of {attempts}); reconnecting",
                request.kind(),
                self.cfg.timeout_ms
            );
            // A REQ socket that missed its reply cannot send again: replace it.
            self.socket = open_socket(&self.ctx, &self.cfg)?;
        }
        Err(Error::Timeout {
            endpoint: self.cfg.endpoint.clone(),
            attempts,
            timeout_ms: self.cfg.timeout_ms,
        })
    }
}

/// Parses a reply header and checks that it answers request `id`; turns an
/// error reply into [`Error::Remote`] and any other unexpected type into
/// [`Error::Malformed`].
fn checked_header<'a>(
    parts: &'a [zmq::Message],
    id: u64,
    expected: &str,
) -> Result<Header<'a>, Error> {
    let first = parts
        .first()
        .ok_or_else(|| Error::Malformed("reply has no parts".into()))?;
    let header = Header::parse(first)?;
    if header.kind == "error" {
        let reply = Reply::decode_with_header(&header, parts)?;
        return Err(reply
            .as_error()
            .unwrap_or_else(|| Error::Malformed("error reply without an error".into())));
    }
    if header.id != Some(id) {
        return Err(Error::Malformed(format!(
            "reply id {:?} does not match request id {id}",
            header.id
        )));
    }
    if header.kind != expected {
        return Err(Error::Malformed(format!(
            "expected a {expected:?} reply, got {:?}",
            header.kind
        )));
    }
    Ok(header)
}

fn unexpected(expected: &str, got: &Reply) -> Error {
    Error::Malformed(format!(
        "expected a {expected:?} reply, got {:?}",
        got.kind()
    ))
}

/// A REQ socket connected to the configured endpoint, with linger 0 (a
/// dropped socket never blocks) and a send timeout equal to the reply timeout.
fn open_socket(ctx: &zmq::Context, cfg: &ClientConfig) -> Result<zmq::Socket, Error> {
    let socket = ctx.socket(zmq::REQ)?;
    socket.set_linger(0)?;
    socket.set_sndtimeo(i32::try_from(cfg.timeout_ms).unwrap_or(i32::MAX))?;
    // A message larger than the largest frame allowed is dropped by ZeroMQ
    // before it is read (the request then times out).
    socket.set_maxmsgsize(cfg.limits.max_message_bytes())?;
    if let Some(keys) = &cfg.curve {
        keys.apply(&socket)?;
    }
    socket
        .connect(&cfg.endpoint)
        .map_err(|source| Error::Endpoint {
            action: "connect",
            endpoint: cfg.endpoint.clone(),
            cause: source,
        })?;
    Ok(socket)
}

/// A request id unlikely to collide with another client's: derived from the
/// clock and the process id, below 2^52 so that every JSON reader keeps it exact.
fn first_request_id() -> u64 {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    let mixed = nanos ^ (u64::from(std::process::id()) << 20);
    (mixed & ((1 << 52) - 1)) | 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_documented_values() {
        let cfg = ClientConfig::new("tcp://127.0.0.1:5555");
        assert_eq!((cfg.timeout_ms, cfg.retries), (10_000, 3));
    }

    #[test]
    fn first_ids_are_nonzero_and_json_safe() {
        for _ in 0..100 {
            let id = first_request_id();
            assert!(id > 0 && id < (1 << 52), "{id}");
        }
    }
}
