//! The terminal's shared folder: `req/` in, `res/` and `face/` out.
//!
//! A request is answered once it is complete: on a close-after-write or rename-into-place event,
//! or, for files found by the periodic scan (network shares deliver no events), once its size and
//! modification time have stayed the same for one scan interval. Files with temporary names
//! (`.x`, `x.tmp`, …) are left alone.
//!
//! Answering is crash-safe and loses nothing:
//!
//! ```text
//!   read req/NAME ─► engine ─► write res/.NAME.tmp ─► fsync ─► rename to res/RESULT ─► fsync res/
//!                                                   ─► journal ─► remove req/NAME
//! ```
//!
//! A crash anywhere before the removal leaves the request in `req/`, and it is answered after the
//! restart (files present at start-up are processed). A request answered just before a crash is
//! recognised through the journal (same name, same bytes, answered after the file was written)
//! and only removed. A rejected request is moved into `res/` after its `.err` file is in place.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use anyhow::Context;
use notify::{EventKind, RecursiveMode, Watcher};
use sim_core::FileOutcome;
use sim_messages::file_name::is_temporary_name;
use tokio::sync::mpsc;

use crate::journal::{Channel, Entry};
use crate::shared::{Shared, sha256_hex, wall_ms};

/// How `req/` is watched.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// File events plus the periodic scan.
    Auto,
    /// The periodic scan only.
    Poll,
}

/// Settings of the file interface.
#[derive(Debug, Clone)]
pub struct DropboxConfig {
    /// The shared folder root; `req/`, `res/` and `face/` are created in it.
    pub root: PathBuf,
    /// How `req/` is watched.
    pub watch: WatchMode,
    /// Scan interval.
    pub poll_interval: Duration,
    /// Response delay range.
    pub delay: (Duration, Duration),
    /// fsync results and `res/`.
    pub fsync: bool,
}

/// The three folders.
#[derive(Debug, Clone)]
pub struct Folders {
    /// `req/`.
    pub req: PathBuf,
    /// `res/`.
    pub res: PathBuf,
    /// `face/`.
    pub face: PathBuf,
}

