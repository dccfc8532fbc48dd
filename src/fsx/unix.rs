//! [`super`] on Unix: `O_NOFOLLOW` (the open fails with ELOOP at a link), `O_NONBLOCK` (a FIFO
//! does not hang the open; nothing changes for a regular file), `O_CLOEXEC` (a step's process
//! does not inherit the lock or the log), mode bits and owner uids. The effective user id comes
//! from rustix; no unsafe code.

use super::{Facts, Write, aside, own, sh_quote};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io;
use std::os::unix::fs::{DirBuilderExt as _, MetadataExt as _, OpenOptionsExt as _};
use std::path::Path;

/// Renames never fail for a moment on Unix.
pub const TRANSIENT: &[i32] = &[];
/// `\\?\` and `\\server\share` are Windows path forms.
pub const WINDOWS_PATHS: bool = false;
pub const NAMES_IGNORE_CASE: bool = false;

const NO_FOLLOW: i32 = libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK;

fn euid() -> u32 {
    rustix::process::geteuid().as_raw()
}

pub fn create_private(dir: &Path) -> io::Result<()> {
    // 0700 whatever the umask says (the umask can only take bits away).
    DirBuilder::new().mode(0o700).create(dir)
}

pub fn folder_facts(dir: &Path) -> io::Result<Facts> {
    let m = fs::symlink_metadata(dir)?;
    Ok(facts(&m))
}

pub fn file_facts(file: &File) -> io::Result<Facts> {
    Ok(facts(&file.metadata()?))
}

fn facts(m: &fs::Metadata) -> Facts {
    let mode = m.mode();
    Facts {
        link: m.file_type().is_symlink(),
        dir: m.is_dir(),
        regular: m.is_file(),
        links: m.nlink(),
        ours: m.uid() == euid(),
        owner: user(m.uid()),
        writable_by: (mode & 0o022 != 0).then(|| format!("group or others (mode {:o})", mode & 0o7777)),
    }
}

pub fn open_write(path: &Path, how: Write) -> io::Result<File> {
    let mut o = OpenOptions::new();
    match how {
        Write::Append => o.append(true),
        Write::Update => o.read(true).write(true),
    };
    o.create(true).custom_flags(NO_FOLLOW).open(path)
}

pub fn open_read(path: &Path) -> io::Result<File> {
    OpenOptions::new().read(true).custom_flags(NO_FOLLOW).open(path)
}

pub fn is_link(meta: &std::fs::Metadata) -> bool {
    meta.file_type().is_symlink()
}

pub fn is_link_refusal(e: &io::Error) -> bool {
    e.raw_os_error() == Some(libc::ELOOP)
}

/// The effective user, for a message.
pub fn me() -> String {
    user(euid())
}

/// `name (uid N)`, the name from `/etc/passwd` when it has one.
fn user(uid: u32) -> String {
    use std::io::Read as _;
    let mut text = String::new();
    // Bounded: a passwd file is small, and this is only for a message.
    let _ = File::open("/etc/passwd").and_then(|f| f.take(1 << 20).read_to_string(&mut text));
    let name = text.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_owned())
    });
    match name {
        Some(n) => format!("`{}` (uid {uid})", n.escape_debug()),
        None => format!("uid {uid}"),
    }
}

pub fn move_aside_hint(path: &Path) -> String {
    format!(
        "mv -- {} {}",
        sh_quote(&path.to_string_lossy()),
        sh_quote(&aside(path).to_string_lossy())
    )
}

pub fn tighten_hint(path: &Path) -> String {
    format!("chmod go-w -- {}", sh_quote(&path.to_string_lossy()))
}

pub fn own_copy_hint(path: &Path) -> String {
    let (p, o) = (
        sh_quote(&path.to_string_lossy()),
        sh_quote(&own(path).to_string_lossy()),
    );
    format!("cp -p -- {p} {o} && mv -- {o} {p}")
}
