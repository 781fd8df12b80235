//! Address classification (design §4.3): what kind of address a domain resolves to — the
//! provider's mainland servers, its out-of-region servers, another mainland network, overseas, or
//! not public at all. Longest-prefix match over the provider inventory and the mainland list.

use anyhow::{bail, Context, Result};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use prefix_trie::PrefixMap;
use serde::Serialize;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// One block of the provider's inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Block {
    pub cidr: IpNet,
    pub region: String,
    pub in_region: bool,
    pub label: String,
}

/// What an address is, from the point of view of the filing rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AddressClass {
    /// The provider's own server in mainland China: the only acceptable answer.
    ProviderMainland(Block),
    /// The provider's own server outside mainland China (HK, Macau, Taiwan, overseas).
    ProviderOutOfRegion(Block),
    /// Mainland China, but not the provider's: hosted elsewhere.
    OtherMainland,
    /// Outside mainland China.
    Overseas,
    /// Not the provider's, and no mainland list is configured to tell mainland from overseas.
    NotProvider,
    /// Loopback, private, link-local, CGNAT, documentation, benchmarking, multicast or reserved;
    /// never fetched.
    NonPublic(&'static str),
}

impl AddressClass {
    /// The stable name used in JSON output and the database.
    pub fn name(&self) -> &'static str {
        match self {
            AddressClass::ProviderMainland(_) => "provider_mainland",
            AddressClass::ProviderOutOfRegion(_) => "provider_out_of_region",
            AddressClass::OtherMainland => "other_mainland",
            AddressClass::Overseas => "overseas",
            AddressClass::NotProvider => "not_provider",
            AddressClass::NonPublic(_) => "non_public",
        }
    }

    pub fn is_provider_mainland(&self) -> bool {
        matches!(self, AddressClass::ProviderMainland(_))
    }
}

/// The loaded inventory and mainland list, plus the non-public exceptions from the config.
#[derive(Default)]
pub struct Classifier {
    inv4: PrefixMap<Ipv4Net, Block>,
    inv6: PrefixMap<Ipv6Net, Block>,
    mainland4: PrefixMap<Ipv4Net, ()>,
    mainland6: PrefixMap<Ipv6Net, ()>,
    has_mainland: bool,
    allowed_private: Vec<IpNet>,
}

impl Classifier {
    /// Loads the inventory CSV and the optional mainland file.
    ///
    /// A file that holds no block at all is an error: with no inventory every filed domain would
    /// be another provider's, and with an empty mainland list (a download cut short, another
    /// registry's statistics) every address that is not the provider's would be overseas.
    pub fn load(inventory: &Path, mainland: Option<&Path>, allowed_private: &[IpNet]) -> Result<Classifier> {
        let text = read_text(inventory).with_context(|| format!("cannot read the inventory {} (key provider.inventory)", inventory.display()))?;
        let mut c = Classifier { allowed_private: allowed_private.to_vec(), ..Default::default() };
        let n = c.add_inventory_csv(&text).with_context(|| format!("inventory {} (key provider.inventory)", inventory.display()))?;
        if n == 0 {
            bail!("inventory {} (key provider.inventory): holds no address block", inventory.display());
        }
        if let Some(path) = mainland {
            let text = read_text(path).with_context(|| format!("cannot read the mainland list {} (key provider.mainland)", path.display()))?;
            let n = c.add_mainland(&text).with_context(|| format!("mainland list {} (key provider.mainland)", path.display()))?;
            if n == 0 {
                bail!(
                    "mainland list {} (key provider.mainland): holds no mainland-China block (CIDR lines, or the CN rows of APNIC delegated statistics)",
                    path.display()
                );
            }
        }
        Ok(c)
    }

