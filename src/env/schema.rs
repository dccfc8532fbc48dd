//! The keys an environment file may hold, with their types. One table, so the loader, the
//! runbook checker (an input must name a known key) and the docs agree.

use crate::artifact::ArtifactKind;
use crate::env::value::ValueType;

pub struct KeySpec {
    pub key: &'static str,
    pub ty: ValueType,
    pub meaning: &'static str,
}

const fn k(key: &'static str, ty: ValueType, meaning: &'static str) -> KeySpec {
    KeySpec { key, ty, meaning }
}

/// The key naming a backup's path: the key and its meaning are the artifact kind's.
const fn backup(kind: ArtifactKind) -> KeySpec {
    k(kind.env_key(), ValueType::WindowsPath, kind.description())
}

/// The key naming that backup's path in this run's baseline: derived, never set.
const fn baseline_copy(kind: ArtifactKind) -> KeySpec {
    k(
        kind.baseline_key(),
        ValueType::WindowsPath,
        "that backup in this run's baseline (finish takes it with the backup runbook's steps): never set, lyncdr derives it from backups.baseline and the set's file name",
    )
}

pub const FORMAT_KEY: &str = "lyncdr_env";
pub const FORMAT_VERSION: u64 = 1;

pub const DBIMPEXP_DEFAULT: &str =
    r"C:\Program Files\Common Files\Microsoft Lync Server 2010\Support\DBImpExp.exe";

use ArtifactKind::*;
use ValueType::*;
pub const SCHEMA: &[KeySpec] = &[
    k(FORMAT_KEY, Integer, "format version of this file: 1"),
    k(
        "deployment",
        Text,
        "a name for the deployment, shown in plans and reports",
    ),
    k(
        "edition",
        Choice(&["enterprise", "standard"]),
        "Lync Server edition of the pools involved",
    ),
    k(
        "recovery.started_at",
        Timestamp,
        "when the recovery started (RFC 3339); events older than this are not evidence",
    ),
    k(
        "pools.failed",
        Fqdn,
        "FQDN of the pool that failed, or whose Back End failed",
    ),
    k(
        "pools.target",
        Fqdn,
        "FQDN of the pool that takes over (CMS move)",
    ),
    k(
        "sql.backend.fqdn",
        Fqdn,
        "FQDN of the Back End SQL server being rebuilt",
    ),
    k(
        "sql.backend.instance",
        SqlInstance,
        "its SQL Server instance name (the same as before the failure); MSSQLSERVER for the default instance",
    ),
    k(
        "sql.backend.clustered",
        Bool,
        "the Back End is a SQL Server failover cluster: Install-CsDatabase gets -UseDefaultSqlPaths (default: false)",
    ),
    k(
        "sql.target_backend.fqdn",
        Fqdn,
        "FQDN of the Back End SQL server of the target pool (CMS move)",
    ),
    k(
        "sql.target_backend.instance",
        SqlInstance,
        "its SQL Server instance name; MSSQLSERVER for the default instance",
    ),
    k(
        "sql.target_backend.clustered",
        Bool,
        "the target pool's Back End is a SQL Server failover cluster (default: false)",
    ),
    // Issue 17 item 9: where the CMS lives, so the backup of its databases goes there.
    k(
        "sql.cms.fqdn",
        Fqdn,
        "FQDN of the SQL server holding the Central Management Store (xds) and the location database (lis): the Back End of the pool that holds the CMS",
    ),
    k(
        "sql.cms.instance",
        SqlInstance,
        "its SQL Server instance name; MSSQLSERVER for the default instance",
    ),
    k(
        "backups.max_age",
        Duration,
        "oldest acceptable backup, e.g. 7d or 36h (default: 7d)",
    ),
    backup(CsConfiguration),
    backup(LisConfiguration),
    backup(RgsExport),
    backup(UserData),
    backup(RtcDatabase),
    backup(FileStore),
    k(
        "backups.folder",
        WindowsPath,
        "folder for the new baseline taken after a recovery (a dated subfolder per run); a share both the Front End and the SQL Server service can write to (default: the folder of backups.cs_configuration)",
    ),
    // Issue 12: the backup job (`lyncdr backup`, docs/backup-set.md).
    k(
        "backups.keep_sets",
        Integer,
        "lyncdr backup: keep at least the last N complete backup sets (retention; unset with keep_days unset: nothing is deleted)",
    ),
    k(
        "backups.keep_days",
        Integer,
        "lyncdr backup: keep every backup set younger than D days (retention)",
    ),
    // Issue 17: sets signed by the job, verified by every reader with this public key.
    k(
        "backups.signing_key",
        Text,
        "the public key backup sets are signed with, ed25519:<64 hex digits> (printed by lyncdr backup --new-key FILE); with it, audit and --backup-set take only sets that verify",
    ),
    // Issue 17 item 8: a recovery pauses the nightly job, and `finish` resumes it.
    k(
        "backups.task_name",
        TaskName,
        "the nightly backup job's scheduled task on the Front End (lyncdr backup --task registers it under this name); with it, every recovery runbook disables the task first and finish enables it again",
    ),
    k(
        "backups.set",
        WindowsPath,
        "the backup set folder one run of lyncdr backup writes: set by lyncdr backup itself (--to DIR and the set's name), for the backup runbook's templates",
    ),
    k(
        "backups.baseline",
        WindowsPath,
        "the folder finish writes the recovery's new baseline into: never set, lyncdr decides it once per run from backups.folder and the run's start (backups.folder\\baseline\\lyncdr-YYYYMMDD-HHMMSSZ, UTC), and every step of finish gets the same folder",
    ),
    baseline_copy(CsConfiguration),
    baseline_copy(LisConfiguration),
    baseline_copy(RgsExport),
    baseline_copy(UserData),
    baseline_copy(RtcDatabase),
    baseline_copy(FileStore),
    k(
        crate::env::baseline::TARGET_RGS_EXPORT,
        WindowsPath,
        "the Response Group export in this run's baseline when the pool that serves the users afterwards is pools.target (a CMS move): never set, lyncdr derives it as baseline.rgs_export is, named for pools.target",
    ),
    k(
        "file_store.share",
        WindowsPath,
        "the pool's File Store share, e.g. \\\\fs01\\LyncShare",
    ),
    k(
        "file_store.target_share",
        WindowsPath,
        "the File Store share of pools.target (a CMS move): the baseline cms-move ends with copies it, as the nightly job copies file_store.share",
    ),
    k(
        "scripts.folder",
        WindowsPath,
        "folder holding Get-CsApplicationContact.ps1 and RgsImportExport.ps1",
    ),
    k(
        "dbimpexp.path",
        WindowsPath,
        "path of DBImpExp.exe (default: the Lync Server 2010 Support folder)",
    ),
    k("simple_urls.meet", Fqdn, "meet simple URL host name"),
    k("simple_urls.dialin", Fqdn, "dial-in simple URL host name"),
    k(
        "simple_urls.addresses",
        AddressList,
        "addresses (IP or FQDN) of the web load balancer the simple URLs may point to, besides the target pool's own (default: none)",
    ),
    k(
        "user_domains",
        FqdnList,
        "Active Directory domains holding Lync users: User Replicator logs event 30024 once per domain, and the import waits for each (unset: one event is enough, a single-domain forest)",
    ),
    k(
        "pools.failed_front_ends",
        FqdnList,
        "FQDNs of the Front End servers of the failed pool (after a Back End restore: the pool being restored); event 30024 must come from one of them (required by the runbooks that wait for it)",
    ),
    k(
        "pools.target_front_ends",
        FqdnList,
        "FQDNs of the Front End servers of the target pool (CMS move); event 30024 must come from one of them (required by cms-move)",
    ),
    k(
        "dial_in_access_numbers",
        SipUriList,
        "SIP URIs of the dial-in access numbers homed on the failed pool",
    ),
    k(
        "features.response_group",
        Bool,
        "Response Group is deployed on the pool",
    ),
    k(
        "features.dial_in_access_numbers",
        Bool,
        "dial-in access numbers are homed on the failed pool",
    ),
    k(
        "features.simple_urls_on_failed_pool",
        Bool,
        "the simple URLs point to the failed pool",
    ),
    k(
        "features.cac_pdp_on_failed_pool",
        Bool,
        "the failed pool held the call admission control PDP",
    ),
    k(
        "features.health_monitoring",
        Bool,
        "health monitoring test users are configured for the pool (New-CsHealthMonitoringConfiguration), so Test-CsRegistration can sign in (default: false)",
    ),
    k(
        "features.e911",
        Bool,
        "E9-1-1 location data (LIS) is configured: after its import the location configuration is published (Publish-CsLisConfiguration) and checked (default: false)",
    ),
    k(
        "features.archiving_monitoring",
        Bool,
        "the Back End also hosts Archiving or Monitoring databases",
    ),
    k(
        "options.user_data_restore",
        Choice(&["A", "B"]),
        "A: restore rtc from an SQL backup; B: DBImpExp import",
    ),
];

