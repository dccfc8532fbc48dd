//! Values the stand-in knows exactly: strings, numbers, booleans, the objects of the few cmdlets
//! whose answers a test describes (`lync_rules::answer`), and arrays of them, with Windows
//! PowerShell 2.0's rules for turning them into text, truth and comparisons. `expr.rs` computes
//! them; anything it cannot compute stays with the rough model of `value.rs`.

#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Obj(Obj),
    List(Vec<Data>),
}

/// An object of a cmdlet's answer: what `"$obj"` gives (its ToString()) and its properties.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj {
    pub text: String,
    pub props: Vec<(&'static str, Data)>,
}

/// Texts and arrays the stand-in computes are cut here (bounded memory).
const MAX_TEXT: usize = 100_000;
const MAX_ITEMS: usize = 10_000;

impl Data {
    pub fn str(s: impl Into<String>) -> Data {
        let mut s: String = s.into();
        if s.len() > MAX_TEXT {
            let mut end = MAX_TEXT;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            s.truncate(end);
        }
        Data::Str(s)
    }

    pub fn list(mut items: Vec<Data>) -> Data {
        items.truncate(MAX_ITEMS);
        Data::List(items)
    }

    /// `"$x"`: an array's elements are joined by a space (`$OFS`, about_Automatic_Variables),
    /// `$null` is empty, a boolean is `True`/`False`.
    pub fn text(&self) -> String {
        match self {
            Data::Null => String::new(),
            Data::Bool(b) => if *b { "True" } else { "False" }.into(),
            Data::Int(n) => n.to_string(),
            Data::Str(s) => s.clone(),
            Data::Obj(o) => o.text.clone(),
            Data::List(items) => join(items, " "),
        }
    }

    /// `if ($x)` (about_Booleans): `$null`, 0, '' and an empty array are false; an array of one
    /// is its element's truth; any object is true.
    pub fn truth(&self) -> bool {
        match self {
            Data::Null => false,
            Data::Bool(b) => *b,
            Data::Int(n) => *n != 0,
            Data::Str(s) => !s.is_empty(),
            Data::Obj(_) => true,
            Data::List(items) => match items.as_slice() {
                [] => false,
                [one] => one.truth(),
                _ => true,
            },
        }
    }

    /// The objects `$x` sends down a pipeline: an array's elements, anything else itself (2.0
    /// sends a `$null` once).
    pub fn items(self) -> Vec<Data> {
        match self {
            Data::List(items) => items,
            d => vec![d],
        }
    }

    /// A pipeline's output as a value: nothing is `$null`, one object is itself, more an array
    /// (about_Assignment_Operators).
    pub fn from_output(mut items: Vec<Data>) -> Data {
        match items.len() {
            0 => Data::Null,
            1 => items.pop().unwrap_or(Data::Null),
            _ => Data::list(items),
        }
    }

    /// `$x.Name`. In 2.0 only arrays have a Count (and Length), a string a Length; a property
    /// an object lacks is `$null`, and an array has no member enumeration (that came with 3.0,
    /// "What's New in Windows PowerShell 3.0").
    pub fn member(&self, name: &str) -> Data {
        let is = |n: &str| name.eq_ignore_ascii_case(n);
        match self {
            Data::List(items) if is("Count") || is("Length") => Data::Int(items.len() as i64),
            Data::Str(s) if is("Length") => Data::Int(s.chars().count() as i64),
            Data::Obj(o) => o
                .props
                .iter()
                .find(|(p, _)| is(p))
                .map_or(Data::Null, |(_, v)| v.clone()),
            _ => Data::Null,
        }
    }

    /// `$x[i]`: an array's element (negative from the end), `$null` out of range.
    pub fn index(&self, i: i64) -> Option<Data> {
        let Data::List(items) = self else { return None };
        let k = if i < 0 { items.len() as i64 + i } else { i };
        Some(
            usize::try_from(k)
                .ok()
                .and_then(|k| items.get(k))
                .cloned()
                .unwrap_or(Data::Null),
        )
    }

    /// `-eq` with this value on the left (about_Comparison_Operators): `$null` equals only
    /// `$null`; otherwise the right side is compared as the left side's kind, strings without
    /// regard to case.
    pub fn equals(&self, right: &Data) -> bool {
        match (self, right) {
            (Data::Null, r) => *r == Data::Null,
            (_, Data::Null) => false,
            (Data::Int(a), r) => r.text().trim().parse::<i64>() == Ok(*a),
            (Data::Bool(a), r) => *a == r.truth(),
            (l, r) => l.text().to_lowercase() == r.text().to_lowercase(),
        }
    }
}

/// The elements' texts joined by `sep`, cut at the bound of a text.
pub fn join(items: &[Data], sep: &str) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        if out.len() > MAX_TEXT {
            break;
        }
        if i > 0 {
            out.push_str(sep);
        }
        out.push_str(&item.text());
    }
    Data::str(out).text()
}

/// `from` replaced by `to` in `text`; `None` when the result would pass the bound of a text.
pub fn replace(text: &str, from: &str, to: &str) -> Option<String> {
    if from.is_empty() {
        return None;
    }
    let grows = text.matches(from).count().saturating_mul(to.len());
    (grows <= MAX_TEXT).then(|| text.replace(from, to))
}

fn regex(pattern: &str) -> Option<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(true)
        .size_limit(1 << 20)
        .build()
        .ok()
}

/// `-match`: .NET regular expressions, case ignored; `None` for a pattern the `regex` crate
/// does not take (the stand-in then does not decide).
pub fn matches(pattern: &str, text: &str) -> Option<bool> {
    regex(pattern).map(|r| r.is_match(text))
}

/// `-replace`: every match replaced (`$1` names a group, as in .NET); `None` as for `matches`
/// or when the result would pass the bound of a text.
pub fn regex_replace(text: &str, pattern: &str, with: &str) -> Option<String> {
    let r = regex(pattern)?;
    let grows = r.find_iter(text).count().saturating_mul(with.len());
    (grows <= MAX_TEXT).then(|| r.replace_all(text, with).into_owned())
}

/// `[regex]::Escape(s)`: .NET escapes `\ * + ? | { [ ( ) ^ $ . #` and white space (Microsoft's
/// reference for Regex.Escape).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for c in s.chars() {
        match c {
            '\\' | '*' | '+' | '?' | '|' | '{' | '[' | '(' | ')' | '^' | '$' | '.' | '#' | ' ' => {
                out.push('\\');
                out.push(c);
            }
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out
}