    /// Builds a classifier from file contents already in memory.
    pub fn load_from_parts(inventory: &str, mainland: Option<&str>, allowed_private: &[IpNet]) -> Result<Classifier> {
        let mut c = Classifier { allowed_private: allowed_private.to_vec(), ..Default::default() };
        c.add_inventory_csv(inventory)?;
        if let Some(m) = mainland {
            c.add_mainland(m)?;
        }
        Ok(c)
    }

    /// Parses `cidr,region,in_region,label` rows (header required, columns in any order). A block
    /// listed twice (the same network and prefix length) with other data is an error naming both
    /// lines; a row repeated exactly is read once.
    pub fn add_inventory_csv(&mut self, text: &str) -> Result<usize> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        // Flexible: a row without its label has an empty one. Lines are counted by
        // `import::LineCounter`, since the csv crate's count leaves out blank lines and `\r\n`.
        let mut rdr = csv::ReaderBuilder::new().trim(csv::Trim::All).flexible(true).from_reader(text.as_bytes());
        let mut lines = crate::import::LineCounter::new(text.as_bytes());
        let headers = rdr.headers()?.clone();
        let col = |name: &str| headers.iter().position(|h| h == name);
        let (Some(ci), Some(ri), Some(ii)) = (col("cidr"), col("region"), col("in_region")) else {
            bail!("header must have the columns cidr,region,in_region[,label], found {:?}", headers.iter().collect::<Vec<_>>());
        };
        let li = col("label");
        let mut n = 0;
        // The line each block came from: a block listed twice with different data is an error,
        // not the later row silently replacing the earlier one; a row repeated exactly (as
        // exports have) is read once. (Nested blocks of other lengths are fine.)
        let mut seen: std::collections::HashMap<IpNet, u64> = std::collections::HashMap::new();
        for rec in rdr.records() {
            let rec = rec?;
            let line = lines.line_at(crate::import::record_start(text.as_bytes(), rec.position().map_or(0, |p| p.byte() as usize)));
            let field = |i: usize| rec.get(i).unwrap_or("");
            let cidr: IpNet = field(ci).parse().map_err(|e| anyhow::anyhow!("line {line}: bad cidr {:?}: {e}", field(ci)))?;
            let in_region = match field(ii).to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                other => bail!("line {line}: in_region must be true or false, found {other:?}"),
            };
            let block = Block {
                cidr: cidr.trunc(),
                region: field(ri).to_string(),
                in_region,
                label: li.map(field).unwrap_or("").to_string(),
            };
            let listed = match block.cidr {
                IpNet::V4(net) => self.inv4.get(&net),
                IpNet::V6(net) => self.inv6.get(&net),
            };
            if let Some(earlier) = listed {
                if *earlier == block && seen.contains_key(&block.cidr) {
                    continue;
                }
                match seen.get(&block.cidr) {
                    Some(at) => bail!("line {line}: cidr {} repeats line {at} with other data: each block is listed once", block.cidr),
                    None => bail!("line {line}: cidr {} is already in the inventory", block.cidr),
                }
            }
            seen.insert(block.cidr, line);
            match block.cidr {
                IpNet::V4(net) => self.inv4.insert(net, block),
                IpNet::V6(net) => self.inv6.insert(net, block),
            };
            n += 1;
        }
        Ok(n)
    }

    /// Parses a mainland list: one CIDR per line (`#` comments), or an APNIC delegated-statistics
    /// file (`apnic|CN|ipv4|1.0.1.0|256|…`), detected by content. Only `CN` rows count.
    pub fn add_mainland(&mut self, text: &str) -> Result<usize> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let apnic = text.lines().any(|l| l.split('|').count() >= 7 && l.contains("|ipv"));
        let mut n = 0;
        for (i, raw) in text.lines().enumerate() {
            let line = raw.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            if apnic {
                let nets = parse_apnic_row(line).map_err(|e| anyhow::anyhow!("line {}: {e}", i + 1))?;
                n += !nets.is_empty() as usize;
                nets.into_iter().for_each(|net| self.add_mainland_net(net));
            } else {
                let net = line.parse::<IpNet>().map_err(|e| anyhow::anyhow!("line {}: bad cidr {line:?}: {e}", i + 1))?;
                self.add_mainland_net(net.trunc());
                n += 1;
            }
        }
        self.has_mainland = true;
        Ok(n)
    }

    fn add_mainland_net(&mut self, net: IpNet) {
        match net {
            IpNet::V4(n) => self.mainland4.insert(n, ()),
            IpNet::V6(n) => self.mainland6.insert(n, ()),
        };
    }

    /// Whether a mainland list was loaded (without one, the mainland/overseas split is unknown).
    pub fn has_mainland_list(&self) -> bool {
        self.has_mainland
    }

    /// Whether this address may be fetched at all.
    pub fn may_fetch(&self, ip: IpAddr) -> bool {
        !matches!(self.classify(ip), AddressClass::NonPublic(_))
    }

    /// Classifies one address.
    pub fn classify(&self, ip: IpAddr) -> AddressClass {
        let ip = canonical(ip);
        if let Some(reason) = non_public_reason(ip) {
            if !self.allowed_private.iter().any(|n| n.contains(&ip)) {
                return AddressClass::NonPublic(reason);
            }
        }
        let block = match ip {
            IpAddr::V4(a) => self.inv4.get_lpm(&Ipv4Net::from(a)).map(|(_, b)| b),
            IpAddr::V6(a) => self.inv6.get_lpm(&Ipv6Net::from(a)).map(|(_, b)| b),
        };
        if let Some(b) = block {
            return if b.in_region {
                AddressClass::ProviderMainland(b.clone())
            } else {
                AddressClass::ProviderOutOfRegion(b.clone())
            };
        }
        if !self.has_mainland {
            return AddressClass::NotProvider;
        }
        let mainland = match ip {
            IpAddr::V4(a) => self.mainland4.get_lpm(&Ipv4Net::from(a)).is_some(),
            IpAddr::V6(a) => self.mainland6.get_lpm(&Ipv6Net::from(a)).is_some(),
        };
        if mainland {
            AddressClass::OtherMainland
        } else {
            AddressClass::Overseas
        }
    }
}

