//! [`super`] on Windows (Server 2008 R2 and later; nothing newer than Windows 7 is called).
//! Files and folders are opened with `FILE_FLAG_OPEN_REPARSE_POINT`, so a symbolic link,
//! junction or mount point is opened itself, never followed, and then refused by its
//! attributes. A private folder is created with a protected DACL granting full control only to
//! the current user, SYSTEM and (when elevated) Administrators; an existing one is refused when
//! its owner is another account or its DACL lets another account write.
#![allow(unsafe_code)]

use super::{Facts, Write, aside, own};
use std::ffi::OsStr;
use std::fs::{File, OpenOptions};
use std::io;
use std::os::windows::ffi::OsStrExt as _;
use std::os::windows::fs::{MetadataExt as _, OpenOptionsExt as _};
use std::os::windows::io::AsRawHandle as _;
use std::path::Path;
use std::ptr::null_mut;
use windows_sys::Win32::Foundation::{
    CloseHandle, ERROR_ACCESS_DENIED, ERROR_LOCK_VIOLATION, ERROR_SHARING_VIOLATION, HANDLE, HLOCAL,
    LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSidToStringSidW, ConvertStringSecurityDescriptorToSecurityDescriptorW, GetSecurityInfo,
    SDDL_REVISION_1, SE_FILE_OBJECT,
};
use windows_sys::Win32::Security::{
    ACCESS_ALLOWED_ACE, ACE_HEADER, ACL, CreateWellKnownSid, DACL_SECURITY_INFORMATION, EqualSid, GetAce,
    GetLengthSid, GetTokenInformation, IsValidSid, LookupAccountSidW, OWNER_SECURITY_INFORMATION,
    PSECURITY_DESCRIPTOR, PSID, SECURITY_ATTRIBUTES, SECURITY_MAX_SID_SIZE, TOKEN_ELEVATION, TOKEN_QUERY,
    TOKEN_USER, TokenElevation, TokenUser, WELL_KNOWN_SID_TYPE, WinBuiltinAdministratorsSid,
    WinCreatorOwnerSid, WinLocalSystemSid,
};
use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, CreateDirectoryW, FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_REPARSE_POINT,
    FILE_FLAG_BACKUP_SEMANTICS, FILE_FLAG_OPEN_REPARSE_POINT, GetFileInformationByHandle, READ_CONTROL,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// An antivirus or the indexer holding the target for a moment.
pub const TRANSIENT: &[i32] = &[
    ERROR_SHARING_VIOLATION as i32,
    ERROR_ACCESS_DENIED as i32,
    ERROR_LOCK_VIOLATION as i32,
];
/// `\\?\` and `\\server\share` are Windows path forms.
pub const WINDOWS_PATHS: bool = true;
pub const NAMES_IGNORE_CASE: bool = true;

/// Rights that let an account change a folder's content or the folder itself: add or replace a
/// file (WRITE_DATA/ADD_FILE, APPEND_DATA/ADD_SUBDIRECTORY, DELETE_CHILD), rename or delete it
/// (DELETE), or give itself any of those (WRITE_DAC, WRITE_OWNER, GENERIC_ALL, GENERIC_WRITE).
const WRITE_RIGHTS: u32 = 0x2 | 0x4 | 0x40 | 0x1_0000 | 0x4_0000 | 0x8_0000 | 0x1000_0000 | 0x4000_0000;
const ACCESS_ALLOWED_ACE_TYPE: u8 = 0;

/// A SID copied out of the buffer it came in.
struct Sid(Vec<u8>);

impl Sid {
    fn ptr(&self) -> PSID {
        self.0.as_ptr() as PSID
    }

    /// Copies the SID at `p`, which must point at a SID or be checked invalid.
    fn copy(p: PSID) -> Option<Sid> {
        if p.is_null() {
            return None;
        }
        // SAFETY: `p` is non-null and comes from the system (a token or a security descriptor
        // still alive); IsValidSid checks it before GetLengthSid reads its length, and the
        // slice covers exactly that many bytes of it.
        unsafe {
            if IsValidSid(p) == 0 {
                return None;
            }
            let len = GetLengthSid(p) as usize;
            Some(Sid(std::slice::from_raw_parts(p as *const u8, len).to_vec()))
        }
    }