/// Values computed from others after validation (`sql.backend.server` = `fqdn\instance`, or the
/// FQDN alone for the default instance).
pub const DERIVED: &[(&str, &str, &str)] = &[
    ("sql.backend.server", "sql.backend.fqdn", "sql.backend.instance"),
    (
        "sql.target_backend.server",
        "sql.target_backend.fqdn",
        "sql.target_backend.instance",
    ),
    ("sql.cms.server", "sql.cms.fqdn", "sql.cms.instance"),
];

/// The keys a derived key is computed from: `sql.backend.server` -> (`sql.backend.fqdn`,
/// `sql.backend.instance`).
pub fn derived_from(key: &str) -> Option<(&'static str, &'static str)> {
    DERIVED.iter().find(|d| d.0 == key).map(|d| (d.1, d.2))
}

pub fn lookup(key: &str) -> Option<&'static KeySpec> {
    SCHEMA.iter().find(|s| s.key == key)
}

/// Any key a runbook may reference: schema keys and derived keys.
pub fn type_of(key: &str) -> Option<ValueType> {
    lookup(key)
        .map(|s| s.ty)
        .or_else(|| DERIVED.iter().any(|d| d.0 == key).then_some(ValueType::SqlServer))
}

/// The closest known key, for "did you mean" hints.
pub fn suggest(key: &str) -> Option<&'static str> {
    crate::suggest::closest(
        key,
        SCHEMA.iter().map(|s| s.key).chain(DERIVED.iter().map(|d| d.0)),
    )
}
