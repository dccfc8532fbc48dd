//! lync-shell, the stand-in for Windows PowerShell 2.0 and sqlcmd (`tests/standin/`), and its
//! self-tests: each shows a rule of the real programs making the stand-in fail where they would.
//! Other test modules use [`lync_shell`] to find it and [`read_log`] to read what it did.

use crate::builder::OutputRetried as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
#[cfg(unix)] // the signal and pty tests
use std::time::{Duration, Instant};

#[cfg(unix)]
use expectrl::process::unix::WaitStatus;
#[cfg(unix)]
use expectrl::{Expect, Session};

/// The built `lync-shell` example: `target/<profile>/examples/lync-shell` next to this test
/// binary (`target/<profile>/deps/integration-HASH`); built once if it is missing.
pub fn lync_shell() -> PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        let exe = std::env::current_exe().expect("current exe");
        let profile = exe.parent().and_then(Path::parent).expect("target/<profile>");
        let path = profile
            .join("examples")
            .join(format!("lync-shell{}", std::env::consts::EXE_SUFFIX));
        // Under wine there is no cargo to call: scripts/windows.sh builds the example first.
        if cfg!(windows) {
            assert!(
                path.is_file(),
                "`{}` is missing: scripts/windows.sh test builds it",
                path.display()
            );
            install_eventcreate(&path);
            return path;
        }
        // `cargo test --test integration` builds no examples: build it when it is missing or
        // older than its sources (the stand-in changes with the tests).
        let built = std::fs::metadata(&path).and_then(|m| m.modified()).ok();
        let sources = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/standin");
        let newest = std::fs::read_dir(&sources)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok()?.metadata().ok()?.modified().ok())
            .max();
        if built.is_none() || newest > built {
            let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
            let mut build = Command::new(cargo);
            build
                .args(["build", "--example", "lync-shell"])
                .current_dir(env!("CARGO_MANIFEST_DIR"));
            if profile.file_name().is_some_and(|p| p == "release") {
                build.arg("--release");
            }
            let status = build.status().expect("run cargo build");
            assert!(status.success(), "cargo build --example lync-shell failed");
        }
        path
    })
    .clone()
}

/// Starts `command`. Under wine a process creation now and then fails with ERROR_INTERNAL_ERROR
/// (1359) while other tests start processes; it is tried again, a few times, there only.
fn spawn(command: &mut Command) -> std::io::Result<std::process::Child> {
    let mut tries = 0;
    loop {
        match command.spawn() {
            Err(e) if cfg!(windows) && e.raw_os_error() == Some(1359) && tries < 3 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(200));
            }
            other => return other,
        }
    }
}

/// Windows: the stand-in as `%SystemRoot%\System32\eventcreate.exe` (wine has none), so the
/// PowerShell stand-in starts it as a real process, as powershell.exe starts eventcreate.
fn install_eventcreate(shell: &Path) {
    let Some(root) = std::env::var_os("SystemRoot") else {
        return;
    };
    let target = Path::new(&root).join("System32").join("eventcreate.exe");
    let same =
        std::fs::metadata(&target).is_ok_and(|m| std::fs::metadata(shell).is_ok_and(|s| s.len() == m.len()));
    if !same {
        std::fs::copy(shell, &target).expect("install the eventcreate stand-in");
    }
}

/// The stand-in started as eventcreate (a copy under that name): its documented rules.
#[test]
fn eventcreate_takes_what_its_help_documents_and_refuses_the_rest() {
    let dir = tempfile::tempdir().expect("tempdir");
    let exe = dir
        .path()
        .join(format!("eventcreate{}", std::env::consts::EXE_SUFFIX));
    std::fs::copy(lync_shell(), &exe).expect("copy");
    let log = dir.path().join("log");
    let run = |args: &[&str]| {
        let out = command(&exe, dir.path())
            .args(args)
            .env("LYNCSHELL_LOG", &log)
            .output_retried()
            .expect("run eventcreate");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&[
        "/T",
        "ERROR",
        "/ID",
        "102",
        "/L",
        "APPLICATION",
        "/SO",
        "lyncdr",
        "/D",
        "lyncdr backup: not ready",
    ]);
    assert_eq!(code, Some(0), "{out}");
    assert!(out.starts_with("SUCCESS: An event of type 'ERROR' was created in the 'APPLICATION' log with 'lyncdr' as the source."), "{out}");
    for (args, why) in [
        (
            &["/T", "ERROR", "/ID", "1001", "/L", "APPLICATION", "/D", "x"][..],
            "an ID over 1000",
        ),
        (
            &["/T", "FATAL", "/ID", "1", "/L", "APPLICATION", "/D", "x"][..],
            "an unknown type",
        ),
        (
            &["/T", "ERROR", "/ID", "1", "/L", "SECURITY", "/D", "x"][..],
            "the Security log",
        ),
        (
            &["/T", "ERROR", "/ID", "1", "/SO", "lyncdr", "/D", "x"][..],
            "a source without /L",
        ),
        (
            &["/T", "ERROR", "/ID", "1", "/L", "APPLICATION"][..],
            "no description",
        ),
    ] {
        let (code, out) = run(args);
        assert_eq!(code, Some(1), "{why}: {out}");
        assert!(out.starts_with("ERROR: "), "{why}: {out}");
    }
    let events = read_log(&log);
    assert_eq!(
        events.iter().filter(|e| e.event == "event").count(),
        1,
        "{events:?}"
    );
}

/// One line of the stand-in's log (`LYNCSHELL_LOG`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub pid: u32,
    pub step: String,
    pub phase: String,
    pub event: String,
    pub detail: String,
}

