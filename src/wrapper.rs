//! The step wrapper: the one piece of PowerShell 2.0 put around every script lyncdr starts (a
//! step's commands, a step's read-only check), and whose module loading the bundle's step
//! scripts share. What it guarantees, each for a rule of Windows PowerShell 2.0 (the Lync Server
//! 2010 Management Shell on Windows Server 2008 R2; see `shared/reference/lync2010-facts.md`,
//! "Running steps for real"):
//!
//! - `$ErrorActionPreference = 'Stop'`: a cmdlet's error is otherwise non-terminating and
//!   `powershell.exe -File` still exits 0, so a failed step would be recorded as done;
//! - the Lync module is imported when its cmdlets are missing: PowerShell 2.0 has no module
//!   auto-loading, and `-NoProfile` skips what the Management Shell shortcut loads;
//! - any error ends the script with exit code 1 and the error text on standard error;
//! - piped output is UTF-8 (`[Console]::OutputEncoding`, settable in 2.0), so names with accents
//!   arrive intact; native programs still write their own OEM code page, which the runner decodes;
//! - a step that takes the console keeps a transcript (`Start-Transcript`, PowerShell 2.0), so what
//!   it printed reaches the run log although it went to the operator's terminal.

use crate::escape;

/// Where the script's output goes.
#[derive(Debug, Clone, Copy)]
pub enum Console<'a> {
    /// Piped to lyncdr (the script must not ask anything: it runs with `-NonInteractive`).
    Piped,
    /// The operator's terminal; a transcript is written to this path and read back afterwards.
    Operator { transcript: &'a str },
}

/// The whole script lyncdr hands to PowerShell for `body`.
pub fn script(body: &str, console: Console) -> String {
    let mut out = String::from(
        "# lyncdr step wrapper (Windows PowerShell 2.0): stop at the first error, load the Lync\n\
         # Server module when its cmdlets are missing, end with exit code 1 and the error text.\n\
         $ErrorActionPreference = 'Stop'\n",
    );
    match console {
        Console::Piped => out.push_str(
            "try { [Console]::OutputEncoding = New-Object System.Text.UTF8Encoding $false } catch { }\n",
        ),
        Console::Operator { transcript } => {
            // The console keeps its own code page: the operator reads it, the transcript keeps it.
            // A host without transcripts (not the console host) loses the record, not the step.
            out.push_str(&format!(
                "try {{ Start-Transcript -Path {} -Force | Out-Null }} catch {{ }}\n",
                escape::powershell(transcript)
            ));
        }
    }
    out.push_str("try {\n");
    if needs_lync(body) {
        push_indented(&mut out, &load_lync(Missing::Fail));
    }
    out.push_str("    # ---- step ----\n");
    push_indented(&mut out, body);
    out.push_str("    # ---- end of step ----\n");
    out.push_str(
        "} catch {\n    [Console]::Error.WriteLine('ERROR: ' + ($_ | Out-String).Trim())\n    exit 1\n}",
    );
    if matches!(console, Console::Operator { .. }) {
        out.push_str(" finally {\n    try { Stop-Transcript | Out-Null } catch { }\n}");
    }
    out.push_str("\nexit 0\n");
    out
}

/// What the module-loading block does when the Lync module cannot be loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Throw: the script needs the cmdlets.
    Fail,
    /// Throw, except under `-WhatIf` (a bundle script shown on a machine without Lync).
    FailUnlessWhatIf,
}

/// Loads the Lync Server module unless its cmdlets are already there (the Management Shell).
pub fn load_lync(missing: Missing) -> String {
    match missing {
        Missing::Fail => "if (-not (Get-Command Get-CsPool -ErrorAction SilentlyContinue)) {\n    Import-Module Lync\n}".to_owned(),
        Missing::FailUnlessWhatIf => r#"if (-not (Get-Command Get-CsPool -ErrorAction SilentlyContinue)) {
    try {
        Import-Module Lync
    } catch {
        if (-not $WhatIfPreference) {
            throw 'The Lync Server cmdlets are not available: run this in the Lync Server Management Shell on a Front End server.'
        }
        Write-Warning 'The Lync Server cmdlets are not available here; showing the commands only.'
    }
}"#
        .to_owned(),
    }
}

/// Does `text` call a Lync Server cmdlet (a `Verb-Cs...` command word)? The blog and Resource Kit
/// scripts' functions (`Get-CsApplicationContact`, `Import-CsRgsConfiguration`) count too: they
/// call Lync cmdlets themselves.
pub fn needs_lync(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    lower.match_indices("-cs").any(|(i, _)| {
        let verb = lower[..i]
            .chars()
            .rev()
            .take_while(char::is_ascii_alphabetic)
            .count();
        let noun = lower[i + 3..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .count();
        let before = lower[..i - verb].chars().next_back();
        verb > 0 && noun > 0 && !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

fn push_indented(out: &mut String, text: &str) {
    for line in text.lines() {
        if line.trim().is_empty() {
            out.push('\n');
        } else {
            out.push_str("    ");
            out.push_str(line);
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_lync_cmdlets_only() {
        assert!(needs_lync("Get-CsUser | Move-CsUser -Target 'p'"));
        assert!(needs_lync("Import-CsRgsConfiguration 'ApplicationServer:p'"));
        assert!(!needs_lync("Get-ChildItem C:\\ | Out-String"));
        assert!(!needs_lync("Write-Host 'x-cs'"), "no verb");
        assert!(!needs_lync("& sqlcmd.exe -S x -E"));
    }

    #[test]
    fn the_body_sits_inside_try_with_stop_and_module_loading() {
        let s = script("Enable-CsTopology -Verbose", Console::Piped);
        let stop = s.find("$ErrorActionPreference = 'Stop'").expect("stop");
        let import = s.find("Import-Module Lync").expect("import");
        let body = s.find("    Enable-CsTopology -Verbose").expect("body");
        assert!(stop < import && import < body);
        assert!(s.ends_with("    exit 1\n}\nexit 0\n"), "{s}");
        assert!(!script("'x'", Console::Piped).contains("Import-Module"));
        let t = script(
            "Move-CsUser",
            Console::Operator {
                transcript: "C:\\t\\O'B.txt",
            },
        );
        assert!(t.contains("try { Start-Transcript -Path 'C:\\t\\O''B.txt' -Force | Out-Null } catch { }"));
        assert!(t.contains("Stop-Transcript") && !t.contains("OutputEncoding"));
    }
}
