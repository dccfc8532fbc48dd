//! Running one rendered command on this machine.
//!
//! PowerShell: the text inside the step wrapper ([`crate::wrapper`]) is written to a new file in
//! the run's private scratch folder and started as `PROGRAM -NoProfile -NonInteractive
//! -ExecutionPolicy Bypass -File FILE`, standard input closed, output piped; a step that asks the
//! operator questions runs without `-NonInteractive`, on the operator's terminal, and its
//! transcript is read back. T-SQL: `sqlcmd -S server -E -b -x -i FILE` (`-b`: an error gives exit
//! code 1; `-x`: `$(NAME)` in a value is not a sqlcmd variable).
//!
//! Output is read as bytes, line by line (a line is cut at [`MAX_LINE`] bytes), decoded
//! ([`crate::decode::console_line`]) and streamed to the screen and the log as it comes, so a byte
//! that is not UTF-8 never stalls the child on a full pipe. What the state file keeps of it is
//! bounded ([`Output`]). The time limit and Ctrl-C ([`super::interrupt`]) stop the command with
//! every process it started ([`crate::process::Tree`]: a process group, a Job object); a piped
//! command runs in its own process group, so the terminal's Ctrl-C reaches lyncdr only, which
//! decides. When the command ends, whatever it left running is stopped too, and the record of it
//! ([`super::child`]) is cleared only once nothing of it runs; while something does, no command
//! is started beside it.

use super::interrupt;
use crate::decode::{self, CodePage};
use crate::process;
use crate::runbook::Language;
use crate::wrapper;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt};

/// Longest line passed on whole; a longer one is cut into pieces of this size.
pub const MAX_LINE: usize = 16 << 10;

#[derive(Debug, Clone)]
pub struct Programs {
    pub powershell: String,
    pub sqlcmd: String,
    /// The Front End's console (OEM) code page, for output that is not UTF-8.
    pub codepage: CodePage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// The step's commands.
    Step,
    /// The step's read-only check.
    Check,
}

impl Phase {
    pub fn name(self) -> &'static str {
        match self {
            Phase::Step => "step",
            Phase::Check => "check",
        }
    }
}

#[derive(Debug)]
pub enum Ending {
    Exited(i32),
    TimedOut,
    Interrupted,
    /// The program could not be started (nothing ran).
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
    pub phase: Phase,
    /// Run on the operator's terminal (the step asks questions).
    pub console: bool,
    /// The run's private folder for scripts and transcripts.
    pub scratch: &'a Path,
    pub timeout: Duration,
}

/// Run one command to its end. `echo` receives each line of piped output as it arrives.
pub fn run(programs: &Programs, job: &Job, echo: &mut dyn FnMut(&str)) -> Execution {
    let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => return not_started(e.to_string()),
    };
    runtime.block_on(run_async(programs, job, echo))
}

fn not_started(why: String) -> Execution {
    Execution {
        ending: Ending::NotStarted(why),
        output: String::new(),
    }
}

/// The folder for scripts and transcripts: private to the account running lyncdr (created
/// owner-only, or an existing one checked: [`crate::fsx::private_dir`]), so nobody else can swap
/// a script between its writing and its run. Its parent must exist.
pub fn scratch_dir(dir: &Path) -> std::io::Result<()> {
    crate::fsx::private_dir(dir)
}

/// A new file (created exclusively, random name) in the scratch folder holding `body`.
fn new_file(job: &Job, suffix: &str, body: &[u8]) -> std::io::Result<tempfile::TempPath> {
    use std::io::Write as _;
    scratch_dir(job.scratch)?;
    let mut f = tempfile::Builder::new()
        .prefix(&format!("{}-{}-", job.step.replace('.', "_"), job.phase.name()))
        .suffix(suffix)
        .tempfile_in(job.scratch)?;
    f.write_all(body)?;
    f.as_file().sync_all()?;
    Ok(f.into_temp_path())
}

