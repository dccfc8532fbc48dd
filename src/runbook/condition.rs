//! `when:` conditions: `KEY`, `!KEY`, `KEY == VALUE`, `KEY != VALUE` over environment keys.

use crate::env::schema;
use crate::env::{Value, ValueType};
use crate::source::Location;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Test {
    IsTrue,
    IsFalse,
    Equals(String),
    Differs(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Condition {
    pub key: String,
    pub test: Test,
    /// Where it was written (runbook file, line, column).
    pub file: String,
    pub at: Option<Location>,
}

impl Condition {
    /// Parse and type-check a condition against the environment schema.
    pub fn parse(text: &str) -> Result<(String, Test), String> {
        let text = text.trim();
        let (key, test) = if let Some((k, v)) = text.split_once("!=") {
            (k.trim(), Test::Differs(v.trim().to_owned()))
        } else if let Some((k, v)) = text.split_once("==") {
            (k.trim(), Test::Equals(v.trim().to_owned()))
        } else if let Some(k) = text.strip_prefix('!') {
            (k.trim(), Test::IsFalse)
        } else {
            (text, Test::IsTrue)
        };
        let ty = schema::type_of(key).ok_or_else(|| {
            let hint = schema::suggest(key)
                .map(|s| format!(" (did you mean `{s}`?)"))
                .unwrap_or_default();
            format!("condition names unknown environment key `{key}`{hint}")
        })?;
        match (&test, ty) {
            (Test::IsTrue | Test::IsFalse, ValueType::Bool) => {}
            (Test::IsTrue | Test::IsFalse, _) => {
                return Err(format!(
                    "`{key}` is a {}, not a boolean: compare it with `==`",
                    ty.name()
                ));
            }
            (Test::Equals(_) | Test::Differs(_), ValueType::Bool) => {
                return Err(format!("`{key}` is a boolean: write `{key}` or `!{key}`"));
            }
            (Test::Equals(v) | Test::Differs(v), ValueType::Choice(options))
                if !options.contains(&v.as_str()) =>
            {
                return Err(format!(
                    "`{v}` is not a choice of `{key}` ({})",
                    options.join(", ")
                ));
            }
            _ => {}
        }
        Ok((key.to_owned(), test))
    }

    pub fn holds(&self, value: &Value) -> bool {
        match &self.test {
            Test::IsTrue => *value == Value::Bool(true),
            Test::IsFalse => *value == Value::Bool(false),
            Test::Equals(v) => value.display() == *v,
            Test::Differs(v) => value.display() != *v,
        }
    }
}

impl fmt::Display for Condition {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.test {
            Test::IsTrue => write!(f, "{}", self.key),
            Test::IsFalse => write!(f, "!{}", self.key),
            Test::Equals(v) => write!(f, "{} == {v}", self.key),
            Test::Differs(v) => write!(f, "{} != {v}", self.key),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_type_checks() {
        assert_eq!(
            Condition::parse("features.response_group"),
            Ok(("features.response_group".into(), Test::IsTrue))
        );
        assert_eq!(
            Condition::parse("options.user_data_restore == A"),
            Ok(("options.user_data_restore".into(), Test::Equals("A".into())))
        );
        assert!(Condition::parse("options.user_data_restore == C").is_err());
        assert!(Condition::parse("features.nope").is_err());
        assert!(Condition::parse("pools.failed").is_err());
    }
}
