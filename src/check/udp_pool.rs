//! Reused UDP sockets for DNS queries.
//!
//! hickory-resolver binds a fresh UDP socket on a random port for every query and closes it after
//! the answer: with an A and an AAAA query per domain that is two `socket`, `bind` and `close`
//! calls per check, and the kernel's cost of creating and tearing down a socket is most of the
//! DNS phase's CPU. [`PooledRuntime`] is hickory's tokio runtime provider with one change: a UDP
//! socket whose query ended cleanly goes back to a pool, and the next query takes it from there.
//!
//! A socket is reused only when its one query is known to be over: exactly one datagram sent and
//! exactly one received, with no receive still waiting. A query that timed out, retried, was
//! cancelled or saw a stray datagram closes its socket as before, so a late answer can never be
//! read by the next query. A pooled socket on which anything arrived while it sat idle (a
//! nameserver that answers twice) is closed instead of handed out. And a datagram that does not
//! repeat the query's ID and question, or is not a response at all (our query reflected back), is
//! never passed to hickory (which checks only the ID), so even a duplicate that slips in between
//! cannot answer another name.
//!
//! Idle sockets stay registered with the reactor of the runtime that used them (no `epoll_ctl`
//! per query either) and are handed out only to queries on that runtime; a probe used from
//! another runtime binds new sockets there. A socket's port was chosen at random when it was
//! first bound; reusing it means the ports in use are a fixed random set of at most [`MAX_IDLE`]
//! rather than a new one per query. That is the trade for queries to the provider's own
//! configured nameservers.

use hickory_resolver::name_server::{RuntimeProvider, TokioRuntimeProvider};
use hickory_resolver::proto::udp::DnsUdpSocket;
use hickory_resolver::proto::TokioTime;
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};

/// Idle sockets kept per address family; more are closed when they are returned.
pub const MAX_IDLE: usize = 256;

/// The largest answer a query's receive buffer is checked against for having been cut: hickory's
/// own largest (its buffer is our EDNS size, 1232 bytes, at most 4096).
const MAX_DATAGRAM: usize = 4096;

/// An idle socket, still registered with the reactor of the runtime that last used it.
struct IdleSocket {
    runtime: tokio::runtime::Id,
    socket: tokio::net::UdpSocket,
}

/// Idle sockets by address family of the local address.
#[derive(Default)]
struct Idle {
    v4: Mutex<Vec<IdleSocket>>,
    v6: Mutex<Vec<IdleSocket>>,
}

impl Idle {
    fn family(&self, local: &SocketAddr) -> &Mutex<Vec<IdleSocket>> {
        if local.is_ipv4() {
            &self.v4
        } else {
            &self.v6
        }
    }

    /// An idle socket of this runtime for `local`'s family with nothing in its receive queue, or
    /// a new one bound to `local` (hickory passes a random port). Must run inside the runtime.
    fn take(&self, local: SocketAddr, runtime: tokio::runtime::Id) -> io::Result<tokio::net::UdpSocket> {
        let idle = self.family(&local).lock().unwrap_or_else(|e| e.into_inner()).pop();
        // A socket another runtime registered is closed: its reactor may be gone.
        if let Some(IdleSocket { socket, .. }) = idle.filter(|i| i.runtime == runtime) {
            // Straight to the socket: tokio's try_recv_from trusts its readiness flag, which may
            // not know of a datagram that arrived while the socket sat idle. Whatever did arrive
            // (a duplicate answer, a stray packet) is a reason to close the socket, not to drain it.
            let mut sink = [std::mem::MaybeUninit::<u8>::uninit(); 1];
            if matches!(socket2::SockRef::from(&socket).recv_from(&mut sink), Err(e) if e.kind() == io::ErrorKind::WouldBlock) {
                return Ok(socket);
            }
        }
        let socket = std::net::UdpSocket::bind(local)?;
        socket.set_nonblocking(true)?;
        tokio::net::UdpSocket::from_std(socket)
    }

