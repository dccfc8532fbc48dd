//! Typed environment values: each type parses a raw string into a checked [`Value`], or says
//! what is wrong and what a valid value looks like. Everything that can reach a command passes
//! through here first, so later code can rely on well-formed names and on values free of control
//! characters and of the look-alike quotes and dashes PowerShell would act on. Non-ASCII letters
//! are allowed: the escaping of each language carries them, or refuses (cmd.exe, `escape.rs`).

use serde_json::Value as Json;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueType {
    Text,
    Integer,
    Bool,
    Fqdn,
    SqlInstance,
    /// `fqdn\instance`, derived from two other keys.
    SqlServer,
    SipUri,
    SipUriList,
    /// IP addresses or FQDNs (a load balancer's addresses, or the names that resolve to them).
    AddressList,
    FqdnList,
    WindowsPath,
    /// A Task Scheduler task name (`lyncdr-backup`, `\Lync\lyncdr-backup` in a task folder).
    TaskName,
    Duration,
    Timestamp,
    Choice(&'static [&'static str]),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Text(String),
    Integer(u64),
    Bool(bool),
    List(Vec<String>),
    Duration(Duration, String),
    Timestamp(jiff::Timestamp),
}

impl Value {
    /// What templates see.
    pub fn to_json(&self) -> Json {
        match self {
            Value::Text(s) | Value::Duration(_, s) => Json::String(s.clone()),
            Value::Integer(n) => Json::from(*n),
            Value::Bool(b) => Json::Bool(*b),
            Value::List(items) => Json::Array(items.iter().cloned().map(Json::String).collect()),
            Value::Timestamp(t) => Json::String(t.to_string()),
        }
    }

    /// The value as a condition operand or in messages.
    pub fn display(&self) -> String {
        match self.to_json() {
            Json::String(s) => s,
            other => other.to_string(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }
}

impl ValueType {
    pub fn name(&self) -> &'static str {
        match self {
            ValueType::Text => "text",
            ValueType::Integer => "integer",
            ValueType::Bool => "boolean",
            ValueType::Fqdn => "FQDN",
            ValueType::SqlInstance => "SQL Server instance name",
            ValueType::SqlServer => "SQL server (fqdn\\instance)",
            ValueType::SipUri => "SIP URI",
            ValueType::SipUriList => "list of SIP URIs",
            ValueType::AddressList => "list of IP addresses or FQDNs",
            ValueType::FqdnList => "list of FQDNs",
            ValueType::WindowsPath => "Windows path",
            ValueType::TaskName => "scheduled task name",
            ValueType::Duration => "duration",
            ValueType::Timestamp => "timestamp",
            ValueType::Choice(_) => "choice",
        }
    }

    /// What a valid value looks like, for hints.
    pub fn example(&self) -> String {
        match self {
            ValueType::Text => "text without control characters, curly quotes or dashes other than `-`, e.g. `Contoso`".into(),
            ValueType::Integer => "a whole number, e.g. `1`".into(),
            ValueType::Bool => "`true` or `false`".into(),
            ValueType::Fqdn => {
                "letters, digits and hyphens in dot-separated labels, e.g. `pool01.contoso.com`".into()
            }
            ValueType::SqlInstance => {
                "1-16 letters, digits, `_` or `$`, starting with a letter or `_`, e.g. `rtc`, or `MSSQLSERVER` for the default instance".into()
            }
            ValueType::SqlServer => "`be01.contoso.com\\rtc`".into(),
            ValueType::SipUri | ValueType::SipUriList => "`sip:dialin@contoso.com`".into(),
            ValueType::AddressList => {
                "an IPv4 or IPv6 address or an FQDN, e.g. `192.0.2.10` or `weblb.contoso.com`".into()
            }
            ValueType::FqdnList => "a fully qualified domain name, e.g. `fe01.contoso.com`".into(),
            ValueType::WindowsPath => {
                "a drive or UNC path, e.g. `C:\\Backups\\rtc.bak` or `\\\\backup01\\lync\\rtc.bak`".into()
            }
            ValueType::TaskName => {
                "letters, digits, spaces, `-`, `_`, `.` (and `\\` for a task folder), e.g. `lyncdr-backup`".into()
            }
            ValueType::Duration => "a number and a unit (m, h, d, w), e.g. `7d`, `36h` or `1d 12h`".into(),
            ValueType::Timestamp => "an RFC 3339 time, e.g. `2026-11-25T08:00:00Z`".into(),
            ValueType::Choice(options) => {
                let list: Vec<String> = options.iter().map(|o| format!("`{o}`")).collect();
                format!("one of {}", list.join(", "))
            }
        }
    }

    /// Parse a scalar written in a file or on the command line.
    pub fn parse(&self, raw: &str) -> Result<Value, String> {
        match self {
            ValueType::Bool => match raw {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("`{}` is not a boolean", shown(raw))),
            },
            ValueType::Integer => raw
                .parse()
                .map(Value::Integer)
                .map_err(|_| format!("`{}` is not a whole number", shown(raw))),
            ValueType::Duration => parse_duration(raw).map(|d| Value::Duration(d, raw.to_owned())),
            ValueType::Timestamp => raw
                .parse::<jiff::Timestamp>()
                .map(Value::Timestamp)
                .map_err(|_| format!("`{}` is not an RFC 3339 time", shown(raw))),
            ValueType::SipUriList => Err("expected a list, e.g. `[sip:dialin@contoso.com]`".into()),
            ValueType::AddressList => Err("expected a list, e.g. `[192.0.2.10]`".into()),
            ValueType::FqdnList => Err("expected a list, e.g. `[fe01.contoso.com, fe02.contoso.com]`".into()),
            ValueType::Choice(options) => {
                // `a` for `A`: a choice is its letter or word, whatever its case.
                if let Some(o) = options.iter().find(|o| o.eq_ignore_ascii_case(raw)) {
                    Ok(Value::Text((*o).to_owned()))
                } else {
                    Err(format!("`{}` is not one of the choices", shown(raw)))
                }
            }
            ValueType::Text => check_characters(raw).map(|()| Value::Text(raw.to_owned())),
            ValueType::Fqdn => check_fqdn(raw).map(|()| Value::Text(raw.to_owned())),
            ValueType::SqlInstance => check_sql_instance(raw).map(|()| {
                if raw.eq_ignore_ascii_case(DEFAULT_INSTANCE) {
                    Value::Text(DEFAULT_INSTANCE.to_owned())
                } else {
                    Value::Text(raw.to_owned())
                }
            }),
            ValueType::SqlServer => Ok(Value::Text(raw.to_owned())),
            ValueType::SipUri => check_sip_uri(raw).map(|()| Value::Text(raw.to_owned())),
            ValueType::WindowsPath => check_windows_path(raw).map(|()| Value::Text(raw.to_owned())),
            ValueType::TaskName => check_task_name(raw).map(|()| Value::Text(raw.to_owned())),
        }
    }

