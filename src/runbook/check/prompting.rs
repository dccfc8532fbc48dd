//! Commands that ask the operator a question (`Move-CsUser`, ...) must run with the console.

use super::Checker;
use crate::cmdlets;
use crate::diagnostic::Diagnostic;
use crate::runbook::{Command, Language, Step};

impl Checker<'_> {
    /// A command that asks the operator a question cannot run under `powershell.exe
    /// -NonInteractive`: its step must take the console, and a `verify` check must never ask.
    /// Inline commands and template files alike are read from the text they were compiled from.
    /// `id` is the step's id as written (without include prefixes), as other messages name it.
    pub(super) fn prompting(&mut self, id: &str, step: &Step, cmd: &Command, verify: bool) {
        // An alternative is shown for the operator to run by hand, never run by lyncdr.
        if cmd.language != Language::Powershell || cmd.alternative || (step.interactive && !verify) {
            return;
        }
        let Some((_, found)) = self
            .templates
            .source(cmd.language, &cmd.template)
            .and_then(cmdlets::find_prompting)
        else {
            return;
        };
        let usage = found.usage();
        let (msg, hint) = if verify {
            (
                format!("the `verify` check of step `{id}` runs `{usage}`, which asks the operator a question: a check must not ask questions"),
                "a check is a read-only PowerShell command run without your console; put the question in the step's `commands` and mark the step `interactive: true`".to_owned(),
            )
        } else {
            let off = if found.confirm_false_silences {
                ", or pass `-Confirm:$false` if it must not ask".to_owned()
            } else {
                format!("; `{}` has no `-Confirm:$false`", found.name)
            };
            (
                format!(
                    "step `{id}` runs `{usage}`, which asks the operator a question, but is not marked `interactive: true`"
                ),
                format!(
                    "mark the step `interactive: true` (lyncdr then runs it with your console so you can answer){off}"
                ),
            )
        };
        let d = Diagnostic::new(msg).at(&step.file, step.at).hint(hint);
        self.diags.push(d);
    }
}
