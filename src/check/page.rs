//! Page analysis, a pure function of (page, expectations) → evidence and findings: the title, the
//! ICP filing numbers in the visible text (found even when split over tags or spelled loosely),
//! whether each is linked to `beian.miit.gov.cn`, public-security and licence numbers, numbers
//! that only appear in scripts or image alt text, and the `page.*` findings of design §4.5.
//!
//! The visible text is collected in one iterative pass over the parsed document (no recursion, so
//! hostile nesting cannot exhaust the stack), folded character by character (see
//! [`number::fold_char`]) and mapped back to the `<a href>` and footer region each run of text sits
//! in. Block elements end a run with a line break, so numbers are not glued across paragraphs.
//!
//! Footer heuristic: text is in the footer when it sits inside `<footer>`, or inside an element
//! whose id or class contains `footer`, `foot`, `bottom`, `copyright` or `beian`, or in the last
//! 30% of the visible text.

use crate::finding::{Code, Finding};
use crate::number::{self, IcpNumber, License};
use ego_tree::iter::Edge;
use scraper::{Html, Node};
use serde::Serialize;
use std::ops::Range;

/// The MIIT filing system's host: the only link target that counts (design §1).
pub const MIIT_HOST: &str = "beian.miit.gov.cn";
/// Hosts retired on 2019-04-25: a link to them is recorded and does not count.
pub const RETIRED_HOSTS: [&str; 4] = ["www.miitbeian.gov.cn", "miitbeian.gov.cn", "www.miibeian.gov.cn", "miibeian.gov.cn"];
/// The public-security filing portal, old and new.
pub const PSB_HOSTS: [&str; 2] = ["beian.mps.gov.cn", "www.beian.gov.cn"];

/// What the filing says the page should show. Loose spellings are accepted.
#[derive(Debug, Clone, Default)]
pub struct PageExpect {
    pub site_number: Option<String>,
    pub site_name: Option<String>,
    pub psb_number: Option<String>,
}

/// An ICP filing number found on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IcpMention {
    /// Normalised, e.g. `京ICP备12345678号-3`.
    pub text: String,
    /// The subject number it belongs to.
    pub subject: String,
    pub site_suffix: Option<u32>,
    /// Inside an `<a>` whose href host is beian.miit.gov.cn.
    pub linked: bool,
    pub href: Option<String>,
    pub href_host: Option<String>,
    /// Linked to a retired MIIT host, which does not count.
    pub retired_link: bool,
    pub in_footer: bool,
    /// `text` (visible), `script` (only inside scripts) or `alt` (only in alt/title attributes).
    pub source: &'static str,
}

/// A public-security (公安备案) number found on the page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PsbMention {
    pub text: String,
    /// The 14 digits.
    pub code: String,
    /// Inside an `<a>` to beian.mps.gov.cn or www.beian.gov.cn.
    pub linked: bool,
    pub href: Option<String>,
    pub in_footer: bool,
    pub source: &'static str,
}

/// A licence number (ICP证 or B1/B2), kept apart from filing numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LicenseMention {
    pub text: String,
    /// `icp_license` or `telecom_license`.
    pub kind: &'static str,
    pub source: &'static str,
}

/// Everything the analysis found (the `check-page --json` object, design §4.4).
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageReport {
    pub title: Option<String>,
    pub icp_numbers: Vec<IcpMention>,
    pub psb_numbers: Vec<PsbMention>,
    pub license_numbers: Vec<LicenseMention>,
    pub findings: Vec<Finding>,
    /// The page nested elements deeper than [`MAX_DEPTH`] and was cut there before parsing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut_at_depth: bool,
}

/// Deepest element nesting parsed. HTML tree building costs time proportional to the depth for
/// every tag, so a hostile page of nested tags would cost minutes; real pages stay far below.
pub const MAX_DEPTH: usize = 512;

