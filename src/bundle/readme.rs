//! `README.txt`: how to run the bundle, the run order with what each script does, how to resume,
//! and the steps left out as not applicable. Plain text for Notepad (CRLF, wrapped at 100).

use super::outline::{Entry, Outline};
use super::script::place;
use super::text::wrap;
use crate::runbook::PrereqKind;

const WIDTH: usize = 100;

struct Doc(String);

impl Doc {
    fn line(&mut self, text: impl AsRef<str>) {
        self.0.push_str(text.as_ref());
        self.0.push('\n');
    }

    fn blank(&mut self) {
        self.0.push('\n');
    }

    fn heading(&mut self, title: &str) {
        self.blank();
        self.line(title);
        self.line("-".repeat(title.len()));
    }

    /// `text` wrapped, the first line after `first`, the others indented like it.
    fn para(&mut self, first: &str, text: &str) {
        let indent = " ".repeat(first.len());
        for (i, line) in wrap(text, WIDTH - first.len()).iter().enumerate() {
            self.line(format!("{}{line}", if i == 0 { first } else { &indent }).trim_end());
        }
    }
}

pub fn render(outline: &Outline) -> String {
    let plan = outline.plan;
    let mut d = Doc(String::new());
    let title = wrap(&plan.title, WIDTH).join(" ");
    d.line(&title);
    d.line("=".repeat(title.len().min(WIDTH)));
    d.para(
        "",
        &format!(
            "lyncdr bundle (format {}) of runbook {}, for environment {}.",
            super::FORMAT_VERSION,
            plan.runbook,
            plan.environment
        ),
    );
    if let Some(deployment) = &plan.deployment {
        d.para("Deployment: ", deployment);
    }
    d.para("Source procedure: ", &plan.source);
    d.blank();
    d.para("", &plan.summary);

    d.heading("HOW TO RUN");
    d.para("1. ", "Copy this whole folder to a Front End server of the pool. The scripts are checked against SHA256SUMS as a set, so copy all of them.");
    d.para("2. ", "Open the Lync Server Management Shell as a member of RTCUniversalServerAdmins and change to this folder.");
    d.para("3. ", "Review what would happen: .\\Invoke-Recovery.ps1 -WhatIf");
    d.para("4. ", "Run it: .\\Invoke-Recovery.ps1");
    d.para("   ", "If the execution policy refuses the scripts, start it as: powershell.exe -ExecutionPolicy Bypass -File .\\Invoke-Recovery.ps1 (files unpacked from a zip that came from the Internet may also need Unblock in each file's Properties).");
    d.blank();
    d.para("", "Invoke-Recovery.ps1 first shows the SHA-256 of SHA256SUMS and asks you to confirm it is the one lyncdr bundle printed (see CHECKING THE BUNDLE), then checks every file against SHA256SUMS and refuses to run a changed bundle or one whose folder holds anything SHA256SUMS does not list, whatever its kind. Right before each step it checks that step's files again and runs the checked copy, from a new folder outside this one. Before each step it checks that step's prerequisites (backup files present, not empty and not older than backups.max_age; event 30024 from the LS User Replicator; your confirmations). Manual steps show what to do and wait for you to type yes. Steps that run on the server being rebuilt are run there by hand: copy the folder there and run the step's script, and Invoke-Recovery.ps1 asks you to confirm. Everything it prints goes to a transcript, Invoke-Recovery-<date>-<time>.log. Each step script also runs alone, with or without -WhatIf.");
    d.blank();
    d.para(
        "",
        &format!(
            "Backups older than {} ({}) are shown with a warning and need your confirmation.",
            outline.max_age.text,
            if outline.max_age.from_env {
                "backups.max_age in the environment file"
            } else {
                "lyncdr's default; backups.max_age is not set"
            }
        ),
    );
    d.blank();
    match &outline.audited {
        None => d.para("", "The backups were not checked when this bundle was made (lyncdr bundle without --backups): Invoke-Recovery.ps1 says so once, and checks only that each is present, not empty and not too old. lyncdr audit checks that they are sound."),
        Some(audited) => {
            d.para("", "The backups were checked as lyncdr audit does when this bundle was made (lyncdr bundle --backups). Before a step that needs one of the files below, Invoke-Recovery.ps1 checks that the file at its path is that same file (size, then SHA-256) and stops if not. The SQL Server backup, which SQL Server reads on the Back End, and the File Store folder keep the checks above.");
            for a in audited {
                let pin = a.pinned.as_ref().map_or_else(
                    || "checked, not pinned".to_owned(),
                    |p| format!("{} bytes, SHA-256 {}", p.size, p.sha256),
                );
                d.para("  ", &format!("{}: {} ({pin})", a.kind.env_key(), a.path));
            }
        }
    }

    if !outline.choices.is_empty() {
        d.heading("OPTIONS");
        for c in &outline.choices {
            let default = c
                .default
                .as_deref()
                .map(|o| format!(" The environment file chose {o}."))
                .unwrap_or_default();
            d.para(
                "",
                &format!("-{} ({}: {}).{default}", c.parameter, c.key, c.title),
            );
            for o in &c.options {
                d.para(&format!("  {}: ", o.id), &o.title);
                d.para("     ", &o.tradeoffs);
            }
            d.para("", &format!("Without -{}, Invoke-Recovery.ps1 asks once, with the environment file's choice as the default, and records the answer in the checkpoint. It runs only the chosen option's steps; the scripts of the other options are here for review.", c.parameter));
        }
    }

    d.heading("CHECKING THE BUNDLE");
    d.para("", "Anyone who can write to this folder can change a script and write a SHA256SUMS that matches it. What ties the folder to the bundle that was reviewed is the SHA-256 of SHA256SUMS, which lyncdr bundle printed when it wrote it: keep that value outside this folder (in the change record), and compare it with the one Invoke-Recovery.ps1 shows, or give it as -ExpectedSums HEX and the script compares it.");
    d.para("", "To compute it yourself: CertUtil -hashfile SHA256SUMS SHA256 (the algorithm argument works from Windows 8 / Windows Server 2012; whether certutil on Windows Server 2008 R2 takes it is unconfirmed), sha256sum SHA256SUMS on Linux, or in PowerShell 2.0 in this folder (not tested by lyncdr on 2008 R2):");
    d.line("    $s = [IO.File]::OpenRead(\"$PWD\\SHA256SUMS\"); -join ((New-Object Security.Cryptography.SHA256Managed).ComputeHash($s) | ForEach-Object { $_.ToString('x2') }); $s.Close()");
    d.para("", "Keep nothing else in this folder: a file SHA256SUMS does not list (a .bat, .dll, .psm1, a log) is refused. Tools such as sqlcmd.exe and DBImpExp.exe are started from the Windows system folder, never from this one.");

    d.heading("RESUMING");
    d.para("", &format!("{} (in lyncdr\\<SHA-256 of SHA256SUMS> in your local application data folder, %LOCALAPPDATA%, or in -StateFolder, never in this folder) records when each step starts and finishes. After a failure or an interruption, fix the cause and run Invoke-Recovery.ps1 again: it shows the steps and options the checkpoint records and asks you once to confirm them, then skips the finished steps and resumes at the first unfinished one. An event prerequisite never counts an event from before the recovery started, whatever the checkpoint records. A step that was interrupted and is not safe to run twice is not run again without asking you.", super::CHECKPOINT));
    d.para(
        "  -From STEP  ",
        "run STEP and every later step, even those recorded as done",
    );
    d.para("  -Only STEP  ", "run only STEP");
    d.para("", "STEP is a step's id, number or file name from the list below. To start over, rename the checkpoint file (keep it as a record of what was done).");

    if !outline.prerequisites.is_empty() {
        d.heading("BEFORE THE FIRST STEP");
        for p in &outline.prerequisites {
            d.para("  - ", &prereq_text(p));
        }
    }

    d.heading("STEPS, IN RUN ORDER");
    for e in &outline.steps {
        step(&mut d, e);
    }

    if !outline.omitted.is_empty() {
        d.heading("NOT APPLICABLE (left out of this bundle)");
        let width = plan.steps.len().to_string().len().max(2);
        for o in &outline.omitted {
            d.para(
                &format!("{:0width$}  ", o.number),
                &format!("{} ({}): {}", o.title, o.id, o.reason),
            );
        }
    }

    d.heading("FILES");
    d.para("", "SHA256SUMS holds the SHA-256 of every other file, in the format of sha256sum: on Linux, sha256sum -c SHA256SUMS checks them. Compare the SHA-256 of SHA256SUMS itself with the one lyncdr printed when it wrote the bundle.");
    d.para("", ".gitattributes stops git from changing the line endings, which would break the sums, when the bundle is kept in version control.");
    d.para("", "Text files are ASCII with Windows (CRLF) line endings; a file that must hold other characters is UTF-8 with a byte order mark, which Windows PowerShell 2.0 needs to read it right.");
    d.0
}

