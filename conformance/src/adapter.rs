//! Driving the SUT: the command adapter (a program speaking JSON Lines on stdin/stdout), the HTTP
//! adapter (one JSON POST per request) and the manual mode (a person at the SUT follows printed
//! instructions). The contract is in [`crate::proto`] and `conformance/schema/`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::proto::{Envelope, Hello, PROTOCOL, Recorded, Reply, Request};

/// Why a call did not give a reply.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AdapterError {
    /// The SUT's fault: no reply in time, an invalid reply, a crash.
    #[error("{0}")]
    Sut(String),
    /// The harness's or the environment's: the program cannot be started, the endpoint is
    /// unreachable.
    #[error("{0}")]
    Harness(String),
}

/// How the harness reaches the SUT.
#[derive(Debug, Clone)]
pub enum AdapterKind {
    /// A program run through `sh -c`, one per case.
    Command(String),
    /// An HTTP endpoint taking every request as a JSON POST.
    Http(String),
    /// A person at the SUT.
    Manual,
}

/// One case's conversation with the SUT.
pub trait Session {
    /// Sends `request` and waits up to `timeout` for the reply.
    fn call(&mut self, request: Request, timeout: Duration) -> Result<Reply, AdapterError>;
    /// Ends the conversation.
    fn close(&mut self);
    /// What the SUT printed on stderr (command adapter), for evidence.
    fn stderr(&self) -> String {
        String::new()
    }
}

/// Opens a session for one case and says hello; the SUT's name.
pub fn open(
    kind: &AdapterKind,
    hello: Hello,
    timeout: Duration,
    answered: Arc<dyn Fn() -> usize + Send + Sync>,
) -> Result<(Box<dyn Session>, String), AdapterError> {
    let mut session: Box<dyn Session> = match kind {
        AdapterKind::Command(cmd) => Box::new(CommandSession::spawn(cmd)?),
        AdapterKind::Http(url) => Box::new(HttpSession::new(url)?),
        AdapterKind::Manual => Box::new(ManualSession { next: 1, answered }),
    };
    let reply = session.call(Request::Hello(hello), timeout)?;
    if !reply.ok {
        session.close();
        return Err(AdapterError::Sut(format!(
            "the SUT refused hello: {}",
            reply.error.unwrap_or_default()
        )));
    }
    if let Some(p) = reply.protocol
        && p != PROTOCOL
    {
        session.close();
        return Err(AdapterError::Harness(format!(
            "the SUT speaks adapter protocol {p}, this harness {PROTOCOL}"
        )));
    }
    Ok((session, reply.sut.unwrap_or_else(|| "unnamed SUT".into())))
}

/// The command adapter: one JSON object per line each way.
struct CommandSession {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    stderr: Arc<Mutex<String>>,
    next: u64,
}

impl CommandSession {
    fn spawn(cmd: &str) -> Result<CommandSession, AdapterError> {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(cmd)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                AdapterError::Harness(format!("cannot start the SUT command {cmd:?}: {e}"))
            })?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| AdapterError::Harness("no stdout".into()))?;
        let stderr_pipe = child
            .stderr
            .take()
            .ok_or_else(|| AdapterError::Harness("no stderr".into()))?;
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = stderr.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr_pipe).lines() {
                let Ok(line) = line else { break };
                let mut s = sink.lock().unwrap_or_else(|e| e.into_inner());
                // Keep the last 16 KiB.
                if s.len() > 16 * 1024 {
                    let cut = s.len() - 8 * 1024;
                    let cut = (cut..s.len())
                        .find(|&i| s.is_char_boundary(i))
                        .unwrap_or(s.len());
                    s.drain(..cut);
                }
                s.push_str(&line);
                s.push('\n');
            }
        });
        Ok(CommandSession {
            stdin: child.stdin.take(),
            child,
            lines: rx,
            stderr,
            next: 1,
        })
    }
}