/// An address file's text: UTF-8, or GB18030 (GBK) as a spreadsheet on Chinese Windows saves
/// it (see `import::gb18030_fallback`); otherwise an error naming the first line that is not.
fn read_text(path: &Path) -> Result<String> {
    let bytes = std::fs::read(path)?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(e) => {
            if let Some(text) = crate::import::gb18030_fallback(e.as_bytes()) {
                tracing::info!(file = %path.display(), "not UTF-8; read as GB18030 (GBK)");
                return Ok(text);
            }
            let line = crate::import::LineCounter::new(e.as_bytes()).line_at(e.utf8_error().valid_up_to());
            bail!("line {line} is not UTF-8: save the file as UTF-8")
        }
    }
}

/// `apnic|CN|ipv4|1.0.1.0|256|20110414|allocated` → `[1.0.1.0/24]`. An IPv4 row counts
/// addresses, and a count that is not a power of two (or a start not aligned to it) covers
/// several prefixes: `1.0.1.0|768` → `1.0.1.0/24, 1.0.2.0/23`. Non-CN and summary rows → none.
fn parse_apnic_row(line: &str) -> Result<Vec<IpNet>> {
    let f: Vec<&str> = line.split('|').collect();
    if f.len() < 5 || f[1] != "CN" || f[3] == "*" {
        return Ok(Vec::new());
    }
    match f[2] {
        "ipv4" => {
            let start: Ipv4Addr = f[3].parse().map_err(|e| anyhow::anyhow!("bad address {:?}: {e}", f[3]))?;
            let count: u64 = f[4].parse().map_err(|e| anyhow::anyhow!("bad count {:?}: {e}", f[4]))?;
            let last = u64::from(u32::from(start)) + count.saturating_sub(1);
            if count == 0 || last > u64::from(u32::MAX) {
                bail!("bad count {count} from {start}");
            }
            Ok(ipnet::Ipv4Subnets::new(start, Ipv4Addr::from(last as u32), 0).map(IpNet::V4).collect())
        }
        "ipv6" => {
            let start: Ipv6Addr = f[3].parse().map_err(|e| anyhow::anyhow!("bad address {:?}: {e}", f[3]))?;
            let len: u8 = f[4].parse().map_err(|e| anyhow::anyhow!("bad prefix length {:?}: {e}", f[4]))?;
            Ok(vec![IpNet::V6(Ipv6Net::new(start, len)?.trunc())])
        }
        _ => Ok(Vec::new()),
    }
}

