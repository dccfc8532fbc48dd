//! The `sqlcmd -S SERVER -E [-b] [-x] -i FILE` personality.

use crate::console::{Console, Stream};
use crate::control::Control;

struct Args {
    server: String,
    exit_on_error: bool,
    no_variables: bool,
    input: Option<String>,
    defined: Vec<String>,
}

fn parse(args: &[String]) -> Args {
    let mut a = Args {
        server: String::new(),
        exit_on_error: false,
        no_variables: false,
        input: None,
        defined: Vec::new(),
    };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-S" => a.server = it.next().cloned().unwrap_or_default(),
            "-b" => a.exit_on_error = true,
            "-x" => a.no_variables = true,
            "-i" => a.input = it.next().cloned(),
            "-v" => {
                if let Some(v) = it.next() {
                    a.defined
                        .push(v.split('=').next().unwrap_or_default().to_ascii_lowercase());
                }
            }
            "-d" | "-U" | "-P" | "-Q" | "-q" | "-o" | "-f" | "-t" | "-l" | "-h" | "-s" | "-w" => {
                it.next();
            }
            s if s.len() > 2 && s.starts_with("-S") => a.server = s.get(2..).unwrap_or_default().to_owned(),
            _ => {}
        }
    }
    a
}

/// `$(NAME)` references and the line of each (sqlcmd scripting variables).
fn references(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let mut rest = line;
        while let Some(i) = rest.find("$(") {
            let after = &rest[i + 2..];
            let name = after.split(')').next().unwrap_or_default();
            out.push((n + 1, name.to_owned()));
            rest = after;
            if out.len() > 1000 {
                return out;
            }
        }
    }
    out
}

pub fn run(args: &[String], ctl: &Control) -> i32 {
    let a = parse(args);
    ctl.log("start", &format!("sqlcmd server={}", a.server));
    ctl.kill_parent_if_asked("before");
    if let Some(code) = ctl.block_if_asked() {
        return code;
    }
    let mut console = Console::new();
    let code = execute(&a, ctl, &mut console);
    ctl.log("sql", &format!("exit {code}"));
    code
}

fn execute(a: &Args, ctl: &Control, console: &mut Console) -> i32 {
    // `-b`: an error of severity > 10 ends sqlcmd with exit code 1; without it errors are
    // printed and the exit code is 0 (facts file, "Running steps for real").
    let error_code = i32::from(a.exit_on_error);
    let Some(file) = &a.input else {
        console.native_line(Stream::Err, "Sqlcmd: the stand-in needs -i FILE.");
        return 1;
    };
    let text = match crate::read_bounded(std::path::Path::new(file)) {
        Ok(bytes) => crate::decode(&bytes),
        Err(_) => {
            console.native_line(Stream::Err, &format!("Sqlcmd: '{file}': Invalid filename."));
            return 1;
        }
    };
    if !a.no_variables {
        // Without -x sqlcmd expands `$(NAME)` everywhere, string literals and comments included,
        // from -v, :setvar and the environment (sqlcmd documentation, "scripting variables").
        let mut defined = a.defined.clone();
        for line in text.lines() {
            let t = line.trim_start();
            if let (Some(head), Some(rest)) = (t.get(..7), t.get(7..))
                && head.eq_ignore_ascii_case(":setvar")
                && let Some(n) = rest.split_whitespace().next()
            {
                defined.push(n.to_ascii_lowercase());
            }
        }
        for (line, name) in references(&text) {
            let valid = name
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            let message = if !valid {
                format!(
                    "Sqlcmd: Error: Syntax error at line {line} near command '$({name})' in file '{file}'."
                )
            } else if defined.contains(&name.to_ascii_lowercase()) || std::env::var_os(&name).is_some() {
                continue;
            } else {
                format!("'{name}' scripting variable not defined.")
            };
            console.native_line(Stream::Err, &message);
            return error_code;
        }
    }
    if ctl.fails("sqlcmd") {
        for line in [
            format!("Msg 3201, Level 16, State 2, Server {}, Line 1", a.server),
            "Sicherungsmedium 'rtc.bak' kann nicht geöffnet werden. Betriebssystemfehler 5(Zugriff verweigert).".into(),
            format!("Msg 3013, Level 16, State 1, Server {}, Line 1", a.server),
            "RESTORE DATABASE wird fehlerbedingt beendet.".into(),
        ] {
            console.native_line(Stream::Out, &line);
        }
        return error_code;
    }
    let raised = raised_when_missing(&text, ctl, a, console);
    let backups = backups(&text);
    if !backups.is_empty() {
        let code = backup(&backups, a, ctl, console, error_code);
        return if raised { error_code } else { code };
    }
    for line in [
        "Changed database context to 'master'.",
        "Processed 1234 pages for database 'rtc', file 'rtc_data' on file 1.",
        "Processed 2 pages for database 'rtc', file 'rtc_log' on file 1.",
        "Benutzer Jürgen Müller und André Öberg: Kontakte wiederhergestellt.",
        "RESTORE DATABASE successfully processed 1236 pages in 0.512 seconds (18.828 MB/sec).",
    ] {
        console.native_line(Stream::Out, line);
    }
    0
}

