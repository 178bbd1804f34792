//! The vpcd driver: one thread per inserted card that connects to vsmartcard's vpcd (normal mode: vpcd
//! listens, the card connects) and answers its frames with the sans-IO card core.
//!
//! ```text
//!            insert                 connect ok                       stop (remove)
//!  (none) ----------> Connecting -------------> Connected ----------------------------> Stopped
//!                      ^      |                  |  peer closed / malformed frame /
//!                      |      | refused:         |  socket error: the session ends
//!                      |      | wait (backoff)   |
//!                      +------+------------------+
//! ```
//!
//! - Insertion is connecting, removal is closing: a new connection is a new insertion, so the card
//!   powers off at the start of every session (its PIN counters persist).
//! - Frames are read with [`sim_card::vpcd::Deframer`], whatever chunks TCP delivers. Before every
//!   read `TCP_QUICKACK` is re-armed: bookworm's vpcd sends the length and the payload in two
//!   segments, and a delayed ACK would stall every APDU by ~40 ms.
//! - GET ATR (vpcd's presence poll, every ~0.4 s) is answered at once from the same loop; nothing in
//!   the loop blocks longer than one RSA signature.
//! - A malformed frame ends the session (the socket is closed) and the slot reconnects after the
//!   backoff, like any other session end while the card stays inserted.
//! - PIN counters are saved to the [`PinStore`] after every command that can change them.

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream, ToSocketAddrs};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use serde::Serialize;
use sim_card::vpcd::{Deframer, VpcdError, VpcdRequest, frame, respond};
use sim_card::{PinCounters, PinId, VirtualCard};
use socket2::SockRef;

use super::store::PinStore;

/// First wait after a failed connection or an ended session.
const BACKOFF_START: Duration = Duration::from_millis(50);
/// Longest wait between connection attempts.
const BACKOFF_MAX: Duration = Duration::from_secs(2);
/// How long one connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Instructions after which the PIN counters may have changed (VERIFY, CHANGE REFERENCE DATA,
/// RESET RETRY COUNTER, and the odd-INS VERIFY).
const PIN_INS: [u8; 4] = [0x20, 0x21, 0x24, 0x2C];

/// The PINs shown in a slot's status.
const SHOWN_PINS: [PinId; 3] = [PinId::JpkiAuth, PinId::JpkiSign, PinId::Kenhojo];

/// Where the card's connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkState {
    /// Trying to reach vpcd (it may not be up yet).
    Connecting,
    /// Connected: pcscd sees the card.
    Connected,
    /// Removed; the thread has ended.
    Stopped,
}

/// A snapshot of one slot's connection.
#[derive(Debug, Clone, Serialize)]
pub struct LinkStatus {
    /// The state.
    pub state: LinkState,
    /// `host:port` the card connects to.
    pub vpcd: String,
    /// Connections made so far (each one an insertion as pcscd sees it).
    pub sessions: u64,
    /// C-APDUs answered, all sessions.
    pub apdus: u64,
    /// Why the last connection attempt or session failed.
    pub last_error: Option<String>,
    /// Tries left of the main PINs (`jpki-auth`, `jpki-sign`, `kenhojo`); 0 means locked.
    pub tries_left: BTreeMap<&'static str, u8>,
}

/// What the driver thread and the service share.
#[derive(Debug)]
struct Link {
    stop: AtomicBool,
    status: Mutex<LinkStatus>,
    wake: Condvar,
    /// A handle on the open connection, so that removal can close it under a blocked read.
    socket: Mutex<Option<TcpStream>>,
}

impl Link {
    fn status(&self) -> MutexGuard<'_, LinkStatus> {
        self.status.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn socket(&self) -> MutexGuard<'_, Option<TcpStream>> {
        self.socket.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stopping(&self) -> bool {
        self.stop.load(Ordering::Acquire)
    }

    /// Waits up to `d`, or less when the slot is stopped.
    fn pause(&self, d: Duration) {
        let guard = self.status();
        let _ = self.wake.wait_timeout_while(guard, d, |_| !self.stopping());
    }
}

