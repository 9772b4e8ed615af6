//! Human and JSON output. JSON uses the core's view types unchanged, so the CLI, the HTTP
//! API and the UI share one vocabulary. Every answer goes out through [`Out::show`]: as
//! JSON with `--json`, otherwise as the view's [`Human`] form, one impl per view in the
//! module of its concept.
//!
//! The few answers the CLI composes itself (a secret beside what it belongs to, a test
//! delivery, a Postman export) serialize through `json!`, as they always have: scripts
//! have seen their members in alphabetical order at every depth.

use keyward_core::clock::{ago, Millis};
use keyward_core::Error;
use serde::Serialize;
use std::sync::OnceLock;

/// `println!` for answers on stdout. A reader that went away (`keyward keys list | head -1`)
/// is not an error: the command still completes and exits with its own code. Any other
/// write failure is remembered and reported by `main` (exit 1) instead of panicking.
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!(""))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

mod admin;
mod keys;
mod manage;
mod tokens;
mod users;
mod webhooks;

pub use admin::Migration;
pub use keys::{KeptKey, KeyAndTokens, PostmanExport, PurgedKey};
pub use webhooks::TestedWebhook;

static WRITE_ERROR: OnceLock<String> = OnceLock::new();

pub fn write_stdout(line: std::fmt::Arguments<'_>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let written = out.write_fmt(line).and_then(|()| out.write_all(b"\n"));
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            let _ = WRITE_ERROR.set(e.to_string());
        }
    }
}

/// Why the answer could not be written to stdout, if it could not (other than a closed pipe).
pub fn write_error() -> Option<&'static str> {
    WRITE_ERROR.get().map(String::as_str)
}

/// Text as it may reach a terminal: control characters (an escape sequence typed into a
/// name, say) and the invisible characters that reorder or hide text are shown as
/// `\u{…}` escapes instead of being acted on.
pub fn terminal_safe(text: &str) -> std::borrow::Cow<'_, str> {
    let unsafe_char =
        |c: char| c.is_control() && c != '\n' || keyward_core::validate::is_invisible(c);
    if !text.chars().any(unsafe_char) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if unsafe_char(c) {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    std::borrow::Cow::Owned(out)
}

pub fn print_error_json(code: &str, message: &str) {
    let v = serde_json::json!({"error": {"code": code, "message": message}});
    eprintln!("{v}");
}

pub struct Out {
    pub json: bool,
    cx: Cx,
}

impl Out {
    pub fn new(json: bool, now: Millis) -> Out {
        Out {
            json,
            cx: Cx { now },
        }
    }

    /// Prints an answer: the view itself as JSON with `--json`, its human form otherwise.
    pub fn show<V: Human + Serialize + ?Sized>(&self, view: &V) {
        if !self.json {
            return view.human(&self.cx);
        }
        match serde_json::to_string_pretty(view) {
            Ok(s) => outln!("{s}"),
            Err(e) => eprintln!("error: cannot encode the answer as JSON: {e}"),
        }
    }

    pub fn error(&self, e: &Error) {
        self.failure(e.code(), &e.to_string());
    }

    /// A failure by its code, whichever crate's error it is: `{"error":{…}}` on stderr with
    /// --json; otherwise the message and, for some codes, what to run instead.
    pub fn failure(&self, code: &str, message: &str) {
        if self.json {
            return print_error_json(code, message);
        }
        eprintln!("error: {}", terminal_safe(message));
        match code {
            "KEY_IN_USE" => eprintln!("Run the same command with --force to delete it anyway."),
            "EXPORT_FAILED" => eprintln!("Choose another place with --out DIR or --out FILE."),
            _ => {}
        }
    }
}

/// How a view reads on a terminal.
pub trait Human {
    fn human(&self, cx: &Cx);
}

/// What a human form needs beyond its view: the moment "3 days ago" counts from.
pub struct Cx {
    now: Millis,
}

/// A timestamp as the views carry it. The human forms read one only through [`Cx::ago`]
/// and [`stamp`], so a change of the views' timestamp type is made here.
type Timestamp = chrono::DateTime<chrono::Utc>;

impl Cx {
    /// "3 days ago", "in 2 hours", or "never" for a time that is not there.
    fn ago(&self, at: Option<&Timestamp>) -> String {
        match at {
            Some(at) => ago(self.now, at.timestamp_millis()),
            None => "never".to_owned(),
        }
    }
}

/// A timestamp as printed: RFC 3339 in UTC to the second, as in the JSON.
fn stamp(at: &Timestamp) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// A view under the verb that heads its human form ("Added", "Renamed"); its JSON is the
/// view's own.
#[derive(Serialize)]
#[serde(transparent)]
pub struct Labelled<'a, V>(#[serde(skip)] pub &'a str, pub &'a V);

/// A secret asked for again (`keys reveal`, `webhooks reveal`). The human form is the
/// bare secret, so it can be piped; the JSON names what it belongs to.
pub struct Revealed<'a, V> {
    pub view: &'a V,
    pub secret: &'a str,
}

impl<V> Human for Revealed<'_, V> {
    fn human(&self, _: &Cx) {
        outln!("{}", self.secret);
    }
}

/// One line of a list's table.
trait Row: Sized {
    /// What the list says when it has no rows.
    const NONE: &'static str;

    /// The row's cells, each with the header of its column.
    fn cells(&self, cx: &Cx) -> Vec<(&'static str, String)>;

    /// A line under the table.
    fn footer(_rows: &[Self]) -> Option<String> {
        None
    }
}

impl<T: Row> Human for [T] {
    fn human(&self, cx: &Cx) {
        if self.is_empty() {
            outln!("{}", T::NONE);
            return;
        }
        table(self, cx);
        if let Some(footer) = T::footer(self) {
            outln!("{footer}");
        }
    }
}

impl<T> Human for Vec<T>
where
    [T]: Human,
{
    fn human(&self, cx: &Cx) {
        self.as_slice().human(cx);
    }
}

/// Prints rows under their header, each column as wide as its widest cell.
fn table<T: Row>(items: &[T], cx: &Cx) {
    let rows: Vec<Vec<(&str, String)>> = items.iter().map(|item| item.cells(cx)).collect();
    let Some(first) = rows.first() else {
        return;
    };
    let mut lines: Vec<Vec<String>> = vec![first.iter().map(|(h, _)| h.to_string()).collect()];
    lines.extend(
        rows.into_iter()
            .map(|r| r.into_iter().map(|(_, cell)| cell).collect()),
    );
    let mut widths = vec![0; lines[0].len()];
    for line in &lines {
        for (i, cell) in line.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    for line in &lines {
        let mut s = String::new();
        for (i, cell) in line.iter().enumerate() {
            s.push_str(cell);
            if i + 1 < line.len() {
                s.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        outln!("{}", s.trim_end());
    }
}

fn yes_no(b: bool) -> String {
    if b { "yes" } else { "no" }.to_owned()
}

fn on_off(b: bool) -> &'static str {
    if b {
        "on"
    } else {
        "off"
    }
}
