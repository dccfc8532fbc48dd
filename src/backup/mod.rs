//! `lyncdr backup`: the nightly job that takes the backups the runbooks need, into a backup set
//! that describes itself (`set`: manifest, `SHA256SUMS`, `COMPLETE`), checked by the audit the
//! recovery trusts (`job`), with retention of older sets (`retention`). The set format is
//! `docs/backup-set.md`.

pub mod job;
pub mod retention;
pub mod set;
