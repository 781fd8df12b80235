//! HTTP probe: fetch a domain's homepage from one given address. Connections are pinned to
//! addresses we resolved and classified ourselves (the system resolver is never used); redirects
//! are followed by hand, each hop re-resolved through our nameservers and refused when it leads
//! to a non-public address; body size, redirect count and time are bounded. A stub whose meta
//! refresh or `Refresh` header leads on at once ([`refresh`]) is followed like a redirect. An
//! invalid certificate is recorded as evidence and the page is still read.

use super::{charset, refresh};
use super::dns::{DnsAnswer, DnsProbe};
use crate::config;
use crate::netclass::{AddressClass, Classifier};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use serde::Serialize;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use url::Url;

/// A homepage we could read.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The address the first request went to.
    pub ip: IpAddr,
    pub status: u16,
    pub final_url: String,
    /// Every URL requested before the final one.
    pub redirects: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    pub encoding: &'static str,
    pub bytes: usize,
    /// The body was longer than `http.max_body_bytes` and was cut there.
    pub truncated: bool,
    /// For https pages: whether the certificate chain verified, and why not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsEvidence>,
    pub elapsed_ms: u64,
    #[serde(skip)]
    pub html: String,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct TlsEvidence {
    pub valid: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// One failed try at one URL.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub ip: IpAddr,
    pub url: String,
    /// `refused`, `timeout`, `tls`, `status`, `redirects`, `redirect_refused`, `body` (the server
    /// answered, but its body broke off or could not be decoded), `error`; or, making
    /// the check inconclusive ([`Failure::is_ours`]), `local` (our side failed: our network, our
    /// resolver, a body we cannot read) or `throttled` (the server answered 429 or 408: it was
    /// our rate it refused, not the public).
    pub kind: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub redirects: Vec<String>,
}

/// Chinese names of the failure kinds of [`Failure`], as notices and reports show them.
pub fn failure_kind_zh(kind: &str) -> &str {
    match kind {
        "refused" => "连接被拒绝",
        "timeout" => "超时",
        "tls" => "TLS 握手失败",
        "status" => "服务器返回错误状态",
        "redirects" => "重定向次数过多",
        "redirect_refused" => "重定向目标不允许访问",
        "body" => "页面内容不完整或无法解码",
        "error" => "访问出错",
        "local" => "本方网络或解析故障",
        "throttled" => "服务器限制了访问频率",
        other => other,
    }
}

impl Failure {
    /// Whether the failure says nothing about the customer's site: such a check is inconclusive.
    pub fn is_ours(&self) -> bool {
        matches!(self.kind, "local" | "throttled")
    }
}

/// How far one fetch has got, kept outside its future: a fetch cut off by the time budget is
/// dropped mid-way, and its failure is told from this.
struct Progress {
    /// The URL being requested.
    url: Url,
    /// Every URL requested before it.
    redirects: Vec<String>,
    /// Its status, once the answer's head has come.
    status: Option<u16>,
    /// The redirect host our resolver is looking up, while it is.
    resolving: Option<String>,
}

