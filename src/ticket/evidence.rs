//! What a ticket shows as proof: for each domain of the filing where the problem was seen, the
//! addresses it resolved to, the HTTP status and final URL, the page title, the filing and
//! public-security numbers the footer showed, and the findings of the ticket's code — taken from
//! the stored evidence of the latest confirming check (`scan::DomainCheck` as JSON).
//!
//! The extraction reads the JSON loosely (missing fields are simply absent), so a change in the
//! check's evidence format degrades a ticket's evidence rather than failing the run.

use crate::finding::{Code, Finding};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Longest footer/excerpt text kept per domain, in characters.
const EXCERPT_CHARS: usize = 300;

/// The evidence a ticket holds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TicketEvidence {
    /// The run whose checks this comes from.
    #[serde(default)]
    pub run_id: Option<i64>,
    #[serde(default)]
    pub domains: Vec<DomainEvidence>,
}

/// What one check of one domain saw.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DomainEvidence {
    pub domain: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checked_at: Option<String>,
    #[serde(default)]
    pub ips: Vec<IpEvidence>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub final_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Filing numbers on the page, as normalised text, with whether and where they linked.
    #[serde(default)]
    pub icp_numbers: Vec<NumberEvidence>,
    #[serde(default)]
    pub psb_numbers: Vec<NumberEvidence>,
    /// The footer text around the numbers, when the page analysis recorded it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub excerpt: Option<String>,
    /// Why the homepage could not be read, one line per try (for `http.unreachable`), in Chinese.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub http_failures: Vec<String>,
    /// The findings of the ticket's code on this domain.
    #[serde(default)]
    pub findings: Vec<Finding>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IpEvidence {
    pub ip: String,
    pub class: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberEvidence {
    pub text: String,
    #[serde(default)]
    pub linked: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub href: Option<String>,
}

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

fn truncate(s: &str) -> String {
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.chars().count() <= EXCERPT_CHARS {
        s
    } else {
        let mut t: String = s.chars().take(EXCERPT_CHARS).collect();
        t.push('…');
        t
    }
}

fn numbers(v: &Value, key: &str) -> Vec<NumberEvidence> {
    v.get(key)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|m| {
                    Some(NumberEvidence {
                        text: str_of(m, "text")?,
                        linked: m.get("linked").and_then(Value::as_bool).unwrap_or(false),
                        href: str_of(m, "href"),
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// A footer excerpt, wherever the page analysis put one.
fn excerpt(v: &Value) -> Option<String> {
    for key in ["footer", "footer_text", "footer_excerpt", "excerpt"] {
        if let Some(s) = v.get(key).and_then(Value::as_str).filter(|s| !s.trim().is_empty()) {
            return Some(truncate(s));
        }
    }
    let mentions = v.get("icp_numbers").and_then(Value::as_array)?;
    mentions.iter().find_map(|m| {
        ["context", "excerpt", "raw"].iter().find_map(|k| m.get(*k).and_then(Value::as_str)).filter(|s| !s.trim().is_empty()).map(truncate)
    })
}

/// The evidence of one stored check for a ticket of `code`, or `None` when the check has no
/// finding of that code.
pub fn from_check(code: Code, check: &Value) -> Option<DomainEvidence> {
    let findings: Vec<Finding> = check
        .get("findings")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(|f| serde_json::from_value::<Finding>(f.clone()).ok())
        .filter(|f| f.code == code)
        .collect();
    if findings.is_empty() {
        return None;
    }
    let ips = check
        .get("ips")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|i| {
                    Some(IpEvidence { ip: str_of(i, "ip")?, class: str_of(i, "class").unwrap_or_default(), region: str_of(i, "region") })
                })
                .collect()
        })
        .unwrap_or_default();
    let http_failures = check
        .get("http_failures")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|f| {
                    // In Chinese, for the notice: the kind of failure and the status the server
                    // gave (the English detail stays in the stored evidence, for operators).
                    format!(
                        "{} {}（{}{}）",
                        f.get("ip").and_then(Value::as_str).unwrap_or("?"),
                        f.get("url").and_then(Value::as_str).unwrap_or("?"),
                        crate::check::http::failure_kind_zh(f.get("kind").and_then(Value::as_str).unwrap_or("?")),
                        f.get("status").and_then(Value::as_u64).map(|s| format!("，HTTP {s}")).unwrap_or_default()
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Some(DomainEvidence {
        domain: str_of(check, "domain").unwrap_or_default(),
        checked_at: str_of(check, "checked_at"),
        ips,
        http_status: check.get("http_status").and_then(Value::as_u64).and_then(|s| u16::try_from(s).ok()),
        final_url: str_of(check, "final_url"),
        title: str_of(check, "title"),
        icp_numbers: numbers(check, "icp_numbers"),
        psb_numbers: numbers(check, "psb_numbers"),
        excerpt: excerpt(check).or_else(|| check.get("page").and_then(excerpt)),
        http_failures,
        findings,
    })
}

/// Chinese names of address classes (`check::ip::ClassifiedIp::class`), as reports show them.
pub fn ip_class_zh(class: &str) -> &str {
    match class {
        "provider_mainland" => "本接入商境内",
        "provider_out_of_region" => "本接入商境外节点",
        "other_mainland" => "境内其他服务商",
        "overseas" => "境外",
        "not_provider" => "非本接入商",
        "non_public" => "非公网地址",
        other => other,
    }
}

impl TicketEvidence {
    /// A one-line summary for tables and CSV: per domain, addresses, status, title, numbers.
    pub fn summary(&self) -> String {
        self.domains
            .iter()
            .map(|d| {
                let mut parts = vec![d.domain.clone()];
                if !d.ips.is_empty() {
                    parts.push(d.ips.iter().map(|i| format!("{} {}", i.ip, ip_class_zh(&i.class))).collect::<Vec<_>>().join(", "));
                }
                if let Some(s) = d.http_status {
                    parts.push(format!("HTTP {s}"));
                }
                if let Some(t) = &d.title {
                    parts.push(format!("标题「{t}」"));
                }
                if !d.icp_numbers.is_empty() {
                    parts.push(format!(
                        "备案号 {}",
                        d.icp_numbers.iter().map(|n| if n.linked { n.text.clone() } else { format!("{}（未链接）", n.text) }).collect::<Vec<_>>().join("、")
                    ));
                }
                for f in &d.findings {
                    parts.push(f.detail_for_readers().to_string());
                }
                parts.join("; ")
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check() -> Value {
        json!({
            "site_number": "京ICP备2024012345号-6",
            "domain": "jobs.example.cn",
            "checked_at": "2026-09-18T02:00:00.000Z",
            "ips": [{"ip": "47.93.1.1", "class": "provider_mainland", "region": "cn-beijing"}],
            "http_status": 200,
            "final_url": "http://jobs.example.cn/",
            "title": "<script>alert(1)</script>",
            "icp_numbers": [{"text": "沪ICP备2019000001号-1", "linked": true, "href": "https://beian.miit.gov.cn/"}],
            "psb_numbers": [],
            "findings": [
                {"code": "page.number_wrong", "detail": "shows 沪ICP备2019000001号-1"},
                {"code": "page.title_mismatch", "detail": "title lacks 示例招聘"}
            ],
            "inconclusive": false
        })
    }

    #[test]
    fn evidence_keeps_what_the_check_saw_for_the_code() {
        let e = from_check(Code::PageNumberWrong, &check()).unwrap();
        assert_eq!(e.domain, "jobs.example.cn");
        assert_eq!(e.http_status, Some(200));
        assert_eq!(e.ips[0].class, "provider_mainland");
        assert_eq!(e.icp_numbers[0].text, "沪ICP备2019000001号-1");
        assert!(e.icp_numbers[0].linked);
        assert_eq!(e.findings.len(), 1);
        assert_eq!(e.findings[0].code, Code::PageNumberWrong);
        assert_eq!(e.title.as_deref(), Some("<script>alert(1)</script>"));
        assert!(from_check(Code::DnsOverseas, &check()).is_none());
    }

    #[test]
    fn missing_fields_degrade_gracefully_and_excerpts_are_bounded() {
        let v = json!({"domain": "a.cn", "findings": [{"code": "http.unreachable", "detail": "x"}],
            "http_failures": [{"ip": "47.93.1.1", "url": "http://a.cn/", "kind": "refused", "detail": "connection refused"},
                {"ip": "47.93.1.2", "url": "http://a.cn/", "kind": "status", "status": 503, "detail": "server answered 503"}],
            "footer": "备案号 ".repeat(200)});
        let e = from_check(Code::HttpUnreachable, &v).unwrap();
        assert!(e.ips.is_empty() && e.http_status.is_none());
        assert_eq!(e.http_failures, ["47.93.1.1 http://a.cn/（连接被拒绝）", "47.93.1.2 http://a.cn/（服务器返回错误状态，HTTP 503）"]);
        assert!(e.excerpt.as_ref().unwrap().chars().count() <= EXCERPT_CHARS + 1);
        let t = TicketEvidence { run_id: Some(1), domains: vec![e] };
        let back: TicketEvidence = serde_json::from_str(&serde_json::to_string(&t).unwrap()).unwrap();
        assert_eq!(back, t);
    }

    #[test]
    fn summary_mentions_addresses_status_title_and_numbers() {
        let e = from_check(Code::PageNumberWrong, &check()).unwrap();
        let s = TicketEvidence { run_id: Some(1), domains: vec![e] }.summary();
        assert!(s.contains("47.93.1.1 本接入商境内") && s.contains("HTTP 200") && s.contains("沪ICP备2019000001号-1"), "{s}");
    }
}
