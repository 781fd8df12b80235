//! End-to-end checks against a real nsd and a real nginx on loopback: every finding code of
//! design §4.5 is produced for a domain set up to show it, compliant sites produce nothing, and a
//! resolver outage yields only `scan.inconclusive`.

mod world;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use world::{beiand, Https, Serve, Site, World, ZONE};

const SUBJECT: &str = "京ICP备2024000001号";
const PSB: &str = "京公网安备11010802020134号";

fn page(title: &str, number: &str, linked_to: Option<&str>, psb: bool) -> Vec<u8> {
    let number = match linked_to {
        Some(href) => format!("<a href=\"{href}\" target=\"_blank\">{number}</a>"),
        None => number.to_string(),
    };
    let psb = if psb { format!("<a href=\"https://beian.mps.gov.cn/#/query/webSearch?code=11010802020134\">{PSB}</a>") } else { String::new() };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><main><p>欢迎</p></main>\
         <footer class=\"footer\"><p>© 2026 端到端测试有限公司</p><p>{number} {psb}</p></footer></body></html>"
    )
    .into_bytes()
}

fn good(n: u32) -> Vec<u8> {
    page(&format!("首页 - 测试站点{n}"), &format!("{SUBJECT}-{n}"), Some("https://beian.miit.gov.cn/"), true)
}

/// (label, status, filed_ips, psb, expected codes with the IP each names)
struct Case {
    label: &'static str,
    n: u32,
    status: &'static str,
    filed_ips: &'static str,
    psb: bool,
    expect: &'static [&'static str],
}

const CASES: &[Case] = &[
    Case { label: "ok", n: 1, status: "正常", filed_ips: "", psb: true, expect: &[] },
    Case { label: "v6", n: 2, status: "正常", filed_ips: "", psb: true, expect: &[] },
    Case { label: "cname", n: 3, status: "正常", filed_ips: "", psb: true, expect: &[] },
    Case { label: "tls", n: 4, status: "正常", filed_ips: "", psb: true, expect: &[] },
    Case { label: "gbk", n: 5, status: "正常", filed_ips: "", psb: true, expect: &[] },
    Case { label: "split", n: 6, status: "正常", filed_ips: "", psb: false, expect: &[] },
    Case { label: "subject", n: 7, status: "正常", filed_ips: "", psb: false, expect: &[] },
    Case { label: "nx", n: 8, status: "正常", filed_ips: "", psb: false, expect: &["dns.unresolved"] },
    Case { label: "nodata", n: 9, status: "正常", filed_ips: "", psb: false, expect: &["dns.unresolved"] },
    Case { label: "other", n: 10, status: "正常", filed_ips: "", psb: false, expect: &["dns.other_provider@127.30.0.1"] },
    Case { label: "abroad", n: 11, status: "正常", filed_ips: "", psb: false, expect: &["dns.overseas@127.40.0.1"] },
    Case { label: "hk", n: 12, status: "正常", filed_ips: "", psb: false, expect: &["dns.overseas@127.20.0.1"] },
    Case { label: "mismatch", n: 13, status: "正常", filed_ips: "127.10.0.5", psb: false, expect: &["dns.filed_ip_mismatch@127.10.0.6"] },
    Case { label: "private", n: 14, status: "正常", filed_ips: "", psb: false, expect: &["dns.non_public@10.1.2.3"] },
    Case { label: "mixed", n: 15, status: "正常", filed_ips: "", psb: false, expect: &["dns.non_public@192.168.7.7"] },
    Case { label: "refused", n: 16, status: "正常", filed_ips: "", psb: false, expect: &["http.unreachable"] },
    Case { label: "busy", n: 17, status: "正常", filed_ips: "", psb: false, expect: &["http.unreachable"] },
    Case { label: "torfc1918", n: 18, status: "正常", filed_ips: "", psb: false, expect: &["http.unreachable"] },
    Case { label: "missing", n: 19, status: "正常", filed_ips: "", psb: false, expect: &["page.number_missing"] },
    Case { label: "wrong", n: 20, status: "正常", filed_ips: "", psb: false, expect: &["page.number_wrong"] },
    Case { label: "unlinked", n: 21, status: "正常", filed_ips: "", psb: false, expect: &["page.number_unlinked"] },
    Case { label: "retired", n: 22, status: "正常", filed_ips: "", psb: false, expect: &["page.number_unlinked"] },
    Case { label: "title", n: 23, status: "正常", filed_ips: "", psb: false, expect: &["page.title_mismatch"] },
    Case { label: "psb", n: 24, status: "正常", filed_ips: "", psb: true, expect: &["page.psb_missing"] },
    Case { label: "cancelled", n: 25, status: "取消接入", filed_ips: "", psb: false, expect: &["filing.unfiled_served@127.10.0.1"] },
    Case { label: "dereg", n: 26, status: "注销", filed_ips: "", psb: false, expect: &["filing.unfiled_served@127.10.0.1"] },
    Case { label: "dereg-gone", n: 27, status: "注销", filed_ips: "", psb: false, expect: &[] },
    Case { label: "cancelled-elsewhere", n: 28, status: "取消接入", filed_ips: "", psb: false, expect: &[] },
    Case { label: "forbidden", n: 29, status: "正常", filed_ips: "", psb: false, expect: &["http.unreachable"] },
    Case { label: "dereg-blocked", n: 30, status: "注销", filed_ips: "", psb: false, expect: &[] },
    Case { label: "throttled", n: 31, status: "正常", filed_ips: "", psb: false, expect: &["scan.inconclusive"] },
    Case { label: "lost", n: 32, status: "正常", filed_ips: "", psb: false, expect: &["scan.inconclusive"] },
    Case { label: "many", n: 33, status: "正常", filed_ips: "", psb: false, expect: &["http.unreachable"] },
    Case { label: "tls-v1", n: 34, status: "正常", filed_ips: "", psb: true, expect: &[] },
    Case { label: "refresh", n: 35, status: "正常", filed_ips: "", psb: true, expect: &[] },
    Case { label: "utf8-location", n: 36, status: "正常", filed_ips: "", psb: true, expect: &[] },
];