/// Fetches homepages under the `[http]` settings.
pub struct HttpProbe {
    cfg: config::Http,
    dns: DnsProbe,
    classifier: Arc<Classifier>,
    webpki: Arc<WebPkiServerVerifier>,
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl HttpProbe {
    pub fn new(cfg: config::Http, dns: DnsProbe, classifier: Arc<Classifier>) -> anyhow::Result<HttpProbe> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let roots = rustls::RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
        let webpki = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone()).build()?;
        Ok(HttpProbe { cfg, dns, classifier, webpki, provider })
    }

    /// Fetches `http://DOMAIN/` from `ip`, following its redirects (which may lead to https).
    /// `https://DOMAIN/` is tried directly only when nothing answered on the HTTP port: a site
    /// that answered over HTTP — with an error, a redirect we refuse or one to a place that fails,
    /// a body that breaks off or stalls — is judged by that answer, not by whatever default
    /// virtual host the HTTPS port serves.
    pub async fn fetch_homepage(&self, domain: &str, ip: IpAddr) -> Result<Page, Vec<Failure>> {
        let mut failures: Vec<Failure> = Vec::new();
        for scheme in ["http", "https"] {
            // Something answered when a status line came (a body then broke off or stalled, say)
            // or a redirect was taken (and a later hop failed).
            let nothing_answered = |f: &Failure| matches!(f.kind, "refused" | "timeout" | "error") && f.status.is_none() && f.redirects.is_empty();
            if scheme == "https" && !failures.iter().all(nothing_answered) {
                break;
            }
            let url = match Url::parse(&format!("{scheme}://{domain}/")) {
                Ok(u) => u,
                Err(e) => {
                    failures.push(Failure { ip, url: domain.to_string(), kind: "error", status: None, detail: e.to_string(), redirects: vec![] });
                    break;
                }
            };
            let budget = Duration::from_millis(self.cfg.timeout_ms);
            let progress = Mutex::new(Progress { url: url.clone(), redirects: Vec::new(), status: None, resolving: None });
            match tokio::time::timeout(budget, self.follow(url.clone(), domain, ip, &progress)).await {
                Ok(Ok(page)) => return Ok(page),
                Ok(Err(f)) => failures.push(f),
                Err(_) => {
                    // Told of the URL the time ran out at; when it ran out while our resolver
                    // looked up a redirect host, the time was our resolver's, not the site's.
                    let Progress { url, redirects, status, resolving } = progress.into_inner().unwrap_or_else(|e| e.into_inner());
                    let budget = self.cfg.timeout_ms;
                    let (kind, detail) = match (resolving, status) {
                        (Some(host), _) => ("local", format!("redirect host {host}: our resolver gave no answer within the {budget} ms budget")),
                        (None, Some(status)) => ("timeout", format!("the server answered {status} but its body did not complete within {budget} ms")),
                        (None, None) => ("timeout", format!("no complete answer within {budget} ms")),
                    };
                    failures.push(Failure { ip, url: url.to_string(), kind, status, detail, redirects });
                }
            }
        }
        Err(failures)
    }

    /// Requests `url` from `ip`, following redirects by hand, keeping `progress` up to date.
    async fn follow(&self, start: Url, domain: &str, ip: IpAddr, progress: &Mutex<Progress>) -> Result<Page, Failure> {
        let started = Instant::now();
        let mut url = start;
        let mut redirects: Vec<String> = Vec::new();
        let fail = |url: &Url, kind, status, detail: String, redirects: &Vec<String>| Failure {
            ip,
            url: url.to_string(),
            kind,
            status,
            detail,
            redirects: redirects.clone(),
        };
        loop {
            if let Ok(mut p) = progress.lock() {
                p.url = url.clone();
                p.redirects = redirects.clone();
                p.status = None;
            }
            let target = match self.address_for(&url, domain, ip, progress).await {
                Ok(t) => t,
                Err((kind, detail)) => return Err(fail(&url, kind, None, detail, &redirects)),
            };
            let tls_seen = Arc::new(Mutex::new(None));
            let (client, request_url) = match self.client_for(&url, target, tls_seen.clone()) {
                Ok(c) => c,
                Err(e) => return Err(fail(&url, "error", None, e, &redirects)),
            };
            // No compression is asked for. A body sent gzip or deflate anyway is decoded (reqwest
            // does, within the body cap, which counts decoded bytes), as a browser would; one in
            // another coding is refused below.
            let resp = match client.get(request_url).header(reqwest::header::ACCEPT_ENCODING, "identity").send().await {
                Ok(r) => r,
                Err(e) => {
                    let (kind, detail) = describe(&e);
                    return Err(fail(&url, kind, None, detail, &redirects));
                }
            };
            let status = resp.status();
            if let Ok(mut p) = progress.lock() {
                p.status = Some(status.as_u16());
            }
            if status.is_redirection() {
                // Browsers take a Location written in raw UTF-8 (nginx sends `return 301 /首页/;`
                // as it is); joining percent-encodes it.
                let location = resp.headers().get(reqwest::header::LOCATION).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
                let Some(next) = location.and_then(|l| url.join(&l).ok()) else {
                    return Err(fail(&url, "status", Some(status.as_u16()), "redirect without a usable Location".into(), &redirects));
                };
                if let Err((kind, detail)) = self.next_hop(&mut url, next, &mut redirects) {
                    return Err(fail(&url, kind, Some(status.as_u16()), detail, &redirects));
                }
                continue;
            }
            if matches!(status.as_u16(), 408 | 429) {
                return Err(fail(&url, "throttled", Some(status.as_u16()), format!("server answered {status}: it refused our rate"), &redirects));
            }
            // A 4xx is no homepage either: an error page, or a block page the provider serves for
            // a domain it no longer hosts, is not the site serving pages.
            if status.is_server_error() || status.is_client_error() {
                return Err(fail(&url, "status", Some(status.as_u16()), format!("server answered {status}"), &redirects));
            }
            // `none` and an empty value (sent by some PHP setups and CDNs) say no coding, as
            // `identity` does; browsers read such a body as it is.
            let coding = resp.headers().get(reqwest::header::CONTENT_ENCODING).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let no_coding = |c: &str| c.split(',').map(str::trim).all(|t| t.is_empty() || t.eq_ignore_ascii_case("identity") || t.eq_ignore_ascii_case("none"));
            // reqwest decodes `gzip` only as written so; `x-gzip` (Apache's `AddEncoding x-gzip
            // .gz`) and `GZIP` reach us encoded, and browsers decode them: so do we, below.
            let gzip_left = coding.as_deref().is_some_and(|c| c.trim().eq_ignore_ascii_case("gzip") || c.trim().eq_ignore_ascii_case("x-gzip"));
            if let Some(coding) = coding.clone().filter(|c| !no_coding(c) && !gzip_left) {
                let detail = format!("the body came with Content-Encoding {coding:?}, which was not asked for and cannot be decoded");
                return Err(fail(&url, "local", Some(status.as_u16()), detail, &redirects));
            }
            let content_type = resp.headers().get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_string);
            let refresh_header = resp.headers().get("refresh").map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());
            let (body, truncated) = match read_capped(resp, self.cfg.max_body_bytes).await {
                Ok(b) => b,
                Err(e) => {
                    // The server answered: a body it broke off or garbled is `body`, which (unlike
                    // `error`) does not send the check on to try https.
                    let (kind, detail) = match describe(&e) {
                        ("error", detail) => ("body", detail),
                        other => other,
                    };
                    return Err(fail(&url, kind, Some(status.as_u16()), detail, &redirects));
                }
            };
            let (body, truncated) = if gzip_left {
                match gunzip_capped(&body, truncated, self.cfg.max_body_bytes) {
                    Ok(b) => b,
                    Err(e) => {
                        let coding = coding.unwrap_or_default();
                        let detail = format!("the body came with Content-Encoding {coding:?} and does not decode as gzip: {e}");
                        return Err(fail(&url, "body", Some(status.as_u16()), detail, &redirects));
                    }
                }
            } else {
                (body, truncated)
            };
            let bytes = body.len();
            let (html, encoding) = charset::decode_html(body, content_type.as_deref());
            // A stub whose refresh (a `Refresh` header, else the meta tag) leads on at once is a
            // redirect; not one to itself, nor one to another scheme (browsers ignore a
            // `javascript:` refresh and show the page). A refresh to this page with another
            // fragment (`url=#top`) is to itself too: a browser does not load the page again.
            let refresh = refresh_header.as_deref().and_then(refresh::header_target).or_else(|| refresh::target(&html)).and_then(|t| url.join(&t).ok());
            let same_page = |n: &Url| n[..url::Position::AfterQuery] == url[..url::Position::AfterQuery];
            if let Some(next) = refresh.filter(|n| !same_page(n) && matches!(n.scheme(), "http" | "https")) {
                if let Err((kind, detail)) = self.next_hop(&mut url, next, &mut redirects) {
                    return Err(fail(&url, kind, Some(status.as_u16()), detail, &redirects));
                }
                continue;
            }
            let tls = (url.scheme() == "https").then(|| {
                let error = tls_seen.lock().ok().and_then(|g| g.clone());
                TlsEvidence { valid: error.is_none(), error }
            });
            return Ok(Page {
                ip,
                status: status.as_u16(),
                final_url: url.to_string(),
                redirects,
                content_type,
                encoding: encoding.name(),
                bytes,
                truncated,
                tls,
                elapsed_ms: started.elapsed().as_millis() as u64,
                html,
            });
        }
    }

    /// Takes a redirect from `url` to `next`: recorded in `redirects` and made the URL, unless
    /// it leaves http(s) or goes past `http.max_redirects` (then the failure kind and detail,
    /// to be told of `url`). Credentials written into `next` (`http://user:pass@host/`) are
    /// dropped: not sent on as a basic-auth header by us, nor written into evidence and reports.
    fn next_hop(&self, url: &mut Url, mut next: Url, redirects: &mut Vec<String>) -> Result<(), (&'static str, String)> {
        if !matches!(next.scheme(), "http" | "https") {
            return Err(("redirect_refused", format!("redirect to {next}")));
        }
        let _ = next.set_password(None);
        let _ = next.set_username("");
        redirects.push(std::mem::replace(url, next).to_string());
        if redirects.len() > self.cfg.max_redirects {
            return Err(("redirects", format!("more than {} redirects", self.cfg.max_redirects)));
        }
        Ok(())
    }

    /// The address to connect to for `url`: the pinned one for the checked domain, else one we
    /// resolve and classify; a non-public address is refused unless allowed by config. The error
    /// is a [`Failure`] kind and detail: `redirect_refused`, or `local` when our resolver failed.
    async fn address_for(&self, url: &Url, domain: &str, pinned: IpAddr, progress: &Mutex<Progress>) -> Result<IpAddr, (&'static str, String)> {
        let refused = |detail| ("redirect_refused", detail);
        let host = match url.host() {
            Some(url::Host::Domain(h)) => h.to_ascii_lowercase(),
            Some(url::Host::Ipv4(a)) => return self.fetchable(IpAddr::V4(a)).map_err(refused),
            Some(url::Host::Ipv6(a)) => return self.fetchable(IpAddr::V6(a)).map_err(refused),
            None => return Err(refused(format!("{url} has no host"))),
        };
        if host == domain {
            return Ok(pinned);
        }
        let set_resolving = |host: Option<&str>| {
            if let Ok(mut p) = progress.lock() {
                p.resolving = host.map(str::to_string);
            }
        };
        set_resolving(Some(&host));
        let answer = self.dns.resolve(&host).await;
        set_resolving(None);
        if let DnsAnswer::Failed { reason } = &answer {
            return Err(("local", format!("redirect host {host}: our resolver failed: {reason}")));
        }
        let mut candidates: Vec<(bool, IpAddr)> = answer
            .addresses()
            .iter()
            .map(|&a| (self.classifier.classify(a).is_provider_mainland(), a))
            .filter(|(_, a)| self.classifier.may_fetch(*a))
            .collect();
        candidates.sort_by_key(|(mainland, _)| !mainland);
        candidates.first().map(|(_, a)| *a).ok_or_else(|| {
            refused(match answer.addresses() {
                [] => format!("redirect host {host} does not resolve ({answer:?})"),
                addrs => format!("redirect host {host} resolves only to non-public addresses {addrs:?}"),
            })
        })
    }

    fn fetchable(&self, ip: IpAddr) -> Result<IpAddr, String> {
        match self.classifier.classify(ip) {
            AddressClass::NonPublic(why) => Err(format!("redirect to non-public address {ip} ({why}) refused")),
            _ => Ok(ip),
        }
    }

    /// A one-connection client for this hop: the URL's host pinned to `ip` on the configured port.
    fn client_for(&self, url: &Url, ip: IpAddr, tls_seen: Arc<Mutex<Option<String>>>) -> Result<(reqwest::Client, Url), String> {
        let mut url = url.clone();
        if url.port().is_none() {
            let port = if url.scheme() == "https" { self.cfg.https_port } else { self.cfg.port };
            let _ = url.set_port(Some(port));
        }
        let port = url.port_or_known_default().unwrap_or(80);
        let verifier = RecordingVerifier { inner: self.webpki.clone(), seen: tls_seen };
        let mut tls = rustls::ClientConfig::builder_with_provider(self.provider.clone())
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(verifier))
            .with_no_client_auth();
        tls.alpn_protocols = vec![b"http/1.1".to_vec()];
        let mut builder = reqwest::Client::builder()
            .use_preconfigured_tls(tls)
            .http1_only()
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            // One request per connection, closed after it: TCP keepalive probes and a user
            // timeout (reqwest's defaults) would only cost five setsockopt calls per fetch.
            .tcp_keepalive(None)
            .tcp_keepalive_interval(None)
            .tcp_keepalive_retries(None)
            .tcp_user_timeout(None)
            .connect_timeout(Duration::from_millis(self.cfg.timeout_ms))
            .timeout(Duration::from_millis(self.cfg.timeout_ms))
            .user_agent(self.cfg.user_agent.clone());
        // The one name of this hop is pinned below; reqwest would hand any other to the system
        // resolver, so every other lookup is refused.
        builder = builder.dns_resolver(Arc::new(NoLookups));
        if let Some(host) = url.host_str().filter(|_| matches!(url.host(), Some(url::Host::Domain(_)))) {
            builder = builder.resolve(host, SocketAddr::new(ip, port));
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok((client, url))
    }
}

