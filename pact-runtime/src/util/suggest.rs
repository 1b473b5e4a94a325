//! "Did you mean": ranking registered names against one the pact asks for, and the text
//! of the help that lists them with a stub to paste. States and messages share it.

use std::collections::HashSet;
use std::fmt;

/// Words too common to make two states look alike.
const STOP_WORDS: &[&str] =
    &["a", "an", "the", "is", "are", "of", "for", "with", "and", "to", "in", "on", "has", "have"];

/// "Did you mean" with the suggestions, then the stub to paste, on their own lines.
pub fn write_help(f: &mut fmt::Formatter<'_>, suggestions: &[String], stub: &str) -> fmt::Result {
    match suggestions {
        [] => {}
        [only] => writeln!(f, "did you mean {only}?")?,
        several => {
            writeln!(f, "did you mean one of these?")?;
            for suggestion in several {
                writeln!(f, "  {suggestion}")?;
            }
        }
    }
    writeln!(f, "add this function and fill it in:")?;
    let mut lines = stub.lines().peekable();
    while let Some(line) = lines.next() {
        write!(f, "  {line}")?;
        if lines.peek().is_some() {
            writeln!(f)?;
        }
    }
    Ok(())
}

/// Lower case, with runs of whitespace as one space.
pub fn normalise(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ").to_lowercase()
}

/// Equal words, or long words one edit apart (`exist` and `exists`).
pub fn alike(a: &str, b: &str) -> bool {
    a == b || (a.len() >= 4 && b.len() >= 4 && edit_distance(a, b) <= 1)
}

/// The words that say what a state is about: no placeholders, no stop words.
pub fn content_words(text: &str) -> HashSet<&str> {
    text.split(|c: char| !c.is_alphanumeric() && c != '{' && c != '}' && c != '_')
        .filter(|word| !word.is_empty() && !word.starts_with('{') && !STOP_WORDS.contains(word))
        .collect()
}

/// Levenshtein distance over characters; long texts count as far apart.
pub fn edit_distance(a: &str, b: &str) -> usize {
    const LIMIT: usize = 256;
    let a: Vec<char> = a.chars().take(LIMIT + 1).collect();
    let b: Vec<char> = b.chars().take(LIMIT + 1).collect();
    if a.len() > LIMIT || b.len() > LIMIT {
        return usize::MAX / 2;
    }
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

/// A snake_case function name for a state text.
pub fn function_name(state: &str) -> String {
    let mut name = String::new();
    for c in state.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            name.push(c);
        } else if !name.ends_with('_') && !name.is_empty() {
            name.push('_');
        }
        if name.len() >= 60 {
            break;
        }
    }
    let name = name.trim_end_matches('_').to_string();
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) || is_keyword(&name) {
        format!("state_{name}").trim_end_matches('_').to_string()
    } else {
        name
    }
}

fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "as" | "async"
            | "await"
            | "break"
            | "const"
            | "continue"
            | "crate"
            | "dyn"
            | "else"
            | "enum"
            | "extern"
            | "false"
            | "fn"
            | "for"
            | "if"
            | "impl"
            | "in"
            | "let"
            | "loop"
            | "match"
            | "mod"
            | "move"
            | "mut"
            | "pub"
            | "ref"
            | "return"
            | "self"
            | "static"
            | "struct"
            | "super"
            | "trait"
            | "true"
            | "type"
            | "unsafe"
            | "use"
            | "where"
            | "while"
            | "yield"
            | "box"
            | "do"
            | "final"
            | "macro"
            | "override"
            | "priv"
            | "try"
            | "typeof"
            | "unsized"
            | "virtual"
            | "become"
            | "abstract"
            | "gen"
    )
}
