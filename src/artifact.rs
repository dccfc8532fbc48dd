//! The kinds of backup artifact a recovery needs: one type that the environment schema (which
//! key holds each one's path), the runbook checker (`backup:` prerequisites), `run`, `bundle`,
//! `audit` and the backup job all read. Every fact about a kind is a method here.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    CsConfiguration,
    LisConfiguration,
    RgsExport,
    UserData,
    RtcDatabase,
    FileStore,
    /// A SQL Server backup of another database (xds, lcscdr, ...): the audit lists it, no
    /// runbook needs it, no environment key names it.
    OtherDatabase,
}

impl ArtifactKind {
    /// The kinds an environment file names (`backups.*`) and a runbook may need, in report order.
    pub const NAMED: [ArtifactKind; 6] = [
        ArtifactKind::CsConfiguration,
        ArtifactKind::LisConfiguration,
        ArtifactKind::RgsExport,
        ArtifactKind::UserData,
        ArtifactKind::RtcDatabase,
        ArtifactKind::FileStore,
    ];

    /// The name used by runbook `backup:` prerequisites, the bundle and the JSON report.
    pub const fn id(self) -> &'static str {
        match self {
            ArtifactKind::CsConfiguration => "cs-configuration",
            ArtifactKind::LisConfiguration => "lis-configuration",
            ArtifactKind::RgsExport => "rgs-export",
            ArtifactKind::UserData => "user-data",
            ArtifactKind::RtcDatabase => "rtc-database",
            ArtifactKind::FileStore => "file-store",
            ArtifactKind::OtherDatabase => "other-database",
        }
    }

    /// One of [`Self::NAMED`] by its id.
    pub fn from_id(id: &str) -> Option<Self> {
        Self::NAMED.into_iter().find(|k| k.id() == id)
    }

    /// The environment key holding this kind's path (`backups.rtc_database`); no key names
    /// [`Self::OtherDatabase`], which messages call `backups.*`.
    pub const fn env_key(self) -> &'static str {
        match self {
            ArtifactKind::CsConfiguration => "backups.cs_configuration",
            ArtifactKind::LisConfiguration => "backups.lis_configuration",
            ArtifactKind::RgsExport => "backups.rgs_export",
            ArtifactKind::UserData => "backups.user_data",
            ArtifactKind::RtcDatabase => "backups.rtc_database",
            ArtifactKind::FileStore => "backups.file_store",
            ArtifactKind::OtherDatabase => "backups.*",
        }
    }

    /// What the environment key holds, for the schema and the docs.
    pub const fn description(self) -> &'static str {
        match self {
            ArtifactKind::CsConfiguration => "Export-CsConfiguration zip",
            ArtifactKind::LisConfiguration => "Export-CsLisConfiguration zip",
            ArtifactKind::RgsExport => "RGS export zip (RgsImportExport.ps1)",
            ArtifactKind::UserData => "DBImpExp user data export (XML)",
            ArtifactKind::RtcDatabase => {
                "SQL Server backup of the rtc database (.bak), as the Back End's SQL Server service sees it: a path on that server or a UNC share its account can read"
            }
            ArtifactKind::FileStore => "folder holding the copy of the File Store",
            ArtifactKind::OtherDatabase => "SQL Server backup of another Lync database",
        }
    }

    /// What it is, for messages: "LIS export (Export-CsLisConfiguration zip)".
    pub const fn title(self) -> &'static str {
        match self {
            ArtifactKind::CsConfiguration => "CMS export (Export-CsConfiguration zip)",
            ArtifactKind::LisConfiguration => "LIS export (Export-CsLisConfiguration zip)",
            ArtifactKind::RgsExport => "Response Group export (RgsImportExport.ps1 zip)",
            ArtifactKind::UserData => "user data export (DBImpExp XML)",
            ArtifactKind::RtcDatabase => "SQL Server backup of `rtc`",
            ArtifactKind::FileStore => "File Store copy",
            ArtifactKind::OtherDatabase => "SQL Server backup",
        }
    }

    /// Read by the SQL Server service on the Back End (`RESTORE ... FROM DISK`): its path is the
    /// one that server sees, so only SQL Server can check it there (the rtc-restore runbook's
    /// `read-rtc-backup-sets` step does, with RESTORE HEADERONLY). A check on this machine would
    /// test the wrong host: `run` checks it only in a `--backups` copy, the bundle not at all.
    pub const fn read_by_sql_server(self) -> bool {
        matches!(self, ArtifactKind::RtcDatabase | ArtifactKind::OtherDatabase)
    }

    /// A folder (the File Store copy), not one file.
    pub const fn is_folder(self) -> bool {
        matches!(self, ArtifactKind::FileStore)
    }

    /// Its name inside a backup set (docs/backup-set.md): every file at the top of the set, so
    /// `run --backups SET` finds each by its file name. `{pool}` stands for the pool's FQDN,
    /// `{database}` for the database name; [`Self::is_folder`] says which is a folder.
    pub const fn set_path(self) -> &'static str {
        match self {
            ArtifactKind::CsConfiguration => "CsConfiguration.zip",
            ArtifactKind::LisConfiguration => "CsLisConfiguration.zip",
            ArtifactKind::RgsExport => "RgsConfig-{pool}.zip",
            ArtifactKind::UserData => "SavedUserData.xml",
            ArtifactKind::RtcDatabase => "rtc.bak",
            ArtifactKind::FileStore => "FileStore",
            ArtifactKind::OtherDatabase => "{database}.bak",
        }
    }

    /// Its path in the set folder `set_folder` (a Windows path) of pool `pool`.
    pub fn in_set(self, set_folder: &str, pool: &str) -> String {
        let file = self.set_path().replace("{pool}", pool);
        format!("{}\\{file}", set_folder.trim_end_matches('\\'))
    }

    /// The environment key holding this kind's path in this run's baseline (`finish` includes
    /// the backup runbook with these: [`crate::env::baseline`] derives them, never a file).
    pub const fn baseline_key(self) -> &'static str {
        match self {
            ArtifactKind::CsConfiguration => "baseline.cs_configuration",
            ArtifactKind::LisConfiguration => "baseline.lis_configuration",
            ArtifactKind::RgsExport => "baseline.rgs_export",
            ArtifactKind::UserData => "baseline.user_data",
            ArtifactKind::RtcDatabase => "baseline.rtc_database",
            ArtifactKind::FileStore => "baseline.file_store",
            ArtifactKind::OtherDatabase => "baseline.*",
        }
    }

    /// Whether the layout of this export is known from a primary source. Where it is a guess
    /// (the LIS export's inner layout; the 2010 RgsImportExport.ps1 script's, seen only for the
    /// 2013 cmdlet: facts file, "File formats"), a sound zip the environment file names as it
    /// is taken as named: what it holds can be warned about, never make it another export.
    pub const fn layout_confirmed(self) -> bool {
        !matches!(self, ArtifactKind::LisConfiguration | ArtifactKind::RgsExport)
    }

    /// How an operator makes a fresh one.
    pub const fn how_to_make(self) -> &'static str {
        match self {
            ArtifactKind::CsConfiguration => {
                "run `Export-CsConfiguration -FileName <file>.zip` in the Lync Server Management Shell"
            }
            ArtifactKind::LisConfiguration => {
                "run `Export-CsLisConfiguration -FileName <file>.zip` in the Lync Server Management Shell (it will not overwrite an existing file)"
            }
            ArtifactKind::RgsExport => {
                "run `Import-Module .\\RgsImportExport.ps1` then `Export-CsRgsConfiguration -Source ApplicationServer:<pool> -FileName <file>.zip`"
            }
            ArtifactKind::UserData => {
                "run `DBImpExp.exe /hrxmlfile:<file>.xml /sqlserver:<fqdn>\\<instance>` from the Lync Server 2010 Support folder"
            }
            ArtifactKind::RtcDatabase => {
                "back up the database: `BACKUP DATABASE rtc TO DISK = '<file>.bak' WITH INIT`"
            }
            ArtifactKind::FileStore => {
                "copy the File Store share, e.g. `robocopy \\\\<server>\\<share> <folder> /MIR`"
            }
            ArtifactKind::OtherDatabase => "back it up again with SQL Server (`BACKUP DATABASE ... TO DISK`)",
        }
    }
}

