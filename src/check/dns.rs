//! DNS probe: A and AAAA for a domain from the configured nameservers only (never the system
//! resolver), with the CNAME chain recorded. A real negative answer (NXDOMAIN, NODATA) is told
//! apart from a failure on our side (SERVFAIL, REFUSED, timeout), which makes the check
//! inconclusive instead of becoming a customer finding.
//!
//! Each query has a resolver to itself while it runs. hickory-resolver 0.24 counts CNAME
//! recursion depth in one counter shared by every lookup in flight on a resolver, so under
//! concurrency it stops chasing CNAME chains and reports a chained domain as having no address —
//! which would be a false `dns.unresolved`. One lookup per resolver at a time keeps the count per
//! chain (0.26 fixes the counter; moving to it is a larger API migration). Resolvers are not
//! built per query, though: one whose lookup got an answer goes back to an idle list with its
//! cache cleared (so a re-check never reads an earlier scan's answer), and the next query takes
//! it with its name server connections already set up. Their UDP sockets come from the probe's
//! [`udp_pool`](super::udp_pool).
//!
//! A truncated UDP answer is asked again over TCP; when that fails, hickory returns the
//! truncated answer, whose missing records would read as "no address". So a negative result
//! after a truncated answer is a failure (inconclusive). That includes a server that truncates
//! to push clients to TCP (response rate limiting) and then answers NODATA there: the domain is
//! judged at the next scan rather than wrongly now.

use super::udp_pool::PooledRuntime;
use crate::config;
use hickory_resolver::config::{LookupIpStrategy, NameServerConfig, Protocol, ResolverConfig, ResolverOpts};
use hickory_resolver::error::{ResolveError, ResolveErrorKind};
use hickory_resolver::lookup::Lookup;
use hickory_resolver::name_server::GenericConnector;
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{AsyncResolver, Name};
use serde::Serialize;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Resolver = AsyncResolver<GenericConnector<PooledRuntime>>;

/// Resolvers kept between queries; more are dropped when they come back.
const MAX_IDLE_RESOLVERS: usize = 512;

/// How long an idle resolver is kept. Within a scan one is taken back within milliseconds;
/// between scans they go, with any TCP connection to a nameserver (after a truncated answer) that
/// the server may have dropped meanwhile — hickory would answer from the truncated UDP reply.
const IDLE_RESOLVER_TTL: Duration = Duration::from_secs(5);

/// An idle resolver: the runtime its connections run on, and when it was given back.
struct IdleResolver {
    runtime: tokio::runtime::Id,
    since: std::time::Instant,
    resolver: Resolver,
    truncated: Arc<AtomicBool>,
}

/// What the DNS said about one domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DnsAnswer {
    /// At least one address; `cnames` is the chain followed, in order.
    Resolved { cnames: Vec<String>, addresses: Vec<IpAddr> },
    /// The name does not exist, or has no A/AAAA at the end of its chain.
    NoAddress { cnames: Vec<String>, nxdomain: bool },
    /// We could not find out: a nameserver failed, refused or timed out.
    Failed { reason: String },
}

impl DnsAnswer {
    pub fn addresses(&self) -> &[IpAddr] {
        match self {
            DnsAnswer::Resolved { addresses, .. } => addresses,
            _ => &[],
        }
    }
}

/// Result of one query type.
enum TypeAnswer {
    Records { cnames: Vec<String>, addresses: Vec<IpAddr> },
    Negative { cnames: Vec<String>, nxdomain: bool },
    Failed(String),
}

/// Resolver settings bound to the configured nameservers.
#[derive(Clone)]
pub struct DnsProbe {
    config: ResolverConfig,
    opts: ResolverOpts,
    /// UDP sockets shared by every query of this probe and its clones.
    runtime: PooledRuntime,
    /// Resolvers whose last query got an answer, the most recently given back last.
    idle: Arc<Mutex<Vec<IdleResolver>>>,
}