    /// A list type: written as a YAML sequence, or comma-separated with `--set`.
    pub fn is_list(&self) -> bool {
        matches!(
            self,
            ValueType::SipUriList | ValueType::AddressList | ValueType::FqdnList
        )
    }

    /// Parse a list item (only list types have items).
    pub fn parse_item(&self, raw: &str) -> Result<String, String> {
        match self {
            ValueType::SipUriList => check_sip_uri(raw).map(|()| raw.to_owned()),
            ValueType::AddressList => check_address(raw).map(|()| raw.to_owned()),
            ValueType::FqdnList => check_fqdn(raw).map(|()| raw.to_ascii_lowercase()),
            _ => Err(format!("a {} is a single value, not a list", self.name())),
        }
    }
}

/// Shorten and make printable a value quoted in an error message: control characters are
/// escaped (`\n`), everything else is shown as written (a UNC path keeps single backslashes,
/// so a broken path never looks right because of doubling).
pub fn shown(raw: &str) -> String {
    let mut s = String::new();
    for c in raw.chars().take(60) {
        if c.is_control() {
            s.extend(c.escape_debug());
        } else {
            s.push(c);
        }
    }
    if raw.chars().count() > 60 {
        s.push_str("...");
    }
    s
}

/// What any value may hold: letters of any script (a folder called `Zürich`, a deployment called
/// `Société Générale`), but no control characters, no spaces other than the plain one, nothing
/// invisible, and none of the look-alike punctuation PowerShell reads as quotes or dashes (the
/// curly quotes U+2018-U+201E, the dashes U+2013-U+2015): pasted from a web page, they would
/// change the meaning of a command, so each gets its own message.
pub fn check_characters(raw: &str) -> Result<(), String> {
    if let Some(bad) = bad_character(raw) {
        let what = match bad.fix {
            Some(fix) => format!("{}; {fix}", bad.what),
            None => bad.what.to_owned(),
        };
        return Err(format!(
            "character {} (U+{:04X}) at position {}: {what}",
            bad.index + 1,
            bad.ch as u32,
            bad.index + 1
        ));
    }
    // Template syntax in a value would read as a leftover placeholder in the rendered command.
    if let Some(at) = raw.find("{{") {
        return Err(format!(
            "`{{{{` at position {}: template syntax cannot be part of a value",
            raw[..at].chars().count() + 1
        ));
    }
    Ok(())
}

