//! Escaping by target language. Every value reaches a rendered command through one of these
//! functions, installed as the escape function of that language's template registry, so a
//! template cannot insert a value unescaped (`{{{raw}}}` is rejected at load time).
//!
//! Values are checked before rendering ([`crate::env::value`]: no control characters, no
//! look-alike quotes or dashes; letters of any script are allowed); these functions are still
//! total and safe on any input, because they are the last line of defence. PowerShell and T-SQL
//! literals carry any character (the files holding them are written as Unicode); a cmd.exe line
//! carries ASCII only.

/// Characters PowerShell treats as a single quote inside a single-quoted string.
const PS_SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

/// A PowerShell single-quoted string literal: nothing inside is expanded; a quote (straight or
/// curly: PowerShell treats both as quotes) is doubled.
pub fn powershell(value: &str) -> String {
    let mut out = String::with_capacity(value.len() + 2);
    out.push('\'');
    for c in value.chars() {
        if PS_SINGLE_QUOTES.contains(&c) {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

/// A T-SQL Unicode string literal `N'...'` with `'` doubled.
pub fn sql_literal(value: &str) -> String {
    format!("N'{}'", value.replace('\'', "''"))
}

/// A T-SQL delimited identifier `[...]` with `]` doubled.
pub fn sql_identifier(value: &str) -> String {
    format!("[{}]", value.replace(']', "]]"))
}

/// Marker left in a rendered command where a value cannot be written safely; the renderer
/// refuses any command that contains it and names the value.
pub const UNSAFE: &str = "\u{0}UNSAFE\u{0}";

/// One argument on a cmd.exe command line, as the program's C runtime will split it.
///
/// The whole argument is put in double quotes, so cmd.exe treats `&|<>^()` inside as literal
/// and the program receives it as one argument with spaces intact. Inside quotes a backslash is
/// literal except before a quote, so trailing backslashes are doubled. Two characters have no
/// safe spelling inside quotes: `"` ends the quoting, and cmd.exe expands `%NAME%` even there;
/// a value holding either (or a control character) is refused. So is any character that is not
/// ASCII: cmd.exe reads a line in the console's code page (437, 850, ...), which is not known
/// when the line is written, so `ü` could reach DBImpExp.exe as another character.
pub fn cmd_argument(value: &str) -> String {
    if value
        .chars()
        // `!NAME!` expands where delayed expansion is on (`cmd /V:ON`, or a machine's default).
        .any(|c| c == '"' || c == '%' || c == '!' || !c.is_ascii() || c.is_control())
    {
        return UNSAFE.to_owned();
    }
    let trailing = value.len() - value.trim_end_matches('\\').len();
    format!("\"{value}{}\"", "\\".repeat(trailing))
}

/// Split a Windows command line into arguments the way the Microsoft C runtime does
/// (`CommandLineToArgvW` rules); used by tests to prove an argument survives intact.
pub fn split_windows_args(line: &str) -> Vec<String> {
    let mut args = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| *c == ' ' || *c == '\t') {
            chars.next();
        }
        if chars.peek().is_none() {
            return args;
        }
        let mut arg = String::new();
        let mut quoted = false;
        while let Some(&c) = chars.peek() {
            if !quoted && (c == ' ' || c == '\t') {
                break;
            }
            chars.next();
            match c {
                '\\' => {
                    let mut n = 1;
                    while chars.peek() == Some(&'\\') {
                        chars.next();
                        n += 1;
                    }
                    if chars.peek() == Some(&'"') {
                        arg.push_str(&"\\".repeat(n / 2));
                        if n % 2 == 1 {
                            chars.next();
                            arg.push('"');
                        }
                    } else {
                        arg.push_str(&"\\".repeat(n));
                    }
                }
                '"' => {
                    if quoted && chars.peek() == Some(&'"') {
                        chars.next();
                        arg.push('"');
                    } else {
                        quoted = !quoted;
                    }
                }
                c => arg.push(c),
            }
        }
        args.push(arg);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn powershell_doubles_straight_and_curly_quotes() {
        assert_eq!(
            powershell(r"C:\Backups\O'Brien\rtc.bak"),
            r"'C:\Backups\O''Brien\rtc.bak'"
        );
        assert_eq!(powershell("a\u{2019}b"), "'a\u{2019}\u{2019}b'");
        assert_eq!(powershell("$(calc)`;"), "'$(calc)`;'");
    }

    #[test]
    fn sql_literals_and_identifiers() {
        assert_eq!(sql_literal(r"C:\O'Brien\rtc.bak"), r"N'C:\O''Brien\rtc.bak'");
        assert_eq!(sql_identifier("rt]c"), "[rt]]c]");
    }

    #[test]
    fn cmd_arguments_survive_the_c_runtime() {
        for value in [
            r"/hrxmlfile:C:\Lync Backups\O'Brien & Co\u.xml",
            r"C:\a b\",
            r"C:\x^y(z)",
        ] {
            let line = format!("dbimpexp.exe {} /restype:all", cmd_argument(value));
            assert_eq!(split_windows_args(&line), ["dbimpexp.exe", value, "/restype:all"]);
        }
        assert_eq!(cmd_argument("50%off"), UNSAFE);
        assert_eq!(cmd_argument("a\"b"), UNSAFE);
        assert_eq!(cmd_argument("C:\\Z\u{fc}rich"), UNSAFE);
        assert_eq!(cmd_argument("C:\\!PATH!\\u.xml"), UNSAFE, "delayed expansion");
    }
}