    /// Keeps a socket registered with `runtime`'s reactor, if that is the runtime dropping it.
    fn give_back(&self, socket: tokio::net::UdpSocket, local: &SocketAddr, runtime: tokio::runtime::Id) {
        if tokio::runtime::Handle::try_current().map(|h| h.id()).ok() != Some(runtime) {
            return;
        }
        let mut idle = self.family(local).lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE {
            idle.push(IdleSocket { runtime, socket });
        }
    }
}

/// The ID and question of a DNS message: what an answer to it repeats. `None` when the message
/// is not a one-question DNS message with an uncompressed name (every query hickory sends is).
fn exchange_key(msg: &[u8]) -> Option<([u8; 2], &[u8])> {
    if msg.len() < 12 || msg[4..6] != [0, 1] {
        return None;
    }
    let mut i = 12;
    loop {
        let len = *msg.get(i)? as usize;
        if len == 0 {
            break;
        }
        if len & 0xC0 != 0 {
            return None;
        }
        i += 1 + len;
    }
    let end = i + 1 + 4; // the root label, QTYPE, QCLASS
    (msg.len() >= end).then(|| ([msg[0], msg[1]], &msg[12..end]))
}

/// hickory's tokio runtime provider, with UDP sockets from a pool shared by its clones and by
/// [`PooledRuntime::for_resolver`].
#[derive(Clone, Default)]
pub struct PooledRuntime {
    tokio: TokioRuntimeProvider,
    idle: Arc<Idle>,
}

impl PooledRuntime {
    /// A provider for one resolver: its own task set (as hickory's tokio provider gives each
    /// resolver, so dropping the resolver stops its background tasks), this pool's sockets.
    pub fn for_resolver(&self) -> PooledRuntime {
        PooledRuntime { tokio: TokioRuntimeProvider::new(), idle: self.idle.clone() }
    }

    /// How many idle sockets the pool holds now (both families).
    #[cfg(test)]
    pub(crate) fn idle_count(&self) -> usize {
        self.idle.v4.lock().unwrap().len() + self.idle.v6.lock().unwrap().len()
    }
}

impl RuntimeProvider for PooledRuntime {
    type Handle = <TokioRuntimeProvider as RuntimeProvider>::Handle;
    type Timer = TokioTime;
    type Udp = PooledUdp;
    type Tcp = <TokioRuntimeProvider as RuntimeProvider>::Tcp;

    fn create_handle(&self) -> Self::Handle {
        self.tokio.create_handle()
    }

    fn connect_tcp(&self, server_addr: SocketAddr) -> Pin<Box<dyn Send + Future<Output = io::Result<Self::Tcp>>>> {
        self.tokio.connect_tcp(server_addr)
    }

    fn bind_udp(&self, local_addr: SocketAddr, _server_addr: SocketAddr) -> Pin<Box<dyn Send + Future<Output = io::Result<Self::Udp>>>> {
        let idle = self.idle.clone();
        // Registering with the reactor needs the runtime's context, which the future has.
        Box::pin(async move {
            let runtime = tokio::runtime::Handle::current().id();
            let socket = idle.take(local_addr, runtime)?;
            Ok(PooledUdp {
                socket: Some(socket),
                local: local_addr,
                runtime,
                idle,
                query: OnceLock::new(),
                sent: AtomicU32::new(0),
                received: AtomicU32::new(0),
                waiting: AtomicBool::new(false),
                failed: AtomicBool::new(false),
            })
        })
    }
}