/// Everything a driver thread needs.
pub(crate) struct DriverParams {
    /// vpcd slot (port offset).
    pub slot: u8,
    /// vpcd host.
    pub host: String,
    /// Port of this slot.
    pub port: u16,
    /// The card, PIN counters already restored.
    pub card: VirtualCard,
    /// Key of the card in the PIN store (auth serial, hex).
    pub card_key: String,
    /// Whose card it is.
    pub person_id: String,
    /// Where PIN counters go.
    pub store: Arc<PinStore>,
}

/// A running driver thread.
#[derive(Debug)]
pub(crate) struct Driver {
    link: Arc<Link>,
    thread: Option<JoinHandle<()>>,
}

impl Driver {
    /// Starts the thread; it connects at once.
    pub(crate) fn spawn(params: DriverParams) -> std::io::Result<Driver> {
        let link = Arc::new(Link {
            stop: AtomicBool::new(false),
            status: Mutex::new(LinkStatus {
                state: LinkState::Connecting,
                vpcd: format!("{}:{}", params.host, params.port),
                sessions: 0,
                apdus: 0,
                last_error: None,
                tries_left: tries_of(&params.card),
            }),
            wake: Condvar::new(),
            socket: Mutex::new(None),
        });
        let thread_link = link.clone();
        let thread = std::thread::Builder::new()
            .name(format!("card-slot-{}", params.slot))
            .spawn(move || run(params, &thread_link))?;
        Ok(Driver {
            link,
            thread: Some(thread),
        })
    }

    /// A snapshot of the connection.
    pub(crate) fn status(&self) -> LinkStatus {
        self.link.status().clone()
    }

    /// Removes the card: closes the connection and waits for the thread.
    pub(crate) fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.link.stop.store(true, Ordering::Release);
        if let Some(socket) = self.link.socket().as_ref() {
            let _ = socket.shutdown(Shutdown::Both);
        }
        {
            let _guard = self.link.status();
            self.link.wake.notify_all();
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        self.halt();
    }
}

fn tries_of(card: &VirtualCard) -> BTreeMap<&'static str, u8> {
    SHOWN_PINS
        .into_iter()
        .map(|p| (p.name(), card.tries_left(p)))
        .collect()
}

/// How a session ended.
#[derive(Debug)]
enum SessionEnd {
    /// The card was removed.
    Stopped,
    /// vpcd closed the connection (pcscd stopped or restarted).
    PeerClosed,
    /// vpcd sent something that is not a vpcd frame.
    Malformed(VpcdError),
    /// The socket failed.
    Io(std::io::Error),
}

fn connect(host: &str, port: u16) -> std::io::Result<TcpStream> {
    let mut last = std::io::Error::new(ErrorKind::NotFound, "the host resolves to no address");
    for addr in (host, port).to_socket_addrs()? {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(s) => return Ok(s),
            Err(e) => last = e,
        }
    }
    Err(last)
}

/// The thread body: connect, serve, reconnect, until stopped.
fn run(mut params: DriverParams, link: &Link) {
    let span = tracing::info_span!("card", slot = params.slot, person = %params.person_id);
    let _enter = span.enter();
    let mut backoff = BACKOFF_START;
    let mut warned = false;
    let mut saved = params.card.export_pins();
    while !link.stopping() {
        match connect(&params.host, params.port) {
            Ok(stream) => {
                backoff = BACKOFF_START;
                warned = false;
                let end = session(&mut params, link, stream, &mut saved);
                let mut status = link.status();
                match end {
                    SessionEnd::Stopped => {}
                    SessionEnd::PeerClosed => {
                        tracing::info!("vpcd closed the connection; reconnecting");
                        status.last_error = Some("vpcd closed the connection".into());
                    }
                    SessionEnd::Malformed(e) => {
                        tracing::warn!(error = %e, "malformed vpcd frame; session closed");
                        status.last_error = Some(format!("malformed vpcd frame: {e}"));
                    }
                    SessionEnd::Io(e) => {
                        tracing::warn!(error = %e, "vpcd connection failed; reconnecting");
                        status.last_error = Some(format!("vpcd connection failed: {e}"));
                    }
                }
                status.state = LinkState::Connecting;
            }
            Err(e) => {
                if warned {
                    tracing::debug!(error = %e, "vpcd not reachable");
                } else {
                    tracing::warn!(
                        error = %e,
                        vpcd = %format!("{}:{}", params.host, params.port),
                        "vpcd not reachable (is pcscd with vsmartcard-vpcd running?); retrying"
                    );
                    warned = true;
                }
                link.status().last_error = Some(format!("cannot connect to vpcd: {e}"));
            }
        }
        link.pause(backoff);
        backoff = (backoff * 2).min(BACKOFF_MAX);
    }
    link.status().state = LinkState::Stopped;
    tracing::info!("card removed");
}

