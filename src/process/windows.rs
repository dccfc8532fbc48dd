//! Windows (Server 2008 R2, NT 6.1 APIs only): a command is put in a Job object of its own with
//! JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, so stopping it (TerminateJobObject) or lyncdr's own end
//! ends everything it started. Windows 7 has no nested jobs: when lyncdr already runs inside a
//! job (a scheduled task may), the command is started with CREATE_BREAKAWAY_FROM_JOB where that
//! job allows it; otherwise it cannot have a job of its own, and its tree is found through
//! parent links in a Toolhelp32 snapshot and each process ended. A process is recognised by its
//! id, creation time (GetProcessTimes) and owner (its token's user SID).
#![allow(unsafe_code)]

use super::Identity;
use std::ffi::c_void;
use std::ptr::{null, null_mut};
use windows_sys::Win32::Foundation::{CloseHandle, FILETIME, HANDLE, INVALID_HANDLE_VALUE, STILL_ACTIVE};
use windows_sys::Win32::Security::{GetLengthSid, GetTokenInformation, TOKEN_QUERY, TOKEN_USER, TokenUser};
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::JobObjects::{
    AssignProcessToJobObject, CreateJobObjectW, IsProcessInJob, JOB_OBJECT_LIMIT_BREAKAWAY_OK,
    JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE, JOBOBJECT_BASIC_ACCOUNTING_INFORMATION,
    JOBOBJECT_EXTENDED_LIMIT_INFORMATION, JobObjectBasicAccountingInformation,
    JobObjectExtendedLimitInformation, QueryInformationJobObject, SetInformationJobObject,
    TerminateJobObject,
};
use windows_sys::Win32::System::Threading::{
    CREATE_BREAKAWAY_FROM_JOB, GetCurrentProcess, GetExitCodeProcess, GetProcessTimes, OpenProcess,
    OpenProcessToken, PROCESS_QUERY_LIMITED_INFORMATION, PROCESS_TERMINATE, TerminateProcess,
};

/// STATUS_CONTROL_C_EXIT: the exit code of a console program ended by the console's Ctrl-C.
const CONTROL_C_EXIT: u32 = 0xC000_013A;

/// The exit code a stopped process is given.
const STOPPED: u32 = 1;

/// A handle closed when dropped.
struct Handle(HANDLE);

impl Handle {
    fn new(h: HANDLE) -> Option<Handle> {
        (!h.is_null() && h != INVALID_HANDLE_VALUE).then_some(Handle(h))
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle is open (checked in `new`) and owned by this value alone.
        unsafe { CloseHandle(self.0) };
    }
}

pub fn prepare(command: &mut tokio::process::Command, _console: bool) {
    if breakaway_allowed() {
        command.creation_flags(CREATE_BREAKAWAY_FROM_JOB);
    }
}

/// Is lyncdr in a job that lets a child leave it (JOB_OBJECT_LIMIT_BREAKAWAY_OK)? Not in a job:
/// nothing to leave. In one that forbids it: CREATE_BREAKAWAY_FROM_JOB would fail the start.
fn breakaway_allowed() -> bool {
    let mut in_job = 0;
    // SAFETY: GetCurrentProcess is a pseudo handle needing no close; `in_job` is a valid BOOL.
    let ok = unsafe { IsProcessInJob(GetCurrentProcess(), null_mut(), &mut in_job) };
    if ok == 0 || in_job == 0 {
        return false;
    }
    // SAFETY: all-zero is a valid value of this plain C struct.
    let mut info: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: a null job handle names the caller's own job; the buffer is the size passed.
    let ok = unsafe {
        QueryInformationJobObject(
            null_mut(),
            JobObjectExtendedLimitInformation,
            (&raw mut info).cast::<c_void>(),
            size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
            null_mut(),
        )
    };
    ok != 0 && info.BasicLimitInformation.LimitFlags & JOB_OBJECT_LIMIT_BREAKAWAY_OK != 0
}

pub fn ended_by_ctrl_c(status: &std::process::ExitStatus) -> bool {
    status.code().map(|c| c as u32) == Some(CONTROL_C_EXIT)
}

fn open(pid: u32, access: u32) -> Option<Handle> {
    // SAFETY: plain call; a failure returns null, which `Handle::new` refuses.
    Handle::new(unsafe { OpenProcess(access, 0, pid) })
}

/// Creation time, if the process still runs.
fn created(process: &Handle) -> Option<u64> {
    let mut code = 0u32;
    // SAFETY: `process` is an open handle with query rights; `code` is a valid u32.
    if unsafe { GetExitCodeProcess(process.0, &mut code) } == 0 || code != STILL_ACTIVE as u32 {
        return None;
    }
    let zero = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    let (mut c, mut e, mut k, mut u) = (zero, zero, zero, zero);
    // SAFETY: an open handle with query rights and four valid FILETIME out values.
    if unsafe { GetProcessTimes(process.0, &mut c, &mut e, &mut k, &mut u) } == 0 {
        return None;
    }
    Some((u64::from(c.dwHighDateTime) << 32) | u64::from(c.dwLowDateTime))
}