/// A UDP socket lent to one query; it goes back to the pool on drop if the query ended cleanly.
pub struct PooledUdp {
    socket: Option<tokio::net::UdpSocket>,
    local: SocketAddr,
    /// The runtime whose reactor the socket is registered with.
    runtime: tokio::runtime::Id,
    idle: Arc<Idle>,
    /// The ID and question of the first datagram sent ([`exchange_key`]; `None` when it was not
    /// a DNS query), which an answer must repeat.
    query: OnceLock<Option<([u8; 2], Vec<u8>)>>,
    sent: AtomicU32,
    received: AtomicU32,
    /// A receive returned `Pending` and has not completed since.
    waiting: AtomicBool,
    failed: AtomicBool,
}

impl PooledUdp {
    fn socket(&self) -> &tokio::net::UdpSocket {
        self.socket.as_ref().expect("the socket is only taken on drop")
    }

    /// Whether `msg` is a response (QR set) repeating the ID and question of the query sent
    /// (names compared without regard to ASCII case). Anything goes when what was sent was not
    /// a DNS query. Our own query reflected back (a loop, an echo service at the nameserver's
    /// address) repeats both but is no answer: hickory would read its empty answer section as
    /// NODATA.
    fn answers_query(&self, msg: &[u8]) -> bool {
        let Some(Some((id, question))) = self.query.get() else { return true };
        exchange_key(msg).is_some_and(|(i, q)| i == *id && q.eq_ignore_ascii_case(question) && msg[2] & 0x80 != 0)
    }

    /// One datagram out, one in, and nothing more awaited: nothing of this query can still arrive.
    fn ended_cleanly(&self) -> bool {
        self.sent.load(Ordering::Relaxed) == 1
            && self.received.load(Ordering::Relaxed) == 1
            && !self.waiting.load(Ordering::Relaxed)
            && !self.failed.load(Ordering::Relaxed)
    }
}

impl DnsUdpSocket for PooledUdp {
    type Time = TokioTime;