/// Every event in the log, in order; an empty list when there is no log yet.
pub fn read_log(path: &Path) -> Vec<Event> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter_map(|line| {
            let mut f = line.splitn(5, '\t');
            Some(Event {
                pid: f.next()?.parse().ok()?,
                step: f.next()?.to_owned(),
                phase: f.next()?.to_owned(),
                event: f.next()?.to_owned(),
                detail: f.next().unwrap_or_default().to_owned(),
            })
        })
        .collect()
}

/// `event detail` for each event, for short assertions.
fn summary(log: &[Event]) -> Vec<String> {
    log.iter().map(|e| format!("{} {}", e.event, e.detail)).collect()
}

/// The wrapper lyncdr puts around a step (the real one). `transcript`: the interactive form.
/// The module-loading block is there only when the body calls a Lync cmdlet, as in lyncdr.
fn wrapped(body: &str, transcript: Option<&Path>) -> String {
    use lyncdr::wrapper::{Console, script};
    match transcript {
        None => script(body, Console::Piped),
        Some(t) => script(
            body,
            Console::Operator {
                transcript: &t.display().to_string(),
            },
        ),
    }
}

const MOVE_USERS: &str = "Get-CsUser | Where-Object { \"$($_.RegistrarPool)\" -eq 'pool01.contoso.com' } | Move-CsUser -Target 'pool02.contoso.com' -Force";

/// What a run of the stand-in left.
struct Ran {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
    log: Vec<Event>,
}

impl Ran {
    fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    fn logged(&self, event: &str, detail: &str) -> bool {
        self.log.iter().any(|e| e.event == event && e.detail == detail)
    }
}

/// A clean command for the stand-in: no `LYNCSHELL_*`/`LYNCDR_*` from the caller's environment.
fn command(program: &Path, dir: &Path) -> Command {
    let mut c = Command::new(program);
    c.current_dir(dir);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy().into_owned();
        if k.starts_with("LYNCSHELL_") || k.starts_with("LYNCDR_") {
            c.env_remove(k);
        }
    }
    c
}

fn ps_args(script: &Path, non_interactive: bool) -> Vec<String> {
    let mut a = vec!["-NoProfile".to_owned()];
    if non_interactive {
        a.push("-NonInteractive".into());
    }
    a.extend(["-ExecutionPolicy".into(), "Bypass".into(), "-File".into()]);
    a.push(script.display().to_string());
    a
}

/// Runs `script` as lyncdr runs a non-interactive step (stdin null, output piped).
fn ps(script: &str, non_interactive: bool, env: &[(&str, &str)]) -> Ran {
    ps_with_input(script, non_interactive, env, None)
}

/// The same with `input` on a piped (not terminal) standard input.
fn ps_with_input(script: &str, non_interactive: bool, env: &[(&str, &str)], input: Option<&str>) -> Ran {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("step.ps1");
    std::fs::write(&file, script).expect("write script");
    let log = dir.path().join("shell.log");
    let mut cmd = command(&lync_shell(), dir.path());
    cmd.args(ps_args(&file, non_interactive))
        .env("LYNCSHELL_LOG", &log)
        .envs(env.iter().copied())
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = spawn(&mut cmd).expect("run lync-shell");
    if let (Some(text), Some(mut stdin)) = (input, child.stdin.take()) {
        let _ = stdin.write_all(text.as_bytes());
    }
    ran(child.wait_with_output().expect("wait lync-shell"), &log)
}

fn ran(out: Output, log: &Path) -> Ran {
    Ran {
        code: out.status.code().unwrap_or(-1),
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        log: read_log(log),
    }
}

#[cfg(unix)] // the pty tests only
const PROMPT_END: &str = "(default is \"Y\"): ";

/// Runs `script` at a terminal (a pty, no -NonInteractive), answering the confirm prompts with
/// `answers` in turn (the last one repeated); returns the exit code and the log.
#[cfg(unix)] // a pseudo-terminal (expectrl's Unix backend; no ConPTY on 2008 R2 or wine)
fn ps_at_terminal(dir: &Path, script: &str, env: &[(&str, &str)], answers: &[&str]) -> (i32, Vec<Event>) {
    at_terminal(dir, script, env, answers, false)
}

#[cfg(unix)] // a pseudo-terminal (expectrl's Unix backend; no ConPTY on 2008 R2 or wine)
fn at_terminal(
    dir: &Path,
    script: &str,
    env: &[(&str, &str)],
    answers: &[&str],
    non_interactive: bool,
) -> (i32, Vec<Event>) {
    let file = dir.join("step.ps1");
    std::fs::write(&file, script).expect("write script");
    let log = dir.join("shell.log");
    let mut cmd = command(&lync_shell(), dir);
    cmd.args(ps_args(&file, non_interactive))
        .env("LYNCSHELL_LOG", &log)
        .envs(env.iter().copied());
    let mut p = Session::spawn(cmd).expect("spawn in a pty");
    p.set_expect_timeout(Some(Duration::from_secs(20)));
    let mut n = 0;
    loop {
        match p.expect(PROMPT_END) {
            Ok(_) => {
                let a = answers.get(n).or(answers.last()).expect("an answer");
                p.send_line(a).expect("answer");
                n += 1;
                assert!(n < 50, "too many prompts");
            }
            Err(expectrl::Error::Eof) => break,
            Err(e) => panic!("waiting for a prompt: {e}"),
        }
    }
    let code = match p.get_process().wait().expect("wait") {
        WaitStatus::Exited(_, c) => c,
        other => panic!("lync-shell ended with {other:?}"),
    };
    (code, read_log(&log))
}

