//! Text files for Windows, one rule for every file lyncdr writes for a Windows host (the run's
//! scripts, a bundle's files, the backup job's script and task): CRLF line ends; a PowerShell or
//! text file ASCII, or UTF-8 with a byte order mark when it is not (Windows PowerShell reads a
//! BOM-less script in the ANSI code page); a T-SQL file UTF-8 without one (sqlcmd reads it with
//! `-f 65001`).

/// Windows line endings throughout.
pub fn crlf(text: &str) -> String {
    text.replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\r\n")
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A `.ps1` or `.txt` file: CRLF; ASCII, or UTF-8 with a BOM when the text is not ASCII.
pub fn windows_text(text: &str) -> Vec<u8> {
    let text = crlf(text);
    if text.is_ascii() {
        text.into_bytes()
    } else {
        [UTF8_BOM, text.as_bytes()].concat()
    }
}

/// A `.sql` file for sqlcmd: CRLF; ASCII, or UTF-8 without BOM (then read with `-f 65001`).
pub fn sql_text(text: &str) -> Vec<u8> {
    crlf(text).into_bytes()
}