/// A backup set's manifest (`docs/backup-set.md`) and its size cap: here, beside
/// [`ArtifactKind::set_path`], because `run` and `bundle` look a set's files up by these names
/// and must not depend on the backup job (which depends on them).
pub const SET_MANIFEST: &str = "manifest.json";
/// A set's completion marker: it certifies `SHA256SUMS`, so no `SHA256SUMS` can list it.
pub const SET_COMPLETE: &str = "COMPLETE";
/// Set folders are `lyncdr-YYYYMMDD-HHMMSSZ` (UTC, the start): names sort by time.
pub const SET_PREFIX: &str = "lyncdr-";
/// The folder, directly in a folder of sets, holding the baselines a recovery's end takes
/// (`finish`, `lyncdr backup --baseline`): sets of the same format, never among the nightly
/// sets (its name is not a set's, so listing and retention of the folder of sets never see it).
pub const BASELINE_FOLDER: &str = "baseline";
pub const MAX_SET_MANIFEST: u64 = 1 << 20;

/// When `dir` is a backup set, the file name `kind` has in it ([`ArtifactKind::set_path`], the
/// RGS export named by the pool the manifest records): `run --backups SET` and
/// `bundle --backups SET` look each backup up by the name the job gave it, as `audit` does,
/// whatever name the environment's own key ends in. `None` for a folder that is not a set.
pub fn name_in_set(dir: &std::path::Path, kind: ArtifactKind) -> Option<String> {
    use std::io::Read as _;
    #[derive(serde::Deserialize)]
    struct SetManifest {
        /// Required: a `manifest.json` without it is not a set's.
        lyncdr_backup_set: u64,
        pool: Option<String>,
    }
    // Only the manifest, capped, never through a link: this runs once per backup a runbook needs.
    let path = dir.join(SET_MANIFEST);
    if !std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return None;
    }
    let mut bytes = Vec::new();
    std::fs::File::open(&path)
        .ok()?
        .take(MAX_SET_MANIFEST)
        .read_to_end(&mut bytes)
        .ok()?;
    let manifest: SetManifest = serde_json::from_slice(&bytes).ok()?;
    let _format = manifest.lyncdr_backup_set;
    let file = kind.set_path();
    match &manifest.pool {
        Some(pool) => Some(file.replace("{pool}", pool)),
        None => (!file.contains("{pool}")).then(|| file.to_owned()),
    }
}

impl std::fmt::Display for ArtifactKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_name_environment_keys() {
        for k in ArtifactKind::NAMED {
            assert_eq!(ArtifactKind::from_id(k.id()), Some(k));
            assert_eq!(
                k.env_key().replace('_', "-"),
                format!("backups.{}", k.id()),
                "the key is the id with `_`"
            );
        }
        assert_eq!(ArtifactKind::from_id("other-database"), None);
    }

    #[test]
    fn folders_and_what_sql_server_reads() {
        let folders: Vec<_> = ArtifactKind::NAMED
            .into_iter()
            .filter(|k| k.is_folder())
            .collect();
        assert_eq!(folders, [ArtifactKind::FileStore]);
        let sql: Vec<_> = ArtifactKind::NAMED
            .into_iter()
            .filter(|k| k.read_by_sql_server())
            .collect();
        assert_eq!(sql, [ArtifactKind::RtcDatabase]);
    }
}
