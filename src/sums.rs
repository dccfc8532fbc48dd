//! Lyncdr's one reader and writer of checksum files: `SHA256SUMS` in the format of `sha256sum`
//! (or the BSD `SHA256 (name) = hash` form, or with `\` separators as Windows scripts write them)
//! and per-file `<file>.sha256`. The audit verifies backups against them and writes one with
//! `--write-sums` (and so for a backup set); the bundle writes its listing with [`format_line`]
//! and checks it with [`parse_line`], keeping only the plain form its PowerShell driver reads.
//! Written in the plain `sha256sum` format, so `sha256sum -c` checks it too (that format has no
//! room for a version line).

use crate::digest::Sha256Digest;
use std::io;
use std::path::Path;

pub const SUMS_NAME: &str = "SHA256SUMS";

/// Is this file a checksum file (and so not a backup to hash)?
pub fn is_sums_file(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    lower == "sha256sums" || lower == "sha256sums.txt" || lower.ends_with(".sha256")
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumsEntry {
    /// The file it is about, relative to the audited folder.
    pub target: String,
    pub digest: Sha256Digest,
    pub line: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SumsFile {
    /// Relative to the audited folder.
    pub path: String,
    pub entries: Vec<SumsEntry>,
    /// Lines that are neither blank, nor a comment, nor an entry.
    pub bad_lines: Vec<usize>,
    /// The comment lines (`# ...`), in order: `--write-sums` keeps them.
    pub comments: Vec<String>,
}

impl SumsFile {
    /// Parses the checksum file at `path` (relative to the audited folder) holding `text`.
    pub fn parse(path: &str, text: &str) -> SumsFile {
        let (dir, file_name) = match path.rsplit_once('/') {
            Some((d, f)) => (format!("{d}/"), f),
            None => (String::new(), path),
        };
        let mut sums = SumsFile {
            path: path.to_owned(),
            entries: Vec::new(),
            bad_lines: Vec::new(),
            comments: Vec::new(),
        };
        for (i, line) in text.lines().enumerate() {
            let line_no = i + 1;
            let line = line.trim_end_matches('\r');
            if line.starts_with('#') {
                sums.comments.push(line.to_owned());
                continue;
            }
            if line.trim().is_empty() {
                continue;
            }
            let Some((digest, listed, _)) = parse_line(line, file_name) else {
                sums.bad_lines.push(line_no);
                continue;
            };
            sums.entries.push(SumsEntry {
                target: format!("{dir}{}", normalize(&listed)),
                digest,
                line: line_no,
            });
        }
        sums
    }
}

/// The form a line was written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    /// `hash  name`: what `sha256sum` writes for a plain name, and all the bundle driver reads.
    Plain,
    /// `hash *name` (binary mode), `\hash  escaped\\name`, `SHA256 (name) = hash`, or a bare
    /// hash in `<file>.sha256`.
    Other,
}

/// One line: `hash  name`, `hash *name`, `\hash  escaped\\name`, `SHA256 (name) = hash`, or (in
/// `<file>.sha256`, named `file_name`) a bare hash; with the form it was written in.
pub fn parse_line(line: &str, file_name: &str) -> Option<(Sha256Digest, String, Form)> {
    let (digest, name) = parse_any(line, file_name)?;
    let plain = !line.starts_with(['\\', 'S'])
        && line.get(64..66) == Some("  ")
        && line.get(66..) == Some(name.as_str());
    Some((digest, name, if plain { Form::Plain } else { Form::Other }))
}

fn parse_any(line: &str, file_name: &str) -> Option<(Sha256Digest, String)> {
    if let Some(rest) = line.strip_prefix("SHA256 (") {
        let (name, hex) = rest.rsplit_once(") = ")?;
        return Some((Sha256Digest::from_hex(hex.trim())?, name.to_owned()));
    }
    let (escaped, line) = match line.strip_prefix('\\') {
        Some(rest) => (true, rest),
        None => (false, line),
    };
    let hex = line.get(..64)?;
    let digest = Sha256Digest::from_hex(hex)?;
    let rest = line.get(64..)?;
    if rest.trim().is_empty() {
        let target = file_name.get(..file_name.len().checked_sub(".sha256".len())?)?;
        return file_name
            .to_ascii_lowercase()
            .ends_with(".sha256")
            .then(|| (digest, target.to_owned()));
    }
    let name = rest.strip_prefix("  ").or_else(|| rest.strip_prefix(" *"))?;
    if escaped {
        return Some((digest, unescape(name)));
    }
    Some((digest, name.replace('\\', "/")))
}

fn unescape(name: &str) -> String {
    let mut out = String::new();
    let mut chars = name.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('n')) => {
                out.push('\n');
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// `./a/b` -> `a/b`; an absolute path (`/x/a`, `D:/x/a`, `//server/share/a`) keeps only its file
/// name: it was written where the backups were made, not where they are audited.
fn normalize(listed: &str) -> String {
    let absolute = listed.starts_with('/') || listed.as_bytes().get(1) == Some(&b':');
    if absolute {
        return listed.rsplit('/').next().unwrap_or(listed).to_owned();
    }
    listed.trim_start_matches("./").to_owned()
}

/// One line of `sha256sum` output, escaped as it escapes names with `\` or a newline.
pub fn format_line(digest: &Sha256Digest, name: &str) -> String {
    if name.contains(['\\', '\n']) {
        format!(
            "\\{digest}  {}\n",
            name.replace('\\', "\\\\").replace('\n', "\\n")
        )
    } else {
        format!("{digest}  {name}\n")
    }
}

/// Writes `SHA256SUMS` in `dir` for `files` (paths relative to `dir`), after the `comments` of
/// the file it replaces, atomically and never through a link ([`crate::atomic::write_atomic`]).
pub fn write(dir: &Path, comments: &[String], files: &[(String, Sha256Digest)]) -> io::Result<()> {
    let mut text: String = comments.iter().map(|c| format!("{c}\n")).collect();
    text.extend(files.iter().map(|(name, d)| format_line(d, name)));
    crate::atomic::write_atomic(&dir.join(SUMS_NAME), text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const B: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

    fn digest(hex: &str) -> Sha256Digest {
        Sha256Digest::from_hex(hex).unwrap_or(Sha256Digest([0; 32]))
    }

    #[test]
    fn parses_the_usual_forms() {
        let text = format!(
            "# made by backup.ps1\n{A}  rtc.bak\n{B} *sub\\CsConfig.zip\nSHA256 (lis.zip) = {A}\n\\{B}  odd\\\\name\n{}  D:\\Backups\\rgs.zip\nnot a line\n\n",
            A.to_uppercase()
        );
        let sums = SumsFile::parse("daily/SHA256SUMS", &text);
        let got: Vec<_> = sums
            .entries
            .iter()
            .map(|e| (e.target.as_str(), e.digest, e.line))
            .collect();
        assert_eq!(
            got,
            [
                ("daily/rtc.bak", digest(A), 2),
                ("daily/sub/CsConfig.zip", digest(B), 3),
                ("daily/lis.zip", digest(A), 4),
                ("daily/odd\\name", digest(B), 5),
                ("daily/rgs.zip", digest(A), 6),
            ]
        );
        assert_eq!(sums.bad_lines, [7]);
        assert_eq!(sums.comments, ["# made by backup.ps1"]);
    }

    #[test]
    fn a_per_file_sha256_may_hold_only_the_hash() {
        let sums = SumsFile::parse("rtc.bak.sha256", &format!("{A}\n"));
        assert_eq!(sums.entries.first().map(|e| e.target.as_str()), Some("rtc.bak"));
        assert_eq!(SumsFile::parse("SHA256SUMS", &format!("{A}\n")).bad_lines, [1]);
    }

    #[test]
    fn written_lines_parse_back() {
        for name in ["a b.zip", "dir/x.bak", "back\\slash", "new\nline"] {
            let line = format_line(&digest(A), name);
            let sums = SumsFile::parse("SHA256SUMS", &line);
            let target = sums.entries.first().map(|e| e.target.clone());
            // A newline in a name cannot survive `lines()`; the others round-trip.
            if !name.contains('\n') {
                assert_eq!(target.as_deref(), Some(name), "{line:?}");
            }
        }
        assert_eq!(
            format_line(&digest(A), "new\nline"),
            format!("\\{A}  new\\nline\n")
        );
    }

    #[test]
    fn only_the_plain_form_is_plain() {
        let form = |line: &str| parse_line(line, "SHA256SUMS").map(|(_, _, f)| f);
        assert_eq!(form(&format!("{A}  rtc.bak")), Some(Form::Plain));
        assert_eq!(form(&format!("{A} *rtc.bak")), Some(Form::Other));
        assert_eq!(form(&format!("\\{A}  a\\\\b")), Some(Form::Other));
        assert_eq!(form(&format!("SHA256 (rtc.bak) = {A}")), Some(Form::Other));
        assert_eq!(form(&format!("{A}  sub\\rtc.bak")), Some(Form::Other));
        assert_eq!(form("not a line"), None);
    }

    #[test]
    fn recognises_checksum_files() {
        assert!(
            is_sums_file("SHA256SUMS") && is_sums_file("sha256sums.txt") && is_sums_file("rtc.bak.sha256")
        );
        assert!(!is_sums_file("rtc.bak") && !is_sums_file("SHA256SUMS.bak"));
    }
}
