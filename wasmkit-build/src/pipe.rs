//! Reading a child process's pipe to its end, whatever happens: a child
//! blocks once a pipe it writes is full, so a reader that stops early
//! leaves it (and whoever waits for it) hanging. After a read error the
//! rest is read and dropped; the error is returned for the caller to
//! report, and whether the end was reached, so that a child whose pipe
//! cannot be read at all can be stopped instead of waited for.

use std::io::{self, Read};

/// How reading a pipe went.
#[derive(Debug)]
pub(crate) struct PipeRead {
    /// The first read error, if any.
    pub(crate) error: Option<io::Error>,
    /// Whether the end of the pipe was reached.
    pub(crate) drained: bool,
}

/// Gives the pipe's bytes to `consume` as they come, to the end, split
/// into lines at `\n` (and at `\r` when `split_cr` says so, for a progress
/// bar redrawn in place); a last line without an end is given too. Lines
/// after a read error are dropped.
pub(crate) fn read_lines(
    mut reader: impl Read,
    split_cr: impl Fn() -> bool,
    mut consume: impl FnMut(&[u8]),
) -> PipeRead {
    let mut buf = vec![0u8; 64 * 1024];
    let mut line: Vec<u8> = Vec::new();
    loop {
        match reader.read(&mut buf) {
            Ok(0) => {
                if !line.is_empty() {
                    consume(&line);
                }
                return PipeRead {
                    error: None,
                    drained: true,
                };
            }
            Ok(n) => {
                for &byte in &buf[..n] {
                    if byte == b'\n' || (byte == b'\r' && split_cr()) {
                        consume(&line);
                        line.clear();
                    } else {
                        line.push(byte);
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                let drained = drain(&mut reader, &mut buf);
                return PipeRead {
                    error: Some(e),
                    drained,
                };
            }
        }
    }
}

/// Reads and drops the rest; whether the end was reached.
fn drain(reader: &mut impl Read, buf: &mut [u8]) -> bool {
    loop {
        match reader.read(buf) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A pipe that yields these chunks or errors in turn, then its end,
    /// and counts what was read of it.
    struct Scripted {
        steps: Vec<Result<&'static [u8], io::ErrorKind>>,
        read: usize,
    }

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.read == self.steps.len() {
                return Ok(0);
            }
            self.read += 1;
            match self.steps[self.read - 1] {
                Ok(bytes) => {
                    buf[..bytes.len()].copy_from_slice(bytes);
                    Ok(bytes.len())
                }
                Err(kind) => Err(io::Error::new(kind, "the pipe broke")),
            }
        }
    }

    fn lines(pipe: &mut Scripted, split_cr: bool) -> (Vec<String>, PipeRead) {
        let mut seen = Vec::new();
        let read = read_lines(
            pipe,
            || split_cr,
            |line| {
                seen.push(String::from_utf8_lossy(line).into_owned());
            },
        );
        (seen, read)
    }

    #[test]
    fn lines_are_split_and_the_last_one_is_kept() {
        let mut pipe = Scripted {
            steps: vec![
                Ok(b"one\ntw"),
                Err(io::ErrorKind::Interrupted),
                Ok(b"o\r\nthree"),
            ],
            read: 0,
        };
        let (seen, read) = lines(&mut pipe, false);
        assert_eq!(seen, ["one", "two\r", "three"]);
        assert!(read.error.is_none() && read.drained);
        let mut pipe = Scripted {
            steps: vec![Ok(b"50%\r60%\rdone\n")],
            read: 0,
        };
        assert_eq!(lines(&mut pipe, true).0, ["50%", "60%", "done"]);
    }

    #[test]
    fn after_a_read_error_the_rest_is_read_to_the_end() {
        let mut pipe = Scripted {
            steps: vec![
                Ok(b"before\n"),
                Err(io::ErrorKind::Other),
                Ok(b"after\n"),
                Ok(b"more\n"),
            ],
            read: 0,
        };
        let (seen, read) = lines(&mut pipe, false);
        assert_eq!(seen, ["before"]);
        assert_eq!(
            read.error.map(|e| e.to_string()).as_deref(),
            Some("the pipe broke")
        );
        assert!(read.drained);
        assert_eq!(pipe.read, 4, "everything was read");

        // A pipe that cannot be read at all says so.
        let mut pipe = Scripted {
            steps: vec![Err(io::ErrorKind::Other), Err(io::ErrorKind::Other)],
            read: 0,
        };
        let (_, read) = lines(&mut pipe, false);
        assert!(read.error.is_some());
        assert!(!read.drained);
    }
}
