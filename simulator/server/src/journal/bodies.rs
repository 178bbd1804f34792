//! The journal's bodies (request and answer bytes) in append-only segment files beside the SQLite
//! index: `journal-bodies/seg-00000001.log`, … Each row of the index points at its bodies by
//! segment, offset and lengths. Keeping kilobytes of XML out of SQLite's pages makes a journal
//! entry about ten times cheaper to write; old segments are deleted when the index is pruned.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// A segment is closed and a new one started past this size.
const SEGMENT_BYTES: u64 = 64 * 1024 * 1024;

/// Where an entry's bodies are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BodyRef {
    /// Segment number.
    pub segment: i64,
    /// Offset of the request bytes in the segment; the answer follows them.
    pub offset: i64,
    /// Length of the request bytes.
    pub request_len: i64,
    /// Length of the answer bytes.
    pub answer_len: i64,
}

/// The appending side, owned by the journal's writer thread.
#[derive(Debug)]
pub struct BodyLog {
    dir: PathBuf,
    segment: i64,
    offset: u64,
    out: BufWriter<File>,
}

fn segment_path(dir: &Path, segment: i64) -> PathBuf {
    dir.join(format!("seg-{segment:08}.log"))
}

fn segments(dir: &Path) -> anyhow::Result<Vec<i64>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).with_context(|| format!("listing {}", dir.display()))? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        if let Some(n) = name
            .strip_prefix("seg-")
            .and_then(|s| s.strip_suffix(".log"))
            && let Ok(n) = n.parse()
        {
            out.push(n);
        }
    }
    out.sort_unstable();
    Ok(out)
}

impl BodyLog {
    /// Opens the log in `dir`, appending to a new segment after the last one.
    pub fn open(dir: &Path) -> anyhow::Result<BodyLog> {
        fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let segment = segments(dir)?.last().copied().unwrap_or(0) + 1;
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(segment_path(dir, segment))
            .context("opening a journal segment")?;
        Ok(BodyLog {
            dir: dir.to_owned(),
            segment,
            offset: 0,
            out: BufWriter::with_capacity(256 * 1024, file),
        })
    }

    /// Appends an entry's bodies.
    pub fn append(&mut self, request: &[u8], answer: &[u8]) -> anyhow::Result<BodyRef> {
        if self.offset >= SEGMENT_BYTES {
            self.out.flush()?;
            self.segment += 1;
            self.offset = 0;
            let file = OpenOptions::new()
                .create(true)
                .append(true)
                .open(segment_path(&self.dir, self.segment))
                .context("opening a journal segment")?;
            self.out = BufWriter::with_capacity(256 * 1024, file);
        }
        let r = BodyRef {
            segment: self.segment,
            offset: self.offset as i64,
            request_len: request.len() as i64,
            answer_len: answer.len() as i64,
        };
        self.out.write_all(request)?;
        self.out.write_all(answer)?;
        self.offset += (request.len() + answer.len()) as u64;
        Ok(r)
    }

    /// Hands buffered bytes to the operating system (before the index rows are committed).
    pub fn flush(&mut self) -> anyhow::Result<()> {
        self.out.flush().context("writing journal bodies")
    }

    /// Deletes segments older than `oldest_needed`.
    pub fn prune(&self, oldest_needed: i64) -> anyhow::Result<()> {
        for n in segments(&self.dir)? {
            if n < oldest_needed && n != self.segment {
                fs::remove_file(segment_path(&self.dir, n))?;
            }
        }
        Ok(())
    }
}

/// Reads an entry's bodies; empty when the segment is gone.
pub fn read(dir: &Path, r: BodyRef) -> (Vec<u8>, Vec<u8>) {
    let Ok(file) = File::open(segment_path(dir, r.segment)) else {
        return (Vec::new(), Vec::new());
    };
    let (Ok(rl), Ok(al), Ok(off)) = (
        usize::try_from(r.request_len),
        usize::try_from(r.answer_len),
        u64::try_from(r.offset),
    ) else {
        return (Vec::new(), Vec::new());
    };
    let mut buf = vec![0; rl + al];
    if file.read_exact_at(&mut buf, off).is_err() {
        return (Vec::new(), Vec::new());
    }
    let answer = buf.split_off(rl);
    (buf, answer)
}
