//! The command line: clap lives here and nowhere else. Arguments become a [`Command`] with plain
//! configuration structs that the core understands.

use crate::front::json::Output;
use clap::{Args, CommandFactory as _, FromArgMatches as _, Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::path::PathBuf;

/// Parse the command line, and say how the command prints: its name as typed (the JSON
/// envelope's `command`) and its `--format`, from the same matches.
pub fn parse(args: &[OsString]) -> Result<(Cli, Output), clap::Error> {
    let matches = Cli::command().try_get_matches_from(args)?;
    let cli = Cli::from_arg_matches(&matches)?;
    let (command, format) = match matches.subcommand() {
        Some((name, sub)) => (name, format_of(sub)),
        None => ("", Format::Text),
    };
    let output = Output {
        command: command.to_owned(),
        json: format == Format::Json,
        typed: crate::front::typed::Typed::new(args),
    };
    Ok((cli, output))
}

fn format_of(sub: &clap::ArgMatches) -> Format {
    sub.try_get_one::<Format>("format")
        .ok()
        .flatten()
        .copied()
        .unwrap_or(Format::Text)
}

/// For a command line clap refused: the command named in it, when that command takes
/// `--format` and `--format json` (or `--format=json`) is in it, so the refusal is printed as
/// JSON too.
pub fn json_requested(args: &[OsString]) -> Option<Output> {
    let words: Vec<&str> = args.iter().skip(1).filter_map(|a| a.to_str()).collect();
    let json =
        words.windows(2).any(|w| w[0] == "--format" && w[1] == "json") || words.contains(&"--format=json");
    let cmd = Cli::command();
    let sub = words
        .iter()
        .find_map(|w| cmd.find_subcommand(w))
        .filter(|sub| sub.get_arguments().any(|a| a.get_id() == "format"))?;
    json.then(|| Output {
        command: sub.get_name().to_owned(),
        json: true,
        typed: crate::front::typed::Typed::new(args),
    })
}

/// `--help`'s closing text: the exit codes (from [`crate::front::exit::TABLE`]) and examples.
fn after_help() -> String {
    let mut out = String::from("Exit codes:\n");
    for (code, meaning) in crate::front::exit::TABLE {
        out.push_str(&format!("  {code:<3}  {meaning}\n"));
    }
    out.push('\n');
    out.push_str(EXAMPLES);
    out
}

/// The rows of [`crate::front::exit::TABLE`] for `codes`, as an `Exit codes:` list: a
/// subcommand's `--help` names its codes only through this, so they never differ from the table.
fn exit_codes(codes: &[u8]) -> String {
    let mut out = String::from("Exit codes:\n");
    for (code, meaning) in crate::front::exit::TABLE
        .iter()
        .filter(|(c, _)| codes.contains(c))
    {
        out.push_str(&format!("  {code:<3}  {meaning}\n"));
    }
    out
}

fn audit_help() -> String {
    use crate::front::exit::*;
    format!(
        "{}\nExample:\n  lyncdr audit /mnt/lyncbackup --env contoso.yaml --format json",
        exit_codes(&[
            SUCCESS,
            DEGRADED,
            NOT_READY,
            USAGE,
            INVALID,
            NO_INPUT,
            CANNOT_WRITE
        ])
    )
}

fn backup_help() -> String {
    use crate::front::exit::*;
    format!(
        "{BACKUP_HELP}\n\n{}",
        exit_codes(&[
            SUCCESS,
            DEGRADED,
            NOT_READY,
            USAGE,
            INVALID,
            CANNOT_WRITE,
            INTERRUPTED
        ])
    )
}

fn run_help() -> String {
    use crate::front::exit::*;
    format!(
        "{RUN_HELP}\n\n{}",
        exit_codes(&[
            SUCCESS,
            DECISION,
            PREREQUISITE,
            FAILED,
            NEEDS_CONSOLE,
            USAGE,
            INVALID,
            NO_INPUT,
            CANNOT_WRITE,
            BUSY,
            INTERRUPTED
        ])
    )
}

const EXAMPLES: &str = "\
Examples:
  lyncdr example-env > contoso.yaml
  lyncdr list
  lyncdr show backend-restore
  lyncdr plan cms-move --env contoso.yaml
  lyncdr plan backend-restore --env contoso.yaml --set options.user_data_restore=A
  lyncdr validate runbooks/*.yaml contoso.yaml
  lyncdr run backend-restore --env contoso.yaml --backups /mnt/lyncbackup --evidence 30024.xml
  lyncdr status --env contoso.yaml
  lyncdr bundle cms-move --env contoso.yaml --out cms-move-bundle --zip --backups /mnt/lyncbackup
  lyncdr audit \\\\backup01\\lync --env contoso.yaml
  lyncdr backup --env contoso.yaml --to \\\\fs01\\LyncBackup";

/// The completion script for `shell`, generated from the command line's definition.
pub fn completions(shell: clap_complete::Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(
        shell,
        &mut <Cli as clap::CommandFactory>::command(),
        "lyncdr",
        &mut out,
    );
    out
}

/// The manual page (roff), generated from the command line's definition and its `--help`.
pub fn man_page() -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    clap_mangen::Man::new(<Cli as clap::CommandFactory>::command()).render(&mut out)?;
    Ok(out)
}

#[derive(Debug, Parser)]
#[command(
    name = "lyncdr",
    version,
    about = "Disaster-recovery runbooks for Microsoft Lync Server 2010",
    long_about = "lyncdr encodes the Lync Server 2010 recovery procedures (move the CMS, rebuild a \
Back End server with or without the CMS, restore Response Groups) as runbooks, renders every \
command for your deployment from an environment file, and checks prerequisites before each step.",
    after_help = after_help()
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Read runbooks from DIR instead of the ones built into lyncdr
    #[arg(long, global = true, value_name = "DIR")]
    pub runbooks: Option<PathBuf>,
    /// Read templates from DIR instead of the ones built into lyncdr
    #[arg(long, global = true, value_name = "DIR")]
    pub templates: Option<PathBuf>,
    /// More output (-v: info, -vv: debug)
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// List the runbooks with their titles
    List {
        #[command(flatten)]
        format: FormatArg,
    },
    /// Print a completion script for SHELL (e.g. lyncdr completions bash > /etc/bash_completion.d/lyncdr; PowerShell: lyncdr completions powershell >> $PROFILE)
    Completions {
        /// bash, zsh, fish, powershell (or elvish)
        shell: clap_complete::Shell,
    },
    /// Print the manual page, in roff (e.g. lyncdr man > /usr/local/share/man/man1/lyncdr.1)
    Man,
    /// Print the example environment file, to copy and edit for your deployment (lyncdr example-env > env.yaml)
    ExampleEnv,
    /// Show a runbook: its inputs, prerequisites and steps
    Show {
        /// Runbook id (see `lyncdr list`)
        runbook: String,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Dry-run: every step in order with its rendered commands, prerequisites and skips
    #[command(
        after_help = "Example:\n  lyncdr example-env > contoso.yaml\n  lyncdr plan cms-move --env contoso.yaml"
    )]
    Plan {
        /// Runbook id (see `lyncdr list`)
        runbook: String,
        #[command(flatten)]
        env: EnvArgs,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Check runbook and environment files; every problem with file, line and column
    Validate {
        /// Runbook (.yaml with `steps:`) or environment files (with `lyncdr_env:`); none: the built-in runbooks
        files: Vec<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Guided recovery: step by step, prerequisites checked, progress checkpointed
    #[command(after_help = run_help())]
    Run(RunArgs),
    /// The steps of a run and their status, from its state file (every run found, by default)
    Status {
        /// State file of the run (default: the runs in .lyncdr/ beside --env FILE, else here)
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Environment file whose runs to show (their state is in .lyncdr/ beside it)
        #[arg(long, value_name = "FILE")]
        env: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// After-action report of a run, in Markdown
    Report {
        /// Runbook id of the run, to choose among the runs beside --env FILE (or here)
        runbook: Option<String>,
        /// State file of the run (default: the only one in .lyncdr/ beside --env FILE, else here)
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Environment file of the run (its state is in .lyncdr/ beside it)
        #[arg(long, value_name = "FILE")]
        env: Option<PathBuf>,
    },
    /// Decide about a step: it took effect (--done), must run again (--retry), or take another option (--rechoose)
    #[command(group(clap::ArgGroup::new("how").required(true)))]
    #[command(
        after_help = "Examples:\n  lyncdr resolve delete-rgs-contacts --done --state .lyncdr/rgs-restore.json\n  lyncdr resolve import-rgs-configuration --done --reason \"ran it by hand; Get-CsRgsWorkflow lists the workflows\" --env contoso.yaml\n  lyncdr resolve restore-user-data --rechoose --env contoso.yaml"
    )]
    Resolve {
        /// Step id (as `lyncdr status` shows it)
        step: String,
        /// The step took effect: record it done
        #[arg(long, group = "how")]
        done: bool,
        /// The step did not take effect: run it again on the next `lyncdr run`
        #[arg(long, group = "how")]
        retry: bool,
        /// A choice step: withdraw the option taken (allowed while none of its steps has started); the next run asks again
        #[arg(long, group = "how")]
        rechoose: bool,
        /// Why it took effect (with --done; needed after a failure or a failed check): recorded in the state and the report
        #[arg(long, value_name = "TEXT", conflicts_with_all = ["retry", "rechoose"])]
        reason: Option<String>,
        /// State file of the run (default: the only one in .lyncdr/ beside --env FILE, else here)
        #[arg(long, value_name = "FILE")]
        state: Option<PathBuf>,
        /// Environment file of the run (its state is in .lyncdr/ beside it)
        #[arg(long, value_name = "FILE")]
        env: Option<PathBuf>,
        /// Who decides (default: LYNCDR_OPERATOR, USER or USERNAME)
        #[arg(long)]
        operator: Option<String>,
    },
    /// Write reviewed PowerShell scripts that recover the deployment without lyncdr
    Bundle {
        /// Runbook id (see `lyncdr list`)
        runbook: String,
        #[command(flatten)]
        env: EnvArgs,
        /// Folder to write the bundle to (must be empty, new, or an earlier bundle)
        #[arg(long, value_name = "DIR")]
        out: PathBuf,
        /// Also write DIR.zip
        #[arg(long)]
        zip: bool,
        /// Local folder standing for the backup location: check there, as lyncdr audit does, every
        /// backup the bundle needs (looked up by file name), and pin each file the driver reads by
        /// its size and SHA-256
        #[arg(long, value_name = "DIR")]
        backups: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
    },
    /// Could we recover today? Check the backups in DIR against every runbook and option
    #[command(after_help = audit_help())]
    Audit {
        /// Folder holding the backups
        dir: PathBuf,
        /// Environment file naming the backup files
        #[arg(long, value_name = "FILE")]
        env: Option<PathBuf>,
        #[command(flatten)]
        format: FormatArg,
        /// Oldest acceptable backup (e.g. 7d, 36h); default: the environment's backups.max_age, else 7d
        #[arg(long, value_name = "DURATION")]
        max_age: Option<String>,
        /// Skip hashing (no checksum verification)
        #[arg(long)]
        no_hash: bool,
        /// Write SHA256SUMS in DIR so the next audit can detect bit rot or tampering
        #[arg(long)]
        write_sums: bool,
        /// DIR is a folder of backup sets: list every set with its verdict (default: audit the newest complete one)
        #[arg(long)]
        all: bool,
    },
    /// Take one backup set into a new dated folder under --to DIR and audit it; or write the job as a scheduled task (--task) or a PowerShell 2.0 script folder (--script)
    #[command(after_help = backup_help())]
    Backup(Box<BackupArgs>),
}

const BACKUP_HELP: &str = "\
Runs the `backup` runbook's steps unattended on a Front End server (Lync Server Management
Shell, RTCUniversalServerAdmins, SQL Server sysadmin or db_backupoperator on the instances;
RgsImportExport.ps1 from the Resource Kit in scripts.folder), each through the same runner as
`lyncdr run`: exports, DBImpExp, robocopy of the File Store, BACKUP DATABASE ... WITH INIT,
CHECKSUM through sqlcmd. A failed step is recorded and the others still run. Then the set's
manifest.json, SHA256SUMS and COMPLETE (last, atomically; only when every step succeeded), the
audit of the set, one line in the Application event log (eventcreate, source lyncdr) or in
--log FILE, and retention (backups.keep_sets, backups.keep_days).

--new-key FILE makes the deployment's set signing key (Ed25519) on the Front End, as the job's
account: FILE is readable only by that account (Unix: mode 0600; Windows: sealed with DPAPI).
Put the printed backups.signing_key line in the environment file and run the job with --key
FILE: audit, retention and --backup-set then take only sets that verify.

DIR must be a share the SQL Server service account can write (\\\\server\\share): it writes
the .bak files.

--task FILE writes a Task Scheduler definition (schema 1.2, UTF-16) that runs the job every day at
--at as --user, whether the user is logged on or not, with the highest privileges the account has,
and prints the schtasks line that registers it (schtasks asks for the password). Nothing is
registered or changed on this machine.

--baseline takes the set a recovery ends with into DIR\\baseline: the same format and signature,
never counted or deleted by the nightly retention.

--seal SET seals a baseline folder that finish wrote (DIR\\baseline\\lyncdr-YYYYMMDD-HHMMSSZ) as a
set: lyncdr run does it as finish's seal-baseline step; a bundle leaves it to this command.

--script DIR writes the same job as a Windows PowerShell 2.0 script folder (Backup-Lync.ps1,
README.txt, SHA256SUMS) for servers where lyncdr cannot run. Both together: the task runs the
script, from where --script-on-server says the folder is on the server.

Examples:
  lyncdr backup --env contoso.yaml --to \\\\fs01.contoso.com\\LyncBackup
  lyncdr backup --env contoso.yaml --to \\\\fs01\\Backup --task t.xml --user CONTOSO\\svc
  lyncdr backup --env contoso.yaml --to \\\\fs01\\Backup --script job
  lyncdr backup --env contoso.yaml --to \\\\fs01\\Backup --script job --task job.xml
    --user CONTOSO\\svc --script-on-server C:\\lyncdr\\job";

#[derive(Debug, Args)]
pub struct BackupArgs {
    /// Environment file describing your deployment
    #[arg(long, value_name = "FILE")]
    pub env: PathBuf,
    /// Override an environment value
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Folder of backup sets: each run writes a new lyncdr-YYYYMMDD-HHMMSSZ folder in it
    #[arg(long, value_name = "DIR")]
    pub to: Option<PathBuf>,
    /// Program that runs PowerShell steps
    #[arg(long, value_name = "PROGRAM", default_value = "powershell.exe")]
    pub powershell: String,
    /// Program that runs T-SQL steps
    #[arg(long, value_name = "PROGRAM", default_value = "sqlcmd")]
    pub sqlcmd: String,
    /// Time limit for one command (e.g. 30m, 4h)
    #[arg(long, value_name = "DURATION", default_value = "4h")]
    pub step_timeout: String,
    /// The Front End's console (OEM) code page, for output that is not UTF-8 [default: the
    /// console's code page on Windows (`chcp` shows it), 437 elsewhere]
    #[arg(long, value_name = "N")]
    pub codepage: Option<String>,
    /// Append the verdict line to FILE (besides the event log on Windows)
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Write the verdict line to the Application event log (default on Windows only)
    #[arg(long)]
    pub event_log: bool,
    /// Sign the set with the secret key in FILE (made by --new-key; the environment's backups.signing_key is its public key)
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Make a new set signing key in FILE, readable only by this account, and print the backups.signing_key line for the environment
    #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "task", "script"])]
    pub new_key: Option<PathBuf>,
    /// Take the baseline a recovery ends with: the set goes into DIR\baseline, where retention never counts or deletes it
    #[arg(long, conflicts_with_all = ["task", "script"])]
    pub baseline: bool,
    /// Seal the baseline folder SET that finish wrote (from a bundle) as a backup set: manifest, SHA256SUMS, COMPLETE, and the signature with --key
    #[arg(long, value_name = "SET", conflicts_with_all = ["task", "script", "baseline", "new_key", "to"])]
    pub seal: Option<PathBuf>,
    /// With --seal: the pool the baseline was taken of (a bundle's seal step prints it) [default: pools.failed]
    #[arg(long, value_name = "FQDN", requires = "seal")]
    pub pool: Option<String>,
    /// With --seal: that pool's Back End, FQDN\INSTANCE [default: sql.backend.server]
    #[arg(long, value_name = "FQDN\\INSTANCE", requires = "seal")]
    pub sql_server: Option<String>,
    /// Write a Task Scheduler definition of the job to FILE and print the schtasks line that registers it
    #[arg(long, value_name = "FILE")]
    pub task: Option<PathBuf>,
    /// Write the job as a PowerShell 2.0 script folder DIR
    #[arg(long, value_name = "DIR")]
    pub script: Option<PathBuf>,
    /// Time of the daily run (server's local time), HH:MM
    #[arg(long, value_name = "HH:MM", default_value = "02:00")]
    pub at: String,
    /// Account the task runs as, DOMAIN\account (its password is asked by schtasks, never stored by lyncdr)
    #[arg(long, value_name = "ACCOUNT")]
    pub user: Option<String>,
    /// Name of the scheduled task [default: the environment's backups.task_name, else lyncdr-backup]
    #[arg(long, value_name = "NAME")]
    pub task_name: Option<String>,
    /// Path of lyncdr.exe on the server (default: this program, when it runs on Windows)
    #[arg(long, value_name = "PATH")]
    pub exe: Option<String>,
    /// Accept an --exe on a network share: the task then runs, with the highest privileges of its account, whatever anyone who can write to that share puts there
    #[arg(long)]
    pub exe_on_share: bool,
    /// Path of the environment file on the server (default: --env, when lyncdr runs on Windows)
    #[arg(long, value_name = "PATH")]
    pub env_on_server: Option<String>,
    /// Where the --script folder will be on the server (with --script and --task)
    #[arg(long, value_name = "DIR")]
    pub script_on_server: Option<String>,
    #[command(flatten)]
    pub format: FormatArg,
}

const RUN_HELP: &str = "\
Every step is shown with its explanation, warnings and copy-ready commands. Run it from here, or
run it by hand and mark it done; either way it is done only when its read-only check passes (a
check of the server being rebuilt is shown for you to run there and confirm).

What lyncdr starts (on a Front End server, in a Windows PowerShell 2.0 shell or later):
  PowerShell steps and checks: --powershell PROGRAM -NoProfile -NonInteractive -ExecutionPolicy
    Bypass -File SCRIPT, where SCRIPT wraps the step: $ErrorActionPreference = 'Stop',
    Import-Module Lync when its cmdlets are missing, exit code 1 and the error text on any error.
  Steps marked interactive (Move-CsUser, Set-CsConfigurationStoreLocation, the RGS contact
    deletion) ask their own questions: they run without -NonInteractive on this terminal, and a
    transcript keeps what they printed. Without a terminal (--yes in a script) such a step is
    not started (exit code 6, below).
  T-SQL steps: --sqlcmd PROGRAM -S server\\instance -E -b -x -i SCRIPT.
  Output that is not UTF-8 is read in the console code page (--codepage; default: the console's on Windows, 437 elsewhere).

Progress is checkpointed in the state file (default .lyncdr/RUNBOOK.json beside the environment
file) after every change: run the same command again to resume. A step that may have run is never
re-run without a decision (`lyncdr resolve`). Ctrl-C at any moment saves the state and exits 130,
also inside a step that asks questions. After a failure every menu's default is to stop; marking
a failed step done, or overriding a failed check, asks you to type why (it goes into the report).

--yes on a Front End (PowerShell here) RUNS EVERY STEP FOR REAL, answering every confirmation
yes. Where no PowerShell runs (--powershell not found) --yes is a rehearsal: nothing runs, every
step is recorded as rehearsed, in a state file of its own (.lyncdr/RUNBOOK.rehearsal.json).

Prerequisites: backups are looked for by file name in --backups DIR (a local copy of the backup
folder); event 30024 (User Replicator finished its sync) in an export of the Lync Server log given
with --evidence (wevtutil epl \"Lync Server\" f.evtx, or wevtutil qe ... /f:xml).

finish (every recovery ends with it) takes a new baseline with the nightly job's own steps into
backups.folder\\baseline\\lyncdr-YYYYMMDD-HHMMSSZ (named after the run's start) and lyncdr seals
it as a backup set: manifest.json, SHA256SUMS, COMPLETE and, with --key FILE (the job's key, as
the job's account), its signature. Without --key the baseline is sealed unsigned: audit and
--backup-set say it is unauthenticated.

Examples:
  lyncdr run backend-restore --env contoso.yaml --backups /mnt/backup --evidence 30024.xml
  lyncdr run backend-restore --env contoso.yaml --dry-run
  lyncdr run rgs-restore --env contoso.yaml --yes --powershell pwsh --backups ./backups";

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Runbook id (see `lyncdr list`)
    pub runbook: String,
    #[command(flatten)]
    pub env: EnvArgs,
    /// State file (default: .lyncdr/RUNBOOK.json beside the environment file)
    #[arg(long, value_name = "FILE")]
    pub state: Option<PathBuf>,
    /// Walk the whole flow and check prerequisites, but run nothing and write no checkpoint
    #[arg(long)]
    pub dry_run: bool,
    /// Answer every confirmation yes and every choice from the environment; runs every step for real where PowerShell is (a rehearsal where it is not)
    #[arg(long)]
    pub yes: bool,
    /// Resume even though the runbook or environment changed since the checkpoint
    #[arg(long)]
    pub accept_changes: bool,
    /// Who is running the recovery (default: LYNCDR_OPERATOR, USER or USERNAME)
    #[arg(long)]
    pub operator: Option<String>,
    /// Program that runs PowerShell steps
    #[arg(long, value_name = "PROGRAM", default_value = "powershell.exe")]
    pub powershell: String,
    /// Program that runs T-SQL steps
    #[arg(long, value_name = "PROGRAM", default_value = "sqlcmd")]
    pub sqlcmd: String,
    /// Local folder standing for the backup location (backups looked up by file name)
    #[arg(long, value_name = "DIR")]
    pub backups: Option<PathBuf>,
    /// Exported event log (.evtx or wevtutil XML) proving event 30024; repeatable
    #[arg(long, value_name = "FILE")]
    pub evidence: Vec<PathBuf>,
    /// Sign the baseline finish seals with the backup job's secret key in FILE (lyncdr backup --new-key)
    #[arg(long, value_name = "FILE")]
    pub key: Option<PathBuf>,
    /// Time limit for one command (e.g. 30m, 4h)
    #[arg(long, value_name = "DURATION", default_value = "4h")]
    pub step_timeout: String,
    /// The Front End's console (OEM) code page, for output that is not UTF-8 [default: the
    /// console's code page on Windows (`chcp` shows it), 437 elsewhere]
    #[arg(long, value_name = "N")]
    pub codepage: Option<String>,
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Environment file describing your deployment
    #[arg(long, value_name = "FILE")]
    pub env: PathBuf,
    /// Override an environment value, e.g. --set options.user_data_restore=A
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
    /// Folder of backup sets (`lyncdr backup --to`): take every backup path from its newest complete set
    #[arg(long, value_name = "DIR")]
    pub backup_set: Option<PathBuf>,
}

/// `--format text|json`, one definition for every command that prints for scripts too. The
/// commands read it through [`Output`] (see [`parse`]): the front end needs it for errors too,
/// before and after the command runs.
#[derive(Debug, Args)]
pub struct FormatArg {
    /// Output format: text, or json (one envelope with format_version; README, "For scripts")
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}