// 1. PowerShell 2.0 loads no module by itself.
#[test]
fn lync_cmdlets_need_import_module_lync() {
    let bare = ps("Get-CsPool\n'after'\n", true, &[]);
    assert!(
        bare.stderr
            .contains("The term 'Get-CsPool' is not recognized as the name of a cmdlet"),
        "{}",
        bare.stderr
    );
    assert_eq!(bare.code, 0, "a missing command is a non-terminating error");
    assert!(bare.stdout().contains("after"), "the script goes on");
    assert!(bare.logged("cmdlet", "Get-CsPool not-recognized"));

    let stop = ps(
        "$ErrorActionPreference = 'Stop'\nGet-CsPool\n'after'\n",
        true,
        &[],
    );
    assert_eq!(stop.code, 1, "{}", stop.stderr);
    assert!(!stop.stdout().contains("after"));

    let ok = ps(&wrapped("Get-CsPool", None), true, &[]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.logged("module", "Lync loaded"));
    assert!(ok.logged("cmdlet", "Get-CsPool ok"), "{:?}", summary(&ok.log));

    let no_lync = ps(&wrapped("Get-CsPool", None), true, &[("LYNCSHELL_NO_LYNC", "1")]);
    assert_eq!(no_lync.code, 1);
    assert!(
        no_lync
            .stderr
            .contains("ERROR: Import-Module : The specified module 'Lync' was not loaded"),
        "{}",
        no_lync.stderr
    );
    assert!(no_lync.logged("module", "Lync failed"));
    assert!(
        !no_lync.log.iter().any(|e| e.detail.starts_with("Get-CsPool")),
        "nothing after the failure runs"
    );

    // Lync Server 2013 cmdlets do not exist in the 2010 module (facts file).
    let newer = ps(
        &wrapped("Backup-CsPool -PoolFqdn 'pool01.contoso.com'", None),
        true,
        &[],
    );
    assert_eq!(newer.code, 1);
    assert!(newer.logged("cmdlet", "Backup-CsPool not-recognized"));
}

#[test]
fn script_functions_exist_after_their_import_and_need_the_module() {
    let import = "Import-Module (Join-Path 'C:\\Scripts' 'RgsImportExport.ps1')\n";
    let call =
        "Import-CsRgsConfiguration 'ApplicationServer:pool02.contoso.com' -FileName 'C:\\Backups\\Rgs.zip'\n";

    let not_loaded = ps(&wrapped(call, None), true, &[]);
    assert_eq!(
        not_loaded.code, 1,
        "a 2010 script function, not a cmdlet: needs its script"
    );
    assert!(not_loaded.logged("cmdlet", "Import-CsRgsConfiguration not-recognized"));

    let ok = ps(&wrapped(&format!("{import}{call}"), None), true, &[]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    assert!(ok.logged("module", "script RgsImportExport.ps1"));
    assert!(ok.logged("cmdlet", "Import-CsRgsConfiguration ok"));

    // Without the module (no wrapper), the function's own Lync calls fail.
    let bare = ps(
        &format!("$ErrorActionPreference = 'Stop'\n{import}{call}"),
        true,
        &[],
    );
    assert_eq!(bare.code, 1);
    assert!(bare.stderr.contains("is not recognized"), "{}", bare.stderr);
    assert!(bare.logged("cmdlet", "Import-CsRgsConfiguration error"));

    let check = "if (-not (Get-Command Get-CsApplicationContact -ErrorAction SilentlyContinue)) { throw 'script missing' }\n";
    assert_eq!(ps(&wrapped(check, None), true, &[]).code, 1);
    let contacts = format!("Import-Module (Join-Path 'C:\\Scripts' 'Get-CsApplicationContact.ps1')\n{check}");
    assert_eq!(ps(&wrapped(&contacts, None), true, &[]).code, 0);
}

// 2. Errors are non-terminating unless $ErrorActionPreference = 'Stop'.
#[test]
fn a_failing_cmdlet_fails_the_step_only_under_stop() {
    let fail = [("LYNCSHELL_FAIL", "*/*/Move-CsUser")];
    let bare = ps(
        "Import-Module Lync\nMove-CsUser -Identity 'sip:juergen@contoso.com' -Target 'pool02.contoso.com' -Confirm:$false\n'after'\n",
        true,
        &fail,
    );
    assert_eq!(bare.code, 0);
    assert!(
        bare.stderr
            .contains("Move-CsUser : Simulated failure (LYNCSHELL_FAIL)"),
        "{}",
        bare.stderr
    );
    assert!(bare.stdout().contains("after"));
    assert!(bare.logged("cmdlet", "Move-CsUser error"));

    let body = MOVE_USERS.replace("-Force", "-Force -Confirm:$false");
    let step = ps(&wrapped(&body, None), true, &fail);
    assert_eq!(step.code, 1);
    assert!(
        step.stderr
            .contains("ERROR: Move-CsUser : Simulated failure (LYNCSHELL_FAIL)"),
        "{}",
        step.stderr
    );

    // STEP/PHASE select where the failure happens.
    let elsewhere = [
        ("LYNCSHELL_FAIL", "move-users/check/Move-CsUser"),
        ("LYNCDR_STEP", "move-users"),
        ("LYNCDR_PHASE", "step"),
    ];
    let other_phase = ps(&wrapped(&body, None), true, &elsewhere);
    assert_eq!(other_phase.code, 0, "{}", other_phase.stderr);
    let e = &other_phase.log[0];
    assert_eq!((e.step.as_str(), e.phase.as_str()), ("move-users", "step"));

    // An error silenced by -ErrorAction SilentlyContinue does not stop the step.
    let silenced = ps(
        &wrapped(
            "$pool = Get-CsPool -Identity 'pool01.contoso.com' -ErrorAction SilentlyContinue",
            None,
        ),
        true,
        &[("LYNCSHELL_FAIL", "*/*/Get-CsPool")],
    );
    assert_eq!(silenced.code, 0, "{}", silenced.stderr);
    assert!(silenced.logged("cmdlet", "Get-CsPool error"));

    let thrown = ps("throw 'nope'\n'after'\n", true, &[]);
    assert_eq!(thrown.code, 1, "throw is always terminating");
    assert!(thrown.stderr.contains("nope"));
    assert_eq!(ps("exit 7\n", true, &[]).code, 7);
}

// 3. Prompts need an operator.
#[test]
fn prompts_fail_without_an_operator() {
    let refused = ps(&wrapped(MOVE_USERS, None), true, &[]);
    assert_eq!(refused.code, 1);
    assert!(refused.logged("cmdlet", "Move-CsUser prompt-refused"));
    assert!(
        refused.stderr.contains(
            "PowerShell is in NonInteractive mode. Read and Prompt functionality is not available."
        ),
        "{}",
        refused.stderr
    );

    // Answers on a pipe are no operator: only a terminal counts.
    let no_terminal = ps_with_input(&wrapped(MOVE_USERS, None), false, &[], Some("A\nA\n"));
    assert!(no_terminal.logged("start", "powershell interactive=no"));
    assert!(no_terminal.logged("cmdlet", "Move-CsUser prompt-refused"));
    assert_eq!(no_terminal.code, 1);

    let read_host = ps("Read-Host 'Continue?'\n'after'\n", true, &[]);
    assert_eq!(read_host.code, 0, "non-terminating without Stop");
    assert!(read_host.logged("cmdlet", "Read-Host prompt-refused"));

    let unconfirmed = ps(
        &wrapped(&MOVE_USERS.replace("-Force", "-Force -Confirm:$false"), None),
        true,
        &[],
    );
    assert_eq!(unconfirmed.code, 0, "{}", unconfirmed.stderr);
    assert!(unconfirmed.logged("cmdlet", "Move-CsUser ok"));
}

#[cfg(unix)] // a pseudo-terminal (expectrl's Unix backend; no ConPTY on 2008 R2 or wine)
#[test]
fn prompts_at_a_terminal_are_answered() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("step.transcript");
    let (code, log) = ps_at_terminal(dir.path(), &wrapped(MOVE_USERS, Some(&t)), &[], &["A"]);
    assert_eq!(code, 0);
    let s = summary(&log);
    assert!(
        s.contains(&"start powershell interactive=yes".to_owned()),
        "{s:?}"
    );
    assert_eq!(
        s.iter()
            .filter(|e| e.starts_with("cmdlet Move-CsUser"))
            .collect::<Vec<_>>(),
        ["cmdlet Move-CsUser answered:Y", "cmdlet Move-CsUser ok"],
        "A answers for both users"
    );

    // -NonInteractive refuses even at a terminal.
    let dir = tempfile::tempdir().expect("tempdir");
    let (code, log) = at_terminal(dir.path(), &wrapped(MOVE_USERS, None), &[], &["A"], true);
    assert_eq!(code, 1);
    assert!(summary(&log).contains(&"cmdlet Move-CsUser prompt-refused".to_owned()));

    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("step.transcript");
    let (code, log) = ps_at_terminal(dir.path(), &wrapped(MOVE_USERS, Some(&t)), &[], &["N"]);
    assert_eq!(code, 0);
    let s = summary(&log);
    assert_eq!(
        s.iter().filter(|e| e.contains("answered")).collect::<Vec<_>>(),
        ["cmdlet Move-CsUser answered:N", "cmdlet Move-CsUser answered:N"],
        "one prompt per user"
    );
}

