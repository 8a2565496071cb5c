//! The `spinfer` command.

mod cli;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOCATOR: cli::memory::ExitWhenExhausted = cli::memory::ExitWhenExhausted;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // One line, no backtrace: 2 for what the user can fix, 1 otherwise.
            cli::console::write_err(format_args!("spinfer: error: {e}"));
            ExitCode::from(if e.is_bad_input() { 2 } else { 1 })
        }
    }
}