    fn well_known(kind: WELL_KNOWN_SID_TYPE) -> Option<Sid> {
        let mut buf = vec![0u8; SECURITY_MAX_SID_SIZE as usize];
        let mut size = buf.len() as u32;
        // SAFETY: `buf` holds `size` bytes, the most any SID takes; no domain SID is needed for
        // these well-known SIDs.
        let ok = unsafe { CreateWellKnownSid(kind, null_mut(), buf.as_mut_ptr() as PSID, &mut size) };
        (ok != 0).then(|| {
            buf.truncate(size as usize);
            Sid(buf)
        })
    }

    fn is(&self, p: PSID) -> bool {
        // SAFETY: both point at valid SIDs (ours owned here, `p` checked by the caller).
        !p.is_null() && unsafe { EqualSid(self.ptr(), p) } != 0
    }
}

/// `S-1-5-21-...` of the SID at `p` (valid).
fn sid_string(p: PSID) -> String {
    let mut text: *mut u16 = null_mut();
    // SAFETY: `p` is a valid SID; on success the system allocates `text` (NUL-terminated), read
    // up to its NUL and freed with LocalFree as documented.
    unsafe {
        if ConvertSidToStringSidW(p, &mut text) == 0 || text.is_null() {
            return "an unknown account".into();
        }
        let mut len = 0;
        while *text.add(len) != 0 {
            len += 1;
        }
        let s = String::from_utf16_lossy(std::slice::from_raw_parts(text, len));
        LocalFree(text as HLOCAL);
        s
    }
}

/// `DOMAIN\name (S-1-...)` of the SID at `p` (valid), or only the SID when it has no name here.
fn account(p: PSID) -> String {
    let sid = sid_string(p);
    let (mut name, mut domain) = (vec![0u16; 256], vec![0u16; 256]);
    let (mut name_len, mut domain_len, mut kind) = (256u32, 256u32, 0);
    // SAFETY: both buffers hold the lengths given; `p` is a valid SID; on success the lengths
    // are the characters written, without the NUL.
    let ok = unsafe {
        LookupAccountSidW(
            std::ptr::null(),
            p,
            name.as_mut_ptr(),
            &mut name_len,
            domain.as_mut_ptr(),
            &mut domain_len,
            &mut kind,
        )
    };
    if ok == 0 {
        return sid;
    }
    let name = String::from_utf16_lossy(&name[..(name_len as usize).min(256)]);
    let domain = String::from_utf16_lossy(&domain[..(domain_len as usize).min(256)]);
    if domain.is_empty() {
        format!("`{name}` ({sid})")
    } else {
        format!("`{domain}\\{name}` ({sid})")
    }
}

/// The account lyncdr runs as, and whether it runs elevated.
struct Me {
    user: Sid,
    elevated: bool,
}

fn me_token() -> io::Result<Me> {
    let mut token: HANDLE = null_mut();
    // SAFETY: the pseudo-handle of this process; `token` receives a handle closed below.
    if unsafe { OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &mut token) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let user = token_user(token);
    let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
    let mut len = 0u32;
    // SAFETY: `elevation` is the TOKEN_ELEVATION this class fills, of the size given.
    let elevated = unsafe {
        GetTokenInformation(
            token,
            TokenElevation,
            (&raw mut elevation).cast(),
            size_of::<TOKEN_ELEVATION>() as u32,
            &mut len,
        )
    } != 0
        && elevation.TokenIsElevated != 0;
    // SAFETY: `token` was opened above and is closed once.
    unsafe { CloseHandle(token) };
    Ok(Me {
        user: user?,
        elevated,
    })
}

fn token_user(token: HANDLE) -> io::Result<Sid> {
    // u64s: the TOKEN_USER at the start of the buffer must be aligned.
    let mut buf = vec![0u64; 128];
    let mut len = 0u32;
    // SAFETY: `buf` holds 1024 bytes (a TOKEN_USER and its SID take far less); on success its
    // start is a TOKEN_USER whose SID points inside `buf`, copied before `buf` goes.
    unsafe {
        if GetTokenInformation(token, TokenUser, buf.as_mut_ptr().cast(), 1024, &mut len) == 0 {
            return Err(io::Error::last_os_error());
        }
        let user = &*(buf.as_ptr() as *const TOKEN_USER);
        Sid::copy(user.User.Sid).ok_or_else(|| io::Error::other("the process token has no valid user SID"))
    }
}

