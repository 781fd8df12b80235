//! `beiand demo`: a self-contained offline run. An in-process DNS server and a web server on
//! loopback serve sample sites written to produce every finding code once (and some compliant
//! ones); the real scan pipeline checks them and prints what it found.

use crate::config::Config;
use crate::import;
use crate::scan::{self, ProbeSet};
use crate::store::Store;
use anyhow::{Context, Result};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, SOA, TXT};
use hickory_proto::rr::{Name, RData, Record};
use hickory_server::authority::{Catalog, ZoneType};
use hickory_server::store::in_memory::InMemoryAuthority;
use hickory_server::ServerFuture;
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

const ZONE: &str = "demo.example.cn.";
/// The web server's address: inside the demo provider's mainland block.
const WEB: Ipv4Addr = Ipv4Addr::new(127, 10, 0, 1);

/// A page whose footer follows the rules for filing 京ICP备2024012345号-`n`.
fn good_page(title: &str, number: &str, psb: bool) -> String {
    let psb = if psb {
        r#"<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010802020134" target="_blank"><img src="/ga.png" alt="">京公网安备11010802020134号</a>"#
    } else {
        ""
    };
    format!(
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{title}</title></head>
<body><header><nav>首页 产品 关于我们</nav></header><main><h1>欢迎访问</h1><p>我们提供云计算解决方案。</p></main>
<footer class="footer"><p>© 2026 北京示例科技有限公司 版权所有</p>
<p><a href="https://beian.miit.gov.cn/" target="_blank">{number}</a> {psb}</p></footer></body></html>"#
    )
}

struct Site {
    host: &'static str,
    body: String,
}

/// The sample filings (CSV, design §4.2) and what each domain is set up to show.
const FILINGS: &str = "site_number,site_name,domains,filed_ips,psb_number,status\n\
京ICP备2024012345号-1,示例科技官网,www.demo.example.cn;v6.demo.example.cn;alias.demo.example.cn,,京公网安备11010802020134号,正常\n\
京ICP备2024012345号-2,示例商城,shop.demo.example.cn,127.10.0.1,,正常\n\
京ICP备2024012345号-3,示例博客,blog.demo.example.cn,,,正常\n\
京ICP备2024012345号-4,示例论坛,bbs.demo.example.cn,,,正常\n\
京ICP备2024012345号-5,示例文档,docs.demo.example.cn,,,正常\n\
京ICP备2024012345号-6,示例招聘,jobs.demo.example.cn,,京公网安备11010802020135号,正常\n\
京ICP备2024012345号-7,示例新闻,news.demo.example.cn,127.10.0.5,,正常\n\
京ICP备2024012345号-8,示例下载,gone.demo.example.cn,,,正常\n\
京ICP备2024012345号-9,示例海外站,abroad.demo.example.cn,,,正常\n\
京ICP备2024012345号-10,示例外包站,elsewhere.demo.example.cn,,,正常\n\
京ICP备2024012345号-11,示例内网站,intranet.demo.example.cn,,,正常\n\
京ICP备2024012345号-12,示例活动,down.demo.example.cn,,,正常\n\
京ICP备2024012345号-13,示例旧版,legacy.demo.example.cn,,,取消接入\n\
京ICP备2024012345号-14,示例测试,broken-dns.other.example.cn,,,正常\n";

fn sites() -> Vec<Site> {
    vec![
        Site { host: "www.demo.example.cn", body: good_page("首页 - 示例科技官网", "京ICP备2024012345号-1", true) },
        Site { host: "v6.demo.example.cn", body: good_page("示例科技官网", "京ICP备2024012345号", true) },
        Site { host: "alias.demo.example.cn", body: good_page("示例科技官网", "京ICP备 2024012345 号－1", true) },
        Site { host: "shop.demo.example.cn", body: good_page("示例商城", "京ICP备2024012345号-2", false) },
        // page.number_missing
        Site {
            host: "blog.demo.example.cn",
            body: "<html><head><title>示例博客</title></head><body><p>文章列表</p><footer>© 2026 示例 京ICP证030173号</footer></body></html>".into(),
        },
        // page.number_wrong: a copied template's number
        Site { host: "bbs.demo.example.cn", body: good_page("示例论坛", "沪ICP备2019000001号-1", false) },
        // page.number_unlinked: the right number, linked to the retired host
        Site {
            host: "docs.demo.example.cn",
            body: "<html><head><title>示例文档</title></head><body><footer><a href=\"http://www.miitbeian.gov.cn/\">京ICP备2024012345号-5</a></footer></body></html>".into(),
        },
        // page.title_mismatch + page.psb_missing
        Site { host: "jobs.demo.example.cn", body: good_page("Welcome to nginx!", "京ICP备2024012345号-6", false) },
        Site { host: "news.demo.example.cn", body: good_page("示例新闻", "京ICP备2024012345号-7", false) },
        Site { host: "intranet.demo.example.cn", body: good_page("示例内网站", "京ICP备2024012345号-11", false) },
        Site { host: "legacy.demo.example.cn", body: good_page("示例旧版", "京ICP备2024012345号-13", false) },
    ]
}

