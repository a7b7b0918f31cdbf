//! The protocol v1 server: a ZeroMQ REP socket in front of a [`Backend`].
//!
//! The simulator side binds, the runner connects (see `PROTOCOL.md`). The
//! serve loop answers every request, good or bad: a bad request gets a typed
//! error reply, is logged, and the loop goes on. It ends on a `close`
//! request (after replying `ok`) or when the stop flag is raised (checked
//! every poll interval). Works over `tcp://`, `ipc://` and, with a context
//! shared with the client, `inproc://` (bind before the client connects).
//!
//! A retried request (same id and same header bytes as the previous one,
//! as a lazy-pirate client sends after a timeout) is answered with the
//! cached previous reply instead of being executed again, so a slow `step`
//! is never applied twice.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tracing::{debug, info, warn};

use crate::backend::TestWorld;
use crate::curve::ServerKeys;
use crate::protocol::header::peek_id;
use crate::protocol::{ErrorCode, Header, ObservationParts, Reply, Request};
use crate::{Backend, Error};

/// Most parts kept per received message; further parts are counted and dropped.
const MAX_KEPT_PARTS: usize = 8;

/// Largest request accepted, bytes: requests are one small JSON header (the
/// largest, a `geodesic_distance` with 65 536 targets, is about 4 MB). A
/// larger message is dropped by ZeroMQ before it is read (`ZMQ_MAXMSGSIZE`;
/// the peer is disconnected), so hostile traffic cannot grow the server.
pub const MAX_REQUEST_BYTES: i64 = 16 << 20;

/// A received part larger than this is released after its request, instead
/// of being kept for reuse until the next one.
const KEEP_PART_BYTES: usize = 64 << 10;

/// How long a closing socket may keep trying to deliver its last reply.
const LINGER_MS: i32 = 1000;

/// Counters of one [`Server::serve`] run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServeStats {
    /// Requests received (including bad ones and replays).
    pub requests: u64,
    /// Requests answered with an error reply.
    pub errors: u64,
    /// Retried requests answered from the reply cache.
    pub replays: u64,
    /// Successful `reset`s.
    pub resets: u64,
    /// Successful `step`s.
    pub steps: u64,
}

/// Why the serve loop ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    Close,
}

/// The last answered request, for replaying it to a retrying client.
struct LastReply {
    id: u64,
    request: Vec<u8>,
    reply: Reply,
}

/// Turns decoded requests into replies by calling the backend; owns the
/// replay cache and the counters. Socket-free, so it is testable alone.
struct Dispatcher {
    backend: Box<dyn Backend>,
    last: Option<LastReply>,
    /// The latest error reply (kept here so that replies are always borrowed).
    error: Reply,
    stats: ServeStats,
}

impl Dispatcher {
    /// Answers one request message (`total_parts` counts parts that were
    /// dropped beyond `parts`). Returns the reply's id, the reply, and
    /// whether to keep serving.
    fn respond(
        &mut self,
        parts: &[zmq::Message],
        total_parts: usize,
    ) -> (Option<u64>, &Reply, Flow) {
        self.stats.requests += 1;
        let first: &[u8] = parts.first().map(|m| &m[..]).unwrap_or_default();
        let decoded =
            Header::parse(first).and_then(|h| Request::decode_with_header(&h, total_parts));
        let (id, request) = match decoded {
            Ok(ok) => ok,
            Err(err) => return self.fail(peek_id(first), &err, "bad request"),
        };
        let retried = matches!(&self.last, Some(l) if l.id == id && l.request == first);
        if retried {
            self.stats.replays += 1;
            debug!(id, "replaying the cached reply to a retried request");
            let reply = self.last.as_ref().map_or(&self.error, |l| &l.reply);
            return (Some(id), reply, Flow::Continue);
        }
        debug!(id, kind = request.kind(), "request");
        let flow = if request == Request::Close {
            Flow::Close
        } else {
            Flow::Continue
        };
        match self.execute(&request) {
            Ok(reply) => {
                let last = self.last.insert(LastReply {
                    id,
                    request: first.to_vec(),
                    reply,
                });
                (Some(id), &last.reply, flow)
            }
            Err(err) => self.fail(Some(id), &err, request.kind()),
        }
    }