// 4. Redirected output is in the OEM code page unless the script sets UTF-8.
#[test]
fn output_is_cp437_unless_the_script_sets_utf8() {
    let oem = ps("Import-Module Lync\nGet-CsUser\n", true, &[]);
    assert!(oem.stdout.contains(&0x81), "ü is 0x81 in CP437: {:?}", oem.stdout);
    assert!(String::from_utf8(oem.stdout.clone()).is_err());
    assert!(oem.stdout.ends_with(b"\r\n"), "Windows line ends");

    let dbimpexp = "& 'C:\\Program Files\\Common Files\\Microsoft Lync Server 2010\\Support\\DBImpExp.exe' /import '/hrxmlfile:C:\\x.xml' /restype:all\nGet-CsUser";
    let utf8 = ps(&wrapped(dbimpexp, None), true, &[]);
    assert_eq!(utf8.code, 0, "{}", utf8.stderr);
    let lines: Vec<&[u8]> = utf8.stdout.split(|b| *b == b'\n').collect();
    let cmdlet = lines
        .iter()
        .find(|l| l.starts_with(b"Get-CsUser:"))
        .expect("cmdlet line");
    assert!(std::str::from_utf8(cmdlet).is_ok_and(|l| l.contains("Jürgen Müller")));
    let native = lines
        .iter()
        .find(|l| l.starts_with(b"DBImpExp.exe:"))
        .expect("native line");
    assert!(
        std::str::from_utf8(native).is_err(),
        "a native program writes its own code page"
    );
    assert!(native.windows(3).any(|w| w == b"f\x81r"), "{native:?}");
    assert!(utf8.logged("native", "DBImpExp.exe exit 0"));
}

#[test]
fn a_native_program_fails_only_through_lastexitcode() {
    let fail = [("LYNCSHELL_FAIL", "*/*/DBImpExp.exe")];
    let run = "& 'C:\\Support\\DBImpExp.exe' /import '/hrxmlfile:C:\\x.xml' /restype:all";
    let unchecked = ps(&wrapped(run, None), true, &fail);
    assert_eq!(
        unchecked.code, 0,
        "an exit code is no PowerShell error, even under Stop"
    );
    assert!(unchecked.logged("native", "DBImpExp.exe exit 1"));

    let checked = format!(
        "{run}\nif ($LASTEXITCODE -ne 0) {{ throw ('DBImpExp.exe failed with exit code ' + $LASTEXITCODE) }}"
    );
    let step = ps(&wrapped(&checked, None), true, &fail);
    assert_eq!(step.code, 1);
    assert!(
        step.stderr
            .contains("ERROR: DBImpExp.exe failed with exit code 1"),
        "{}",
        step.stderr
    );
    assert_eq!(ps(&wrapped(&checked, None), true, &[]).code, 0);
}