/// DNS records: name → addresses (or a CNAME target).
fn records(origin: &Name) -> Result<Vec<Record>> {
    let name = |s: &str| -> Result<Name> { Ok(Name::from_ascii(s)?) };
    let a = |n: &str, ip: [u8; 4]| -> Result<Record> {
        Ok(Record::from_rdata(name(n)?, 60, RData::A(A(Ipv4Addr::from(ip)))))
    };
    Ok(vec![
        Record::from_rdata(
            origin.clone(),
            60,
            RData::SOA(SOA::new(name("ns.demo.example.cn.")?, name("hostmaster.demo.example.cn.")?, 1, 3600, 600, 86400, 60)),
        ),
        a("www.demo.example.cn.", [127, 10, 0, 1])?,
        Record::from_rdata(name("v6.demo.example.cn.")?, 60, RData::AAAA(AAAA(Ipv6Addr::LOCALHOST))),
        Record::from_rdata(name("alias.demo.example.cn.")?, 60, RData::CNAME(CNAME(name("cdn.demo.example.cn.")?))),
        Record::from_rdata(name("cdn.demo.example.cn.")?, 60, RData::CNAME(CNAME(name("www.demo.example.cn.")?))),
        a("shop.demo.example.cn.", [127, 10, 0, 1])?,
        a("blog.demo.example.cn.", [127, 10, 0, 1])?,
        a("bbs.demo.example.cn.", [127, 10, 0, 1])?,
        a("docs.demo.example.cn.", [127, 10, 0, 1])?,
        a("jobs.demo.example.cn.", [127, 10, 0, 1])?,
        // dns.filed_ip_mismatch: filed 127.10.0.5, resolves to 127.10.0.1
        a("news.demo.example.cn.", [127, 10, 0, 1])?,
        // dns.unresolved: the name exists (TXT) but has no address
        Record::from_rdata(name("gone.demo.example.cn.")?, 60, RData::TXT(TXT::new(vec!["moved".into()]))),
        // dns.overseas (provider's Hong Kong block) and (outside the mainland list)
        a("abroad.demo.example.cn.", [127, 20, 0, 1])?,
        a("abroad.demo.example.cn.", [127, 40, 0, 1])?,
        // dns.other_provider
        a("elsewhere.demo.example.cn.", [127, 30, 0, 1])?,
        // dns.non_public: a private address, never fetched, next to a good one
        a("intranet.demo.example.cn.", [127, 10, 0, 1])?,
        a("intranet.demo.example.cn.", [10, 20, 30, 40])?,
        // http.unreachable: nothing listens on 127.10.0.99
        a("down.demo.example.cn.", [127, 10, 0, 99])?,
        // filing.unfiled_served: a cancelled filing still served
        a("legacy.demo.example.cn.", [127, 10, 0, 1])?,
    ])
}

/// Starts the DNS server on 127.0.0.1 (UDP and TCP on one free port); returns its address.
pub async fn start_dns() -> Result<SocketAddr> {
    let origin = Name::from_ascii(ZONE)?;
    let mut auth = InMemoryAuthority::empty(origin.clone(), ZoneType::Primary, false);
    for r in records(&origin)? {
        auth.upsert_mut(r, 1);
    }
    let mut catalog = Catalog::new();
    catalog.upsert(origin.into(), Box::new(Arc::new(auth)));
    // A free UDP port may be taken for TCP by another process: try a few ports.
    let mut tries = 0;
    let (udp, addr, tcp) = loop {
        let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await?;
        let addr = udp.local_addr()?;
        match tokio::net::TcpListener::bind(addr).await {
            Ok(tcp) => break (udp, addr, tcp),
            Err(e) if tries < 20 => {
                tries += 1;
                tracing::debug!("DNS TCP port {addr} taken ({e}); trying another");
            }
            Err(e) => return Err(e).context("DNS TCP port"),
        }
    };
    let mut server = ServerFuture::new(catalog);
    server.register_socket(udp);
    server.register_listener(tcp, Duration::from_secs(5));
    tokio::spawn(async move {
        let _ = server.block_until_done().await;
    });
    Ok(addr)
}

/// Homepages by host name, shared with the running web server: change them between scans.
pub type Pages = Arc<std::sync::RwLock<HashMap<String, String>>>;

/// The demo world running in this process: its DNS server, its web server's port and pages.
/// Tests start one and change pages between scans to make sites go bad and get fixed.
pub struct World {
    pub dns: SocketAddr,
    /// The web server's port on 127.10.0.1 and [::1].
    pub port: u16,
    pub pages: Pages,
}

impl World {
    /// Starts the DNS and web servers, serving the demo pages.
    pub async fn start() -> Result<World> {
        let pages: Pages = Arc::new(std::sync::RwLock::new(sites().into_iter().map(|s| (s.host.to_string(), s.body)).collect()));
        let dns = start_dns().await?;
        let port = start_web_with(pages.clone()).await?;
        Ok(World { dns, port, pages })
    }