fn prereq_text(p: &super::outline::Prereq) -> String {
    let mut text = p.description.clone();
    if let (PrereqKind::Backup { .. }, Some(path)) = (&p.kind, &p.path) {
        text.push_str(&format!(": {path}"));
    }
    for t in &p.when {
        text.push_str(&format!(" ({})", t.describe()));
    }
    text
}

fn step(d: &mut Doc, e: &Entry) {
    let s = e.step;
    d.blank();
    d.para(&format!("{}  ", e.number), &format!("{} ({})", e.heading(), s.id));
    let indent = " ".repeat(e.number.len() + 2);
    let mut files: Vec<String> = e.script().into_iter().collect();
    files.extend(e.side_files.iter().map(|f| f.name.clone()));
    match s.kind {
        crate::render::plan::Kind::Section => d.para(&indent, "The steps below come from another runbook."),
        crate::render::plan::Kind::Choice => d.para(
            &indent,
            "Choose an option (see OPTIONS): only the chosen option's steps run.",
        ),
        crate::render::plan::Kind::Action => {
            d.para(&format!("{indent}Files: "), &files.join(", "));
        }
    }
    if matches!(s.kind, crate::render::plan::Kind::Action) {
        d.para(&format!("{indent}Runs on: "), &place(e));
        if s.by_hand_without_lyncdr() {
            d.para(
                &indent,
                "Manual: done by hand; the script shows what to do and asks you to confirm.",
            );
        }
    }
    for t in &e.when {
        d.para(&indent, &format!("Runs {}.", t.describe()));
    }
    for p in &e.prerequisites {
        d.para(&format!("{indent}Requires: "), &prereq_text(p));
    }
    for w in &s.warnings {
        d.para(&format!("{indent}WARNING: "), w);
    }
    if !s.explanation.is_empty() {
        d.para(&indent, &s.explanation);
    }
}