    /// Receives the next datagram that answers this socket's query. One with another ID or
    /// another question (hickory checks only the ID), or that is not a response, is dropped, and
    /// the socket is not reused.
    ///
    /// An answer bigger than `buf` (hickory's is our EDNS size, 1232 bytes, which a server
    /// ignoring EDNS may exceed without setting TC) would arrive cut, fail to parse and leave
    /// the query to time out: it is passed on as what it is, a truncated answer (its header and
    /// question, TC set, no records), which hickory asks again over TCP.
    fn poll_recv_from(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<(usize, SocketAddr)>> {
        // One byte more than `buf` takes shows that the datagram did not fit.
        let cap = buf.len().min(MAX_DATAGRAM);
        let mut storage = [std::mem::MaybeUninit::<u8>::uninit(); MAX_DATAGRAM + 1];
        loop {
            let mut read = tokio::io::ReadBuf::uninit(&mut storage[..cap + 1]);
            match self.socket().poll_recv_from(cx, &mut read) {
                Poll::Pending => {
                    self.waiting.store(true, Ordering::Relaxed);
                    return Poll::Pending;
                }
                Poll::Ready(Ok(from)) => {
                    self.waiting.store(false, Ordering::Relaxed);
                    self.received.fetch_add(1, Ordering::Relaxed);
                    let datagram = read.filled();
                    if !self.answers_query(datagram) {
                        self.failed.store(true, Ordering::Relaxed);
                        continue;
                    }
                    let end = match exchange_key(datagram) {
                        _ if datagram.len() <= cap => {
                            buf[..datagram.len()].copy_from_slice(datagram);
                            return Poll::Ready(Ok((datagram.len(), from)));
                        }
                        Some((_, question)) if 12 + question.len() <= cap => 12 + question.len(),
                        // Not a DNS answer (nor was the query): passed on cut, as a socket would.
                        _ => {
                            buf[..cap].copy_from_slice(&datagram[..cap]);
                            return Poll::Ready(Ok((cap, from)));
                        }
                    };
                    buf[..end].copy_from_slice(&datagram[..end]);
                    buf[2] |= 0x02; // TC
                    buf[6..12].fill(0); // no answer, authority or additional records
                    return Poll::Ready(Ok((end, from)));
                }
                Poll::Ready(Err(e)) => {
                    self.failed.store(true, Ordering::Relaxed);
                    return Poll::Ready(Err(e));
                }
            }
        }
    }

    fn poll_send_to(&self, cx: &mut Context<'_>, buf: &[u8], target: SocketAddr) -> Poll<io::Result<usize>> {
        let polled = self.socket().poll_send_to(cx, buf, target);
        match &polled {
            Poll::Ready(Ok(_)) => {
                self.sent.fetch_add(1, Ordering::Relaxed);
                let _ = self.query.set(exchange_key(buf).map(|(id, question)| (id, question.to_vec())));
            }
            Poll::Ready(Err(_)) => self.failed.store(true, Ordering::Relaxed),
            Poll::Pending => {}
        }
        polled
    }
}

impl Drop for PooledUdp {
    fn drop(&mut self) {
        if let Some(socket) = self.socket.take() {
            if self.ended_cleanly() {
                self.idle.give_back(socket, &self.local, self.runtime);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> SocketAddr {
        "127.0.0.1:0".parse().unwrap()
    }

    /// A loopback "nameserver" that answers each datagram with `copies` copies of it.
    async fn echo(copies: usize) -> SocketAddr {
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = server.recv_from(&mut buf).await {
                for _ in 0..copies {
                    let _ = server.send_to(&buf[..n], from).await;
                }
            }
        });
        addr
    }

    #[tokio::test]
    async fn a_clean_exchange_returns_its_socket_and_the_next_query_reuses_it() {
        let rt = PooledRuntime::default();
        let server = echo(1).await;
        let s = rt.bind_udp(local(), server).await.unwrap();
        let port = s.socket().local_addr().unwrap().port();
        s.send_to(b"one", server).await.unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(s.recv_from(&mut buf).await.unwrap(), (3, server));
        drop(s);
        assert_eq!(rt.idle_count(), 1);
        let s = rt.bind_udp(local(), server).await.unwrap();
        assert_eq!(s.socket().local_addr().unwrap().port(), port);
        assert_eq!(rt.idle_count(), 0);
    }

    #[tokio::test]
    async fn a_query_that_was_not_answered_closes_its_socket() {
        let rt = PooledRuntime::default();
        // Nobody answers here: the receive is still waiting when the query is given up.
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = silent.local_addr().unwrap();
        let s = rt.bind_udp(local(), server).await.unwrap();
        s.send_to(b"one", server).await.unwrap();
        let mut buf = [0u8; 16];
        assert!(tokio::time::timeout(std::time::Duration::from_millis(20), s.recv_from(&mut buf)).await.is_err());
        drop(s);
        assert_eq!(rt.idle_count(), 0);
    }

    #[tokio::test]
    async fn a_query_that_read_a_second_datagram_closes_its_socket() {
        let rt = PooledRuntime::default();
        let server = echo(2).await;
        let s = rt.bind_udp(local(), server).await.unwrap();
        s.send_to(b"one", server).await.unwrap();
        let mut buf = [0u8; 16];
        s.recv_from(&mut buf).await.unwrap();
        s.recv_from(&mut buf).await.unwrap();
        drop(s);
        assert_eq!(rt.idle_count(), 0);
    }

    #[tokio::test]
    async fn a_pooled_socket_with_a_duplicate_answer_waiting_is_not_handed_out() {
        let rt = PooledRuntime::default();
        let server = echo(2).await;
        let s = rt.bind_udp(local(), server).await.unwrap();
        s.send_to(b"old", server).await.unwrap();
        let mut buf = [0u8; 16];
        s.recv_from(&mut buf).await.unwrap();
        drop(s);
        // Let the duplicate land in the idle socket's queue.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        let s = rt.bind_udp(local(), server).await.unwrap();
        s.send_to(b"new", server).await.unwrap();
        let (n, _) = s.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], b"new");
    }