/// The first character of a value that no value may hold (see [`check_characters`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BadCharacter {
    /// Its position in the value, in characters from 0.
    pub index: usize,
    pub ch: char,
    /// "a curly single quote (pasted from a web page?)"
    pub what: &'static str,
    /// "type a plain `'`", where there is a plain character to type instead.
    pub fix: Option<&'static str>,
}

pub fn bad_character(raw: &str) -> Option<BadCharacter> {
    raw.chars().enumerate().find_map(|(index, ch)| {
        let (what, fix) = match ch {
            ' ' => return None,
            '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}' => (
                "a curly single quote (pasted from a web page?)",
                Some("type a plain `'`"),
            ),
            '\u{201C}' | '\u{201D}' | '\u{201E}' => ("a curly double quote", Some("type a plain `\"`")),
            '\u{2013}' | '\u{2014}' | '\u{2015}' | '\u{2212}' => {
                ("a dash that is not `-`", Some("type a plain `-`"))
            }
            '\u{00A0}' => ("a non-breaking space", None),
            '\u{FFFD}' => ("a replacement character: the file was not saved as UTF-8?", None),
            // U+FFFE, U+FFFF, U+FDD0-U+FDEF and the last two of every plane: never text, and an
            // XML file holding one (a task definition) is not well-formed.
            c if is_noncharacter(c) => ("a Unicode non-character (never text)", None),
            c if c.is_control() => ("a control character (newline, tab, ...)", None),
            c if c.is_whitespace() => ("a space that is not a plain space", None),
            '\u{00AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}' => ("an invisible formatting character", None),
            _ => return None,
        };
        Some(BadCharacter { index, ch, what, fix })
    })
}

fn is_noncharacter(c: char) -> bool {
    let n = c as u32;
    (0xFDD0..=0xFDEF).contains(&n) || n & 0xFFFE == 0xFFFE
}

pub fn check_fqdn(raw: &str) -> Result<(), String> {
    check_characters(raw)?;
    let name = raw;
    if name.is_empty() {
        return Err("an FQDN cannot be empty".into());
    }
    // DNS's absolute form (`pool01.contoso.com.`) is not how Lync's topology names a pool or
    // server: a name compared with the topology's would never match.
    if let Some(bare) = name.strip_suffix('.') {
        return Err(format!(
            "`{}` ends with a dot; Lync names servers and pools without it: `{}`",
            shown(raw),
            shown(bare)
        ));
    }
    if name.parse::<std::net::IpAddr>().is_ok()
        || name
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "`{}` is an IP address; Lync names servers and pools by FQDN (e.g. `pool01.contoso.com`)",
            shown(raw)
        ));
    }
    if name.len() > 253 {
        return Err(format!("`{}` is longer than 253 characters", shown(raw)));
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return Err(format!(
            "`{}` is a host name, not a fully qualified domain name",
            shown(raw)
        ));
    }
    for label in labels {
        if label.is_empty() {
            return Err(format!(
                "`{}` has an empty label (two dots in a row?)",
                shown(raw)
            ));
        }
        if label.len() > 63 {
            return Err(format!("label `{}` is longer than 63 characters", shown(label)));
        }
        if let Some(c) = label.chars().find(|c| !(c.is_ascii_alphanumeric() || *c == '-')) {
            return Err(format!(
                "`{}` contains `{}`, which is not allowed in a host name",
                shown(raw),
                shown(c.encode_utf8(&mut [0; 4]))
            ));
        }
        if label.starts_with('-') || label.ends_with('-') {
            return Err(format!("label `{label}` starts or ends with a hyphen"));
        }
    }
    Ok(())
}

