//! `when:` conditions: `KEY`, `!KEY`, `KEY == VALUE`, `KEY != VALUE`, `KEY == OTHER_KEY`,
//! `KEY != OTHER_KEY`, `KEY is set` over environment keys.

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
    /// The environment gives the key a value (any): a step for an optional part of the
    /// deployment that only a name describes (`backups.task_name is set`). Its absence is no
    /// missing key: the step just does not apply.
    IsSet,
    /// `KEY == OTHER` (`equal`) or `KEY != OTHER`, both environment keys of one type, compared
    /// as names are (ASCII case ignored: FQDNs, SQL instances). Either unset, the condition does
    /// not hold and no key is missing: a step for where two facts agree applies nowhere the
    /// environment does not state both.
    SameAs {
        other: String,
        equal: bool,
    },
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
        let (key, test) = if let Some(k) = text.strip_suffix(" is set") {
            (k.trim(), Test::IsSet)
        } else if let Some((k, v)) = text.split_once("!=") {
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
        // The right side is another key: compare the two values, never the key's name.
        let test = match test {
            Test::Equals(v) | Test::Differs(v) if schema::type_of(&v).is_some() => {
                let other = schema::type_of(&v);
                if other != Some(ty) {
                    return Err(format!(
                        "`{key}` is a {} and `{v}` is not: compare keys of one type",
                        ty.name()
                    ));
                }
                let equal = text.contains("==");
                Test::SameAs { other: v, equal }
            }
            t => t,
        };
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

    /// The other key a `KEY == OTHER` condition compares with.
    pub fn other_key(&self) -> Option<&str> {
        match &self.test {
            Test::SameAs { other, .. } => Some(other),
            _ => None,
        }
    }

    /// Whether the condition holds for its key's `value`; `other` is the value of
    /// [`Self::other_key`] where there is one.
    pub fn holds(&self, value: &Value, other: Option<&Value>) -> bool {
        match &self.test {
            Test::SameAs { equal, .. } => {
                other.is_some_and(|o| value.display().eq_ignore_ascii_case(&o.display()) == *equal)
            }
            Test::IsTrue => *value == Value::Bool(true),
            Test::IsFalse => *value == Value::Bool(false),
            Test::Equals(v) => value.display() == *v,
            Test::Differs(v) => value.display() != *v,
            Test::IsSet => true,
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
            Test::IsSet => write!(f, "{} is set", self.key),
            Test::SameAs { other, equal: true } => write!(f, "{} == {other}", self.key),
            Test::SameAs { other, equal: false } => write!(f, "{} != {other}", self.key),
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
        assert_eq!(
            Condition::parse("backups.task_name is set"),
            Ok(("backups.task_name".into(), Test::IsSet))
        );
        assert!(Condition::parse("backups.nope is set").is_err());
        assert_eq!(
            Condition::parse("sql.cms.server == sql.backend.server"),
            Ok((
                "sql.cms.server".into(),
                Test::SameAs {
                    other: "sql.backend.server".into(),
                    equal: true
                }
            ))
        );
        assert!(Condition::parse("sql.cms.server == pools.failed").is_err());
    }
}
