//! How lyncdr opens and creates files and folders where another account may have been first
//! (a shared folder beside an environment file, a backup share). One public API; the platform
//! files below it differ (`unix.rs`: `O_NOFOLLOW`, modes and owners; `windows.rs`:
//! `FILE_FLAG_OPEN_REPARSE_POINT`, DACLs and owner SIDs).
//!
//! - [`private_dir`]: a folder lyncdr runs scripts from or keeps state in is made owner-only,
//!   or, when it exists, checked to be a real folder of the effective user that nobody else can
//!   write to; anything else is refused with what to do.
//! - [`open_read`] / [`open_write`]: never through a link or reparse point at the last
//!   component, never hanging on a FIFO, and (for writing) only a regular file of the effective
//!   user with one name, checked on the opened handle before a byte is written.
//! - [`retrying`]: the atomic replace's rename ([`crate::atomic`]) survives an antivirus or an
//!   indexer holding the target open for a moment on Windows.
//! - [`same_name`]: names that differ only in case are one file on Windows.
//! - [`is_link`]: a symbolic link, and on Windows any reparse point, is a link.
//! - [`canonicalize`]: never a `\\?\` verbatim path (which PowerShell 2.0 and people misread).

use std::borrow::Cow;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

#[cfg(unix)]
mod unix;
#[cfg(unix)]
use unix as imp;
#[cfg(windows)]
mod windows;
#[cfg(windows)]
use windows as imp;

/// A Windows path (from an environment file) as this machine opens it: as it is on Windows; on
/// Unix, where lyncdr rehearses with stand-ins, as wine maps it: drive `Z:` is the root, and
/// `/` stands for each `\` (any other path then names nothing here, and opening it fails).
pub fn from_windows(path: &str) -> PathBuf {
    if cfg!(windows) {
        return PathBuf::from(path);
    }
    let path = match path.get(..3) {
        Some(drive) if drive.eq_ignore_ascii_case("z:\\") => &path[2..],
        _ => path,
    };
    PathBuf::from(path.replace('\\', "/"))
}

/// What the platform says about a folder or a file, for the checks below.
#[derive(Debug)]
pub(crate) struct Facts {
    /// A symbolic link, junction or other reparse point (not followed).
    pub link: bool,
    pub dir: bool,
    pub regular: bool,
    /// Names (hard links) the file has.
    pub links: u64,
    /// The owner is the effective user (on Windows also Administrators when elevated).
    pub ours: bool,
    /// Who owns it, for a message (`nobody (uid 65534)`, `DOMAIN\name (SID)`).
    pub owner: String,
    /// Another account that may write to it (`group or others (mode 777)`, a SID), if any.
    pub writable_by: Option<String>,
}

/// Makes `dir` a folder only the effective user can change: created owner-only when missing
/// (its parent must exist), else checked. Refused: a link or junction, a file, a folder of
/// another account, a folder others may write to. The error names the folder, its owner, and
/// a command that puts it right (moving it aside lets lyncdr create a new one).
pub fn private_dir(dir: &Path) -> io::Result<()> {
    match imp::create_private(dir) {
        Ok(()) => return Ok(()),
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
        Err(e) => {
            return Err(io::Error::new(
                e.kind(),
                format!("cannot create `{}`: {e}", shown(dir)),
            ));
        }
    }
    let facts = imp::folder_facts(dir)
        .map_err(|e| io::Error::new(e.kind(), format!("cannot check `{}`: {e}", shown(dir))))?;
    let problem = if facts.link {
        "it is a link (a symbolic link or junction), not a folder".to_owned()
    } else if !facts.dir {
        "it is not a folder".to_owned()
    } else if !facts.ours {
        format!("it is owned by {}, not by {}", facts.owner, imp::me())
    } else if let Some(who) = &facts.writable_by {
        // Our own folder: taking the others' rights away keeps what is in it (a run's state).
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "`{}` is not private to the account running lyncdr: {who} can change what is in it; lyncdr runs scripts from and keeps state in it, so another account could change what runs. Look at what is in it, then make it private: {}",
                shown(dir),
                imp::tighten_hint(dir)
            ),
        ));
    } else {
        return Ok(());
    };
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "`{}` is not private to the account running lyncdr: {problem}; lyncdr runs scripts from and keeps state in it, so another account could change what runs. Look at what is in it, then move it aside and lyncdr makes a new, private one: {}",
            shown(dir),
            imp::move_aside_hint(dir)
        ),
    ))
}

