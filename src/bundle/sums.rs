//! `SHA256SUMS`: the SHA-256 of every other file of the bundle, in `sha256sum` format
//! (`<64 hex>  <name>`, LF line ends, sorted by name) so `sha256sum -c SHA256SUMS` works on any
//! Linux machine. The driver repeats [`check`] in PowerShell before it runs anything; this is
//! the same rule in Rust, for `verify_sums` and for the tests that pin the rule down.

use std::io;
use std::path::Path;

pub const FILE: &str = "SHA256SUMS";

/// Files a bundle cannot do without: a listing that leaves one out is refused.
pub const REQUIRED: [&str; 2] = [super::DRIVER, super::README];

use crate::digest::Sha256Digest;
use crate::digest::sha256_hex;
use crate::sums::Form;

/// The listing for `files` (name, contents), sorted by name, written by the one checksum-file
/// writer ([`crate::sums::format_line`]): bundle names are plain, so every line is
/// `<sha256>  <name>`.
pub fn listing<'a>(files: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut lines: Vec<(String, Sha256Digest)> = files
        .into_iter()
        .map(|(name, bytes)| (name.to_owned(), Sha256Digest::of(bytes)))
        .collect();
    lines.sort_by(|a, b| a.0.cmp(&b.0));
    lines
        .iter()
        .map(|(name, digest)| crate::sums::format_line(digest, name))
        .collect()
}

/// The entries of a listing: (line number, hex, name), or the problem with each bad line. Read
/// by the one checksum-file reader ([`crate::sums::parse_line`]), keeping only what the
/// PowerShell driver reads too: the plain form and plain names.
fn parse(listing: &str) -> (Vec<(usize, String, String)>, Vec<String>) {
    let mut entries = Vec::new();
    let mut problems = Vec::new();
    for (i, line) in listing.lines().enumerate() {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        match crate::sums::parse_line(line, FILE) {
            Some((digest, name, Form::Plain)) if is_plain_name(&name) => {
                entries.push((i + 1, digest.to_string(), name))
            }
            _ => problems.push(format!("`{FILE}` line {}: not `<sha256>  <file name>`", i + 1)),
        }
    }
    (entries, problems)
}

/// A file name in the bundle's folder: no folders, nothing Windows refuses in a name.
pub fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name != "."
        && name != ".."
        && !name.chars().any(|c| "\\/:*?\"<>|".contains(c) || c.is_control())
}

/// Check a listing against the files `read` returns: every listed file must exist with the
/// listed hash, every required file and every other name in `present` must be listed, whatever
/// its kind: a `sqlcmd.bat`, `version.dll` or `Lync.psm1` beside the scripts could be what loads.
/// Returns every problem found, empty when the bundle is intact.
pub fn check(listing: &str, present: &[String], read: impl Fn(&str) -> io::Result<Vec<u8>>) -> Vec<String> {
    let (entries, mut problems) = parse(listing);
    for (line, hex, name) in &entries {
        // Names are compared as this system's folders compare them (case on Windows).
        if entries
            .iter()
            .any(|(l, _, n)| crate::fsx::same_name(n, name) && l < line)
        {
            problems.push(format!("`{name}` is listed twice in `{FILE}`"));
            continue;
        }
        match read(name) {
            Ok(bytes) if sha256_hex(&bytes) == *hex => {}
            Ok(_) => problems.push(format!("`{name}` has changed: its SHA-256 differs from `{FILE}`")),
            Err(e) if e.kind() == io::ErrorKind::NotFound => problems.push(format!("`{name}` is missing")),
            Err(e) => problems.push(format!("`{name}` cannot be read: {e}")),
        }
    }
    let listed = |n: &str| entries.iter().any(|(_, _, name)| crate::fsx::same_name(name, n));
    for name in REQUIRED {
        if !listed(name) {
            problems.push(format!("`{name}` is not listed in `{FILE}`"));
        }
    }
    for name in present {
        let required = REQUIRED.iter().any(|r| crate::fsx::same_name(r, name));
        if !crate::fsx::same_name(name, FILE) && !required && !listed(name) {
            problems.push(format!("`{name}` is not listed in `{FILE}`"));
        }
    }
    problems
}