impl Folders {
    /// Creates the folders under `root` if needed.
    pub fn create(root: &Path) -> anyhow::Result<Folders> {
        let folders = Folders {
            req: root.join("req"),
            res: root.join("res"),
            face: root.join("face"),
        };
        for dir in [&folders.req, &folders.res, &folders.face] {
            fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        // Absolute paths, so that event paths and scanned paths compare equal.
        Ok(Folders {
            req: fs::canonicalize(&folders.req)?,
            res: fs::canonicalize(&folders.res)?,
            face: fs::canonicalize(&folders.face)?,
        })
    }
}

/// Runs the file interface until `shutdown` completes.
pub async fn run(
    config: DropboxConfig,
    shared: Arc<Shared>,
    shutdown: impl std::future::Future<Output = ()>,
) -> anyhow::Result<()> {
    let folders = Arc::new(Folders::create(&config.root)?);
    remove_leftover_temporaries(&folders);
    let (tx, mut rx) = mpsc::unbounded_channel::<FileEvent>();

    // Keep the watcher alive for the whole loop.
    let _watcher = match config.watch {
        WatchMode::Poll => None,
        WatchMode::Auto => match start_watcher(&folders.req, tx.clone()) {
            Ok(w) => Some(w),
            Err(e) => {
                tracing::warn!(error = %e, "file events unavailable; watching req/ by polling only");
                None
            }
        },
    };
    tracing::info!(
        req = %folders.req.display(),
        res = %folders.res.display(),
        mode = ?config.watch,
        "watching the shared folder"
    );

    let in_flight: Arc<Mutex<HashSet<String>>> = Arc::default();
    let mut scan = Scan::default();
    // Files present at start-up are complete unless they change during the first interval.
    for path in scan.run(&folders.req, &config, true) {
        dispatch(path, &config, &shared, &folders, &in_flight);
    }
    let mut ticker = tokio::time::interval(config.poll_interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = ticker.tick() => {
                for path in scan.run(&folders.req, &config, false) {
                    dispatch(path, &config, &shared, &folders, &in_flight);
                }
            }
            Some(event) = rx.recv() => match event {
                FileEvent::Writing(path) => {
                    scan.writing.insert(path, std::time::Instant::now());
                }
                FileEvent::Closed(path) => {
                    scan.writing.remove(&path);
                    dispatch(path, &config, &shared, &folders, &in_flight);
                }
            },
        }
    }
    // Let answers in progress finish (bounded), so a clean stop leaves no half-done work.
    for _ in 0..100 {
        if in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

/// What a file event says about a file in `req/`.
#[derive(Debug)]
enum FileEvent {
    /// Created or written to: a writer has it open.
    Writing(PathBuf),
    /// Closed after writing, or renamed into place: complete.
    Closed(PathBuf),
}

/// A file with a create or write event and no close since is still being written; the scan
/// leaves it alone for this long before trusting size and time alone (a lost close event).
const WRITING_GRACE: Duration = Duration::from_secs(30);

fn start_watcher(
    req: &Path,
    tx: mpsc::UnboundedSender<FileEvent>,
) -> notify::Result<notify::RecommendedWatcher> {
    use notify::event::{AccessKind, AccessMode, CreateKind, DataChange, ModifyKind, RenameMode};
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
        let Ok(event) = res else { return };
        // With RenameMode::Both the second path is the destination.
        let Some(path) = event.paths.last().cloned() else {
            return;
        };
        let message = match event.kind {
            EventKind::Access(AccessKind::Close(AccessMode::Write))
            | EventKind::Modify(ModifyKind::Name(
                RenameMode::To | RenameMode::Both | RenameMode::Any,
            )) => FileEvent::Closed(path),
            EventKind::Create(CreateKind::File | CreateKind::Any)
            | EventKind::Modify(
                ModifyKind::Data(DataChange::Any | DataChange::Content | DataChange::Size)
                | ModifyKind::Any,
            ) => FileEvent::Writing(path),
            _ => return,
        };
        let _ = tx.send(message);
    })?;
    watcher.watch(req, RecursiveMode::NonRecursive)?;
    Ok(watcher)
}

/// The periodic scan: finds files whose size and mtime have settled, and that no writer is known
/// to hold open.
#[derive(Debug, Default)]
struct Scan {
    seen: HashMap<PathBuf, (u64, SystemTime)>,
    writing: HashMap<PathBuf, std::time::Instant>,
}

impl Scan {
    fn run(&mut self, req: &Path, config: &DropboxConfig, startup: bool) -> Vec<PathBuf> {
        let mut ready = Vec::new();
        self.writing
            .retain(|_, since| since.elapsed() < WRITING_GRACE);
        let entries = match fs::read_dir(req) {
            Ok(entries) => entries,
            Err(e) => {
                tracing::error!(error = %e, dir = %req.display(), "cannot list req/");
                return ready;
            }
        };
        let mut now_seen = HashMap::new();
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            let name = entry.file_name();
            if is_temporary_name(&name.to_string_lossy()) {
                continue;
            }
            let stamp = (
                meta.len(),
                meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            );
            let settled_age = meta
                .modified()
                .ok()
                .and_then(|m| m.elapsed().ok())
                .is_some_and(|age| age >= config.poll_interval);
            let unchanged = self.seen.get(&path) == Some(&stamp);
            if (unchanged || (startup && settled_age)) && !self.writing.contains_key(&path) {
                ready.push(path.clone());
            }
            now_seen.insert(path, stamp);
        }
        self.seen = now_seen;
        ready
    }
}

/// Delay for a request, in the configured range, derived from its name (the same on a replay).
pub fn delay_for(name: &str, (min, max): (Duration, Duration)) -> Duration {
    if max <= min {
        return min;
    }
    let h = sha256_hex(name.as_bytes());
    let n = u64::from_str_radix(&h[..16], 16).unwrap_or(0);
    let span = (max - min).as_millis() as u64 + 1;
    min + Duration::from_millis(n % span)
}

