//! `lyncdr backup --task FILE`: the nightly job as a Task Scheduler definition, and the
//! `schtasks` line that registers it. Nothing is registered here: the file is written and the
//! line printed, for the administrator to run on the server.
//!
//! [`TaskConfig`] (checked values) -> [`TaskConfig::xml`]: schema 1.2 (Windows Server 2008 R2
//! reads it), written by quick-xml's writer (every value escaped for XML), a daily calendar
//! trigger at `--at` from a fixed date (no current date: the same inputs give the same bytes),
//! run whether the user is logged on or not (`LogonType` `Password`: schtasks asks for it with
//! `/RP *`, nothing stored here), with the highest privileges the account has; the action's
//! arguments quoted as the Microsoft C runtime splits them ([`escape::cmd_argument`]: Task
//! Scheduler expands `%NAME%` in them, as cmd.exe does, so a value holding `%` is refused) ->
//! [`task_bytes`]: UTF-16 little-endian with a byte order mark and CRLF, as Task Scheduler exports
//! and schtasks `/XML` reads.

use crate::env::value::{check_characters, check_task_name, check_windows_path};
use crate::escape;
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};
use std::fmt;

pub const NAMESPACE: &str = "http://schemas.microsoft.com/windows/2004/02/mit/task";
pub const DEFAULT_NAME: &str = "lyncdr-backup";
/// The environment key naming the task: `--task` registers it under that name, the recovery
/// runbooks disable it and `finish` enables it again.
pub const TASK_NAME_KEY: &str = "backups.task_name";
/// The daily trigger counts from this date; only its time of day matters. Fixed, so the file
/// does not change with the day it is written.
const START_DATE: &str = "2011-01-01";
/// Task Scheduler stops the job after this long (a stuck robocopy or sqlcmd must not hold the
/// next night's run: `MultipleInstancesPolicy` `IgnoreNew`).
const TIME_LIMIT: &str = "PT12H";

/// What the task runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// `lyncdr.exe backup --env FILE --to DIR [--key FILE]`.
    Lyncdr {
        exe: String,
        env: String,
        to: String,
        /// The set signing key on the server (`--key`).
        key: Option<String>,
    },
    /// `powershell.exe ... -File SCRIPT` (the `--script` folder, where it is on the server).
    Script { script: String },
}

/// A checked task definition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskConfig {
    pub name: String,
    /// Hour and minute of the daily run, local time of the server.
    pub at: (u8, u8),
    /// `DOMAIN\account` the task runs as.
    pub user: String,
    pub action: Action,
}

/// A value the task cannot carry, named by its option.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{option}: {message}")]
pub struct TaskError {
    pub option: &'static str,
    pub message: String,
}

fn invalid(option: &'static str, message: impl Into<String>) -> TaskError {
    TaskError {
        option,
        message: message.into(),
    }
}

/// `HH:MM`, 24-hour.
pub fn parse_at(raw: &str) -> Result<(u8, u8), TaskError> {
    let bad = || {
        invalid(
            "--at",
            format!(
                "`{}` is not a time of day as HH:MM (e.g. 02:15)",
                crate::env::value::shown(raw)
            ),
        )
    };
    let (h, m) = raw.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 || !h.bytes().chain(m.bytes()).all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok((h, m))
}

/// `DOMAIN\account` (or `account@domain`): no password goes with it.
pub fn check_user(raw: &str) -> Result<(), TaskError> {
    check_characters(raw).map_err(|e| invalid("--user", e))?;
    let ok = match raw.split_once('\\') {
        Some((domain, account)) => !domain.is_empty() && !account.is_empty() && !account.contains('\\'),
        None => raw
            .split_once('@')
            .is_some_and(|(a, d)| !a.is_empty() && !d.is_empty()),
    };
    if !ok || raw.contains(['"', '%', '/', ':', '*', '?', '<', '>', '|']) {
        return Err(invalid(
            "--user",
            format!(
                "`{}` is not an account as DOMAIN\\account",
                crate::env::value::shown(raw)
            ),
        ));
    }
    Ok(())
}

/// A task name: the environment's rule ([`check_task_name`]), named by its option.
pub fn check_name(raw: &str) -> Result<(), TaskError> {
    check_task_name(raw).map_err(|e| invalid("--task-name", e))
}