/// The address as it is judged and compared: an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) and a
/// NAT64 one under the well-known prefix `64:ff9b::/96` (RFC 6052, what a DNS64 resolver
/// synthesises for an IPv4-only name) are the IPv4 address they carry. The local-use prefix
/// `64:ff9b:1::/48` (RFC 8215) is not unwrapped: its layout is the operator's, and it is not
/// globally reachable.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return IpAddr::V4(v4);
            }
            match v6.octets() {
                [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0, a, b, c, d] => IpAddr::V4(Ipv4Addr::new(a, b, c, d)),
                _ => ip,
            }
        }
        v4 => v4,
    }
}

/// Why an address is not publicly routable, or `None` when it is.
pub fn non_public_reason(ip: IpAddr) -> Option<&'static str> {
    match canonical(ip) {
        IpAddr::V4(a) => {
            let o = a.octets();
            let n = u32::from(a);
            let within = |base: u32, len: u32| (n ^ base) >> (32 - len) == 0;
            Some(match () {
                _ if o[0] == 0 => "unspecified",
                _ if o[0] == 127 => "loopback",
                _ if o[0] == 10 || within(0xAC10_0000, 12) || within(0xC0A8_0000, 16) => "private",
                _ if within(0x6440_0000, 10) => "cgnat",
                _ if within(0xA9FE_0000, 16) => "link_local",
                _ if within(0xC000_0200, 24) || within(0xC633_6400, 24) || within(0xCB00_7100, 24) => "documentation",
                _ if within(0xC612_0000, 15) => "benchmarking",
                _ if within(0xC000_0000, 24) || within(0xC058_6300, 24) => "reserved",
                _ if o[0] >= 224 && o[0] < 240 => "multicast",
                _ if o[0] >= 240 => "reserved",
                _ => return None,
            })
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            Some(match () {
                _ if a.is_unspecified() => "unspecified",
                _ if a.is_loopback() => "loopback",
                _ if s[0] & 0xfe00 == 0xfc00 => "ula",
                _ if s[0] & 0xffc0 == 0xfe80 || s[0] & 0xffc0 == 0xfec0 => "link_local",
                _ if s[0] & 0xff00 == 0xff00 => "multicast",
                _ if s[0] == 0x2001 && s[1] == 0x0db8 => "documentation",
                // Within the IETF protocol assignments 2001::/23, the blocks the IANA special-purpose
                // registry marks not globally reachable: benchmarking 2001:2::/48 (RFC 5180) and the
                // deprecated ORCHID 2001:10::/28 (RFC 4843). ORCHIDv2 2001:20::/28, DETs
                // 2001:30::/28, AMT, AS112-v6 and the anycast addresses are globally reachable.
                _ if s[0] == 0x2001 && s[1] == 0x0002 && s[2] == 0 => "benchmarking",
                _ if s[0] == 0x2001 && s[1] & 0xfff0 == 0x0010 => "reserved",
                // 3fff::/20 (RFC 9637).
                _ if s[0] == 0x3fff && s[1] & 0xf000 == 0 => "documentation",
                // (NAT64 `64:ff9b::/96` is its IPv4 address by `canonical`, judged above.)
                _ if s[0] & 0xe000 != 0x2000 => "reserved",
                _ => return None,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const INVENTORY: &str = "cidr,region,in_region,label\n\
        47.92.0.0/14,cn-beijing,true,华北2\n\
        47.52.0.0/16,cn-hongkong,false,香港\n\
        47.92.8.0/24,cn-hongkong,false,香港迁移段\n\
        2408:4000::/22,cn-beijing,true,华北2 IPv6\n\
        2401:b180::/32,ap-southeast-1,false,新加坡\n\
        127.1.0.0/16,cn-test,true,测试\n";

    fn classifier(mainland: Option<&str>, allow: &[&str]) -> Classifier {
        let allow: Vec<IpNet> = allow.iter().map(|s| s.parse().unwrap()).collect();
        let mut c = Classifier { allowed_private: allow, ..Default::default() };
        c.add_inventory_csv(INVENTORY).unwrap();
        if let Some(m) = mainland {
            c.add_mainland(m).unwrap();
        }
        c
    }

    fn class(c: &Classifier, ip: &str) -> &'static str {
        c.classify(ip.parse().unwrap()).name()
    }

    #[test]
    fn every_class_v4_and_v6() {
        let c = classifier(Some("# mainland\n1.0.1.0/24\n36.0.0.0/10\n240e::/20\n"), &[]);
        assert_eq!(class(&c, "47.93.1.1"), "provider_mainland");
        assert_eq!(class(&c, "2408:4001::1"), "provider_mainland");
        assert_eq!(class(&c, "47.52.3.4"), "provider_out_of_region");
        assert_eq!(class(&c, "2401:b180::5"), "provider_out_of_region");
        // Longest prefix wins: a HK block inside a Beijing block.
        assert_eq!(class(&c, "47.92.8.9"), "provider_out_of_region");
        assert_eq!(class(&c, "36.1.2.3"), "other_mainland");
        assert_eq!(class(&c, "240e:1::1"), "other_mainland");
        assert_eq!(class(&c, "8.8.8.8"), "overseas");
        assert_eq!(class(&c, "2001:4860::8888"), "overseas");
        assert_eq!(class(&c, "::ffff:47.93.1.1"), "provider_mainland");
    }

    #[test]
    fn non_public_ranges() {
        let c = classifier(None, &[]);
        for (ip, why) in [
            ("127.0.0.1", "loopback"),
            ("127.1.2.3", "loopback"),
            ("10.1.2.3", "private"),
            ("172.16.0.1", "private"),
            ("172.31.255.255", "private"),
            ("192.168.1.1", "private"),
            ("100.64.0.1", "cgnat"),
            ("169.254.1.1", "link_local"),
            ("192.0.2.1", "documentation"),
            ("198.51.100.7", "documentation"),
            ("203.0.113.9", "documentation"),
            ("198.18.0.1", "benchmarking"),
            ("224.0.0.1", "multicast"),
            ("240.0.0.1", "reserved"),
            ("255.255.255.255", "reserved"),
            ("0.0.0.0", "unspecified"),
            ("::1", "loopback"),
            ("::", "unspecified"),
            ("fd00::1", "ula"),
            ("fe80::1", "link_local"),
            ("ff02::1", "multicast"),
            ("2001:db8::1", "documentation"),
            ("3fff::1", "documentation"),
            ("3fff:fff:ffff::1", "documentation"),
            ("::ffff:10.0.0.1", "private"),
            ("64:ff9b::a00:1", "private"),
            ("100::1", "reserved"),
        ] {
            assert_eq!(c.classify(ip.parse().unwrap()), AddressClass::NonPublic(why), "{ip}");
            assert!(!c.may_fetch(ip.parse().unwrap()), "{ip}");
        }
        assert_eq!(non_public_reason("172.32.0.1".parse().unwrap()), None);
        assert_eq!(non_public_reason("100.128.0.1".parse().unwrap()), None);
        assert_eq!(non_public_reason("64:ff9b::808:808".parse().unwrap()), None);
        // Only 3fff::/20 is for documentation (RFC 9637), not its neighbours.
        assert_eq!(non_public_reason("3fff:1000::1".parse().unwrap()), None);
        assert_eq!(non_public_reason("3ff0::1".parse().unwrap()), None);
    }

    #[test]
    fn ietf_protocol_assignments_per_the_special_purpose_registry() {
        // IANA IPv6 special-purpose registry, 2001::/23: the blocks it marks not globally reachable.
        for (ip, why) in [
            ("2001:2::1", "benchmarking"),            // 2001:2::/48, RFC 5180 (like 198.18.0.0/15)
            ("2001:2:0:ffff::1", "benchmarking"),
            ("2001:10::1", "reserved"),               // 2001:10::/28, deprecated ORCHID (RFC 4843)
            ("2001:1f:ffff::1", "reserved"),
        ] {
            assert_eq!(non_public_reason(ip.parse().unwrap()), Some(why), "{ip}");
        }
        // ...and neighbours it marks globally reachable: PCP and TURN anycast, AMT, AS112-v6,
        // ORCHIDv2 (2001:20::/28, RFC 7343) and DRIP DETs (2001:30::/28, RFC 9374).
        for ip in ["2001:1::1", "2001:1::2", "2001:3::1", "2001:4:112::1", "2001:20::1", "2001:2f:ffff::1", "2001:30::1", "2001:3:1::1"] {
            assert_eq!(non_public_reason(ip.parse().unwrap()), None, "{ip}");
        }
    }

    #[test]
    fn a_block_listed_twice_in_the_inventory_is_an_error() {
        // The second row would silently replace the first: 47.92/14 would be Hong Kong.
        let dup = "cidr,region,in_region,label\n47.92.0.0/14,cn-beijing,true,华北2\n2408:4000::/22,cn-beijing,true,v6\n47.92.0.0/14,cn-hongkong,false,香港\n";
        let err = Classifier::default().add_inventory_csv(dup).unwrap_err().to_string();
        assert!(err.contains("line 4") && err.contains("line 2") && err.contains("47.92.0.0/14"), "{err}");
        // The same block written with host bits, and an IPv6 one.
        let err = Classifier::default()
            .add_inventory_csv("cidr,region,in_region\n2408:4000::/22,a,true\n47.92.0.0/14,a,true\n2408:4000::1/22,b,true\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 4") && err.contains("line 2") && err.contains("2408:4000::/22"), "{err}");
        // From a file, the message names the file too.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory.csv");
        std::fs::write(&path, dup).unwrap();
        let err = format!("{:#}", Classifier::load(&path, None, &[]).err().unwrap());
        assert!(err.contains(&path.display().to_string()) && err.contains("line 4") && err.contains("line 2"), "{err}");
        // A block already loaded by an earlier call is refused too.
        let mut c = classifier(None, &[]);
        let err = c.add_inventory_csv("cidr,region,in_region\n47.52.0.0/16,cn-beijing,true\n").unwrap_err().to_string();
        assert!(err.contains("line 2") && err.contains("47.52.0.0/16"), "{err}");
        assert_eq!(c.classify("47.52.0.1".parse().unwrap()).name(), "provider_out_of_region");
        // A row repeated exactly is read once.
        let mut c = Classifier::default();
        assert_eq!(c.add_inventory_csv("cidr,region,in_region,label\n47.92.0.0/14,cn-beijing,true,华北2\n47.92.0.0/14,cn-beijing,true,华北2\n").unwrap(), 1);
        // Nested blocks of different lengths are not duplicates: the longest prefix wins.
        let mut c = Classifier::default();
        assert_eq!(c.add_inventory_csv("cidr,region,in_region\n47.92.0.0/14,cn-beijing,true\n47.92.8.0/24,cn-hongkong,false\n").unwrap(), 2);
        assert_eq!(c.classify("47.92.8.1".parse().unwrap()).name(), "provider_out_of_region");
        assert_eq!(c.classify("47.93.0.1".parse().unwrap()).name(), "provider_mainland");
    }

    #[test]
    fn nat64_addresses_are_the_ipv4_address_they_carry() {
        // What a DNS64 resolver synthesises for an IPv4-only domain: 64:ff9b::/96 + the A record.
        let c = classifier(Some("36.0.0.0/10\n"), &[]);
        assert_eq!(canonical("64:ff9b::2f5d:101".parse().unwrap()), "47.93.1.1".parse::<IpAddr>().unwrap());
        assert_eq!(class(&c, "64:ff9b::2f5d:101"), "provider_mainland");
        assert_eq!(class(&c, "64:ff9b::2f34:304"), "provider_out_of_region");
        assert_eq!(class(&c, "64:ff9b::2401:203"), "other_mainland");
        assert_eq!(class(&c, "64:ff9b::808:808"), "overseas");
        // Embedding a non-public IPv4 address, it is non-public for that reason.
        for (ip, why) in [("64:ff9b::a00:1", "private"), ("64:ff9b::7f00:1", "loopback"), ("64:ff9b::6440:1", "cgnat")] {
            assert_eq!(c.classify(ip.parse().unwrap()), AddressClass::NonPublic(why), "{ip}");
        }
        // Only the well-known /96 is unwrapped: the local-use 64:ff9b:1::/48 is not globally
        // reachable, and addresses merely starting 64:ff9b: are not NAT64 ones.
        assert_eq!(canonical("64:ff9b:1::2f5d:101".parse().unwrap()), "64:ff9b:1::2f5d:101".parse::<IpAddr>().unwrap());
        assert_eq!(class(&c, "64:ff9b:1::2f5d:101"), "non_public");
        assert_eq!(canonical("64:ff9b:0:0:1::2f5d:101".parse().unwrap()), "64:ff9b:0:0:1::2f5d:101".parse::<IpAddr>().unwrap());
    }

    #[test]
    fn allowed_private_targets_are_classified_normally() {
        let c = classifier(Some("127.3.0.0/16\n"), &["127.0.0.0/8"]);
        assert_eq!(class(&c, "127.1.0.5"), "provider_mainland");
        assert_eq!(class(&c, "127.3.0.5"), "other_mainland");
        assert_eq!(class(&c, "127.9.0.5"), "overseas");
        assert_eq!(class(&c, "10.0.0.1"), "non_public");
    }

    #[test]
    fn without_mainland_list_the_split_is_unknown() {
        let c = classifier(None, &[]);
        assert!(!c.has_mainland_list());
        assert_eq!(class(&c, "8.8.8.8"), "not_provider");
        assert_eq!(class(&c, "47.93.0.1"), "provider_mainland");
    }

    #[test]
    fn apnic_format_is_detected() {
        let apnic = "2|apnic|20240101|3|19830613|20240101|+1000\n\
            apnic|*|ipv4|*|2|summary\n\
            apnic|CN|ipv4|1.0.1.0|256|20110414|allocated\n\
            apnic|CN|ipv4|1.0.8.0|2048|20110412|allocated\n\
            apnic|JP|ipv4|1.0.16.0|4096|20110412|allocated\n\
            apnic|CN|ipv6|2400:3200::|32|20090101|allocated\n\
            apnic|CN|ipv4|2.0.1.0|768|20110414|allocated\n";
        let c = classifier(Some(apnic), &[]);
        // 768 addresses from 2.0.1.0 are 2.0.1.0/24 and 2.0.2.0/23: not 2.0.0.0/23.
        assert_eq!(class(&c, "2.0.0.1"), "overseas");
        assert_eq!(class(&c, "2.0.3.255"), "other_mainland");
        assert_eq!(class(&c, "2.0.4.0"), "overseas");
        assert_eq!(class(&c, "1.0.1.200"), "other_mainland");
        assert_eq!(class(&c, "1.0.15.1"), "other_mainland");
        assert_eq!(class(&c, "1.0.16.1"), "overseas");
        assert_eq!(class(&c, "2400:3200::1"), "other_mainland");
    }

    #[test]
    fn bad_inventory_names_the_line() {
        let mut c = Classifier::default();
        let err = c.add_inventory_csv("cidr,region,in_region,label\n1.2.3.0/24,a,true,x\n1.2.3/24,b,true,y\n").unwrap_err();
        assert!(err.to_string().contains("line 3"), "{err}");
        let err = c.add_inventory_csv("cidr,region,in_region\n1.2.3.0/24,a,maybe\n").unwrap_err();
        assert!(err.to_string().contains("in_region"), "{err}");
        let err = c.add_mainland("1.2.3.0/24\nnonsense\n").unwrap_err();
        assert!(err.to_string().contains("line 2"), "{err}");
    }

    #[test]
    fn address_files_as_spreadsheets_and_downloads_leave_them() {
        // CRLF, blank lines: the line named is the file's.
        let mut c = Classifier::default();
        let err = c.add_inventory_csv("cidr,region,in_region,label\r\n1.2.3.0/24,a,true,x\r\n\r\n\r\n1.2.3/24,b,true,y\r\n").unwrap_err();
        assert!(err.to_string().contains("line 5"), "{err}");
        // A BOM on either file; a row without its label.
        let mut c = Classifier::default();
        assert_eq!(c.add_inventory_csv("\u{feff}cidr,region,in_region,label\r\n47.92.0.0/14,cn-beijing,TRUE\r\n").unwrap(), 1);
        assert_eq!(c.add_mainland("\u{feff}36.0.0.0/10\r\n").unwrap(), 1);
        assert_eq!(c.classify("36.0.0.1".parse().unwrap()).name(), "other_mainland");
        // A GBK inventory is read; an empty file of either kind is an error naming it.
        let dir = tempfile::tempdir().unwrap();
        let (inv, ml) = (dir.path().join("inventory.csv"), dir.path().join("mainland.txt"));
        std::fs::write(&inv, encoding_rs::GBK.encode("cidr,region,in_region,label\r\n47.92.0.0/14,cn-beijing,true,华北2\r\n").0).unwrap();
        let c = Classifier::load(&inv, None, &[]).unwrap();
        assert!(matches!(c.classify("47.92.0.1".parse().unwrap()), AddressClass::ProviderMainland(b) if b.label == "华北2"));
        std::fs::write(&ml, "# nothing yet\n").unwrap();
        let err = format!("{:#}", Classifier::load(&inv, Some(&ml), &[]).err().unwrap());
        assert!(err.contains("mainland.txt") && err.contains("holds no mainland-China block"), "{err}");
        std::fs::write(&ml, "2|apnic|20240101|1|19830613|20240101|+1000\narin|US|ipv4|3.0.0.0|16777216|19880201|allocated\n").unwrap();
        assert!(format!("{:#}", Classifier::load(&inv, Some(&ml), &[]).err().unwrap()).contains("holds no mainland-China block"));
        std::fs::write(&inv, "cidr,region,in_region,label\r\n\r\n").unwrap();
        let err = format!("{:#}", Classifier::load(&inv, None, &[]).err().unwrap());
        assert!(err.contains("inventory.csv") && err.contains("holds no address block"), "{err}");
        // Neither UTF-8 nor GB18030: the line is named.
        std::fs::write(&inv, b"cidr,region,in_region,label\n47.92.0.0/14,a,true,\xff\n".as_slice()).unwrap();
        let err = format!("{:#}", Classifier::load(&inv, None, &[]).err().unwrap());
        assert!(err.contains("inventory.csv") && err.contains("line 2 is not UTF-8"), "{err}");
    }
}
