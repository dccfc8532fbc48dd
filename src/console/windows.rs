//! Windows: a console control handler (SetConsoleCtrlHandler) for Ctrl-C, Ctrl-Break, the
//! console window closed, a logoff (an RDP session ended) and a shutdown; the console's code
//! pages (GetConsoleOutputCP, else the system's OEM code page, GetOEMCP). Every call here exists
//! on Windows 7 / Server 2008 R2.
#![allow(unsafe_code)]

use super::{Event, Stop};
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use windows_sys::Win32::Foundation::{FALSE, TRUE};
use windows_sys::Win32::Globalization::GetOEMCP;
use windows_sys::Win32::System::Console::{GetConsoleOutputCP, SetConsoleCtrlHandler};
use windows_sys::Win32::System::RemoteDesktop::ProcessIdToSessionId;
use windows_sys::core::BOOL;

static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();

/// The Windows session of this process (0: the services' session).
fn session() -> u32 {
    let mut session = 0u32;
    // SAFETY: `session` is a valid place for the result; the call reads nothing else.
    let ok = unsafe { ProcessIdToSessionId(std::process::id(), &mut session) };
    if ok == 0 { 1 } else { session }
}

/// Runs on a thread Windows creates for the event.
unsafe extern "system" fn handler(code: u32) -> BOOL {
    let Some(event) = Event::from_windows(code) else {
        return FALSE;
    };
    let decision = super::decide(event, session());
    if decision == Stop::Ignore {
        // Handled: the default handler would end the process.
        return TRUE;
    }
    if let Some(flag) = FLAG.get() {
        flag.store(true, Ordering::SeqCst);
    }
    if decision == Stop::RequestAndHold {
        // Windows ends the process when this returns; lyncdr's main thread records the step
        // as interrupted, saves and exits meanwhile (its exit ends this thread too).
        std::thread::sleep(super::HOLD);
    }
    TRUE
}

pub fn install_stop_handler(flag: Arc<AtomicBool>) -> std::io::Result<()> {
    let _ = FLAG.set(flag);
    // SAFETY: `handler` has the signature PHANDLER_ROUTINE requires and lives for the program.
    let ok = unsafe { SetConsoleCtrlHandler(Some(handler), TRUE) };
    if ok == 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}

pub fn oem_code_page() -> Option<u16> {
    // SAFETY: neither call takes arguments; both return 0 on failure.
    let console = unsafe { GetConsoleOutputCP() };
    let page = if console != 0 {
        console
    } else {
        unsafe { GetOEMCP() }
    };
    u16::try_from(page).ok().filter(|p| *p != 0)
}

pub fn unicode_glyphs() -> bool {
    // SAFETY: no arguments; 0 when the process has no console.
    unsafe { GetConsoleOutputCP() == 65001 }
}