/// One argument for the task's command line, or why it cannot be one.
fn argument(option: &'static str, value: &str) -> Result<String, TaskError> {
    let quoted = escape::cmd_argument(value);
    if quoted == escape::UNSAFE {
        return Err(invalid(
            option,
            format!(
                "`{}` cannot be passed on a scheduled task's command line: Task Scheduler expands `%NAME%`, and `\"`, `!` and characters outside ASCII do not survive it",
                crate::env::value::shown(value)
            ),
        ));
    }
    Ok(quoted)
}

impl TaskConfig {
    /// Check every value (the action's paths are paths on the server: Windows paths). An `--exe`
    /// on a network share is refused unless `exe_on_share`: the task runs it with the highest
    /// privileges of its account, so whoever can write to the share would run code as that account.
    pub fn new(
        name: &str,
        at: (u8, u8),
        user: &str,
        action: Action,
        exe_on_share: bool,
    ) -> Result<TaskConfig, TaskError> {
        check_name(name)?;
        check_user(user)?;
        if let Action::Lyncdr { exe, .. } = &action
            && exe.starts_with("\\")
            && !exe_on_share
        {
            return Err(invalid(
                "--exe",
                format!(
                    "`{}` is on a network share: the task would run it every night with the highest privileges of its account, so anyone who can write to that share could run code as that account; copy lyncdr.exe to a local folder only administrators can write to, or pass --exe-on-share to accept that",
                    crate::env::value::shown(exe)
                ),
            ));
        }
        let paths: Vec<(&'static str, &str)> = match &action {
            Action::Lyncdr { exe, env, to, key } => {
                let mut v = vec![("--exe", exe.as_str()), ("--env-on-server", env), ("--to", to)];
                v.extend(key.as_deref().map(|k| ("--key", k)));
                v
            }
            Action::Script { script } => vec![("--script-on-server", script)],
        };
        for (option, path) in paths {
            check_windows_path(path).map_err(|e| invalid(option, e))?;
            argument(option, path)?;
        }
        Ok(TaskConfig {
            name: name.to_owned(),
            at,
            user: user.to_owned(),
            action,
        })
    }

    /// The program and its arguments, as the task starts them.
    pub fn command(&self) -> Result<(String, String), TaskError> {
        Ok(match &self.action {
            Action::Lyncdr { exe, env, to, key } => (
                exe.clone(),
                format!(
                    "backup --env {} --to {}{}",
                    argument("--env-on-server", env)?,
                    argument("--to", to)?,
                    match key {
                        Some(k) => format!(" --key {}", argument("--key", k)?),
                        None => String::new(),
                    }
                ),
            ),
            Action::Script { script } => (
                // Started from the system folder, never found on PATH.
                r"%SystemRoot%\System32\WindowsPowerShell\v1.0\powershell.exe".to_owned(),
                format!(
                    "-NoProfile -NonInteractive -ExecutionPolicy RemoteSigned -File {}",
                    argument("--script-on-server", script)?
                ),
            ),
        })
    }