    /// Serves `body` as the homepage of `host` from now on.
    pub fn set_page(&self, host: &str, body: &str) {
        self.pages.write().unwrap_or_else(|e| e.into_inner()).insert(host.to_string(), body.to_string());
    }
}

/// A compliant homepage for a website number: the title, the linked number, optionally the
/// public-security number.
pub fn compliant_page(title: &str, number: &str, psb: bool) -> String {
    good_page(title, number, psb)
}

/// Starts the web server on 127.10.0.1 and [::1] on one free port, answering by Host header.
async fn start_web() -> Result<u16> {
    start_web_with(Arc::new(std::sync::RwLock::new(sites().into_iter().map(|s| (s.host.to_string(), s.body)).collect()))).await
}

/// Starts the web server over `pages` (read at every request).
pub async fn start_web_with(pages: Pages) -> Result<u16> {
    let app = axum::Router::new().fallback(move |headers: axum::http::HeaderMap| {
        let pages = pages.clone();
        async move {
            let host = headers.get("host").and_then(|h| h.to_str().ok()).unwrap_or("");
            let host = host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host);
            let body = pages.read().unwrap_or_else(|e| e.into_inner()).get(host).cloned();
            match body {
                Some(body) => (axum::http::StatusCode::OK, [("content-type", "text/html; charset=utf-8")], body),
                None => (axum::http::StatusCode::NOT_FOUND, [("content-type", "text/plain")], "no such site".to_string()),
            }
        }
    });
    let v4 = tokio::net::TcpListener::bind(SocketAddr::new(IpAddr::V4(WEB), 0)).await.context("binding 127.10.0.1")?;
    let port = v4.local_addr()?.port();
    let v6 = tokio::net::TcpListener::bind(SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), port)).await.ok();
    let app6 = app.clone();
    tokio::spawn(async move {
        let _ = axum::serve(v4, app).await;
    });
    if let Some(v6) = v6 {
        tokio::spawn(async move {
            let _ = axum::serve(v6, app6).await;
        });
    }
    Ok(port)
}

fn write_world(dir: &Path, dns: SocketAddr, port: u16) -> Result<std::path::PathBuf> {
    std::fs::write(
        dir.join("inventory.csv"),
        "cidr,region,in_region,label\n127.10.0.0/16,cn-beijing,true,华北演示\n::1/128,cn-beijing,true,华北演示 IPv6\n127.20.0.0/16,cn-hongkong,false,香港演示\n",
    )?;
    std::fs::write(dir.join("mainland.txt"), "# demo mainland blocks\n127.10.0.0/16\n127.30.0.0/16\n::1/128\n")?;
    std::fs::write(dir.join("filings.csv"), FILINGS)?;
    let cfg = format!(
        r#"[database]
url = "sqlite://demo.db"
[provider]
name = "演示云"
inventory = "inventory.csv"
mainland = "mainland.txt"
[dns]
nameservers = ["{dns}"]
timeout_ms = 500
attempts = 1
[http]
port = {port}
https_port = {port}
timeout_ms = 2000
allow_private_targets = ["127.0.0.0/8", "::1/128"]
"#
    );
    let path = dir.join("beiand.toml");
    std::fs::write(&path, cfg)?;
    Ok(path)
}

/// Runs the demo and prints per-domain findings and the summary.
pub async fn run() -> Result<()> {
    let dir = tempfile::tempdir()?;
    let dns = start_dns().await?;
    let port = start_web().await?;
    let cfg = Config::load(&write_world(dir.path(), dns, port)?)?;
    println!("demo world: DNS on {dns}, web on {WEB}:{port} and [::1]:{port}, data in {}", dir.path().display());
    let store = Store::open(&cfg.database.url, 2).await?;
    import::run(&store, &dir.path().join("filings.csv"), false).await?;
    let scanner = Arc::new(scan::Scanner::new(&cfg)?);
    let targets = scan::targets(store.filings(crate::store::FilingSelect::All).await?);
    let mut lines = Vec::new();
    let summary = scan::run(&store, scanner, "demo", ProbeSet::ALL, scan::Targets::List(targets), |check, _| {
        let codes: Vec<String> = check
            .findings
            .iter()
            .map(|f| match f.ip {
                Some(ip) => format!("{}@{ip}", f.code),
                None => f.code.to_string(),
            })
            .collect();
        let verdict = if codes.is_empty() { "compliant".to_string() } else { codes.join(", ") };
        lines.push(format!("  {:<30} {:<24} {verdict}", check.domain, check.site_number));
    })
    .await?;
    lines.sort();
    println!("{}", lines.join("\n"));
    print!("{}", summary.render());
    let tickets = crate::ticket::apply_run(&store, &cfg, summary.run_id, crate::clock::now()).await?;
    print!("{}", tickets.render());
    store.close().await;
    Ok(())
}