/// Databases on the stand-in's instance: LcsLog (Archiving) is not there, so a backup guarded
/// with `IF DB_ID(N'LcsLog') IS NOT NULL` skips it.
const DATABASES: [&str; 6] = ["rtc", "xds", "lis", "rgsconfig", "LcsCDR", "QoEMetrics"];

/// Does the stand-in's instance hold `db` (`DATABASES`, less `LYNCSHELL_SQL_WITHOUT`)?
fn holds(ctl: &Control, db: &str) -> bool {
    DATABASES.iter().any(|d| d.eq_ignore_ascii_case(db))
        && !ctl.sql_without.iter().any(|d| d.eq_ignore_ascii_case(db))
}

/// `IF DB_ID(N'a') IS NULL AND DB_ID(N'b') IS NULL ... RAISERROR(N'text', 16, 1);` on one line:
/// when none of the named databases exists, SQL Server raises the error (Msg 50000 for a message
/// text, severity 16: an error `sqlcmd -b` ends with exit code 1; the batch goes on). True when
/// it was raised.
fn raised_when_missing(text: &str, ctl: &Control, a: &Args, console: &mut Console) -> bool {
    let mut raised = false;
    for (n, line) in text.lines().enumerate() {
        let Some(at) = line.find("RAISERROR(N'") else {
            continue;
        };
        let condition = &line[..at];
        if !condition.trim_start().starts_with("IF DB_ID(") || condition.contains("IS NOT NULL") {
            continue;
        }
        let names: Vec<&str> = condition
            .split("DB_ID(N'")
            .skip(1)
            .filter_map(|rest| rest.split('\'').next())
            .collect();
        if names.iter().any(|db| holds(ctl, db)) {
            continue;
        }
        let message = line[at + 12..]
            .split("', ")
            .next()
            .unwrap_or_default()
            .replace("''", "'");
        console.native_line(
            Stream::Out,
            &format!(
                "Msg 50000, Level 16, State 1, Server {}, Line {}",
                a.server,
                n + 1
            ),
        );
        console.native_line(Stream::Out, &message);
        raised = true;
    }
    raised
}

/// `[IF DB_ID(N'db') IS NOT NULL] BACKUP DATABASE [db] TO DISK = N'path' ...` statements, in
/// order: (database, path, guarded).
fn backups(text: &str) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find("BACKUP DATABASE [") else {
            continue;
        };
        let rest = &line[at + 17..];
        let Some(end) = rest.find(']') else { continue };
        let db = rest[..end].to_owned();
        let Some(disk) = rest.find("TO DISK = N'") else {
            continue;
        };
        let mut path = String::new();
        let mut chars = rest[disk + 12..].chars().peekable();
        while let Some(c) = chars.next() {
            if c == '\'' {
                if chars.peek() == Some(&'\'') {
                    chars.next();
                } else {
                    break;
                }
            }
            path.push(c);
        }
        out.push((db, path, line[..at].contains("DB_ID(")));
    }
    out
}

/// Writes each backup as SQL Server would: a Microsoft Tape Format file with one backup set
/// (`WITH INIT`). The folder must exist: SQL Server does not create it (Msg 3201, operating
/// system error 3).
fn backup(
    list: &[(String, String, bool)],
    a: &Args,
    ctl: &Control,
    console: &mut Console,
    error_code: i32,
) -> i32 {
    for (db, path, guarded) in list {
        let exists = holds(ctl, db);
        if !exists {
            if *guarded {
                continue;
            }
            console.native_line(
                Stream::Out,
                &format!("Msg 911, Level 16, State 11, Server {}, Line 1", a.server),
            );
            console.native_line(
                Stream::Out,
                &format!("Database '{db}' does not exist. Make sure that the name is entered correctly."),
            );
            return error_code;
        }
        // A share this host does not have: written nowhere, answered as a backup that worked.
        let Some(target) = crate::host_path(path) else {
            console.native_line(
                Stream::Out,
                "BACKUP DATABASE successfully processed 1236 pages in 0.512 seconds (18.828 MB/sec).",
            );
            continue;
        };
        let written = crate::provided(&format!("{db}.bak"), &target).unwrap_or_else(|| {
            std::fs::write(&target, crate::artifacts::sql_backup(db, jiff::Timestamp::now()))
        });
        if written.is_err() {
            console.native_line(
                Stream::Out,
                &format!("Msg 3201, Level 16, State 1, Server {}, Line 1", a.server),
            );
            console.native_line(
                Stream::Out,
                &format!("Cannot open backup device '{path}'. Operating system error 3(The system cannot find the path specified.)."),
            );
            console.native_line(
                Stream::Out,
                &format!("Msg 3013, Level 16, State 1, Server {}, Line 1", a.server),
            );
            console.native_line(Stream::Out, "BACKUP DATABASE is terminating abnormally.");
            return error_code;
        }
        console.native_line(
            Stream::Out,
            &format!("Processed 1234 pages for database '{db}', file '{db}_data' on file 1."),
        );
        console.native_line(
            Stream::Out,
            "BACKUP DATABASE successfully processed 1236 pages in 0.512 seconds (18.828 MB/sec).",
        );
    }
    0
}
