//! Finding codes (design §4.5), their rectification categories, and the Chinese notice texts
//! compliance teams read.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::net::IpAddr;

/// One finding code of design §4.5. The string form (`dns.unresolved`, …) is the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Code {
    #[serde(rename = "dns.unresolved")]
    DnsUnresolved,
    #[serde(rename = "dns.other_provider")]
    DnsOtherProvider,
    #[serde(rename = "dns.overseas")]
    DnsOverseas,
    #[serde(rename = "dns.filed_ip_mismatch")]
    DnsFiledIpMismatch,
    #[serde(rename = "dns.non_public")]
    DnsNonPublic,
    #[serde(rename = "http.unreachable")]
    HttpUnreachable,
    #[serde(rename = "page.number_missing")]
    PageNumberMissing,
    #[serde(rename = "page.number_wrong")]
    PageNumberWrong,
    #[serde(rename = "page.number_unlinked")]
    PageNumberUnlinked,
    #[serde(rename = "page.title_mismatch")]
    PageTitleMismatch,
    #[serde(rename = "page.psb_missing")]
    PagePsbMissing,
    #[serde(rename = "filing.unfiled_served")]
    FilingUnfiledServed,
    #[serde(rename = "scan.inconclusive")]
    ScanInconclusive,
}

/// The two rectification categories providers group notices by (design §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Category {
    /// 互联网信息不准确: DNS and filed-IP problems.
    #[serde(rename = "互联网信息不准确")]
    InternetInfoInaccurate,
    /// 网站内容不合格: unreachable, number, link, title.
    #[serde(rename = "网站内容不合格")]
    ContentNonCompliant,
}

impl Category {
    pub fn zh(self) -> &'static str {
        match self {
            Category::InternetInfoInaccurate => "互联网信息不准确",
            Category::ContentNonCompliant => "网站内容不合格",
        }
    }
}

impl Code {
    pub const ALL: [Code; 13] = [
        Code::DnsUnresolved,
        Code::DnsOtherProvider,
        Code::DnsOverseas,
        Code::DnsFiledIpMismatch,
        Code::DnsNonPublic,
        Code::HttpUnreachable,
        Code::PageNumberMissing,
        Code::PageNumberWrong,
        Code::PageNumberUnlinked,
        Code::PageTitleMismatch,
        Code::PagePsbMissing,
        Code::FilingUnfiledServed,
        Code::ScanInconclusive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Code::DnsUnresolved => "dns.unresolved",
            Code::DnsOtherProvider => "dns.other_provider",
            Code::DnsOverseas => "dns.overseas",
            Code::DnsFiledIpMismatch => "dns.filed_ip_mismatch",
            Code::DnsNonPublic => "dns.non_public",
            Code::HttpUnreachable => "http.unreachable",
            Code::PageNumberMissing => "page.number_missing",
            Code::PageNumberWrong => "page.number_wrong",
            Code::PageNumberUnlinked => "page.number_unlinked",
            Code::PageTitleMismatch => "page.title_mismatch",
            Code::PagePsbMissing => "page.psb_missing",
            Code::FilingUnfiledServed => "filing.unfiled_served",
            Code::ScanInconclusive => "scan.inconclusive",
        }
    }

    pub fn parse(s: &str) -> Option<Code> {
        Code::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The rectification category; `None` for `scan.inconclusive`, which is never a customer's problem.
    pub fn category(self) -> Option<Category> {
        use Code::*;
        match self {
            DnsUnresolved | DnsOtherProvider | DnsOverseas | DnsFiledIpMismatch | DnsNonPublic
            | FilingUnfiledServed => Some(Category::InternetInfoInaccurate),
            HttpUnreachable | PageNumberMissing | PageNumberWrong | PageNumberUnlinked
            | PageTitleMismatch | PagePsbMissing => Some(Category::ContentNonCompliant),
            ScanInconclusive => None,
        }
    }

    /// Whether this code is about the customer (may become a ticket) rather than about us.
    pub fn is_customer_problem(self) -> bool {
        self != Code::ScanInconclusive
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem found by a probe, with the address it concerns (when it concerns one) and a
/// one-line detail: in English for logs and evidence, and in Chinese for the notices and
/// reports compliance teams read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub code: Code,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip: Option<IpAddr>,
    pub detail: String,
    /// Empty in evidence stored before it was kept.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub detail_zh: String,
}

impl Finding {
    pub fn new(code: Code, detail: impl Into<String>) -> Self {
        Finding { code, ip: None, detail: detail.into(), detail_zh: String::new() }
    }

    pub fn at(code: Code, ip: IpAddr, detail: impl Into<String>) -> Self {
        Finding { code, ip: Some(ip), detail: detail.into(), detail_zh: String::new() }
    }

    /// With its detail in Chinese.
    pub fn zh(mut self, detail: impl Into<String>) -> Self {
        self.detail_zh = detail.into();
        self
    }

    /// The detail for notices and reports: the Chinese one, or the English one of evidence
    /// stored before there was a Chinese one.
    pub fn detail_for_readers(&self) -> &str {
        if self.detail_zh.is_empty() {
            &self.detail
        } else {
            &self.detail_zh
        }
    }
}