    /// Calls the backend for one request.
    fn execute(&mut self, request: &Request) -> Result<Reply, Error> {
        Ok(match request {
            Request::Hello => Reply::Capabilities(self.backend.hello()),
            Request::ListEpisodes => Reply::Episodes(self.backend.list_episodes()),
            Request::Reset { episode_id, goal } => {
                let obs = match goal {
                    None => self.backend.reset(episode_id)?,
                    Some(goal) => self.backend.reset_with_goal(episode_id, goal)?,
                };
                self.stats.resets += 1;
                Reply::Observation(Box::new(obs))
            }
            Request::Step { action } => {
                let obs = self.backend.step(*action)?;
                self.stats.steps += 1;
                Reply::Observation(Box::new(obs))
            }
            Request::EpisodeResult => Reply::EpisodeResult(self.backend.episode_result()?),
            Request::Close => Reply::Ok,
            Request::SetPose { pose } => {
                Reply::Observation(Box::new(self.test_world(request)?.set_pose(*pose)?))
            }
            Request::GeodesicDistance { from, to } => {
                Reply::Distance(self.test_world(request)?.geodesic_distance(*from, to)?)
            }
            Request::ShortestPath { from, object_type } => Reply::Path(
                self.test_world(request)?
                    .shortest_path(*from, object_type)?,
            ),
            Request::Objects => Reply::Objects(self.test_world(request)?.objects()?),
            Request::Render { pose } => {
                Reply::Observation(Box::new(self.test_world(request)?.render(*pose)?))
            }
            Request::Free { position } => Reply::Free(self.test_world(request)?.free(*position)?),
        })
    }

    /// The backend's test world, or [`Error::UnknownType`] for a test-world
    /// request to a backend that is none.
    fn test_world(&mut self, request: &Request) -> Result<&mut dyn TestWorld, Error> {
        self.backend
            .test_world()
            .ok_or_else(|| Error::UnknownType(request.kind().to_owned()))
    }

    /// Counts and logs a failed request and returns its error reply.
    fn fail(&mut self, id: Option<u64>, err: &Error, what: &str) -> (Option<u64>, &Reply, Flow) {
        self.stats.errors += 1;
        warn!(?id, code = %err.wire_code(), "{what}: {err}");
        self.error = Reply::from_error(err);
        (id, &self.error, Flow::Continue)
    }
}

/// A protocol v1 server bound to one endpoint.
pub struct Server {
    socket: zmq::Socket,
    endpoint: String,
    dispatcher: Dispatcher,
    stop: Arc<AtomicBool>,
    poll_interval: Duration,
    parts: Vec<zmq::Message>,
    header: Vec<u8>,
}

impl Server {
    /// Binds a REP socket at `endpoint` (e.g. `tcp://127.0.0.1:5555`,
    /// `tcp://127.0.0.1:*` for a free port, `inproc://sim`) in `ctx`,
    /// serving `backend`.
    pub fn bind(
        ctx: &zmq::Context,
        endpoint: &str,
        backend: Box<dyn Backend>,
    ) -> Result<Server, Error> {
        Self::bind_with_keys(ctx, endpoint, backend, None)
    }

    /// Like [`Server::bind`], as a CURVE server with `keys` when given: only
    /// clients admitted by the context's [`crate::curve::Authenticator`]
    /// (start it first) get replies.
    pub fn bind_with_keys(
        ctx: &zmq::Context,
        endpoint: &str,
        backend: Box<dyn Backend>,
        keys: Option<&ServerKeys>,
    ) -> Result<Server, Error> {
        let socket = ctx.socket(zmq::REP)?;
        socket.set_linger(LINGER_MS)?;
        socket.set_maxmsgsize(MAX_REQUEST_BYTES)?;
        if let Some(keys) = keys {
            keys.apply(&socket)?;
        }
        socket.bind(endpoint).map_err(|source| Error::Endpoint {
            action: "bind",
            endpoint: endpoint.to_owned(),
            cause: source,
        })?;
        let endpoint = match socket.get_last_endpoint()? {
            Ok(resolved) if !resolved.is_empty() => resolved,
            _ => endpoint.to_owned(),
        };
        info!(%endpoint, "protocol v1 server bound");
        Ok(Server {
            socket,
            endpoint,
            dispatcher: Dispatcher {
                backend,
                last: None,
                error: Reply::Ok,
                stats: ServeStats::default(),
            },
            stop: Arc::new(AtomicBool::new(false)),
            poll_interval: Duration::from_millis(100),
            parts: Vec::new(),
            header: Vec::new(),
        })
    }