impl Session for CommandSession {
    fn call(&mut self, request: Request, timeout: Duration) -> Result<Reply, AdapterError> {
        let id = self.next;
        self.next += 1;
        let line = serde_json::to_string(&Envelope { id, request })
            .map_err(|e| AdapterError::Harness(e.to_string()))?;
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| AdapterError::Sut("the SUT's stdin is closed".into()))?;
        writeln!(stdin, "{line}")
            .and_then(|()| stdin.flush())
            .map_err(|e| AdapterError::Sut(format!("the SUT does not read its stdin: {e}")))?;
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(text) if text.trim().is_empty() => continue,
                Ok(text) => {
                    let reply: Reply = serde_json::from_str(&text).map_err(|e| {
                        AdapterError::Sut(format!(
                            "the SUT's reply is not valid JSON for the contract ({e}): {text:.200}"
                        ))
                    })?;
                    if reply.id != id {
                        // A late reply to an earlier request that timed out.
                        continue;
                    }
                    return Ok(reply);
                }
                Err(RecvTimeoutError::Timeout) => {
                    return Err(AdapterError::Sut(format!(
                        "no reply from the SUT within {} ms",
                        timeout.as_millis()
                    )));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    let status = self.child.try_wait().ok().flatten();
                    return Err(AdapterError::Sut(format!(
                        "the SUT closed its stdout{}",
                        status
                            .map(|s| format!(" and exited ({s})"))
                            .unwrap_or_default()
                    )));
                }
            }
        }
    }

    fn close(&mut self) {
        if let Some(mut stdin) = self.stdin.take()
            && let Ok(line) = serde_json::to_string(&Envelope {
                id: self.next,
                request: Request::Bye,
            })
        {
            let _ = writeln!(stdin, "{line}");
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        // The SUT did not exit: this process started it, so it ends it.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for CommandSession {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The HTTP adapter: every request is `POST <url>` with the JSON envelope; the reply is the body.
pub struct HttpSession {
    url: hyper::Uri,
    runtime: tokio::runtime::Runtime,
    next: u64,
}

impl HttpSession {
    /// A session posting to `url`.
    pub fn new(url: &str) -> Result<HttpSession, AdapterError> {
        let url: hyper::Uri = url
            .parse()
            .map_err(|e| AdapterError::Harness(format!("invalid SUT URL {url:?}: {e}")))?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| AdapterError::Harness(e.to_string()))?;
        Ok(HttpSession {
            url,
            runtime,
            next: 1,
        })
    }
}

impl Session for HttpSession {
    fn call(&mut self, request: Request, timeout: Duration) -> Result<Reply, AdapterError> {
        use http_body_util::{BodyExt, Full};
        use hyper::body::Bytes;
        let id = self.next;
        self.next += 1;
        let body = serde_json::to_vec(&Envelope { id, request })
            .map_err(|e| AdapterError::Harness(e.to_string()))?;
        let url = self.url.clone();
        self.runtime.block_on(async move {
            let client =
                hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                    .build_http::<Full<Bytes>>();
            let req = hyper::Request::post(url.clone())
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(body)))
                .map_err(|e| AdapterError::Harness(e.to_string()))?;
            let work = async {
                let response = client.request(req).await.map_err(|e| {
                    AdapterError::Harness(format!("cannot reach the SUT at {url}: {e}"))
                })?;
                let status = response.status();
                let bytes = response
                    .into_body()
                    .collect()
                    .await
                    .map_err(|e| AdapterError::Sut(format!("reading the SUT's reply: {e}")))?
                    .to_bytes();
                if !status.is_success() {
                    return Err(AdapterError::Sut(format!(
                        "the SUT answered HTTP {status}: {:.200}",
                        String::from_utf8_lossy(&bytes)
                    )));
                }
                let reply: Reply = serde_json::from_slice(&bytes).map_err(|e| {
                    AdapterError::Sut(format!(
                        "the SUT's reply is not valid JSON for the contract ({e}): {:.200}",
                        String::from_utf8_lossy(&bytes)
                    ))
                })?;
                if reply.id != id {
                    return Err(AdapterError::Sut(format!(
                        "the SUT answered id {} to request {id}",
                        reply.id
                    )));
                }
                Ok(reply)
            };
            match tokio::time::timeout(timeout, work).await {
                Ok(r) => r,
                Err(_) => Err(AdapterError::Sut(format!(
                    "no reply from the SUT within {} ms",
                    timeout.as_millis()
                ))),
            }
        })
    }

    fn close(&mut self) {
        let _ = self.call(Request::Bye, Duration::from_secs(2));
    }
}

/// Manual mode: instructions for a person at the SUT; the harness waits for what the SUT writes.
struct ManualSession {
    next: u64,
    answered: Arc<dyn Fn() -> usize + Send + Sync>,
}

fn describe_card(card: &crate::proto::Card) -> String {
    format!(
        "保険者番号 {}  記号 {}  番号 {}  枝番 {}  生年月日 {}",
        card.insurer_number,
        card.symbol.as_deref().unwrap_or("-"),
        card.number,
        card.branch.as_deref().unwrap_or("-"),
        card.birthdate
    )
}

