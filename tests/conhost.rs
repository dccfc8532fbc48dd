//! lyncdr in a Windows console (a ConPTY the test makes under wine; to lyncdr it is a console
//! like a 2008 R2 conhost, in the OEM code page 437 unless `chcp` changed it): the glyphs it
//! draws and the code page it reads native programs' output in.

use crate::pty::{exit_code, spawn_as_is};
use crate::run::{lyncdr, recovery, run_args, step_record};
use expectrl::Expect;
use std::path::Path;
use std::process::Command;

/// A menu in a console in code page 437 (a US 2008 R2) draws ASCII: `> Done`, never ❯ or ✔,
/// which 437 has no byte for.
#[test]
fn menus_draw_ascii_in_an_oem_console() {
    let t = recovery();
    let dir = t.path();
    let mut p = crate::pty::spawn_in_pty(dir, &run_args("rgs-restore", &[]), &[]);
    let found = p.expect("Stop here (run again later to resume)").expect("a menu");
    let menu = String::from_utf8_lossy(found.before()).into_owned();
    assert!(
        !menu.contains('❯') && !menu.contains('›') && !menu.contains('✔'),
        "{menu}"
    );
    assert!(menu.contains("> Done"), "{menu}");
    crate::pty::kill(&mut p);
}

/// `lyncdr run ARGS` started by cmd.exe in a console after `chcp PAGE`, with no terminal on
/// standard input (the steps that ask are refused, as without a console); its exit code.
fn run_after_chcp(dir: &Path, page: u16, args: &[String]) -> i32 {
    let exe = crate::builder::lyncdr_bin().display().to_string();
    let line = format!("chcp {page} >nul && {exe} {} <NUL", args.join(" "));
    let mut cmd = Command::new("cmd.exe");
    // One word an argument: the ConPTY crate joins them with spaces, and cmd reads the line.
    cmd.arg("/c").args(line.split(' ')).current_dir(dir);
    cmd.envs(lyncdr(dir).get_envs().filter_map(|(k, v)| Some((k, v?))));
    cmd.env("LYNCSHELL_FLOOD", "list-rgs-contacts/step/1");
    let p = spawn_as_is(cmd);
    exit_code(&p)
}

/// `--codepage` defaults to the console's output code page (GetConsoleOutputCP): on a German or
/// French server (850) a native program's `Øystein Sørensen` reaches the state as written; read
/// as 437 (the default elsewhere, and what `--codepage 437` forces) it is `¥ystein S¢rensen`.
#[test]
fn native_output_is_read_in_the_consoles_code_page() {
    let contacts = |dir: &Path| {
        step_record(dir, "list-rgs-contacts")["commands"][0]["output"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let t = recovery();
    let code = run_after_chcp(t.path(), 850, &run_args("rgs-restore", &["--yes"]));
    assert_eq!(code, 6, "on to the deletion, which asks");
    assert!(
        contacts(t.path()).contains("Konto: Øystein Sørensen"),
        "{}",
        contacts(t.path())
    );

    let t = recovery();
    let args = run_args("rgs-restore", &["--yes", "--codepage", "437"]);
    assert_eq!(run_after_chcp(t.path(), 850, &args), 6);
    assert!(
        contacts(t.path()).contains("Konto: ¥ystein S¢rensen"),
        "{}",
        contacts(t.path())
    );
}
