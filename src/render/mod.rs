//! Rendering a plan: a checked runbook and an environment -> [`plan::Plan`], every command
//! rendered through the runbook library's [`Templates`](crate::runbook::Templates) (each value
//! through its language's escape) -> text for people ([`text`]) or JSON.

pub mod missing;
pub mod plan;
pub mod text;
