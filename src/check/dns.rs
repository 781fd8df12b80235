//! DNS probe: A and AAAA for a domain from the configured nameservers only (never the system
//! resolver), with the CNAME chain recorded. A real negative answer (NXDOMAIN, NODATA) is told
//! apart from a failure on our side (SERVFAIL, REFUSED, timeout, an answer we cannot use), which
//! makes the check inconclusive instead of becoming a customer finding.
//!
//! The probe follows CNAME chains itself, over hickory's name server pool (its UDP and TCP
//! connections and retries) rather than hickory-resolver 0.24's resolver. That one gives up a
//! chain after eight queries and one listed out of order, reporting either as "no records" — a
//! false `dns.unresolved` — takes every CNAME in a response as a link whatever its owner, drops
//! the chain from a negative answer and cannot tell an answer about another name from NODATA.
//! Here the chain is walked by owner name from the domain, in whatever order the answer lists its
//! links; addresses are taken only at its end, and records of other owners are ignored. An answer
//! that ends in a CNAME with nothing for its target gets a new query at the target (an
//! authoritative server answers only for its own zones), unless it carries the SOA of a zone the
//! target is in: then it is that zone's NXDOMAIN or NODATA for the target (RFC 6604), as a
//! recursive server answers. A negative answer keeps the chain that led to it: the evidence that,
//! say, the CDN name was deleted. A CNAME loop, a chain longer than [`MAX_CNAME_LINKS`], an answer
//! to another question, one with records only for other names than the one asked (broken or
//! forged), addresses under any code but NOERROR (NXDOMAIN is about the chain's last name, whose
//! addresses they are) and an empty answer without the SOA of a zone the name is in (a referral,
//! or another zone's: RFC 2308 has every NXDOMAIN and NODATA carry its zone's) are failures.
//!
//! Each query has a resolver (a name server pool) to itself while it runs, and resolvers are not
//! built per query: one whose lookup got an answer goes back to an idle list, and the next query
//! takes it with its name server connections already set up. (That layout dates from hickory's
//! resolver, whose CNAME depth counter was shared by the lookups in flight on it; nothing in the
//! pool needs it now, but one pool shared by all queries has not been measured against it.) There
//! is no cache: every query asks the nameservers afresh. Their UDP sockets come from the probe's
//! [`udp_pool`](super::udp_pool).
//!
//! A truncated UDP answer is asked again over TCP; when that fails, hickory returns the
//! truncated answer, whose missing records could hide an overseas address or read as "no
//! address". So any answer still truncated is a failure (inconclusive), records or not. That
//! includes a server that truncates to push clients to TCP (response rate limiting) and then
//! does not answer there: the domain is judged at the next scan rather than wrongly now.

use super::udp_pool::PooledRuntime;
use crate::config;
use hickory_resolver::config::{NameServerConfig, NameServerConfigGroup, Protocol, ResolverOpts};
use hickory_resolver::error::{ResolveError, ResolveErrorKind};
use hickory_resolver::name_server::{GenericConnector, NameServerPool};
use hickory_resolver::proto::op::{Query, ResponseCode};
use hickory_resolver::proto::rr::{DNSClass, RData, RecordType};
use hickory_resolver::proto::xfer::{DnsHandle, DnsRequestOptions, DnsResponse, FirstAnswer, RetryDnsHandle};
use hickory_resolver::Name;
use serde::Serialize;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// hickory's connections to the configured nameservers (UDP first, TCP after a truncated answer),
/// with its retries; no cache and no CNAME following of its own.
type Resolver = RetryDnsHandle<NameServerPool<GenericConnector<PooledRuntime>>>;

/// Resolvers kept between queries; more are dropped when they come back.
const MAX_IDLE_RESOLVERS: usize = 512;

/// How long an idle resolver is kept. Within a scan one is taken back within milliseconds;
/// between scans they go, with any TCP connection to a nameserver (after a truncated answer) that
/// the server may have dropped meanwhile.
const IDLE_RESOLVER_TTL: Duration = Duration::from_secs(5);

/// CNAME links followed from the domain before the answer is given up as a failure. Far more
/// than any real deployment chains (a CDN takes two or three); a chain this long or a loop is
/// not judged.
pub const MAX_CNAME_LINKS: usize = 16;

/// How many full queries (each `dns.attempts` tries of `dns.timeout_ms`) one record type of a
/// domain may take in all, CNAME hops asked for one by one and a retry over TCP included.
const CHAIN_BUDGET_QUERIES: usize = 4;

/// An idle resolver: the runtime its connections run on, and when it was given back.
struct IdleResolver {
    runtime: tokio::runtime::Id,
    since: std::time::Instant,
    resolver: Resolver,
}

/// What the DNS said about one domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum DnsAnswer {
    /// At least one address; `cnames` is the chain followed, in order.
    Resolved { cnames: Vec<String>, addresses: Vec<IpAddr> },
    /// The name does not exist, or has no A/AAAA at the end of its chain; `cnames` is the chain
    /// followed to the name that does not exist or has no address, in order.
    NoAddress { cnames: Vec<String>, nxdomain: bool },
    /// We could not find out: a nameserver failed, refused or timed out, or its answer was
    /// unusable (truncated, about another name, a CNAME loop or a chain too long to follow).
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
#[derive(Debug)]
enum TypeAnswer {
    Records { cnames: Vec<String>, addresses: Vec<IpAddr> },
    Negative { cnames: Vec<String>, nxdomain: bool },
    Failed(String),
}