/// The name of SQL Server's default instance (its Windows service is `MSSQLSERVER`, a named
/// instance's `MSSQL$NAME`). Lync Server 2010 supports a Back End on it; templates test for this
/// spelling, so the value is normalised to it whatever its case.
pub const DEFAULT_INSTANCE: &str = "MSSQLSERVER";

/// An IP address (v4 or v6, as `std::net` reads it) or an FQDN.
pub fn check_address(raw: &str) -> Result<(), String> {
    check_characters(raw)?;
    if raw.parse::<std::net::IpAddr>().is_ok() {
        return Ok(());
    }
    check_fqdn(raw).map_err(|e| format!("not an IP address, and {e}"))
}

pub fn check_sql_instance(raw: &str) -> Result<(), String> {
    check_characters(raw)?;
    let mut chars = raw.chars();
    let first = chars.next().ok_or("an instance name cannot be empty")?;
    if raw.len() > 16 {
        return Err(format!("`{}` is longer than 16 characters", shown(raw)));
    }
    if !(first.is_ascii_alphabetic() || first == '_') {
        return Err(format!("`{}` must start with a letter or `_`", shown(raw)));
    }
    if let Some(c) = chars.find(|c| !(c.is_ascii_alphanumeric() || *c == '_' || *c == '$')) {
        return Err(format!(
            "`{}` contains `{}`, which SQL Server does not allow in an instance name",
            shown(raw),
            shown(c.encode_utf8(&mut [0; 4]))
        ));
    }
    if raw.eq_ignore_ascii_case("default") {
        return Err(format!(
            "`{raw}` is not an instance name; write `{DEFAULT_INSTANCE}` for the default instance"
        ));
    }
    Ok(())
}

pub fn check_sip_uri(raw: &str) -> Result<(), String> {
    check_characters(raw)?;
    let rest = raw
        .strip_prefix("sip:")
        .ok_or_else(|| format!("`{}` does not start with `sip:`", shown(raw)))?;
    let (user, host) = rest
        .split_once('@')
        .ok_or_else(|| format!("`{}` has no `@`", shown(raw)))?;
    if user.is_empty() {
        return Err(format!("`{}` has an empty user part", shown(raw)));
    }
    if let Some(c) = user
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || "._-+".contains(*c)))
    {
        return Err(format!(
            "`{}` contains `{}` in its user part",
            shown(raw),
            shown(c.encode_utf8(&mut [0; 4]))
        ));
    }
    check_fqdn(host)
}

/// A Task Scheduler task name, as `lyncdr backup --task-name` and `backups.task_name` take it:
/// letters, digits, `-`, `_`, `.`, spaces, and `\` between task folders; no `.` or `..` part.
/// Narrower than Task Scheduler allows, so that the name passes unchanged through a schtasks
/// command line, a task definition's XML and every template language.
pub fn check_task_name(raw: &str) -> Result<(), String> {
    let ok = !raw.trim().is_empty()
        && raw.trim() == raw
        && raw
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " -_.\\".contains(c))
        && !raw.split('\\').any(|p| p == "." || p == "..");
    if ok {
        Ok(())
    } else {
        Err(format!(
            "`{}`: use letters, digits, spaces, `-`, `_`, `.` (and `\\` for a task folder)",
            shown(raw)
        ))
    }
}

