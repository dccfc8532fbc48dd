//! `in-console PROGRAM ARGS...`: run PROGRAM with the console's own handles (`CONIN$`,
//! `CONOUT$`) as its standard input, output and error, and exit with its exit code. Under wine
//! a child of a pseudo console keeps its parent's standard handles (the test's pipes), where
//! Windows gives it the console's; this gives it what Windows would (tests/pty.rs).

fn main() {
    let mut args = std::env::args_os().skip(1);
    let Some(program) = args.next() else {
        eprintln!("usage: in-console PROGRAM ARGS...");
        std::process::exit(2);
    };
    let open = |name: &str| std::fs::OpenOptions::new().read(true).write(true).open(name);
    let (Ok(input), Ok(output), Ok(error)) = (open("CONIN$"), open("CONOUT$"), open("CONOUT$")) else {
        eprintln!("in-console: this process has no console");
        std::process::exit(2);
    };
    let status = std::process::Command::new(program)
        .args(args)
        .stdin(input)
        .stdout(output)
        .stderr(error)
        .status();
    std::process::exit(status.map_or(2, |s| s.code().unwrap_or(1)));
}
