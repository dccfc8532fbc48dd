//! lync-shell: a stand-in for Windows PowerShell 2.0 (`powershell.exe -NoProfile
//! [-NonInteractive] -ExecutionPolicy Bypass -File SCRIPT.ps1`) and for `sqlcmd -S ...`, for
//! tests. It keeps the rules of the real programs that make a step fail on a Front End server
//! (each with its source, mostly `/work/shared/reference/lync2010-facts.md`), and takes its
//! orders from `LYNCSHELL_*` variables (see `control.rs`). Script text flows
//! lexer -> parser -> powershell (the interpreter, with what it knows of values in `value.rs`)
//! -> console (encodings, transcript).

mod artifacts;
mod console;
mod control;
mod eventcreate;
mod expr;
mod lexer;
mod lync_rules;
mod object;
mod parser;
mod powershell;
#[cfg(windows)]
mod process;
mod schtasks;
mod sqlcmd;
mod value;

use std::io::{IsTerminal, Read};
use std::path::Path;

use console::{Console, Stream};
use control::Control;

/// Scripts and SQL files larger than this are refused (bounded memory).
const MAX_INPUT: u64 = 8 << 20;

pub fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_INPUT)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// Script bytes as Windows PowerShell 2.0 reads them: a BOM says UTF-8 or UTF-16; without one
/// the file is read in the ANSI code page, 1252 here (the comment in lyncdr's runner, and
/// about_Character_Encoding: Windows PowerShell reads BOM-less files as "Default", ANSI).
/// A Windows path as this test host writes it: `\` is the folder separator, and drive `Z:` is
/// the root, as wine maps it (lyncdr's `fsx::from_windows` reads paths the same way). `None` for
/// a UNC path (`\\server\share\...`): a share this host does not have, where the stand-in
/// writes nothing and answers as for a path it cannot compute.
pub fn host_path(windows: &str) -> Option<std::path::PathBuf> {
    if windows.starts_with("\\\\") {
        return None;
    }
    if cfg!(windows) {
        return Some(windows.into());
    }
    let path = match windows.get(..3) {
        Some(drive) if drive.eq_ignore_ascii_case("z:\\") => &windows[2..],
        _ => windows,
    };
    Some(path.replace('\\', "/").into())
}

/// `LYNCSHELL_ARTIFACTS=DIR` (the benchmark, `bench/backup.sh`): a backup command links the
/// file (or folder tree) named `name` from DIR to `target` instead of building a small one, so
/// a set of a few GiB costs no copying. `None` when DIR does not provide it.
pub fn provided(name: &str, target: &Path) -> Option<std::io::Result<()>> {
    let dir = std::env::var_os("LYNCSHELL_ARTIFACTS").filter(|v| !v.is_empty())?;
    let source = Path::new(&dir).join(name);
    if !source.exists() {
        return None;
    }
    Some(link_tree(&source, target))
}

fn link_tree(source: &Path, target: &Path) -> std::io::Result<()> {
    if source.is_dir() {
        std::fs::create_dir_all(target)?;
        for entry in std::fs::read_dir(source)? {
            let entry = entry?;
            link_tree(&entry.path(), &target.join(entry.file_name()))?;
        }
        Ok(())
    } else {
        std::fs::hard_link(source, target).or_else(|_| std::fs::copy(source, target).map(|_| ()))
    }
}

/// A program of the Windows system folder (`%SystemRoot%\System32`), where there is one: on
/// Windows a native command resolves there first (it heads PATH). `None` on Unix.
pub fn system_program(name: &str) -> Option<std::path::PathBuf> {
    if !cfg!(windows) {
        return None;
    }
    let root = std::env::var_os("SystemRoot")?;
    let path = Path::new(&root).join("System32").join(name);
    path.is_file().then_some(path)
}

pub fn decode(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(&[0xef, 0xbb, 0xbf]) {
        return String::from_utf8_lossy(rest).into_owned();
    }
    if let Some(rest) = bytes.strip_prefix(&[0xff, 0xfe]) {
        let units: Vec<u16> = rest
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        return String::from_utf16_lossy(&units);
    }
    console::from_cp1252(bytes)
}