fn wide(s: &OsStr) -> Vec<u16> {
    s.encode_wide().chain(Some(0)).collect()
}

pub fn create_private(dir: &Path) -> io::Result<()> {
    let me = me_token()?;
    let mut sddl = format!("D:P(A;OICI;FA;;;{})(A;OICI;FA;;;SY)", sid_string(me.user.ptr()));
    if me.elevated {
        sddl.push_str("(A;OICI;FA;;;BA)");
    }
    create_with(dir, &sddl)
}

/// Creates the folder `dir` with the security descriptor `sddl` (SDDL text).
fn create_with(dir: &Path, sddl: &str) -> io::Result<()> {
    let sddl = wide(OsStr::new(sddl));
    let mut sd: PSECURITY_DESCRIPTOR = null_mut();
    // SAFETY: `sddl` is NUL-terminated; on success `sd` is allocated by the system and freed
    // below with LocalFree.
    let made = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            null_mut(),
        )
    };
    if made == 0 {
        return Err(io::Error::last_os_error());
    }
    let attributes = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd,
        bInheritHandle: 0,
    };
    let path = wide(dir.as_os_str());
    // SAFETY: `path` is NUL-terminated; `attributes` and the descriptor it points at live until
    // the call returns; the error is read before LocalFree can change it.
    unsafe {
        let ok = CreateDirectoryW(path.as_ptr(), &attributes);
        let err = io::Error::last_os_error();
        LocalFree(sd as HLOCAL);
        if ok == 0 { Err(err) } else { Ok(()) }
    }
}

pub fn folder_facts(dir: &Path) -> io::Result<Facts> {
    // The folder itself, never where a junction leads; READ_CONTROL to read its owner and DACL.
    let file = OpenOptions::new()
        .access_mode(READ_CONTROL)
        .custom_flags(FILE_FLAG_BACKUP_SEMANTICS | FILE_FLAG_OPEN_REPARSE_POINT)
        .open(dir)?;
    file_facts(&file)
}

