//! Address findings: a pure function of (filing, resolved addresses, classifier) → each address's
//! class and the DNS findings of design §4.5, each naming the offending address.

use super::dns::DnsAnswer;
use crate::filing::Filing;
use crate::finding::{Code, Finding};
use crate::netclass::{canonical, AddressClass, Classifier};
use serde::Serialize;
use std::net::IpAddr;

/// One resolved address and what it is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClassifiedIp {
    pub ip: IpAddr,
    /// `provider_mainland`, `provider_out_of_region`, `other_mainland`, `overseas`, `not_provider`, `non_public`.
    pub class: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// Whether the filing's `filed_ips` lists it (null when the filing records none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filed: Option<bool>,
}

impl ClassifiedIp {
    /// May the homepage be fetched from this address as the provider's mainland server?
    pub fn in_region(&self) -> bool {
        self.class == "provider_mainland"
    }
}

/// Classifies every address and returns the findings for an active filing.
pub fn classify_addresses(filing: &Filing, answer: &DnsAnswer, classifier: &Classifier) -> (Vec<ClassifiedIp>, Vec<Finding>) {
    let mut ips = Vec::new();
    let mut findings = Vec::new();
    if let DnsAnswer::NoAddress { nxdomain, cnames } = answer {
        let what = if *nxdomain { "NXDOMAIN" } else { "no A/AAAA record" };
        let chain = if cnames.is_empty() { String::new() } else { format!(" at the end of CNAME chain {}", cnames.join(" → ")) };
        let what_zh = if *nxdomain { "域名不存在（NXDOMAIN）" } else { "没有 A/AAAA 记录" };
        let chain_zh = if cnames.is_empty() { String::new() } else { format!("CNAME 链 {} 的末端", cnames.join(" → ")) };
        findings.push(Finding::new(Code::DnsUnresolved, format!("{what}{chain}")).zh(format!("{chain_zh}{what_zh}")));
    }
    // Addresses are compared in their canonical form (`::ffff:a.b.c.d` is a.b.c.d), as the
    // classifier judges them; evidence and findings name each one as DNS gave it.
    for &ip in answer.addresses() {
        let same = canonical(ip);
        if ips.iter().any(|c: &ClassifiedIp| canonical(c.ip) == same) {
            continue;
        }
        let class = classifier.classify(ip);
        let filed = (!filing.filed_ips.is_empty()).then(|| filing.filed_ips.iter().any(|&f| canonical(f) == same));
        let (region, label, reason) = match &class {
            AddressClass::ProviderMainland(b) | AddressClass::ProviderOutOfRegion(b) => {
                (Some(b.region.clone()), Some(b.label.clone()), None)
            }
            AddressClass::NonPublic(r) => (None, None, Some(*r)),
            _ => (None, None, None),
        };
        match &class {
            AddressClass::ProviderMainland(b) if filed == Some(false) => findings.push(Finding::at(
                Code::DnsFiledIpMismatch,
                ip,
                format!("{ip} is the provider's ({}) but not among the filed IPs", b.region),
            )
            .zh(format!("{ip} 是本接入商（{}）的地址，但不在备案的 IP 地址中", b.region))),
            AddressClass::ProviderMainland(_) => {}
            AddressClass::ProviderOutOfRegion(b) => findings.push(Finding::at(
                Code::DnsOverseas,
                ip,
                format!("{ip} is the provider's out-of-region block {} ({})", b.region, b.label),
            )
            .zh(format!("{ip} 属于本接入商的境外节点 {}（{}）", b.region, b.label))),
            AddressClass::Overseas => {
                findings.push(Finding::at(Code::DnsOverseas, ip, format!("{ip} is outside mainland China")).zh(format!("{ip} 位于中国大陆境外")))
            }
            AddressClass::OtherMainland => findings.push(Finding::at(
                Code::DnsOtherProvider,
                ip,
                format!("{ip} is in mainland China but not in the provider's inventory"),
            )
            .zh(format!("{ip} 位于中国大陆境内，但不是本接入商的地址"))),
            AddressClass::NotProvider => findings.push(Finding::at(
                Code::DnsOtherProvider,
                ip,
                format!("{ip} is not in the provider's inventory (no mainland list configured: mainland/overseas split unknown)"),
            )
            .zh(format!("{ip} 不是本接入商的地址（未配置境内地址表，无法判断境内或境外）"))),
            AddressClass::NonPublic(r) => findings.push(Finding::at(
                Code::DnsNonPublic,
                ip,
                format!("{ip} is not a public address ({r}); it is never fetched"),
            )
            .zh(format!("{ip} 不是公网地址（{}），不会访问该地址", non_public_zh(r)))),
        }
        ips.push(ClassifiedIp { ip, class: class.name(), region, label, reason, filed });
    }
    (ips, findings)
}