async fn run_async(programs: &Programs, job: &Job<'_>, echo: &mut dyn FnMut(&str)) -> Execution {
    // Files live until the end of this function (dropping a TempPath removes the file).
    let mut transcript = None;
    let (_script, mut command) = match job.language {
        Language::Powershell => {
            let console = if job.console {
                let t = match new_file(job, ".transcript.txt", b"") {
                    Ok(t) => t,
                    Err(e) => return not_started(format!("cannot create a transcript file: {e}")),
                };
                let path = t.to_string_lossy().into_owned();
                transcript = Some(t);
                Some(path)
            } else {
                None
            };
            let text = match &console {
                Some(t) => wrapper::script(job.text, wrapper::Console::Operator { transcript: t }),
                None => wrapper::script(job.text, wrapper::Console::Piped),
            };
            // A script holding a non-ASCII value (`Zürich`) is UTF-8 with a BOM; CRLF for Notepad.
            let body = crate::windows_text::windows_text(&text);
            let file = match new_file(job, ".ps1", &body) {
                Ok(f) => f,
                Err(e) => return not_started(format!("cannot write the script: {e}")),
            };
            let mut c = tokio::process::Command::new(&programs.powershell);
            c.arg("-NoProfile");
            if !job.console {
                c.arg("-NonInteractive");
            }
            c.args(["-ExecutionPolicy", "Bypass", "-File"]).arg(&file);
            (file, c)
        }
        Language::Sql => {
            let Some(server) = job.sql_server else {
                return not_started("the step names no SQL server to run its T-SQL on".into());
            };
            let body = crate::windows_text::sql_text(&format!("{}\n", job.text));
            let file = match new_file(job, ".sql", &body) {
                Ok(f) => f,
                Err(e) => return not_started(format!("cannot write the script: {e}")),
            };
            let mut c = tokio::process::Command::new(&programs.sqlcmd);
            c.args(["-S", server, "-E", "-b", "-x"]);
            // The file is UTF-8 (no BOM); sqlcmd reads it so with `-f 65001`, as in the bundle.
            if !body.is_ascii() {
                c.args(["-f", "65001"]);
            }
            c.arg("-i").arg(&file);
            (file, c)
        }
        Language::Cmd => return not_started("cmd.exe lines are shown for operators, not run".into()),
    };
    command
        .env("LYNCDR_RUNBOOK", job.runbook)
        .env("LYNCDR_STEP", job.step)
        .env("LYNCDR_PHASE", job.phase.name())
        .kill_on_drop(true);
    if job.console {
        command
            .stdin(Stdio::inherit())
            .stdout(Stdio::inherit())
            .stderr(Stdio::inherit());
    } else {
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
    }
    // A piped command gets its own process group: the terminal's Ctrl-C goes to lyncdr, which
    // stops it.
    process::prepare(&mut command, job.console);
    // The last look before starting: a Ctrl-C pressed before now never reaches this command.
    if interrupt::requested() {
        return Execution {
            ending: Ending::Interrupted,
            output: String::new(),
        };
    }
    // A command left running by an earlier one (stopped, but not ended yet): never two side by
    // side.
    if let Some((c, pid)) = super::child::still_running(job.scratch) {
        return not_started(format!(
            "process {pid} of an earlier command of step `{}` still runs",
            c.step
        ));
    }
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(e) => {
            let program = command.as_std().get_program().to_string_lossy().into_owned();
            return not_started(format!("cannot start `{program}`: {e}"));
        }
    };
    let tree = process::Tree::adopt(&child);
    if let Some(id) = tree.identity() {
        super::child::record(
            job.scratch,
            &super::child::Child {
                process: id.clone(),
                runbook: job.runbook.to_owned(),
                step: job.step.to_owned(),
            },
        );
    }
    let mut output = Output::default();
    let mut out = Lines::new(child.stdout.take(), programs.codepage);
    let mut err = Lines::new(child.stderr.take(), programs.codepage);
    let deadline = tokio::time::sleep(job.timeout);
    tokio::pin!(deadline);
    let mut tick = tokio::time::interval(Duration::from_millis(50));
    let mut leftovers_stopped = false;
    let ending = loop {
        let (mut lines, mut errors) = (Vec::new(), Vec::new());
        tokio::select! {
            biased;
            () = out.next(&mut lines), if out.open() => {}
            () = err.next(&mut errors), if err.open() => {}
            status = child.wait(), if !out.open() && !err.open() => {
                break match status {
                    Ok(s) => ending(&s),
                    Err(e) => Ending::NotStarted(e.to_string()),
                };
            }
            () = &mut deadline => {
                tree.stop();
                let _ = child.kill().await;
                break Ending::TimedOut;
            }
            _ = tick.tick() => {
                let ended = child.try_wait().ok().flatten();
                if ended.is_some() && !leftovers_stopped {
                    // What an ended command left running would only hold its pipes open.
                    tree.stop();
                    leftovers_stopped = true;
                }
                if interrupt::requested() {
                    // A command that has already ended keeps its result: the Ctrl-C came after it.
                    if let Some(s) = ended {
                        out.drain(&mut lines).await;
                        err.drain(&mut lines).await;
                        for l in lines.iter().chain(&errors) {
                            echo(l);
                            output.push(l);
                        }
                        break ending(&s);
                    }
                    tree.stop();
                    let _ = child.kill().await;
                    break Ending::Interrupted;
                }
            }
        }
        for l in lines.iter().chain(&errors) {
            echo(l);
            output.push(l);
        }
    };
    // Nothing a step started outlives it (on Windows its job ends with it anyway); the record
    // stays while a process of it is still on its way out.
    tree.stop();
    if tree.wait_empty(STOP_WAIT).await {
        super::child::clear(job.scratch);
    }
    if let Some(t) = &transcript {
        // A step on the console: its transcript is its output (it was shown as it ran).
        match std::fs::read(t) {
            Ok(bytes) => {
                let text = decode::document_lossy(&bytes, programs.codepage);
                for line in text.lines() {
                    output.push(line);
                }
            }
            Err(e) => output.push(&format!("(no transcript: {e})")),
        }
    }
    Execution {
        ending,
        output: output.finish(),
    }
}

