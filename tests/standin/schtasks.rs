//! schtasks.exe `/Change`, as Windows Server 2008 R2 has it (Microsoft's schtasks change
//! reference, TechNet cc772785, "Applies to: Windows Server 2008"; the same syntax on
//! learn.microsoft.com's windows-commands/schtasks-change). The rules a line of lyncdr's must pass:
//! - `/Change` needs `/TN NAME`; option names are case-insensitive and start with `/` or `-`;
//! - `/ENABLE` and `/DISABLE` are one choice (`[/{ENABLE | DISABLE}]`), never both; a change
//!   with nothing to change is refused;
//! - the task must exist: a name the server does not hold is `ERROR: The system cannot find the
//!   file specified.`, exit 1 (Task Scheduler's ERROR_FILE_NOT_FOUND, MS-TSCH SchRpcEnableTask).
//!   Names are case-insensitive and `\NAME` is `NAME` in the root folder (MS-TSCH 2.3.11);
//! - disabling a disabled task (enabling an enabled one) succeeds: it stores the flag
//!   (SchRpcEnableTask "Save the value of the enabled parameter");
//! - success prints a `SUCCESS:` line and exits 0 (its exact 2008 R2 wording is unconfirmed).
//!
//! The registered tasks are the test's: `LYNCSHELL_TASKS=NAME;NAME` (none when unset). A
//! change is logged as `schtasks` with `NAME ENABLE|DISABLE` (the name as registered), so a test
//! reads what a recovery did to the nightly job. Run in-process by the PowerShell stand-in on
//! every platform: under wine, System32 already holds wine's own schtasks.exe, which knows
//! none of the test's tasks and which the tests must not replace.

use crate::control::Control;

/// What `schtasks args` would do: `Ok((task as registered, ENABLE|DISABLE))` or the error line.
pub fn check(args: &[String], tasks: &[String]) -> Result<(String, &'static str), String> {
    let mut change = false;
    let mut name = None;
    let mut state = None;
    let mut i = 0;
    while i < args.len() {
        let upper = args[i].to_ascii_uppercase();
        let Some(option) = upper.strip_prefix('/').or_else(|| upper.strip_prefix('-')) else {
            return Err(format!("ERROR: Invalid argument/option - '{}'.", args[i]));
        };
        match option {
            "CHANGE" => change = true,
            "TN" => {
                let value = args
                    .get(i + 1)
                    .ok_or_else(|| format!("ERROR: Invalid syntax. Value expected for '{}'.", args[i]))?;
                name = Some(value.clone());
                i += 1;
            }
            "ENABLE" | "DISABLE" if state.is_some() => {
                return Err("ERROR: Invalid syntax. /ENABLE and /DISABLE cannot be used together.".into());
            }
            "ENABLE" => state = Some("ENABLE"),
            "DISABLE" => state = Some("DISABLE"),
            _ => return Err(format!("ERROR: Invalid argument/option - '{}'.", args[i])),
        }
        i += 1;
    }
    if !change {
        return Err("ERROR: Invalid syntax. The stand-in knows only schtasks /Change.".into());
    }
    let name = name.ok_or("ERROR: Invalid syntax. Mandatory option '/TN' is missing.")?;
    let state = state.ok_or("ERROR: Invalid syntax. Specify at least one property to change.")?;
    let bare = |n: &str| n.trim_start_matches('\\').to_ascii_lowercase();
    let task = tasks
        .iter()
        .find(|t| bare(t) == bare(&name))
        .ok_or("ERROR: The system cannot find the file specified.")?;
    Ok((task.clone(), state))
}

/// schtasks.exe's whole run: its output line and exit code; a change is logged.
pub fn run(args: &[String], ctl: &Control) -> (i32, String) {
    match check(args, &ctl.tasks) {
        Ok((task, state)) => {
            ctl.log("schtasks", &format!("{task} {state}"));
            (
                0,
                format!("SUCCESS: The parameters of scheduled task \"{task}\" have been changed."),
            )
        }
        Err(line) => {
            ctl.log("schtasks-refused", &args.join(" "));
            (1, line)
        }
    }
}