/// How a file is opened for writing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// Created if missing, written at its end (a log).
    Append,
    /// Created if missing, read and written, nothing cut (a lock: cut only once it is held).
    Update,
}

/// Opens `path` for writing without following a link or reparse point at its last component,
/// then checks on the handle, before anything is written, that it is a regular file of the
/// effective user with one name (a hard link to another file would be written through).
pub fn open_write(path: &Path, how: Write) -> io::Result<File> {
    let file = imp::open_write(path, how).map_err(|e| refuse_link(path, e))?;
    let facts = imp::file_facts(&file)?;
    let problem = if facts.link {
        "it is a link (a symbolic link or reparse point)".to_owned()
    } else if !facts.regular {
        "it is not a regular file".to_owned()
    } else if !facts.ours {
        format!("it belongs to {}, not to {}", facts.owner, imp::me())
    } else if facts.links > 1 {
        format!(
            "it has {} names (hard links), so writing it would change another file too",
            facts.links
        )
    } else {
        return Ok(file);
    };
    Err(io::Error::new(
        io::ErrorKind::PermissionDenied,
        format!(
            "`{}` was not written: {problem}; someone may have put it there to make lyncdr overwrite another file. Look at it, then move it aside: {}",
            shown(path),
            imp::move_aside_hint(path)
        ),
    ))
}

/// Is this entry (from `symlink_metadata`) a link lyncdr must not follow? Unix: a symbolic
/// link. Windows: any reparse point, not only the symbolic links and junctions std calls
/// links (`FileType::is_symlink`): a mount point, a placeholder or a link whose tag std does
/// not know would otherwise be read, or listed as a folder, through.
pub fn is_link(meta: &std::fs::Metadata) -> bool {
    imp::is_link(meta)
}

/// Opens `path` to read, never through a link or reparse point at its last component, without
/// waiting for a FIFO's writer, and only when what was opened is a regular file. Between a
/// listing and the read, whoever can write to a backup folder may swap a file for a link to a
/// secret or for a FIFO that would hang the reader.
pub fn open_read(path: &Path) -> io::Result<File> {
    let file = imp::open_read(path)?;
    let facts = imp::file_facts(&file)?;
    if facts.link || !facts.regular {
        return Err(io::Error::other(
            "it is no longer a regular file (replaced since the folder was listed): not read",
        ));
    }
    Ok(file)
}

/// A command that makes `path` a file of its own (one name), keeping what it holds.
pub fn own_copy_hint(path: &Path) -> String {
    imp::own_copy_hint(path)
}

/// How many names (hard links) the open file has.
pub fn link_count(file: &File) -> io::Result<u64> {
    imp::file_facts(file).map(|f| f.links)
}

/// The error of opening through a link, in words (Unix says only "too many levels of symbolic
/// links").
fn refuse_link(path: &Path, e: io::Error) -> io::Error {
    if imp::is_link_refusal(&e) {
        return io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "`{}` is a link; lyncdr does not write through links (someone may have put it there to make lyncdr overwrite another file). Look at it, then move it aside: {}",
                shown(path),
                imp::move_aside_hint(path)
            ),
        );
    }
    e
}

/// How often a failing rename is tried again, and the pause between tries.
#[derive(Debug, Clone, Copy)]
pub struct Retry {
    pub attempts: u32,
    pub pause: Duration,
}

/// An antivirus or the indexer opens a new file for a moment; a second is what they need.
pub const REPLACE_RETRY: Retry = Retry {
    attempts: 10,
    pause: Duration::from_millis(100),
};

/// Runs `attempt` until it succeeds, fails for a reason `transient` does not accept, or has
/// been tried `policy.attempts` times, calling `sleep` between tries.
pub fn retrying<T>(
    policy: Retry,
    transient: impl Fn(&io::Error) -> bool,
    mut attempt: impl FnMut() -> io::Result<T>,
    mut sleep: impl FnMut(Duration),
) -> io::Result<T> {
    let mut tried = 1;
    loop {
        match attempt() {
            Err(e) if tried < policy.attempts && transient(&e) => {
                tried += 1;
                sleep(policy.pause);
            }
            other => return other,
        }
    }
}

