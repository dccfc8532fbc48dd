//! Rules of single Lync Server 2010 cmdlets that make a runbook step fail (or act on the wrong
//! thing) on a real deployment, beyond the stand-in's "every cmdlet answers with two objects".
//! Each rule is a small function with its source; `powershell.rs` asks `check` before a cmdlet
//! answers, with the call's parameters as text, and `answer` for the objects it answers with
//! where the test described that part of the deployment.

use crate::control::Control;
use crate::object::{Data, Obj};

/// A cmdlet call: its name and its parameters (`-Name value`, lowercased names, the value's text
/// as far as the stand-in knows it; empty for a switch or an unknown value).
pub struct Call<'a> {
    pub name: &'a str,
    pub params: &'a [(String, String)],
}

impl Call<'_> {
    fn is(&self, name: &str) -> bool {
        self.name.eq_ignore_ascii_case(name)
    }

    fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(p, _)| p.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// What a rule says of a call: it fails with this error, or nothing to say.
pub struct Failure {
    pub message: String,
    pub category: &'static str,
}

/// Does the cmdlet answer with no object at all, by a rule (as `LYNCSHELL_EMPTY` would)?
pub fn answers_nothing(ctl: &Control, name: &str) -> bool {
    unpublished_lis(ctl, name)
}

/// `Debug-CsLisConfiguration` reads the E9-1-1 location configuration from the Central Management
/// store, where it arrives only when `Publish-CsLisConfiguration` runs; unpublished, it "will not
/// return anything" (Microsoft's help for Debug-CsLisConfiguration; Publish-CsLisConfiguration,
/// gg398364, commits the location database to the CMS). Under `LYNCSHELL_LIS=unpublished` the
/// stand-in answers nothing until this run's log holds a successful Publish-CsLisConfiguration.
fn unpublished_lis(ctl: &Control, name: &str) -> bool {
    name.eq_ignore_ascii_case("Debug-CsLisConfiguration")
        && ctl.lis_unpublished
        && !ctl.logged("cmdlet", "Publish-CsLisConfiguration ok")
}

pub fn check(ctl: &Control, call: &Call) -> Option<Failure> {
    user_sync(ctl, call);
    unreachable_computer(ctl, call).or_else(|| clustered_sql(ctl, call))
}

/// `Get-/Stop-/Start-CsWindowsService -ComputerName X` reach X's service control manager
/// (Microsoft's Lync Server 2010 help, gg398803, gg398426, gg398561: "-ComputerName ... the
/// FQDN of the remote computer"); a computer that is down does not answer and the cmdlet fails.
/// The wording of the real error is unconfirmed (docs/unconfirmed.md).
fn unreachable_computer(ctl: &Control, call: &Call) -> Option<Failure> {
    let service_cmdlet = [
        "Get-CsWindowsService",
        "Stop-CsWindowsService",
        "Start-CsWindowsService",
    ]
    .iter()
    .any(|c| call.is(c));
    let computer = call.param("computername")?;
    if !service_cmdlet || !ctl.unreachable(computer) {
        return None;
    }
    ctl.log("cmdlet", &format!("{} unreachable", call.name));
    Some(Failure {
        message: format!(
            "Cannot open Service Control Manager on computer '{computer}'. The RPC server is unavailable."
        ),
        category: "NotSpecified: (:) [], InvalidOperationException",
    })
}

/// `Update-CsUserDatabase` without `-Fqdn` updates the user database of the pool the local
/// computer is in (Microsoft's Lync Server 2010 help, gg398682: "If this parameter is not
/// specified, Update-CsUserDatabase updates the user database for the pool where the local
/// computer is located"; Example 2 passes `-Fqdn <pool>`). The stand-in logs which pool it
/// synced (`sync` event: the FQDN, or `local` for the pool of this computer), so a test can
/// require the pool the import goes to.
fn user_sync(ctl: &Control, call: &Call) {
    if call.is("Update-CsUserDatabase") {
        let pool = call.param("fqdn").filter(|v| !v.is_empty()).unwrap_or("local");
        ctl.log("sync", pool);
    }
}

/// `Install-CsDatabase` on a SQL Server failover cluster needs `-UseDefaultSqlPaths` or
/// `-DatabasePaths` (Microsoft's Lync Server 2010 help for Install-CsDatabase, gg399044, lists
/// both parameters; that a cluster needs one of them is the help's reading in issue 19 item 12,
/// see docs/unconfirmed.md): without them the cmdlet cannot place the files.
fn clustered_sql(ctl: &Control, call: &Call) -> Option<Failure> {
    if !call.is("Install-CsDatabase") || !ctl.sql_cluster() {
        return None;
    }
    if call.param("usedefaultsqlpaths").is_some() || call.param("databasepaths").is_some() {
        return None;
    }
    ctl.log("cmdlet", "Install-CsDatabase cluster-paths");
    Some(Failure {
        message: "The SQL Server is clustered: specify -UseDefaultSqlPaths or -DatabasePaths.".into(),
        category: "InvalidOperation: (:) [Install-CsDatabase], InvalidOperationException",
    })
}

