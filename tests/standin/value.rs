//! What the stand-in knows of a variable's value: how many objects a collection holds, a
//! counter's number, `$null`, or nothing at all. Enough to decide the conditions the runbooks'
//! checks test (`$x.Count -gt 0`, `$x.Count -eq 0`, `-not $x`, `if ($x)`, `$bad -gt 0`) the way
//! Windows PowerShell 2.0 decides them; anything else stays unknown, and an unknown condition
//! keeps the stand-in's old rule (the else path).

/// A number, exact, or only known to be at least `n` (a counter raised in a loop body that the
/// stand-in runs once for a collection of unknown or several objects).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Num {
    pub n: i64,
    pub exact: bool,
}

impl Num {
    pub fn exact(n: i64) -> Self {
        Self { n, exact: true }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// `$null`.
    Null,
    /// An array (`object[]`) of this many objects.
    Array(Num),
    /// A number.
    Int(Num),
    Unknown,
}

/// One side of a comparison with a number.
#[derive(Debug, Clone, Copy)]
pub enum Operand {
    Null,
    Num(Num),
}

impl Value {
    /// The value of `$x = PIPELINE` for a pipeline that wrote `count` objects: no object gives
    /// `$null`, one gives that object itself (not an array), several an `object[]`
    /// (about_Assignment_Operators; this is why checks wrap pipelines in `@()`).
    pub fn from_output(count: Option<usize>) -> Value {
        match count {
            Some(0) => Value::Null,
            Some(n) if n >= 2 => Value::Array(Num::exact(n as i64)),
            _ => Value::Unknown,
        }
    }

    /// `@(...)` of `count` objects: always an array, and `@()` of nothing has Count 0
    /// (about_Arrays, "the array sub-expression operator").
    pub fn array(count: Option<usize>) -> Value {
        count.map_or(Value::Unknown, |n| Value::Array(Num::exact(n as i64)))
    }

    /// `$x.Count`. In PowerShell 2.0 only arrays and collections have a Count: `$null.Count`
    /// and the Count of a single object or a number are `$null` (the Count of every object came
    /// with 3.0, "What's New in Windows PowerShell 3.0").
    pub fn count(&self) -> Option<Operand> {
        match self {
            Value::Array(n) => Some(Operand::Num(*n)),
            Value::Null | Value::Int(_) => Some(Operand::Null),
            Value::Unknown => None,
        }
    }

    /// The value itself on the left of `-eq`, `-gt`, ...: only for a number or `$null` (an
    /// array on the left filters its elements instead, about_Comparison_Operators).
    pub fn operand(&self) -> Option<Operand> {
        match self {
            Value::Null => Some(Operand::Null),
            Value::Int(n) => Some(Operand::Num(*n)),
            _ => None,
        }
    }

    /// `if ($x)` / `-not $x` (about_Booleans): `$null` is false; an empty array is false, an
    /// array of two or more is true, an array of one is its element's truth; a number is true
    /// unless it is 0.
    pub fn truth(&self) -> Option<bool> {
        match self {
            Value::Null => Some(false),
            Value::Array(Num { n, exact: true }) if *n == 0 => Some(false),
            Value::Array(Num { n, .. }) if *n >= 2 => Some(true),
            Value::Array(_) | Value::Unknown => None,
            Value::Int(Num { n, exact: true }) => Some(*n != 0),
            Value::Int(Num { n, exact: false }) => (*n >= 1).then_some(true),
        }
    }
}

/// `LEFT -op K` for an integer K; `None` where the stand-in cannot be sure.
pub fn compare(left: Operand, op: &str, k: i64) -> Option<bool> {
    let op = op.to_ascii_lowercase();
    match left {
        // `$null -eq 0` is false: equality never converts $null. For the ordering operators
        // PowerShell puts $null before every number (LanguagePrimitives.Compare); the stand-in
        // decides only where reading $null as 0 would give the same answer.
        Operand::Null => match op.as_str() {
            "eq" => Some(false),
            "ne" => Some(true),
            "gt" if k >= 0 => Some(false),
            "ge" if k > 0 => Some(false),
            "lt" if k > 0 => Some(true),
            "le" if k >= 0 => Some(true),
            _ => None,
        },
        Operand::Num(Num { n, exact: true }) => match op.as_str() {
            "eq" => Some(n == k),
            "ne" => Some(n != k),
            "gt" => Some(n > k),
            "ge" => Some(n >= k),
            "lt" => Some(n < k),
            "le" => Some(n <= k),
            _ => None,
        },
        // At least n: decided only when every value from n up gives the same answer.
        Operand::Num(Num { n, exact: false }) => match op.as_str() {
            "gt" if n > k => Some(true),
            "ge" if n >= k => Some(true),
            "lt" if n >= k => Some(false),
            "le" if n > k => Some(false),
            "eq" if n > k => Some(false),
            "ne" if n > k => Some(true),
            _ => None,
        },
    }
}
