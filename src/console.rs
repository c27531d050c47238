//! Everything rolegen prints goes through here, for two promises that `print!` cannot keep.
//!
//! - A reader that has gone away (`rolegen synth | head -1`) or a full disk must not panic.
//!   Rust ignores SIGPIPE, so a write to a closed pipe returns an error, and `print!` turns
//!   every write error into a panic (exit 101). Here each write returns its `io::Result`, the
//!   first failure of a stream is kept, and later writes to that stream do nothing: a command
//!   may stop at the first error or carry on, and `cmd::finish` decides once, at the end,
//!   what the failure means (a closed pipe ends the run quietly, anything else is an `io`
//!   error and exit 2).
//! - `--error-format json` prints exactly one JSON array on stderr. Diagnostics are collected
//!   here during the run, from every part of it, and printed once when it ends.
//!
//! The console is shared by every command through `Global` (a handle to one state), so no
//! command's signature had to change to reach it.

use std::cell::RefCell;
use std::fmt;
use std::io::{self, Write};
use std::rc::Rc;

/// A handle to the run's two output streams and its collected JSON diagnostics. Clones share
/// one state.
#[derive(Clone)]
pub struct Console(Rc<RefCell<State>>);

struct State {
    out: Box<dyn Write>,
    err: Box<dyn Write>,
    /// The first write error of each stream; nothing more is written to a failed stream.
    out_failed: Option<io::Error>,
    err_failed: Option<io::Error>,
    json: Vec<serde_json::Value>,
    /// The same diagnostics as findings, for `--error-format github` and `sarif`.
    findings: Vec<crate::report::Finding>,
}

/// Which stream a write goes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Default for Console {
    /// The process's own stdout and stderr.
    fn default() -> Self {
        Console::new(Box::new(io::stdout()), Box::new(io::stderr()))
    }
}

impl fmt::Debug for Console {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Console")
    }
}

impl Console {
    pub fn new(out: Box<dyn Write>, err: Box<dyn Write>) -> Self {
        Console(Rc::new(RefCell::new(State {
            out,
            err,
            out_failed: None,
            err_failed: None,
            json: Vec::new(),
            findings: Vec::new(),
        })))
    }

    /// Writes the command's output (a report, a diff, a generated file) on stdout.
    pub fn out(&self, text: &str) -> io::Result<()> {
        self.write(Stream::Stdout, text.as_bytes())
    }

    /// Writes text for the person running rolegen (human diagnostics, status lines) on stderr.
    pub fn err(&self, text: &str) -> io::Result<()> {
        self.write(Stream::Stderr, text.as_bytes())
    }

    fn write(&self, stream: Stream, bytes: &[u8]) -> io::Result<()> {
        // Stdout is line-buffered: what a write leaves in the buffer fails at the flush.
        self.on(stream, |w| w.write_all(bytes))
    }

    /// Flushes a stream; a failure is kept like a write's.
    pub fn flush(&self, stream: Stream) -> io::Result<()> {
        self.on(stream, |w| w.flush())
    }

    /// Runs `f` on a stream that has not failed yet, and keeps its failure.
    fn on(
        &self,
        stream: Stream,
        f: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    ) -> io::Result<()> {
        let mut s = self.0.borrow_mut();
        let State {
            out,
            err,
            out_failed,
            err_failed,
            ..
        } = &mut *s;
        let (w, failed) = match stream {
            Stream::Stdout => (out, out_failed),
            Stream::Stderr => (err, err_failed),
        };
        if let Some(e) = failed {
            return Err(copy(e));
        }
        f(w.as_mut()).inspect_err(|e| *failed = Some(copy(e)))
    }

    /// The first write error of a stream, if any.
    pub fn failure(&self, stream: Stream) -> Option<io::Error> {
        let s = self.0.borrow();
        let failed = match stream {
            Stream::Stdout => &s.out_failed,
            Stream::Stderr => &s.err_failed,
        };
        failed.as_ref().map(copy)
    }

    /// Keeps one diagnostic for the JSON array printed at the end of the run.
    pub fn push_json(&self, item: serde_json::Value) {
        self.0.borrow_mut().json.push(item);
    }

    /// The diagnostics kept so far, in the order they were reported.
    pub fn take_json(&self) -> Vec<serde_json::Value> {
        std::mem::take(&mut self.0.borrow_mut().json)
    }

    /// Keeps one diagnostic, as a finding, for the GitHub or SARIF output at the end.
    pub fn push_finding(&self, item: crate::report::Finding) {
        self.0.borrow_mut().findings.push(item);
    }

    /// The findings kept so far, in the order they were reported.
    pub fn take_findings(&self) -> Vec<crate::report::Finding> {
        std::mem::take(&mut self.0.borrow_mut().findings)
    }
}

/// `io::Error` is not `Clone`; its kind and text are what a report needs.
fn copy(e: &io::Error) -> io::Error {
    io::Error::new(e.kind(), e.to_string())
}

/// A closed pipe: the reader has all it wanted, which is no error of rolegen's.
pub fn is_closed_pipe(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::BrokenPipe
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that accepts `room` bytes and then fails with `kind`.
    struct Limited {
        room: usize,
        kind: io::ErrorKind,
        got: Rc<RefCell<Vec<u8>>>,
    }

    impl Write for Limited {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            if self.room == 0 {
                return Err(io::Error::from(self.kind));
            }
            let n = buf.len().min(self.room);
            self.room -= n;
            self.got.borrow_mut().extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn limited(room: usize, kind: io::ErrorKind) -> (Box<dyn Write>, Rc<RefCell<Vec<u8>>>) {
        let got = Rc::new(RefCell::new(Vec::new()));
        (
            Box::new(Limited {
                room,
                kind,
                got: Rc::clone(&got),
            }),
            got,
        )
    }

    #[test]
    fn the_first_failure_is_kept_and_later_writes_do_nothing() {
        let (out, got) = limited(4, io::ErrorKind::BrokenPipe);
        let (err, _) = limited(usize::MAX, io::ErrorKind::Other);
        let c = Console::new(out, err);
        assert!(c.out("abc").is_ok());
        let e = c.out("defgh").unwrap_err();
        assert!(is_closed_pipe(&e));
        assert!(c.out("x").is_err());
        assert_eq!(&*got.borrow(), b"abcd");
        assert!(is_closed_pipe(&c.failure(Stream::Stdout).unwrap()));
        assert!(c.failure(Stream::Stderr).is_none());
        assert!(c.err("still fine").is_ok());
    }

    #[test]
    fn json_items_are_kept_in_order() {
        let c = Console::new(Box::new(io::sink()), Box::new(io::sink()));
        c.push_json(serde_json::json!(1));
        c.clone().push_json(serde_json::json!(2));
        assert_eq!(
            c.take_json(),
            vec![serde_json::json!(1), serde_json::json!(2)]
        );
        assert!(c.take_json().is_empty());
    }
}