// 5. The interactive wrapper's transcript.
#[cfg(unix)] // a pseudo-terminal (expectrl's Unix backend; no ConPTY on 2008 R2 or wine)
#[test]
fn the_transcript_holds_output_and_answers() {
    let dir = tempfile::tempdir().expect("tempdir");
    let t = dir.path().join("it's.transcript");
    let (code, _) = ps_at_terminal(dir.path(), &wrapped(MOVE_USERS, Some(&t)), &[], &["Y", "N"]);
    assert_eq!(code, 0);
    let bytes = std::fs::read(&t).expect("transcript written");
    assert_eq!(&bytes[..2], [0xff, 0xfe], "UTF-16LE BOM");
    let units: Vec<u16> = bytes[2..]
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text = String::from_utf16(&units).expect("UTF-16LE");
    assert!(text.contains("Windows PowerShell Transcript Start"), "{text}");
    assert!(text.contains("Move-CsUser: moved Jürgen Müller"), "{text}");
    assert!(
        !text.contains("moved André Öberg"),
        "answered N for the second user"
    );
    assert!(text.contains(&format!("{PROMPT_END}Y\r\n")), "{text}");
    assert!(text.contains(&format!("{PROMPT_END}N\r\n")), "{text}");
    assert!(text.contains("Windows PowerShell Transcript End"));
}

// 6. sqlcmd: -b decides the exit code; -x turns off $(NAME) variables.
#[test]
fn sqlcmd_exit_codes_follow_b_and_variables_follow_x() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sql = dir.path().join("step.sql");
    let log = dir.path().join("shell.log");
    let sqlcmd = |text: &str, flags: &[&str], env: &[(&str, &str)]| {
        std::fs::write(&sql, text).expect("write sql");
        let mut args = vec!["-S", "be01.contoso.com\\rtc", "-E"];
        args.extend(flags);
        args.push("-i");
        let out = command(&lync_shell(), dir.path())
            .args(args)
            .arg(&sql)
            .env("LYNCSHELL_LOG", &log)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output_retried()
            .expect("run sqlcmd stand-in");
        ran(out, &log)
    };
    let restore = "RESTORE DATABASE [rtc] FROM DISK = N'C:\\Backups\\rtc.bak' WITH REPLACE;\nGO\n";
    let fail = [("LYNCSHELL_FAIL", "*/*/sqlcmd")];

    let b = sqlcmd(restore, &["-b", "-x"], &fail);
    assert_eq!(b.code, 1);
    assert!(b.stdout().contains("Msg 3201, Level 16"), "{}", b.stdout());
    assert!(b.stdout.windows(3).any(|w| w == b"e\x94f"), "geöffnet in CP437");
    assert!(b.logged("sql", "exit 1"));
    assert_eq!(
        sqlcmd(restore, &["-x"], &fail).code,
        0,
        "without -b errors do not set the exit code"
    );

    let ok = sqlcmd(restore, &["-b", "-x"], &[]);
    assert_eq!(ok.code, 0);
    assert!(ok.stdout().contains("Processed 1234 pages for database 'rtc'"));
    assert!(ok.logged("start", "sqlcmd server=be01.contoso.com\\rtc"));

    let dollar = "RESTORE DATABASE [rtc] FROM DISK = N'C:\\Backups\\$(x).bak' WITH REPLACE;\n";
    let expanded = sqlcmd(dollar, &["-b"], &[]);
    assert_eq!(expanded.code, 1);
    assert!(
        expanded.stderr.contains("'x' scripting variable not defined."),
        "{}",
        expanded.stderr
    );
    assert_eq!(
        sqlcmd(dollar, &[], &[]).code,
        0,
        "printed, exit code 0 without -b"
    );
    assert_eq!(sqlcmd(dollar, &["-b", "-x"], &[]).code, 0, "-x: a literal");
}