impl DnsProbe {
    pub fn new(cfg: &config::Dns) -> DnsProbe {
        let mut rc = ResolverConfig::new();
        for ns in &cfg.nameservers {
            for protocol in [Protocol::Udp, Protocol::Tcp] {
                let mut nc = NameServerConfig::new(*ns, protocol);
                nc.trust_negative_responses = true;
                rc.add_name_server(nc);
            }
        }
        let mut opts = ResolverOpts::default();
        opts.timeout = Duration::from_millis(cfg.timeout_ms);
        opts.attempts = cfg.attempts;
        opts.use_hosts_file = false;
        opts.preserve_intermediates = true;
        opts.ip_strategy = LookupIpStrategy::Ipv4AndIpv6;
        opts.edns0 = true;
        // Each query has its own resolver (see the module doc), so the cache lives for one chain.
        opts.cache_size = 16;
        DnsProbe { config: rc, opts, runtime: PooledRuntime::default(), idle: Arc::default() }
    }

    /// Resolves A and AAAA for `domain`.
    pub async fn resolve(&self, domain: &str) -> DnsAnswer {
        let name = match Name::from_ascii(domain) {
            Ok(mut n) => {
                n.set_fqdn(true);
                n
            }
            Err(e) => return DnsAnswer::Failed { reason: format!("invalid domain name {domain:?}: {e}") },
        };
        let (a, aaaa) = tokio::join!(self.query(&name, RecordType::A), self.query(&name, RecordType::AAAA));
        combine(a, aaaa)
    }

    /// A resolver with no lookup in flight and an empty cache: a recent idle one of this runtime
    /// (its name server connections run there), or a new one; with the flag its UDP sockets set
    /// when an answer comes back truncated.
    fn resolver(&self, runtime: tokio::runtime::Id) -> (Resolver, Arc<AtomicBool>) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(top) = idle.pop() {
            if top.since.elapsed() > IDLE_RESOLVER_TTL {
                // The newest is too old, so all are.
                let stale = std::mem::take(&mut *idle);
                drop(idle);
                drop((top, stale));
            } else if top.runtime == runtime {
                return (top.resolver, top.truncated);
            }
        }
        let provider = self.runtime.for_resolver();
        let truncated = provider.truncated();
        (AsyncResolver::new(self.config.clone(), self.opts.clone(), GenericConnector::new(provider)), truncated)
    }

    /// Keeps a resolver whose lookup got an answer for the next query; its cache is cleared, so
    /// every query asks the nameservers afresh.
    fn give_back(&self, runtime: tokio::runtime::Id, resolver: Resolver, truncated: Arc<AtomicBool>) {
        resolver.clear_cache();
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE_RESOLVERS {
            idle.push(IdleResolver { runtime, since: std::time::Instant::now(), resolver, truncated });
        }
    }

    async fn query(&self, name: &Name, rtype: RecordType) -> TypeAnswer {
        let runtime = tokio::runtime::Handle::current().id();
        let (resolver, truncated) = self.resolver(runtime);
        truncated.store(false, Ordering::Relaxed);
        let answer = type_answer(resolver.lookup(name.clone(), rtype).await, rtype);
        match answer {
            // A resolver that timed out or failed is dropped with whatever state that left behind.
            TypeAnswer::Failed(_) => answer,
            // A truncated UDP answer had records that did not fit, so a negative result after one
            // is hickory falling back to it when TCP failed (name_server_pool.rs), not the
            // domain's answer: a failure on our side, never "no address".
            TypeAnswer::Negative { .. } if truncated.load(Ordering::Relaxed) => {
                TypeAnswer::Failed(format!("{rtype} answer was truncated over UDP and TCP gave none"))
            }
            _ => {
                self.give_back(runtime, resolver, truncated);
                answer
            }
        }
    }
}

