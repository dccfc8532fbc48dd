//! Every lettered step of each source procedure maps to a step, and every cmdlet the source names
//! appears in the rendered plan of the runbook that encodes it.

use crate::builder::{Test, example_env};
use serde_json::Value;

pub fn plan_json(runbook: &str, extra: &[&str]) -> Value {
    let env = example_env();
    let mut args = vec!["plan", runbook, "--env", &env, "--format", "json"];
    args.extend(extra);
    let run = Test::new().args(args).run().success();
    crate::builder::json_result(&run.stdout)
}

/// (label, id) of every step, in order.
fn steps(plan: &Value) -> Vec<(String, String)> {
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| {
            (
                s["label"].as_str().unwrap_or("").to_owned(),
                s["id"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// The source's letters, in order, each with the step id that encodes it.
fn lettered(plan: &Value) -> Vec<(String, String)> {
    steps(plan)
        .into_iter()
        .filter(|(label, _)| !label.is_empty() && !label.contains('.'))
        .fold(Vec::new(), |mut acc, (l, id)| {
            if acc.last().is_none_or(|(last, _): &(String, String)| *last != l) {
                acc.push((l, id));
            }
            acc
        })
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
        .collect()
}

#[test]
fn cms_move_steps_a_to_j() {
    let plan = plan_json("cms-move", &[]);
    assert_eq!(
        lettered(&plan),
        pairs(&[
            ("A", "log-on-target-front-end"),
            ("B", "install-cms-database"),
            ("C", "move-management-server"),
            ("D", "enable-topology"),
            ("E", "move-conference-directories"),
            ("F", "move-users"),
            ("G", "update-simple-url-dns"),
            ("H", "rgs"),
            ("I", "move-dial-in-numbers"),
            ("J", "import-user-data"),
        ])
    );
    let ids: Vec<String> = steps(&plan).into_iter().map(|s| s.1).collect();
    assert!(
        ids.contains(&"move-cac-pdp".to_owned()),
        "the optional CAC PDP step: {ids:?}"
    );
    assert!(
        ids.contains(&"rgs.import-rgs-configuration".to_owned()),
        "{ids:?}"
    );
}

#[test]
fn cms_restore_steps_a_to_n() {
    let plan = plan_json("cms-restore", &[]);
    let letters: Vec<String> = lettered(&plan).into_iter().map(|l| l.0).collect();
    assert_eq!(
        letters,
        "ABCDEFGHIJKLMN".chars().map(String::from).collect::<Vec<_>>()
    );
    assert_eq!(
        lettered(&plan),
        pairs(&[
            ("A", "rebuild-server"),
            ("B", "log-on-rebuilt-server"),
            ("C", "install-sql-server"),
            ("D", "open-management-shell"),
            ("E", "install-cms-database"),
            ("F", "set-store-location"),
            ("G", "import-cs-configuration"),
            ("H", "restore-file-store"),
            ("I", "publish-topology"),
            ("J", "import-lis-configuration"),
            ("K", "install-configured-databases"),
            ("L", "restore-user-data"),
            ("M", "rgs"),
            ("N", "restore-archiving-monitoring"),
        ])
    );
    // Step L's options, and the IMPORTANT note (db_chaining after option A).
    let all = steps(&plan);
    for (label, id) in [
        ("L.A.1.3", "rtc.restore-rtc-sql"),
        ("L.A.1.4", "rtc.enable-db-chaining"),
        ("L.B.2", "import-user-data"),
    ] {
        assert!(
            all.contains(&(label.to_owned(), id.to_owned())),
            "{label} {id} in {all:?}"
        );
    }
    option_a_in_order(&all, "L.A.1");
}

/// The steps of option A (the included rtc-restore), in the order they must run.
pub const OPTION_A_ORDER: [&str; 5] = [
    "rtc.read-rtc-backup-sets",
    "rtc.stop-front-end-services",
    "rtc.restore-rtc-sql",
    "rtc.enable-db-chaining",
    "rtc.start-front-end-services",
];

/// Option A of the Back End restores (the included rtc-restore): the backup is read on the SQL
/// server first, the Front End services stop before the restore, and database chaining is on
/// again before they start (issue 9: the source runs it last, step G, while the servers log
/// events 32118 and 51009).
fn option_a_in_order(all: &[(String, String)], prefix: &str) {
    let order: Vec<&str> = all
        .iter()
        .filter(|s| s.0.starts_with(&format!("{prefix}.")))
        .map(|s| s.1.as_str())
        .collect();
    assert_eq!(order, OPTION_A_ORDER, "{all:?}");
}

#[test]
fn backend_restore_steps_a_to_g() {
    let plan = plan_json("backend-restore", &[]);
    assert_eq!(
        lettered(&plan),
        pairs(&[
            ("A", "rebuild-server"),
            ("B", "log-on-rebuilt-server"),
            ("C", "install-sql-server"),
            ("D", "install-configured-databases"),
            ("E", "restore-user-data"),
            ("F", "rgs"),
        ])
    );
    // Source step G (database chaining) runs inside option A, before the services start again.
    let all = steps(&plan);
    assert!(all.contains(&("E.A.1.4".to_owned(), "rtc.enable-db-chaining".to_owned())));
    assert!(all.contains(&("E.B.2".to_owned(), "import-user-data".to_owned())));
    option_a_in_order(&all, "E.A.1");
}

#[test]
fn rgs_restore_steps() {
    let ids: Vec<String> = steps(&plan_json("rgs-restore", &[]))
        .into_iter()
        .map(|s| s.1)
        .collect();
    let own = [
        "disable-nightly-backup",
        "get-rgs-scripts",
        "list-rgs-contacts",
        "review-rgs-contacts",
        "delete-rgs-contacts",
        "import-rgs-configuration",
    ];
    let expected: Vec<&str> = own.into_iter().chain(CLOSING).collect();
    assert_eq!(ids, expected);
}

/// The step `id` of a plan.
fn step<'a>(plan: &'a Value, id: &str) -> &'a Value {
    plan["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no step {id}"))
}

/// The text of a step's commands, and of its check.
fn texts(step: &Value) -> (String, String) {
    let commands = step["commands"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["text"].as_str().unwrap_or("").to_owned())
        .collect::<Vec<_>>()
        .join("\n");
    (commands, step["verify"]["text"].as_str().unwrap_or("").to_owned())
}

/// Issue 9, item 10: after the users, the CMS move finds and moves what else the failed pool
/// homes (common area phones, analog devices, Exchange UM contacts) and the Call Park orbit
/// ranges it owns, each with a check that nothing is left there; re-running moves what is left.
#[test]
fn cms_move_moves_what_else_the_failed_pool_homes() {
    let plan = plan_json("cms-move", &[]);
    let ids: Vec<String> = steps(&plan).into_iter().map(|s| s.1).collect();
    let users = ids.iter().position(|i| i == "move-users").expect("F");
    assert_eq!(
        ids[users + 1..users + 5],
        [
            "move-common-area-phones",
            "move-analog-devices",
            "move-exum-contacts",
            "move-call-park-orbits"
        ]
    );
    for (id, get, change) in [
        (
            "move-common-area-phones",
            "Get-CsCommonAreaPhone",
            "Move-CsCommonAreaPhone -Target 'pool02.contoso.com' -Force",
        ),
        (
            "move-analog-devices",
            "Get-CsAnalogDevice",
            "Move-CsAnalogDevice -Target 'pool02.contoso.com' -Force",
        ),
        (
            "move-exum-contacts",
            "Get-CsExUmContact",
            "Move-CsExUmContact -Target 'pool02.contoso.com' -Force",
        ),
        (
            "move-call-park-orbits",
            "Get-CsCallParkOrbit",
            "Set-CsCallParkOrbit -Identity \"$($_.Identity)\" -CallParkService 'service:ApplicationServer:pool02.contoso.com'",
        ),
    ] {
        let s = step(&plan, id);
        let (commands, check) = texts(s);
        assert!(
            commands.contains(get) && commands.contains(change),
            "{id}: {commands}"
        );
        assert!(
            commands.contains("'pool01.contoso.com'"),
            "{id} filters on the failed pool: {commands}"
        );
        // The check reads the same objects on the failed pool and throws while any is left.
        assert!(
            check.contains(get) && check.contains("'pool01.contoso.com'"),
            "{id}: {check}"
        );
        assert!(
            check.contains("throw") && !check.contains("Move-Cs") && !check.contains("Set-Cs"),
            "{id}: {check}"
        );
        assert_eq!(s["idempotent"], true, "{id}");
        assert_eq!(s["label"], "", "{id} has no letter in the source");
    }
    // Device and contact moves may ask (Move-CsExUmContact does, even with -Force).
    for id in [
        "move-common-area-phones",
        "move-analog-devices",
        "move-exum-contacts",
    ] {
        assert_eq!(step(&plan, id)["interactive"], true, "{id}");
    }
    for filter in [
        "\"$($_.RegistrarPool)\" -eq 'pool01.contoso.com'",
        "CallParkServerFqdn",
        "CallParkServiceId",
    ] {
        assert!(
            all_commands(&plan).contains(&filter.to_ascii_lowercase()),
            "{filter}"
        );
    }
}

/// Issue 9, item 10: the dial-in access numbers to move come from Active Directory, also per
/// dial-in region (the only way numbers imported from OCS are listed); the environment's list is
/// the cross-check, and the step moves only what is still on the failed pool.
#[test]
fn cms_move_lists_the_dial_in_numbers_of_the_failed_pool() {
    let plan = plan_json("cms-move", &[]);
    let s = step(&plan, "move-dial-in-numbers");
    let (commands, check) = texts(s);
    for part in [
        "Get-CsDialInConferencingAccessNumber)",
        "Get-CsDialInConferencingAccessNumber -Region $region",
        "Get-CsDialInConferencingAccessNumber -Region $null",
        "\"$($_.Pool)\" -eq 'pool01.contoso.com'",
        "Move-CsApplicationEndpoint -Identity \"$($number.PrimaryUri)\" -TargetApplicationPool 'pool02.contoso.com' -Force",
        "'sip:RedmondDialIn@contoso.com'",
    ] {
        assert!(commands.contains(part), "`{part}` missing:\n{commands}");
    }
    assert!(check.contains("'sip:SeattleDialIn@contoso.com'"), "{check}");
    assert_eq!(s["label"], "I");
    assert_eq!(s["idempotent"], true);
}

/// Issue 9, item 11: right after Move-CsManagementServer, local setup on the computers it lists,
/// then a forced replication checked against the new CMS.
#[test]
fn cms_move_runs_local_setup_and_replication_right_after_the_move() {
    // D (Enable-CsTopology) right after C, as in the source procedure (issue 19 item 7).
    let plan = plan_json("cms-move", &[]);
    let ids: Vec<String> = steps(&plan).into_iter().map(|s| s.1).collect();
    let moved = ids.iter().position(|i| i == "move-management-server").expect("C");
    assert_eq!(
        ids[moved..moved + 4],
        [
            "move-management-server",
            "enable-topology",
            "run-local-setup",
            "force-cms-replication"
        ]
    );
    let setup = step(&plan, "run-local-setup");
    assert_eq!(setup["manual"], true);
    let explanation = setup["explanation"].as_str().unwrap_or("");
    assert!(
        explanation.contains("Deployment Wizard")
            && explanation.contains("Install or Update Lync Server System")
    );
    let (commands, check) = texts(step(&plan, "force-cms-replication"));
    assert!(
        commands.contains("Invoke-CsManagementStoreReplication"),
        "{commands}"
    );
    assert!(
        check.contains("Get-CsManagementStoreReplicationStatus -CentralManagementStoreStatus"),
        "{check}"
    );
    // At least one server of the target pool, all of them up to date; the others only warn
    // (issue 19 item 7: an Edge server that cannot reach the new CMS pool yet must not block).
    assert!(
        check.contains("$pool.Count -eq 0") && check.contains("-not $_.UpToDate"),
        "{check}"
    );
    assert!(
        check.contains("Write-Warning ('Not up to date yet, outside "),
        "{check}"
    );
    assert!(check.contains("4443"), "{check}");
    assert!(
        !format!("{commands}{check}")
            .to_ascii_lowercase()
            .contains("test-csdatabase")
    );
}

/// `finally:` steps close the runbook being run, once: an included runbook's are left out.
#[test]
fn closing_steps_run_once_at_the_end_of_the_runbook_being_run() {
    let step = |id: &str| {
        format!(
            "  - id: {id}\n    title: {id}\n    runs_on: front-end\n    explanation: x\n    commands:\n      - powershell: Get-CsPool -Identity {{{{pool}}}}\n"
        )
    };
    let head = |id: &str| {
        format!(
            "id: {id}\ntitle: {id}\nsummary: x\nsource: tests\ninputs:\n  - name: pool\n    env: pools.failed\n"
        )
    };
    let close = format!("{}steps:\n{}", head("close"), step("check"));
    let inner = format!(
        "{}steps:\n{}finally:\n  - include: close\n    id: close\n",
        head("inner"),
        step("work")
    );
    let outer = format!(
        "{}steps:\n  - include: inner\n    id: inner\n{}finally:\n  - include: close\n    id: close\n",
        head("outer"),
        step("more")
    );
    let ids = |runbook: &str| -> Vec<String> {
        let out = Test::new()
            .file("rb/close.yaml", &close)
            .file("rb/inner.yaml", &inner)
            .file("rb/outer.yaml", &outer)
            .args([
                "--runbooks",
                "rb",
                "plan",
                runbook,
                "--env",
                &example_env(),
                "--format",
                "json",
            ])
            .run()
            .success();
        let plan: Value = crate::builder::json_result(&out.stdout);
        steps(&plan).into_iter().map(|s| s.1).collect()
    };
    assert_eq!(ids("inner"), ["work", "close", "close.check"]);
    assert_eq!(
        ids("outer"),
        ["inner", "inner.work", "more", "close", "close.check"]
    );
}

/// `sql.target_backend.server` of the example environment.
const TARGET_BACKEND: &str = r"be02.contoso.com\rtc";

pub const CLOSING: [&str; 17] = [
    "finish",
    "finish.check-front-end-services",
    "finish.sign-in-test",
    "finish.open-baseline",
    "finish.baseline",
    "finish.baseline.export-cs-configuration",
    "finish.baseline.export-lis-configuration",
    "finish.baseline.export-rgs",
    "finish.baseline.export-user-data",
    "finish.baseline.copy-file-store",
    "finish.baseline.backup-rtc",
    "finish.baseline.backup-xds",
    "finish.baseline.backup-lis",
    "finish.baseline.backup-rgsconfig",
    "finish.baseline.backup-archiving-monitoring",
    "finish.seal-baseline",
    "finish.enable-nightly-backup",
];

/// The runbooks that close with `finish`: all four.
pub const CLOSED: [&str; 4] = ["cms-move", "cms-restore", "backend-restore", "rgs-restore"];

/// Issue 9, item 12: a runbook ends healthy and with a new baseline, once, even where it
/// includes another runbook (cms-move includes rgs-restore, whose steps come first).
#[test]
fn every_runbook_ends_with_the_health_check_and_a_new_baseline() {
    for runbook in CLOSED {
        let plan = plan_json(runbook, &[]);
        let ids: Vec<String> = steps(&plan).into_iter().map(|s| s.1).collect();
        assert_eq!(ids[ids.len() - CLOSING.len()..], CLOSING, "{runbook}");
        assert_eq!(
            ids.iter().filter(|i| i.starts_with("finish")).count(),
            CLOSING.len(),
            "{runbook}: {ids:?}"
        );
        let (_, services) = texts(step(&plan, "finish.check-front-end-services"));
        assert!(
            services.contains("Get-CsWindowsService -ComputerName $Computer -ExcludeActivityLevel"),
            "{services}"
        );
        // An empty answer fails: no computer, or a computer with no service.
        assert!(services.contains("$computers.Count -eq 0) { throw"), "{services}");
        assert!(services.contains("$script:services.Count -eq 0)"), "{services}");
        // The baseline: the nightly job's own steps into this run's folder, then sealed.
        let folder = "\\\\fs01.contoso.com\\LyncBackup\\baseline\\lyncdr-<at run start>";
        let (export, _) = texts(step(&plan, "finish.baseline.export-cs-configuration"));
        assert!(
            export.contains(&format!(
                "Export-CsConfiguration -FileName '{folder}\\CsConfiguration.zip'"
            )),
            "{runbook}: {export}"
        );
        let (sql, _) = texts(step(&plan, "finish.baseline.backup-rtc"));
        assert!(
            sql.contains(&format!(
                "BACKUP DATABASE [rtc] TO DISK = N'{folder}\\rtc.bak' WITH INIT"
            )),
            "{runbook}: {sql}"
        );
        assert_eq!(
            step(&plan, "finish.seal-baseline")["builtin"]["name"],
            "seal-baseline"
        );
        let (signin, _) = texts(step(&plan, "finish.sign-in-test"));
        assert!(signin.contains("Test-CsRegistration -TargetFqdn"), "{signin}");
    }
    // The pool checked is the one that serves the users afterwards.
    let (_, services) = texts(step(
        &plan_json("cms-move", &[]),
        "finish.check-front-end-services",
    ));
    assert!(
        services.contains("Get-CsComputer -Pool 'pool02.contoso.com'"),
        "{services}"
    );
    let (_, services) = texts(step(
        &plan_json("cms-restore", &[]),
        "finish.check-front-end-services",
    ));
    assert!(
        services.contains("Get-CsComputer -Pool 'pool01.contoso.com'"),
        "{services}"
    );
    // After a CMS move the baseline is the target pool's, of its Back End, with its CMS.
    let plan = plan_json("cms-move", &[]);
    let (sql, _) = texts(step(&plan, "finish.baseline.backup-rtc"));
    let (rgs, _) = texts(step(&plan, "finish.baseline.export-rgs"));
    assert!(rgs.contains("ApplicationServer:pool02.contoso.com"), "{rgs}");
    assert_eq!(
        step(&plan, "finish.baseline.backup-rtc")["sql_server"],
        TARGET_BACKEND,
        "{sql}"
    );
    // Without health monitoring test users there is no synthetic sign-in.
    let plan = plan_json("cms-move", &["--set", "features.health_monitoring=false"]);
    assert_eq!(step(&plan, "finish.sign-in-test")["skipped"], true);
}

fn all_commands(plan: &Value) -> String {
    let mut out = String::new();
    for s in plan["steps"].as_array().expect("steps") {
        for c in s["commands"]
            .as_array()
            .into_iter()
            .flatten()
            .chain(s["verify"].as_object().map(|_| &s["verify"]))
        {
            out.push_str(c["text"].as_str().unwrap_or(""));
            out.push('\n');
        }
    }
    out.to_ascii_lowercase()
}

#[test]
fn every_cmdlet_of_the_source_is_in_the_plan() {
    let expected: [(&str, &[&str]); 4] = [
        (
            "cms-move",
            &[
                "Install-CsDatabase",
                "-CentralManagementDatabase",
                "Move-CsManagementServer",
                "Enable-CsTopology",
                "Get-CsConferenceDirectory",
                "Move-CsConferenceDirectory",
                "Get-CsUser",
                "Move-CsUser",
                "Move-CsApplicationEndpoint",
                "Update-CsUserDatabase",
                "dbimpexp",
                "/import",
                "/restype:all",
                "Get-CsApplicationContact",
                "Import-CsRgsConfiguration",
            ],
        ),
        (
            "cms-restore",
            &[
                "Install-CsDatabase",
                "-CentralManagementDatabase",
                "Set-CsConfigurationStoreLocation",
                "Import-CsConfiguration",
                "Import-CsLisConfiguration",
                "-ConfiguredDatabases",
                "Update-CsUserDatabase",
                "dbimpexp",
                "Get-CsApplicationContact",
                "Import-CsRgsConfiguration",
                "RESTORE DATABASE",
                "SINGLE_USER",
                "WITH REPLACE",
                "db_chaining",
            ],
        ),
        (
            "backend-restore",
            &[
                "Install-CsDatabase",
                "-ConfiguredDatabases",
                "RESTORE DATABASE",
                "WITH REPLACE",
                "Update-CsUserDatabase",
                "dbimpexp",
                "Get-CsApplicationContact",
                "-Delete",
                "Import-CsRgsConfiguration",
                "db_chaining",
            ],
        ),
        (
            "rgs-restore",
            &[
                "Get-CsApplicationContact",
                "urn:application:Rgs",
                "MSRTCSIP-ApplicationOptions=1",
                "-Delete",
                "RgsImportExport.ps1",
                "Import-CsRgsConfiguration",
                "ApplicationServer:",
            ],
        ),
    ];
    for (runbook, names) in expected {
        // Both options, so each branch's commands are rendered (skipped steps keep theirs).
        let text = all_commands(&plan_json(runbook, &["--set", "options.user_data_restore=A"]));
        for name in names {
            assert!(
                text.contains(&name.to_ascii_lowercase()),
                "{runbook}: `{name}` missing from the plan"
            );
        }
    }
}

#[test]
fn configured_databases_take_no_instance_name() {
    for runbook in ["cms-restore", "backend-restore"] {
        let plan = plan_json(runbook, &[]);
        for s in plan["steps"].as_array().expect("steps") {
            for c in s["commands"].as_array().into_iter().flatten() {
                let t = c["text"].as_str().unwrap_or("");
                if t.contains("-ConfiguredDatabases") {
                    assert!(!t.contains("-SqlInstanceName"), "{runbook}: {t}");
                }
            }
        }
    }
}