/// How long a stopped command's processes are waited for before the run goes on with the record
/// of them kept.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// A command that ended by itself: Ctrl-C that reached it (powershell.exe in lyncdr's console
/// ends with STATUS_CONTROL_C_EXIT) is an interruption, not a failure.
fn ending(status: &std::process::ExitStatus) -> Ending {
    if process::ended_by_ctrl_c(status) {
        Ending::Interrupted
    } else {
        Ending::Exited(status.code().unwrap_or(-1))
    }
}

/// Lines from one pipe, as bytes, decoded one by one.
struct Lines<R> {
    pipe: Option<R>,
    pending: Vec<u8>,
    page: CodePage,
}

impl<R: AsyncRead + Unpin> Lines<R> {
    fn new(pipe: Option<R>, page: CodePage) -> Self {
        Self {
            pipe,
            pending: Vec::new(),
            page,
        }
    }

    fn open(&self) -> bool {
        self.pipe.is_some()
    }

    /// Read once; push the complete lines (all that is left at the end of the stream).
    async fn next(&mut self, lines: &mut Vec<String>) {
        let Some(pipe) = self.pipe.as_mut() else {
            return;
        };
        let mut buf = [0u8; 8192];
        match pipe.read(&mut buf).await {
            Ok(0) | Err(_) => {
                self.pipe = None;
                self.flush(lines, true);
            }
            Ok(n) => {
                self.pending.extend_from_slice(&buf[..n]);
                self.flush(lines, false);
            }
        }
    }

    /// Whatever the pipe still holds, after the child has ended.
    async fn drain(&mut self, lines: &mut Vec<String>) {
        while self.open() {
            self.next(lines).await;
        }
    }

    fn flush(&mut self, lines: &mut Vec<String>, end: bool) {
        loop {
            let cut = match self.pending.iter().position(|b| *b == b'\n') {
                Some(i) => i + 1,
                None if self.pending.len() >= MAX_LINE => MAX_LINE,
                None if end && !self.pending.is_empty() => self.pending.len(),
                None => return,
            };
            let raw: Vec<u8> = self.pending.drain(..cut).collect();
            let raw = raw.strip_suffix(b"\n").unwrap_or(&raw);
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            lines.push(decode::console_line(raw, self.page));
        }
    }
}

/// What the state file keeps of a command's output: the first and the last [`Output::KEEP`]
/// bytes; the run log has all of it.
#[derive(Default)]
struct Output {
    head: String,
    tail: std::collections::VecDeque<String>,
    tail_bytes: usize,
    dropped: usize,
}

impl Output {
    const KEEP: usize = 32 << 10;

    fn push(&mut self, line: &str) {
        if self.head.len() + line.len() < Self::KEEP && self.tail.is_empty() {
            self.head.push_str(line);
            self.head.push('\n');
            return;
        }
        self.tail_bytes += line.len() + 1;
        self.tail.push_back(format!("{line}\n"));
        while self.tail_bytes > Self::KEEP {
            match self.tail.pop_front() {
                Some(l) => {
                    self.tail_bytes -= l.len();
                    self.dropped += 1;
                }
                None => break,
            }
        }
    }

    fn finish(self) -> String {
        let mut s = self.head;
        if self.dropped > 0 {
            s.push_str(&format!(
                "[... {} lines not kept in the state file; the run log has them ...]\n",
                self.dropped
            ));
        }
        s.extend(self.tail);
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_kept_is_bounded() {
        let mut o = Output::default();
        for i in 0..100_000 {
            o.push(&format!("line {i}"));
        }
        let s = o.finish();
        assert!(s.len() < 2 * Output::KEEP + 200, "{}", s.len());
        assert!(s.starts_with("line 0\n") && s.ends_with("line 99999\n"));
        assert!(s.contains("lines not kept"));
    }
}