/// The resolver under a client's pinned name: it refuses every lookup, so that no name can reach
/// the system resolver.
struct NoLookups;

impl reqwest::dns::Resolve for NoLookups {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let detail = format!("{} is not pinned to an address we resolved, and the system resolver is not used", name.as_str());
        Box::pin(async move { Err(detail.into()) })
    }
}

/// Reads at most `cap` bytes of the body; says whether more was left.
async fn read_capped(mut resp: reqwest::Response, cap: usize) -> Result<(Vec<u8>, bool), reqwest::Error> {
    let mut body = Vec::with_capacity(resp.content_length().map(|l| (l as usize).min(cap)).unwrap_or(16 * 1024));
    while let Some(chunk) = resp.chunk().await? {
        let room = cap - body.len();
        if chunk.len() > room {
            body.extend_from_slice(&chunk[..room]);
            return Ok((body, true));
        }
        body.extend_from_slice(&chunk);
    }
    Ok((body, false))
}

/// Decodes a gzip body that reqwest left encoded, keeping at most `cap` bytes of the text; says
/// whether more was left. `cut` says the compressed body was cut at the cap already: what
/// decoded before the cut is kept then.
fn gunzip_capped(compressed: &[u8], cut: bool, cap: usize) -> std::io::Result<(Vec<u8>, bool)> {
    use std::io::Read;
    let mut text = Vec::new();
    match flate2::read::GzDecoder::new(compressed).take(cap as u64 + 1).read_to_end(&mut text) {
        Ok(_) => {}
        Err(_) if cut && !text.is_empty() => {}
        Err(e) => return Err(e),
    }
    let more = cut || text.len() > cap;
    text.truncate(cap);
    Ok((text, more))
}