/// Resolver settings bound to the configured nameservers.
#[derive(Clone)]
pub struct DnsProbe {
    nameservers: NameServerConfigGroup,
    opts: ResolverOpts,
    request: DnsRequestOptions,
    /// UDP sockets shared by every query of this probe and its clones.
    runtime: PooledRuntime,
    /// Resolvers whose last query got an answer, the most recently given back last.
    idle: Arc<Mutex<Vec<IdleResolver>>>,
}

impl DnsProbe {
    pub fn new(cfg: &config::Dns) -> DnsProbe {
        let mut nameservers = Vec::new();
        for ns in &cfg.nameservers {
            for protocol in [Protocol::Udp, Protocol::Tcp] {
                let mut nc = NameServerConfig::new(*ns, protocol);
                nc.trust_negative_responses = true;
                nameservers.push(nc);
            }
        }
        let mut opts = ResolverOpts::default();
        opts.timeout = Duration::from_millis(cfg.timeout_ms);
        opts.attempts = cfg.attempts;
        let mut request = DnsRequestOptions::default();
        request.recursion_desired = true;
        request.use_edns = true;
        DnsProbe {
            nameservers: nameservers.into(),
            opts,
            request,
            runtime: PooledRuntime::default(),
            idle: Arc::default(),
        }
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

    /// A resolver with no lookup in flight: a recent idle one of this runtime (its name server
    /// connections run there), or a new one.
    fn resolver(&self, runtime: tokio::runtime::Id) -> Resolver {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(top) = idle.pop() {
            if top.since.elapsed() > IDLE_RESOLVER_TTL {
                // The newest is too old, so all are.
                let stale = std::mem::take(&mut *idle);
                drop(idle);
                drop((top, stale));
            } else if top.runtime == runtime {
                return top.resolver;
            }
        }
        let provider = GenericConnector::new(self.runtime.for_resolver());
        let pool = NameServerPool::from_config(self.nameservers.clone(), self.opts.clone(), provider);
        // hickory's retry handle counts retries after the first try; `dns.attempts` counts tries.
        RetryDnsHandle::new(pool, self.opts.attempts.saturating_sub(1))
    }

    /// Keeps a resolver whose lookup got an answer for the next query.
    fn give_back(&self, runtime: tokio::runtime::Id, resolver: Resolver) {
        let mut idle = self.idle.lock().unwrap_or_else(|e| e.into_inner());
        if idle.len() < MAX_IDLE_RESOLVERS {
            idle.push(IdleResolver { runtime, since: std::time::Instant::now(), resolver });
        }
    }

    async fn query(&self, name: &Name, rtype: RecordType) -> TypeAnswer {
        let runtime = tokio::runtime::Handle::current().id();
        let resolver = self.resolver(runtime);
        // Each query is bounded by its tries; a chain asked for hop by hop is bounded as a whole
        // too, or a resolver answering one slow link at a time could hold a check for
        // MAX_CNAME_LINKS × attempts × timeout.
        let deadline = self.opts.timeout * (CHAIN_BUDGET_QUERIES * self.opts.attempts.max(1)) as u32;
        let answer = match tokio::time::timeout(deadline, self.follow_chain(&resolver, name, rtype)).await {
            Ok(answer) => answer,
            Err(_) => TypeAnswer::Failed(format!(
                "{rtype} query for {} and its CNAME chain took more than {} ms",
                printable(name),
                deadline.as_millis()
            )),
        };
        // A resolver that timed out or failed is dropped with whatever state that left behind.
        if !matches!(answer, TypeAnswer::Failed(_)) {
            self.give_back(runtime, resolver);
        }
        answer
    }

    /// Asks for `rtype` at `name` and follows its CNAME chain: through the answer, by owner name
    /// from the name asked, and with a new query at the chain's last name when an answer ends in
    /// a CNAME whose target it does not answer for.
    async fn follow_chain(&self, resolver: &Resolver, name: &Name, rtype: RecordType) -> TypeAnswer {
        let mut chain: Vec<Name> = Vec::new();
        let mut asked = name.clone();
        loop {
            let result = resolver.lookup(Query::query(asked.clone(), rtype), self.request).first_answer().await;
            match read_answer(result, name, &asked, &mut chain, rtype) {
                Step::Done(answer) => return answer,
                Step::Ask(next) => asked = next,
            }
        }
    }
}

/// What to do after one response.
enum Step {
    Done(TypeAnswer),
    /// Ask again at the chain's last name, which the answer did not answer for.
    Ask(Name),
}

/// Reads one response to a query for `rtype` at `asked` (`domain` itself or the last name of its
/// chain so far), extending `chain` with the CNAME links it holds.
fn read_answer(
    result: Result<DnsResponse, ResolveError>,
    domain: &Name,
    asked: &Name,
    chain: &mut Vec<Name>,
    rtype: RecordType,
) -> Step {
    let at = || if asked == domain { String::new() } else { format!(" at {}", printable(asked)) };
    let failed = |why: String| Step::Done(TypeAnswer::Failed(why));
    let cnames = |chain: &[Name]| chain.iter().map(printable).collect::<Vec<_>>();
    let response = match result {
        Ok(response) => response,
        Err(e) => {
            return match e.kind() {
                // An empty answer: the name does not exist, or has no record of this type.
                ResolveErrorKind::NoRecordsFound { query, soa, response_code, .. }
                    if matches!(*response_code, ResponseCode::NXDomain | ResponseCode::NoError) =>
                {
                    if query.name() != asked || query.query_type() != rtype {
                        failed(format!("{rtype} query{} was answered for {} {}", at(), printable(query.name()), query.query_type()))
                    } else if !soa.as_ref().is_some_and(|r| r.record_type() == RecordType::SOA && r.data().is_some() && r.name().zone_of(asked)) {
                        // (hickory 0.24 puts the first authority record here whatever its type.)
                        failed(no_soa(rtype, &at(), *response_code))
                    } else {
                        Step::Done(TypeAnswer::Negative { cnames: cnames(chain), nxdomain: *response_code == ResponseCode::NXDomain })
                    }
                }
                ResolveErrorKind::NoRecordsFound { response_code, .. } => failed(format!("{rtype} query{} answered {response_code}", at())),
                ResolveErrorKind::Timeout => failed(format!("{rtype} query{} timed out", at())),
                _ => failed(format!("{rtype} query{} failed: {e}", at())),
            };
        }
    };
    if response.truncated() {
        // hickory asks again over TCP after a truncated UDP answer, and returns the UDP one only
        // when that failed: records that did not fit are missing (an overseas address, say), and
        // an empty one would read as "no address".
        return failed(format!("{rtype} answer{} was truncated over UDP and TCP gave none", at()));
    }
    if response.queries().first().is_none_or(|q| q.name() != asked || q.query_type() != rtype) {
        return failed(format!("{rtype} query{} was answered for another question", at()));
    }
    let answers = response.answers();
    // Walk the chain by owner name; records of other owners are not part of it.
    let mut end = asked.clone();
    loop {
        let owned = || answers.iter().filter(|r| r.dns_class() == DNSClass::IN && *r.name() == end);
        let addresses: Vec<IpAddr> = owned()
            .filter_map(|r| match r.data() {
                Some(RData::A(a)) if rtype == RecordType::A => Some(IpAddr::V4(a.0)),
                Some(RData::AAAA(a)) if rtype == RecordType::AAAA => Some(IpAddr::V6(a.0)),
                _ => None,
            })
            .collect();
        if !addresses.is_empty() {
            if response.response_code() != ResponseCode::NoError {
                // NXDOMAIN is about the chain's last name (RFC 6604), whose addresses these are.
                return failed(format!("{rtype} answer{} has addresses and the code {}", at(), response.response_code()));
            }
            return Step::Done(TypeAnswer::Records { cnames: cnames(chain), addresses });
        }
        let target = owned().find_map(|r| match r.data() {
            Some(RData::CNAME(target)) => Some(target.0.clone()),
            _ => None,
        });
        let Some(target) = target else { break };
        if target == *domain || chain.contains(&target) {
            chain.push(target);
            return failed(format!("{rtype}: CNAME loop {} → {}", printable(domain), cnames(chain).join(" → ")));
        }
        if chain.len() == MAX_CNAME_LINKS {
            return failed(format!("{rtype}: CNAME chain longer than {MAX_CNAME_LINKS} links from {}", printable(domain)));
        }
        chain.push(target.clone());
        end = target;
    }
    if end != *asked {
        // The answer ends in a CNAME with nothing for its target. With the SOA of a zone the
        // target is in, it is that zone's NXDOMAIN or NODATA for it (RFC 6604: the code is about
        // the chain's last name), as a recursive server answers. Without, the server may just not
        // serve the target's zone (an authoritative server answers only for its own): ask there.
        let negative = matches!(response.response_code(), ResponseCode::NXDomain | ResponseCode::NoError)
            && response.name_servers().iter().any(|r| r.record_type() == RecordType::SOA && r.name().zone_of(&end));
        if !negative {
            return Step::Ask(end);
        }
    }
    if end == *asked && !answers.is_empty() && !answers.iter().any(|r| r.name() == asked) {
        // Records, but none for the name asked: a broken or forged answer, not "no address".
        return failed(format!("{rtype} answer{} has records only for other names", at()));
    }
    match response.response_code() {
        rc @ (ResponseCode::NXDomain | ResponseCode::NoError)
            if !response.name_servers().iter().any(|r| r.record_type() == RecordType::SOA && r.name().zone_of(&end)) =>
        {
            failed(no_soa(rtype, &at(), rc))
        }
        rc @ (ResponseCode::NXDomain | ResponseCode::NoError) => {
            Step::Done(TypeAnswer::Negative { cnames: cnames(chain), nxdomain: rc == ResponseCode::NXDomain })
        }
        rc => failed(format!("{rtype} query{} answered {rc}", at())),
    }
}

/// Why a negative answer without the SOA of a zone the name is in is not taken: authoritative
/// servers put their zone's SOA in every NXDOMAIN and NODATA answer (RFC 2308) and resolvers pass
/// it on. An empty answer without one is a referral (NS records only: a server that does not
/// serve the zone) or broken; one with another zone's SOA is broken or forged.
fn no_soa(rtype: RecordType, at: &str, rc: ResponseCode) -> String {
    format!("{rtype} query{at} answered {rc} with no records and no SOA of the name's zone: a referral or a broken answer, not a negative one")
}

/// A name as recorded: lower case, without the root's dot.
fn printable(name: &Name) -> String {
    name.to_ascii().trim_end_matches('.').to_ascii_lowercase()
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
    use std::sync::atomic::Ordering;

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

    #[tokio::test]
    async fn a_message_that_is_not_a_response_is_a_failure() {
        // Our own query reflected back (QR clear), by a loop or an echo service at the
        // nameserver's address: with an SOA added it reads like NODATA, and NODATA is a finding.
        for rcode in [ResponseCode::NoError, ResponseCode::NXDomain] {
            let addr = udp_nameserver(move |_, mut answer| {
                answer.set_message_type(MessageType::Query).set_response_code(rcode);
                Some(answer)
            })
            .await;
            let p = DnsProbe::new(&config::Dns { nameservers: vec![addr], timeout_ms: 300, attempts: 1 });
            let answer = p.resolve("www.demo.example.cn").await;
            assert!(matches!(answer, DnsAnswer::Failed { .. }), "{rcode}: {answer:?}");
        }
    }

    /// A UDP nameserver on loopback that answers each query with what `reply` makes of it (a
    /// response with the query's ID and question, for `reply` to fill in), or not at all when
    /// `reply` says `None`.
    /// A nameserver answering each query as `reply` says. An empty NOERROR or NXDOMAIN answer
    /// with nothing in its authority section gets the SOA of the name asked, as an authoritative
    /// server sends it (RFC 2308).
    async fn udp_nameserver(reply: impl FnMut(&Message, Message) -> Option<Message> + Send + 'static) -> std::net::SocketAddr {
        udp_nameserver_at("127.0.0.1:0", reply).await
    }

    /// [`udp_nameserver`] bound to `bind` (`[::1]:0` for one on IPv6).
    async fn udp_nameserver_at(
        bind: &str,
        mut reply: impl FnMut(&Message, Message) -> Option<Message> + Send + 'static,
    ) -> std::net::SocketAddr {
        let sock = tokio::net::UdpSocket::bind(bind).await.unwrap();
        let addr = sock.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let Ok(query) = Message::from_vec(&buf[..n]) else { continue };
                if let Some(mut answer) = reply(&query, response_to(&query)) {
                    let negative = matches!(answer.response_code(), ResponseCode::NoError | ResponseCode::NXDomain);
                    if negative && answer.answers().is_empty() && answer.name_servers().is_empty() {
                        if let Some(q) = query.queries().first() {
                            answer.add_name_server(soa_record(q.name().clone()));
                        }
                    }
                    let _ = sock.send_to(&answer.to_vec().unwrap(), from).await;
                }
            }
        });
        addr
    }

    /// The SOA of the zone `zone`.
    fn soa_record(zone: Name) -> Record {
        let soa = hickory_resolver::proto::rr::rdata::SOA::new(nm("ns.example."), nm("hostmaster.example."), 1, 3600, 600, 86400, 60);
        Record::from_rdata(zone, 60, RData::SOA(soa))
    }

    /// An empty response to `query`: its ID and question.
    fn response_to(query: &Message) -> Message {
        let mut answer = Message::new();
        answer.set_id(query.id()).set_message_type(MessageType::Response);
        answer.add_queries(query.queries().to_vec());
        answer
    }

    /// A resolver that gives a long chain one slow link per query: the whole is bounded, not
    /// only each query.
    #[tokio::test]
    async fn a_chain_asked_for_link_by_link_is_bounded_as_a_whole() {
        let sock = Arc::new(tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap());
        let addr = sock.local_addr().unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = sock.recv_from(&mut buf).await {
                let Ok(query) = Message::from_vec(&buf[..n]) else { continue };
                let Some(q) = query.queries().first().cloned() else { continue };
                let sock = sock.clone();
                let owner = q.name().to_ascii();
                // c0.slow.test → c1.slow.test → … → c15.slow.test, which has the address; each
                // link told alone, 150 ms after it was asked for.
                let k: u32 = owner.trim_start_matches('c').split('.').next().and_then(|k| k.parse().ok()).unwrap_or(99);
                let mut answer = response_to(&query);
                if k >= 15 && q.query_type() == RecordType::A {
                    answer.add_answer(a(&owner, 1));
                } else if k < 15 {
                    answer.add_answer(cname(&owner, &format!("c{}.slow.test.", k + 1)));
                } else {
                    answer.add_name_server(soa_record(q.name().clone()));
                }
                tokio::spawn(async move {
                    tokio::time::sleep(Duration::from_millis(150)).await;
                    let _ = sock.send_to(&answer.to_vec().unwrap(), from).await;
                });
            }
        });
        // Each query answers well within its 400 ms; the chain would take 2.4 s.
        let p = DnsProbe::new(&config::Dns { nameservers: vec![addr], timeout_ms: 400, attempts: 1 });
        match p.resolve("c0.slow.test").await {
            DnsAnswer::Failed { reason } => assert!(reason.contains("CNAME chain took more than 1600 ms"), "{reason}"),
            other => panic!("{other:?}"),
        }
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
    /// `tcp`) it answers A with 127.0.0.9 and AAAA with ::9, and `alias.*` with a CNAME to
    /// `big.example.net` alone. With `one_answer`, it closes each TCP connection after its first
    /// answer, as many servers do.
    async fn truncating_nameserver(tcp: bool, one_answer: bool) -> std::net::SocketAddr {
        let addr = udp_nameserver(|_, mut answer| {
            answer.set_truncated(true);
            Some(answer)
        })
        .await;
        if tcp {
            tcp_nameserver_at(addr, one_answer).await;
        }
        addr
    }

    /// The TCP side of [`truncating_nameserver`], on `addr`.
    async fn tcp_nameserver_at(addr: std::net::SocketAddr, one_answer: bool) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
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
                                _ if q.name().to_ascii().starts_with("alias.") => {
                                    RData::CNAME(hickory_resolver::proto::rr::rdata::CNAME(nm("big.example.net.")))
                                }
                                RecordType::A => RData::A(A::new(127, 0, 0, 9)),
                                _ => RData::AAAA(AAAA::new(0, 0, 0, 0, 0, 0, 0, 9)),
                            };
                            answer.add_answer(Record::from_rdata(q.name().clone(), 60, data));
                        }
                        let out = answer.to_vec().unwrap();
                        let _ = conn.write_u16(out.len() as u16).await;
                        let _ = conn.write_all(&out).await;
                        if one_answer {
                            return;
                        }
                    }
                });
            }
        });
    }

    /// A server that ignores our EDNS buffer size (1232 bytes) and sends a bigger UDP answer
    /// without the TC bit: what did not fit in the receive buffer is missing, so the answer is
    /// treated as truncated and asked over TCP, not left to time out (or taken in part).
    #[tokio::test]
    async fn an_answer_bigger_than_our_buffer_is_asked_over_tcp() {
        let ns = udp_nameserver(|query, mut answer| {
            let n = asked(query)?;
            for k in 0..120 {
                let data = match query.queries()[0].query_type() {
                    RecordType::A => RData::A(A::new(127, 0, 1, k)),
                    _ => RData::AAAA(AAAA::new(0, 0, 0, 0, 0, 0, 1, k as u16)),
                };
                answer.add_answer(Record::from_rdata(nm(&n), 60, data));
            }
            Some(answer)
        })
        .await;
        tcp_nameserver_at(ns, false).await;
        let p = probe_at(ns);
        let nine = vec![IpAddr::from([127, 0, 0, 9]), "::9".parse().unwrap()];
        assert_eq!(p.resolve("big.example.cn").await, DnsAnswer::Resolved { cnames: vec![], addresses: nine });
    }

    /// A truncated UDP answer is never taken for "no address": it is asked again over TCP, and
    /// when TCP fails too the check is inconclusive.
    #[tokio::test]
    async fn truncated_answers_are_asked_over_tcp_and_never_read_as_no_address() {
        let ns = truncating_nameserver(true, false).await;
        let p = DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 1000, attempts: 1 });
        let nine: [IpAddr; 2] = [IpAddr::from([127, 0, 0, 9]), "::9".parse().unwrap()];
        assert_eq!(p.resolve("big.example.cn").await.addresses(), &nine);
        let ns = truncating_nameserver(false, false).await;
        let p = DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 300, attempts: 1 });
        let answer = p.resolve("big.example.cn").await;
        assert!(matches!(answer, DnsAnswer::Failed { .. }), "{answer:?}");
    }

    /// A server that closes its TCP connection after one answer: the next truncated answer, on a
    /// resolver given back with that connection or further down the same chain, is asked over a
    /// new connection instead of failing on the closed one.
    #[tokio::test]
    async fn a_tcp_connection_the_server_closed_is_not_a_failure() {
        let ns = truncating_nameserver(true, true).await;
        let p = probe_at(ns);
        let nine: [IpAddr; 2] = [IpAddr::from([127, 0, 0, 9]), "::9".parse().unwrap()];
        for domain in ["big.example.cn", "big2.example.cn", "big3.example.cn"] {
            assert_eq!(p.resolve(domain).await, DnsAnswer::Resolved { cnames: vec![], addresses: nine.to_vec() }, "{domain}");
        }
        let fresh = probe_at(ns);
        assert_eq!(
            fresh.resolve("alias.example.cn").await,
            DnsAnswer::Resolved { cnames: vec!["big.example.net".into()], addresses: nine.to_vec() }
        );
    }

    fn nm(s: &str) -> Name {
        Name::from_ascii(s).unwrap()
    }

    fn cname(owner: &str, target: &str) -> Record {
        Record::from_rdata(nm(owner), 60, RData::CNAME(hickory_resolver::proto::rr::rdata::CNAME(nm(target))))
    }

    fn a(owner: &str, last: u8) -> Record {
        Record::from_rdata(nm(owner), 60, RData::A(A::new(127, 0, 0, last)))
    }

    fn probe_at(ns: std::net::SocketAddr) -> DnsProbe {
        DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 1000, attempts: 1 })
    }

    /// The name a query asks about, lower case with the root's dot.
    fn asked(query: &Message) -> Option<String> {
        Some(query.queries().first()?.name().to_ascii().to_ascii_lowercase())
    }

    /// A CNAME to a name that does not exist, or has no address: the chain is the evidence ("the
    /// CDN name was deleted"), whether the server gives it with the final code (a recursive
    /// server, RFC 6604) or one link at a time.
    #[tokio::test]
    async fn a_chain_to_a_missing_name_is_recorded_with_the_negative_answer() {
        let ns = udp_nameserver(|query, mut answer| {
            match asked(query)?.as_str() {
                // One link, the target asked for separately.
                "alias.example.cn." => {
                    answer.add_answer(cname("alias.example.cn.", "gone.cdn.example.net."));
                    answer.set_response_code(ResponseCode::NXDomain);
                }
                "gone.cdn.example.net." => {
                    answer.set_response_code(ResponseCode::NXDomain);
                }
                "alias2.example.cn." => {
                    answer.add_answer(cname("alias2.example.cn.", "empty.cdn.example.net."));
                }
                // The whole chain in one answer, with the SOA of the last name's zone.
                "alias3.example.cn." => {
                    answer.add_answer(cname("alias3.example.cn.", "edge.cdn.example.net."));
                    answer.add_answer(cname("edge.cdn.example.net.", "gone.origin.example.org."));
                    answer.add_name_server(soa_record(nm("example.org.")));
                    answer.set_response_code(ResponseCode::NXDomain);
                }
                _ => {}
            }
            Some(answer)
        })
        .await;
        let p = probe_at(ns);
        assert_eq!(
            p.resolve("alias.example.cn").await,
            DnsAnswer::NoAddress { cnames: vec!["gone.cdn.example.net".into()], nxdomain: true }
        );
        assert_eq!(
            p.resolve("alias2.example.cn").await,
            DnsAnswer::NoAddress { cnames: vec!["empty.cdn.example.net".into()], nxdomain: false }
        );
        assert_eq!(
            p.resolve("alias3.example.cn").await,
            DnsAnswer::NoAddress { cnames: vec!["edge.cdn.example.net".into(), "gone.origin.example.org".into()], nxdomain: true }
        );
    }

    /// An empty answer with NS records and no SOA is a referral (a server that does not serve the
    /// zone sending us up the tree), not NODATA: a failure, at a chain's end or for the domain.
    #[tokio::test]
    async fn a_referral_is_no_negative_answer() {
        let ns = udp_nameserver(|query, mut answer| {
            if asked(query)? == "alias.example.cn." {
                answer.add_answer(cname("alias.example.cn.", "edge.cdn.example.net."));
            } else {
                let root = hickory_resolver::proto::rr::rdata::NS(nm("a.root-servers.net."));
                answer.add_name_server(Record::from_rdata(Name::root(), 3600, RData::NS(root)));
            }
            Some(answer)
        })
        .await;
        let p = probe_at(ns);
        for domain in ["alias.example.cn", "direct.example.cn"] {
            let answer = p.resolve(domain).await;
            assert!(matches!(&answer, DnsAnswer::Failed { reason } if reason.contains("no SOA")), "{domain}: {answer:?}");
        }
    }

    /// A negative answer is about the zone its SOA heads (RFC 2308): one whose SOA is of a zone
    /// the name asked is not in is broken or forged, not the domain's NXDOMAIN or NODATA, with
    /// nothing in the answer or with records of other types for the name.
    #[tokio::test]
    async fn a_negative_answer_with_another_zones_soa_is_a_failure() {
        let ns = udp_nameserver(|query, mut answer| {
            let n = asked(query)?;
            match n.split('.').next()? {
                "nx" => answer.set_response_code(ResponseCode::NXDomain),
                "txt" => {
                    let txt = hickory_resolver::proto::rr::rdata::TXT::new(vec!["v=spf1 -all".into()]);
                    answer.add_answer(Record::from_rdata(nm(&n), 60, RData::TXT(txt)))
                }
                _ => &mut answer,
            };
            answer.add_name_server(soa_record(nm("other.example.org.")));
            Some(answer)
        })
        .await;
        let p = probe_at(ns);
        for domain in ["nx.example.cn", "nodata.example.cn", "txt.example.cn"] {
            let answer = p.resolve(domain).await;
            assert!(matches!(&answer, DnsAnswer::Failed { reason } if reason.contains("SOA")), "{domain}: {answer:?}");
        }
    }

    /// Addresses in an answer whose code says the name does not exist (or a code we do not know)
    /// contradict it: a broken or forged answer, neither the domain's addresses nor NXDOMAIN.
    #[tokio::test]
    async fn addresses_in_an_nxdomain_answer_are_a_failure() {
        let ns = udp_nameserver(|query, mut answer| {
            let n = asked(query)?;
            if query.queries()[0].query_type() == RecordType::A {
                answer.add_answer(Record::from_rdata(nm(&n), 60, RData::A(A::new(8, 8, 8, 8))));
            }
            answer.set_response_code(if n.starts_with("nx.") { ResponseCode::NXDomain } else { ResponseCode::Unknown(12) });
            answer.add_name_server(soa_record(nm("example.cn.")));
            Some(answer)
        })
        .await;
        let p = probe_at(ns);
        for domain in ["nx.example.cn", "odd.example.cn"] {
            let answer = p.resolve(domain).await;
            assert!(matches!(&answer, DnsAnswer::Failed { reason } if reason.contains("A answer")), "{domain}: {answer:?}");
        }
    }

    /// Nameservers on IPv6, and several of them: one that never answers and one that answers
    /// SERVFAIL do not keep the answer of a third from counting.
    #[tokio::test]
    async fn ipv6_nameservers_and_failover_to_one_that_answers() {
        let good = |query: &Message, mut answer: Message| {
            if query.queries()[0].query_type() == RecordType::A {
                answer.add_answer(a(&asked(query)?, 5));
            }
            Some(answer)
        };
        let v6 = udp_nameserver_at("[::1]:0", good).await;
        assert!(v6.is_ipv6());
        let want = DnsAnswer::Resolved { cnames: vec![], addresses: vec!["127.0.0.5".parse().unwrap()] };
        assert_eq!(probe_at(v6).resolve("site.example.cn").await, want);
        let silent = failing_nameserver(false).await;
        let servfail = udp_nameserver_at("[::1]:0", |_, mut answer| {
            answer.set_response_code(ResponseCode::ServFail);
            Some(answer)
        })
        .await;
        let p = DnsProbe::new(&config::Dns { nameservers: vec![silent, servfail, v6], timeout_ms: 300, attempts: 1 });
        assert_eq!(p.resolve("site.example.cn").await, want);
    }

    /// Forged answers (the query's ID and question, another address) from the nameserver's port
    /// on another address and from its address on another port, arriving before the real one,
    /// are not taken; the sockets that saw them are not reused.
    #[tokio::test]
    async fn answers_from_another_address_or_port_are_not_taken() {
        let server = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        let addr = server.local_addr().unwrap();
        let other_ip = tokio::net::UdpSocket::bind(("127.0.0.2", addr.port())).await.unwrap();
        let other_port = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
        tokio::spawn(async move {
            let mut buf = [0u8; 512];
            while let Ok((n, from)) = server.recv_from(&mut buf).await {
                let Ok(query) = Message::from_vec(&buf[..n]) else { continue };
                let is_a = query.queries()[0].query_type() == RecordType::A;
                let mut forged = response_to(&query);
                if is_a {
                    forged.add_answer(Record::from_rdata(query.queries()[0].name().clone(), 60, RData::A(A::new(8, 8, 8, 8))));
                }
                let forged = forged.to_vec().unwrap();
                let _ = other_ip.send_to(&forged, from).await;
                let _ = other_port.send_to(&forged, from).await;
                tokio::time::sleep(Duration::from_millis(20)).await;
                let mut real = response_to(&query);
                if is_a {
                    real.add_answer(Record::from_rdata(query.queries()[0].name().clone(), 60, RData::A(A::new(127, 0, 0, 5))));
                } else {
                    real.add_name_server(soa_record(nm("example.cn.")));
                }
                let _ = server.send_to(&real.to_vec().unwrap(), from).await;
            }
        });
        let p = probe_at(addr);
        assert_eq!(
            p.resolve("site.example.cn").await,
            DnsAnswer::Resolved { cnames: vec![], addresses: vec!["127.0.0.5".parse().unwrap()] }
        );
        assert_eq!(p.runtime.idle_count(), 0);
    }

    /// A and AAAA are judged together: when one of them fails (SERVFAIL, REFUSED, no answer) the
    /// other's addresses or negative answer are not taken for the domain's.
    #[tokio::test]
    async fn one_type_failing_fails_the_domain_whatever_the_other_says() {
        let ns = udp_nameserver(|query, mut answer| {
            let n = asked(query)?;
            let (a_says, aaaa_says) = n.split_once('.')?.0.split_once('-')?;
            let says = if query.queries()[0].query_type() == RecordType::A { a_says } else { aaaa_says };
            match says {
                "addr" if query.queries()[0].query_type() == RecordType::A => answer.add_answer(a(&n, 5)),
                "addr" => answer.add_answer(Record::from_rdata(nm(&n), 60, RData::AAAA(AAAA::new(0, 0, 0, 0, 0, 0, 0, 5)))),
                "nx" => answer.set_response_code(ResponseCode::NXDomain),
                "servfail" => answer.set_response_code(ResponseCode::ServFail),
                "refused" => answer.set_response_code(ResponseCode::Refused),
                "silent" => return None,
                _ => &mut answer,
            };
            Some(answer)
        })
        .await;
        let p = DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 200, attempts: 1 });
        for (domain, why) in [
            ("addr-servfail", "AAAA query answered Server Failure"),
            ("servfail-addr", "A query answered Server Failure"),
            ("addr-silent", "AAAA query timed out"),
            ("nx-refused", "AAAA query answered Query Refused"),
            ("nodata-silent", "AAAA query timed out"),
        ] {
            let answer = p.resolve(&format!("{domain}.example.cn")).await;
            assert!(matches!(&answer, DnsAnswer::Failed { reason } if reason.starts_with(why)), "{domain}: {answer:?}");
        }
        let nx_nodata = p.resolve("nx-nodata.example.cn").await;
        assert_eq!(nx_nodata, DnsAnswer::NoAddress { cnames: vec![], nxdomain: true });
        let v6_only = p.resolve("nodata-addr.example.cn").await;
        assert_eq!(v6_only.addresses(), &["::5".parse::<IpAddr>().unwrap()]);
    }

    /// `dns.attempts` is the number of tries a query gets from a nameserver that does not answer
    /// (hickory's retry handle counts retries after the first), so `attempts × timeout_ms` bounds
    /// the wait.
    #[tokio::test]
    async fn a_silent_nameserver_gets_attempts_tries() {
        for attempts in [1, 2] {
            let queries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let counter = queries.clone();
            let ns = udp_nameserver(move |_, _| {
                counter.fetch_add(1, Ordering::Relaxed);
                None
            })
            .await;
            let p = DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 100, attempts });
            let answer = p.query(&nm("site.example.cn."), RecordType::A).await;
            assert!(matches!(answer, TypeAnswer::Failed(_)), "{answer:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
            assert_eq!(queries.load(Ordering::Relaxed), attempts, "attempts {attempts}");
        }
    }

    /// A nameserver that hands out a CNAME chain `c0.chain.test` → … → `c<len>.chain.test`
    /// (A 127.0.0.7), one link per answer, counting the queries it answers.
    async fn chain_nameserver(len: usize, queries: Arc<std::sync::atomic::AtomicUsize>) -> std::net::SocketAddr {
        udp_nameserver(move |query, mut answer| {
            queries.fetch_add(1, Ordering::Relaxed);
            let n = asked(query)?;
            let k: usize = n.strip_prefix('c')?.split('.').next()?.parse().ok()?;
            if k < len {
                answer.add_answer(cname(&n, &format!("c{}.chain.test.", k + 1)));
            } else if query.queries()[0].query_type() == RecordType::A {
                answer.add_answer(a(&n, 7));
            }
            Some(answer)
        })
        .await
    }

    /// A chain needing many follow-up queries is followed to its end (hickory gives up after
    /// eight and reports no records); one longer than `MAX_CNAME_LINKS` is a failure, never
    /// "no address".
    #[tokio::test]
    async fn long_chains_are_followed_and_one_too_long_is_a_failure() {
        for len in [1, 8, 10, MAX_CNAME_LINKS] {
            let queries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let p = probe_at(chain_nameserver(len, queries.clone()).await);
            let want = DnsAnswer::Resolved {
                cnames: (1..=len).map(|k| format!("c{k}.chain.test")).collect(),
                addresses: vec!["127.0.0.7".parse().unwrap()],
            };
            assert_eq!(p.resolve("c0.chain.test").await, want, "{len} links");
            assert_eq!(queries.load(Ordering::Relaxed), 2 * (len + 1), "{len} links: one query per name and type");
        }
        let p = probe_at(chain_nameserver(MAX_CNAME_LINKS + 1, Arc::default()).await);
        let answer = p.resolve("c0.chain.test").await;
        assert!(matches!(&answer, DnsAnswer::Failed { reason } if reason.contains("longer than")), "{answer:?}");
    }

    /// A ten-link chain in one answer is followed by owner name, in whatever order the records
    /// come: in order it takes no further query for A.
    #[tokio::test]
    async fn a_chain_in_one_answer_is_walked_by_owner_name() {
        for reversed in [false, true] {
            let queries = Arc::new(std::sync::atomic::AtomicUsize::new(0));
            let counter = queries.clone();
            let ns = udp_nameserver(move |query, mut answer| {
                if query.queries()[0].query_type() == RecordType::A {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                let n = asked(query)?;
                let start: usize = n.strip_prefix('c')?.split('.').next()?.parse().ok()?;
                let mut records: Vec<Record> =
                    (start..10).map(|k| cname(&format!("c{k}.one.test."), &format!("c{}.one.test.", k + 1))).collect();
                if reversed {
                    records.reverse();
                }
                for r in records {
                    answer.add_answer(r);
                }
                if query.queries()[0].query_type() == RecordType::A {
                    answer.add_answer(a("c10.one.test.", 6));
                }
                Some(answer)
            })
            .await;
            let answer = probe_at(ns).resolve("c0.one.test").await;
            assert_eq!(
                answer,
                DnsAnswer::Resolved {
                    cnames: (1..=10).map(|k| format!("c{k}.one.test")).collect(),
                    addresses: vec!["127.0.0.6".parse().unwrap()]
                },
                "reversed {reversed}"
            );
            assert_eq!(queries.load(Ordering::Relaxed), 1, "reversed {reversed}");
        }
    }

    /// A CNAME loop, in one answer or across two, is a failure with the loop as its reason.
    #[tokio::test]
    async fn a_cname_loop_is_a_failure() {
        for one_answer in [true, false] {
            let ns = udp_nameserver(move |query, mut answer| {
                let n = asked(query)?;
                if one_answer || n == "a.loop.test." {
                    answer.add_answer(cname("a.loop.test.", "b.loop.test."));
                }
                if one_answer || n == "b.loop.test." {
                    answer.add_answer(cname("b.loop.test.", "a.loop.test."));
                }
                Some(answer)
            })
            .await;
            let answer = probe_at(ns).resolve("a.loop.test").await;
            assert!(
                matches!(&answer, DnsAnswer::Failed { reason } if reason.contains("CNAME loop a.loop.test → b.loop.test → a.loop.test")),
                "one answer {one_answer}: {answer:?}"
            );
        }
    }

    /// Only the chain from the name asked counts: a CNAME or an address of another owner, in any
    /// section, is neither a link nor an address of the domain.
    #[tokio::test]
    async fn records_of_other_owners_are_not_part_of_the_chain() {
        let ns = udp_nameserver(|query, mut answer| {
            if asked(query)? != "site.example.cn." {
                // AAAA at the chain's end: none.
                return Some(answer);
            }
            answer.add_answer(cname("junk.example.org.", "evil.example.org."));
            answer.add_answer(cname("site.example.cn.", "real.cdn.example.net."));
            answer.add_answer(a("evil.example.org.", 66));
            if query.queries()[0].query_type() == RecordType::A {
                answer.add_answer(a("real.cdn.example.net.", 5));
            }
            answer.add_additional(cname("more.example.org.", "evil.example.org."));
            Some(answer)
        })
        .await;
        assert_eq!(
            probe_at(ns).resolve("site.example.cn").await,
            DnsAnswer::Resolved { cnames: vec!["real.cdn.example.net".into()], addresses: vec!["127.0.0.5".parse().unwrap()] }
        );
    }

    /// An answer with records only for another name than the one asked is broken (or forged), not
    /// the domain's NODATA.
    #[tokio::test]
    async fn an_answer_for_another_name_is_a_failure() {
        let ns = udp_nameserver(|query, mut answer| {
            if query.queries()[0].query_type() == RecordType::A {
                answer.add_answer(Record::from_rdata(nm("other.example.org."), 60, RData::A(A::new(47, 93, 1, 1))));
            }
            Some(answer)
        })
        .await;
        let answer = probe_at(ns).resolve("site.example.cn").await;
        assert!(matches!(&answer, DnsAnswer::Failed { reason } if reason.contains("other names")), "{answer:?}");
    }

    /// A truncated UDP answer that carries part of the A records (the one that did not fit might
    /// be an overseas address), with TCP down: a failure, not the domain's addresses.
    #[tokio::test]
    async fn a_truncated_partial_answer_is_a_failure_when_tcp_fails() {
        let ns = udp_nameserver(|query, mut answer| {
            if query.queries()[0].query_type() == RecordType::A {
                answer.add_answer(Record::from_rdata(query.queries()[0].name().clone(), 60, RData::A(A::new(127, 0, 0, 1))));
                answer.set_truncated(true);
            }
            Some(answer)
        })
        .await;
        let p = DnsProbe::new(&config::Dns { nameservers: vec![ns], timeout_ms: 300, attempts: 1 });
        let answer = p.resolve("big.example.cn").await;
        assert!(matches!(&answer, DnsAnswer::Failed { reason } if reason.contains("truncated")), "{answer:?}");
    }
}