impl ManualSession {
    /// Waits until the terminal has answered `more` further requests.
    fn wait_answers(&self, more: usize, timeout: Duration) -> Result<(), AdapterError> {
        let start = (self.answered)();
        let deadline = Instant::now() + timeout;
        while (self.answered)() < start + more {
            if Instant::now() >= deadline {
                return Err(AdapterError::Sut(format!(
                    "no request arrived within {} s",
                    timeout.as_secs()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        // Give the SUT a moment to read the result.
        std::thread::sleep(Duration::from_secs(1));
        Ok(())
    }
}

impl Session for ManualSession {
    fn call(&mut self, request: Request, timeout: Duration) -> Result<Reply, AdapterError> {
        let id = self.next;
        self.next += 1;
        let ok = Reply {
            id,
            ok: true,
            ..Reply::default()
        };
        let say = |text: String| {
            println!("\n>>> {text}");
            let _ = std::io::stdout().flush();
        };
        match request {
            Request::Hello(h) => {
                say(format!(
                    "Case {}: point the system at the shared folder {} (Web API {}), 医療機関コード {}, today {}.",
                    h.case, h.oqs_dir, h.webapi_url, h.medical_institution_code, h.today
                ));
                Ok(Reply {
                    sut: Some("manual".into()),
                    protocol: Some(PROTOCOL),
                    ..ok
                })
            }
            Request::CheckInsuranceCard(c) => {
                say(format!(
                    "Check patient {} by insurance card{}{}: {}. Waiting up to {} s for the request…",
                    c.patient,
                    if c.via == crate::proto::Via::Webapi {
                        " over the Web API"
                    } else {
                        ""
                    },
                    if c.limit_consent {
                        " (the patient consents to 限度額 information)"
                    } else {
                        ""
                    },
                    describe_card(&c.card),
                    timeout.as_secs()
                ));
                self.wait_answers(1, timeout).map(|()| ok)
            }
            Request::RegisterReferenceNumber(r) => {
                say(format!(
                    "Register 照会番号 {} for patient {}: {}. Waiting up to {} s…",
                    r.reference_number,
                    r.patient,
                    describe_card(&r.card),
                    timeout.as_secs()
                ));
                self.wait_answers(1, timeout).map(|()| ok)
            }
            Request::RunBulk(b) => {
                let what = match b.kind {
                    crate::proto::BulkKind::Qualification => format!(
                        "the bulk check for tomorrow's {} patient(s): {}",
                        b.patients.len(),
                        b.patients
                            .iter()
                            .map(|p| p.patient.clone())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    kind => format!(
                        "the {} bulk check with {}",
                        match kind {
                            crate::proto::BulkKind::Home => "訪問診療等 (OQSmuhvq)",
                            crate::proto::BulkKind::Online => "オンライン診療等 (OQSmuonq)",
                            _ => "医療扶助 (OQSmutic)",
                        },
                        serde_json::to_string(&b.criteria).unwrap_or_default()
                    ),
                };
                say(format!(
                    "Run {what}. Waiting up to {} s…",
                    timeout.as_secs()
                ));
                self.wait_answers(2, timeout).map(|()| ok)
            }
            Request::ViewMedicalInfo(v) => {
                say(format!(
                    "Open the {} of patient {} ({}). Waiting up to {} s for the request, if the system sends one…",
                    match v.kind {
                        crate::proto::MedicalKind::Drug => "drug information (薬剤情報)",
                        crate::proto::MedicalKind::Checkup => "checkup information (特定健診情報)",
                    },
                    v.patient,
                    describe_card(&v.card),
                    timeout.as_secs()
                ));
                // Without consent the system may rightly send nothing.
                let _ = self.wait_answers(1, timeout);
                Ok(ok)
            }
            Request::ReadFace => {
                say("A card check at the reader has written a file into face/: let the system take it in, then type what it shows as JSON (a Recorded object) or press Enter for nothing.".into());
                let line = read_line(timeout)?;
                let received = if line.trim().is_empty() {
                    vec![]
                } else {
                    vec![parse_recorded(&line)?]
                };
                Ok(Reply {
                    received: Some(received),
                    ..ok
                })
            }
            Request::Report(r) => {
                say(format!(
                    "What does the system show for patient {}? Type it as JSON, e.g. {{\"outcome\":\"valid\",\"insurer_number\":\"06139018\",\"burden_ratio\":\"030\"}}, or press Enter for nothing.",
                    r.patient
                ));
                let line = read_line(timeout)?;
                Ok(Reply {
                    recorded: if line.trim().is_empty() {
                        None
                    } else {
                        Some(parse_recorded(&line)?)
                    },
                    ..ok
                })
            }
            Request::Bye => Ok(ok),
        }
    }

    fn close(&mut self) {
        println!(">>> Case done.");
    }
}

fn parse_recorded(line: &str) -> Result<Recorded, AdapterError> {
    serde_json::from_str(line).map_err(|e| AdapterError::Sut(format!("not a Recorded object: {e}")))
}

fn read_line(timeout: Duration) -> Result<String, AdapterError> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = std::io::stdin().read_line(&mut line);
        let _ = tx.send(line);
    });
    rx.recv_timeout(timeout)
        .map_err(|_| AdapterError::Sut(format!("no answer typed within {} s", timeout.as_secs())))
}
