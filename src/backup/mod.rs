//! `lyncdr backup`: the nightly job that takes the backups the runbooks need, into a backup set
//! that describes itself (`set`: manifest, `SHA256SUMS`, `COMPLETE`), checked by the audit the
//! recovery trusts (`job`), with retention of older sets (`retention`). The set format is
//! `docs/backup-set.md`.
//!
//! The job's steps are the `backup` runbook (runbooks/backup.yaml), rendered like any other plan,
//! so lyncdr's own job and the PowerShell script folder run the same commands. [`task`] writes
//! the Task Scheduler definition that runs either one every night; [`script`] writes the job as
//! a Windows PowerShell 2.0 script folder for servers where lyncdr cannot run.

pub mod job;
pub mod lock;
pub mod retention;
pub mod script;
pub mod seal;
pub mod set;
pub mod signing;
pub mod task;
