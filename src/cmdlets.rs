//! Cmdlets that exist only in Lync Server 2013 or later. A runbook or template that uses one is
//! rejected with the Lync Server 2010 way of doing the same thing.

pub struct LaterCmdlet {
    pub name: &'static str,
    pub instead: &'static str,
}

pub const LATER_CMDLETS: &[LaterCmdlet] = &[
    LaterCmdlet {
        name: "Backup-CsPool",
        instead: "back up the databases with SQL Server and export with Export-CsConfiguration, Export-CsLisConfiguration, RgsImportExport.ps1 and DBImpExp.exe",
    },
    LaterCmdlet {
        name: "Invoke-CsPoolFailover",
        instead: "there is no pool failover; rebuild the Back End (backend-restore) or move users with Move-CsUser -Force (cms-move)",
    },
    LaterCmdlet {
        name: "Invoke-CsManagementServerFailover",
        instead: "Move-CsManagementServer -ConfigurationFileName X.zip -LisConfigurationFileName Y.zip -Force, on a server of the target pool",
    },
    LaterCmdlet {
        name: "Get-CsBackupServiceStatus",
        instead: "there is no Backup Service; check the CMS with Get-CsManagementStoreReplicationStatus",
    },
    LaterCmdlet {
        name: "Export-CsUserData",
        instead: "DBImpExp.exe /hrxmlfile:FILE /sqlserver:FQDN\\INSTANCE",
    },
    LaterCmdlet {
        name: "Import-CsUserData",
        instead: "DBImpExp.exe /import /hrxmlfile:FILE /sqlserver:FQDN\\INSTANCE /restype:all",
    },
    LaterCmdlet {
        name: "Convert-CsUserData",
        instead: "DBImpExp.exe reads and writes the Lync 2010 user data format directly",
    },
    LaterCmdlet {
        name: "Update-CsUserData",
        instead: "DBImpExp.exe /import ... /restype:all",
    },
    LaterCmdlet {
        name: "Test-CsDatabase",
        instead: "check the databases in SQL Server Management Studio",
    },
    LaterCmdlet {
        name: "-TargetFqdn",
        instead: "Move-CsManagementServer runs on a server of the target pool and takes no -TargetFqdn",
    },
    LaterCmdlet {
        name: "-OverwriteOwner",
        instead: "Import-CsRgsConfiguration from RgsImportExport.ps1 takes ApplicationServer:POOL -FileName X.zip",
    },
];

/// The first use of a later-version cmdlet or parameter in `text`: its byte offset and entry.
pub fn find_later_version(text: &str) -> Option<(usize, &'static LaterCmdlet)> {
    let lower = text.to_ascii_lowercase();
    LATER_CMDLETS
        .iter()
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
    }
}
