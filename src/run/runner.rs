//! Running a rendered command: PowerShell through a PowerShell program (the text written to a
//! temporary `.ps1`, run with `-NoProfile -NonInteractive -ExecutionPolicy Bypass -File`), T-SQL
//! through sqlcmd (`-S server -E -b -x -i file`). Output is streamed to the screen and the log as
//! it comes; a timeout and Ctrl-C stop the child.

use crate::runbook::Language;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

#[derive(Debug, Clone)]
pub struct Programs {
    pub powershell: String,
    pub sqlcmd: String,
}

#[derive(Debug)]
pub enum Ending {
    Exited(i32),
    TimedOut,
    Interrupted,
    /// The program could not be started.
    NotStarted(String),
}

pub struct Execution {
    pub ending: Ending,
    pub output: String,
}

/// Is `program` something we can start (a path that exists, or a name on PATH)?
pub fn available(program: &str) -> bool {
    let p = Path::new(program);
    if p.components().count() > 1 {
        return p.is_file();
    }
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
        .unwrap_or(false)
}

pub struct Job<'a> {
    pub language: Language,
    pub text: &'a str,
    pub sql_server: Option<&'a str>,
    pub runbook: &'a str,
    pub step: &'a str,
    pub scratch: &'a Path,
    pub timeout: Duration,
}

/// Run one command to its end. `echo` receives each line of output as it arrives.
pub fn run(programs: &Programs, job: &Job, echo: &mut dyn FnMut(&str)) -> Execution {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            return Execution {
                ending: Ending::NotStarted(e.to_string()),
                output: String::new(),
            };
        }
    };
    runtime.block_on(run_async(programs, job, echo))
}

async fn run_async(programs: &Programs, job: &Job<'_>, echo: &mut dyn FnMut(&str)) -> Execution {
    let not_started = |m: String| Execution {
        ending: Ending::NotStarted(m),
        output: String::new(),
    };
    let (file, mut command) = match job.language {
        Language::Powershell => {
            let file = script_path(job, "ps1");
            let mut c = tokio::process::Command::new(&programs.powershell);
            c.args([
                "-NoProfile",
                "-NonInteractive",
                "-ExecutionPolicy",
                "Bypass",
                "-File",
            ])
            .arg(&file);
            (file, c)
        }
        Language::Sql => {
            let Some(server) = job.sql_server else {
                return not_started("the step names no SQL server to run its T-SQL on".into());
            };
            let file = script_path(job, "sql");
            let mut c = tokio::process::Command::new(&programs.sqlcmd);
            // -x: sqlcmd would otherwise expand `$(NAME)` even inside string literals (a path value).
            c.args(["-S", server, "-E", "-b", "-x", "-i"]).arg(&file);
            (file, c)
        }
        Language::Cmd => return not_started("cmd.exe lines are shown for operators, not run".into()),
    };
    // Windows PowerShell reads a BOM-less script as the ANSI code page; the text is ASCII, so
    // that is the same bytes. CRLF keeps Notepad readable for anyone who opens the file.
    let body = job.text.replace("\r\n", "\n").replace('\n', "\r\n") + "\r\n";
    if let Err(e) = std::fs::create_dir_all(job.scratch).and_then(|()| std::fs::write(&file, body)) {
        return not_started(format!("cannot write `{}`: {e}", file.display()));
    }
    command
        .env("LYNCDR_RUNBOOK", job.runbook)
        .env("LYNCDR_STEP", job.step)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            let program = command.as_std().get_program().to_string_lossy().into_owned();
            return not_started(format!("cannot start `{program}`: {e}"));
        }
    };
    let (Some(stdout), Some(stderr)) = (child.stdout.take(), child.stderr.take()) else {
        return not_started("no output pipes".into());
    };
    let mut out_lines = BufReader::new(stdout).lines();
    let mut err_lines = BufReader::new(stderr).lines();
    let mut output = String::new();
    let (mut out_open, mut err_open) = (true, true);
    let deadline = tokio::time::sleep(job.timeout);
    tokio::pin!(deadline);
    let ending = loop {
        tokio::select! {
            line = out_lines.next_line(), if out_open => match line {
                Ok(Some(l)) => { echo(&l); output.push_str(&l); output.push('\n'); }
                _ => out_open = false,
            },
            line = err_lines.next_line(), if err_open => match line {
                Ok(Some(l)) => { echo(&l); output.push_str(&l); output.push('\n'); }
                _ => err_open = false,
            },
            status = child.wait(), if !out_open && !err_open => {
                break match status {
                    Ok(s) => Ending::Exited(s.code().unwrap_or(-1)),
                    Err(e) => Ending::NotStarted(e.to_string()),
                };
            }
            () = &mut deadline => {
                let _ = child.kill().await;
                break Ending::TimedOut;
            }
            _ = tokio::signal::ctrl_c() => {
                let _ = child.kill().await;
                break Ending::Interrupted;
            }
        }
    };
    let _ = std::fs::remove_file(&file);
    Execution { ending, output }
}

fn script_path(job: &Job, ext: &str) -> PathBuf {
    job.scratch.join(format!(
        "{}-{}.{ext}",
        job.step.replace('.', "_"),
        std::process::id()
    ))
}