/// Sorts a reqwest error into a failure kind with the whole cause chain as detail.
fn describe(e: &reqwest::Error) -> (&'static str, String) {
    let mut detail = e.to_string();
    let mut source = std::error::Error::source(e);
    let mut refused = false;
    let mut local = false;
    let mut tls = false;
    while let Some(s) = source {
        let text = s.to_string();
        // An io::Error shows the error it wraps as its own text.
        if !detail.ends_with(&text) {
            detail.push_str(": ");
            detail.push_str(&text);
        }
        tls |= s.downcast_ref::<rustls::Error>().is_some();
        let io = s.downcast_ref::<std::io::Error>();
        if let Some(io) = io {
            refused |= io.kind() == std::io::ErrorKind::ConnectionRefused;
            local |= is_local_failure(io);
        }
        // An io::Error's source() is the source of the error it wraps, skipping that error (a
        // rustls::Error inside tokio-rustls' io::Error, say): step into it instead.
        source = match io.and_then(|io| io.get_ref()) {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => s.source(),
        };
    }
    let kind = if local {
        "local"
    } else if e.is_timeout() {
        "timeout"
    } else if refused {
        "refused"
    } else if tls {
        "tls"
    } else {
        "error"
    };
    (kind, detail)
}

/// Errors that say our own host or network is failing (no route out, no free sockets, no IPv6
/// stack, our own firewall refusing the packet), not the customer's server: such a check is
/// inconclusive.
fn is_local_failure(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(e.kind(), NetworkUnreachable | AddrNotAvailable | NetworkDown | OutOfMemory)
        || matches!(e.raw_os_error(), Some(libc::EPERM | libc::EACCES | libc::ENFILE | libc::EMFILE | libc::EAFNOSUPPORT | libc::ENOBUFS))
}

/// Verifies certificates as a browser would, records the verdict, and lets the handshake go on:
/// an invalid certificate is evidence, not a reason to stop reading the page.
#[derive(Debug)]
struct RecordingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    seen: Arc<Mutex<Option<String>>>,
}