fn dispatch(
    path: PathBuf,
    config: &DropboxConfig,
    shared: &Arc<Shared>,
    folders: &Arc<Folders>,
    in_flight: &Arc<Mutex<HashSet<String>>>,
) {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return;
    };
    if path.parent() != Some(folders.req.as_path()) || is_temporary_name(&name) {
        return;
    }
    if path.file_name().and_then(|n| n.to_str()).is_none() {
        // No request name can be read from it; answer it as the terminal answers an unknown name,
        // rather than retrying it forever.
        if let Err(e) = reject_unreadable_name(shared, folders, &path, &name) {
            tracing::error!(file = %name, error = %format!("{e:#}"), "cannot move a file with an unreadable name");
        }
        return;
    }
    if !in_flight
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(name.clone())
    {
        return;
    }
    let delay = delay_for(&name, config.delay);
    let fsync = config.fsync;
    let shared = shared.clone();
    let folders = folders.clone();
    let in_flight = in_flight.clone();
    let work = move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            answer_routed(&shared, &folders, &name, fsync)
        }));
        match result {
            Ok(Ok(())) => {}
            Ok(Err(e)) => {
                tracing::error!(file = %name, error = %format!("{e:#}"), "cannot answer request; it stays in req/ and is retried")
            }
            Err(_) => {
                tracing::error!(file = %name, "answer task failed; the request stays in req/")
            }
        }
        in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(&name);
    };
    if delay.is_zero() {
        // Straight to a blocking thread: one thread hand-off fewer on the round trip.
        tokio::task::spawn_blocking(work);
    } else {
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            tokio::task::spawn_blocking(work);
        });
    }
}

/// Answers `req/NAME`. Blocking.
pub fn answer(shared: &Shared, folders: &Folders, name: &str, fsync: bool) -> anyhow::Result<()> {
    answer_with(shared, folders, name, fsync, false)
}

/// [`answer`] for the watcher: a request whose `MedicalInstitutionCode` keys a loaded scenario
/// session with a world of its own is answered from that world (its persons, clock, jobs and
/// 照会番号); the result is written here and journaled by this simulator all the same.
fn answer_routed(
    shared: &Shared,
    folders: &Folders,
    name: &str,
    fsync: bool,
) -> anyhow::Result<()> {
    answer_with(shared, folders, name, fsync, true)
}

