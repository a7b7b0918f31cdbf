//! The `cow` command-line tool.

fn main() {}
