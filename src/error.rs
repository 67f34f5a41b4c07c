//! The library's one error type. The binary prints it as one line and maps
//! it to an exit code: 2 for bad input, 1 for failures at run time.

use std::path::PathBuf;

/// Everything that can go wrong in the library; its `Display` is the
/// one-line message.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A value the user gave is out of range or malformed.
    #[error("{0}")]
    Input(String),

    /// A field of a problem or plan is out of range or inconsistent:
    /// `field` names it as the library spells it (`lr`, `cluster_radius`),
    /// `message` starts with the value refused. The command line shows
    /// the field as its flag.
    #[error("{field}{}{message}", if message.starts_with(':') { "" } else { " " })]
    Invalid {
        /// The field refused.
        field: &'static str,
        /// Why, starting with the value refused.
        message: String,
    },

    /// A starts file that cannot be read or parsed (row and column named).
    #[error("starts file {}: {message}", quoted(path))]
    StartsFile {
        /// The file, as given.
        path: PathBuf,
        /// What is wrong, and where.
        message: String,
    },

    /// No GPU adapter could run the job.
    #[error("{0}")]
    NoAdapter(String),

    /// The GPU reported an error while running.
    #[error("gpu: {0}")]
    Gpu(String),

    /// Drawing a picture failed.
    #[error("drawing the picture failed: {0}")]
    Plot(String),

    /// Reading or writing a file failed at run time.
    #[error("{}: {source}", quoted(path))]
    Io {
        /// The file read or written.
        path: PathBuf,
        /// The failure the system reported.
        source: std::io::Error,
    },

    /// Putting a command's outputs in place failed; the message says what
    /// became of each.
    #[error("{0}")]
    Output(String),
}

impl Error {
    /// Exit code for the binary: 2 for bad input, 1 for run-time failures.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Input(_) | Error::Invalid { .. } | Error::StartsFile { .. } => 2,
            Error::NoAdapter(_) | Error::Gpu(_) | Error::Plot(_) | Error::Io { .. } | Error::Output(_) => 1,
        }
    }
}

impl Error {
    /// The message as the command line shows it: a field named by the flag
    /// that sets it (`--lr 1e300: ...`, not `lr 1e300: ...`).
    pub fn cli_message(&self) -> String {
        match self {
            Error::Invalid { field, message } => match flag_of(field) {
                Some(flag) if message.starts_with(':') => format!("{flag}{message}"),
                Some(flag) => format!("{flag} {message}"),
                None => message.clone(),
            },
            other => other.to_string(),
        }
    }
}

/// The flag that sets a problem's or plan's field: `lr` is `--lr`,
/// `cluster_radius` is `--cluster-radius`. `starts` has none of its own
/// (its messages name the grid or the file).
pub fn flag_of(field: &str) -> Option<String> {
    (field != "starts").then(|| format!("--{}", field.replace('_', "-")))
}

/// The library's result, with [`Error`] as its error.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Shorthand for an input error.
pub fn input(message: impl Into<String>) -> Error {
    Error::Input(message.into())
}

/// An error naming `field` of a problem or plan.
pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Error {
    Error::Invalid { field, message: message.into() }
}

/// Longest piece of user text (a path, a formula, a header) an error quotes.
pub const MAX_QUOTED_CHARS: usize = 120;

/// User text in quotes, as an error shows it: control characters and
/// quotes escaped (no raw newline or escape code reaches the terminal), cut
/// to `MAX_QUOTED_CHARS` shown characters with the number left out.
pub fn quote(text: impl AsRef<std::ffi::OsStr>) -> String {
    let text = text.as_ref().to_string_lossy();
    let total = text.chars().count();
    // The cut counts the characters shown, escapes included: 120 control
    // characters would otherwise show as 720 (each "\u{11}").
    let (mut kept, mut shown) = (0, 0);
    for c in text.chars() {
        let width = c.escape_debug().count();
        if shown + width > MAX_QUOTED_CHARS {
            break;
        }
        (kept, shown) = (kept + 1, shown + width);
    }
    let escaped = format!("{:?}", text.chars().take(kept).collect::<String>());
    if total > kept {
        format!("{}...\" ({} more characters)", &escaped[..escaped.len() - 1], total - kept)
    } else {
        escaped
    }
}

/// User text as an error shows it: as it is when plain (short, no spaces,
/// quotes or control characters: a path, a number), else as [`quote`].
pub fn quoted(text: impl AsRef<std::ffi::OsStr>) -> String {
    let text = text.as_ref().to_string_lossy();
    let plain = !text.is_empty()
        && text.chars().count() <= MAX_QUOTED_CHARS
        && text.chars().all(|c| printable(c) && !c.is_whitespace() && c != '"' && c != '\'');
    if plain { text.into_owned() } else { quote(text.as_ref()) }
}

/// A number as a message shows it: as typed for ordinary sizes, in
/// exponent form where plain digits would run long (1e-320, not 0.000...1).
pub fn number(v: f64) -> String {
    let plain = v.to_string();
    if plain.len() <= 16 { plain } else { format!("{v:e}") }
}

/// Whether a character shows as itself on a terminal: not a control
/// character, nor an invisible one that reorders or hides text (bidi
/// overrides such as U+202E, zero-width marks), as Rust's `escape_debug`
/// decides.
pub fn printable(c: char) -> bool {
    matches!(c, '"' | '\'' | '\\') || c.escape_debug().count() == 1
}

/// A whole message made safe for one terminal line: every character that
/// is not [`printable`] (newline, escape codes, bidi overrides) is written
/// as an escape, so the binary's `error: ...` is one line whatever the
/// input held, and shows what it holds.
pub fn one_line(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    for c in message.chars() {
        if printable(c) {
            out.push(c);
        } else {
            out.extend(c.escape_default());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_escapes_control_characters_and_cuts_long_text() {
        assert_eq!(quoted("out/r.json"), "out/r.json");
        assert_eq!(quoted("my file"), "\"my file\"");
        assert_eq!(quoted(""), "\"\"");
        assert_eq!(quoted("a\nb\x1b[31m"), "\"a\\nb\\u{1b}[31m\"");
        let long = "x".repeat(MAX_QUOTED_CHARS + 5);
        let shown = quoted(&long);
        assert!(shown.ends_with("...\" (5 more characters)"), "{shown}");
        assert_eq!(shown.chars().filter(|&c| c == 'x').count(), MAX_QUOTED_CHARS);
        // Found by `cargo fuzz run starts_file`: escapes count towards the cut.
        let shown = quoted("\u{11}".repeat(MAX_QUOTED_CHARS));
        assert!(shown.chars().count() < MAX_QUOTED_CHARS + 40, "{shown}");
        assert!(shown.ends_with(&format!("({} more characters)", MAX_QUOTED_CHARS - MAX_QUOTED_CHARS / 6)), "{shown}");
        assert_eq!(quote("z"), "\"z\"");
    }

    #[test]
    fn one_line_leaves_no_control_character() {
        let line = one_line("bad path a\nb\r\x07\x1b[2J");
        assert!(!line.chars().any(char::is_control), "{line}");
        assert_eq!(one_line("AMD \u{202e}CPYE"), "AMD \\u{202e}CPYE");
        assert_eq!(quoted("a\u{202e}b"), "\"a\\u{202e}b\"");
        assert_eq!(line, "bad path a\\nb\\r\\u{7}\\u{1b}[2J");
    }
}
