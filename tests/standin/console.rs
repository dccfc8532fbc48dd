//! What the stand-in writes, in the bytes Windows would write them: the console's encoding,
//! CRLF line ends, and a copy to the transcript while one runs.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

/// The OEM code page 437, bytes 0x80-0xFF (generated from Python's `cp437` codec).
const CP437_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐\
└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";

/// The OEM code page 850 (Western Europe: a German or French 2008 R2), bytes 0x80-0xFF
/// (generated from Python's `cp850` codec). The letters of 437 keep their bytes; 850 adds
/// ø, Ø, ã, Ê, ... where 437 has box lines and Greek.
const CP850_HIGH: &str = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜø£Ø×ƒáíóúñÑªº¿®¬½¼¡«»░▒▓│┤ÁÂÀ©╣║╗╝¢¥┐\
└┴┬├─┼ãÃ╚╔╩╦╠═╬¤ðÐÊËÈıÍÎÏ┘┌█▄¦Ì▀ÓßÔÒõÕµþÞÚÛÙýÝ¯´\u{ad}±‗¾¶§÷¸°¨·¹³²■\u{a0}";

/// The console's output code page, as a native program writes redirected output in it
/// (GetConsoleOutputCP: what `chcp` set; a process without a console, the system's OEM code
/// page). On Linux there is no console: 437, the US server's.
fn code_page() -> u32 {
    #[cfg(windows)]
    return crate::process::console_code_page();
    #[cfg(not(windows))]
    437
}

/// Text in the console's code page (437 or 850; another is written as 437).
pub fn oem(text: &str) -> Vec<u8> {
    let high = if code_page() == 850 {
        CP850_HIGH
    } else {
        CP437_HIGH
    };
    encode(text, high)
}

/// A character the code page lacks becomes `?`, as .NET's encoder does.
fn encode(text: &str, high: &str) -> Vec<u8> {
    text.chars()
        .map(|c| {
            if c.is_ascii() {
                c as u8
            } else {
                high.chars()
                    .position(|h| h == c)
                    .and_then(|p| u8::try_from(0x80 + p).ok())
                    .unwrap_or(b'?')
            }
        })
        .collect()
}

/// Windows-1252 bytes 0x80-0x9F (generated from Python's `cp1252` codec; the five undefined
/// bytes map to the C1 control of the same number, as .NET does).
const CP1252_C1: &str = "€\u{81}‚ƒ„…†‡ˆ‰Š‹Œ\u{8d}Ž\u{8f}\u{90}‘’“”•–—˜™š›œ\u{9d}žŸ";

/// Bytes read as the ANSI code page 1252.
pub fn from_cp1252(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            0x80..=0x9f => CP1252_C1.chars().nth(usize::from(b - 0x80)).unwrap_or('?'),
            _ => char::from(b),
        })
        .collect()
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Out,
    Err,
}

pub struct Console {
    /// `[Console]::OutputEncoding` was set to a UTF-8 encoding.
    pub utf8: bool,
    transcript: Option<PathBuf>,
    out_tty: bool,
    err_tty: bool,
}

impl Console {
    pub fn new() -> Self {
        Self {
            utf8: false,
            transcript: None,
            out_tty: std::io::stdout().is_terminal(),
            err_tty: std::io::stderr().is_terminal(),
        }
    }

    /// A line PowerShell writes: redirected console output is encoded in
    /// `[Console]::OutputEncoding`, by default the OEM code page (facts file, "Running steps for
    /// real"). At a terminal the console shows the characters themselves: UTF-8 here.
    /// Lines end in CRLF, Windows' `Environment.NewLine`, as every Windows program writes them.
    pub fn line(&mut self, stream: Stream, text: &str) {
        let utf8 = self.utf8 || self.tty(stream);
        self.write(stream, &format!("{text}\r\n"), utf8);
    }

