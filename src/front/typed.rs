//! The operator's command line as typed, for a hint that repeats it with one change (`--backups`
//! given a folder of sets becomes `--backup-set`; `--write-sums` on a set goes), so the hint is
//! the exact command to run next.

use std::ffi::OsString;
use std::fmt;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Typed(Vec<String>);

impl Typed {
    /// The arguments after the program's own path, which is printed as `lyncdr`.
    pub fn new(args: &[OsString]) -> Self {
        Typed(
            args.iter()
                .skip(1)
                .map(|a| a.to_string_lossy().into_owned())
                .collect(),
        )
    }

    pub fn has(&self, option: &str) -> bool {
        self.0
            .iter()
            .any(|a| a == option || a.starts_with(&format!("{option}=")))
    }

    /// Without `option` (and its value, when it `takes_value`), however often it was given.
    pub fn without(&self, option: &str, takes_value: bool) -> Typed {
        let mut out = Vec::new();
        let mut words = self.0.iter();
        while let Some(w) = words.next() {
            if w == option {
                if takes_value {
                    words.next();
                }
            } else if !w.starts_with(&format!("{option}=")) {
                out.push(w.clone());
            }
        }
        Typed(out)
    }

    /// `from VALUE` (or `from=VALUE`) as `to VALUE`.
    pub fn renamed(&self, from: &str, to: &str) -> Typed {
        let prefix = format!("{from}=");
        Typed(
            self.0
                .iter()
                .map(|w| match w.strip_prefix(&prefix) {
                    _ if w == from => to.to_owned(),
                    Some(value) => format!("{to}={value}"),
                    None => w.clone(),
                })
                .collect(),
        )
    }
}

/// `lyncdr ARGS`, a word with a space (or none at all) in double quotes: the same in a POSIX
/// shell, PowerShell and cmd for the paths and values lyncdr takes.
impl fmt::Display for Typed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "lyncdr")?;
        for w in &self.0 {
            if w.is_empty() || w.contains(char::is_whitespace) {
                write!(f, " \"{w}\"")?;
            } else {
                write!(f, " {w}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(words: &[&str]) -> Typed {
        let args: Vec<OsString> = std::iter::once("/usr/bin/lyncdr")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect();
        Typed::new(&args)
    }

    #[test]
    fn one_change_to_the_command_as_typed() {
        let t = typed(&["run", "x", "--backups", "my sets", "--env=e.yaml"]);
        assert_eq!(
            t.renamed("--backups", "--backup-set").to_string(),
            "lyncdr run x --backup-set \"my sets\" --env=e.yaml"
        );
        assert_eq!(
            t.without("--backups", true).to_string(),
            "lyncdr run x --env=e.yaml"
        );
        let t = typed(&["audit", "s", "--write-sums", "--backups=b"]);
        assert_eq!(
            t.without("--write-sums", false).to_string(),
            "lyncdr audit s --backups=b"
        );
        assert_eq!(
            t.renamed("--backups", "--backup-set").to_string(),
            "lyncdr audit s --write-sums --backup-set=b"
        );
        assert!(t.has("--backups") && !t.has("--backup-set"));
    }
}
