//! Serves the test corridor backend (`tests/common/corridor.rs`) at an
//! endpoint until a `close` request, for testing other clients against the
//! Rust server, e.g. the Python package:
//!
//! ```text
//! cargo build -p sim_bridge --example corridor_server
//! COW_CORRIDOR_SERVER=target/debug/examples/corridor_server pytest sim_bridge/python
//! ```
//!
//! Usage: `corridor_server tcp://127.0.0.1:5555`.

#[allow(dead_code, unreachable_pub, clippy::unwrap_used)]
#[path = "../tests/common/corridor.rs"]
mod corridor;

use sim_bridge::server::Server;

fn main() -> Result<(), sim_bridge::Error> {
    let endpoint = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tcp://127.0.0.1:5555".to_owned());
    let ctx = zmq::Context::new();
    let mut server = Server::bind(
        &ctx,
        &endpoint,
        Box::new(corridor::Corridor::new(16, 12, true)),
    )?;
    println!("serving the corridor at {}", server.endpoint());
    let stats = server.serve()?;
    println!("served {stats:?}");
    Ok(())
}