    /// The task definition as text (schema 1.2); [`task_bytes`] gives the file's bytes.
    pub fn xml(&self) -> Result<String, TaskError> {
        let (command, arguments) = self.command()?;
        let description = match &self.action {
            Action::Lyncdr { .. } => {
                "lyncdr backup: one backup set of the Lync Server 2010 pool every night (exports, SQL Server backups, File Store copy), audited; the outcome goes to the Application event log."
            }
            Action::Script { .. } => {
                "lyncdr backup job (PowerShell script folder): one backup set of the Lync Server 2010 pool every night; the outcome goes to the Application event log."
            }
        };
        let start = format!("{START_DATE}T{:02}:{:02}:00", self.at.0, self.at.1);
        let version = format!("lyncdr {}", env!("CARGO_PKG_VERSION"));
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        // `<`, `>` and `&` escaped; quotes need none in text, and stay readable.
        let text = |t: &str| BytesText::from_escaped(quick_xml::escape::partial_escape(t).into_owned());
        let result: std::io::Result<()> = (|| {
            w.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-16"), None)))?;
            w.create_element("Task")
                .with_attribute(("version", "1.2"))
                .with_attribute(("xmlns", NAMESPACE))
                .write_inner_content(|w| {
                    w.create_element("RegistrationInfo").write_inner_content(|w| {
                        w.create_element("Author").write_text_content(text(&version))?;
                        w.create_element("Description")
                            .write_text_content(text(description))?;
                        Ok(())
                    })?;
                    w.create_element("Triggers").write_inner_content(|w| {
                        w.create_element("CalendarTrigger").write_inner_content(|w| {
                            w.create_element("StartBoundary")
                                .write_text_content(text(&start))?;
                            w.create_element("Enabled").write_text_content(text("true"))?;
                            w.create_element("ScheduleByDay").write_inner_content(|w| {
                                w.create_element("DaysInterval").write_text_content(text("1"))?;
                                Ok(())
                            })?;
                            Ok(())
                        })?;
                        Ok(())
                    })?;
                    w.create_element("Principals").write_inner_content(|w| {
                        w.create_element("Principal")
                            .with_attribute(("id", "Author"))
                            .write_inner_content(|w| {
                                w.create_element("UserId").write_text_content(text(&self.user))?;
                                // Run whether the user is logged on or not; schtasks /RP * asks
                                // for the password, which Task Scheduler keeps, not this file.
                                w.create_element("LogonType")
                                    .write_text_content(text("Password"))?;
                                w.create_element("RunLevel")
                                    .write_text_content(text("HighestAvailable"))?;
                                Ok(())
                            })?;
                        Ok(())
                    })?;
                    w.create_element("Settings").write_inner_content(|w| {
                        for (name, value) in [
                            ("MultipleInstancesPolicy", "IgnoreNew"),
                            ("DisallowStartIfOnBatteries", "false"),
                            ("StopIfGoingOnBatteries", "false"),
                            ("AllowHardTerminate", "true"),
                            ("StartWhenAvailable", "true"),
                            ("AllowStartOnDemand", "true"),
                            ("Enabled", "true"),
                            ("Hidden", "false"),
                            ("ExecutionTimeLimit", TIME_LIMIT),
                        ] {
                            w.create_element(name).write_text_content(text(value))?;
                        }
                        Ok(())
                    })?;
                    w.create_element("Actions")
                        .with_attribute(("Context", "Author"))
                        .write_inner_content(|w| {
                            w.create_element("Exec").write_inner_content(|w| {
                                w.create_element("Command").write_text_content(text(&command))?;
                                w.create_element("Arguments")
                                    .write_text_content(text(&arguments))?;
                                Ok(())
                            })?;
                            Ok(())
                        })?;
                    Ok(())
                })?;
            Ok(())
        })();
        result.map_err(|e| invalid("--task", format!("cannot build the task XML: {e}")))?;
        let xml = String::from_utf8_lossy(&w.into_inner()).into_owned();
        Ok(format!("{xml}\n"))
    }

    /// The line that registers the task from `file` (as the administrator will name it on the
    /// server); `/RP *` makes schtasks ask for the account's password. A value the line cannot
    /// carry is refused, never put in quotes raw.
    pub fn schtasks_line(&self, file: &str) -> Result<String, TaskError> {
        Ok(format!(
            "schtasks /Create /XML {} /TN {} /RU {} /RP *",
            argument("--task", file)?,
            argument("--task-name", &self.name)?,
            argument("--user", &self.user)?
        ))
    }
}

/// The file's bytes: UTF-16LE with a byte order mark, CRLF line ends.
pub fn task_bytes(xml: &str) -> Vec<u8> {
    let text = crate::bundle::text::crlf(xml);
    let mut out = vec![0xFF, 0xFE];
    for unit in text.encode_utf16() {
        out.extend_from_slice(&unit.to_le_bytes());
    }
    out
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Lyncdr { exe, .. } => write!(f, "{exe} backup"),
            Action::Script { script } => write!(f, "{script}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_of_day() {
        assert_eq!(parse_at("02:15"), Ok((2, 15)));
        assert_eq!(parse_at("23:59"), Ok((23, 59)));
        for bad in ["2:15", "24:00", "12:60", "0215", "02:15:00", "ab:cd", ""] {
            assert!(parse_at(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn accounts_and_names() {
        assert!(check_user(r"CONTOSO\svc-lyncbackup").is_ok());
        assert!(check_user("svc@contoso.com").is_ok());
        for bad in [
            "svc",
            r"\svc",
            r"CONTOSO\",
            r"A\B\C",
            "C\\50%",
            "C\\a\"b",
            "C\\a\u{7}",
        ] {
            assert!(check_user(bad).is_err(), "{bad:?}");
        }
        assert!(check_name(r"Lync\lyncdr-backup").is_ok());
        for bad in ["", " x", "a&b", r"..\x", "a%b"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