/// Elements that never nest: void elements, and those whose end tag is optional (sloppy pages
/// leave hundreds of `<p>` and `<li>` open; the parser closes them implicitly).
const NON_NESTING: [&str; 30] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "tbody", "thead", "tfoot", "colgroup", "html",
    "head", "body",
];

/// Cuts `html` at the first tag that opens deeper than `max_depth`, by a linear scan of the tags
/// (contents of script, style and comments skipped). Returns the part to parse and whether it was cut.
pub fn limit_nesting(html: &str, max_depth: usize) -> (&str, bool) {
    let b = html.as_bytes();
    let mut depth = 0usize;
    let mut i = 0;
    while let Some(off) = memchr_lt(&b[i..]) {
        let at = i + off;
        i = at + 1;
        if b[i..].starts_with(b"!--") {
            i = find(b, i, b"-->").map_or(b.len(), |e| e + 3);
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        let name_start = i + closing as usize;
        let name_len = b[name_start..].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
        if name_len == 0 {
            continue;
        }
        let name = html[name_start..name_start + name_len].to_ascii_lowercase();
        let tag_end = find(b, name_start, b">").unwrap_or(b.len());
        let self_closing = tag_end > 0 && b.get(tag_end - 1) == Some(&b'/');
        if NON_NESTING.contains(&name.as_str()) {
        } else if closing {
            depth = depth.saturating_sub(1);
        } else if !self_closing {
            depth += 1;
            if depth > max_depth {
                return (&html[..at], true);
            }
            if name == "script" || name == "style" || name == "textarea" || name == "title" {
                let end = format!("</{name}");
                i = find_ci(b, tag_end, end.as_bytes()).unwrap_or(b.len());
                continue;
            }
        }
        i = tag_end.max(i);
    }
    (html, false)
}

fn memchr_lt(b: &[u8]) -> Option<usize> {
    b.iter().position(|&c| c == b'<')
}

fn find(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w == needle).map(|p| p + from)
}

fn find_ci(hay: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    hay.get(from..)?.windows(needle.len()).position(|w| w.eq_ignore_ascii_case(needle)).map(|p| p + from)
}

/// A link on the page.
struct Link {
    href: String,
    host: Option<String>,
}

/// A run of visible text: from `start` (byte offset in the folded text) to the next run.
#[derive(Clone, Copy, PartialEq)]
struct Run {
    start: usize,
    link: Option<usize>,
    footer: bool,
}

/// The page's text, folded, with where each run of it sits.
#[derive(Default)]
struct Text {
    visible: String,
    runs: Vec<Run>,
    links: Vec<Link>,
    script: String,
    attributes: String,
}

const SKIPPED: [&str; 8] = ["script", "style", "noscript", "template", "head", "svg", "iframe", "object"];
const BLOCKS: [&str; 30] = [
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "section",
    "table", "tr",
];
const FOOTER_MARKS: [&str; 5] = ["footer", "foot", "bottom", "copyright", "beian"];

fn host_of(href: &str) -> Option<String> {
    let href = href.trim();
    let url = if href.starts_with("//") { url::Url::parse(&format!("http:{href}")) } else { url::Url::parse(href) };
    url.ok()?.host_str().map(|h| h.trim_end_matches('.').to_ascii_lowercase())
}

/// Per open element: what it changed, to undo on close.
struct Frame {
    skip: bool,
    script: bool,
    link: bool,
    footer: bool,
    block: bool,
}