#[cfg(unix)] // used by the Unix-only signal tests
fn wait_for(log: &Path, event: &str) -> Vec<Event> {
    let start = Instant::now();
    loop {
        let events = read_log(log);
        if events.iter().any(|e| e.event == event) {
            return events;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no `{event}` in {events:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(unix)] // used by the Unix-only signal tests
fn under_sh(dir: &Path, env: &[(&str, &str)]) -> Command {
    let file = dir.join("step.ps1");
    std::fs::write(&file, "Import-Module Lync\nGet-CsPool\n").expect("write script");
    let mut c = command(Path::new("sh"), dir);
    c.arg("-c")
        .arg("\"$0\" -NoProfile -NonInteractive -ExecutionPolicy Bypass -File \"$1\"; echo survived")
        .arg(lync_shell())
        .arg(&file)
        .env("LYNCSHELL_LOG", dir.join("shell.log"))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    c
}

// 7. Fixed points for crash and Ctrl-C tests act on the parent.
#[cfg(unix)] // SIGKILL/SIGSTOP/SIGINT of the parent: Unix signals
#[test]
fn kill_parent_and_stop_parent_act_on_the_parent() {
    use std::os::unix::process::ExitStatusExt;
    for when in ["before", "after"] {
        let dir = tempfile::tempdir().expect("tempdir");
        let pattern = format!("*/*/{when}");
        let out = under_sh(dir.path(), &[("LYNCSHELL_KILL_PARENT", &pattern)])
            .output_retried()
            .expect("run sh");
        assert_eq!(out.status.signal(), Some(9), "the parent was killed ({when})");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("survived"));
        let s = summary(&wait_for(&dir.path().join("shell.log"), "exit"));
        let killed = s
            .iter()
            .position(|e| e == &format!("killed-parent {when}"))
            .expect("logged");
        let cmdlet = s
            .iter()
            .position(|e| e == "cmdlet Get-CsPool ok")
            .expect("the script ran");
        assert_eq!(killed < cmdlet, when == "before", "{s:?}");
    }

    let dir = tempfile::tempdir().expect("tempdir");
    let child = under_sh(dir.path(), &[("LYNCSHELL_STOP_PARENT", "*/*")])
        .spawn()
        .expect("spawn sh");
    wait_for(&dir.path().join("shell.log"), "exit");
    let stat = format!("/proc/{}/stat", child.id());
    let start = Instant::now();
    while !std::fs::read_to_string(&stat).is_ok_and(|s| s.split(' ').nth(2) == Some("T")) {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the parent was never stopped"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let cont = Command::new("kill")
        .args(["-CONT", &child.id().to_string()])
        .status()
        .expect("kill -CONT");
    assert!(cont.success());
    let out = child.wait_with_output().expect("wait sh");
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("survived"));
}

#[cfg(unix)] // SIGKILL/SIGSTOP/SIGINT of the parent: Unix signals
#[test]
fn block_holds_a_command_until_it_is_interrupted() {
    use std::os::unix::process::ExitStatusExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("step.ps1");
    std::fs::write(&file, "Import-Module Lync\nGet-CsPool\n").expect("write script");
    let log = dir.path().join("shell.log");
    let spawn = |phase: &str| {
        command(&lync_shell(), dir.path())
            .args(ps_args(&file, true))
            .env("LYNCSHELL_LOG", &log)
            .env("LYNCSHELL_BLOCK", "move-users/step")
            .env("LYNCDR_STEP", "move-users")
            .env("LYNCDR_PHASE", phase)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn lync-shell")
    };
    // The check phase is not blocked.
    assert!(spawn("check").wait().expect("wait").success());
    std::fs::remove_file(&log).expect("fresh log");
    let mut child = spawn("step");
    wait_for(&log, "blocked");
    assert!(child.try_wait().expect("try_wait").is_none(), "still running");
    let int = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(int.success());
    let status = child.wait().expect("wait");
    assert_eq!(status.signal(), Some(2), "Ctrl-C ends it");
    let s = summary(&read_log(&log));
    assert!(!s.iter().any(|e| e.starts_with("cmdlet")), "nothing ran: {s:?}");
}

/// The names of the commands a script calls, by the tree-sitter PowerShell grammar (not by
/// the stand-in's own reading), that follow the Lync `Verb-Cs...` naming.
pub fn cs_commands(text: &str) -> Vec<String> {
    fn walk(node: tree_sitter::Node, text: &str, out: &mut Vec<String>) {
        if node.kind() == "command_name" {
            let name = &text[node.byte_range()];
            if name.split_once('-').is_some_and(|(_, noun)| {
                noun.len() > 2 && noun.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("cs"))
            }) {
                out.push(name.to_owned());
            }
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            walk(child, text, out);
        }
    }
    let tree = crate::powershell::parse(text);
    let mut out = Vec::new();
    walk(tree.root_node(), text, &mut out);
    out
}

fn powershell_texts(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            if m.get("language").and_then(|l| l.as_str()) == Some("powershell")
                && let Some(t) = m.get("text").and_then(|t| t.as_str())
            {
                out.push(t.to_owned());
            }
            m.values().for_each(|x| powershell_texts(x, out));
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| powershell_texts(x, out)),
        _ => {}
    }
}

// 8. Empty answers: a cmdlet told to find nothing (LYNCSHELL_EMPTY) writes no object, and the
// conditions of the checks are decided by PowerShell 2.0's rules for counts and $null.

const CHECK: &str = "check";

/// Runs `body` inside lyncdr's wrapper as the check of step `s`, with `env` added.
fn check(body: &str, env: &[(&str, &str)]) -> Ran {
    let mut all = vec![("LYNCDR_STEP", "s"), ("LYNCDR_PHASE", CHECK)];
    all.extend_from_slice(env);
    ps(&wrapped(body, None), true, &all)
}

#[test]
fn an_empty_answer_has_count_zero_and_fails_a_check() {
    // `@()` of nothing has Count 0 (about_Arrays): the check throws, exit code 1.
    let body = "$users = @(Get-CsUser)\nif ($users.Count -eq 0) { throw 'no user' }\n'OK'";
    let normal = check(body, &[]);
    assert_eq!(normal.code, 0, "{}", normal.stderr);
    assert!(normal.logged("cmdlet", "Get-CsUser ok"));
    let empty = check(body, &[("LYNCSHELL_EMPTY", "s/check/Get-CsUser")]);
    assert_eq!(empty.code, 1, "{}", empty.stderr);
    assert!(empty.logged("cmdlet", "Get-CsUser empty"));
    assert!(empty.stderr.contains("no user"), "{}", empty.stderr);
    // Only the step and phase named: the same script as another step's check is untouched.
    let other = check(body, &[("LYNCSHELL_EMPTY", "t/check/Get-CsUser")]);
    assert_eq!(other.code, 0, "{}", other.stderr);

    // `-lt N`, `-gt 0` and `if ($x)` on the same counts.
    for (cond, fails_when_empty) in [
        ("$users.Count -lt 1", true),
        ("-not ($users.Count -gt 0)", true),
        ("-not $users", true),
        ("$users.Count -ne 0", false),
    ] {
        let body = format!("$users = @(Get-CsUser)\nif ({cond}) {{ throw 'no user' }}\n'OK'");
        let normal = check(&body, &[]);
        let empty = check(&body, &[("LYNCSHELL_EMPTY", "s/check/Get-CsUser")]);
        let (n, e) = if fails_when_empty { (0, 1) } else { (1, 0) };
        assert_eq!(
            (normal.code, empty.code),
            (n, e),
            "{cond}: {} {}",
            normal.stderr,
            empty.stderr
        );
    }
}