/// Chinese names of the kinds of non-public address ([`crate::netclass`]).
fn non_public_zh(reason: &str) -> &str {
    match reason {
        "unspecified" => "未指定地址",
        "loopback" => "环回地址",
        "private" | "ula" => "内网地址",
        "cgnat" => "运营商级 NAT 地址",
        "link_local" => "链路本地地址",
        "documentation" => "文档示例地址",
        "benchmarking" => "基准测试地址",
        "multicast" => "组播地址",
        "reserved" => "保留地址",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filing::FilingStatus;

    fn filing(filed: &[&str]) -> Filing {
        Filing {
            site_number: "京ICP备12345678号-1".into(),
            subject_number: "京ICP备12345678号".into(),
            site_name: "示例".into(),
            subject_name: None,
            subject_nature: None,
            domains: vec!["a.cn".into()],
            filed_ips: filed.iter().map(|s| s.parse().unwrap()).collect(),
            psb_number: None,
            status: FilingStatus::Active,
            province: None,
            homepage: None,
        }
    }

    fn classifier() -> Classifier {
        let mut c = Classifier::default();
        c.add_inventory_csv("cidr,region,in_region,label\n47.92.0.0/14,cn-beijing,true,华北2\n47.52.0.0/16,cn-hongkong,false,香港\n").unwrap();
        c.add_mainland("36.0.0.0/10\n").unwrap();
        c
    }

    fn resolved(ips: &[&str]) -> DnsAnswer {
        DnsAnswer::Resolved { cnames: vec![], addresses: ips.iter().map(|s| s.parse().unwrap()).collect() }
    }

    fn codes(f: &[Finding]) -> Vec<(Code, Option<String>)> {
        f.iter().map(|f| (f.code, f.ip.map(|i| i.to_string()))).collect()
    }

    #[test]
    fn mixed_answers_name_the_bad_address() {
        let (ips, f) = classify_addresses(&filing(&[]), &resolved(&["47.93.0.1", "47.52.0.1", "36.1.1.1", "8.8.8.8", "10.0.0.1"]), &classifier());
        assert_eq!(ips.len(), 5);
        assert_eq!(
            codes(&f),
            vec![
                (Code::DnsOverseas, Some("47.52.0.1".into())),
                (Code::DnsOtherProvider, Some("36.1.1.1".into())),
                (Code::DnsOverseas, Some("8.8.8.8".into())),
                (Code::DnsNonPublic, Some("10.0.0.1".into())),
            ]
        );
    }

    #[test]
    fn filed_ips_are_compared_only_when_set() {
        let (_, f) = classify_addresses(&filing(&["47.93.0.1"]), &resolved(&["47.93.0.1", "47.93.0.2"]), &classifier());
        assert_eq!(codes(&f), vec![(Code::DnsFiledIpMismatch, Some("47.93.0.2".into()))]);
        let (_, f) = classify_addresses(&filing(&[]), &resolved(&["47.93.0.2"]), &classifier());
        assert!(f.is_empty());
    }

    #[test]
    fn no_address_is_unresolved_and_failure_is_nothing() {
        let (_, f) = classify_addresses(&filing(&[]), &DnsAnswer::NoAddress { cnames: vec![], nxdomain: true }, &classifier());
        assert_eq!(codes(&f), vec![(Code::DnsUnresolved, None)]);
        let (ips, f) = classify_addresses(&filing(&[]), &DnsAnswer::Failed { reason: "timeout".into() }, &classifier());
        assert!(ips.is_empty() && f.is_empty());
    }

    #[test]
    fn dns64_synthesised_aaaa_is_the_ipv4_address() {
        // Through a DNS64 resolver, an IPv4-only domain answers A 47.93.0.1 and AAAA 64:ff9b::2f5d:1.
        let (ips, f) = classify_addresses(&filing(&["47.93.0.1"]), &resolved(&["47.93.0.1", "64:ff9b::2f5d:1"]), &classifier());
        assert!(f.is_empty(), "{:?}", codes(&f));
        assert_eq!(ips.iter().map(|c| (c.ip.to_string(), c.class)).collect::<Vec<_>>(), vec![("47.93.0.1".to_string(), "provider_mainland")]);
        let (ips, f) = classify_addresses(&filing(&["47.93.0.1"]), &resolved(&["64:ff9b::2f5d:1"]), &classifier());
        assert!(f.is_empty(), "{:?}", codes(&f));
        assert_eq!((ips[0].ip.to_string(), ips[0].class, ips[0].filed), ("64:ff9b::2f5d:1".to_string(), "provider_mainland", Some(true)));
    }

    #[test]
    fn ipv4_mapped_aaaa_is_the_ipv4_address() {
        // A 47.93.0.1 and (a common misconfiguration) AAAA ::ffff:47.93.0.1: one address, the filed one.
        let (ips, f) = classify_addresses(&filing(&["47.93.0.1"]), &resolved(&["47.93.0.1", "::ffff:47.93.0.1"]), &classifier());
        assert!(f.is_empty(), "{:?}", codes(&f));
        assert_eq!(ips.len(), 1, "{ips:?}");
        assert_eq!((ips[0].ip.to_string(), ips[0].filed), ("47.93.0.1".to_string(), Some(true)));
        // Alone, the mapped form is the filed address too, and evidence shows it as DNS gave it.
        let (ips, f) = classify_addresses(&filing(&["47.93.0.1"]), &resolved(&["::ffff:47.93.0.1"]), &classifier());
        assert!(f.is_empty(), "{:?}", codes(&f));
        assert_eq!((ips[0].ip.to_string(), ips[0].class, ips[0].filed), ("::ffff:47.93.0.1".to_string(), "provider_mainland", Some(true)));
        // A filing that lists the mapped form matches the plain address.
        let (_, f) = classify_addresses(&filing(&["::ffff:47.93.0.1"]), &resolved(&["47.93.0.1"]), &classifier());
        assert!(f.is_empty(), "{:?}", codes(&f));
        // Another address written mapped is still a mismatch, named as DNS gave it.
        let (_, f) = classify_addresses(&filing(&["47.93.0.1"]), &resolved(&["::ffff:47.93.0.2"]), &classifier());
        assert_eq!(codes(&f), vec![(Code::DnsFiledIpMismatch, Some("::ffff:47.93.0.2".into()))]);
    }
}