impl RecordingVerifier {
    /// Records a failed handshake-signature check and lets the handshake go on. webpki refuses
    /// the signature of a certificate it cannot parse (an X.509 v1 certificate, as `openssl x509
    /// -req` makes without extensions, or an RSA key under 2048 bits); the certificate was
    /// accepted untrusted already, so its signature proves nothing more, and the page is read
    /// with the certificate recorded as invalid.
    fn record(&self, verdict: Result<HandshakeSignatureValid, rustls::Error>) -> HandshakeSignatureValid {
        if let Err(e) = verdict {
            if let Ok(mut g) = self.seen.lock() {
                g.get_or_insert_with(|| e.to_string());
            }
        }
        HandshakeSignatureValid::assertion()
    }
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Err(e) = self.inner.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            if let Ok(mut g) = self.seen.lock() {
                *g = Some(e.to_string());
            }
        }
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(self.record(self.inner.verify_tls12_signature(message, cert, dss)))
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(self.record(self.inner.verify_tls13_signature(message, cert, dss)))
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::response::{IntoResponse, Redirect};
    use axum::routing::get;

    /// A web server on 127.0.0.1 with a few behaviours, and a probe allowed to fetch loopback.
    async fn world(max_body: usize) -> (HttpProbe, u16) {
        // No nameserver is needed: every test host but the redirect targets is the checked
        // domain, pinned to 127.0.0.1 (see `no_dns`).
        world_with(max_body, 2000, no_dns()).await
    }

    /// [`world`] with the HTTP time budget and the probe's resolver settings given.
    async fn world_with(max_body: usize, timeout_ms: u64, dns: config::Dns) -> (HttpProbe, u16) {
        let app = axum::Router::new()
            .route("/", get(|headers: axum::http::HeaderMap| async move {
                let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("").to_string();
                match host.split(':').next().unwrap_or("") {
                    "hop.example.cn" => Redirect::permanent("/landing").into_response(),
                    "private.example.cn" => Redirect::permanent("http://10.1.2.3/").into_response(),
                    "loop.example.cn" => Redirect::temporary("/").into_response(),
                    "busy.example.cn" => (axum::http::StatusCode::SERVICE_UNAVAILABLE, "busy").into_response(),
                    "big.example.cn" => ([("content-type", "text/html; charset=gbk")], vec![b'a'; 100_000]).into_response(),
                    "echo.example.cn" => host.into_response(),
                    "away.example.cn" => Redirect::permanent("http://elsewhere.example.cn/").into_response(),
                    "forbidden.example.cn" => (axum::http::StatusCode::FORBIDDEN, "<title>blocked</title>").into_response(),
                    "slow-down.example.cn" => (axum::http::StatusCode::TOO_MANY_REQUESTS, "later").into_response(),
                    "tohttps.example.cn" => Redirect::permanent("https://tohttps.example.cn/").into_response(),
                    "gzip.example.cn" => ([("content-encoding", "gzip")], GZIPPED_TITLE.to_vec()).into_response(),
                    "broken-gzip.example.cn" => ([("content-encoding", "gzip")], vec![0x1f, 0x8b, 8, 0]).into_response(),
                    "stub.example.cn" => r#"<meta http-equiv="refresh" content="0;url=/landing">"#.into_response(),
                    "header-stub.example.cn" => ([("refresh", "0; url=/landing")], "").into_response(),
                    "js-refresh.example.cn" => r#"<meta http-equiv="refresh" content="0;url=javascript:void(0)"><title>js</title>"#.into_response(),
                    "brotli.example.cn" => ([("content-encoding", "br")], vec![0x0b, 0x02, 0x80]).into_response(),
                    _ => "<title>ok</title>".into_response(),
                }
            }))
            .route("/landing", get(|| async { "<title>landing</title>" }));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (probe_on(port, max_body, timeout_ms, dns), port)
    }

    /// A probe allowed to fetch loopback, sending http and https to `port`.
    fn probe_on(port: u16, max_body: usize, timeout_ms: u64, dns: config::Dns) -> HttpProbe {
        let allow: Vec<ipnet::IpNet> = vec!["127.0.0.0/8".parse().unwrap()];
        let classifier = Arc::new(Classifier::load_from_parts("cidr,region,in_region,label\n127.0.0.0/8,cn-test,true,测试\n", None, &allow).unwrap());
        let cfg = config::Http { port, https_port: port, timeout_ms, max_body_bytes: max_body, max_redirects: 3, ..Default::default() };
        HttpProbe::new(cfg, DnsProbe::new(&dns), classifier).unwrap()
    }

    /// Resolver settings for a test that needs no nameserver: 127.0.0.1:9 refuses at once.
    fn no_dns() -> config::Dns {
        config::Dns { nameservers: vec!["127.0.0.1:9".parse().unwrap()], timeout_ms: 100, attempts: 1 }
    }

    /// A server on 127.0.0.1 that writes `answer` on every connection once the client has sent
    /// something (a request, or a TLS hello), then holds the connection open without a word more.
    async fn raw_server(answer: Vec<u8>) -> u16 {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let answer = Arc::new(answer);
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let answer = answer.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = conn.read(&mut buf).await;
                    let _ = conn.write_all(&answer).await;
                    // Hold the connection until the client hangs up.
                    while matches!(conn.read(&mut buf).await, Ok(n) if n > 0) {}
                });
            }
        });
        port
    }

    /// `<title>gz</title>`, gzipped (Python's `gzip.compress(..., mtime=0)`).
    const GZIPPED_TITLE: [u8; 32] = [
        31, 139, 8, 0, 0, 0, 0, 0, 2, 3, 179, 41, 201, 44, 201, 73, 181, 75, 175, 178, 209, 135, 176, 0, 168, 63, 178, 50, 17, 0, 0, 0,
    ];

    const LOCAL: IpAddr = IpAddr::V4(std::net::Ipv4Addr::LOCALHOST);

    #[tokio::test]
    async fn redirects_are_followed_and_recorded() {
        let (probe, _) = world(1 << 20).await;
        let page = probe.fetch_homepage("hop.example.cn", LOCAL).await.unwrap();
        assert_eq!(page.status, 200);
        // URLs are recorded as the site addresses them, without the configured port.
        assert_eq!(page.final_url, "http://hop.example.cn/landing");
        assert_eq!(page.redirects, vec!["http://hop.example.cn/".to_string()]);
        assert_eq!(page.html, "<title>landing</title>");
        assert!(page.tls.is_none());
    }

    #[tokio::test]
    async fn a_meta_refresh_is_followed_only_to_http_and_https() {
        let (probe, _) = world(1 << 20).await;
        let page = probe.fetch_homepage("stub.example.cn", LOCAL).await.unwrap();
        assert_eq!((page.final_url.as_str(), page.html.as_str()), ("http://stub.example.cn/landing", "<title>landing</title>"));
        assert_eq!(page.redirects, vec!["http://stub.example.cn/".to_string()]);
        // A Refresh header, as PHP's header("Refresh: 0; url=…") sends it, leads on the same way.
        let page = probe.fetch_homepage("header-stub.example.cn", LOCAL).await.unwrap();
        assert_eq!((page.final_url.as_str(), page.html.as_str()), ("http://header-stub.example.cn/landing", "<title>landing</title>"));
        // A browser ignores a javascript: refresh and shows the page; so is it judged.
        let page = probe.fetch_homepage("js-refresh.example.cn", LOCAL).await.unwrap();
        assert_eq!(page.final_url, "http://js-refresh.example.cn/");
        assert!(page.redirects.is_empty());
    }

    #[tokio::test]
    async fn a_redirect_to_a_non_public_address_is_refused() {
        let (probe, _) = world(1 << 20).await;
        let failures = probe.fetch_homepage("private.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures[0].kind, "redirect_refused", "{failures:?}");
        assert!(failures[0].detail.contains("10.1.2.3"));
    }

    #[tokio::test]
    async fn redirect_loops_and_server_errors_are_unusable() {
        let (probe, _) = world(1 << 20).await;
        let failures = probe.fetch_homepage("loop.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures[0].kind, "redirects");
        let failures = probe.fetch_homepage("busy.example.cn", LOCAL).await.unwrap_err();
        assert_eq!((failures[0].kind, failures[0].status), ("status", Some(503)));
        assert_eq!(failures.len(), 1, "an answer over HTTP is not second-guessed over HTTPS: {failures:?}");
    }

    #[tokio::test]
    async fn client_errors_are_no_homepage_and_throttling_is_ours() {
        let (probe, _) = world(1 << 20).await;
        let failures = probe.fetch_homepage("forbidden.example.cn", LOCAL).await.unwrap_err();
        assert_eq!((failures[0].kind, failures[0].status, failures.len()), ("status", Some(403), 1), "{failures:?}");
        assert!(!failures[0].is_ours());
        let failures = probe.fetch_homepage("slow-down.example.cn", LOCAL).await.unwrap_err();
        assert_eq!((failures[0].kind, failures[0].status), ("throttled", Some(429)), "{failures:?}");
        assert!(failures[0].is_ours());
    }

    #[tokio::test]
    async fn a_failed_handshake_is_a_tls_failure() {
        // The redirect leads to https on a port that speaks plain HTTP: rustls fails, and the
        // failure is told as TLS (the rustls error sits inside an io::Error).
        let (probe, _) = world(1 << 20).await;
        let failures = probe.fetch_homepage("tohttps.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures[0].kind, "tls", "{failures:?}");
    }

    #[tokio::test]
    async fn a_body_sent_compressed_anyway_is_decoded_when_it_can_be() {
        let (probe, _) = world(1 << 20).await;
        // gzip, though not asked for: read as a browser reads it.
        let page = probe.fetch_homepage("gzip.example.cn", LOCAL).await.unwrap();
        assert_eq!(page.html, "<title>gz</title>");
        // A broken gzip body is the site's error, as it is in a browser; the site answered over
        // http, so https is not tried.
        let failures = probe.fetch_homepage("broken-gzip.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures.iter().map(|f| f.kind).collect::<Vec<_>>(), ["body"], "{failures:?}");
        // A coding we cannot decode: the body is not read as the page, and that is ours.
        let failures = probe.fetch_homepage("brotli.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures[0].kind, "local", "{failures:?}");
        assert!(failures[0].detail.contains("\"br\""), "{failures:?}");
    }

    #[tokio::test]
    async fn our_resolver_failing_on_a_redirect_host_is_ours() {
        // The probe's nameserver (127.0.0.1:9) never answers.
        let (probe, _) = world(1 << 20).await;
        let failures = probe.fetch_homepage("away.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures[0].kind, "local", "{failures:?}");
        assert!(failures[0].detail.contains("elsewhere.example.cn"), "{failures:?}");
        assert!(failures[0].is_ours());
    }

    #[tokio::test]
    async fn our_resolver_using_up_the_time_on_a_redirect_host_is_ours() {
        // A nameserver that never answers, slower to give up than the HTTP budget: the time runs
        // out while it looks up the redirect host. That is ours, not the site timing out (which
        // would also send the check on to https, and to http.unreachable).
        let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        let dns = config::Dns { nameservers: vec![silent.local_addr().unwrap()], timeout_ms: 60_000, attempts: 1 };
        let (probe, _) = world_with(1 << 20, 300, dns).await;
        let failures = probe.fetch_homepage("away.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures.iter().map(|f| f.kind).collect::<Vec<_>>(), ["local"], "{failures:?}");
        assert!(failures[0].detail.contains("elsewhere.example.cn"), "{failures:?}");
        // The failure is told of the URL the time ran out at, after the redirect that led there.
        assert_eq!(failures[0].url, "http://elsewhere.example.cn/");
        assert_eq!(failures[0].redirects, ["http://away.example.cn/"]);
    }

    #[tokio::test]
    async fn bodies_are_capped() {
        let (probe, _) = world(4096).await;
        let page = probe.fetch_homepage("big.example.cn", LOCAL).await.unwrap();
        assert_eq!((page.bytes, page.truncated), (4096, true));
        assert_eq!(page.encoding, "GBK");
    }

    #[tokio::test]
    async fn a_closed_port_is_refused_over_http_and_https() {
        let (probe, _) = world(1 << 20).await;
        let closed = IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 2));
        let failures = probe.fetch_homepage("ok.example.cn", closed).await.unwrap_err();
        assert_eq!(failures.iter().map(|f| f.kind).collect::<Vec<_>>(), vec!["refused", "refused"], "{failures:?}");
        // Evidence names the URL that was requested: the site's own name, with the port.
        assert!(failures[0].detail.contains("http://ok.example.cn:"), "{failures:?}");
    }

    #[tokio::test]
    async fn the_site_gets_its_own_name_in_the_host_header() {
        let (probe, port) = world(1 << 20).await;
        let page = probe.fetch_homepage("echo.example.cn", LOCAL).await.unwrap();
        assert_eq!(page.html, format!("echo.example.cn:{port}"));
        assert_eq!(page.final_url, "http://echo.example.cn/");
    }

    #[test]
    fn our_own_socket_refusing_the_connect_is_a_local_failure() {
        // connect(2) failing with these says our host refused (our firewall, our sandbox, no
        // IPv6 stack here), not the customer's server.
        for errno in [libc::EPERM, libc::EACCES, libc::EAFNOSUPPORT] {
            let e = std::io::Error::from_raw_os_error(errno);
            assert!(is_local_failure(&e), "{e} is ours");
        }
        // Still ours, as before: no route out, no free sockets.
        for errno in [libc::ENETUNREACH, libc::EADDRNOTAVAIL, libc::ENFILE, libc::EMFILE, libc::ENOBUFS] {
            let e = std::io::Error::from_raw_os_error(errno);
            assert!(is_local_failure(&e), "{e} is ours");
        }
        // What the customer's server does is no local failure.
        for errno in [libc::ECONNREFUSED, libc::ECONNRESET, libc::ETIMEDOUT] {
            let e = std::io::Error::from_raw_os_error(errno);
            assert!(!is_local_failure(&e), "{e} is not ours");
        }
    }

    #[tokio::test]
    async fn no_name_reaches_the_system_resolver() {
        // A hop's client knows one name, pinned; any other is refused, not looked up by the
        // system (`localhost` would be, from /etc/hosts).
        let (probe, port) = world(1 << 20).await;
        let url = Url::parse("http://pinned.example.cn/").unwrap();
        let (client, _) = probe.client_for(&url, LOCAL, Arc::new(Mutex::new(None))).unwrap();
        let err = client.get(format!("http://localhost:{port}/")).send().await.unwrap_err();
        assert!(describe(&err).1.contains("localhost is not pinned"), "{err:?}");
    }

    #[tokio::test]
    async fn a_site_that_answered_over_http_is_judged_by_that_answer() {
        // The head came, the body stalls: the site answered, and https is not tried on top (the
        // raw server would fail its TLS handshake, and the check spend a second budget).
        let port = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<title>x".to_vec()).await;
        let failures = probe_on(port, 1 << 20, 300, no_dns()).fetch_homepage("stall.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures.iter().map(|f| (f.kind, f.status)).collect::<Vec<_>>(), [("timeout", Some(200))], "{failures:?}");
        // A redirect taken, to a hop that fails: the site's answer was that redirect.
        let port = raw_server(b"HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:1/\r\nContent-Length: 0\r\n\r\n".to_vec()).await;
        let failures = probe_on(port, 1 << 20, 2000, no_dns()).fetch_homepage("hop-to-nowhere.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures.iter().map(|f| (f.kind, f.url.as_str())).collect::<Vec<_>>(), [("refused", "http://127.0.0.1:1/")], "{failures:?}");
        assert_eq!(failures[0].redirects, ["http://hop-to-nowhere.example.cn/"]);
    }

    #[tokio::test]
    async fn content_encoding_none_is_no_coding() {
        for coding in ["none", "", "identity", "None"] {
            let port = raw_server(format!("HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: 17\r\n\r\n<title>ok</title>").into_bytes()).await;
            let page = probe_on(port, 1 << 20, 2000, no_dns()).fetch_homepage("none.example.cn", LOCAL).await;
            assert_eq!(page.map(|p| p.html).map_err(|f| f[0].detail.clone()), Ok("<title>ok</title>".to_string()), "{coding:?}");
        }
    }

    #[tokio::test]
    async fn a_refresh_to_the_same_page_with_a_fragment_is_no_redirect() {
        let port = raw_server(b"HTTP/1.1 200 OK\r\nContent-Length: 61\r\n\r\n<meta http-equiv=\"refresh\" content=\"0;url=#top\"><title>t</title>".to_vec()).await;
        let page = probe_on(port, 1 << 20, 2000, no_dns()).fetch_homepage("top.example.cn", LOCAL).await.unwrap();
        assert_eq!((page.final_url.as_str(), page.redirects.len()), ("http://top.example.cn/", 0));
    }

    #[tokio::test]
    async fn credentials_in_a_location_are_neither_sent_nor_recorded() {
        let (probe, port) = world(1 << 20).await;
        let location = format!("http://admin:s3cret@127.0.0.1:{port}/");
        let answer = format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
        let raw = raw_server(answer.into_bytes()).await;
        let probe = HttpProbe { cfg: config::Http { port: raw, https_port: raw, ..probe.cfg.clone() }, ..probe };
        let page = probe.fetch_homepage("creds.example.cn", LOCAL).await.unwrap();
        // The world's default answer, recorded without the password.
        assert_eq!(page.html, "<title>ok</title>");
        assert_eq!(page.final_url, format!("http://127.0.0.1:{port}/"));
    }

    /// A gzip body of `n` fixed-Huffman matches (258 bytes each, distance 1) after one `a`:
    /// `n * 258 + 1` bytes once decoded, 13 bits a match sent.
    fn gzip_bomb(n: usize) -> Vec<u8> {
        let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3];
        let (mut acc, mut bits) = (0u64, 0u32);
        let mut put = |out: &mut Vec<u8>, value: u64, len: u32, huffman: bool| {
            for i in 0..len {
                let bit = if huffman { (value >> (len - 1 - i)) & 1 } else { (value >> i) & 1 };
                acc |= bit << bits;
                bits += 1;
                if bits == 8 {
                    out.push(acc as u8);
                    (acc, bits) = (0, 0);
                }
            }
        };
        put(&mut out, 0b011, 3, false); // last block, fixed Huffman
        put(&mut out, 0x30 + u64::from(b'a'), 8, true);
        for _ in 0..n {
            put(&mut out, 0b1100_0101, 8, true); // length 258
            put(&mut out, 0, 5, true); // distance 1
        }
        out
    }

    #[tokio::test]
    async fn the_body_cap_counts_decoded_bytes() {
        // 4 MB of `a` in ~25 KB of gzip, under a 64 KB cap: cut at 64 KB of decoded text.
        let bomb = gzip_bomb(4 << 20 >> 8);
        let mut answer = format!("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: {}\r\n\r\n", bomb.len()).into_bytes();
        assert!(bomb.len() < 64 << 10);
        answer.extend_from_slice(&bomb);
        let port = raw_server(answer).await;
        let page = probe_on(port, 64 << 10, 2000, no_dns()).fetch_homepage("bomb.example.cn", LOCAL).await.unwrap();
        assert_eq!((page.bytes, page.truncated), (64 << 10, true));
        assert!(page.html.bytes().all(|b| b == b'a'));
    }

    #[tokio::test]
    async fn ipv6_addresses_and_literals_are_pinned_and_judged() {
        // A server on [::1]; skipped where the host has no IPv6 loopback.
        let Ok(listener) = tokio::net::TcpListener::bind("[::1]:0").await else { return };
        let port = listener.local_addr().unwrap().port();
        let app = axum::Router::new()
            .route("/", get(move || async move { Redirect::permanent(&format!("http://[::1]:{port}/v6")) }))
            .route("/v6", get(|| async { "<title>v6</title>" }));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        let v6 = IpAddr::V6(std::net::Ipv6Addr::LOCALHOST);
        // ::1 is loopback: the literal is refused unless allowed, like 10.1.2.3 above.
        let refused = probe_on(port, 1 << 20, 2000, no_dns()).fetch_homepage("v6.example.cn", v6).await.unwrap_err();
        assert_eq!((refused[0].kind, refused[0].url.as_str()), ("redirect_refused", format!("http://[::1]:{port}/v6").as_str()), "{refused:?}");
        let allow: Vec<ipnet::IpNet> = vec!["::1/128".parse().unwrap()];
        let classifier = Arc::new(Classifier::load_from_parts("cidr,region,in_region,label\n::1/128,cn-test,true,测试\n", None, &allow).unwrap());
        let cfg = config::Http { port, https_port: port, timeout_ms: 2000, ..Default::default() };
        let probe = HttpProbe::new(cfg, DnsProbe::new(&no_dns()), classifier).unwrap();
        let page = probe.fetch_homepage("v6.example.cn", v6).await.unwrap();
        assert_eq!((page.final_url.as_str(), page.html.as_str()), (format!("http://[::1]:{port}/v6").as_str(), "<title>v6</title>"));
        assert_eq!(page.redirects, ["http://v6.example.cn/"]);
    }

    #[tokio::test]
    async fn gzip_that_reqwest_leaves_alone_is_decoded_within_the_cap() {
        let gz = |coding: &str, body: &[u8]| {
            let head = format!("HTTP/1.1 200 OK\r\nContent-Encoding: {coding}\r\nContent-Length: {}\r\n\r\n", body.len());
            [head.into_bytes(), body.to_vec()].concat()
        };
        for coding in ["x-gzip", "GZIP", "X-Gzip"] {
            let port = raw_server(gz(coding, &GZIPPED_TITLE)).await;
            let page = probe_on(port, 1 << 20, 2000, no_dns()).fetch_homepage("xgzip.example.cn", LOCAL).await;
            assert_eq!(page.map(|p| (p.html, p.truncated)).map_err(|f| f[0].detail.clone()), Ok(("<title>gz</title>".into(), false)), "{coding}");
        }
        // The cap counts decoded bytes here too; a bomb cut in its compressed form keeps what
        // decoded before the cut.
        for (bomb, cap) in [(gzip_bomb(4 << 20 >> 8), 64 << 10), (gzip_bomb(1 << 16), 8 << 10)] {
            let port = raw_server(gz("x-gzip", &bomb)).await;
            let page = probe_on(port, cap, 2000, no_dns()).fetch_homepage("xbomb.example.cn", LOCAL).await.unwrap();
            assert_eq!((page.bytes, page.truncated), (cap, true));
        }
        // A broken body is the site's, as with gzip that reqwest decodes.
        let port = raw_server(gz("x-gzip", &[0x1f, 0x8b, 8, 0])).await;
        let failures = probe_on(port, 1 << 20, 2000, no_dns()).fetch_homepage("xbroken.example.cn", LOCAL).await.unwrap_err();
        assert_eq!(failures.iter().map(|f| f.kind).collect::<Vec<_>>(), ["body"], "{failures:?}");
        assert!(failures[0].detail.contains("x-gzip"), "{failures:?}");
    }
}
