//! A throttling TCP proxy that plays a mobile link between a device and the server: each
//! direction is paced to the link's bandwidth (one shared queue per direction, so parallel
//! connections share the link) and delayed by half the round trip; a new connection waits one
//! round trip first (the TCP handshake). It counts every byte in each direction, HTTP headers
//! included, so the figures are bytes on the wire (above TCP/IP: no packet headers, no TCP
//! slow start, no loss).

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::Instant;

/// A network link to simulate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Link {
    /// Name shown in tables.
    pub name: String,
    /// Bandwidth each way, in kbit/s (`None`: unlimited).
    pub kbit_per_s: Option<u64>,
    /// Round-trip time added by the link.
    pub rtt_ms: u64,
}

impl Link {
    /// Straight through (loopback), still counting bytes.
    pub fn loopback() -> Link {
        Link {
            name: "loopback".into(),
            kbit_per_s: None,
            rtt_ms: 0,
        }
    }

    /// A rural 3G link: 700 kbit/s, 300 ms round trip.
    pub fn three_g() -> Link {
        Link {
            name: "3G".into(),
            kbit_per_s: Some(700),
            rtt_ms: 300,
        }
    }

    /// A 2G (EDGE) link: 100 kbit/s, 1 s round trip.
    pub fn two_g() -> Link {
        Link {
            name: "2G".into(),
            kbit_per_s: Some(100),
            rtt_ms: 1000,
        }
    }

    /// The three links of the issue, in order.
    pub fn standard() -> Vec<Link> {
        vec![Link::loopback(), Link::three_g(), Link::two_g()]
    }

    /// Whether this link adds delay or a bandwidth limit.
    pub fn is_throttled(&self) -> bool {
        self.kbit_per_s.is_some() || self.rtt_ms > 0
    }

    fn one_way(&self) -> Duration {
        Duration::from_millis(self.rtt_ms) / 2
    }

    /// How long `bytes` occupy the link.
    fn serialisation(&self, bytes: usize) -> Duration {
        match self.kbit_per_s {
            Some(kbit) => Duration::from_secs_f64(bytes as f64 * 8.0 / (kbit as f64 * 1000.0)),
            None => Duration::ZERO,
        }
    }
}

/// Bytes counted by a proxy.
#[derive(Debug, Default)]
struct Counters {
    up: AtomicU64,
    down: AtomicU64,
    connections: AtomicU64,
}

/// Bytes through a proxy so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct WireBytes {
    /// Device → server.
    pub up: u64,
    /// Server → device.
    pub down: u64,
    /// TCP connections opened.
    pub connections: u64,
}

impl WireBytes {
    /// Both ways.
    pub fn total(&self) -> u64 {
        self.up + self.down
    }

    /// What happened between `earlier` and this reading.
    pub fn since(&self, earlier: WireBytes) -> WireBytes {
        WireBytes {
            up: self.up - earlier.up,
            down: self.down - earlier.down,
            connections: self.connections - earlier.connections,
        }
    }
}

/// One direction of the link: when it is next free to carry a byte.
type Lane = Arc<Mutex<Instant>>;

/// A running proxy in front of `upstream`; stops when dropped.
#[derive(Debug)]
pub struct Proxy {
    addr: SocketAddr,
    link: Link,
    counters: Arc<Counters>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts a proxy on `127.0.0.1:0` that forwards to `upstream` over `link`.
    pub async fn start(upstream: SocketAddr, link: Link) -> std::io::Result<Proxy> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let counters = Arc::new(Counters::default());
        let lanes = (
            Arc::new(Mutex::new(Instant::now())),
            Arc::new(Mutex::new(Instant::now())),
        );
        let task = {
            let counters = counters.clone();
            let link = link.clone();
            tokio::spawn(async move {
                while let Ok((client, _)) = listener.accept().await {
                    counters.connections.fetch_add(1, Ordering::Relaxed);
                    let (counters, link, lanes) = (counters.clone(), link.clone(), lanes.clone());
                    tokio::spawn(async move {
                        // The handshake costs a round trip before the first byte can travel.
                        tokio::time::sleep(Duration::from_millis(link.rtt_ms)).await;
                        let Ok(server) = TcpStream::connect(upstream).await else {
                            return;
                        };
                        let _ = client.set_nodelay(true);
                        let _ = server.set_nodelay(true);
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        let up = pump(
                            client_read,
                            server_write,
                            link.clone(),
                            lanes.0,
                            counters.clone(),
                            true,
                        );
                        let down = pump(server_read, client_write, link, lanes.1, counters, false);
                        let _ = tokio::join!(up, down);
                    });
                }
            })
        };
        Ok(Proxy {
            addr,
            link,
            counters,
            task,
        })
    }

    /// `http://` address of the proxy.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The link it simulates.
    pub fn link(&self) -> &Link {
        &self.link
    }

    /// Bytes so far.
    pub fn bytes(&self) -> WireBytes {
        WireBytes {
            up: self.counters.up.load(Ordering::Relaxed),
            down: self.counters.down.load(Ordering::Relaxed),
            connections: self.counters.connections.load(Ordering::Relaxed),
        }
    }
}

/// The largest piece paced as one unit (about a TCP segment).
const SEGMENT: usize = 1460;

/// Copies `from` to `to`: each segment leaves when the lane is free, occupies it for its
/// serialisation time, and arrives half a round trip later.
async fn pump(
    mut from: OwnedReadHalf,
    mut to: OwnedWriteHalf,
    link: Link,
    lane: Lane,
    counters: Arc<Counters>,
    upward: bool,
) {
    let (tx, mut rx) = mpsc::unbounded_channel::<(Instant, Vec<u8>)>();
    let writer = async move {
        while let Some((at, bytes)) = rx.recv().await {
            tokio::time::sleep_until(at).await;
            if to.write_all(&bytes).await.is_err() {
                return;
            }
        }
        let _ = to.shutdown().await;
    };
    let reader = async move {
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match from.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let counter = if upward { &counters.up } else { &counters.down };
            counter.fetch_add(n as u64, Ordering::Relaxed);
            if !link.is_throttled() {
                if tx.send((Instant::now(), buf[..n].to_vec())).is_err() {
                    break;
                }
                continue;
            }
            for segment in buf[..n].chunks(SEGMENT) {
                let arrives = {
                    let mut free = lane.lock().unwrap_or_else(|p| p.into_inner());
                    let leaves = (*free).max(Instant::now());
                    *free = leaves + link.serialisation(segment.len());
                    *free + link.one_way()
                };
                if tx.send((arrives, segment.to_vec())).is_err() {
                    return;
                }
            }
        }
        drop(tx);
    };
    tokio::join!(reader, writer);
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn echo_server() -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let (mut r, mut w) = s.split();
                    let _ = tokio::io::copy(&mut r, &mut w).await;
                });
            }
        });
        addr
    }

    #[tokio::test]
    async fn forwards_and_counts_every_byte() {
        let upstream = echo_server().await;
        let link = Link {
            name: "test".into(),
            kbit_per_s: Some(800),
            rtt_ms: 40,
        };
        let proxy = Proxy::start(upstream, link).await.unwrap();
        let mut s = TcpStream::connect(proxy.addr).await.unwrap();
        let payload = vec![7u8; 10_000];
        s.write_all(&payload).await.unwrap();
        let mut back = vec![0u8; payload.len()];
        s.read_exact(&mut back).await.unwrap();
        assert_eq!(back, payload);
        let bytes = proxy.bytes();
        assert_eq!(
            (bytes.up, bytes.down, bytes.connections),
            (10_000, 10_000, 1)
        );
    }
}
