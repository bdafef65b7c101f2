//! The `beatbook` binary: a thin shell around the library's [`beatbook_cli::main`].

fn main() -> std::process::ExitCode {
    beatbook_cli::main()
}
