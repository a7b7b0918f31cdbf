//! The `cow` binary's library half: command-line parsing ([`cli`]), the
//! TOML configuration ([`config`]) and one module per subcommand
//! ([`cmd`]), each a thin shell over `agent`, `sim_bridge` and `maps`, so
//! that everything the binary does is testable without spawning it.

pub mod cli;
pub mod cmd;
pub mod config;
