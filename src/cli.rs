//! The command line: clap lives here and nowhere else. Arguments become a [`Command`] with plain
//! configuration structs that the core understands.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

const AFTER_HELP: &str = "\
Exit codes:
  0  success (audit: every runbook ready)
  1  audit: degraded (some option or runbook needs attention)
  2  invalid runbook, environment or value; audit: not ready
  3  usage or I/O error (audit); run: an interrupted step needs a decision
  4  run: a prerequisite is not met and --yes was given

Examples:
  lyncdr list
  lyncdr show backend-restore
  lyncdr plan cms-move --env contoso.yaml
  lyncdr plan backend-restore --env contoso.yaml --set options.user_data_restore=A
  lyncdr validate runbooks/*.yaml contoso.yaml
  lyncdr audit \\\\backup01\\lync --env contoso.yaml";

#[derive(Debug, Parser)]
#[command(
    name = "lyncdr",
    version,
    about = "Disaster-recovery runbooks for Microsoft Lync Server 2010",
    long_about = "lyncdr encodes the Lync Server 2010 recovery procedures (move the CMS, rebuild a \
Back End server with or without the CMS, restore Response Groups) as runbooks, renders every \
command for your deployment from an environment file, and checks prerequisites before each step.",
    after_help = AFTER_HELP
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
    List,
    /// Show a runbook: its inputs, prerequisites and steps
    Show {
        /// Runbook id (see `lyncdr list`)
        runbook: String,
    },
    /// Dry-run: every step in order with its rendered commands, prerequisites and skips
    #[command(after_help = "Example:\n  lyncdr plan cms-move --env runbooks/examples/contoso.yaml")]
    Plan {
        /// Runbook id (see `lyncdr list`)
        runbook: String,
        #[command(flatten)]
        env: EnvArgs,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Check runbook and environment files; every problem with file, line and column
    Validate {
        /// Runbook (.yaml with `steps:`) or environment files (with `lyncdr_env:`); none: the built-in runbooks
        files: Vec<PathBuf>,
    },
    /// Could we recover today? Check the backups in DIR against every runbook and option
    #[command(
        after_help = "Exit codes: 0 ready, 1 degraded, 2 not ready, 3 usage or I/O error.\n\n\
Example:\n  lyncdr audit /mnt/lyncbackup --env contoso.yaml --format json"
    )]
    Audit {
        /// Folder holding the backups
        dir: PathBuf,
        /// Environment file naming the backup files
        #[arg(long, value_name = "FILE")]
        env: Option<PathBuf>,
        /// Output format
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Oldest acceptable backup (e.g. 7d, 36h); default: the environment's backups.max_age, else 7d
        #[arg(long, value_name = "DURATION")]
        max_age: Option<String>,
        /// Skip hashing (no checksum verification)
        #[arg(long)]
        no_hash: bool,
        /// Write SHA256SUMS in DIR so the next audit can detect bit rot or tampering
        #[arg(long)]
        write_sums: bool,
    },
}

#[derive(Debug, Args)]
pub struct EnvArgs {
    /// Environment file describing your deployment
    #[arg(long, value_name = "FILE")]
    pub env: PathBuf,
    /// Override an environment value, e.g. --set options.user_data_restore=A
    #[arg(long = "set", value_name = "KEY=VALUE")]
    pub set: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}
