//! Two tables of commands a runbook's PowerShell is checked against: cmdlets that exist only in
//! Lync Server 2013 or later (rejected, with the Lync Server 2010 way of doing the same thing),
//! and commands that ask the operator a question (allowed only in a step that runs with the
//! operator's console, since `powershell.exe -NonInteractive` turns any prompt into an error).

pub struct LaterCmdlet {
    pub name: &'static str,
    pub instead: &'static str,
    /// A parameter that is new only on this cmdlet: it counts only where the text runs it
    /// (`-TargetFqdn` is 2013+ on Move-CsManagementServer, but 2010 on Test-CsRegistration).
    pub on: Option<&'static str>,
}

pub const LATER_CMDLETS: &[LaterCmdlet] = &[
    LaterCmdlet {
        name: "Backup-CsPool",
        instead: "back up the databases with SQL Server and export with Export-CsConfiguration, Export-CsLisConfiguration, RgsImportExport.ps1 and DBImpExp.exe",
        on: None,
    },
    LaterCmdlet {
        name: "Invoke-CsPoolFailover",
        instead: "there is no pool failover; rebuild the Back End (backend-restore) or move users with Move-CsUser -Force (cms-move)",
        on: None,
    },
    LaterCmdlet {
        name: "Invoke-CsManagementServerFailover",
        instead: "Move-CsManagementServer -ConfigurationFileName X.zip -LisConfigurationFileName Y.zip -Force, on a server of the target pool",
        on: None,
    },
    LaterCmdlet {
        name: "Get-CsBackupServiceStatus",
        instead: "there is no Backup Service; check the CMS with Get-CsManagementStoreReplicationStatus",
        on: None,
    },
    LaterCmdlet {
        name: "Export-CsUserData",
        instead: "DBImpExp.exe /hrxmlfile:FILE /sqlserver:FQDN\\INSTANCE",
        on: None,
    },
    LaterCmdlet {
        name: "Import-CsUserData",
        instead: "DBImpExp.exe /import /hrxmlfile:FILE /sqlserver:FQDN\\INSTANCE /restype:all",
        on: None,
    },
    LaterCmdlet {
        name: "Convert-CsUserData",
        instead: "DBImpExp.exe reads and writes the Lync 2010 user data format directly",
        on: None,
    },
    LaterCmdlet {
        name: "Update-CsUserData",
        instead: "DBImpExp.exe /import ... /restype:all",
        on: None,
    },
    LaterCmdlet {
        name: "Test-CsDatabase",
        instead: "check the databases in SQL Server Management Studio",
        on: None,
    },
    LaterCmdlet {
        name: "-TargetFqdn",
        instead: "Move-CsManagementServer runs on a server of the target pool and takes no -TargetFqdn",
        // Test-CsRegistration -TargetFqdn is Lync Server 2010 (Microsoft's help, gg412737).
        on: Some("Move-CsManagementServer"),
    },
    // Lync Server 2013's pool pairing and Backup Service (Microsoft's help for each says "This
    // cmdlet was introduced in Lync Server 2013"): a 2010 pool has no backup partner.
    LaterCmdlet {
        name: "Get-CsPoolBackupRelationship",
        instead: "a Lync Server 2010 pool has no backup pool; its data comes back from the backups (backend-restore, cms-restore) or moves with cms-move",
        on: None,
    },
    LaterCmdlet {
        name: "Invoke-CsBackupServiceSync",
        instead: "there is no Backup Service in Lync Server 2010; export with Export-CsConfiguration and DBImpExp.exe instead",
        on: None,
    },
    LaterCmdlet {
        name: "Invoke-CsPoolFailBack",
        instead: "there is no pool failback in Lync Server 2010; rebuild the pool and move the users back with Move-CsUser",
        on: None,
    },
    // The native 2013 Response Group cmdlets' parameters (Microsoft's help for
    // Import-/Export-CsRgsConfiguration, "introduced in Lync Server 2013"); the 2010
    // RgsImportExport.ps1 functions take ApplicationServer:POOL and -FileName. `-Destination` is
    // also Move-CsRgsConfiguration's (2010), so it counts only with Import-CsRgsConfiguration.
    LaterCmdlet {
        name: "-Destination",
        instead: "Import-CsRgsConfiguration from RgsImportExport.ps1 takes ApplicationServer:POOL -FileName X.zip",
        on: Some("Import-CsRgsConfiguration"),
    },
    LaterCmdlet {
        name: "-ReplaceExistingRgsSettings",
        instead: "Import-CsRgsConfiguration from RgsImportExport.ps1 takes ApplicationServer:POOL -FileName X.zip",
        on: None,
    },
    LaterCmdlet {
        name: "-RemoveExportedConfiguration",
        instead: "Export-CsRgsConfiguration from RgsImportExport.ps1 takes -Source ApplicationServer:POOL -FileName X.zip",
        on: None,
    },
    LaterCmdlet {
        name: "-OverwriteOwner",
        instead: "Import-CsRgsConfiguration from RgsImportExport.ps1 takes ApplicationServer:POOL -FileName X.zip",
        on: None,
    },
];