/// What one lookup of `rtype` said: its addresses and CNAME chain, a real negative answer, or a
/// failure on our side.
fn type_answer(result: Result<Lookup, ResolveError>, rtype: RecordType) -> TypeAnswer {
    match result {
        Ok(lookup) => {
            let mut cnames = Vec::new();
            let mut addresses = Vec::new();
            for rec in lookup.record_iter() {
                match rec.data() {
                    Some(RData::CNAME(target)) => {
                        let target = target.0.to_ascii().trim_end_matches('.').to_ascii_lowercase();
                        if !cnames.contains(&target) {
                            cnames.push(target);
                        }
                    }
                    Some(RData::A(a)) => addresses.push(IpAddr::V4(a.0)),
                    Some(RData::AAAA(a)) => addresses.push(IpAddr::V6(a.0)),
                    _ => {}
                }
            }
            if addresses.is_empty() {
                TypeAnswer::Negative { cnames, nxdomain: false }
            } else {
                TypeAnswer::Records { cnames, addresses }
            }
        }
        Err(e) => match e.kind() {
            ResolveErrorKind::NoRecordsFound { response_code, .. }
                if matches!(*response_code, ResponseCode::NXDomain | ResponseCode::NoError) =>
            {
                TypeAnswer::Negative { cnames: Vec::new(), nxdomain: *response_code == ResponseCode::NXDomain }
            }
            ResolveErrorKind::NoRecordsFound { response_code, .. } => {
                TypeAnswer::Failed(format!("{rtype} query answered {response_code}"))
            }
            ResolveErrorKind::Timeout => TypeAnswer::Failed(format!("{rtype} query timed out")),
            _ => TypeAnswer::Failed(format!("{rtype} query failed: {e}")),
        },
    }
}

/// Joins the A and AAAA answers. A failure of either makes the whole answer a failure: we do not
/// judge a domain on half an answer.
fn combine(a: TypeAnswer, aaaa: TypeAnswer) -> DnsAnswer {
    use TypeAnswer::*;
    match (a, aaaa) {
        (Failed(r), Failed(r2)) => DnsAnswer::Failed { reason: format!("{r}; {r2}") },
        (Failed(r), _) | (_, Failed(r)) => DnsAnswer::Failed { reason: r },
        (Negative { cnames: c1, nxdomain: n1 }, Negative { cnames: c2, nxdomain: n2 }) => {
            DnsAnswer::NoAddress { cnames: longer(c1, c2), nxdomain: n1 || n2 }
        }
        (Records { cnames, addresses }, Negative { cnames: c2, .. })
        | (Negative { cnames: c2, .. }, Records { cnames, addresses }) => {
            DnsAnswer::Resolved { cnames: longer(cnames, c2), addresses }
        }
        (Records { cnames: c1, addresses: mut a1 }, Records { cnames: c2, addresses: a2 }) => {
            a1.extend(a2);
            DnsAnswer::Resolved { cnames: longer(c1, c2), addresses: a1 }
        }
    }
}