const RECORDS: &str = "\
ok IN A 127.10.0.1
v6 IN AAAA ::1
cname IN CNAME edge
edge IN CNAME origin
origin IN A 127.10.0.1
tls IN A 127.10.0.2
gbk IN A 127.10.0.1
split IN A 127.10.0.1
subject IN A 127.10.0.1
nodata IN TXT \"moved\"
other IN A 127.30.0.1
abroad IN A 127.40.0.1
hk IN A 127.20.0.1
mismatch IN A 127.10.0.6
private IN A 10.1.2.3
mixed IN A 127.10.0.1
mixed IN A 192.168.7.7
refused IN A 127.10.0.99
busy IN A 127.10.0.1
torfc1918 IN A 127.10.0.1
missing IN A 127.10.0.1
wrong IN A 127.10.0.1
unlinked IN A 127.10.0.1
retired IN A 127.10.0.1
title IN A 127.10.0.1
psb IN A 127.10.0.1
cancelled IN A 127.10.0.1
dereg IN A 127.10.0.1
cancelled-elsewhere IN A 127.30.0.1
forbidden IN A 127.10.0.1
dereg-blocked IN A 127.10.0.1
throttled IN A 127.10.0.1
lost IN A 127.10.0.1
tls-v1 IN A 127.10.0.1
refresh IN A 127.10.0.1
utf8-location IN A 127.10.0.1
utf8-home IN A 127.10.0.1
many IN A 127.10.0.90
many IN A 127.10.0.91
many IN A 127.10.0.92
many IN A 127.10.0.93
many IN A 127.10.0.94
many IN A 127.10.0.95
many IN A 127.10.0.96
many IN A 127.10.0.97
many IN A 127.10.0.98
many IN A 127.10.0.99
";

fn host(label: &str) -> String {
    format!("{label}.{ZONE}")
}

