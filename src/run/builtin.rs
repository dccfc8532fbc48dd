//! A step lyncdr does itself ([`Builtin`]), in this process: today sealing this run's baseline
//! as a backup set (`crate::backup::seal`, handed over as [`super::RunConfig::seal`]), with the
//! job's key when `--key` gives it.

use super::session::Session;
use crate::render::plan::PlannedBuiltin;
use crate::runbook::Builtin;

impl Session<'_> {
    /// Does `builtin` on the folder the plan names (this run's, decided at its start); its
    /// lines go to the operator. `Err`: why it failed.
    pub(super) fn builtin(&mut self, builtin: &PlannedBuiltin) -> Result<(), String> {
        let folder = &builtin.folder;
        match builtin.name {
            Builtin::SealBaseline => {
                let seal = self.cfg.seal.ok_or("this build of lyncdr cannot seal a set")?;
                let path = crate::fsx::from_windows(folder);
                self.op.show("  --- lyncdr ---\n");
                let whose = (builtin.pool.as_str(), builtin.sql_server.as_str());
                let key = self.cfg.key.as_deref();
                let lines = seal(&path, whose, &self.env, &self.cfg.env, self.lib, key)?;
                for line in &lines {
                    self.op.show(&format!("  {line}\n"));
                }
                Ok(())
            }
        }
    }
}