    /// A stray datagram was read, then the answer never came: the query was given up while its
    /// receive was waiting, and the answer may still arrive.
    #[tokio::test]
    async fn a_query_given_up_after_a_stray_datagram_closes_its_socket() {
        let rt = PooledRuntime::default();
        let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let server = silent.local_addr().unwrap();
        let s = rt.bind_udp(local(), server).await.unwrap();
        s.send_to(b"q", server).await.unwrap();
        let stranger = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        stranger.send_to(b"stray", s.socket().local_addr().unwrap()).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(s.recv_from(&mut buf).await.unwrap().0, 5);
        assert!(tokio::time::timeout(std::time::Duration::from_millis(20), s.recv_from(&mut buf)).await.is_err());
        drop(s);
        assert_eq!(rt.idle_count(), 0);
    }

    /// A retry on the same socket: the answer to one of the two may still be on its way.
    #[tokio::test]
    async fn a_socket_that_sent_twice_is_not_reused() {
        let rt = PooledRuntime::default();
        let server = echo(1).await;
        let s = rt.bind_udp(local(), server).await.unwrap();
        s.send_to(b"one", server).await.unwrap();
        s.send_to(b"two", server).await.unwrap();
        let mut buf = [0u8; 16];
        s.recv_from(&mut buf).await.unwrap();
        drop(s);
        assert_eq!(rt.idle_count(), 0);
    }

    /// A DNS query for `name` with ID `id`.
    fn query(id: u16, name: &str) -> Vec<u8> {
        let mut q = id.to_be_bytes().to_vec();
        q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        for label in name.split('.') {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.extend_from_slice(&[0, 0, 1, 0, 1]);
        q
    }

    /// hickory checks only the ID; an answer with the query's ID to another question (a late
    /// duplicate for an earlier name), or the query itself reflected back, must not reach it.
    #[tokio::test]
    async fn an_answer_to_another_question_is_dropped() {
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let response = |q: &[u8]| {
            let mut r = q.to_vec();
            r[2] |= 0x80; // QR
            r
        };
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            let (n, from) = server.recv_from(&mut buf).await.unwrap();
            let id = u16::from_be_bytes([buf[0], buf[1]]);
            let _ = server.send_to(&response(&query(id, "other.example.cn")), from).await;
            let _ = server.send_to(&response(&query(id ^ 1, "site.example.cn")), from).await;
            let _ = server.send_to(&buf[..n], from).await;
            let _ = server.send_to(&response(&buf[..n]), from).await;
        });
        let rt = PooledRuntime::default();
        let s = rt.bind_udp(local(), addr).await.unwrap();
        let sent = query(0x1234, "Site.Example.CN");
        s.send_to(&sent, addr).await.unwrap();
        let mut buf = [0u8; 512];
        let (n, _) = s.recv_from(&mut buf).await.unwrap();
        assert_eq!(&buf[..n], &response(&sent)[..], "only the response that repeats the ID and the question");
        drop(s);
        assert_eq!(rt.idle_count(), 0, "a socket that saw a wrong answer is not reused");
        assert!(exchange_key(&query(1, "site.example.cn")).is_some());
        assert_eq!(exchange_key(b"one"), None);
    }

    /// The first runtime's socket is left registered with a reactor that is gone; the second
    /// runtime must get a socket of its own that works.
    #[test]
    fn a_socket_is_reused_only_on_the_runtime_that_registered_it() {
        let rt = PooledRuntime::default();
        for _ in 0..2 {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async {
                let server = echo(1).await;
                let s = rt.bind_udp(local(), server).await.unwrap();
                s.send_to(b"x", server).await.unwrap();
                let mut buf = [0u8; 4];
                assert_eq!(s.recv_from(&mut buf).await.unwrap().0, 1);
            });
        }
        assert_eq!(rt.idle_count(), 1);
    }
}
