//! Test support: a simulator running in-process on a temporary shared folder, with a frozen
//! virtual clock, and request builders.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDateTime;
use sim_messages::TextEncoding;
use sim_messages::siquc01::{
    QualificationConfirmRequest, QualificationConfirmSearchInfo, RequestBody, RequestHeader,
};
use sim_messages::xml::{XmlStyle, write_document};
use sim_server::clock::VirtualClock;
use sim_server::config::Config;
use sim_server::dropbox::{self, DropboxConfig, Folders, WatchMode};
use sim_server::serve::{ServeOptions, build_shared};
use sim_server::shared::Shared;
use tempfile::TempDir;
use tokio::sync::oneshot;

/// The frozen time of every in-process test server.
pub const NOW: &str = "2026-11-25T09:30:15";

pub fn now() -> NaiveDateTime {
    NaiveDateTime::parse_from_str(NOW, "%Y-%m-%dT%H:%M:%S").unwrap()
}

/// A config for tests: no delay, small population, fast scans.
pub fn test_config() -> Config {
    let mut c = Config::default_config();
    c.terminal.response_delay_ms = [0, 0];
    c.terminal.poll_interval_ms = 100;
    c.population.size = 50;
    c
}

pub struct TestServer {
    pub dir: TempDir,
    pub shared: Arc<Shared>,
    pub folders: Folders,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestServer {
    /// Starts the file interface with `config` on a new temporary folder.
    pub async fn start(config: Config) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        TestServer::start_in(dir, config).await
    }

    pub async fn start_in(dir: TempDir, config: Config) -> TestServer {
        let mut opts = ServeOptions::new(
            config.clone(),
            dir.path().join("oqs"),
            dir.path().join("state"),
        );
        opts.clock = Arc::new(VirtualClock::new(now(), false));
        let shared = build_shared(&opts).unwrap();
        let folders = Folders::create(&opts.oqs_dir).unwrap();
        let t = &config.terminal;
        let dconfig = DropboxConfig {
            root: opts.oqs_dir.clone(),
            watch: if t.watch == "poll" {
                WatchMode::Poll
            } else {
                WatchMode::Auto
            },
            poll_interval: Duration::from_millis(t.poll_interval_ms),
            delay: (
                Duration::from_millis(t.response_delay_ms[0]),
                Duration::from_millis(t.response_delay_ms[1]),
            ),
            fsync: t.fsync,
        };
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let task = tokio::spawn(dropbox::run(dconfig, shared.clone(), async {
            let _ = stop_rx.await;
        }));
        // Give the watcher a moment to be installed.
        tokio::time::sleep(Duration::from_millis(50)).await;
        TestServer {
            dir,
            shared,
            folders,
            stop: Some(stop_tx),
            task: Some(task),
        }
    }

    /// Stops the file interface and returns the folder for a restart.
    pub async fn stop(mut self) -> TempDir {
        self.shutdown().await;
        let dir = tempfile::tempdir().unwrap();
        std::mem::replace(&mut self.dir, dir)
    }

    async fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.await.unwrap().unwrap();
        }
        self.shared.journal.flush();
    }

    /// Writes a request the careful way (temporary name, then rename).
    pub fn drop_request(&self, name: &str, bytes: &[u8]) {
        write_atomic(&self.folders.req, name, bytes);
    }

    pub fn res(&self, name: &str) -> PathBuf {
        self.folders.res.join(name)
    }
}

pub fn write_atomic(dir: &Path, name: &str, bytes: &[u8]) {
    let tmp = dir.join(format!(".{name}.part"));
    std::fs::write(&tmp, bytes).unwrap();
    std::fs::rename(&tmp, dir.join(name)).unwrap();
}

/// Waits until `path` exists (and is not empty), up to `timeout`.
pub async fn wait_for(path: &Path, timeout: Duration) -> Vec<u8> {
    let start = Instant::now();
    loop {
        if let Ok(bytes) = std::fs::read(path)
            && !bytes.is_empty()
        {
            return bytes;
        }
        assert!(
            start.elapsed() < timeout,
            "{} did not appear within {timeout:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

pub fn list(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Keys typed from a card.
pub struct Keys {
    pub insurer: &'static str,
    pub symbol: Option<&'static str>,
    pub number: &'static str,
    pub branch: Option<&'static str>,
    pub birthdate: &'static str,
}

/// valid-kokuho from the named fixtures.
pub const KOKUHO: Keys = Keys {
    insurer: "  131011",
    symbol: Some("千代"),
    number: "１２３４５６",
    branch: Some("00"),
    birthdate: "19620220",
};

/// valid-shaho-honnin.
pub const SHAHO: Keys = Keys {
    insurer: "01130012",
    symbol: Some("30120045"),
    number: "12",
    branch: Some("00"),
    birthdate: "19840615",
};

/// Keys nobody has.
pub const NOBODY: Keys = Keys {
    insurer: "01130012",
    symbol: Some("30120045"),
    number: "999",
    branch: Some("00"),
    birthdate: "19840615",
};

pub fn request(keys: &Keys, afi: &str) -> QualificationConfirmRequest {
    QualificationConfirmRequest {
        header: RequestHeader {
            qualification_confirmation_date: Some("20261125".into()),
            medical_institution_code: Some("1311234567".into()),
            arbitrary_file_identifier: Some(afi.into()),
        },
        body: RequestBody {
            qualification_confirm_search_info: Some(QualificationConfirmSearchInfo {
                insurer_number: Some(keys.insurer.into()),
                insured_card_symbol: keys.symbol.map(Into::into),
                insured_identification_number: Some(keys.number.into()),
                insured_branch_number: keys.branch.map(Into::into),
                birthdate: Some(keys.birthdate.into()),
                limit_application_certificate_related_cons_flg: Some("0".into()),
                arbitrary_identifier: None,
            }),
        },
    }
}

/// A request file as a Shift_JIS client writes it: declaration, CRLF line ends.
pub fn sjis_request(keys: &Keys, afi: &str) -> Vec<u8> {
    write_document(
        &request(keys, afi),
        TextEncoding::ShiftJis,
        XmlStyle {
            indent: 2,
            crlf: true,
        },
    )
    .unwrap()
}

/// The same as a UTF-8 client writes it.
pub fn utf8_request(keys: &Keys, afi: &str) -> Vec<u8> {
    write_document(
        &request(keys, afi),
        TextEncoding::Utf8,
        XmlStyle {
            indent: 0,
            crlf: false,
        },
    )
    .unwrap()
}

/// Decodes a result or .err file: by its declaration, else as `fallback`.
pub fn text(bytes: &[u8], fallback: TextEncoding) -> String {
    match sim_messages::encoding::decode(bytes) {
        Ok(d) if bytes.starts_with(b"<?xml") => d.text,
        _ => match fallback {
            TextEncoding::Utf8 => String::from_utf8(bytes.to_vec()).unwrap(),
            TextEncoding::ShiftJis => sim_messages::encoding::shift_jis_lossy(bytes).0,
        },
    }
}

/// The text of the first `<tag>` element.
pub fn element(text: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let start = text.find(&open)? + open.len();
    let end = text[start..].find(&format!("</{tag}>"))?;
    Some(text[start..start + end].to_owned())
}