fn main() {
    let args: Vec<String> = std::env::args_os()
        .skip(1)
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let ctl = Control::from_env();
    if eventcreate::is_me() {
        std::process::exit(eventcreate::run(&args, &ctl));
    }
    if ctl.sleep_if_grandchild() {
        return;
    }
    let code = if args.first().map(String::as_str) == Some("-S") {
        sqlcmd::run(&args, &ctl)
    } else {
        powershell(&args, &ctl)
    };
    ctl.stop_parent_if_asked();
    ctl.kill_parent_if_asked("after");
    ctl.log("exit", &code.to_string());
    std::process::exit(code);
}

struct Options {
    non_interactive: bool,
    bypass: bool,
    file: Option<String>,
}

/// powershell.exe parameters: case-insensitive, and any unambiguous prefix will do.
fn options(args: &[String]) -> Options {
    let mut o = Options {
        non_interactive: false,
        bypass: false,
        file: None,
    };
    let is = |a: &str, full: &str, min: usize| {
        let a = a.trim_start_matches('-').to_ascii_lowercase();
        a.len() >= min && full.starts_with(&a)
    };
    let mut i = 0;
    while i < args.len() {
        let a = &args[i];
        if is(a, "noninteractive", 4) {
            o.non_interactive = true;
        } else if is(a, "executionpolicy", 2) {
            i += 1;
            let p = args.get(i).map(|p| p.to_ascii_lowercase()).unwrap_or_default();
            o.bypass = matches!(p.as_str(), "bypass" | "unrestricted" | "remotesigned");
        } else if is(a, "file", 1) {
            o.file = args.get(i + 1).cloned();
            // Everything after the script path is the script's own arguments.
            break;
        }
        i += 1;
    }
    o
}

fn powershell(args: &[String], ctl: &Control) -> i32 {
    let o = options(args);
    // Prompts need -NonInteractive absent and someone at the keyboard (stdin a terminal):
    // lyncdr gives non-interactive steps a null stdin, where nobody can answer.
    let interactive = !o.non_interactive && std::io::stdin().is_terminal();
    ctl.log(
        "start",
        &format!(
            "powershell interactive={}",
            if interactive { "yes" } else { "no" }
        ),
    );
    ctl.kill_parent_if_asked("before");
    ctl.end_by_ctrl_c_if_asked();
    ctl.leave_grandchild_if_asked();
    if let Some(code) = ctl.block_if_asked() {
        return code;
    }
    ctl.flood_if_asked();
    let mut console = Console::new();
    let Some(file) = o.file else {
        console.line(
            Stream::Err,
            "lync-shell: only `-File SCRIPT.ps1` is supported by the stand-in.",
        );
        return 2;
    };
    // powershell.exe -File runs only files with the .ps1 extension (the console host's error
    // below; its exact 2.0 wording is unconfirmed). lyncdr writes `.ps1` files.
    if !file.to_ascii_lowercase().ends_with(".ps1") {
        console.line(Stream::Err, &format!("Processing -File '{file}' failed because the file does not have a '.ps1' extension. Specify a valid Windows PowerShell script file name, and then try again."));
        return 1;
    }
    let Ok(bytes) = read_bounded(Path::new(&file)) else {
        console.line(Stream::Err, &format!("The argument '{file}' to the -File parameter does not exist. Provide the path to an existing '.ps1' file as an argument to the -File parameter."));
        return 1;
    };
    // The default execution policy of Windows Server 2008 R2 is Restricted: scripts run only
    // with -ExecutionPolicy Bypass (or a looser policy) (about_Execution_Policies).
    if !o.bypass {
        console.line(Stream::Err, &format!("File {file} cannot be loaded because the execution of scripts is disabled on this system. Please see \"get-help about_signing\" for more details."));
        return 1;
    }
    let text = decode(&bytes);
    let nodes = match lexer::lex(&text).and_then(|n| parser::check(&n).map(|()| n)) {
        Ok(n) => n,
        Err(e) => {
            // A syntax error anywhere: nothing runs, exit code 1 (about_Parsing).
            console.line(
                Stream::Err,
                &format!("{}\r\nAt {file}:{} char:{}\r\n    + CategoryInfo          : ParserError: (:) [], ParseException", e.message, e.pos.line, e.pos.col),
            );
            return 1;
        }
    };
    let mut shell = powershell::Shell::new(ctl, file, interactive);
    shell.run(&nodes)
}