    /// The endpoint actually bound, with the port filled in for `tcp://...:*`.
    pub fn endpoint(&self) -> &str {
        &self.endpoint
    }

    /// The flag that ends [`Server::serve`] when set to `true` (from any
    /// thread; noticed within one poll interval).
    pub fn stop_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop)
    }

    /// Uses `flag` as the stop flag instead of the server's own.
    pub fn with_stop_flag(mut self, flag: Arc<AtomicBool>) -> Self {
        self.stop = flag;
        self
    }

    /// Sets how often the serve loop checks the stop flag while idle (default 100 ms).
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// Answers requests until a `close` request (answered `ok` first) or
    /// the stop flag. Bad requests get error replies and do not end the
    /// loop; only socket failures do, as an error.
    pub fn serve(&mut self) -> Result<ServeStats, Error> {
        let poll_ms = i64::try_from(self.poll_interval.as_millis()).unwrap_or(i64::MAX);
        while !self.stop.load(Ordering::Relaxed) {
            if self.socket.poll(zmq::POLLIN, poll_ms)? == 0 {
                continue;
            }
            let (kept, total) = recv_parts(&self.socket, &mut self.parts, MAX_KEPT_PARTS)?;
            let (id, reply, flow) = self.dispatcher.respond(&self.parts[..kept], total);
            // A refused request with huge parts must not stay resident.
            for part in &mut self.parts {
                if part.len() > KEEP_PART_BYTES {
                    *part = zmq::Message::new();
                }
            }
            let mut encode_failed = false;
            let parts = match reply.encode(id, &mut self.header) {
                Ok(parts) => parts,
                Err(err) => {
                    // The backend produced something the wire cannot carry.
                    warn!(?id, "cannot encode the {} reply: {err}", reply.kind());
                    let internal = Reply::Error {
                        code: ErrorCode::Internal.as_str().to_owned(),
                        message: format!(
                            "the server cannot encode its {} reply: {err}",
                            reply.kind()
                        ),
                    };
                    internal.encode(id, &mut self.header)?;
                    encode_failed = true;
                    None
                }
            };
            send_reply(&self.socket, &self.header, parts.as_ref())?;
            if encode_failed {
                self.dispatcher.stats.errors += 1;
            }
            if flow == Flow::Close {
                info!(endpoint = %self.endpoint, "close requested; serve loop ends");
                break;
            }
        }
        Ok(self.dispatcher.stats)
    }
}

/// Receives one multipart message into `parts` (its `Message`s are reused),
/// keeping at most `keep` parts and draining the rest. Returns (parts kept,
/// parts in the message).
pub(crate) fn recv_parts(
    socket: &zmq::Socket,
    parts: &mut Vec<zmq::Message>,
    keep: usize,
) -> Result<(usize, usize), Error> {
    let mut total = 0;
    let mut kept = 0;
    loop {
        if kept < keep {
            if parts.len() <= kept {
                parts.push(zmq::Message::new());
            }
            socket.recv(&mut parts[kept], 0)?;
            kept += 1;
        } else {
            socket.recv_msg(0)?;
        }
        total += 1;
        if !socket.get_rcvmore()? {
            return Ok((kept, total));
        }
    }
}