fn sites() -> Vec<Site> {
    let p = |label: &str, body: Vec<u8>| Site { host: host(label), http: Serve::Page(body), https: None };
    let gbk_page = String::from_utf8(good(5)).unwrap().replace("utf-8", "gbk");
    vec![
        p("ok", good(1)),
        p("v6", good(2)),
        p("cname", good(3)),
        Site { host: host("tls"), http: Serve::Redirect(format!("https://{}/", host("tls"))), https: Some(Https { page: good(4), v1_cert: false }) },
        // A certificate rustls cannot parse is evidence too, and the page is still read.
        Site { host: host("tls-v1"), http: Serve::Redirect(format!("https://{}/", host("tls-v1"))), https: Some(Https { page: good(34), v1_cert: true }) },
        // A stub homepage whose meta refresh leads to the real one at once.
        Site {
            host: host("refresh"),
            http: Serve::Files(vec![
                ("index.html".into(), br#"<html><head><meta http-equiv="refresh" content="0; url=/cn/index.html"></head><body></body></html>"#.to_vec()),
                ("cn/index.html".into(), good(35)),
            ]),
            https: None,
        },
        // nginx sends a Location written in UTF-8 as it is; browsers follow it.
        Site { host: host("utf8-location"), http: Serve::Redirect(format!("http://{}/首页/", host("utf8-home"))), https: None },
        Site { host: host("utf8-home"), http: Serve::Files(vec![("首页/index.html".into(), good(36))]), https: None },
        p("gbk", encoding_rs::GBK.encode(&gbk_page).0.into_owned()),
        p(
            "split",
            "<html><head><title>测试站点6</title></head><body><div id=\"copyright\">© 2026 \
             <a href=\"http://beian.miit.gov.cn\"><span>京ICP备</span><span>２０２４ ０００００１</span>号－<b>6</b></a></div></body></html>"
                .into(),
        ),
        p("subject", page("测试站点7", SUBJECT, Some("https://beian.miit.gov.cn"), false)),
        p("mismatch", good(13)),
        p("mixed", good(15)),
        Site { host: host("busy"), http: Serve::Status(503), https: None },
        Site { host: host("torfc1918"), http: Serve::Redirect("http://10.1.2.3/".into()), https: None },
        p("missing", page("测试站点19", "京ICP证030173号", None, false)),
        p("wrong", page("测试站点20", "沪ICP备2019000001号-1", Some("https://beian.miit.gov.cn/"), false)),
        p("unlinked", page("测试站点21", &format!("{SUBJECT}-21"), None, false)),
        p("retired", page("测试站点22", &format!("{SUBJECT}-22"), Some("http://www.miitbeian.gov.cn/"), false)),
        p("title", page("Welcome to nginx!", &format!("{SUBJECT}-23"), Some("https://beian.miit.gov.cn/"), false)),
        p("psb", page("测试站点24", &format!("{SUBJECT}-24"), Some("https://beian.miit.gov.cn/"), false)),
        p("cancelled", page("旧站", "", None, false)),
        p("dereg", good(26)),
        // An error page is no homepage, and the provider's block page is not the site serving.
        Site { host: host("forbidden"), http: Serve::Status(403), https: None },
        Site { host: host("dereg-blocked"), http: Serve::Status(403), https: None },
        // A server refusing our rate, and a redirect to a name our resolver cannot answer for
        // (nsd is authoritative for the test zone only), say nothing about the customer.
        Site { host: host("throttled"), http: Serve::Status(429), https: None },
        Site { host: host("lost"), http: Serve::Redirect("http://www.elsewhere.test/".into()), https: None },
    ]
}

fn filings_csv() -> String {
    let mut csv = String::from("site_number,site_name,domains,filed_ips,psb_number,status\n");
    for c in CASES {
        let psb = if c.psb { PSB } else { "" };
        csv.push_str(&format!("{SUBJECT}-{},测试站点{},{},{},{psb},{}\n", c.n, c.n, host(c.label), c.filed_ips, c.status));
    }
    csv
}

fn scan_json(config: &std::path::Path) -> BTreeMap<String, Value> {
    let out = beiand(config, &["scan", "--json"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "scan failed: {stderr}");
    String::from_utf8(out.stdout)
        .expect("utf-8")
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSON line {l}: {e}"));
            (v["domain"].as_str().expect("domain").to_string(), v)
        })
        .collect()
}

fn codes_of(v: &Value) -> BTreeSet<String> {
    v["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| match f["ip"].as_str() {
            Some(ip) => format!("{}@{ip}", f["code"].as_str().unwrap()),
            None => f["code"].as_str().unwrap().to_string(),
        })
        .collect()
}