/// The first use of a later-version cmdlet or parameter in `text`: its byte offset and entry.
pub fn find_later_version(text: &str) -> Option<(usize, &'static LaterCmdlet)> {
    let lower = text.to_ascii_lowercase();
    LATER_CMDLETS
        .iter()
        .filter(|c| {
            c.on.is_none_or(|cmdlet| lower.contains(&cmdlet.to_ascii_lowercase()))
        })
        .filter_map(|c| {
            let needle = c.name.to_ascii_lowercase();
            lower
                .match_indices(&needle)
                .find(|(i, _)| {
                    let before = lower[..*i].chars().next_back();
                    let after = lower[i + needle.len()..].chars().next();
                    let word = |c: Option<char>| {
                        c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                    };
                    !word(after) && (c.name.starts_with('-') || !word(before))
                })
                .map(|(i, _)| (i, c))
        })
        .min_by_key(|(i, _)| *i)
}

/// A command that asks the operator a question through PowerShell's own prompt.
pub struct Prompting {
    pub name: &'static str,
    /// It asks only when called with this parameter; `None`: whenever it runs.
    pub parameter: Option<&'static str>,
    /// `-Confirm:$false` turns the question off (a cmdlet's confirmation prompt; `Read-Host` has
    /// no `-Confirm`).
    pub confirm_false_silences: bool,
    /// What says it asks.
    pub source: &'static str,
}

impl Prompting {
    /// `Move-CsUser`, `Get-CsApplicationContact -Delete`: how a diagnostic names the use.
    pub fn usage(&self) -> String {
        match self.parameter {
            Some(p) => format!("{} {p}", self.name),
            None => self.name.to_owned(),
        }
    }
}

pub const PROMPTING_CMDLETS: &[Prompting] = &[
    Prompting {
        name: "Move-CsUser",
        parameter: None,
        confirm_false_silences: true,
        source: "asks for confirmation unless -Confirm:$false is given (Microsoft's Lync Server 2010 help for Move-CsUser, whose syntax lists [-Confirm])",
    },
    Prompting {
        name: "Get-CsApplicationContact",
        parameter: Some("-Delete"),
        confirm_false_silences: true,
        source: "the Lync PowerShell blog script asks for each object it deletes (source procedure, step M: \"You are prompted to confirm the deletion of each contact object\"); whether it honours -Confirm:$false is unconfirmed",
    },
    Prompting {
        name: "Set-CsConfigurationStoreLocation",
        parameter: None,
        confirm_false_silences: true,
        source: "supports -Confirm (Microsoft's Lync Server 2010 syntax lists [-Confirm]); whether it asks by default is UNCONFIRMED, but the cms-restore runbook has always told the operator to answer Yes if asked to confirm, so it is treated as asking",
    },
    Prompting {
        name: "Move-CsExUmContact",
        parameter: None,
        confirm_false_silences: false,
        source: "asks for confirmation even with -Force (Microsoft's help for Move-CsExUmContact, example 1: \"This prompt will appear even if you include the Force parameter\"); whether -Confirm:$false silences it is unconfirmed, so only `interactive: true` allows it",
    },
    Prompting {
        name: "Move-CsCommonAreaPhone",
        parameter: None,
        confirm_false_silences: true,
        source: "UNCONFIRMED: the same move as Move-CsUser (the same -Force, -Confirm and -ProxyPool parameters in Microsoft's Lync Server 2010 help), which asks; treated as asking",
    },
    Prompting {
        name: "Move-CsAnalogDevice",
        parameter: None,
        confirm_false_silences: true,
        source: "UNCONFIRMED: the same move as Move-CsUser (the same -Force, -Confirm and -ProxyPool parameters in Microsoft's Lync Server 2010 help), which asks; treated as asking",
    },
    Prompting {
        name: "Read-Host",
        parameter: None,
        confirm_false_silences: false,
        source: "reads a line from the console; under powershell.exe -NonInteractive it fails (\"PowerShell is in NonInteractive mode. Read and Prompt functionality is not available.\")",
    },
];