pub fn file_facts(file: &File) -> io::Result<Facts> {
    let attributes = file.metadata()?.file_attributes();
    let link = attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0;
    let dir = attributes & FILE_ATTRIBUTE_DIRECTORY != 0;
    let handle = file.as_raw_handle() as HANDLE;
    let mut info: BY_HANDLE_FILE_INFORMATION = Default::default();
    // SAFETY: `handle` is open for the life of `file`; `info` is the structure this fills.
    if unsafe { GetFileInformationByHandle(handle, &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let me = me_token()?;
    let (mut owner, mut dacl, mut sd): (PSID, *mut ACL, PSECURITY_DESCRIPTOR) =
        (null_mut(), null_mut(), null_mut());
    // SAFETY: `handle` was opened with READ_CONTROL (std's read and write access include it);
    // on success `owner` and `dacl` point into `sd`, which is freed only after their last use.
    let status = unsafe {
        GetSecurityInfo(
            handle,
            SE_FILE_OBJECT,
            OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
            &mut owner,
            null_mut(),
            &mut dacl,
            null_mut(),
            &mut sd,
        )
    };
    if status != 0 {
        return Err(io::Error::from_raw_os_error(status as i32));
    }
    let admins = Sid::well_known(WinBuiltinAdministratorsSid);
    let owner_ok = Sid::copy(owner);
    let ours = owner_ok.as_ref().is_some_and(|o| {
        me.user.is(o.ptr()) || (me.elevated && admins.as_ref().is_some_and(|a| a.is(o.ptr())))
    });
    let owner_name = owner_ok
        .as_ref()
        .map_or_else(|| "nobody known".into(), |o| account(o.ptr()));
    let writable_by = other_writer(dacl, &me, admins.as_ref());
    // SAFETY: allocated by GetSecurityInfo; `owner` and `dacl` are not used after this.
    unsafe { LocalFree(sd as HLOCAL) };
    Ok(Facts {
        link,
        dir,
        regular: !dir && !link,
        links: u64::from(info.nNumberOfLinks),
        ours,
        owner: owner_name,
        writable_by,
    })
}

/// The first account other than the current user, SYSTEM, Administrators and CREATOR OWNER
/// (whose entries go to the creator of a file inside, lyncdr) that the DACL lets write.
fn other_writer(dacl: *mut ACL, me: &Me, admins: Option<&Sid>) -> Option<String> {
    if dacl.is_null() {
        return Some("everyone (the folder has no access list)".into());
    }
    let trusted: Vec<Sid> = [WinLocalSystemSid, WinCreatorOwnerSid]
        .into_iter()
        .filter_map(Sid::well_known)
        .collect();
    // SAFETY: `dacl` points at a valid ACL inside a live security descriptor.
    let count = unsafe { (*dacl).AceCount };
    for i in 0..u32::from(count) {
        let mut ace: *mut core::ffi::c_void = null_mut();
        // SAFETY: `i` is below the ACL's count; GetAce points `ace` inside the ACL; an
        // ACCESS_ALLOWED ACE's SID starts at SidStart, inside the ACE.
        unsafe {
            if GetAce(dacl, i, &mut ace) == 0 || ace.is_null() {
                continue;
            }
            let header = &*(ace as *const ACE_HEADER);
            if header.AceType != ACCESS_ALLOWED_ACE_TYPE {
                continue;
            }
            let allowed = &*(ace as *const ACCESS_ALLOWED_ACE);
            if allowed.Mask & WRITE_RIGHTS == 0 {
                continue;
            }
            let sid = (&raw const allowed.SidStart) as PSID;
            if me.user.is(sid) || admins.is_some_and(|a| a.is(sid)) || trusted.iter().any(|t| t.is(sid)) {
                continue;
            }
            return Some(account(sid));
        }
    }
    None
}

pub fn open_write(path: &Path, how: Write) -> io::Result<File> {
    let mut o = OpenOptions::new();
    match how {
        Write::Append => o.append(true),
        Write::Update => o.read(true).write(true),
    };
    // A link or junction is opened itself (and then refused by its attributes), not followed.
    o.create(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

pub fn open_read(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .custom_flags(FILE_FLAG_OPEN_REPARSE_POINT)
        .open(path)
}

/// Windows opens the link itself; [`file_facts`] refuses it.
pub fn is_link(meta: &std::fs::Metadata) -> bool {
    use std::os::windows::fs::MetadataExt as _;
    meta.file_type().is_symlink() || meta.file_attributes() & FILE_ATTRIBUTE_REPARSE_POINT != 0
}

pub fn is_link_refusal(_: &io::Error) -> bool {
    false
}

pub fn me() -> String {
    me_token().map_or_else(|_| "the current user".into(), |m| account(m.user.ptr()))
}

/// `move` is a command of cmd.exe and an alias of Move-Item in PowerShell: runs in both.
pub fn move_aside_hint(path: &Path) -> String {
    format!(
        "move \"{}\" \"{}\"",
        super::shown(path),
        super::shown(&aside(path))
    )
}

/// icacls takes `*SID`, so the same line runs in cmd.exe and in PowerShell: only the current
/// user, SYSTEM and (when elevated) Administrators, nothing inherited.
pub fn tighten_hint(path: &Path) -> String {
    let me = me_token();
    let user = me.as_ref().map_or_else(
        |_| "%USERNAME%".into(),
        |m| format!("*{}", sid_string(m.user.ptr())),
    );
    let admins = if me.is_ok_and(|m| m.elevated) {
        " \"*S-1-5-32-544:(OI)(CI)F\""
    } else {
        ""
    };
    format!(
        "icacls \"{}\" /inheritance:r /grant:r \"{user}:(OI)(CI)F\" \"*S-1-5-18:(OI)(CI)F\"{admins}",
        super::shown(path)
    )
}

/// PowerShell (the Lync Management Shell): a copy under a new name replaces the shared one.
pub fn own_copy_hint(path: &Path) -> String {
    let q = |p: &Path| format!("'{}'", super::shown(p).replace('\'', "''"));
    format!(
        "Copy-Item -LiteralPath {p} {o}; Move-Item -Force -LiteralPath {o} {p}",
        p = q(path),
        o = q(&own(path))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use windows_sys::Win32::Security::GetSecurityDescriptorDacl;

    /// The first account other than ours that the DACL written as `sddl` lets write.
    fn writer_in(sddl: &str) -> Option<String> {
        let me = me_token().unwrap();
        let sddl = sddl.replace("ME", &sid_string(me.user.ptr()));
        let text = wide(OsStr::new(&sddl));
        let mut sd: PSECURITY_DESCRIPTOR = null_mut();
        let (mut present, mut defaulted, mut dacl) = (0, 0, null_mut());
        // SAFETY: `text` is NUL-terminated; `sd` is allocated by the system, `dacl` points into
        // it, and it is freed after the last use of `dacl`.
        unsafe {
            assert_ne!(
                ConvertStringSecurityDescriptorToSecurityDescriptorW(
                    text.as_ptr(),
                    SDDL_REVISION_1,
                    &mut sd,
                    null_mut()
                ),
                0
            );
            assert_ne!(
                GetSecurityDescriptorDacl(sd, &mut present, &mut dacl, &mut defaulted),
                0
            );
            let found = other_writer(dacl, &me, Sid::well_known(WinBuiltinAdministratorsSid).as_ref());
            LocalFree(sd as HLOCAL);
            found
        }
    }

    /// Wine keeps no DACL a program gives a folder, so the rule is tested on DACLs in memory.
    #[test]
    fn only_the_user_system_and_administrators_may_write() {
        assert_eq!(
            writer_in("D:P(A;OICI;FA;;;ME)(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"),
            None
        );
        // Everyone may read and list: not a writer.
        assert_eq!(writer_in("D:P(A;OICI;FA;;;ME)(A;OICI;0x1200a9;;;WD)"), None);
        // CREATOR OWNER's entry goes to whoever creates a file inside: lyncdr.
        assert_eq!(writer_in("D:P(A;OICI;FA;;;ME)(A;OICIIO;FA;;;CO)"), None);
        for (sddl, who) in [
            ("D:P(A;OICI;FA;;;ME)(A;OICI;FA;;;WD)", "S-1-1-0"),
            // Users: create folders / append data, what a folder under C:\ inherits.
            ("D:(A;OICI;FA;;;ME)(A;CI;0x4;;;BU)", "S-1-5-32-545"),
            ("D:P(A;OICI;FA;;;ME)(A;OICIIO;GW;;;AU)", "S-1-5-11"),
            ("D:P(A;;WD;;;BU)", "S-1-5-32-545"),
        ] {
            let found = writer_in(sddl);
            assert!(
                found.as_deref().is_some_and(|w| w.contains(who)),
                "{sddl}: {found:?}"
            );
        }
        assert!(
            writer_in("").is_some_and(|w| w.contains("everyone")),
            "no DACL at all"
        );
    }

    #[test]
    fn a_private_folder_grants_only_the_user_and_system() {
        let base = tempfile::tempdir().unwrap();
        let dir = base.path().join(".lyncdr");
        create_private(&dir).unwrap();
        let facts = folder_facts(&dir).unwrap();
        assert!(
            facts.dir && !facts.link && facts.ours && facts.writable_by.is_none(),
            "{facts:?}"
        );
    }

    #[test]
    fn a_symbolic_link_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, b"precious").unwrap();
        let link = dir.path().join("run.log");
        let made = std::os::windows::fs::symlink_file(&victim, &link).is_ok()
            && std::fs::symlink_metadata(&link).is_ok_and(|m| m.file_type().is_symlink());
        if !made {
            eprintln!("skipped: no symbolic link here (this account may not make one; wine keeps none)");
            return;
        }
        let err = super::super::open_write(&link, Write::Append)
            .unwrap_err()
            .to_string();
        assert!(err.contains("it is a link"), "{err}");
        assert!(super::super::open_read(&link).is_err());
        assert_eq!(std::fs::read(&victim).unwrap(), b"precious");
    }
}
