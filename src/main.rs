fn main() -> std::process::ExitCode {
    std::process::ExitCode::from(lyncdr::run(std::env::args_os()))
}
