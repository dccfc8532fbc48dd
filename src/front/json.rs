//! `--format json`: what `list`, `show`, `validate`, `plan`, `status`, `audit`, `bundle` and
//! `backup` print for scripts. One envelope on stdout, whatever the command and however it
//! ended:
//!
//! ```json
//! {"format_version": 1, "command": "plan", "ok": true, "result": {...}}
//! {"format_version": 1, "command": "plan", "ok": false, "error": {"code": "input.missing", ...}}
//! ```
//!
//! `result` is the command's own object; `error` is the one [`ErrorObject`] every command
//! shares. The exit code is the same as in text mode ([`super::exit`]); `ok` is false exactly
//! when there is an error object (a verdict such as the audit's `not-ready` is a result). The
//! text of an error still goes to stderr. serde escapes control characters, and
//! [`crate::decode::json_safe`] the invisible and reordering ones, so no string in the envelope
//! can act on a terminal that shows it.

use super::error::Error;
use serde::Serialize;
use std::io::Write as _;

/// The version of the envelope and of every command's `result` in it: raised when a field
/// changes meaning or goes away (a new field does not raise it).
pub const FORMAT_VERSION: u32 = 1;

/// How the command that runs prints: its name as typed, and whether `--format json` was given;
/// and the whole command line as typed, for hints that repeat it with a change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub command: String,
    pub json: bool,
    pub typed: super::typed::Typed,
}

impl Output {
    pub fn is_json(&self) -> bool {
        self.json
    }

    /// The command's result in its envelope, on stdout.
    pub fn result(&self, result: impl Serialize) {
        let result = serde_json::to_value(result).unwrap_or_else(|e| e.to_string().into());
        self.print(&Envelope {
            format_version: FORMAT_VERSION,
            command: &self.command,
            ok: true,
            result: Some(result),
            error: None,
        });
    }

    /// `error` in its envelope, on stdout.
    pub fn error(&self, error: ErrorObject) {
        self.print(&Envelope {
            format_version: FORMAT_VERSION,
            command: &self.command,
            ok: false,
            result: None,
            error: Some(error),
        });
    }

    /// JSON has no colour: straight to stdout.
    fn print(&self, envelope: &Envelope) {
        let mut out = std::io::stdout().lock();
        let _ = out
            .write_all((pretty(envelope) + "\n").as_bytes())
            .and_then(|()| out.flush());
    }
}

/// Indented JSON with nothing in it that acts on a terminal.
pub fn pretty<T: Serialize>(value: &T) -> String {
    let text = serde_json::to_string_pretty(value)
        .unwrap_or_else(|e| serde_json::json!({ "serialization_error": e.to_string() }).to_string());
    crate::decode::json_safe(&text)
}

#[derive(Serialize)]
struct Envelope<'a> {
    format_version: u32,
    command: &'a str,
    ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorObject>,
}

/// Why a command produced no result: the same fields for every command and every error.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct ErrorObject {
    /// The kind of error, stable for scripts: `input.invalid`, `state.locked`,
    /// `command.no-state-file`, `usage.command-line`, ... ([`Error::kind`]).
    pub code: String,
    /// The process's exit code.
    pub exit_code: u8,
    /// The message (for invalid input: the first problem's; all are in `problems`).
    pub message: String,
    pub hint: Option<String>,
    /// `file:line:column` (or as much as is known) of the first problem, where there is one.
    pub location: Option<String>,
    /// Every problem found in the input files, in order (empty for other errors).
    pub problems: Vec<Problem>,
}

/// One problem in an input file.
#[derive(Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub location: Option<String>,
    pub notes: Vec<String>,
    pub hint: Option<String>,
}

impl From<&Error> for ErrorObject {
    fn from(e: &Error) -> Self {
        let problems: Vec<Problem> = match e {
            Error::Invalid(d) => {
                d.0.iter()
                    .map(|d| Problem {
                        message: d.message.clone(),
                        location: d.position(),
                        notes: d.notes.clone(),
                        hint: d.hint.clone(),
                    })
                    .collect()
            }
            _ => Vec::new(),
        };
        let (message, hint, location) = match problems.first() {
            Some(p) => (p.message.clone(), p.hint.clone(), p.location.clone()),
            None => (e.message().trim_end().to_owned(), e.hint(), None),
        };
        ErrorObject {
            code: e.kind(),
            exit_code: e.code(),
            message,
            hint,
            location,
            problems,
        }
    }
}

impl ErrorObject {
    /// A command line clap refused: its first paragraph as the message, the others (its tip,
    /// the usage line) as the hint.
    pub fn usage(rendered: &str) -> Self {
        let paragraphs: Vec<String> = rendered
            .split("\n\n")
            .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|p| !p.is_empty() && !p.starts_with("For more information"))
            .collect();
        let message = paragraphs
            .first()
            .map(|p| p.trim_start_matches("error:").trim().to_owned())
            .unwrap_or_default();
        let rest = paragraphs.get(1..).unwrap_or_default();
        ErrorObject {
            code: "usage.command-line".into(),
            exit_code: super::exit::USAGE,
            message,
            hint: (!rest.is_empty()).then(|| rest.join("; ")),
            location: None,
            problems: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Diagnostic, Diagnostics};
    use crate::front::command_error::CommandError;

    /// The message and the hint apart; the kind named after the variant.
    #[test]
    fn error_object_of_a_command_error() {
        let e: Error = CommandError::SeveralRuns {
            dir: "d".into(),
            found: vec!["a.json".into()],
            choose: vec!["lyncdr report a".into()],
        }
        .into();
        assert_eq!(
            serde_json::to_value(ErrorObject::from(&e)).expect("json"),
            serde_json::json!({
                "code": "command.several-runs",
                "exit_code": 64,
                "message": "several runs in d: a.json",
                "hint": "choose one: `lyncdr report a`",
                "location": null,
                "problems": [],
            })
        );
    }

    /// Invalid input: every problem with its place; the first one's in the object itself.
    #[test]
    fn error_object_of_diagnostics() {
        let src = crate::source::SourceFile::new("env.yaml", None, "a: 1\nb: 2\n");
        let at = |line, column| Some(crate::source::Location::new(line, column, 1));
        let d = Diagnostics(vec![
            Diagnostic::new("bad a").at(&src, at(1, 4)).hint("fix a"),
            Diagnostic::new("bad b").at(&src, at(2, 4)).note("b is odd"),
        ]);
        let o = ErrorObject::from(&Error::from(d));
        assert_eq!(o.code, "input.invalid");
        assert_eq!(o.exit_code, 65);
        assert_eq!(
            (o.message.as_str(), o.hint.as_deref(), o.location.as_deref()),
            ("bad a", Some("fix a"), Some("env.yaml:1:4"))
        );
        assert_eq!(o.problems.len(), 2);
        assert_eq!(o.problems[1].location.as_deref(), Some("env.yaml:2:4"));
        assert_eq!(o.problems[1].notes, ["b is odd"]);
    }

    #[test]
    fn usage_error_object() {
        let o = ErrorObject::usage(
            "error: the following required arguments were not provided:\n  <RUNBOOK>\n\n  tip: to pass '--x' as a value, use '-- --x'\n\nUsage: lyncdr list [OPTIONS]\n\nFor more information, try '--help'.\n",
        );
        assert_eq!(
            o.message,
            "the following required arguments were not provided: <RUNBOOK>"
        );
        assert_eq!(
            o.hint.as_deref(),
            Some("tip: to pass '--x' as a value, use '-- --x'; Usage: lyncdr list [OPTIONS]")
        );
        assert_eq!(o.exit_code, 64);
    }
}