/// A Windows path: `X:\...` or `\\server\share\...`, without the characters Windows forbids in
/// names. Anything else (quotes, `$`, `;`, backticks, `%`) is legal and left to the escaping.
pub fn check_windows_path(raw: &str) -> Result<(), String> {
    check_characters(raw)?;
    let bytes = raw.as_bytes();
    let rest = if bytes.len() >= 3 && bytes[0].is_ascii_alphabetic() && &bytes[1..3] == b":\\" {
        &raw[3..]
    } else if raw.starts_with(r"\\?\") || raw.starts_with(r"\\.\") {
        // What std::fs::canonicalize gives on Windows; PowerShell 2.0 cannot open it.
        return Err(format!(
            "`{}` is a verbatim or device path, which PowerShell 2.0 does not take; give it as C:\\... or \\\\server\\share\\...",
            shown(raw)
        ));
    } else if let Some(unc) = raw.strip_prefix("\\\\") {
        let mut parts = unc.splitn(3, '\\');
        let server = parts.next().unwrap_or_default();
        let share = parts.next().unwrap_or_default();
        if server.is_empty() || share.is_empty() {
            return Err(format!(
                "`{}` is not a complete UNC path (\\\\server\\share\\...)",
                shown(raw)
            ));
        }
        unc
    } else if raw.contains('/') {
        return Err(format!(
            "`{}` is not a Windows path (use backslashes: C:\\Backups\\file)",
            shown(raw)
        ));
    } else {
        return Err(format!(
            "`{}` is not an absolute Windows path (drive or UNC)",
            shown(raw)
        ));
    };
    if let Some(c) = rest.chars().find(|c| "<>:\"|?*/".contains(*c)) {
        return Err(format!(
            "`{}` contains `{c}`, which Windows does not allow in a file name",
            shown(raw)
        ));
    }
    if rest.contains("\\\\") {
        return Err(format!(
            "`{}` has an empty folder name (two backslashes in a row)",
            shown(raw)
        ));
    }
    // PowerShell 2.0 puts an argument with a space in double quotes for a program it starts,
    // without doubling a backslash before the closing quote: `'D:\Lync Backups\'` reaches
    // robocopy or DBImpExp as `"D:\Lync Backups\"`, whose `\"` is an escaped quote (the C
    // runtime's rule), so the path runs into the next argument. A drive's root (`D:\`) has no
    // space and stays as it is.
    if raw.ends_with('\\') && !(raw.len() == 3 && rest.is_empty()) {
        return Err(format!(
            "`{}` ends with `\\`: write it without (PowerShell 2.0 would pass `\\\"` to a program, an escaped quote)",
            shown(raw)
        ));
    }
    // `..` would make the file name lyncdr looks up in a local copy (`run --backups DIR`) a step
    // out of that copy, and the same file would have two names in the plan.
    if rest.split('\\').any(|part| part == "." || part == "..") {
        return Err(format!(
            "`{}` has a `.` or `..` folder name: write the path without them",
            shown(raw)
        ));
    }
    Ok(())
}