#[test]
fn null_follows_powershell_2() {
    // A pipeline that writes nothing assigns $null, and $null is falsy (about_Booleans).
    let body = "$pool = Get-CsPool -Identity 'pool02.contoso.com'\nif (-not $pool) { throw 'no pool' }\n'OK'";
    assert_eq!(check(body, &[]).code, 0);
    assert_eq!(check(body, &[("LYNCSHELL_EMPTY", "s/check/Get-CsPool")]).code, 1);
    // PowerShell 2.0 has no Count on $null: `$x.Count -eq 0` is false there, so a check written
    // without `@()` passes on an empty answer. The stand-in keeps that trap.
    let trap = "$users = Get-CsUser\nif ($users.Count -eq 0) { throw 'no user' }\n'passes in 2.0'";
    let empty = check(trap, &[("LYNCSHELL_EMPTY", "s/check/Get-CsUser")]);
    assert_eq!(empty.code, 0, "{}", empty.stderr);
    // A foreach over an empty array runs its body zero times.
    let body = "$none = @(Get-CsUser)\nforeach ($u in $none) { throw 'ran' }\n'OK'";
    assert_eq!(check(body, &[("LYNCSHELL_EMPTY", "s/check/Get-CsUser")]).code, 0);
}

#[test]
fn where_object_passes_on_nothing_and_its_filter_is_told() {
    let body = "$left = @(Get-CsUser | Where-Object { \"$($_.RegistrarPool)\" -eq 'pool01.contoso.com' })\n\
                if ($left.Count -gt 0) { throw ('{0} user(s) left' -f $left.Count) }\n'OK'";
    // The filter is not evaluated: unknown, the old happy path.
    assert_eq!(check(body, &[]).code, 0);
    // Where-Object of nothing is nothing.
    assert_eq!(check(body, &[("LYNCSHELL_EMPTY", "s/check/Get-CsUser")]).code, 0);
    // LYNCSHELL_MATCH: every object matches, so two users are left.
    let all = check(body, &[("LYNCSHELL_MATCH", "s/check/Where-Object")]);
    assert_eq!(all.code, 1, "{}", all.stderr);
    assert!(all.stderr.contains("user(s) left"), "{}", all.stderr);
    // LYNCSHELL_EMPTY on the filter itself.
    let positive = body.replace("$left.Count -gt 0", "$left.Count -eq 0");
    assert_eq!(
        check(&positive, &[("LYNCSHELL_EMPTY", "s/check/Where-Object")]).code,
        1
    );
}

#[test]
fn counters_are_known_only_on_decided_paths() {
    let body = "$all = @(Get-CsDialInConferencingAccessNumber)\n$bad = 0\n\
                foreach ($uri in @('sip:a@contoso.com', 'sip:b@contoso.com')) {\n\
                $n = @($all | Where-Object { $_.PrimaryUri -eq $uri })\n\
                if ($n.Count -eq 0) { Write-Host ('NOT FOUND ' + $uri); $bad++ } else { Write-Host 'OK' }\n}\n\
                if ($bad -gt 0) { throw ('{0} missing' -f $bad) }\n'OK'";
    // Normal answers: the filter is undecided, so the else branch is a guess and `$bad++` in
    // either branch would make $bad unknown; it stays 0 here.
    assert_eq!(check(body, &[]).code, 0);
    let empty = check(
        body,
        &[("LYNCSHELL_EMPTY", "s/check/Get-CsDialInConferencingAccessNumber")],
    );
    assert_eq!(empty.code, 1, "{}", empty.stderr);
    // A counter raised in a guessed branch is unknown, not 1.
    let guessed = "$bad = 0\nif ($x -like 'a*') { Write-Host 'OK' } else { $bad++ }\nif ($bad -gt 0) { throw 'bad' }\n'OK'";
    assert_eq!(check(guessed, &[]).code, 0);
}

// 9. Exact answers: where a test describes the deployment (LYNCSHELL_POOLS, _SCP, _REPLICAS,
// _CMS_MASTER), those cmdlets answer with its objects, and the filters and comparisons on them are
// computed with PowerShell 2.0's rules.

#[test]
fn exact_answers_follow_powershell_2() {
    let pools = [(
        "LYNCSHELL_POOLS",
        "pool02.contoso.com=fe03.contoso.com,fe04.contoso.com",
    )];
    // The runbooks' form: each object's property through ForEach-Object.
    let listed = "$names = @(Get-CsComputer -Pool 'pool02.contoso.com' | ForEach-Object { \"$($_.Fqdn)\" })\n\
                  if (-not ($names -contains 'fe04.contoso.com')) { throw 'fe04 is not listed' }\n'OK'";
    assert_eq!(check(listed, &pools).code, 0);
    let other = check(&listed.replace("pool02", "pool09"), &pools);
    assert_eq!(other.code, 1, "{}", other.stderr);
    // 2.0 has no member enumeration (it came with 3.0, "What's New in Windows PowerShell 3.0"):
    // the property of an array is $null, so a check written for 3.0 fails there.
    let enumerated = "$servers = @(Get-CsComputer -Pool 'pool02.contoso.com')\n\
                      if (-not ($servers.Fqdn -contains 'fe04.contoso.com')) { throw 'fe04 is not listed' }\n'OK'";
    let ran = check(enumerated, &pools);
    assert_eq!(ran.code, 1, "{}", ran.stderr);
    assert!(ran.stderr.contains("fe04 is not listed"), "{}", ran.stderr);
    // `-eq` with an array on the left returns the elements that match (about_Comparison_Operators):
    // true when one does.
    let filtered = "$names = @('fe03.contoso.com', 'fe04.contoso.com')\nif ($names -eq 'NAME') { throw 'matched' }\n'OK'";
    assert_eq!(check(&filtered.replace("NAME", "fe09.contoso.com"), &[]).code, 0);
    assert_eq!(check(&filtered.replace("NAME", "FE03.contoso.com"), &[]).code, 1);
    // A long chain of operators is folded, not recursed: no stack overflow.
    let long = format!(
        "if ($true{}) {{ throw 'all true' }}\n'OK'",
        " -and $true".repeat(50_000)
    );
    assert_eq!(check(&long, &[]).code, 1);
}

