//! eventcreate.exe, as Windows Server 2008 R2 has it (`eventcreate /?`; Microsoft's Eventcreate
//! reference, TechNet cc773003, and KB 324145). The rules a line of lyncdr's must pass:
//! - `/T` (SUCCESS, ERROR, WARNING, INFORMATION), `/ID` (1-1000) and `/D` are required;
//! - `/L` is APPLICATION or SYSTEM (never the Security log); `/SO` needs `/L` (sourcedaddy, the
//!   Vista help: "If you specify this option, you must also specify the /L option");
//! - option names are case-insensitive and start with `/` or `-`; an unknown one is an error;
//! - an error prints `ERROR: ...` and exits 1; success prints `SUCCESS: ...` and exits 0.
//!
//! The stand-in binary is eventcreate when it is started under that name (a copy named
//! `eventcreate.exe` in the system folder, as `scripts/windows.sh test` puts it under wine), and
//! the PowerShell stand-in runs the same rules in-process when there is no such file.

use crate::control::Control;

/// What eventcreate would do with `args`: `Ok(success line)` or `Err(error line)`.
pub fn check(args: &[String]) -> Result<String, String> {
    let mut t = None;
    let mut id = None;
    let mut log = None;
    let mut source = None;
    let mut description = None;
    let mut i = 0;
    while i < args.len() {
        let name = args[i].to_ascii_uppercase();
        let Some(name) = name.strip_prefix('/').or_else(|| name.strip_prefix('-')) else {
            return Err(format!("ERROR: Invalid argument/option - '{}'.", args[i]));
        };
        let value = args.get(i + 1).cloned();
        let slot = match name {
            "T" => &mut t,
            "ID" => &mut id,
            "L" => &mut log,
            "SO" => &mut source,
            "D" => &mut description,
            _ => return Err(format!("ERROR: Invalid argument/option - '{}'.", args[i])),
        };
        let Some(value) = value else {
            return Err(format!(
                "ERROR: Invalid syntax. Value expected for '{}'.",
                args[i]
            ));
        };
        *slot = Some(value);
        i += 2;
    }
    let t = t.ok_or("ERROR: Invalid syntax. Mandatory option '/T' is missing.")?;
    let kind = t.to_ascii_uppercase();
    if !["SUCCESS", "ERROR", "WARNING", "INFORMATION"].contains(&kind.as_str()) {
        return Err(format!("ERROR: Invalid value '{t}' specified for '/T' option."));
    }
    let id = id.ok_or("ERROR: Invalid syntax. Mandatory option '/ID' is missing.")?;
    if !id.parse::<u32>().is_ok_and(|n| (1..=1000).contains(&n)) {
        return Err("ERROR: Invalid ID: valid custom message ID is in the range of 1 - 1000.".into());
    }
    description.ok_or("ERROR: Invalid syntax. Mandatory option '/D' is missing.")?;
    let log = match log {
        Some(l) if ["APPLICATION", "SYSTEM"].contains(&l.to_ascii_uppercase().as_str()) => {
            l.to_ascii_uppercase()
        }
        Some(l) => return Err(format!("ERROR: The specified log '{l}' does not exist.")),
        None if source.is_some() => {
            return Err("ERROR: Invalid syntax. '/SO' requires '/L' to be specified.".into());
        }
        None => "APPLICATION".into(),
    };
    let source = source.unwrap_or_else(|| "EventCreate".into());
    Ok(format!(
        "SUCCESS: An event of type '{kind}' was created in the '{log}' log with '{source}' as the source."
    ))
}

/// eventcreate.exe's whole run: the event logged (`event` with the arguments), or the error.
pub fn run(args: &[String], ctl: &Control) -> i32 {
    match check(args) {
        Ok(line) => {
            ctl.log("event", &args.join(" "));
            println!("{line}");
            0
        }
        Err(line) => {
            ctl.log("event-refused", &args.join(" "));
            println!("{line}");
            1
        }
    }
}

/// Is this program started as eventcreate (its file name)?
pub fn is_me() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|p| p.file_stem().map(|s| s.to_string_lossy().to_ascii_lowercase()))
        .is_some_and(|s| s == "eventcreate")
}
