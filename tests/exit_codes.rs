//! The exit codes: one table (`lyncdr::front::exit::TABLE`), printed by `--help` and repeated in README.

use crate::builder::{Test, repo};

#[test]
fn help_and_readme_list_every_exit_code_as_the_table_says() {
    let help = Test::new().args(["--help"]).run().success().stdout;
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    let section = readme
        .split("### Exit codes")
        .nth(1)
        .and_then(|s| s.split("\n## ").next())
        .expect("README has an Exit codes section");
    let rows: Vec<(u8, String)> = section
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let code = cells.get(1)?.parse().ok()?;
            Some((code, cells.get(2)?.replace('`', "")))
        })
        .collect();
    let table: Vec<(u8, String)> = lyncdr::front::exit::TABLE
        .iter()
        .map(|(c, m)| (*c, (*m).to_owned()))
        .collect();
    assert_eq!(rows, table, "README's exit codes differ from lyncdr::front::exit::TABLE");
    // clap wraps long lines to the terminal's width: compare with whitespace collapsed.
    let flat = help.split_whitespace().collect::<Vec<_>>().join(" ");
    for (code, meaning) in lyncdr::front::exit::TABLE {
        let meaning = meaning.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(
            flat.contains(&format!("{code} {meaning}")),
            "--help lacks exit code {code}:\n{help}"
        );
    }
}
