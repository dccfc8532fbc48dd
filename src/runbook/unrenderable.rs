//! Why a template could not be rendered into a command: typed, so the plan can tell a value
//! that has no safe spelling for cmd.exe (an alternative then says so in its place) from a
//! broken template, without reading the message.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Unrenderable {
    /// Handlebars refused it (an unknown name in strict mode, a helper's error), described.
    #[error("{reason}")]
    Template { reason: String },
    #[error(
        "a value cannot be written safely on a cmd.exe command line (it holds `\"`, `%`, `!` or a character that is not ASCII)"
    )]
    UnsafeForCmd,
    #[error("the rendered command holds the control character U+{code:04X}")]
    Control { code: u32 },
    #[error("the rendered command still holds `{{{{`")]
    Unfilled,
}