fn answer_with(
    shared: &Shared,
    folders: &Folders,
    name: &str,
    fsync: bool,
    route: bool,
) -> anyhow::Result<()> {
    let path = folders.req.join(name);
    let limit = shared.engine.config().max_request_bytes;
    let (bytes, modified) = match read_limited(&path, limit) {
        Ok(v) => v,
        // Already answered and removed by an earlier event.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let sha = sha256_hex(&bytes);
    let mtime_ms = wall_ms(modified);
    if shared.journal.file_answered(name, &sha, mtime_ms) {
        tracing::info!(file = %name, "already answered before a restart; removing the request");
        return remove(&path);
    }
    let session = match route {
        true => shared.scenarios.world_for_request(&bytes),
        false => None,
    };
    let world = session.as_deref().unwrap_or(shared);
    let now = world.clock.now();
    let outcome = world
        .engine
        .handle_file_with(&world.population, world.stores(), name, &bytes, now)
        .with_context(|| format!("answering {name}"))?;
    let summary = outcome.summary().clone();
    let answer_name = match &outcome {
        FileOutcome::Answered {
            result_name,
            bytes: result,
            ..
        } => {
            write_atomically(&folders.res, result_name, result, fsync)?;
            result_name.clone()
        }
        FileOutcome::Rejected {
            err_name,
            bytes: err,
            ..
        } => {
            write_atomically(&folders.res, err_name, err, fsync)?;
            fs::rename(&path, folders.res.join(name))
                .with_context(|| format!("moving {name} into res/"))?;
            if fsync {
                sync_dir(&folders.res)?;
            }
            err_name.clone()
        }
    };
    let answer_bytes = match outcome {
        FileOutcome::Answered { bytes, .. } | FileOutcome::Rejected { bytes, .. } => bytes,
    };
    tracing::info!(
        file = %name,
        answer = %answer_name,
        segment = summary.segment_of_result.as_deref().unwrap_or("-"),
        validity = summary.qualification_validity.as_deref().unwrap_or("-"),
        code = summary.code.as_deref().unwrap_or("-"),
        session = session.is_some(),
        "answered"
    );
    let mut entry = Entry::exchange(
        Channel::File,
        now,
        name,
        &answer_name,
        summary,
        bytes,
        answer_bytes,
    );
    // The same file instance the crash-window check above looks for.
    entry.request_sha256 = sha;
    entry.request_mtime_ms = Some(mtime_ms);
    shared.journal.record(entry);
    // The request of a rejection has already moved; an answered one is removed now.
    if path.exists() {
        remove(&path)?;
    }
    Ok(())
}

/// Moves a file whose name is not valid UTF-8 into `res/` beside an `.err` file (named with the
/// unreadable bytes replaced by U+FFFD).
fn reject_unreadable_name(
    shared: &Shared,
    folders: &Folders,
    path: &Path,
    lossy: &str,
) -> anyhow::Result<()> {
    let rejection = sim_core::engine::Rejection {
        key: sim_messages::ErrorKey::FileUnknownPrefix,
        detail: "the file name is not valid UTF-8".into(),
    };
    let err_name = sim_messages::file_name::err_file_name(lossy);
    write_atomically(
        &folders.res,
        &err_name,
        &shared.engine.err_text(lossy, &rejection),
        true,
    )?;
    let target = folders.res.join(path.file_name().unwrap_or_default());
    fs::rename(path, target).context("moving the file into res/")?;
    tracing::warn!(file = %lossy, answer = %err_name, "rejected a file whose name is not valid UTF-8");
    Ok(())
}

fn read_limited(path: &Path, limit: usize) -> std::io::Result<(Vec<u8>, SystemTime)> {
    let file = fs::File::open(path)?;
    let modified = file.metadata()?.modified().unwrap_or(SystemTime::now());
    let mut bytes = Vec::new();
    // One byte more than the limit is enough to know it is too large.
    file.take(limit as u64 + 1).read_to_end(&mut bytes)?;
    Ok((bytes, modified))
}

fn remove(path: &Path) -> anyhow::Result<()> {
    match fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e).with_context(|| format!("removing {}", path.display())),
    }
}

/// Removes the temporary files (`.NAME.tmp`) that [`write_atomically`] leaves behind when the
/// process is killed mid-write. Nothing else in `res/` or `face/` is touched.
fn remove_leftover_temporaries(folders: &Folders) {
    for dir in [&folders.res, &folders.face] {
        let Ok(entries) = fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            if name.starts_with('.') && name.ends_with(".tmp") && name.len() > 5 {
                match fs::remove_file(entry.path()) {
                    Ok(()) => {
                        tracing::info!(file = %name, "removed a temporary file left by an interrupted write")
                    }
                    Err(e) => {
                        tracing::warn!(file = %name, error = %e, "cannot remove a leftover temporary file")
                    }
                }
            }
        }
    }
}

/// Writes `dir/name` atomically: a hidden temporary file, fsync, rename, fsync of the folder.
pub fn write_atomically(dir: &Path, name: &str, bytes: &[u8], fsync: bool) -> anyhow::Result<()> {
    let tmp = dir.join(format!(".{name}.tmp"));
    {
        let mut f =
            fs::File::create(&tmp).with_context(|| format!("creating {}", tmp.display()))?;
        f.write_all(bytes)
            .with_context(|| format!("writing {}", tmp.display()))?;
        if fsync {
            f.sync_all()
                .with_context(|| format!("syncing {}", tmp.display()))?;
        }
    }
    fs::rename(&tmp, dir.join(name)).with_context(|| format!("renaming to {name}"))?;
    if fsync {
        sync_dir(dir)?;
    }
    Ok(())
}

fn sync_dir(dir: &Path) -> anyhow::Result<()> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing {}", dir.display()))
}
