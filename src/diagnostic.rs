//! Diagnostics: an error about a place in a file, printed the way compilers do, with the file,
//! line and column, the line itself with carets under the culprit, and a hint.

use crate::source::{Location, SourceFile};
use std::fmt::{self, Write as _};

#[derive(Debug, Clone)]
pub struct Diagnostic {
    pub message: String,
    pub file: Option<String>,
    pub at: Option<Location>,
    /// The source line quoted under the message (captured when the diagnostic is made).
    pub excerpt: Option<String>,
    /// Facts that explain the error (printed `= note:`), before the hint of what to do.
    pub notes: Vec<String>,
    pub hint: Option<String>,
    /// What kind of problem: the front end's exit code follows it (sysexits: 65, 66, 64).
    pub cause: Cause,
}

/// Why an input was refused.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Cause {
    /// The input is there and wrong.
    #[default]
    Invalid,
    /// The input is not there, or cannot be read (a missing environment file).
    Missing,
    /// The command line names something that does not exist (an unknown runbook).
    Unknown,
}

impl Diagnostic {
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            file: None,
            at: None,
            excerpt: None,
            notes: Vec::new(),
            hint: None,
            cause: Cause::Invalid,
        }
    }

    /// The same diagnostic, of another [`Cause`].
    pub fn cause(mut self, cause: Cause) -> Self {
        self.cause = cause;
        self
    }

    /// Attach the place in `src` this diagnostic is about.
    pub fn at(mut self, src: &SourceFile, at: Option<Location>) -> Self {
        self.file = Some(src.name.clone());
        if let Some(at) = at {
            self.excerpt = src.line(at.line).map(str::to_owned);
        }
        self.at = at;
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }

    /// `file:line:column`, or as much of it as is known.
    pub fn position(&self) -> Option<String> {
        let file = self.file.as_deref()?;
        Some(match self.at {
            Some(at) => format!("{file}:{}:{}", at.line, at.column),
            None => file.to_owned(),
        })
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        if let Some(pos) = self.position() {
            writeln!(f, "  --> {pos}")?;
        }
        if let (Some(at), Some(line)) = (self.at, &self.excerpt) {
            let num = at.line.to_string();
            let pad = " ".repeat(num.len());
            let mut caret = String::new();
            // Columns count characters; tabs stay tabs so the carets line up.
            for c in line.chars().take(at.column.saturating_sub(1)) {
                caret.push(if c == '\t' { '\t' } else { ' ' });
            }
            let room = line
                .chars()
                .count()
                .saturating_sub(at.column.saturating_sub(1))
                .max(1);
            let _ = write!(caret, "{}", "^".repeat(at.len.clamp(1, room)));
            writeln!(f, "{pad} |")?;
            writeln!(f, "{num} | {line}")?;
            writeln!(f, "{pad} | {caret}")?;
        }
        for note in &self.notes {
            writeln!(f, "  = note: {note}")?;
        }
        if let Some(hint) = &self.hint {
            writeln!(f, "  = hint: {hint}")?;
        }
        Ok(())
    }
}

/// Several diagnostics, reported together (validation does not stop at the first problem).
#[derive(Debug, Clone, Default)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    pub fn push(&mut self, d: Diagnostic) {
        self.0.push(d);
    }

    /// The cause of them all when they share one, else [`Cause::Invalid`].
    pub fn cause(&self) -> Cause {
        match self.0.first().map(|d| d.cause) {
            Some(c) if self.0.iter().all(|d| d.cause == c) => c,
            _ => Cause::Invalid,
        }
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn extend(&mut self, other: Diagnostics) {
        self.0.extend(other.0);
    }
    /// `Ok(value)` when nothing was reported.
    pub fn into_result<T>(self, value: T) -> Result<T, Diagnostics> {
        if self.0.is_empty() { Ok(value) } else { Err(self) }
    }
}

impl From<Diagnostic> for Diagnostics {
    fn from(d: Diagnostic) -> Self {
        Self(vec![d])
    }
}

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        if self.0.len() > 1 {
            writeln!(f, "\n{} errors", self.0.len())?;
        }
        Ok(())
    }
}