/// The first use of a prompting command in the PowerShell `text`: its byte offset and entry.
/// A use counts where the name stands as a command (at the start of a statement or pipeline
/// element, not in a string or a comment), with its `parameter` if it has one, and without
/// `-Confirm:$false` in the same pipeline element where that silences it. Case-insensitive, as
/// PowerShell is.
pub fn find_prompting(text: &str) -> Option<(usize, &'static Prompting)> {
    let code = code_only(text);
    PROMPTING_CMDLETS
        .iter()
        .filter_map(|p| {
            let needle = p.name.to_ascii_lowercase();
            occurrences(&code, needle.as_bytes())
                .find(|&i| {
                    let end = i + needle.len();
                    if code.get(end).is_some_and(|&b| is_word(b) || b == b'.') || !command_position(&code, i)
                    {
                        return false;
                    }
                    let element = &code[end..element_end(&code, end)];
                    let asks = p
                        .parameter
                        .is_none_or(|param| has_switch(element, param.to_ascii_lowercase().as_bytes()));
                    asks && !(p.confirm_false_silences && has_word(element, b"-confirm:$false"))
                })
                .map(|i| (i, p))
        })
        .min_by_key(|(i, _)| *i)
}

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'_'
}

fn occurrences<'a>(hay: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    (0..hay.len().saturating_sub(needle.len() - 1)).filter(move |&i| hay[i..].starts_with(needle))
}

/// Whether a word starting at `i` is run as a command: only blanks lie between it and the start
/// of the text, a line break, or a character that starts a statement, pipeline element or
/// expression (`;`, `|`, `{`, `}`, `(`, `=`, `&`; `}` also ends a handlebars block).
fn command_position(code: &[u8], i: usize) -> bool {
    match code[..i].iter().rev().find(|&&b| b != b' ' && b != b'\t') {
        None => true,
        Some(b) => b"\n\r;|{}(=&".contains(b),
    }
}

/// The end of the pipeline element starting at `from`: the next `|`, `;` or line break outside
/// brackets (a line ending in a backtick continues), or a bracket that closes an outer one.
fn element_end(code: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    for (i, &b) in code.iter().enumerate().skip(from) {
        match b {
            b'(' | b'{' | b'[' => depth += 1,
            b')' | b'}' | b']' if depth == 0 => return i,
            b')' | b'}' | b']' => depth -= 1,
            b'|' | b';' if depth == 0 => return i,
            b'\n' if depth == 0 => {
                let before = code[from..i]
                    .iter()
                    .rev()
                    .find(|&&b| b != b' ' && b != b'\t' && b != b'\r');
                if before != Some(&b'`') {
                    return i;
                }
            }
            _ => {}
        }
    }
    code.len()
}

/// `word` in `element` standing alone (a blank before it, no word character after it).
fn has_word(element: &[u8], word: &[u8]) -> bool {
    occurrences(element, word).any(|i| {
        i > 0
            && element[i - 1].is_ascii_whitespace()
            && !element.get(i + word.len()).is_some_and(|&b| is_word(b))
    })
}

