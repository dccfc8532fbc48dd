//! Files read by lyncdr, kept with their text so any diagnostic can quote the line it is about.

use std::path::{Path, PathBuf};

/// A file (or built-in resource) that lyncdr read, with its text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// What diagnostics call it: a path, or `<built-in>/runbooks/x.yaml`.
    pub name: String,
    pub path: Option<PathBuf>,
    pub text: String,
}

impl SourceFile {
    /// A leading byte order mark is dropped: Notepad on Windows Server writes one, and it would
    /// otherwise become part of the first key.
    pub fn new(name: impl Into<String>, path: Option<&Path>, text: impl Into<String>) -> Self {
        let mut text: String = text.into();
        if text.starts_with('\u{feff}') {
            text.drain(..'\u{feff}'.len_utf8());
        }
        Self {
            name: name.into(),
            path: path.map(Path::to_path_buf),
            text,
        }
    }

    /// Reads a text file as Windows tools save it: UTF-8, with or without a byte order mark, or
    /// UTF-16 with one (what Windows PowerShell 2.0's `>` and `Out-File` write, and Notepad's
    /// "Unicode"), through [`crate::decode::document`].
    pub fn read(path: &Path) -> Result<Self, ReadError> {
        let bytes = std::fs::read(path).map_err(ReadError::Io)?;
        let text = crate::decode::document(&bytes).ok_or(ReadError::NotText)?;
        Ok(Self::new(path.display().to_string(), Some(path), text))
    }

    pub fn line(&self, line: usize) -> Option<&str> {
        self.text.lines().nth(line.checked_sub(1)?)
    }
}

/// Why [`SourceFile::read`] could not read a file.
#[derive(Debug)]
pub enum ReadError {
    Io(std::io::Error),
    /// Neither UTF-8 nor UTF-16 with a byte order mark (a legacy code page, or cut short).
    NotText,
}

/// A place in a source file: 1-based line and column, and how many characters to underline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub len: usize,
}

impl Location {
    pub fn new(line: usize, column: usize, len: usize) -> Self {
        Self { line, column, len }
    }

    /// Where a marked-yaml span starts; the underline covers `len` characters.
    pub fn from_span(span: &marked_yaml::Span, len: usize) -> Option<Self> {
        span.start().map(|m| Self::new(m.line(), m.column(), len.max(1)))
    }
}

/// A string value from a YAML file, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located<T> {
    pub value: T,
    pub at: Option<Location>,
}

impl<T> Located<T> {
    pub fn new(value: T, at: Option<Location>) -> Self {
        Self { value, at }
    }
}
