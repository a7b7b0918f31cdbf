//! The `cow` command-line tool: a thin shell over the library crates.

fn main() -> std::process::ExitCode {
    cow::cli::main()
}