/// Verify the bundle in `dir` as the driver does before it runs anything.
pub fn verify_sums(dir: &Path) -> Result<(), Vec<String>> {
    let listing = match std::fs::read(dir.join(FILE)) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => return Err(vec![format!("`{FILE}` cannot be read: {e}")]),
    };
    let present: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(e) => return Err(vec![format!("`{}` cannot be listed: {e}", dir.display())]),
    };
    let problems = check(&listing, &present, |name| std::fs::read(dir.join(name)));
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn bundle() -> BTreeMap<String, Vec<u8>> {
        [
            ("Invoke-Recovery.ps1", "driver"),
            ("README.txt", "readme"),
            ("01-a.ps1", "step"),
        ]
        .into_iter()
        .map(|(n, t)| (n.to_owned(), t.as_bytes().to_vec()))
        .collect()
    }

    fn run(files: &BTreeMap<String, Vec<u8>>, listing: &str) -> Vec<String> {
        let present: Vec<String> = files.keys().cloned().collect();
        check(listing, &present, |n| {
            files
                .get(n)
                .cloned()
                .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
        })
    }

    fn listing_of(files: &BTreeMap<String, Vec<u8>>) -> String {
        listing(files.iter().map(|(n, b)| (n.as_str(), b.as_slice())))
    }

    #[test]
    fn listing_is_sha256sum_format_sorted() {
        let l = listing([("b", b"x".as_slice()), ("a", b"".as_slice())]);
        assert_eq!(
            l,
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855  a\n\
             2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881  b\n"
        );
    }

    #[test]
    fn each_kind_of_tampering_is_reported() {
        let files = bundle();
        let good = listing_of(&files);
        assert!(run(&files, &good).is_empty());

        let mut changed = files.clone();
        changed.insert("01-a.ps1".into(), b"stop".to_vec());
        assert_eq!(
            run(&changed, &good),
            ["`01-a.ps1` has changed: its SHA-256 differs from `SHA256SUMS`"]
        );

        let mut missing = files.clone();
        missing.remove("01-a.ps1");
        assert_eq!(run(&missing, &good), ["`01-a.ps1` is missing"]);

        let mut added = files.clone();
        added.insert("02-b.ps1".into(), b"new".to_vec());
        assert_eq!(run(&added, &good), ["`02-b.ps1` is not listed in `SHA256SUMS`"]);
        for name in ["sqlcmd.bat", "version.dll", "Lync.psm1", "notes.txt"] {
            let mut planted = files.clone();
            planted.insert(name.into(), b"x".to_vec());
            assert_eq!(
                run(&planted, &good),
                [format!("`{name}` is not listed in `SHA256SUMS`")]
            );
        }

        let unlisted_driver: String = good
            .lines()
            .filter(|l| !l.ends_with("Invoke-Recovery.ps1"))
            .map(|l| format!("{l}\n"))
            .collect();
        assert_eq!(
            run(&files, &unlisted_driver),
            ["`Invoke-Recovery.ps1` is not listed in `SHA256SUMS`"]
        );

        assert_eq!(
            run(&files, &format!("{good}garbage\n")),
            ["`SHA256SUMS` line 4: not `<sha256>  <file name>`"]
        );
        let escape = good.replace("  01-a.ps1", "  ..\\01-a.ps1");
        assert!(run(&files, &escape).iter().any(|p| p.contains("line")));
    }

    #[test]
    fn crlf_and_upper_case_listings_are_accepted() {
        let files = bundle();
        let good = listing_of(&files).to_uppercase().replace("\n", "\r\n");
        // Upper-casing changed the names too: restore them.
        let good = good
            .replace("INVOKE-RECOVERY.PS1", "Invoke-Recovery.ps1")
            .replace("README.TXT", "README.txt")
            .replace("01-A.PS1", "01-a.ps1");
        assert!(run(&files, &good).is_empty(), "{:?}", run(&files, &good));
    }
}