/// The objects a cmdlet answers with where the test described that part of the deployment
/// (`control::World`); `None`: the stand-in's usual two people.
pub fn answer(ctl: &Control, call: &Call) -> Option<Vec<Data>> {
    let world = &ctl.world;
    if call.is("Get-CsConfigurationStoreLocation") {
        return world
            .scp
            .as_ref()
            .map(|scp| vec![store_location(scp, world.scp_backslash)]);
    }
    if call.is("Get-CsComputer") {
        return pool_computers(world.pools.as_ref()?, call.param("pool")?);
    }
    if call.is("Get-CsManagementStoreReplicationStatus") {
        return if call.param("centralmanagementstorestatus").is_some() {
            world.cms_master.as_deref().map(|m| vec![cms_status(m)])
        } else {
            replicas(world.replicas.as_ref()?, call.param("replicafqdn"))
        };
    }
    None
}

fn obj(text: &str, props: Vec<(&'static str, Data)>) -> Data {
    Data::Obj(Obj {
        text: text.to_owned(),
        props,
    })
}

/// Get-CsConfigurationStoreLocation reports "the SQL Server path (for example,
/// atl-sql-001.litwareinc.com/rtc)" (Microsoft's Lync Server 2010 help, gg412814): FQDN and
/// instance joined by `/`. The `\` form (how Set-CsConfigurationStoreLocation and SQL Server
/// write an instance) is the test's choice under `LYNCSHELL_SCP_FORM=backslash`; which form a
/// real 2010 server prints, and the bare FQDN for a default instance, are unconfirmed
/// (docs/unconfirmed.md).
fn store_location((fqdn, instance): &(String, Option<String>), backslash: bool) -> Data {
    let text = match instance {
        Some(i) => format!("{fqdn}{}{i}", if backslash { '\\' } else { '/' }),
        None => fqdn.clone(),
    };
    obj(&text, Vec::new())
}

/// `Get-CsComputer -Pool P` lists the servers of pool P from the topology (Microsoft's Lync
/// Server 2010 help, gg425959), each with its `Fqdn` (the property name is unconfirmed,
/// docs/unconfirmed.md); a pool the test did not describe has none.
fn pool_computers(pools: &[(String, Vec<String>)], pool: &str) -> Option<Vec<Data>> {
    let Some((pool, servers)) = pools.iter().find(|(p, _)| p.eq_ignore_ascii_case(pool)) else {
        return Some(Vec::new());
    };
    Some(
        servers
            .iter()
            .map(|s| {
                let props = vec![
                    ("Fqdn", Data::str(s)),
                    ("Identity", Data::str(s)),
                    ("Pool", Data::str(pool)),
                ];
                obj(s, props)
            })
            .collect(),
    )
}

/// `Get-CsManagementStoreReplicationStatus [-ReplicaFqdn F]` answers a ReplicaState per
/// computer that runs Lync Server services, or only F's (Microsoft's Lync Server 2010 help,
/// gg399052: Example 2 filters on `UpToDate`, Example 4 on `LastUpdateCreation`). Edge servers
/// are replicas too: their Replica agent reports like any other (the help: "each computer
/// running Lync Server services or server roles"). `ReplicaFqdn` as the object's property is
/// unconfirmed (docs/unconfirmed.md).
fn replicas(all: &[(String, bool)], only: Option<&str>) -> Option<Vec<Data>> {
    let chosen = all
        .iter()
        .filter(|(r, _)| only.is_none_or(|o| o.eq_ignore_ascii_case(r)))
        .map(|(r, up)| {
            let props = vec![
                ("ReplicaFqdn", Data::str(r)),
                ("UpToDate", Data::Bool(*up)),
                ("LastStatusReport", Data::str("12/7/2026 10:00:00 PM")),
                ("LastUpdateCreation", Data::str("12/7/2026 9:58:00 PM")),
            ];
            obj("Microsoft.Rtc.Management.Xds.ReplicaState", props)
        });
    Some(chosen.collect())
}

/// With `-CentralManagementStoreStatus` it answers one CentralManagementStoreStatusResult that
/// names the active master (gg399052: "the location of the Active Master"); its property name
/// `ActiveMasterFqdn` is unconfirmed for 2010 (docs/unconfirmed.md).
fn cms_status(master: &str) -> Data {
    let props = vec![("ActiveMasterFqdn", Data::str(master))];
    obj(
        "Microsoft.Rtc.Management.Xds.CentralManagementStoreStatusResult",
        props,
    )
}
