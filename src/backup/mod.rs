//! `lyncdr backup`: the job that takes the backup sets the runbooks need (docs/backup-set.md).
//!
//! The job's steps are the `backup` runbook (runbooks/backup.yaml), rendered like any other plan,
//! so lyncdr's own job and the PowerShell script folder run the same commands. [`task`] writes
//! the Task Scheduler definition that runs either one every night; [`script`] writes the job as
//! a Windows PowerShell 2.0 script folder for servers where lyncdr cannot run.

pub mod script;
pub mod set;
pub mod task;

/// The runbook whose steps are the backup job.
pub const RUNBOOK: &str = "backup";
