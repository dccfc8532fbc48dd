//! The console lyncdr runs in, the same API on every platform: how a stop request arrives
//! (Ctrl-C, Ctrl-Break, a closed window, a logoff or shutdown), which code page native programs
//! write in, and whether the console can show Unicode glyphs. Linux: signals and the locale
//! (`unix.rs`); Windows Server 2008 R2: a console control handler and the console's code pages
//! (`windows.rs`: conhost there has no VT sequences, so colour goes through anstream's console
//! API fallback and glyphs fall back to ASCII unless the console is in code page 65001).

#[cfg(unix)]
#[path = "unix.rs"]
mod imp;
#[cfg(windows)]
#[path = "windows.rs"]
mod imp;

use std::sync::Arc;
use std::sync::atomic::AtomicBool;

/// What a stop request from the console asks of lyncdr.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Not a request to stop this process (a logoff of another session seen by a task in
    /// session 0, as Task Scheduler runs the nightly job).
    Ignore,
    /// Set the stop flag; lyncdr records the step as interrupted, saves and exits 130.
    Request,
    /// Set the stop flag and hold the handler: Windows ends the process as soon as a handler
    /// returns from a close, logoff or shutdown event (after 5 s at most for a close), so the
    /// handler waits up to [`HOLD`] for lyncdr to save its state and exit by itself.
    RequestAndHold,
}

/// How long a close, logoff or shutdown event is held while lyncdr saves (Windows allows 5 s
/// for a closed window before it ends the process).
pub const HOLD: std::time::Duration = std::time::Duration::from_millis(4500);

/// The kinds of console events, as Windows numbers them (`SetConsoleCtrlHandler`); on Unix the
/// signals map onto them (SIGINT: Ctrl-C, SIGTERM: shutdown, SIGHUP: close).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event {
    CtrlC,
    CtrlBreak,
    Close,
    Logoff,
    Shutdown,
}

impl Event {
    /// From Windows' `CTRL_*_EVENT` number.
    pub fn from_windows(code: u32) -> Option<Event> {
        Some(match code {
            0 => Event::CtrlC,
            1 => Event::CtrlBreak,
            2 => Event::Close,
            5 => Event::Logoff,
            6 => Event::Shutdown,
            _ => return None,
        })
    }
}

/// The decision for one event. `session` is the Windows session this process runs in: 0 is the
/// services' session, where Task Scheduler runs a task "whether the user is logged on or not",
/// and every console process there sees every user's logoff (SetConsoleCtrlHandler's remarks).
pub fn decide(event: Event, session: u32) -> Stop {
    match event {
        Event::CtrlC | Event::CtrlBreak => Stop::Request,
        Event::Logoff if session == 0 => Stop::Ignore,
        Event::Close | Event::Logoff | Event::Shutdown => Stop::RequestAndHold,
    }
}

/// Route every stop request of the console to `flag` from now on.
pub fn install_stop_handler(flag: Arc<AtomicBool>) -> std::io::Result<()> {
    imp::install_stop_handler(flag)
}

/// The console's output code page (what `chcp` shows), the one native programs such as sqlcmd
/// and DBImpExp write redirected output in; `None` where there is no such thing (Linux) or no
/// console.
pub fn oem_code_page() -> Option<u16> {
    imp::oem_code_page()
}

/// Can the console show glyphs beyond ASCII (arrows, check marks, box lines)? Windows: only a
/// console in code page 65001; Unix: a UTF-8 locale (`LC_ALL`, `LC_CTYPE`, `LANG`, in that order).
pub fn unicode_glyphs() -> bool {
    imp::unicode_glyphs()
}

/// Does this locale setting (`LC_ALL`, `LC_CTYPE`, `LANG`) name UTF-8? The first one set wins,
/// as in setlocale(3); none set is the C locale, ASCII.
pub fn locale_is_utf8(lc_all: Option<&str>, lc_ctype: Option<&str>, lang: Option<&str>) -> bool {
    let first = [lc_all, lc_ctype, lang]
        .into_iter()
        .flatten()
        .find(|v| !v.is_empty());
    first.is_some_and(|v| {
        let v = v.to_ascii_lowercase();
        v.contains("utf-8") || v.contains("utf8")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_closed_window_is_held_while_lyncdr_saves_and_ctrl_c_is_a_plain_request() {
        assert_eq!(decide(Event::CtrlC, 1), Stop::Request);
        assert_eq!(decide(Event::CtrlBreak, 1), Stop::Request);
        assert_eq!(decide(Event::Close, 1), Stop::RequestAndHold);
        assert_eq!(decide(Event::Shutdown, 0), Stop::RequestAndHold);
        // An RDP logoff ends the operator's run; in session 0 (the nightly task) it is someone
        // else's logoff.
        assert_eq!(decide(Event::Logoff, 2), Stop::RequestAndHold);
        assert_eq!(decide(Event::Logoff, 0), Stop::Ignore);
        assert_eq!(Event::from_windows(2), Some(Event::Close));
        assert_eq!(Event::from_windows(3), None);
    }

    #[test]
    fn the_locale_decides_the_glyphs() {
        assert!(locale_is_utf8(None, None, Some("en_US.UTF-8")));
        assert!(locale_is_utf8(None, Some("C.utf8"), Some("C")));
        assert!(!locale_is_utf8(Some("C"), None, Some("en_US.UTF-8")));
        assert!(!locale_is_utf8(None, None, None));
        assert!(!locale_is_utf8(Some(""), None, Some("POSIX")));
    }
}