/// The user SID of the process's token, as hex.
fn owner(process: &Handle) -> Option<String> {
    let mut token = null_mut();
    // SAFETY: an open process handle; `token` receives a handle we then own.
    if unsafe { OpenProcessToken(process.0, TOKEN_QUERY, &mut token) } == 0 {
        return None;
    }
    let token = Handle::new(token)?;
    let mut len = 0u32;
    // SAFETY: a size query: no buffer, `len` receives the size needed.
    unsafe { GetTokenInformation(token.0, TokenUser, null_mut(), 0, &mut len) };
    if len == 0 || len > 4096 {
        return None;
    }
    // u64 cells: TOKEN_USER holds pointers and needs their alignment.
    let mut buf = vec![0u64; (len as usize).div_ceil(8)];
    // SAFETY: the buffer holds at least `len` bytes, suitably aligned for TOKEN_USER.
    if unsafe { GetTokenInformation(token.0, TokenUser, buf.as_mut_ptr().cast(), len, &mut len) } == 0 {
        return None;
    }
    // SAFETY: on success the buffer starts with a TOKEN_USER whose SID points into the buffer,
    // which lives until the end of this function; GetLengthSid gives that SID's byte length.
    let bytes = unsafe {
        let sid = (*buf.as_ptr().cast::<TOKEN_USER>()).User.Sid;
        let n = GetLengthSid(sid) as usize;
        if n == 0 || n > len as usize {
            return None;
        }
        std::slice::from_raw_parts(sid.cast::<u8>(), n).to_vec()
    };
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

pub fn identity(pid: u32) -> Option<Identity> {
    let h = open(pid, PROCESS_QUERY_LIMITED_INFORMATION)?;
    Some(Identity {
        pid,
        group: 0,
        start: created(&h)?,
        owner: owner(&h)?,
    })
}

/// (process id, parent id) of every process now.
fn snapshot() -> Vec<(u32, u32)> {
    // SAFETY: plain call; a failure returns INVALID_HANDLE_VALUE, which `Handle::new` refuses.
    let Some(snap) = Handle::new(unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) }) else {
        return Vec::new();
    };
    // SAFETY: all-zero is a valid PROCESSENTRY32W; dwSize is set before use as the API needs.
    let mut entry: PROCESSENTRY32W = unsafe { std::mem::zeroed() };
    entry.dwSize = size_of::<PROCESSENTRY32W>() as u32;
    let mut all = Vec::new();
    // SAFETY: an open snapshot handle and a valid entry with its size set.
    let mut more = unsafe { Process32FirstW(snap.0, &mut entry) } != 0;
    while more && all.len() < 1 << 16 {
        all.push((entry.th32ProcessID, entry.th32ParentProcessID));
        // SAFETY: as above.
        more = unsafe { Process32NextW(snap.0, &mut entry) } != 0;
    }
    all
}

/// The processes of `id` that run: itself, and through parent links every process started
/// after its parent, owned by the same user. A parent id is only a number: a process counts as
/// a child only when created after its parent, and once another process holds the root's id,
/// only children created before that one are the root's.
fn tree(id: &Identity) -> Vec<(u32, u64)> {
    let mut found = Vec::new();
    let mut until = u64::MAX;
    if let Some(h) = open(id.pid, PROCESS_QUERY_LIMITED_INFORMATION)
        && let Some(start) = created(&h)
    {
        if start != id.start {
            until = start;
        } else if owner(&h).as_deref() == Some(id.owner.as_str()) {
            found.push((id.pid, id.start));
        }
    }
    let procs = snapshot();
    let mut parents = vec![(id.pid, id.start, until)];
    let mut i = 0;
    while i < parents.len() && parents.len() <= procs.len() {
        let (parent, since, until) = parents[i];
        for &(pid, _) in procs.iter().filter(|p| p.1 == parent && p.0 != parent) {
            if found.iter().any(|f| f.0 == pid) {
                continue;
            }
            let Some(h) = open(pid, PROCESS_QUERY_LIMITED_INFORMATION) else {
                continue;
            };
            let Some(start) = created(&h) else { continue };
            if start >= since && start < until && owner(&h).as_deref() == Some(id.owner.as_str()) {
                found.push((pid, start));
                parents.push((pid, start, u64::MAX));
            }
        }
        i += 1;
    }
    found
}