/// Sends a header and the binary parts of an observation, if any.
fn send_reply(
    socket: &zmq::Socket,
    header: &[u8],
    parts: Option<&ObservationParts<'_>>,
) -> Result<(), Error> {
    match parts {
        None => socket.send(header, 0)?,
        Some(p) => {
            socket.send(header, zmq::SNDMORE)?;
            let mut slices = p.slices().peekable();
            while let Some(slice) = slices.next() {
                let flags = if slices.peek().is_some() {
                    zmq::SNDMORE
                } else {
                    0
                };
                socket.send(slice, flags)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::types::{
        Action, ActionSpace, CameraIntrinsics, Capabilities, Episode, EpisodeResult, Frame,
        Observation,
    };

    /// Counts steps; knows one episode, "e".
    struct Counter {
        steps: u32,
        running: bool,
    }

    impl Backend for Counter {
        fn hello(&self) -> Capabilities {
            Capabilities {
                protocol_version: 1,
                simulator: "counter".into(),
                camera: CameraIntrinsics::from_hfov(2, 2, 90.0, 1.0, 5.0),
                actions: Action::ALL.to_vec(),
                action_space: ActionSpace::default(),
                provides_pose: false,
                provides_semantic: false,
                semantic_classes: Vec::new(),
                success_distance: 1.0,
                test_world: false,
                provides_ground_truth: true,
            }
        }
        fn list_episodes(&self) -> Vec<Episode> {
            Vec::new()
        }
        fn reset(&mut self, episode_id: &str) -> Result<Observation, Error> {
            if episode_id != "e" {
                return Err(Error::UnknownEpisode(episode_id.into()));
            }
            self.running = true;
            self.steps = 0;
            Ok(self.obs())
        }
        fn step(&mut self, _action: Action) -> Result<Observation, Error> {
            if !self.running {
                return Err(Error::NoEpisode("step before reset".into()));
            }
            self.steps += 1;
            Ok(self.obs())
        }
        fn episode_result(&self) -> Result<EpisodeResult, Error> {
            Err(Error::NoEpisode("not kept".into()))
        }
    }

    impl Counter {
        fn obs(&self) -> Observation {
            Observation {
                episode_id: "e".into(),
                step: self.steps,
                frame: Frame::blank(2, 2, false),
                ..Observation::default()
            }
        }
    }

    fn dispatcher() -> Dispatcher {
        Dispatcher {
            backend: Box::new(Counter {
                steps: 0,
                running: false,
            }),
            last: None,
            error: Reply::Ok,
            stats: ServeStats::default(),
        }
    }

    fn msg(text: &str) -> Vec<zmq::Message> {
        vec![zmq::Message::from(text)]
    }

    fn step_of(reply: &Reply) -> u32 {
        match reply {
            Reply::Observation(o) => o.step,
            other => panic!("expected an observation, got {other:?}"),
        }
    }

    #[test]
    fn a_retried_step_is_replayed_not_executed_twice() {
        let mut d = dispatcher();
        d.respond(&msg(r#"{"v":1,"type":"reset","id":1,"episode_id":"e"}"#), 1);
        let step = msg(r#"{"v":1,"type":"step","id":2,"action":"MoveAhead"}"#);
        let (_, reply, _) = d.respond(&step, 1);
        assert_eq!(step_of(reply), 1);
        let (id, reply, _) = d.respond(&step, 1);
        assert_eq!((id, step_of(reply)), (Some(2), 1));
        let next = msg(r#"{"v":1,"type":"step","id":3,"action":"MoveAhead"}"#);
        let (_, reply, _) = d.respond(&next, 1);
        assert_eq!(step_of(reply), 2);
        assert_eq!(
            d.stats,
            ServeStats {
                requests: 4,
                errors: 0,
                replays: 1,
                resets: 1,
                steps: 2
            }
        );
    }

    #[test]
    fn bad_requests_and_backend_errors_become_error_replies() {
        let mut d = dispatcher();
        let cases = [
            (
                r#"{"v":1,"type":"step","id":7,"action":"MoveAhead"}"#,
                Some(7),
                ErrorCode::NoEpisode,
            ),
            (
                r#"{"v":1,"type":"reset","id":8,"episode_id":"x"}"#,
                Some(8),
                ErrorCode::UnknownEpisode,
            ),
            (
                r#"{"v":2,"type":"hello","id":9}"#,
                Some(9),
                ErrorCode::Version,
            ),
            (
                r#"{"v":1,"type":"fly","id":10}"#,
                Some(10),
                ErrorCode::UnknownType,
            ),
            (
                r#"{"v":1,"type":"step","id":11,"action":"Fly"}"#,
                Some(11),
                ErrorCode::UnknownAction,
            ),
            ("{", None, ErrorCode::Malformed),
        ];
        for (text, want_id, want_code) in cases {
            let (id, reply, flow) = d.respond(&msg(text), 1);
            assert_eq!(
                (id, reply.error_code(), flow),
                (want_id, Some(want_code), Flow::Continue),
                "{text}"
            );
        }
        let (_, reply, _) = d.respond(&msg(r#"{"v":1,"type":"hello","id":12}"#), 2);
        assert_eq!(reply.error_code(), Some(ErrorCode::Malformed));
        assert_eq!(d.stats.errors, 7);
    }

    #[test]
    fn close_is_answered_ok_and_ends_the_loop() {
        let mut d = dispatcher();
        let (_, reply, flow) = d.respond(&msg(r#"{"v":1,"type":"close","id":1}"#), 1);
        assert_eq!((reply, flow), (&Reply::Ok, Flow::Close));
    }
}