    /// A line a native program (DBImpExp.exe, sqlcmd.exe) writes: in its own (OEM) code page
    /// whatever PowerShell's `[Console]::OutputEncoding` says (facts file).
    pub fn native_line(&mut self, stream: Stream, text: &str) {
        let utf8 = self.tty(stream);
        self.write(stream, &format!("{text}\r\n"), utf8);
    }

    /// A prompt, left open on its line for the answer.
    pub fn prompt(&mut self, text: &str) {
        let utf8 = self.utf8 || self.tty(Stream::Out);
        self.write(Stream::Out, text, utf8);
    }

    /// The operator's answer: the terminal echoes it; the transcript records it.
    pub fn answered(&mut self, answer: &str) {
        self.copy_to_transcript(&format!("{answer}\r\n"));
    }

    fn tty(&self, stream: Stream) -> bool {
        match stream {
            Stream::Out => self.out_tty,
            Stream::Err => self.err_tty,
        }
    }

    fn write(&mut self, stream: Stream, text: &str, utf8: bool) {
        let bytes = if utf8 { text.as_bytes().to_vec() } else { oem(text) };
        // A closed pipe (the parent died) must not end the program: errors are ignored.
        let _ = match stream {
            Stream::Out => {
                let mut o = std::io::stdout().lock();
                o.write_all(&bytes).and_then(|()| o.flush())
            }
            Stream::Err => {
                let mut e = std::io::stderr().lock();
                e.write_all(&bytes).and_then(|()| e.flush())
            }
        };
        self.copy_to_transcript(text);
    }

    // UNCONFIRMED for PowerShell 2.0: the transcript is written as UTF-16LE with a BOM
    // ("Unicode"), with the 2.0-style `**********************` header. No primary source was found
    // for 2.0's transcript encoding; lyncdr's reader must accept UTF-16 and UTF-8 either way.
    // Also reported but unconfirmed: the 2.0 console host leaves the output of native programs
    // out of transcripts. The stand-in copies everything, so lyncdr must not rely on either.
    pub fn start_transcript(&mut self, path: PathBuf, append: bool) -> std::io::Result<()> {
        let header = format!(
            "**********************\r\nWindows PowerShell Transcript Start\r\nStart time: {}\r\n\
             Username  : {}\r\nMachine\t  : {} (Microsoft Windows NT 6.1.7601 Service Pack 1)\r\n\
             **********************\r\nTranscript started, output file is {}\r\n",
            timestamp(),
            std::env::var("USER").unwrap_or_else(|_| "CONTOSO\\administrator".into()),
            std::env::var("HOSTNAME").unwrap_or_else(|_| "FE01".into()),
            path.display()
        );
        let mut bytes = Vec::new();
        let fresh = !append || std::fs::metadata(&path).map(|m| m.len() == 0).unwrap_or(true);
        if fresh {
            bytes.extend_from_slice(&[0xff, 0xfe]);
        }
        bytes.extend(utf16le(&header));
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .write(true)
            .append(append)
            .truncate(!append)
            .open(&path)?;
        f.write_all(&bytes)?;
        f.flush()?;
        self.transcript = Some(path);
        Ok(())
    }

    /// False when no transcript was running.
    pub fn stop_transcript(&mut self) -> bool {
        if self.transcript.is_none() {
            return false;
        }
        self.copy_to_transcript(&format!(
            "**********************\r\nWindows PowerShell Transcript End\r\nEnd time: {}\r\n**********************\r\n",
            timestamp()
        ));
        self.transcript = None;
        true
    }

    fn copy_to_transcript(&mut self, text: &str) {
        let Some(path) = &self.transcript else { return };
        // Appended per write so that a killed process leaves everything up to that point.
        if let Ok(mut f) = std::fs::OpenOptions::new().append(true).open(path) {
            let _ = f.write_all(&utf16le(text));
        }
    }
}

fn utf16le(text: &str) -> Vec<u8> {
    text.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

/// `yyyyMMddHHmmss` in UTC, the 2.0 transcript's time format.
fn timestamp() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = i64::try_from(secs / 86_400).unwrap_or(0);
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}{m:02}{d:02}{:02}{:02}{:02}",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}