/// Serves one connection until it ends.
fn session(
    params: &mut DriverParams,
    link: &Link,
    mut stream: TcpStream,
    saved: &mut PinCounters,
) -> SessionEnd {
    let _ = stream.set_nodelay(true);
    match stream.try_clone() {
        Ok(handle) => *link.socket() = Some(handle),
        Err(e) => return SessionEnd::Io(e),
    }
    // A removal between connect and here would not have seen the socket.
    if link.stopping() {
        let _ = stream.shutdown(Shutdown::Both);
        return SessionEnd::Stopped;
    }
    let number = {
        let mut status = link.status();
        status.state = LinkState::Connected;
        status.sessions += 1;
        status.sessions
    };
    let span = tracing::info_span!("session", n = number);
    let _enter = span.enter();
    tracing::info!("card connected to vpcd");
    params.card.power_off();
    let end = serve(params, link, &mut stream, saved);
    *link.socket() = None;
    let _ = stream.shutdown(Shutdown::Both);
    if link.stopping() {
        SessionEnd::Stopped
    } else {
        end
    }
}

fn serve(
    params: &mut DriverParams,
    link: &Link,
    stream: &mut TcpStream,
    saved: &mut PinCounters,
) -> SessionEnd {
    let mut deframer = Deframer::new();
    let mut buf = vec![0u8; 8192];
    loop {
        while let Some(request) = deframer.next_request() {
            let request = match request {
                Ok(r) => r,
                Err(e) => return SessionEnd::Malformed(e),
            };
            let reply = respond(&mut params.card, &request);
            if let VpcdRequest::Apdu(apdu) = &request {
                after_apdu(params, link, apdu, reply.as_deref(), saved);
            } else {
                tracing::trace!(request = ?request, "vpcd control");
            }
            if let Some(payload) = reply {
                let framed = match frame(&payload) {
                    Ok(f) => f,
                    Err(e) => return SessionEnd::Malformed(e),
                };
                if let Err(e) = stream.write_all(&framed) {
                    return SessionEnd::Io(e);
                }
            }
        }
        if link.stopping() {
            return SessionEnd::Stopped;
        }
        // Re-armed before every read: Linux drops back to delayed ACKs on its own.
        let _ = SockRef::from(&*stream).set_tcp_quickack(true);
        match stream.read(&mut buf) {
            Ok(0) => return SessionEnd::PeerClosed,
            Ok(n) => deframer.feed(buf.get(..n).unwrap_or_default()),
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return SessionEnd::Io(e),
        }
    }
}

/// Bookkeeping after one C-APDU: counters, trace (never the data: VERIFY carries PINs), and PIN
/// persistence when the command could have changed them.
fn after_apdu(
    params: &DriverParams,
    link: &Link,
    apdu: &[u8],
    reply: Option<&[u8]>,
    saved: &mut PinCounters,
) {
    let (cla, ins) = match apdu {
        [cla, ins, ..] => (*cla, *ins),
        _ => (0, 0),
    };
    let sw = match reply {
        Some([.., sw1, sw2]) => u16::from_be_bytes([*sw1, *sw2]),
        _ => 0,
    };
    tracing::trace!(
        cla = format_args!("{cla:02X}"),
        ins = format_args!("{ins:02X}"),
        len = apdu.len(),
        sw = format_args!("{sw:04X}"),
        "apdu"
    );
    let mut status = link.status();
    status.apdus += 1;
    if !PIN_INS.contains(&ins) {
        return;
    }
    let now = params.card.export_pins();
    if now == *saved {
        return;
    }
    status.tries_left = tries_of(&params.card);
    drop(status);
    match params.store.save(&params.card_key, &params.person_id, &now) {
        Ok(()) => *saved = now,
        Err(e) => tracing::error!(error = %e, "cannot save the pin counters"),
    }
}