/// A maximum age or time-out as people write it (`7d`, `36h`, `1d 12h`, `90m`): the one parser,
/// for the environment file, `--max-age` and `--step-timeout`.
pub fn parse_duration(raw: &str) -> Result<Duration, String> {
    let raw = raw.trim();
    let bad = || {
        format!(
            "`{}` is not a duration: a number and a unit (m, h, d, w), e.g. `7d`, `36h` or `1d 12h`",
            shown(raw)
        )
    };
    // jiff's friendly format (`7d`, `1d 12h`, `36 hours`): what `format_duration` writes reads
    // back. A day is 24 hours here; months and years have no fixed length and are refused.
    if raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{}` has no unit (m, h, d or w)", shown(raw)));
    }
    let span: jiff::Span = raw.parse().map_err(|_| bad())?;
    if span.get_years() != 0 || span.get_months() != 0 {
        return Err(format!(
            "`{}`: months and years have no fixed length; write days or weeks",
            shown(raw)
        ));
    }
    let d = span
        .to_duration(jiff::SpanRelativeTo::days_are_24_hours())
        .map_err(|_| bad())?;
    Duration::try_from(d).map_err(|_| format!("`{}` is negative", shown(raw)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Issue 18: a choice is its letter, whatever the case (`a` is option `A`).
    #[test]
    fn a_choice_takes_any_case() {
        let t = ValueType::Choice(&["A", "B"]);
        assert_eq!(t.parse("a").map(|v| v.display()), Ok("A".to_owned()));
        assert!(t.parse("c").is_err());
    }

    /// Issue 18: `\\fs01\share` was quoted as `\\\\fs01\\share` (Rust's debug form).
    #[test]
    fn values_are_quoted_as_written() {
        assert_eq!(shown(r"\\fs01\share x"), r"\\fs01\share x");
        assert_eq!(shown("a\nb\u{1b}"), "a\\nb\\u{1b}");
    }

    #[test]
    fn fqdns() {
        for ok in ["pool01.contoso.com", "be-02.corp.contoso.com", "a1.b2"] {
            assert!(check_fqdn(ok).is_ok(), "{ok}");
        }
        // Issue 18: the absolute form and IP addresses, where Lync needs a name.
        assert_eq!(
            check_fqdn("pool01.contoso.com."),
            Err("`pool01.contoso.com.` ends with a dot; Lync names servers and pools without it: `pool01.contoso.com`".into())
        );
        for ip in ["192.0.2.10", "::1", "2001:db8::1"] {
            assert!(check_fqdn(ip).is_err_and(|e| e.contains("IP address")), "{ip}");
        }
        for bad in [
            "pool01",
            "pool01..com",
            "-a.com",
            "a-.com",
            "a b.com",
            "a.com;calc",
            "a.com'",
            "a\n.com",
            "a$(x).com",
            "a`.com",
            "",
        ] {
            assert!(check_fqdn(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn addresses() {
        for ok in ["192.0.2.10", "2001:db8::10", "weblb.contoso.com"] {
            assert!(check_address(ok).is_ok(), "{ok}");
        }
        for bad in [
            "192.0.2.10:80",
            "weblb",
            "10.0.0.1;calc",
            "a b.com",
            "'x'.com",
            "",
        ] {
            assert!(check_address(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn sql_instances() {
        assert!(check_sql_instance("rtc").is_ok());
        assert!(check_sql_instance("_rtc$2").is_ok());
        assert!(check_sql_instance("MSSQLSERVER").is_ok());
        assert_eq!(
            ValueType::SqlInstance.parse("mssqlserver"),
            Ok(Value::Text("MSSQLSERVER".into()))
        );
        for bad in ["", "1rtc", "rtc-1", "r'tc", "averyveryverylongname", "default"] {
            assert!(check_sql_instance(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_paths() {
        for ok in [
            r"C:\Backups\O'Brien\rtc.bak",
            r"\\backup01\lync\rtc.bak",
            r"\\fs01\LyncBackup",
            r"D:\a b\$(x);`y%z%.xml",
        ] {
            assert!(check_windows_path(ok).is_ok(), "{ok}");
        }
        for bad in [
            "rtc.bak",
            "C:/x",
            r"C:\a\b?.bak",
            "C:\\a\"b",
            r"\\server",
            "C:\\a\u{2019}b",
            "C:\\a\nb",
            r"C:\Backups\..",
            r"\\fs01\share\.\FileStore",
            r"\\?\C:\Backups\rtc.bak",
            r"\\?\UNC\fs01\LyncBackup\rtc.bak",
            r"\\.\C:\Backups\rtc.bak",
            // Issue 20: PowerShell 2.0 would pass `"D:\Lync Backups\"` to a program.
            r"D:\Lync Backups\",
            r"\\fs01\Lync Backup\",
        ] {
            assert!(check_windows_path(bad).is_err(), "{bad:?}");
        }
        assert!(check_windows_path(r"D:\").is_ok(), "a drive's root");
        assert!(
            check_windows_path(r"D:\x\").is_err_and(|e| e.contains("PowerShell 2.0")),
            "named"
        );
    }

    #[test]
    fn letters_of_any_script_pass_look_alikes_do_not() {
        assert!(check_windows_path("C:\\Backups\\Zürich\\rtc.bak").is_ok());
        assert!(ValueType::Text.parse("Société Générale").is_ok());
        for (bad, named) in [
            ("a\u{2013}b", "dash"),
            ("a\u{2015}b", "dash"),
            ("a\u{201E}b", "curly double quote"),
            ("a\u{00A0}b", "non-breaking space"),
            ("a\u{2028}b", "not a plain space"),
            ("a\u{200B}b", "invisible"),
            ("a\u{FFFD}b", "replacement"),
            ("a\tb", "control"),
        ] {
            let err = check_characters(bad).unwrap_err();
            assert!(err.contains(named), "{bad:?}: {err}");
        }
        assert!(check_fqdn("zürich.contoso.com").is_err());
    }

    #[test]
    fn curly_quote_is_named() {
        let err = check_windows_path("C:\\O\u{2019}Brien").unwrap_err();
        assert!(
            err.contains("U+2019") && err.contains("curly single quote"),
            "{err}"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse_duration("36h"), Ok(Duration::from_secs(36 * 3600)));
        assert!(parse_duration("7").is_err());
        assert!(parse_duration("d").is_err());
        // What `format_duration` writes reads back; months have no fixed length.
        assert_eq!(parse_duration("1d 12h"), Ok(Duration::from_secs(36 * 3600)));
        assert_eq!(parse_duration("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert!(parse_duration("1mo").is_err());
        assert!(parse_duration("-7d").is_err());
    }
}
