//! Lyncdr's one reader and writer of checksum files: `SHA256SUMS` in the format of `sha256sum`
//! (or the BSD `SHA256 (name) = hash` form, or with `\` separators as Windows scripts write them)
//! and per-file `<file>.sha256`. The audit verifies backups against them and writes one with
//! `--write-sums` (and so for a backup set); the bundle writes its listing with [`format_line`]
//! and checks it with [`parse_line`], keeping only the plain form its PowerShell driver reads.
//! Written in the plain `sha256sum` format, so `sha256sum -c` checks it too (that format has no
//! room for a version line).

use crate::digest::Sha256Digest;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

pub const SUMS_NAME: &str = "SHA256SUMS";

/// The longest line read: a hash, two spaces and a path of at most 4096 bytes (Linux's
/// PATH_MAX; Windows' long paths are 32,767 UTF-16 units, which no backup folder uses).
pub const MAX_LINE: usize = 64 + 2 + 4096 + 2;
/// The most lines read from one checksum file: a backup folder holds dozens of files, a folder
/// of sets one file per set. A file with more is not read further.
pub const MAX_LINES: usize = 10_000;
/// The most bytes read from one checksum file: [`MAX_LINES`] lines of a long path each.
pub const MAX_BYTES: u64 = 16 << 20;
/// Malformed line numbers kept per file: enough to say where, not one per line of a junk file.
const MAX_BAD_LINES: usize = 100;

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
    /// Why the file was not read to its end (more than [`MAX_LINES`] lines).
    pub cut: Option<String>,
}

impl SumsFile {
    /// Parses the checksum file at `path` (relative to the audited folder) holding `text`.
    pub fn parse(path: &str, text: &str) -> SumsFile {
        match SumsFile::read(path, text.as_bytes()) {
            Ok(sums) => sums,
            // Reading a slice cannot fail.
            Err(_) => SumsFile::empty(path),
        }
    }

    fn empty(path: &str) -> SumsFile {
        SumsFile {
            path: path.to_owned(),
            entries: Vec::new(),
            bad_lines: Vec::new(),
            comments: Vec::new(),
            cut: None,
        }
    }

    /// Parses the checksum file `path` (relative to the audited folder) from `input`, line by line
    /// within [`MAX_LINE`], [`MAX_LINES`] and [`MAX_BYTES`], so a sparse 2 GiB `x.sha256` costs
    /// neither memory nor time. Callers open the file with the audit's opening
    /// (`audit::open::listed`: never through a link, never a FIFO or a device, which would hang).
    pub fn read(path: &str, input: impl Read) -> io::Result<SumsFile> {
        let (dir, file_name) = match path.rsplit_once('/') {
            Some((d, f)) => (format!("{d}/"), f),
            None => (String::new(), path),
        };
        let mut sums = SumsFile::empty(path);
        let mut input = BufReader::new(input.take(MAX_BYTES));
        let mut buf = Vec::new();
        let mut line_no = 0;
        while let Some(whole) = next_line(&mut input, &mut buf)? {
            line_no += 1;
            if input.get_ref().limit() == 0 {
                sums.cut = Some(format!(
                    "it is larger than {MAX_BYTES} bytes, more than a checksum file of any backup folder; it was read no further"
                ));
                break;
            }
            if line_no > MAX_LINES {
                sums.cut = Some(format!(
                    "it has more than {MAX_LINES} lines, more than a checksum file of any backup folder; it was read no further"
                ));
                break;
            }
            let text = String::from_utf8_lossy(&buf);
            let line = text.trim_end_matches(['\r', '\n']);
            if whole && line.starts_with('#') {
                sums.comments.push(line.to_owned());
                continue;
            }
            if whole && line.trim().is_empty() {
                continue;
            }
            let parsed = whole.then(|| parse_line(line, file_name)).flatten();
            let Some((digest, listed, _)) = parsed else {
                if sums.bad_lines.len() < MAX_BAD_LINES {
                    sums.bad_lines.push(line_no);
                }
                continue;
            };
            sums.entries.push(SumsEntry {
                target: format!("{dir}{}", normalize(&listed)),
                digest,
                line: line_no,
            });
        }
        Ok(sums)
    }
}

/// The next line of `input` into `buf` (its first [`MAX_LINE`] bytes; the rest is skipped
/// unread into memory): `Some(true)` for a whole line, `Some(false)` for one cut short, `None`
/// at the end.
fn next_line(input: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<Option<bool>> {
    buf.clear();
    let mut seen = false;
    loop {
        let chunk = match input.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok(seen.then_some(buf.len() <= MAX_LINE));
        }
        seen = true;
        let (used, done) = match chunk.iter().position(|&b| b == b'\n') {
            Some(at) => (at + 1, true),
            None => (chunk.len(), false),
        };
        let room = (MAX_LINE + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&chunk[..used.min(room)]);
        input.consume(used);
        if done {
            return Ok(Some(buf.len() <= MAX_LINE));
        }
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
