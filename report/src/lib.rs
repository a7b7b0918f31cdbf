//! `report`: what a paper shows of evaluated runs. Pictures as PNG and SVG
//! ([`plot`]: success per group with intervals, the SPL histogram, success
//! within k steps, comparison bars, the failure split) and one static HTML
//! page over them ([`html`]: summary tables, the comparison, a sortable and
//! filterable per-episode table linking each episode's map and replay).
//!
//! The numbers come from [`agent::eval`]; this crate only draws and writes.

pub mod error;
mod font;
pub mod html;
pub mod plot;
pub mod runs;

pub use error::Error;
pub use runs::Run;