#[test]
fn every_finding_code_against_real_servers() {
    let world = World::start(RECORDS, &sites());
    let config = world.write_config("checks", world.dns_port);
    std::fs::write(world.path().join("filings.csv"), filings_csv()).unwrap();
    let out = beiand(&config, &["import", world.path().join("filings.csv").to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("imported {}, updated 0, rejected 0", CASES.len())));

    let results = scan_json(&config);
    assert_eq!(results.len(), CASES.len(), "one object per domain");
    let mut wrong = Vec::new();
    for c in CASES {
        let v = &results[&host(c.label)];
        let got = codes_of(v);
        let want: BTreeSet<String> = c.expect.iter().map(|s| s.to_string()).collect();
        if got != want {
            wrong.push(format!("{}: got {got:?}, want {want:?}\n{}", c.label, serde_json::to_string_pretty(v).unwrap()));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
    // Every finding that can become a ticket says in Chinese what was found, for the notice.
    for v in results.values() {
        for f in v["findings"].as_array().unwrap().iter().filter(|f| f["code"] != "scan.inconclusive") {
            let zh = f["detail_zh"].as_str().unwrap_or_default();
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "no Chinese detail: {f}");
        }
    }

    // The contract fields of design §4.4 and the evidence behind the verdicts.
    let ok = &results[&host("ok")];
    for key in ["site_number", "domain", "ips", "http_status", "final_url", "title", "icp_numbers", "findings"] {
        assert!(ok.get(key).is_some(), "missing {key}");
    }
    assert_eq!(ok["ips"][0]["ip"], "127.10.0.1");
    assert_eq!(ok["ips"][0]["class"], "provider_mainland");
    assert_eq!(ok["http_status"], 200);
    assert_eq!(ok["icp_numbers"][0]["text"], format!("{SUBJECT}-1"));
    let cname = &results[&host("cname")];
    assert_eq!(cname["dns"]["cnames"], serde_json::json!([host("edge"), host("origin")]));
    assert_eq!(results[&host("v6")]["ips"][0]["ip"], "::1");
    let tls = &results[&host("tls")];
    assert_eq!(tls["final_url"], format!("https://{}/", host("tls")));
    assert_eq!(tls["page"]["tls"]["valid"], false, "a self-signed certificate is evidence, and the page is still read");
    let v1 = &results[&host("tls-v1")]["page"]["tls"];
    assert_eq!(v1["valid"], false, "{v1}");
    assert!(v1["error"].as_str().unwrap().contains("UnsupportedCertVersion"), "{v1}");
    let refresh = &results[&host("refresh")];
    assert_eq!(refresh["final_url"], format!("http://{}/cn/index.html", host("refresh")), "{refresh}");
    assert_eq!(refresh["page"]["redirects"], serde_json::json!([format!("http://{}/", host("refresh"))]), "{refresh}");
    assert_eq!(results[&host("utf8-location")]["final_url"], format!("http://{}/%E9%A6%96%E9%A1%B5/", host("utf8-home")));
    assert_eq!(results[&host("gbk")]["page"]["encoding"], "GBK");
    assert_eq!(results[&host("split")]["icp_numbers"][0]["text"], format!("{SUBJECT}-6"));
    let refused = &results[&host("torfc1918")]["http_failures"];
    assert!(
        refused.as_array().unwrap().iter().any(|f| f["kind"] == "redirect_refused"),
        "a redirect to a private address is refused, never fetched: {refused}"
    );
    assert_eq!(results[&host("private")]["ips"][0]["class"], "non_public");
    // Ten silent addresses: eight are tried, and the finding says so.
    let many = &results[&host("many")];
    assert_eq!(many["http_failures"].as_array().unwrap().iter().filter(|f| f["url"].as_str().unwrap().starts_with("http:")).count(), 8, "{many}");
    assert!(many["findings"][0]["detail"].as_str().unwrap().contains("2 more in-region addresses not tried"), "{many}");
    assert!(results[&host("private")].get("page").is_none(), "a non-public address is never fetched");
}

#[test]
fn a_dead_resolver_is_inconclusive_and_nothing_else() {
    let mut world = World::start(RECORDS, &sites());
    let config = world.write_config("outage", world.dns_port);
    std::fs::write(world.path().join("filings.csv"), filings_csv()).unwrap();
    assert!(beiand(&config, &["import", world.path().join("filings.csv").to_str().unwrap()]).status.success());
    world.stop_nsd();
    let out = beiand(&config, &["scan", "--json"]);
    assert!(out.status.success(), "a scan that completed exits 0, whatever it found");
    let lines: Vec<Value> = String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), CASES.len());
    for v in &lines {
        assert_eq!(codes_of(v), BTreeSet::from(["scan.inconclusive".to_string()]), "{v}");
    }
    assert!(String::from_utf8_lossy(&out.stderr).contains("degraded"), "the run is marked degraded");
}