/// A switch parameter given, and not turned off with `:$false`.
fn has_switch(element: &[u8], switch: &[u8]) -> bool {
    occurrences(element, switch).any(|i| {
        let rest = &element[i + switch.len()..];
        i > 0
            && element[i - 1].is_ascii_whitespace()
            && !rest.first().is_some_and(|&b| is_word(b))
            && !rest.starts_with(b":$false")
    })
}

/// `text` lowercased, with comments and the insides of strings blanked byte for byte, so only
/// what PowerShell runs as code is left and offsets still point into `text`.
fn code_only(text: &str) -> Vec<u8> {
    #[derive(Clone, Copy, PartialEq)]
    enum In {
        Code,
        Single,
        Double,
        Here(u8),
        LineComment,
        BlockComment,
    }
    let src = text.as_bytes();
    let mut out = text.to_ascii_lowercase().into_bytes();
    let mut state = In::Code;
    let mut i = 0;
    while i < src.len() {
        let b = src[i];
        let next = src.get(i + 1).copied();
        let mut blank = |from: usize, to: usize| out[from..to].iter_mut().for_each(|c| *c = b' ');
        match state {
            In::Code => match b {
                b'<' if next == Some(b'#') => {
                    blank(i, i + 2);
                    state = In::BlockComment;
                    i += 1;
                }
                b'#' if i == 0 || src[i - 1].is_ascii_whitespace() || src[i - 1] == b';' => {
                    blank(i, i + 1);
                    state = In::LineComment;
                }
                b'@' if matches!(next, Some(b'\'' | b'"'))
                    && src[i + 2..]
                        .iter()
                        .find(|&&c| c != b' ' && c != b'\t' && c != b'\r')
                        == Some(&b'\n') =>
                {
                    state = In::Here(src[i + 1]);
                    i += 1;
                }
                // An escaped character in code (`` `' ``) starts nothing.
                b'`' => i += 1,
                b'\'' => state = In::Single,
                b'"' => state = In::Double,
                _ => {}
            },
            In::Single if b == b'\'' && next == Some(b'\'') => {
                blank(i, i + 2);
                i += 1;
            }
            In::Double if b == b'"' && next == Some(b'"') || b == b'`' => {
                blank(i, (i + 2).min(src.len()));
                i += 1;
            }
            In::Single | In::Double if b == if state == In::Single { b'\'' } else { b'"' } => {
                state = In::Code;
            }
            In::Here(q) if b == b'\n' && src.get(i + 1) == Some(&q) && src.get(i + 2) == Some(&b'@') => {
                blank(i, i + 1);
                state = In::Code;
                i += 2;
            }
            In::LineComment if b == b'\n' => state = In::Code,
            In::BlockComment if b == b'#' && next == Some(b'>') => {
                blank(i, i + 2);
                state = In::Code;
                i += 1;
            }
            _ => blank(i, i + 1),
        }
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_later_cmdlets_as_words_only() {
        assert_eq!(
            super::find_later_version("x; backup-cspool -PoolFqdn p").map(|f| f.0),
            Some(3)
        );
        assert!(super::find_later_version("Move-CsManagementServer -TargetFqdn x").is_some());
        assert!(super::find_later_version("Get-CsUser | Move-CsUser -Target p").is_none());
        assert!(super::find_later_version("Backup-CsPoolX").is_none());
        assert!(super::find_later_version("Test-CsRegistration -TargetFqdn pool01.contoso.com").is_none());
    }

    /// Issue 19 item 14: 2013's pool pairing cmdlets and its native RGS parameters.
    #[test]
    fn finds_the_2013_pool_pairing_and_rgs_parameters() {
        for text in [
            "Get-CsPoolBackupRelationship -PoolFqdn p",
            "Invoke-CsBackupServiceSync -PoolFqdn p",
            "Invoke-CsPoolFailBack -PoolFqdn p",
            "Import-CsRgsConfiguration -Destination 'service:ApplicationServer:p' -FileName x.zip",
            "Import-CsRgsConfiguration ApplicationServer:p -FileName x.zip -ReplaceExistingRgsSettings",
            "Export-CsRgsConfiguration -Source ApplicationServer:p -FileName x.zip -RemoveExportedConfiguration",
        ] {
            assert!(super::find_later_version(text).is_some(), "{text}");
        }
        // Move-CsRgsConfiguration -Destination is Lync Server 2010 (gg398782).
        assert!(super::find_later_version("Move-CsRgsConfiguration -Source a -Destination b").is_none());
    }

    #[test]
    fn finds_prompting_commands_where_they_run() {
        // (text, the name found and where, or None)
        let cases: &[(&str, Option<(&str, usize)>)] = &[
            ("Move-CsUser -Identity u -Target p", Some(("Move-CsUser", 0))),
            (
                "Get-CsUser | move-csuser -Target p -Force",
                Some(("Move-CsUser", 13)),
            ),
            ("Get-CsUser | Move-CsUser -Target p -Confirm:$false", None),
            ("Get-CsUser | Move-CsUser -Target p -confirm:$FALSE", None),
            ("Move-CsUser -Target p `\n  -Confirm:$false", None),
            (
                "Move-CsUser -Target p\nWrite-Host -Confirm:$false",
                Some(("Move-CsUser", 0)),
            ),
            (
                "Move-CsUser -Target p | Out-Null -Confirm:$false",
                Some(("Move-CsUser", 0)),
            ),
            ("Move-CsUser -Target p -Confirm:$true", Some(("Move-CsUser", 0))),
            ("# Move-CsUser asks first\nGet-CsUser", None),
            ("  # Move-CsUser asks first", None),
            ("Get-CsUser # then Move-CsUser", None),
            ("<# Move-CsUser\n Read-Host #>\nGet-CsUser", None),
            ("Write-Host 'run Move-CsUser; then Read-Host'", None),
            ("Write-Host \"run `\"Move-CsUser`\" | Read-Host\"", None),
            ("$x = @'\nRead-Host\n'@\nGet-CsUser", None),
            ("Move-CsUserX -Target p", None),
            ("Get-Move-CsUser -Target p", None),
            (
                "Import-Module (Join-Path $f 'Get-CsApplicationContact.ps1')",
                None,
            ),
            ("& .\\Get-CsApplicationContact.ps1 -Delete", None),
            ("Get-CsApplicationContact -RegistrarPool p", None),
            (
                "Get-CsApplicationContact -RegistrarPool p -Delete",
                Some(("Get-CsApplicationContact", 0)),
            ),
            ("Get-CsApplicationContact -Delete:$false", None),
            ("Get-CsApplicationContact -DeleteAll", None),
            ("Get-CsApplicationContact -Delete -Confirm:$false", None),
            (
                "Get-CsApplicationContact -Pool p | Where-Object { $_.Delete }",
                None,
            ),
            (
                "Set-CsConfigurationStoreLocation -SqlServerFqdn s -Verbose",
                Some(("Set-CsConfigurationStoreLocation", 0)),
            ),
            (
                "Set-CsConfigurationStoreLocation -SqlServerFqdn s -Confirm:$false",
                None,
            ),
            ("$name = Read-Host 'Pool'", Some(("Read-Host", 8))),
            (
                "if (-not (Read-Host 'Sure?')) { exit 1 }",
                Some(("Read-Host", 10)),
            ),
            ("Read-Host 'Sure?' -Confirm:$false", Some(("Read-Host", 0))),
            ("{{#if x}}Read-Host 'a'{{/if}}", Some(("Read-Host", 9))),
            (
                "Get-CsUser; Read-Host; Move-CsUser -Target p",
                Some(("Read-Host", 12)),
            ),
            ("Write-Host Read-Host", None),
            ("Get-Command Move-CsUser", None),
        ];
        for (text, expected) in cases {
            let found = super::find_prompting(text).map(|(i, p)| (p.name, i));
            assert_eq!(found, *expected, "{text:?}");
        }
    }

    #[test]
    fn every_prompting_entry_says_why() {
        for p in super::PROMPTING_CMDLETS {
            assert!(!p.source.is_empty(), "{}", p.name);
            assert!(super::find_prompting(&p.usage()).is_some(), "{}", p.name);
        }
    }
}
