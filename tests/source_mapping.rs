//! Every lettered step of each source procedure maps to a step, and every cmdlet the source names
//! appears in the rendered plan of the runbook that encodes it.

use crate::builder::{Test, example_env};
use serde_json::Value;

pub fn plan_json(runbook: &str, extra: &[&str]) -> Value {
    let env = example_env();
    let mut args = vec!["plan", runbook, "--env", &env, "--format", "json"];
    args.extend(extra);
    let run = Test::new().args(args).run().success();
    serde_json::from_str(&run.stdout).expect("plan json")
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
    assert_eq!(
        order,
        [
            "rtc.read-rtc-backup-sets",
            "rtc.stop-front-end-services",
            "rtc.restore-rtc-sql",
            "rtc.enable-db-chaining",
            "rtc.start-front-end-services",
        ],
        "{all:?}"
    );
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
    assert_eq!(
        ids,
        [
            "get-rgs-scripts",
            "list-rgs-contacts",
            "review-rgs-contacts",
            "delete-rgs-contacts",
            "import-rgs-configuration"
        ]
    );
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