fn longer(a: Vec<String>, b: Vec<String>) -> Vec<String> {
    if b.len() > a.len() {
        b
    } else {
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_resolver::proto::op::{Message, MessageType};
    use hickory_resolver::proto::rr::rdata::{A, AAAA};
    use hickory_resolver::proto::rr::Record;

    async fn probe() -> DnsProbe {
        let addr = crate::demo::start_dns().await.unwrap();
        DnsProbe::new(&config::Dns { nameservers: vec![addr], timeout_ms: 1000, attempts: 1 })
    }

    #[tokio::test]
    async fn answers_are_told_apart() {
        let p = probe().await;
        assert_eq!(
            p.resolve("www.demo.example.cn").await,
            DnsAnswer::Resolved { cnames: vec![], addresses: vec!["127.10.0.1".parse().unwrap()] }
        );
        assert_eq!(p.resolve("v6.demo.example.cn").await.addresses(), &["::1".parse::<IpAddr>().unwrap()]);
        assert_eq!(p.resolve("nope.demo.example.cn").await, DnsAnswer::NoAddress { cnames: vec![], nxdomain: true });
        assert_eq!(p.resolve("gone.demo.example.cn").await, DnsAnswer::NoAddress { cnames: vec![], nxdomain: false });
        // Not a zone this server serves: REFUSED is our problem, not the customer's.
        assert!(matches!(p.resolve("a.elsewhere.example.org").await, DnsAnswer::Failed { .. }));
    }

    #[tokio::test]
    async fn cname_chains_resolve_under_concurrency() {
        let p = probe().await;
        let names = ["alias", "www", "v6", "shop", "blog", "gone", "abroad", "intranet"];
        let lookups = (0..300).map(|i| {
            let p = p.clone();
            let name = format!("{}.demo.example.cn", names[i % names.len()]);
            async move { (name.clone(), p.resolve(&name).await) }
        });
        for (name, answer) in futures::future::join_all(lookups).await {
            if name.starts_with("alias") {
                assert_eq!(
                    answer,
                    DnsAnswer::Resolved {
                        cnames: vec!["cdn.demo.example.cn".into(), "www.demo.example.cn".into()],
                        addresses: vec!["127.10.0.1".parse().unwrap()]
                    }
                );
            }
        }
    }

    /// Serves two zones from one in-process server, with chains that cross between them:
    /// `c<i>.one.test` → `c<i>.two.test` → `d<i>.one.test` (A 127.10.0.1). An authoritative server
    /// does not follow a CNAME out of its zone, so the resolver itself has to chase each link:
    /// three queries per record type.
    async fn cross_zone_chains(n: usize) -> std::net::SocketAddr {
        use hickory_proto::rr::rdata::{A, CNAME, SOA};
        use hickory_proto::rr::{Name as SName, RData as SRData, Record};
        use hickory_server::authority::{Catalog, ZoneType};
        use hickory_server::store::in_memory::InMemoryAuthority;
        use std::sync::Arc;
        let name = |s: &str| SName::from_ascii(s).unwrap();
        let mut catalog = Catalog::new();
        for zone in ["one.test.", "two.test."] {
            let origin = name(zone);
            let mut auth = InMemoryAuthority::empty(origin.clone(), ZoneType::Primary, false);
            let soa = SOA::new(name(&format!("ns.{zone}")), name(&format!("hostmaster.{zone}")), 1, 3600, 600, 86400, 60);
            auth.upsert_mut(Record::from_rdata(origin.clone(), 60, SRData::SOA(soa)), 1);
            for i in 0..n {
                let rec = if zone == "one.test." {
                    auth.upsert_mut(
                        Record::from_rdata(name(&format!("d{i}.one.test.")), 60, SRData::A(A::new(127, 10, 0, 1))),
                        1,
                    );
                    Record::from_rdata(name(&format!("c{i}.one.test.")), 60, SRData::CNAME(CNAME(name(&format!("c{i}.two.test.")))))
                } else {
                    Record::from_rdata(name(&format!("c{i}.two.test.")), 60, SRData::CNAME(CNAME(name(&format!("d{i}.one.test.")))))
                };
                auth.upsert_mut(rec, 1);
            }
            catalog.upsert(origin.into(), Box::new(Arc::new(auth)));
        }
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = udp.local_addr().unwrap();
        let mut server = hickory_server::ServerFuture::new(catalog);
        server.register_socket(udp);
        tokio::spawn(async move {
            let _ = server.block_until_done().await;
        });
        addr
    }

    /// One probe, many chains in flight at once: every chain must be followed to its address
    /// (see the module doc: why each query has a resolver of its own).
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cross_zone_chains_resolve_on_one_shared_probe() {
        const N: usize = 200;
        let addr = cross_zone_chains(N).await;
        let p = DnsProbe::new(&config::Dns { nameservers: vec![addr], timeout_ms: 2000, attempts: 2 });
        let lookups = (0..N).map(|i| {
            let p = p.clone();
            async move { (i, p.resolve(&format!("c{i}.one.test")).await) }
        });
        let mut wrong = Vec::new();
        for (i, answer) in futures::future::join_all(lookups).await {
            let want = DnsAnswer::Resolved {
                cnames: vec![format!("c{i}.two.test"), format!("d{i}.one.test")],
                addresses: vec!["127.10.0.1".parse().unwrap()],
            };
            if answer != want {
                wrong.push(format!("c{i}.one.test: {answer:?}"));
            }
        }
        assert!(wrong.is_empty(), "{} of {N} chains not followed, e.g. {:?}", wrong.len(), &wrong[..wrong.len().min(3)]);
    }

    #[tokio::test]
    async fn a_dead_nameserver_is_a_failure() {
        let sock = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let addr = sock.local_addr().unwrap();
        drop(sock);
        let p = DnsProbe::new(&config::Dns { nameservers: vec![addr], timeout_ms: 200, attempts: 1 });
        assert!(matches!(p.resolve("www.demo.example.cn").await, DnsAnswer::Failed { .. }));
        // A query that got no answer lends neither its socket nor its resolver to another.
        assert_eq!(p.runtime.idle_count(), 0);
        assert!(p.idle.lock().unwrap().is_empty());
    }

    /// A UDP nameserver on loopback that answers each query with what `reply` makes of it (a
    /// response with the query's ID and question, for `reply` to fill in), or not at all when
    /// `reply` says `None`.
    async fn udp_nameserver(mut reply: impl FnMut(&Message, Message) -> Option<Message> + Send + 'static) -> std::net::SocketAddr {
        let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = sock.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let Ok(query) = Message::from_vec(&buf[..n]) else { continue };
                if let Some(answer) = reply(&query, response_to(&query)) {
                    let _ = sock.send_to(&answer.to_vec().unwrap(), from).await;
                }
            }
        });
        addr
    }

    /// An empty response to `query`: its ID and question.
    fn response_to(query: &Message) -> Message {
        let mut answer = Message::new();
        answer.set_id(query.id()).set_message_type(MessageType::Response);
        answer.add_queries(query.queries().to_vec());
        answer
    }

    /// A nameserver that answers SERVFAIL to everything, or never answers at all.
    async fn failing_nameserver(answers: bool) -> std::net::SocketAddr {
        udp_nameserver(move |_, mut answer| {
            answer.set_response_code(ResponseCode::ServFail);
            answers.then_some(answer)
        })
        .await
    }

    /// Failures on our side are inconclusive, and a resolver that saw one is not kept.
    #[tokio::test]
    async fn servfail_and_silence_are_failures_and_their_resolvers_are_dropped() {
        for answers in [true, false] {
            let ns = failing_nameserver(answers).await;
            let p = DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 200, attempts: 1 });
            let answer = p.resolve("site.example.cn").await;
            assert!(matches!(answer, DnsAnswer::Failed { .. }), "answers {answers}: {answer:?}");
            assert!(p.idle.lock().unwrap().is_empty(), "answers {answers}");
        }
    }

    /// One query after another, answered or not: the A and AAAA queries keep taking the same two
    /// sockets from the pool instead of binding new ones.
    #[tokio::test]
    async fn answered_queries_reuse_their_sockets() {
        let p = probe().await;
        for name in ["www", "nope", "gone", "alias", "v6"].iter().cycle().take(40) {
            let answer = p.resolve(&format!("{name}.demo.example.cn")).await;
            assert!(!matches!(answer, DnsAnswer::Failed { .. }), "{name}: {answer:?}");
            assert_eq!(p.runtime.idle_count(), 2);
        }
    }

    /// A nameserver whose A answer changes with every query (127.0.0.1, .2, …), with an hour's
    /// TTL; AAAA has no records.
    async fn changing_nameserver() -> std::net::SocketAddr {
        let mut served = 0u8;
        udp_nameserver(move |query, mut answer| {
            answer.set_authoritative(true);
            if let Some(q) = query.queries().first().filter(|q| q.query_type() == RecordType::A) {
                served += 1;
                answer.add_answer(Record::from_rdata(q.name().clone(), 3600, RData::A(A::new(127, 0, 0, served))));
            }
            Some(answer)
        })
        .await
    }

    /// Resolvers are reused, their caches are not: a second look at a domain asks again.
    #[tokio::test]
    async fn a_second_query_is_not_answered_from_an_earlier_ones_cache() {
        let ns = changing_nameserver().await;
        let p = DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 1000, attempts: 1 });
        let name = Name::from_ascii("site.example.cn.").unwrap();
        for n in 1..=3u8 {
            // One query at a time, so each takes the resolver the last one gave back.
            let TypeAnswer::Records { addresses, .. } = p.query(&name, RecordType::A).await else { panic!("no records") };
            assert_eq!(addresses, vec![IpAddr::from([127, 0, 0, n])]);
            assert_eq!(p.idle.lock().unwrap().len(), 1, "the answered query's resolver was kept");
        }
        assert_eq!(p.resolve("site.example.cn").await.addresses(), &[IpAddr::from([127, 0, 0, 4])]);
        // Resolvers idle for longer than the TTL are all dropped at the next take.
        for r in p.idle.lock().unwrap().iter_mut() {
            r.since -= IDLE_RESOLVER_TTL * 2;
        }
        let _ = p.resolver(tokio::runtime::Handle::current().id());
        assert!(p.idle.lock().unwrap().is_empty());
    }

    /// A nameserver whose UDP answers are all truncated and empty; over TCP on the same port (when
    /// `tcp`) it answers A with 127.0.0.9 and AAAA with ::9.
    async fn truncating_nameserver(tcp: bool) -> std::net::SocketAddr {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let addr = udp_nameserver(|_, mut answer| {
            answer.set_truncated(true);
            Some(answer)
        })
        .await;
        if tcp {
            let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
            tokio::spawn(async move {
                while let Ok((mut conn, _)) = listener.accept().await {
                    tokio::spawn(async move {
                        while let Ok(len) = conn.read_u16().await {
                            let mut buf = vec![0; len as usize];
                            if conn.read_exact(&mut buf).await.is_err() {
                                return;
                            }
                            let Ok(query) = Message::from_vec(&buf) else { return };
                            let mut answer = response_to(&query);
                            if let Some(q) = query.queries().first() {
                                let data = match q.query_type() {
                                    RecordType::A => RData::A(A::new(127, 0, 0, 9)),
                                    _ => RData::AAAA(AAAA::new(0, 0, 0, 0, 0, 0, 0, 9)),
                                };
                                answer.add_answer(Record::from_rdata(q.name().clone(), 60, data));
                            }
                            let out = answer.to_vec().unwrap();
                            let _ = conn.write_u16(out.len() as u16).await;
                            let _ = conn.write_all(&out).await;
                        }
                    });
                }
            });
        }
        addr
    }

    /// A truncated UDP answer is never taken for "no address": it is asked again over TCP, and
    /// when TCP fails too the check is inconclusive.
    #[tokio::test]
    async fn truncated_answers_are_asked_over_tcp_and_never_read_as_no_address() {
        let ns = truncating_nameserver(true).await;
        let p = DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 1000, attempts: 1 });
        let nine: [IpAddr; 2] = [IpAddr::from([127, 0, 0, 9]), "::9".parse().unwrap()];
        assert_eq!(p.resolve("big.example.cn").await.addresses(), &nine);
        let ns = truncating_nameserver(false).await;
        let p = DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 300, attempts: 1 });
        let answer = p.resolve("big.example.cn").await;
        assert!(matches!(answer, DnsAnswer::Failed { .. }), "{answer:?}");
    }
}