fn collect(doc: &Html) -> Text {
    let mut t = Text::default();
    let mut frames: Vec<Frame> = Vec::new();
    let (mut skip, mut script, mut footer) = (0usize, 0usize, 0usize);
    let mut links: Vec<usize> = Vec::new();
    let push_text = |t: &mut Text, s: &str, link: Option<usize>, footer: bool| {
        let run = Run { start: t.visible.len(), link, footer };
        if t.runs.last().map(|r| (r.link, r.footer)) != Some((link, footer)) {
            t.runs.push(run);
        }
        t.visible.extend(s.chars().map(number::fold_char));
    };
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) => {
                    let name = el.name();
                    let is_skip = SKIPPED.contains(&name);
                    let is_script = name == "script";
                    let is_block = BLOCKS.contains(&name) || name == "td" || name == "th";
                    let marks = |v: Option<&str>| {
                        v.map(|v| {
                            let v = v.to_ascii_lowercase();
                            FOOTER_MARKS.iter().any(|m| v.contains(m))
                        })
                        .unwrap_or(false)
                    };
                    let is_footer = name == "footer" || marks(el.attr("id")) || marks(el.attr("class"));
                    let link = name == "a" && el.attr("href").is_some();
                    if link {
                        let href = el.attr("href").unwrap_or("").to_string();
                        t.links.push(Link { host: host_of(&href), href });
                        links.push(t.links.len() - 1);
                    }
                    for attr in ["alt", "title"] {
                        if let Some(v) = el.attr(attr) {
                            t.attributes.extend(v.chars().map(number::fold_char));
                            t.attributes.push('\n');
                        }
                    }
                    skip += is_skip as usize;
                    script += is_script as usize;
                    footer += is_footer as usize;
                    if is_block && skip == 0 {
                        t.visible.push('\n');
                    }
                    frames.push(Frame { skip: is_skip, script: is_script, link, footer: is_footer, block: is_block });
                }
                Node::Text(text) => {
                    if script > 0 {
                        t.script.extend(text.chars().map(number::fold_char));
                        t.script.push('\n');
                    } else if skip == 0 {
                        push_text(&mut t, text, links.last().copied(), footer > 0);
                    }
                }
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(_) = node.value() {
                    if let Some(f) = frames.pop() {
                        skip -= f.skip as usize;
                        script -= f.script as usize;
                        footer -= f.footer as usize;
                        if f.link {
                            links.pop();
                        }
                        if f.block && skip == 0 {
                            t.visible.push('\n');
                        }
                    }
                }
            }
        }
    }
    t
}

impl Text {
    /// The runs a byte range of the visible text overlaps.
    fn runs_over(&self, range: &Range<usize>) -> impl Iterator<Item = &Run> + '_ {
        let (start, end) = (range.start, range.end);
        let first = self.runs.partition_point(|r| r.start <= start).saturating_sub(1);
        self.runs[first..].iter().take_while(move |r| r.start < end)
    }

    fn in_footer(&self, range: &Range<usize>) -> bool {
        range.start * 10 >= self.visible.len() * 7 || self.runs_over(range).any(|r| r.footer)
    }

    /// The first link over the range whose host satisfies `want`, else the first link at all.
    fn link_over(&self, range: &Range<usize>, want: impl Fn(&str) -> bool) -> (Option<&Link>, bool) {
        let links: Vec<&Link> = self.runs_over(range).filter_map(|r| r.link).map(|i| &self.links[i]).collect();
        match links.iter().find(|l| l.host.as_deref().is_some_and(&want)) {
            Some(l) => (Some(*l), true),
            None => (links.first().copied(), false),
        }
    }
}

fn title_of(doc: &Html) -> Option<String> {
    let sel = scraper::Selector::parse("title").ok()?;
    let raw: String = doc.select(&sel).next()?.text().collect();
    let title = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then_some(title)
}

