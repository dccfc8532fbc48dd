//! The stand-in's own Windows calls: its parent (lyncdr) found through a Toolhelp32 snapshot
//! and ended with TerminateProcess (what `kill -9` is on Linux, `control.rs`); the console's
//! code page its output is written in (`console.rs`).
#![allow(unsafe_code)]

use windows_sys::Win32::Foundation::{CloseHandle, INVALID_HANDLE_VALUE};
use windows_sys::Win32::Globalization::GetOEMCP;
use windows_sys::Win32::System::Console::GetConsoleOutputCP;
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};
use windows_sys::Win32::System::Threading::{OpenProcess, PROCESS_TERMINATE, TerminateProcess};

fn parent_id() -> Option<u32> {
    let me = std::process::id();
    // SAFETY: a snapshot handle, closed below; the entry is sized as the API requires.
    unsafe {
        let snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
        if snap == INVALID_HANDLE_VALUE {
            return None;
        }
        let mut entry: PROCESSENTRY32W = std::mem::zeroed();
        entry.dwSize = std::mem::size_of::<PROCESSENTRY32W>() as u32;
        let mut found = None;
        let mut ok = Process32FirstW(snap, &mut entry);
        while ok != 0 {
            if entry.th32ProcessID == me {
                found = Some(entry.th32ParentProcessID);
                break;
            }
            ok = Process32NextW(snap, &mut entry);
        }
        CloseHandle(snap);
        found
    }
}

/// Ends lyncdr at once, as a kill does: no handler runs, nothing is flushed. Exit code 137, as a
/// shell reports a SIGKILL, so a test can tell the kill from lyncdr's own codes.
pub fn terminate_parent() {
    let Some(parent) = parent_id() else { return };
    // SAFETY: the handle is checked and closed; TerminateProcess takes any exit code.
    unsafe {
        let handle = OpenProcess(PROCESS_TERMINATE, 0, parent);
        if !handle.is_null() {
            TerminateProcess(handle, 137);
            CloseHandle(handle);
        }
    }
}

/// The console's output code page (what `chcp` set), else the system's OEM code page: the one
/// a native program writes redirected output in.
pub fn console_code_page() -> u32 {
    // SAFETY: neither call takes arguments; each returns 0 on failure.
    let page = unsafe { GetConsoleOutputCP() };
    if page != 0 { page } else { unsafe { GetOEMCP() } }
}