pub fn members(id: &Identity) -> Vec<u32> {
    tree(id).into_iter().map(|t| t.0).collect()
}

/// End every process of the tree, each checked again by its creation time through the handle
/// that ends it (an id freed since the snapshot may name another process by now).
fn kill_tree(id: &Identity) {
    for _ in 0..5 {
        let members = tree(id);
        if members.is_empty() {
            return;
        }
        for (pid, start) in members {
            if let Some(h) = open(pid, PROCESS_TERMINATE | PROCESS_QUERY_LIMITED_INFORMATION)
                && created(&h) == Some(start)
            {
                // SAFETY: an open handle with PROCESS_TERMINATE rights.
                unsafe { TerminateProcess(h.0, STOPPED) };
            }
        }
    }
}

pub struct Tree {
    /// The command's own job; `None` when it could not be put in one (lyncdr's job forbids
    /// breakaway, Windows 7 has no nested jobs): then the tree is walked.
    job: Option<Handle>,
}

impl Tree {
    pub fn adopt(child: &tokio::process::Child, _pid: Option<u32>, _id: Option<&Identity>) -> Tree {
        Tree {
            job: child.raw_handle().and_then(|h| job_for(h.cast())),
        }
    }

    pub fn stop(&self, id: Option<&Identity>) {
        match (&self.job, id) {
            (Some(job), _) => {
                // SAFETY: an open job handle created by us.
                unsafe { TerminateJobObject(job.0, STOPPED) };
            }
            (None, Some(id)) => kill_tree(id),
            (None, None) => {}
        }
    }

    pub fn empty(&self, id: Option<&Identity>) -> bool {
        match (&self.job, id) {
            (Some(job), _) => active_processes(job) == Some(0),
            (None, Some(id)) => tree(id).is_empty(),
            (None, None) => true,
        }
    }
}

/// A new job holding `process`. The command already runs when this is called (std starts it and
/// gives no thread handle to start it suspended): a process it starts in the few microseconds
/// before the assignment is outside the job; a step's script starts nothing that early.
fn job_for(process: HANDLE) -> Option<Handle> {
    // SAFETY: plain call, no security attributes (the handle is not inherited), no name.
    let job = Handle::new(unsafe { CreateJobObjectW(null(), null()) })?;
    // SAFETY: all-zero is a valid value of this plain C struct.
    let mut limits: JOBOBJECT_EXTENDED_LIMIT_INFORMATION = unsafe { std::mem::zeroed() };
    limits.BasicLimitInformation.LimitFlags = JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE;
    // SAFETY: an open job handle and a buffer of the size passed.
    let set = unsafe {
        SetInformationJobObject(
            job.0,
            JobObjectExtendedLimitInformation,
            (&raw const limits).cast::<c_void>(),
            size_of::<JOBOBJECT_EXTENDED_LIMIT_INFORMATION>() as u32,
        )
    };
    // SAFETY: open job and process handles; this fails (access denied) for a process already in
    // another job on Windows 7.
    (set != 0 && unsafe { AssignProcessToJobObject(job.0, process) } != 0).then_some(job)
}

fn active_processes(job: &Handle) -> Option<u32> {
    // SAFETY: all-zero is a valid value of this plain C struct.
    let mut info: JOBOBJECT_BASIC_ACCOUNTING_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: an open job handle and a buffer of the size passed.
    let ok = unsafe {
        QueryInformationJobObject(
            job.0,
            JobObjectBasicAccountingInformation,
            (&raw mut info).cast::<c_void>(),
            size_of::<JOBOBJECT_BASIC_ACCOUNTING_INFORMATION>() as u32,
            null_mut(),
        )
    };
    (ok != 0).then_some(info.ActiveProcesses)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::windows::process::ExitStatusExt as _;

    /// Without a job (lyncdr in a job that forbids breakaway on Windows 7): the tree found
    /// through parent links is ended, the grandchild too.
    #[test]
    fn a_tree_without_a_job_is_ended_through_parent_links() {
        let mut child = super::super::tests::sleeper_command(true).spawn().expect("spawn");
        let id = identity(child.id()).expect("identity");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while tree(&id).len() < 2 {
            assert!(std::time::Instant::now() < until, "no grandchild");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        kill_tree(&id);
        assert_eq!(tree(&id), Vec::new());
        child.wait().expect("reaped");
    }

    #[test]
    fn only_status_control_c_exit_is_ctrl_c() {
        use std::process::ExitStatus;
        assert!(ended_by_ctrl_c(&ExitStatus::from_raw(CONTROL_C_EXIT)));
        assert!(!ended_by_ctrl_c(&ExitStatus::from_raw(2)));
        assert!(!ended_by_ctrl_c(&ExitStatus::from_raw(STOPPED)));
    }
}