/// Folded, lower-cased, with every space and punctuation mark removed: the form titles and
/// filed names are compared in.
pub fn comparable(s: &str) -> String {
    number::fold(s).chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

fn icp_mention(n: &IcpNumber, link: Option<&Link>, linked: bool, in_footer: bool, source: &'static str) -> IcpMention {
    IcpMention {
        text: n.to_string(),
        subject: n.subject().to_string(),
        site_suffix: n.suffix,
        linked,
        href: link.map(|l| l.href.clone()),
        href_host: link.and_then(|l| l.host.clone()),
        retired_link: link.and_then(|l| l.host.as_deref()).is_some_and(|h| RETIRED_HOSTS.contains(&h)),
        in_footer,
        source,
    }
}

fn license_mention(l: &License, source: &'static str) -> LicenseMention {
    let kind = match l {
        License::Icp { .. } => "icp_license",
        License::Telecom { .. } => "telecom_license",
    };
    LicenseMention { text: l.to_string(), kind, source }
}

/// Analyses a page against what its filing says.
pub fn analyse(html: &str, expect: &PageExpect) -> PageReport {
    let (html, cut_at_depth) = limit_nesting(html, MAX_DEPTH);
    let doc = Html::parse_document(html);
    let text = collect(&doc);
    let mut report = PageReport { title: title_of(&doc), cut_at_depth, ..Default::default() };

    for (range, n) in number::find_icp_in_folded(&text.visible) {
        let (link, linked) = text.link_over(&range, |h| h == MIIT_HOST);
        report.icp_numbers.push(icp_mention(&n, link, linked, text.in_footer(&range), "text"));
    }
    for (source, hidden) in [("script", &text.script), ("alt", &text.attributes)] {
        for (_, n) in number::find_icp_in_folded(hidden) {
            let shown = n.to_string();
            if !report.icp_numbers.iter().any(|m| m.text == shown) {
                report.icp_numbers.push(icp_mention(&n, None, false, false, source));
            }
        }
    }
    for (range, p) in number::find_psb_in_folded(&text.visible) {
        let (link, linked) = text.link_over(&range, |h| PSB_HOSTS.contains(&h));
        report.psb_numbers.push(PsbMention {
            text: p.to_string(),
            code: p.code.clone(),
            linked,
            href: link.map(|l| l.href.clone()),
            in_footer: text.in_footer(&range),
            source: "text",
        });
    }
    for (_, p) in number::find_psb_in_folded(&text.attributes) {
        if !report.psb_numbers.iter().any(|m| m.code == p.code) {
            report.psb_numbers.push(PsbMention { text: p.to_string(), code: p.code, linked: false, href: None, in_footer: false, source: "alt" });
        }
    }
    for (_, l) in number::find_licenses_in_folded(&text.visible) {
        report.license_numbers.push(license_mention(&l, "text"));
    }

    report.findings = findings(&report, expect);
    report
}

/// The `page.*` findings for what was found.
fn findings(report: &PageReport, expect: &PageExpect) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(site) = expect.site_number.as_deref().and_then(number::parse_icp) {
        let shown: Vec<&IcpMention> = report.icp_numbers.iter().filter(|m| m.source == "text").collect();
        let acceptable: Vec<&&IcpMention> = shown
            .iter()
            .filter(|m| number::parse_icp(&m.text).is_some_and(|n| n.acceptable_for(&site)))
            .collect();
        if shown.is_empty() {
            let hidden: Vec<String> =
                report.icp_numbers.iter().filter(|m| m.source != "text").map(|m| format!("{} (only in {})", m.text, m.source)).collect();
            let detail = if hidden.is_empty() {
                format!("no ICP filing number on the homepage; expected {site}")
            } else {
                format!("no ICP filing number in the visible text; expected {site}; found {}", hidden.join(", "))
            };
            out.push(Finding::new(Code::PageNumberMissing, detail));
        } else if acceptable.is_empty() {
            let texts: Vec<&str> = shown.iter().map(|m| m.text.as_str()).collect();
            out.push(Finding::new(
                Code::PageNumberWrong,
                format!("the page shows {} but the filing is {site} (subject {})", texts.join(", "), site.subject()),
            ));
        } else if !acceptable.iter().any(|m| m.linked) {
            let retired = acceptable.iter().any(|m| m.retired_link);
            let detail = if retired {
                format!("{} is linked to a retired host instead of {MIIT_HOST}", acceptable[0].text)
            } else {
                format!("{} is shown but not linked to {MIIT_HOST}", acceptable[0].text)
            };
            out.push(Finding::new(Code::PageNumberUnlinked, detail));
        }
    }
    if let Some(name) = expect.site_name.as_deref().filter(|n| !comparable(n).is_empty()) {
        match &report.title {
            None => out.push(Finding::new(Code::PageTitleMismatch, format!("the page has no title; the filed website name is {name:?}"))),
            Some(t) if !comparable(t).contains(&comparable(name)) => out.push(Finding::new(
                Code::PageTitleMismatch,
                format!("the title {t:?} does not contain the filed website name {name:?}"),
            )),
            Some(_) => {}
        }
    }
    if let Some(psb) = expect.psb_number.as_deref() {
        let code = number::parse_psb(psb).map(|p| p.code).unwrap_or_else(|| psb.chars().filter(char::is_ascii_digit).collect());
        if !report.psb_numbers.iter().any(|m| m.source == "text" && m.code == code) {
            out.push(Finding::new(Code::PagePsbMissing, format!("the filing has public-security number {psb} and the page does not show it")));
        }
    }
    out
}