/// A rename failed because another program holds the file for a moment (Windows:
/// ERROR_SHARING_VIOLATION, ERROR_ACCESS_DENIED, ERROR_LOCK_VIOLATION); never on Unix.
pub fn is_transient(e: &io::Error) -> bool {
    e.raw_os_error()
        .is_some_and(|code| imp::TRANSIENT.contains(&code))
}

/// Do two file names name one file in a folder of this platform? Windows folders ignore case
/// (NTFS compares names upper-cased letter by letter); Unix compares bytes.
pub fn same_name(a: &str, b: &str) -> bool {
    name_key(a) == name_key(b)
}

/// The form of a file name under which names of one file are equal (see [`same_name`]), for a
/// map from names to files.
pub fn name_key(name: &str) -> Cow<'_, str> {
    if imp::NAMES_IGNORE_CASE {
        Cow::Owned(upcase_like_ntfs(name))
    } else {
        Cow::Borrowed(name)
    }
}

/// NTFS's rule: each character upper-cased alone (simple case mapping, one character to one;
/// `ß` stays `ß`, unlike `str::to_uppercase`).
fn upcase_like_ntfs(name: &str) -> String {
    name.chars()
        .map(|c| {
            let mut up = c.to_uppercase();
            match (up.next(), up.next()) {
                (Some(u), None) => u,
                _ => c,
            }
        })
        .collect()
}

/// The real path of `path`, as [`std::fs::canonicalize`] but without the `\\?\` verbatim
/// prefix Windows gives where the plain form means the same file (`dunce`, and [`plain`] for a
/// share): such a path reaches PowerShell 2.0 scripts and messages, and both misread it.
pub fn canonicalize(path: &Path) -> io::Result<PathBuf> {
    dunce::canonicalize(path).map(|p| plain(&p).into_owned())
}

/// `path` without a `\\?\` prefix where the plain form means the same file, for a script, a
/// task or a message. dunce turns `\\?\C:\x` into `C:\x` but leaves `\\?\UNC\fs01\share`
/// alone; that one becomes `\\fs01\share` here under the same rule.
pub fn plain(path: &Path) -> Cow<'_, Path> {
    let simple = dunce::simplified(path);
    if !imp::WINDOWS_PATHS {
        return Cow::Borrowed(simple);
    }
    match simple.to_str().and_then(plain_unc) {
        Some(unc) => Cow::Owned(PathBuf::from(unc)),
        None => Cow::Borrowed(simple),
    }
}

/// `\\server\share\...` for `\\?\UNC\server\share\...` when the plain form names the same
/// file: short enough for the old limit (260), and no component Windows would change or refuse
/// without the prefix (empty, `.`/`..`, a trailing dot or space, a reserved device name such as
/// `NUL` or `COM1.txt`, a character `<>:"|?*` or a control character).
fn plain_unc(verbatim: &str) -> Option<String> {
    let rest = verbatim.strip_prefix(r"\\?\UNC\")?;
    let plain = format!(r"\\{rest}");
    if plain.encode_utf16().count() >= 260 {
        return None;
    }
    let rest = rest.strip_suffix('\\').unwrap_or(rest);
    let ok = rest.split('\\').all(|c| {
        let stem = c.split('.').next().unwrap_or(c).trim_end().to_ascii_uppercase();
        let reserved = ["CON", "PRN", "AUX", "NUL"].contains(&stem.as_str())
            || ((stem.starts_with("COM") || stem.starts_with("LPT"))
                && stem.len() == 4
                && stem.as_bytes()[3].is_ascii_digit());
        !c.is_empty()
            && c != "."
            && c != ".."
            && !c.ends_with(['.', ' '])
            && !reserved
            && !c.chars().any(|ch| ch.is_control() || r#"<>:"|?*/"#.contains(ch))
    });
    ok.then_some(plain)
}

/// `path` for a message, plain as [`plain`] makes it.
pub fn shown(path: &Path) -> String {
    plain(path).display().to_string()
}

/// `PATH.own`, a copy of a file with several names.
fn own(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".own");
    PathBuf::from(p)
}

/// Quotes `text` for a POSIX shell, so a printed command runs as printed.
#[cfg_attr(windows, allow(dead_code))]
fn sh_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

/// `PATH.suspect`, where a refused file or folder can be moved aside.
fn aside(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".suspect");
    PathBuf::from(p)
}

#[cfg(test)]
mod tests;