// 10. Every PowerShell script of the four runbooks runs in the stand-in.
#[test]
fn every_runbook_script_runs_in_the_stand_in() {
    let mut texts = Vec::new();
    for runbook in ["backend-restore", "cms-move", "cms-restore", "rgs-restore"] {
        let plan = crate::procedures::example_plan(runbook, &[]);
        powershell_texts(&plan, &mut texts);
    }
    texts.sort();
    texts.dedup();
    assert!(texts.len() > 20, "{} scripts", texts.len());
    let mut needed_terminal = Vec::new();
    for (i, text) in texts.iter().enumerate() {
        let step = format!("script-{i}");
        let env = [("LYNCDR_STEP", step.as_str()), ("LYNCDR_PHASE", "step")];
        #[cfg_attr(windows, allow(unused_mut))] // answered at a terminal on Unix only
        let mut run = ps(&wrapped(text, None), true, &env);
        if run.log.iter().any(|e| e.detail.ends_with("prompt-refused")) {
            // A step that asks: lyncdr must run it at a terminal; answer Yes to All.
            needed_terminal.push(cs_commands(text).join(", "));
            // Windows: no pseudo-terminal to answer at (the prompt rules run on Unix).
            if cfg!(windows) {
                continue;
            }
            #[cfg(unix)]
            {
                let dir = tempfile::tempdir().expect("tempdir");
                let t = dir.path().join("step.transcript");
                let (code, log) = ps_at_terminal(dir.path(), &wrapped(text, Some(&t)), &env, &["A"]);
                run = Ran {
                    code,
                    stdout: Vec::new(),
                    stderr: String::new(),
                    log,
                };
            }
        }
        assert_eq!(run.code, 0, "script {i}:\n{text}\nstderr: {}", run.stderr);
        assert!(run.logged("exit", "0"), "script {i}: {:?}", summary(&run.log));
        for name in cs_commands(text) {
            assert!(
                run.logged("cmdlet", &format!("{name} ok")),
                "script {i}: `{name}` not run:\n{text}\n{:?}",
                summary(&run.log)
            );
        }
    }
    eprintln!("steps that need a terminal (they prompt): {needed_terminal:?}");
}

/// Fragments of the scripts the stand-in reads, with the pieces that break naive readers
/// (unterminated strings and blocks, typographic quotes, here-strings, BOM-less non-ASCII).
const FRAGMENTS: [&str; 52] = [
    "Get-CsUser",
    "Move-CsUser",
    "Import-Module Lync",
    "try {",
    "} catch {",
    "} finally {",
    "if (",
    "else {",
    "foreach ($x in $y) {",
    "(",
    ")",
    "{",
    "}",
    "[",
    "]",
    "$(",
    "@(",
    "@{",
    "'",
    "\"",
    "`",
    "#",
    "<#",
    "#>",
    "|",
    ";",
    "\n",
    "-Confirm:$false",
    "$_",
    "$LASTEXITCODE -ne 0",
    "throw 'x'",
    "exit 3",
    "& 'C:\\x\\DBImpExp.exe'",
    "[Console]::OutputEncoding = 'UTF8'",
    "Read-Host",
    "function f { f }",
    "f",
    "@'\n",
    "\n'@",
    "\u{2019}",
    "\u{201c}",
    "\u{2013}not",
    "Jürgen",
    "$ErrorActionPreference = 'Stop'",
    "[Console]::Error.WriteLine($_)",
    "$(x)",
    "Write-Host",
    "-ErrorAction SilentlyContinue",
    "$x++",
    "$x += @(Get-CsUser)",
    "@().Count -eq 0",
    "foreach ($x in @()) {",
];

fn never_panics(bytes: &[u8]) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (ps1, sql) = (dir.path().join("s.ps1"), dir.path().join("s.sql"));
    std::fs::write(&ps1, bytes).expect("write");
    std::fs::write(&sql, bytes).expect("write");
    let ps_args = ps_args(&ps1, true);
    let sql_args = ["-S", "x", "-E", "-b", "-i"]
        .map(String::from)
        .into_iter()
        .chain([sql.display().to_string()]);
    for args in [ps_args, sql_args.collect()] {
        let out = command(&lync_shell(), dir.path())
            .args(&args)
            .env("LYNCSHELL_FAIL", "*/*/Move-CsUser")
            .stdin(Stdio::null())
            .output_retried()
            .expect("run lync-shell");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code().is_some() && !stderr.contains("panicked"),
            "{args:?} on {:?}: {:?} {stderr}",
            String::from_utf8_lossy(bytes),
            out.status
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 48, ..Default::default() })]

    #[test]
    fn the_stand_in_never_panics(
        picks in proptest::collection::vec(0..FRAGMENTS.len(), 0..40),
        noise in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..16),
    ) {
        let mut bytes: Vec<u8> = picks.iter().flat_map(|&i| format!("{} ", FRAGMENTS[i]).into_bytes()).collect();
        bytes.extend(noise);
        never_panics(&bytes);
    }
}