/// A plain-text rendering for `check-page` without `--json`.
pub fn render_text(r: &PageReport) -> String {
    let mut s = format!("title: {}\n", r.title.as_deref().unwrap_or("(none)"));
    let yes = |b: bool| if b { "yes" } else { "no" };
    for m in &r.icp_numbers {
        s.push_str(&format!(
            "ICP number: {} (subject {}), linked: {}{}, footer: {}, source: {}\n",
            m.text,
            m.subject,
            yes(m.linked),
            m.href.as_deref().map(|h| format!(" [{h}]")).unwrap_or_default(),
            yes(m.in_footer),
            m.source
        ));
    }
    for m in &r.psb_numbers {
        s.push_str(&format!("public-security number: {}, linked: {}, source: {}\n", m.text, yes(m.linked), m.source));
    }
    for m in &r.license_numbers {
        s.push_str(&format!("licence: {} ({})\n", m.text, m.kind));
    }
    if r.findings.is_empty() {
        s.push_str("findings: none\n");
    }
    for f in &r.findings {
        s.push_str(&format!("finding: {} — {}\n", f.code, f.detail));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expect(site: &str, name: &str, psb: Option<&str>) -> PageExpect {
        PageExpect { site_number: Some(site.into()), site_name: Some(name.into()), psb_number: psb.map(String::from) }
    }

    fn codes(r: &PageReport) -> Vec<&'static str> {
        r.findings.iter().map(|f| f.code.as_str()).collect()
    }

    /// A footer the way most Chinese company sites write it.
    const TYPICAL: &str = r#"<!DOCTYPE html><html><head><meta charset="utf-8"><title>首页 - 某某科技官网</title>
<script>var beian = "京ICP备99999999号-1";</script></head><body>
<div class="header"><a href="/">某某科技</a></div><div class="content"><p>产品介绍……</p></div>
<div class="footer"><p>©2024 某某科技有限公司 版权所有 <a href="https://beian.miit.gov.cn/" target="_blank">京ICP备12345678号-1</a>
<img src="ga.png"><a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010802020134" rel="noreferrer" target="_blank">京公网安备11010802020134号</a>
增值电信业务经营许可证：京B2-20201234 京ICP证030173号</p></div></body></html>"#;

    #[test]
    fn a_typical_compliant_footer() {
        let r = analyse(TYPICAL, &expect("京ICP备12345678号-1", "某某科技官网", Some("京公网安备11010802020134号")));
        assert_eq!(r.title.as_deref(), Some("首页 - 某某科技官网"));
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let n = &r.icp_numbers[0];
        assert_eq!((n.text.as_str(), n.subject.as_str(), n.site_suffix), ("京ICP备12345678号-1", "京ICP备12345678号", Some(1)));
        assert!(n.linked && n.in_footer && !n.retired_link);
        assert_eq!(n.href_host.as_deref(), Some("beian.miit.gov.cn"));
        assert_eq!(r.psb_numbers[0].code, "11010802020134");
        assert!(r.psb_numbers[0].linked);
        let licences: Vec<(&str, &str)> = r.license_numbers.iter().map(|l| (l.text.as_str(), l.kind)).collect();
        assert_eq!(licences, vec![("京B2-20201234", "telecom_license"), ("京ICP证030173号", "icp_license")]);
        // The number in the script is reported as such and does not count.
        assert!(r.icp_numbers.iter().any(|m| m.text == "京ICP备99999999号-1" && m.source == "script"));
    }

    #[test]
    fn numbers_split_over_tags_and_spelled_loosely() {
        let html = r#"<title>某某科技</title><footer><a href="http://beian.miit.gov.cn"><span>京ICP备</span><span>１２３４ ５６７８</span>－<b>2</b></a></footer>"#;
        let r = analyse(html, &expect("京ICP备12345678号-2", "某某科技", None));
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert_eq!(r.icp_numbers[0].text, "京ICP备12345678号-2");
        assert!(r.icp_numbers[0].linked);
    }

    #[test]
    fn the_subject_number_and_sibling_sites_are_accepted() {
        for shown in ["京ICP备12345678号", "京ICP备12345678号-7"] {
            let html = format!(r#"<title>某某科技</title><p><a href="//beian.miit.gov.cn/">{shown}</a></p>"#);
            let r = analyse(&html, &expect("京ICP备12345678号-1", "某某科技", None));
            assert!(r.findings.is_empty(), "{shown}: {:?}", r.findings);
        }
    }

    #[test]
    fn a_copied_template_number_is_wrong() {
        let html = r#"<title>某某科技</title><div id="foot"><a href="https://beian.miit.gov.cn">沪ICP备19000001号-1</a></div>"#;
        assert_eq!(codes(&analyse(html, &expect("京ICP备12345678号-1", "某某科技", None))), vec!["page.number_wrong"]);
    }

    #[test]
    fn unlinked_and_retired_links() {
        let plain = r#"<title>某某科技</title><div class="copyright">京ICP备12345678号-1</div>"#;
        assert_eq!(codes(&analyse(plain, &expect("京ICP备12345678号-1", "某某科技", None))), vec!["page.number_unlinked"]);
        let retired = r#"<title>某某科技</title><p><a href="http://www.miitbeian.gov.cn/">京ICP备12345678号-1</a></p>"#;
        let r = analyse(retired, &expect("京ICP备12345678号-1", "某某科技", None));
        assert_eq!(codes(&r), vec!["page.number_unlinked"]);
        assert!(r.icp_numbers[0].retired_link && !r.icp_numbers[0].linked);
        assert!(r.findings[0].detail.contains("retired"));
    }

    #[test]
    fn numbers_only_in_scripts_or_alt_text_are_missing() {
        let html = r#"<title>某某科技</title><body><img src="beian.png" alt="京ICP备12345678号-1"><script>document.write("京ICP备12345678号-1")</script></body>"#;
        let r = analyse(html, &expect("京ICP备12345678号-1", "某某科技", None));
        assert_eq!(codes(&r), vec!["page.number_missing"]);
        assert!(r.findings[0].detail.contains("only in"));
        let sources: Vec<&str> = r.icp_numbers.iter().map(|m| m.source).collect();
        assert_eq!(sources, vec!["script"], "one mention per number; the alt copy repeats it: {sources:?}");
    }

    #[test]
    fn licences_and_psb_numbers_are_not_filing_numbers() {
        let html = r#"<title>某某科技</title><footer>京ICP证030173号 京公网安备11010802020134号</footer>"#;
        let r = analyse(html, &expect("京ICP备12345678号-1", "某某科技", None));
        assert_eq!(codes(&r), vec!["page.number_missing"]);
        assert!(r.icp_numbers.is_empty());
    }

    #[test]
    fn titles_compare_after_normalising() {
        for (title, name, ok) in [
            ("首页 - 某某科技官网", "某某科技官网", true),
            ("ＡＢＣ 云·官网｜首页", "abc云官网", true),
            ("某某 科技：官网", "某某科技官网", true),
            ("Welcome to nginx!", "某某科技官网", false),
            ("某某科技", "某某科技官网", false),
        ] {
            let html = format!(r#"<title>{title}</title><p><a href="https://beian.miit.gov.cn">京ICP备12345678号-1</a></p>"#);
            let r = analyse(&html, &expect("京ICP备12345678号-1", name, None));
            assert_eq!(r.findings.is_empty(), ok, "{title} vs {name}: {:?}", r.findings);
        }
        let r = analyse("<p>no title</p>", &expect("京ICP备12345678号-1", "某某科技", None));
        assert!(codes(&r).contains(&"page.title_mismatch"));
    }

    #[test]
    fn psb_must_show_the_filed_code() {
        let html = r#"<title>某某科技</title><p><a href="https://beian.miit.gov.cn">京ICP备12345678号-1</a> 京公网安备11010802020999号</p>"#;
        let r = analyse(html, &expect("京ICP备12345678号-1", "某某科技", Some("京公网安备11010802020134号")));
        assert_eq!(codes(&r), vec!["page.psb_missing"]);
    }

    #[test]
    fn paragraphs_are_not_glued_together() {
        // The year in the next paragraph is not the number's suffix.
        let html = r#"<title>某某科技</title><p><a href="https://beian.miit.gov.cn">京ICP备12345678号</a></p><p>-2024 版权</p>"#;
        let r = analyse(html, &expect("京ICP备12345678号-1", "某某科技", None));
        assert_eq!(r.icp_numbers[0].site_suffix, None);
    }

    #[test]
    fn a_gbk_page_decodes_and_analyses() {
        let page = TYPICAL.replace("utf-8", "gbk");
        let bytes = encoding_rs::GBK.encode(&page).0.into_owned();
        let (html, _) = super::super::charset::decode_html(&bytes, None);
        let r = analyse(&html, &expect("京ICP备12345678号-1", "某某科技官网", Some("京公网安备11010802020134号")));
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }

    #[test]
    fn hostile_input_does_not_panic() {
        // 2 MB of nested tags would cost the tree builder minutes: the page is cut at MAX_DEPTH.
        let deep = "<div>".repeat(400_000) + "京ICP备12345678号-1";
        let r = analyse(&deep, &expect("京ICP备12345678号-1", "x", None));
        assert!(r.cut_at_depth);
        assert_eq!(codes(&r), vec!["page.number_missing", "page.title_mismatch"]);
        // Deep but legal nesting below the limit is read in full.
        let nested = "<span>".repeat(MAX_DEPTH - 10) + "<a href=\"https://beian.miit.gov.cn\">京ICP备12345678号-1</a>";
        let r = analyse(&nested, &expect("京ICP备12345678号-1", "x", None));
        assert!(!r.cut_at_depth && r.icp_numbers[0].linked);
        for junk in ["", "<", "<a href=", "\u{0}\u{feff}<title>\u{202e}</title>", "<a href=\"http://[::1\">京ICP备12345678号-1</a>"] {
            let _ = analyse(junk, &expect("京ICP备12345678号-1", "x", Some("nonsense")));
        }
    }

    #[test]
    fn sloppy_pages_are_not_cut() {
        let sloppy = "<ul>".to_string() + &"<li><p>新闻".repeat(5000) + "</ul><footer><a href=\"https://beian.miit.gov.cn\">京ICP备12345678号-1</a></footer>";
        assert!(!limit_nesting(&sloppy, MAX_DEPTH).1);
        let scripted = format!("<script>{}</script><p>x</p>", "<div>".repeat(10_000));
        assert!(!limit_nesting(&scripted, MAX_DEPTH).1);
        let commented = format!("<!--{}--><p>x</p>", "<div>".repeat(10_000));
        assert!(!limit_nesting(&commented, MAX_DEPTH).1);
        assert!(limit_nesting(&"<div>".repeat(MAX_DEPTH + 1), MAX_DEPTH).1);
    }

    #[test]
    fn nothing_is_expected_without_a_filing() {
        let r = analyse("<title>t</title>", &PageExpect::default());
        assert!(r.findings.is_empty());
    }
}
