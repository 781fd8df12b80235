//! Page analysis, a pure function of (page, expectations) → evidence and findings: the title, the
//! ICP filing numbers in the visible text (found even when split over tags or spelled loosely),
//! whether each is linked to `beian.miit.gov.cn`, public-security and licence numbers, numbers
//! that only appear in scripts or image alt text, and the `page.*` findings of design §4.5.
//!
//! The visible text is collected in one iterative pass over the parsed document (no recursion, so
//! hostile nesting cannot exhaust the stack), folded character by character (see
//! [`number::fold_char`]) and mapped back to the `<a href>` and footer region each run of text sits
//! in. Block elements end a run with a line break, so numbers are not glued across paragraphs. Only
//! an href counts as a link's target; for one that leads nowhere by itself (`javascript:;`, `#`)
//! the URL its script opens (`onclick="window.open('https://beian.miit.gov.cn/')"`) is recorded as
//! evidence, so that the notice can say what to change.
//!
//! Text that is on the page but hidden from visitors does not count as shown: an element's own
//! markup hides it (the `hidden` attribute, an inline `display:none` or `visibility:hidden`), or
//! a simple rule of the page's own `<style>` elements does (`.beian{display:none}` over
//! `<div class="beian">`), judged by [`sheet`] only where no rule on the page could show it again.
//! Linked stylesheets and scripts are not judged.
//!
//! Footer heuristic: text is in the footer when it sits inside `<footer>`, or inside an element
//! whose id or class contains `footer`, `foot`, `bottom`, `copyright` or `beian`, and not inside
//! an `<article>` or `<aside>` (whose footers are their own); or when it is in the last 30% of
//! the visible text, or at most [`FOOTER_TAIL_BYTES`] before its end.

use crate::finding::{Code, Finding};
use crate::number::{self, IcpNumber, License};
use sheet::Sheet;
use ego_tree::iter::Edge;
use scraper::{Html, Node};
use serde::Serialize;
use std::borrow::Cow;
use std::ops::Range;

/// The MIIT filing system's host: the only link target that counts (design §1).
pub const MIIT_HOST: &str = "beian.miit.gov.cn";
/// Hosts retired on 2019-04-25: a link to them is recorded and does not count.
pub const RETIRED_HOSTS: [&str; 4] = ["www.miitbeian.gov.cn", "miitbeian.gov.cn", "www.miibeian.gov.cn", "miibeian.gov.cn"];
/// The public-security filing portal, old and new.
pub const PSB_HOSTS: [&str; 2] = ["beian.mps.gov.cn", "www.beian.gov.cn"];

mod sheet;

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
    /// When the link's href leads nowhere by itself (`javascript:…`, `#`): the URL its script
    /// opens on a click (a `javascript:` href's, else its `onclick`'s), as in footers written
    /// `<a href="javascript:;" onclick="window.open('https://beian.miit.gov.cn/')">`. Evidence for
    /// the notice only: such a link has no href host, and does not count as linked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_url: Option<String>,
    /// Linked to a retired MIIT host, which does not count.
    pub retired_link: bool,
    pub in_footer: bool,
    /// `text` (visible), `script` (only inside scripts), `hidden` (only in text its own markup
    /// hides — the `hidden` attribute, inline `display:none` or `visibility:hidden` — or a simple
    /// rule of the page's own `<style>` elements hides, see [`hides`]) or `alt` (only in alt/title
    /// attributes).
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
    /// As [`IcpMention::script_url`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub script_url: Option<String>,
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
    /// The page was cut before parsing where its tree would outgrow the bounds of [`limit_nesting`] (nesting deeper than [`MAX_DEPTH`], or formatting elements left open).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cut_at_depth: bool,
}

/// Deepest element nesting parsed. HTML tree building costs time proportional to the depth for
/// every tag, so a hostile page of nested tags would cost minutes; real pages stay far below.
pub const MAX_DEPTH: usize = 512;

/// Elements that never nest: void elements, and those whose end tag is optional (sloppy pages
/// leave hundreds of `<li>` open; the parser closes them implicitly). `optgroup` is not one:
/// outside a `select` the parser nests it. Nor is `p`, which [`limit_nesting`] closes as the
/// parser does, with the formatting elements left open inside it.
#[cfg_attr(not(test), allow(dead_code))]
const NON_NESTING: [&str; 28] = [
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track", "wbr",
    "li", "dt", "dd", "tr", "td", "th", "option", "tbody", "thead", "tfoot", "colgroup", "html", "head", "body",
];

/// Elements that keep an open `p` from being closed by a later `<p>` or block (the parser's
/// button scope, with svg and math for their scope-bounding children).
const P_SCOPE_BOUNDS: [&str; 11] = ["applet", "button", "caption", "html", "marquee", "math", "object", "svg", "table", "template", "td"];

/// The most formatting elements (`b`, `font`, `a`, …) left open that the full parser is given:
/// it re-creates every one of them in each block that follows.
pub const MAX_OPEN_FORMATTING: usize = 64;

/// The most elements the full parser may be made to re-create for formatting elements left open
/// (estimated: the open ones, once for each text that follows). Real pages close what they open,
/// or leave a few identical ones open; a page built to make the parser re-create hundreds of
/// elements per paragraph would cost gigabytes.
pub const MAX_REBUILT: usize = 200_000;

/// Cuts `html` where the full parser's tree would grow past its bounds, by a linear scan of the
/// tags (contents of script, style and comments skipped), modelling the open elements as the
/// parser keeps them: at the first tag that opens deeper than `max_depth`, or where formatting
/// elements left open exceed [`MAX_OPEN_FORMATTING`] or [`MAX_REBUILT`]. Returns the part to parse
/// and whether it was cut.
///
/// The model errs towards more open elements: `<div/>` opens a `div` (only foreign elements close
/// themselves), an end tag closes only an element that is open (`</b>` with no `b` is ignored),
/// and an end tag of a formatting element closes it only when nothing but formatting elements
/// was opened inside it (else the parser's adoption agency keeps the inner blocks open).
pub fn limit_nesting(html: &str, max_depth: usize) -> (&str, bool) {
    let b = html.as_bytes();
    // The counted open elements, by name as written.
    let mut open: Vec<&[u8]> = Vec::new();
    // Formatting elements not closed by their own end tag, (name, attributes) as written: the
    // parser's list of active formatting elements, which keeps at most three identical ones.
    let mut formatting: Vec<(&[u8], &[u8])> = Vec::new();
    let mut rebuilt = 0usize;
    let mut i = 0;
    // Every position `i` takes is a char boundary: just past a `<`, at a `<` or `>`, or the end.
    while let Some(off) = find_byte(&b[i..], b'<') {
        let at = i + off;
        if !formatting.is_empty() && b[i..at].iter().any(|c| !c.is_ascii_whitespace()) {
            rebuilt += formatting.len();
            if rebuilt > MAX_REBUILT {
                return (&html[..at], true);
            }
        }
        i = at + 1;
        if b[i..].starts_with(b"!--") {
            i = memchr::memmem::find(&b[i..], b"-->").map_or(b.len(), |e| i + e + 3);
            continue;
        }
        let closing = b.get(i) == Some(&b'/');
        let name_start = i + closing as usize;
        let name_len = b[name_start..].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
        if name_len == 0 {
            continue;
        }
        let name = &b[name_start..name_start + name_len];
        let tag_end = find_byte(&b[name_start..], b'>').map_or(b.len(), |e| name_start + e);
        let self_closing = tag_end > 0 && b.get(tag_end - 1) == Some(&b'/');
        let class = fast::class_of(name);
        let is_formatting = |n: &[u8]| fast::class_of(n) & (fast::FMT | fast::A) != 0 || n.eq_ignore_ascii_case(b"nobr");
        let is_foreign = |n: &[u8]| n.eq_ignore_ascii_case(b"svg") || n.eq_ignore_ascii_case(b"math");
        if !closing && class & (fast::P | fast::PCLOSE) != 0 {
            // `<p>` and blocks such as `<div>` close an open `p` (and what is open inside it).
            if let Some(pos) = open.iter().rposition(|o| o.eq_ignore_ascii_case(b"p")) {
                if !open[pos + 1..].iter().any(|o| P_SCOPE_BOUNDS.iter().any(|s| o.eq_ignore_ascii_case(s.as_bytes()))) {
                    open.truncate(pos);
                }
            }
        }
        if class & fast::NONNEST != 0 {
        } else if closing {
            if let Some(pos) = open.iter().rposition(|o| o.eq_ignore_ascii_case(name)) {
                if !is_formatting(name) || open[pos + 1..].iter().all(|o| is_formatting(o)) {
                    open.truncate(pos);
                }
            }
            if is_formatting(name) {
                if let Some(pos) = formatting.iter().rposition(|(n, _)| n.eq_ignore_ascii_case(name)) {
                    formatting.remove(pos);
                }
            }
        } else if !(self_closing && open.iter().any(|o| is_foreign(o))) {
            // Inside svg or math, `/>` closes an element; in HTML it is ignored.
            open.push(name);
            if open.len() > max_depth {
                return (&html[..at], true);
            }
            if is_formatting(name) {
                let attrs = &b[name_start + name_len..tag_end];
                let same = |(n, a): &&(&[u8], &[u8])| n.eq_ignore_ascii_case(name) && *a == attrs;
                if formatting.iter().filter(same).count() >= 3 {
                    let first = formatting.iter().position(|e| same(&e)).expect("counted");
                    formatting.remove(first);
                }
                formatting.push((name, attrs));
                if formatting.len() > MAX_OPEN_FORMATTING {
                    return (&html[..at], true);
                }
            }
            if class & fast::LIMIT_RAW != 0 {
                i = find_end_tag_ci(html, tag_end, name).unwrap_or(b.len());
                continue;
            }
        }
        i = tag_end.max(i);
    }
    (html, false)
}

/// The position of the first `needle` byte in `hay` (memchr: SIMD where the CPU has it).
#[inline]
fn find_byte(hay: &[u8], needle: u8) -> Option<usize> {
    memchr::memchr(needle, hay)
}

/// The first `</NAME` (ASCII case-insensitive) at or after `from`, a char boundary.
fn find_end_tag_ci(html: &str, from: usize, name: &[u8]) -> Option<usize> {
    let b = html.as_bytes();
    let mut j = from;
    while let Some(off) = find_byte(&b[j..], b'<') {
        let p = j + off;
        if b.get(p + 1) == Some(&b'/') && b.get(p + 2..p + 2 + name.len()).is_some_and(|n| n.eq_ignore_ascii_case(name)) {
            return Some(p);
        }
        j = p + 1;
    }
    None
}

/// A link on the page: an `<a>` with an href, and its onclick (borrowed from the page, or decoded
/// when they held references).
#[derive(Debug, PartialEq)]
struct Link<'a> {
    href: Cow<'a, str>,
    onclick: Option<Cow<'a, str>>,
}

impl Link<'_> {
    /// The host the link points at, lower-cased (worked out only for links over a number).
    fn host(&self) -> Option<String> {
        host_of(&self.href)
    }

    /// The URL a click runs a script to open, when the href leads nowhere by itself: the script
    /// of a `javascript:` href (percent-decoded, as browsers run it), else the onclick of a
    /// `javascript:`, empty or `#…` href.
    fn script_url(&self) -> Option<String> {
        let href = self.href.trim_matches(|c: char| c <= ' ');
        let javascript = href.get(..11).filter(|scheme| scheme.eq_ignore_ascii_case("javascript:")).map(|_| &href[11..]);
        if javascript.is_none() && !(href.is_empty() || href.starts_with('#')) {
            return None;
        }
        javascript
            .and_then(|script| script_opens(&percent_encoding::percent_decode_str(script).decode_utf8_lossy()))
            .or_else(|| self.onclick.as_deref().and_then(script_opens))
    }
}

/// Where a link's script sends the browser: the first string literal passed to `open(…)`,
/// `location.assign(…)` or `location.replace(…)`, or assigned to `location` or an `href`
/// (`window.open('https://beian.miit.gov.cn/')`, `location.href="…"`). Other scripts lead nowhere
/// we can tell without running them.
fn script_opens(script: &str) -> Option<String> {
    static NAVIGATES: once_cell::sync::Lazy<regex::Regex> = once_cell::sync::Lazy::new(|| {
        regex::Regex::new(
            r#"(?:\bopen|\blocation\s*\.\s*(?:assign|replace))\s*\(\s*(?:"([^"]*)"|'([^']*)'|`([^`]*)`)|\b(?:location|href)\s*=\s*(?:"([^"]*)"|'([^']*)'|`([^`]*)`)"#,
        )
        .expect("script navigation regex")
    });
    let caps = NAVIGATES.captures(script)?;
    caps.iter().skip(1).flatten().next().map(|m| m.as_str().trim().to_string())
}

/// A run of visible text: from `start` (byte offset in the folded text) to the next run.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    start: usize,
    link: Option<usize>,
    footer: bool,
}

/// The page's text, folded, with where each run of it sits.
#[derive(Debug, Default, PartialEq)]
struct Text<'a> {
    visible: String,
    runs: Vec<Run>,
    links: Vec<Link<'a>>,
    script: String,
    attributes: String,
    /// Text of elements their own markup or the page's style rules hide ([`hides`]): on the page,
    /// but not shown.
    hidden: String,
}

/// Whether an `<input>` of this `type` shows its `value` as its text: a button's label (button,
/// submit or reset); other inputs' values are form data, not page text.
/// The keyword is matched whole, as browsers match it (`type=" submit "` is a text field).
fn shows_value(kind: &str) -> bool {
    ["button", "submit", "reset"].iter().any(|k| kind.eq_ignore_ascii_case(k))
}

/// Whether an element's own markup hides it from view: the `hidden` attribute, or an inline
/// style with `display:none` or `visibility:hidden` (a footer number tucked away so: shown to
/// the scanner, not to visitors). Both collectors also hide an element that a simple rule of the
/// page's own `<style>` elements hides (`.beian{display:none}`, `#icp{visibility:hidden}`), by
/// [`Sheet::hides`], when no rule on the page and no inline style could show it again (the exact
/// rule is in [`sheet`]'s doc). Linked stylesheets and scripts cannot be judged from the page
/// alone.
fn hides(hidden_attribute: bool, style: Option<&str>) -> bool {
    hidden_attribute || style.is_some_and(style_hides)
}

/// Whether an inline style hides its element: `display:none` or `visibility:hidden`.
fn style_hides(style: &str) -> bool {
    let s: String = style.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    s.split(';').any(|d| matches!(d.trim_end_matches("!important"), "display:none" | "visibility:hidden"))
}

const SKIPPED: [&str; 8] = ["script", "style", "noscript", "template", "head", "svg", "iframe", "object"];
const BLOCKS: [&str; 42] = [
    "address", "article", "aside", "blockquote", "br", "caption", "center", "dd", "details", "dir", "div", "dl",
    "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hgroup", "hr", "legend", "li", "listing", "main", "menu", "nav", "ol", "p", "pre", "search", "section",
    "summary", "table", "tr", "ul",
];
/// Text this close to the end of the visible text is at the bottom of the page, however short the
/// page (about two lines of Chinese: a copyright line after the number).
const FOOTER_TAIL_BYTES: usize = 256;
const FOOTER_MARKS: [&str; 5] = ["footer", "foot", "bottom", "copyright", "beian"];
/// Elements whose footer is their own, not the page's: a `<footer>` (or a footer-marked element)
/// inside an article or aside is a card's or a post's (HTML's sectioning content; `section` and
/// `nav` are left out, as templates wrap whole pages in them).
const SECTIONED: [&str; 2] = ["article", "aside"];

/// The host a link leads to: of an http(s) or scheme-relative URL only (`hhttps://beian.miit.gov.cn/`,
/// a typo, leads nowhere).
fn host_of(href: &str) -> Option<String> {
    // As the URL standard does: only C0 controls and spaces are stripped (an href led by U+3000
    // is a relative path on the site's own host).
    let href = href.trim_matches(|c: char| c <= ' ');
    let url = if href.starts_with("//") { url::Url::parse(&format!("http:{href}")) } else { url::Url::parse(href) };
    let url = url.ok().filter(|u| matches!(u.scheme(), "http" | "https"))?;
    url.host_str().map(|h| h.trim_end_matches('.').to_ascii_lowercase())
}

/// Per open element: what it changed, to undo on close.
struct Frame {
    skip: bool,
    script: bool,
    link: bool,
    footer: bool,
    block: bool,
    hidden: bool,
    sectioned: bool,
    shadow: bool,
}

/// The hiding rules of a parsed page's `<style>` elements (HTML or SVG, not in a template: a
/// template's are inert, a shadow root's its own); `page` is the page it was parsed from.
fn sheet_of(doc: &Html, page: &str) -> Sheet {
    let mut styles: Vec<(String, bool)> = Vec::new();
    let mut templates = 0usize;
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) if el.name() == "template" => templates += 1,
                Node::Element(el) if el.name() == "style" && templates == 0 => {
                    let text: String = node.children().filter_map(|c| c.value().as_text().map(|t| &**t)).collect();
                    styles.push((text, sheet::unconditional(el.attr("media"), el.attr("type"), el.attr("title"))));
                }
                _ => {}
            },
            Edge::Close(node) => {
                if node.value().as_element().is_some_and(|el| el.name() == "template") {
                    templates -= 1;
                }
            }
        }
    }
    Sheet::build(&styles, page)
}

fn collect<'a>(doc: &'a Html, sheet: &Sheet) -> Text<'a> {
    let mut t = Text::default();
    let mut frames: Vec<Frame> = Vec::new();
    let (mut skip, mut script, mut footer, mut hidden, mut sectioned) = (0usize, 0usize, 0usize, 0usize, 0usize);
    // Inside a declarative shadow root, which the page's own style rules do not reach.
    let mut shadow = 0usize;
    let mut links: Vec<usize> = Vec::new();
    // Text where it sits: in a script, hidden, skipped, or shown (in its link and footer).
    let text_node = |t: &mut Text, s: &str, (skip, script, hidden): (usize, usize, usize), link: Option<usize>, footer: bool| {
        if script > 0 {
            number::push_folded(&mut t.script, s);
            t.script.push('\n');
        } else if skip == 0 && hidden > 0 {
            number::push_folded(&mut t.hidden, s);
        } else if skip == 0 {
            if t.runs.last().map(|r| (r.link, r.footer)) != Some((link, footer)) {
                t.runs.push(Run { start: t.visible.len(), link, footer });
            }
            number::push_folded(&mut t.visible, s);
        }
    };
    for edge in doc.tree.root().traverse() {
        match edge {
            Edge::Open(node) => match node.value() {
                Node::Element(el) => {
                    let name = el.name();
                    // A declarative shadow root (`<template shadowrootmode=open>`) is rendered, as
                    // browsers render it without scripts; any other template is inert.
                    let shadow_root = name == "template"
                        && el.attr("shadowrootmode").is_some_and(|m| m.eq_ignore_ascii_case("open") || m.eq_ignore_ascii_case("closed"));
                    let is_skip = SKIPPED.contains(&name) && !shadow_root;
                    let is_script = name == "script";
                    let is_block = BLOCKS.contains(&name) || name == "td" || name == "th";
                    let marks = |v: Option<&str>| {
                        v.map(|v| {
                            let v = v.to_ascii_lowercase();
                            FOOTER_MARKS.iter().any(|m| v.contains(m))
                        })
                        .unwrap_or(false)
                    };
                    let is_footer = sectioned == 0 && (name == "footer" || marks(el.attr("id")) || marks(el.attr("class")));
                    let is_sectioned = SECTIONED.contains(&name);
                    let link = name == "a" && el.attr("href").is_some();
                    if link {
                        t.links.push(Link { href: Cow::Borrowed(el.attr("href").unwrap_or("")), onclick: el.attr("onclick").map(Cow::Borrowed) });
                        links.push(t.links.len() - 1);
                    }
                    for attr in ["alt", "title"] {
                        if let Some(v) = el.attr(attr) {
                            number::push_folded(&mut t.attributes, v);
                            t.attributes.push('\n');
                        }
                    }
                    let is_hidden = hides(el.attr("hidden").is_some(), el.attr("style"))
                        || (shadow == 0 && !sheet.is_empty() && sheet.hides(name, el.attr("id"), el.attr("class"), el.attr("style").is_some_and(sheet::style_shows)));
                    shadow += shadow_root as usize;
                    skip += is_skip as usize;
                    script += is_script as usize;
                    footer += is_footer as usize;
                    hidden += is_hidden as usize;
                    sectioned += is_sectioned as usize;
                    // A line break is a space in the text (a number may wrap over one), the end or
                    // start of a block a separation no number runs across.
                    let is_break = name == "br";
                    if is_block && skip == 0 {
                        t.visible.push(if is_break { ' ' } else { '\n' });
                    }
                    if let Some(v) = el.attr("value").filter(|_| name == "input" && el.attr("type").is_some_and(shows_value)) {
                        text_node(&mut t, v, (skip, script, hidden), links.last().copied(), footer > 0);
                    }
                    frames.push(Frame {
                        skip: is_skip,
                        script: is_script,
                        link,
                        footer: is_footer,
                        block: is_block && !is_break,
                        hidden: is_hidden,
                        sectioned: is_sectioned,
                        shadow: shadow_root,
                    });
                }
                Node::Text(text) => text_node(&mut t, text, (skip, script, hidden), links.last().copied(), footer > 0),
                _ => {}
            },
            Edge::Close(node) => {
                if let Node::Element(_) = node.value() {
                    if let Some(f) = frames.pop() {
                        skip -= f.skip as usize;
                        script -= f.script as usize;
                        footer -= f.footer as usize;
                        hidden -= f.hidden as usize;
                        sectioned -= f.sectioned as usize;
                        shadow -= f.shadow as usize;
                        if f.hidden && skip == 0 {
                            t.hidden.push('\n');
                        }
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

impl Text<'_> {
    /// The runs a byte range of the visible text overlaps.
    fn runs_over(&self, range: &Range<usize>) -> impl Iterator<Item = &Run> + '_ {
        let (start, end) = (range.start, range.end);
        let first = self.runs.partition_point(|r| r.start <= start).saturating_sub(1);
        self.runs[first..].iter().take_while(move |r| r.start < end)
    }

    fn in_footer(&self, range: &Range<usize>) -> bool {
        range.start * 10 >= self.visible.len() * 7 || self.visible.len() - range.end <= FOOTER_TAIL_BYTES || self.runs_over(range).any(|r| r.footer)
    }

    /// The first link over the range whose host satisfies `want`, else the first link at all,
    /// with its host; and whether it is one that satisfies `want`.
    fn link_over(&self, range: &Range<usize>, want: impl Fn(&str) -> bool) -> (Option<(&Link<'_>, Option<String>)>, bool) {
        let mut first = None;
        for link in self.runs_over(range).filter_map(|r| r.link).map(|i| &self.links[i]) {
            let host = link.host();
            if host.as_deref().is_some_and(&want) {
                return (Some((link, host)), true);
            }
            first = first.or(Some((link, host)));
        }
        (first, false)
    }
}

fn title_of(doc: &Html) -> Option<String> {
    let sel = scraper::Selector::parse("title").ok()?;
    // The document's title is an HTML element: an svg icon's <title> is the icon's tooltip.
    let html_ns = "http://www.w3.org/1999/xhtml";
    let raw: String = doc.select(&sel).find(|e| &*e.value().name.ns == html_ns)?.text().collect();
    let title = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    (!title.is_empty()).then_some(title)
}

/// Folded, lower-cased, with every space and punctuation mark removed: the form titles and
/// filed names are compared in.
pub fn comparable(s: &str) -> String {
    number::fold(s).chars().filter(|c| c.is_alphanumeric()).flat_map(char::to_lowercase).collect()
}

/// Whether the title contains the filed name, compared as [`comparable`], and failing that with
/// traditional characters simplified: a site that titles its homepage 「雲端科技官網」 shows the
/// filed name 「云端科技官网」, as its footer's `備`/`號` show a filing number. (Simplifying
/// costs more than the rest of the comparison, and is rarely needed.)
fn title_shows(title: &str, name: &str) -> bool {
    let (title, name) = (comparable(title), comparable(name));
    title.contains(&name) || simplet2s::convert(&title).contains(&simplet2s::convert(&name))
}

fn icp_mention(n: &IcpNumber, link: Option<(&Link<'_>, Option<String>)>, linked: bool, in_footer: bool, source: &'static str) -> IcpMention {
    let (link, host) = link.unzip();
    let host = host.flatten();
    IcpMention {
        text: n.to_string(),
        subject: n.subject().to_string(),
        site_suffix: n.suffix,
        linked,
        href: link.map(|l| l.href.to_string()),
        script_url: link.and_then(Link::script_url),
        retired_link: host.as_deref().is_some_and(|h| RETIRED_HOSTS.contains(&h)),
        href_host: host,
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

/// Where a number that is not in the visible text was found, for a finding's detail.
fn where_hidden_zh(source: &str) -> &'static str {
    match source {
        "script" => "仅出现在脚本中",
        "alt" => "仅出现在图片的替代文字或提示文字中",
        "hidden" => "仅出现在被页面标记或样式隐藏的文字中",
        _ => "仅出现在可见文字以外",
    }
}

fn where_hidden(source: &str) -> &'static str {
    match source {
        "script" => "in a script",
        "alt" => "in image alt or title text",
        "hidden" => "in text its markup or the page's own style rules hide (hidden, display:none, visibility:hidden)",
        _ => "outside the visible text",
    }
}

/// Analyses a page against what its filing says.
pub fn analyse(html: &str, expect: &PageExpect) -> PageReport {
    // The single-pass collector needs no depth limit (it builds no tree, and gives up on a page
    // nested deeper than MAX_DEPTH); the tree builder does, so only its path cuts the page first.
    // The collected text borrows link targets from the preprocessed page or the parsed tree.
    let preprocessed = fast::preprocess(html);
    let doc;
    let (text, title, cut_at_depth) = match fast::collect(&preprocessed) {
        Some((text, title)) => (text, title, false),
        None => {
            let (html, cut) = limit_nesting(html, MAX_DEPTH);
            doc = Html::parse_document(html);
            // Style rules past the cut are not seen, and one of them might show an element again.
            let sheet = if cut { Sheet::default() } else { sheet_of(&doc, html) };
            (collect(&doc, &sheet), title_of(&doc), cut)
        }
    };
    let mut report = PageReport { title, cut_at_depth, ..Default::default() };

    for (range, n) in number::find_icp_in_folded(&text.visible) {
        let (link, linked) = text.link_over(&range, |h| h == MIIT_HOST);
        report.icp_numbers.push(icp_mention(&n, link, linked, text.in_footer(&range), "text"));
    }
    // Numbers seen so far, so that one repeated in scripts or alt text is reported once (a set:
    // a script can hold a hundred thousand of them).
    let not_shown = [("script", &text.script), ("hidden", &text.hidden), ("alt", &text.attributes)];
    let mut seen: std::collections::HashSet<String> = report.icp_numbers.iter().map(|m| m.text.clone()).collect();
    for (source, hidden) in not_shown {
        for (_, n) in number::find_icp_in_folded(hidden) {
            if seen.insert(n.to_string()) {
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
            href: link.as_ref().map(|(l, _)| l.href.to_string()),
            script_url: link.and_then(|(l, _)| l.script_url()),
            in_footer: text.in_footer(&range),
            source: "text",
        });
    }
    let mut seen: std::collections::HashSet<String> = report.psb_numbers.iter().map(|m| m.code.clone()).collect();
    for (source, hidden) in not_shown {
        for (_, p) in number::find_psb_in_folded(hidden) {
            if seen.insert(p.code.clone()) {
                report.psb_numbers.push(PsbMention { text: p.to_string(), code: p.code, linked: false, href: None, script_url: None, in_footer: false, source });
            }
        }
    }
    for (_, l) in find_in_stretches(&text.visible, &["ICP", "B1", "B2"], number::find_licenses_in_folded) {
        report.license_numbers.push(license_mention(&l, "text"));
    }

    report.findings = findings(&report, expect);
    report
}

/// Characters a filing, public-security or licence number can be written with (in folded text):
/// province characters, digits (the patterns' `\d` is Unicode), the letters and words of the
/// patterns, spaces, hyphens and the dot of `B1.B2`.
fn may_be_in_number(c: char) -> bool {
    c.is_ascii_digit()
        || matches!(c, ' ' | '-' | ':' | '.' | 'I' | 'C' | 'P' | 'B' | '备' | '证' | '号' | '公' | '网' | '安' | '備' | '證' | '號' | '網')
        || (!c.is_ascii() && (c.is_numeric() || number::PROVINCES.contains(c)))
}

/// `find` over only the stretches of `text` that can hold a match: the longest runs of
/// [`may_be_in_number`] characters around each occurrence of an anchor (every match contains
/// one; anchors start with an ASCII byte). The matches, with their ranges in `text`, are those of `find(text)`, since the patterns
/// have no assertions and no match can cross a character outside the runs; scanning a 40 KB
/// homepage with an unanchored pattern costs more than the rest of the analysis.
fn find_in_stretches<T>(text: &str, anchors: &[&str], find: impl Fn(&str) -> Vec<(Range<usize>, T)>) -> Vec<(Range<usize>, T)> {
    let b = text.as_bytes();
    let mut at: Vec<usize> = Vec::new();
    for anchor in anchors {
        let mut from = 0;
        while let Some(off) = find_byte(&b[from..], anchor.as_bytes()[0]) {
            let p = from + off;
            if b[p..].starts_with(anchor.as_bytes()) {
                at.push(p);
            }
            from = p + 1;
        }
    }
    at.sort_unstable();
    let mut out = Vec::new();
    let mut done = 0;
    for p in at {
        if p < done {
            continue;
        }
        let start = text[..p].char_indices().rev().take_while(|(_, c)| may_be_in_number(*c)).last().map_or(p, |(i, _)| i);
        let end = text[p..].char_indices().find(|(_, c)| !may_be_in_number(*c)).map_or(text.len(), |(i, _)| p + i);
        out.extend(find(&text[start..end]).into_iter().map(|(r, m)| (r.start + start..r.end + start, m)));
        done = end;
    }
    out
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
            let hidden_ones = report.icp_numbers.iter().filter(|m| m.source != "text");
            let hidden: Vec<String> = hidden_ones.clone().map(|m| format!("{} (only {})", m.text, where_hidden(m.source))).collect();
            let hidden_zh: Vec<String> = hidden_ones.map(|m| format!("{}（{}）", m.text, where_hidden_zh(m.source))).collect();
            let (detail, detail_zh) = if hidden.is_empty() {
                (format!("no ICP filing number on the homepage; expected {site}"), format!("首页没有 ICP 备案号；应为 {site}"))
            } else {
                (
                    format!("no ICP filing number in the visible text; expected {site}; found {}", hidden.join(", ")),
                    format!("首页可见文字中没有 ICP 备案号，应为 {site}；找到 {}", hidden_zh.join("、")),
                )
            };
            out.push(Finding::new(Code::PageNumberMissing, detail).zh(detail_zh));
        } else if acceptable.is_empty() {
            let texts: Vec<&str> = shown.iter().map(|m| m.text.as_str()).collect();
            out.push(
                Finding::new(Code::PageNumberWrong, format!("the page shows {} but the filing is {site} (subject {})", texts.join(", "), site.subject()))
                    .zh(format!("页面显示 {}，但本网站的备案号为 {site}（主体备案号 {}）", texts.join("、"), site.subject())),
            );
        } else if !acceptable.iter().any(|m| m.linked) {
            let retired = acceptable.iter().any(|m| m.retired_link);
            let text = &acceptable[0].text;
            let (detail, detail_zh) = if retired {
                (format!("{text} is linked to a retired host instead of {MIIT_HOST}"), format!("{text} 链接到已停用的旧地址，而不是 {MIIT_HOST}"))
            } else {
                let by_script = acceptable.iter().find_map(|m| m.script_url.as_ref().filter(|u| host_of(u).as_deref() == Some(MIIT_HOST)));
                match by_script {
                    Some(url) => (
                        format!(
                            "{text} is shown but not linked to {MIIT_HOST}: its link opens {url} only from a script, which a crawler or a browser without scripts does not follow; its href must point there"
                        ),
                        format!("{text} 已显示，但没有链接到 {MIIT_HOST}：其链接只通过脚本打开 {url}，搜索引擎和不运行脚本的浏览器不会跟随；链接的 href 必须直接指向该地址"),
                    ),
                    None => (format!("{text} is shown but not linked to {MIIT_HOST}"), format!("{text} 已显示，但没有链接到 {MIIT_HOST}")),
                }
            };
            out.push(Finding::new(Code::PageNumberUnlinked, detail).zh(detail_zh));
        }
    }
    if let Some(name) = expect.site_name.as_deref().filter(|n| !comparable(n).is_empty()) {
        match &report.title {
            None => out.push(
                Finding::new(Code::PageTitleMismatch, format!("the page has no title; the filed website name is {name:?}"))
                    .zh(format!("页面没有标题；备案的网站名称为「{name}」")),
            ),
            Some(t) if !title_shows(t, name) => out.push(
                Finding::new(Code::PageTitleMismatch, format!("the title {t:?} does not contain the filed website name {name:?}"))
                    .zh(format!("页面标题「{t}」不含备案的网站名称「{name}」")),
            ),
            Some(_) => {}
        }
    }
    if let Some(psb) = expect.psb_number.as_deref() {
        let code = number::parse_psb(psb).map(|p| p.code).unwrap_or_else(|| psb.chars().filter(char::is_ascii_digit).collect());
        if !report.psb_numbers.iter().any(|m| m.source == "text" && m.code == code) {
            out.push(
                Finding::new(Code::PagePsbMissing, format!("the filing has public-security number {psb} and the page does not show it"))
                    .zh(format!("备案登记的公安备案号为 {psb}，页面没有显示")),
            );
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
            match (&m.href, &m.script_url) {
                (Some(h), Some(u)) => format!(" [{h} opens {u}]"),
                (Some(h), None) => format!(" [{h}]"),
                _ => String::new(),
            },
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

/// The text of a page without building a document tree, for the pages whose tree is plain: one
/// linear pass that tokenizes as html5ever does and applies the tree-construction rules only for
/// the cases where they amount to "open this element" and "close the current element". Anything
/// else — a mis-nested or implicitly closed element, tables, forms in forms, foreign content,
/// character references it does not know, stray `<` — makes it give up, and the page goes through
/// the full parser instead. So the result is the same as [`collect`] over
/// [`Html::parse_document`] whenever it is given at all (the `fast_path_agrees_with_the_parser`
/// test compares the two on many generated pages); it is only cheaper, since a typical 40 KB
/// homepage builds no tree, no attribute maps and no interned names.
mod fast {
    use super::sheet::{self, is_ws};
    use super::{find_byte, shows_value, style_hides, Link, Run, Sheet, Text, FOOTER_MARKS};
    use crate::number::push_folded;
    use std::borrow::Cow;

    /// The page is outside the subset handled here.
    pub(super) struct Bail;
    type R<T> = Result<T, Bail>;

    /// Input preprocessing as html5ever does it: a leading BOM is dropped, CR LF and CR become LF.
    pub(super) fn preprocess(html: &str) -> Cow<'_, str> {
        let html = html.strip_prefix('\u{feff}').unwrap_or(html);
        if find_byte(html.as_bytes(), b'\r').is_some() {
            Cow::Owned(html.replace("\r\n", "\n").replace('\r', "\n"))
        } else {
            Cow::Borrowed(html)
        }
    }

    /// The visible text and the first title's text of a [`preprocess`]ed page, or `None` when
    /// the full parser is needed.
    ///
    /// The page's style rules apply to elements before them too: when the first pass finds that
    /// they hide something (rare), a second pass reads the page with them.
    pub(super) fn collect(s: &str) -> Option<(Text<'_>, Option<String>)> {
        if find_byte(s.as_bytes(), 0).is_some() {
            return None;
        }
        let (text, title, styles) = pass::<false>(s, Sheet::default())?;
        let sheet = Sheet::build(&styles, s);
        if sheet.is_empty() {
            return Some((text, title));
        }
        let (text, title, _) = pass::<true>(s, sheet)?;
        Some((text, title))
    }

    /// One pass over the page with these style rules (`RULES`: there are some, the sheet is not
    /// empty; the common pass without is compiled without them): the text, the title, and the
    /// style elements' texts, each with whether it applies unconditionally.
    #[allow(clippy::type_complexity)]
    fn pass<const RULES: bool>(s: &str, sheet: Sheet) -> Option<(Text<'_>, Option<String>, Vec<(&str, bool)>)> {
        let mut p = Parser::<RULES> {
            s,
            sheet,
            styles: Vec::new(),
            i: 0,
            mode: Mode::Initial,
            stack: Vec::with_capacity(32),
            t: Text::default(),
            skip: 0,
            script: 0,
            footer: 0,
            hidden: 0,
            sectioned: 0,
            links: Vec::new(),
            p_open: 0,
            a_open: 0,
            form_open: false,
            title: None,
            amp: 0,
        };
        // Sized from the page so they are not grown (and copied) as it is read: the text is
        // shorter than the markup it came from (a rare entity aside); a run or a link takes a tag.
        p.t.visible.reserve(s.len());
        p.t.runs.reserve(s.len() / 64);
        p.t.links.reserve(s.len() / 256);
        p.run().ok()?;
        let title = p.title.map(|raw| raw.split_whitespace().collect::<Vec<_>>().join(" ")).filter(|t| !t.is_empty());
        Some((p.t, title, p.styles))
    }

    #[derive(Clone, Copy, PartialEq, Eq, Debug)]
    enum Mode {
        Initial,
        BeforeHtml,
        BeforeHead,
        InHead,
        AfterHead,
        InBody,
        AfterBody,
        AfterAfterBody,
    }

    // Element classes.
    const SKIP: u32 = 1 << 0; // [`super::SKIPPED`]
    const BLOCK: u32 = 1 << 1; // [`super::BLOCKS`], td, th
    const SPECIAL: u32 = 1 << 2; // html5ever's `special_tag`
    pub(super) const PCLOSE: u32 = 1 << 3; // closes an open p in button scope
    const HEADING: u32 = 1 << 4;
    const PRE: u32 = 1 << 5;
    const FORM: u32 = 1 << 6;
    const LI: u32 = 1 << 7;
    const DDDT: u32 = 1 << 8;
    pub(super) const A: u32 = 1 << 9;
    pub(super) const FMT: u32 = 1 << 10; // formatting elements other than a and nobr
    const VOID: u32 = 1 << 11; // inserted and popped in body (area … track)
    const HR: u32 = 1 << 12;
    const HEADVOID: u32 = 1 << 13; // base basefont bgsound link meta
    const SCRIPT: u32 = 1 << 14;
    const RAWTEXT: u32 = 1 << 15; // style noscript iframe
    const RCDATA: u32 = 1 << 16; // title
    const BAIL: u32 = 1 << 17; // rules not modelled here
    pub(super) const P: u32 = 1 << 18;
    /// [`super::NON_NESTING`]: not counted by [`super::limit_nesting`].
    pub(super) const NONNEST: u32 = 1 << 19;
    /// Skipped to their end tag by [`super::limit_nesting`].
    pub(super) const LIMIT_RAW: u32 = 1 << 20;
    pub(super) const SECTIONED: u32 = 1 << 21; // [`super::SECTIONED`]

    /// Sorted by name (checked by a test).
    pub(super) const CLASSES: &[(&str, u32)] = &[
        ("a", A),
        ("address", PCLOSE | BLOCK | SPECIAL),
        ("applet", BAIL | SPECIAL),
        ("area", VOID | SPECIAL | NONNEST),
        ("article", PCLOSE | BLOCK | SPECIAL | SECTIONED),
        ("aside", PCLOSE | BLOCK | SPECIAL | SECTIONED),
        ("b", FMT),
        ("base", HEADVOID | SPECIAL | NONNEST),
        ("basefont", HEADVOID | SPECIAL),
        ("bgsound", HEADVOID | SPECIAL),
        ("big", FMT),
        ("blockquote", PCLOSE | BLOCK | SPECIAL),
        ("body", BAIL | SPECIAL | NONNEST),
        ("br", VOID | BLOCK | SPECIAL | NONNEST),
        ("button", BAIL | SPECIAL),
        ("caption", BAIL | SPECIAL | BLOCK),
        ("center", PCLOSE | SPECIAL | BLOCK),
        ("code", FMT),
        ("col", BAIL | SPECIAL | NONNEST),
        ("colgroup", BAIL | SPECIAL | NONNEST),
        ("dd", DDDT | BLOCK | SPECIAL | NONNEST),
        ("details", PCLOSE | SPECIAL | BLOCK),
        ("dialog", PCLOSE),
        ("dir", PCLOSE | SPECIAL | BLOCK),
        ("div", PCLOSE | BLOCK | SPECIAL),
        ("dl", PCLOSE | BLOCK | SPECIAL),
        ("dt", DDDT | BLOCK | SPECIAL | NONNEST),
        ("em", FMT),
        ("embed", VOID | SPECIAL | NONNEST),
        ("fieldset", PCLOSE | BLOCK | SPECIAL),
        ("figcaption", PCLOSE | BLOCK | SPECIAL),
        ("figure", PCLOSE | BLOCK | SPECIAL),
        ("font", FMT),
        ("footer", PCLOSE | BLOCK | SPECIAL),
        ("form", FORM | BLOCK | SPECIAL),
        ("frame", BAIL | SPECIAL),
        ("frameset", BAIL | SPECIAL),
        ("h1", HEADING | BLOCK | SPECIAL),
        ("h2", HEADING | BLOCK | SPECIAL),
        ("h3", HEADING | BLOCK | SPECIAL),
        ("h4", HEADING | BLOCK | SPECIAL),
        ("h5", HEADING | BLOCK | SPECIAL),
        ("h6", HEADING | BLOCK | SPECIAL),
        ("head", BAIL | SKIP | SPECIAL | NONNEST),
        ("header", PCLOSE | BLOCK | SPECIAL),
        ("hgroup", PCLOSE | SPECIAL | BLOCK),
        ("hr", HR | BLOCK | SPECIAL | NONNEST),
        ("html", BAIL | SPECIAL | NONNEST),
        ("i", FMT),
        ("iframe", RAWTEXT | SKIP | SPECIAL),
        ("image", BAIL),
        ("img", VOID | SPECIAL | NONNEST),
        ("input", VOID | SPECIAL | NONNEST),
        ("isindex", BAIL | SPECIAL),
        ("keygen", VOID),
        ("legend", BLOCK),
        ("li", LI | BLOCK | SPECIAL | NONNEST),
        ("link", HEADVOID | SPECIAL | NONNEST),
        ("listing", PRE | SPECIAL | BLOCK),
        ("main", PCLOSE | BLOCK | SPECIAL),
        ("marquee", BAIL | SPECIAL),
        ("math", BAIL),
        ("menu", PCLOSE | SPECIAL | BLOCK),
        ("meta", HEADVOID | SPECIAL | NONNEST),
        ("nav", PCLOSE | BLOCK | SPECIAL),
        ("nobr", BAIL),
        ("noembed", BAIL | SPECIAL),
        ("noframes", BAIL | SPECIAL),
        ("noscript", RAWTEXT | SKIP | SPECIAL),
        ("object", BAIL | SKIP | SPECIAL),
        ("ol", PCLOSE | BLOCK | SPECIAL),
        ("optgroup", BAIL),
        ("option", BAIL | NONNEST),
        ("p", P | PCLOSE | BLOCK | SPECIAL),
        ("param", VOID | SPECIAL | NONNEST),
        ("plaintext", BAIL | SPECIAL),
        ("pre", PRE | SPECIAL | BLOCK),
        ("rb", BAIL),
        ("rp", BAIL),
        ("rt", BAIL),
        ("rtc", BAIL),
        ("s", FMT),
        ("script", SCRIPT | SKIP | SPECIAL | LIMIT_RAW),
        ("search", PCLOSE | BLOCK),
        ("section", PCLOSE | BLOCK | SPECIAL),
        ("select", BAIL | SPECIAL),
        ("small", FMT),
        ("source", VOID | SPECIAL | NONNEST),
        ("strike", FMT),
        ("strong", FMT),
        ("style", RAWTEXT | SKIP | SPECIAL | LIMIT_RAW),
        ("summary", PCLOSE | SPECIAL | BLOCK),
        ("svg", BAIL | SKIP),
        ("table", BAIL | BLOCK | SPECIAL),
        ("tbody", BAIL | SPECIAL | NONNEST),
        ("td", BAIL | BLOCK | SPECIAL | NONNEST),
        ("template", BAIL | SKIP | SPECIAL),
        ("textarea", BAIL | SPECIAL | LIMIT_RAW),
        ("tfoot", BAIL | SPECIAL | NONNEST),
        ("th", BAIL | BLOCK | SPECIAL | NONNEST),
        ("thead", BAIL | SPECIAL | NONNEST),
        ("title", RCDATA | SPECIAL | LIMIT_RAW),
        ("tr", BAIL | BLOCK | SPECIAL | NONNEST),
        ("track", VOID | SPECIAL | NONNEST),
        ("tt", FMT),
        ("u", FMT),
        ("ul", PCLOSE | SPECIAL | BLOCK),
        ("wbr", VOID | SPECIAL | NONNEST),
        ("xmp", BAIL | SPECIAL),
    ];

    /// A name of up to 8 bytes as a number, ASCII lower-cased (names never contain NUL).
    const fn key(name: &[u8]) -> Option<u64> {
        if name.len() > 8 {
            return None;
        }
        let mut k = 0u64;
        let mut i = 0;
        while i < name.len() {
            k |= (name[i].to_ascii_lowercase() as u64) << (8 * i);
            i += 1;
        }
        Some(k)
    }

    /// [`CLASSES`] of the names of up to 8 bytes, in an open-addressing table by key, built at
    /// compile time.
    static BY_KEY: [(u64, u32); 256] = {
        let mut table = [(0u64, 0u32); 256];
        let mut i = 0;
        while i < CLASSES.len() {
            let (name, class) = CLASSES[i];
            if let Some(k) = key(name.as_bytes()) {
                let mut slot = hash(k);
                while table[slot].0 != 0 {
                    slot = (slot + 1) & 255;
                }
                table[slot] = (k, class);
            }
            i += 1;
        }
        table
    };

    const fn hash(k: u64) -> usize {
        (k.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 56) as usize
    }

    /// The class of the name whose [`key`] is `k` (not 0).
    fn class_by_key(k: u64) -> u32 {
        let mut slot = hash(k);
        loop {
            match BY_KEY[slot] {
                (0, _) => return 0,
                (e, c) if e == k => return c,
                _ => slot = (slot + 1) & 255,
            }
        }
    }

    /// The class of an element name, matched ASCII case-insensitively.
    pub(super) fn class_of(name: &[u8]) -> u32 {
        match key(name) {
            Some(0) => 0,
            Some(k) => class_by_key(k),
            None => CLASSES.iter().find(|(n, _)| name.eq_ignore_ascii_case(n.as_bytes())).map_or(0, |(_, c)| *c),
        }
    }

    fn class(name: &str) -> u32 {
        class_of(name.as_bytes())
    }

    /// `<br>`: a space in the text, not a block's separation (as `collect` has it).
    fn is_break(name: &str) -> bool {
        name.eq_ignore_ascii_case("br")
    }

    /// The attributes the analysis reads (the first of each name, as html5ever drops duplicates).
    #[derive(Default)]
    struct Attrs<'a> {
        id: Option<Cow<'a, str>>,
        class: Option<Cow<'a, str>>,
        href: Option<Cow<'a, str>>,
        onclick: Option<Cow<'a, str>>,
        alt: Option<Cow<'a, str>>,
        title: Option<Cow<'a, str>>,
        /// An `<input>`'s value, and whether its first `type` makes it show it ([`shows_value`]).
        value: Option<Cow<'a, str>>,
        shows_value: Option<bool>,
        /// The element hides itself ([`hides`]): a `hidden` attribute, or a first `style`
        /// attribute that hides.
        hides: bool,
        style_seen: bool,
        /// The first `style` attribute could show the element ([`sheet::style_shows`]; worked
        /// out only in a pass with style rules).
        style_shows: bool,
        /// A `<style>` element's first `media` and `type` attributes were seen, and one of them
        /// makes it apply only conditionally ([`sheet::unconditional`]).
        media_seen: bool,
        kind_seen: bool,
        conditional: bool,
    }

    #[derive(Default)]
    struct Tag<'a> {
        name: Cow<'a, str>,
        class: u32,
        end: bool,
        self_closing: bool,
        attrs: Attrs<'a>,
    }

    struct Open<'a> {
        name: Cow<'a, str>,
        class: u32,
        link: bool,
        footer: bool,
        hidden: bool,
    }

    struct Parser<'a, const RULES: bool> {
        s: &'a str,
        /// The page's style rules that hide (see [`super::sheet`]).
        sheet: Sheet,
        /// The style elements' texts, each with whether it applies unconditionally.
        styles: Vec<(&'a str, bool)>,
        i: usize,
        mode: Mode,
        stack: Vec<Open<'a>>,
        t: Text<'a>,
        skip: usize,
        script: usize,
        footer: usize,
        hidden: usize,
        sectioned: usize,
        links: Vec<usize>,
        p_open: usize,
        a_open: usize,
        form_open: bool,
        /// The first title element's text.
        title: Option<String>,
        /// The position of the first `&` at or after the last segment decoded (or the page's length).
        amp: usize,
    }

    /// Whether `hay` contains the lower-case ASCII `needle`, ASCII case-insensitively (the same as
    /// `hay.to_ascii_lowercase().contains(needle)`). For the short values of id and class:
    /// the sheet reader's memchr-based one, made for long text, costs 11 % more instructions per
    /// page here.
    fn contains_ci(hay: &str, needle: &str) -> bool {
        hay.as_bytes().windows(needle.len()).any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
    }

    fn marks(v: Option<&Cow<'_, str>>) -> bool {
        v.is_some_and(|v| FOOTER_MARKS.iter().any(|m| contains_ci(v, m)))
    }

    /// Named character references decoded here; any other name makes the page bail.
    fn named(name: &str) -> Option<char> {
        Some(match name {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            "nbsp" => '\u{a0}',
            "copy" => '©',
            "reg" => '®',
            "middot" => '·',
            "laquo" => '«',
            "raquo" => '»',
            "ldquo" => '“',
            "rdquo" => '”',
            "lsquo" => '‘',
            "rsquo" => '’',
            "mdash" => '—',
            "ndash" => '–',
            "hellip" => '…',
            "times" => '×',
            "bull" => '•',
            "yen" => '¥',
            "trade" => '™',
            "ensp" => '\u{2002}',
            "emsp" => '\u{2003}',
            "thinsp" => '\u{2009}',
            _ => return None,
        })
    }

    /// Decodes the character references of a text run or attribute value.
    fn decode(seg: &str, in_attr: bool) -> R<Cow<'_, str>> {
        let b = seg.as_bytes();
        let Some(first) = find_byte(b, b'&') else { return Ok(Cow::Borrowed(seg)) };
        let mut out = String::with_capacity(seg.len());
        out.push_str(&seg[..first]);
        let mut i = first;
        while i < b.len() {
            if b[i] != b'&' {
                let next = find_byte(&b[i..], b'&').map_or(b.len(), |o| i + o);
                out.push_str(&seg[i..next]);
                i = next;
                continue;
            }
            let j = i + 1;
            match b.get(j) {
                Some(c) if c.is_ascii_alphanumeric() => {
                    let k = j + b[j..].iter().take_while(|c| c.is_ascii_alphanumeric()).count();
                    match b.get(k) {
                        Some(b';') => {
                            out.push(named(&seg[j..k]).ok_or(Bail)?);
                            i = k + 1;
                        }
                        // In an attribute, `&name=` is never a reference.
                        Some(b'=') if in_attr => {
                            out.push('&');
                            i = j;
                        }
                        _ => return Err(Bail),
                    }
                }
                Some(b'#') => {
                    let hex = matches!(b.get(j + 1), Some(b'x' | b'X'));
                    let start = j + 1 + hex as usize;
                    let len = b[start..].iter().take_while(|c| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() }).count();
                    if len == 0 || len > 6 || b.get(start + len) != Some(&b';') {
                        return Err(Bail);
                    }
                    let v = u32::from_str_radix(&seg[start..start + len], if hex { 16 } else { 10 }).map_err(|_| Bail)?;
                    let plain = matches!(v, 0x09 | 0x0A | 0x20..=0x7E | 0xA0..=0xD7FF | 0xE000..=0xFDCF | 0xFDF0..=0x10FFFF) && (v & 0xFFFE) != 0xFFFE;
                    out.push(char::from_u32(v).filter(|_| plain).ok_or(Bail)?);
                    i = start + len + 1;
                }
                _ => {
                    out.push('&');
                    i = j;
                }
            }
        }
        Ok(Cow::Owned(out))
    }

    impl<'a, const RULES: bool> Parser<'a, RULES> {
        fn run(&mut self) -> R<()> {
            let s = self.s;
            let b = s.as_bytes();
            // One tag slot for the whole page: a tag is about 150 bytes, and moving it through
            // the tree-construction calls by value cost a fifth of the analysis in memcpy.
            let mut tag = Tag::default();
            while self.i < b.len() {
                if b[self.i] != b'<' {
                    let end = find_byte(&b[self.i..], b'<').map_or(b.len(), |o| self.i + o);
                    let text = self.decode(self.i, end, false)?;
                    self.i = end;
                    self.text(&text)?;
                    continue;
                }
                match b.get(self.i + 1) {
                    Some(b'!') if s[self.i..].starts_with("<!--") => self.comment()?,
                    Some(b'!') if b.get(self.i + 2..self.i + 9).is_some_and(|d| d.eq_ignore_ascii_case(b"doctype")) => {
                        let end = find_byte(&b[self.i..], b'>').ok_or(Bail)?;
                        self.i += end + 1;
                        if self.mode == Mode::Initial {
                            self.mode = Mode::BeforeHtml;
                        }
                    }
                    Some(b'/') => match self.plain_end_tag() {
                        Some(name) => self.end(name)?,
                        None => {
                            self.tag(&mut tag)?;
                            self.end(&tag.name)?;
                        }
                    },
                    Some(c) if c.is_ascii_alphabetic() => {
                        self.tag(&mut tag)?;
                        self.start(&tag)?;
                        // Deeper than the limit: the full path cuts the page there (limit_nesting).
                        if self.stack.len() > super::MAX_DEPTH {
                            return Err(Bail);
                        }
                    }
                    _ => return Err(Bail),
                }
            }
            while !self.stack.is_empty() {
                self.pop();
            }
            Ok(())
        }

        fn comment(&mut self) -> R<()> {
            let body = self.i + 4;
            let rest = &self.s[body..];
            if rest.starts_with('>') || rest.starts_with("->") {
                return Err(Bail);
            }
            let end = memchr::memmem::find(rest.as_bytes(), b"-->").ok_or(Bail)?;
            if rest[..end + 2].contains("--!") {
                return Err(Bail);
            }
            self.i = body + end + 3;
            Ok(())
        }

        /// The name of the end tag at `self.i` when it is the common `</name>` with a lower-case
        /// ASCII name and nothing else (consumed); `None` leaves any other end tag to [`Self::tag`].
        fn plain_end_tag(&mut self) -> Option<&'a str> {
            let s = self.s;
            let b = s.as_bytes();
            let start = self.i + 2;
            let len = b[start..].iter().take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit()).count();
            if len == 0 || !b[start].is_ascii_lowercase() || b.get(start + len) != Some(&b'>') {
                return None;
            }
            self.i = start + len + 1;
            Some(&s[start..start + len])
        }

        /// Tokenizes the start or end tag at `self.i` into `tag`.
        fn tag(&mut self, tag: &mut Tag<'a>) -> R<()> {
            let s = self.s;
            let b = s.as_bytes();
            let mut j = self.i + 1;
            let end = b[j] == b'/';
            j += end as usize;
            if !b.get(j).is_some_and(u8::is_ascii_alphabetic) {
                return Err(Bail);
            }
            let name_start = j;
            // Whether the name needs lower-casing, found in the pass that checks it.
            let mut upper = false;
            while j < b.len() && !is_ws(b[j]) && b[j] != b'/' && b[j] != b'>' {
                let c = b[j];
                if !(c.is_ascii_alphanumeric() || matches!(c, b'-' | b':' | b'_' | b'.')) {
                    return Err(Bail);
                }
                upper |= c.is_ascii_uppercase();
                j += 1;
            }
            let raw = &s[name_start..j];
            // End tags are matched by name alone.
            tag.class = if end { 0 } else { class_of(raw.as_bytes()) };
            let name = if upper { Cow::Owned(raw.to_ascii_lowercase()) } else { Cow::Borrowed(raw) };
            tag.name = name;
            tag.end = end;
            tag.self_closing = false;
            tag.attrs = Attrs::default();
            loop {
                while j < b.len() && is_ws(b[j]) {
                    j += 1;
                }
                match b.get(j) {
                    None => return Err(Bail),
                    Some(b'>') => {
                        j += 1;
                        break;
                    }
                    Some(b'/') if b.get(j + 1) == Some(&b'>') => {
                        tag.self_closing = true;
                        j += 2;
                        break;
                    }
                    Some(b'/' | b'=') => return Err(Bail),
                    _ => {}
                }
                let an = j;
                while j < b.len() && !is_ws(b[j]) && !matches!(b[j], b'/' | b'>' | b'=') {
                    if matches!(b[j], b'"' | b'\'' | b'<') {
                        return Err(Bail);
                    }
                    j += 1;
                }
                let attr_name = &s[an..j];
                while j < b.len() && is_ws(b[j]) {
                    j += 1;
                }
                let mut value = Cow::Borrowed("");
                if b.get(j) == Some(&b'=') {
                    j += 1;
                    while j < b.len() && is_ws(b[j]) {
                        j += 1;
                    }
                    match b.get(j) {
                        None | Some(b'>') => return Err(Bail),
                        Some(&q @ (b'"' | b'\'')) => {
                            let start = j + 1;
                            let len = find_byte(&b[start..], q).ok_or(Bail)?;
                            value = self.decode(start, start + len, true)?;
                            j = start + len + 1;
                        }
                        Some(_) => {
                            let start = j;
                            while j < b.len() && !is_ws(b[j]) && b[j] != b'>' {
                                if matches!(b[j], b'"' | b'\'' | b'<' | b'=' | b'`') {
                                    return Err(Bail);
                                }
                                j += 1;
                            }
                            value = self.decode(start, j, true)?;
                        }
                    }
                }
                let slot = match attr_name.len() {
                    2 if attr_name.eq_ignore_ascii_case("id") => &mut tag.attrs.id,
                    3 if attr_name.eq_ignore_ascii_case("alt") => &mut tag.attrs.alt,
                    4 if attr_name.eq_ignore_ascii_case("href") => &mut tag.attrs.href,
                    4 if attr_name.eq_ignore_ascii_case("type") && tag.name == "input" => {
                        tag.attrs.shows_value.get_or_insert_with(|| shows_value(&value));
                        continue;
                    }
                    4 if attr_name.eq_ignore_ascii_case("type") && tag.name == "style" => {
                        if !std::mem::replace(&mut tag.attrs.kind_seen, true) {
                            tag.attrs.conditional |= !sheet::unconditional(None, Some(&value), None);
                        }
                        continue;
                    }
                    5 if attr_name.eq_ignore_ascii_case("class") => &mut tag.attrs.class,
                    5 if attr_name.eq_ignore_ascii_case("style") => {
                        if !std::mem::replace(&mut tag.attrs.style_seen, true) {
                            tag.attrs.hides |= style_hides(&value);
                            tag.attrs.style_shows = RULES && sheet::style_shows(&value);
                        }
                        continue;
                    }
                    5 if attr_name.eq_ignore_ascii_case("title") => &mut tag.attrs.title,
                    5 if attr_name.eq_ignore_ascii_case("value") && tag.name == "input" => &mut tag.attrs.value,
                    5 if attr_name.eq_ignore_ascii_case("media") && tag.name == "style" => {
                        if !std::mem::replace(&mut tag.attrs.media_seen, true) {
                            tag.attrs.conditional |= !sheet::unconditional(Some(&value), None, None);
                        }
                        continue;
                    }
                    7 if attr_name.eq_ignore_ascii_case("onclick") => &mut tag.attrs.onclick,
                    6 if attr_name.eq_ignore_ascii_case("hidden") => {
                        tag.attrs.hides = true;
                        continue;
                    }
                    _ => continue,
                };
                if slot.is_none() {
                    *slot = Some(value);
                }
            }
            self.i = j;
            Ok(())
        }

        /// [`decode`] of `s[start..end]`, with one search for `&` over the page instead of one
        /// per segment: most segments have none.
        fn decode(&mut self, start: usize, end: usize, in_attr: bool) -> R<Cow<'a, str>> {
            let s = self.s;
            if self.amp < start {
                self.amp = find_byte(&s.as_bytes()[start..], b'&').map_or(s.len(), |o| start + o);
            }
            if self.amp >= end {
                return Ok(Cow::Borrowed(&s[start..end]));
            }
            decode(&s[start..end], in_attr)
        }

        fn current(&self) -> &str {
            self.stack.last().map_or("", |o| &o.name)
        }

        /// Opens an element: what `collect` does on entering it.
        fn open(&mut self, name: Cow<'a, str>, class: u32, attrs: &Attrs<'a>) {
            let is_skip = class & SKIP != 0;
            let is_script = class & SCRIPT != 0;
            let is_footer = self.sectioned == 0 && (name == "footer" || marks(attrs.id.as_ref()) || marks(attrs.class.as_ref()));
            let link = class & A != 0 && attrs.href.is_some();
            if let Some(href) = attrs.href.as_ref().filter(|_| link) {
                self.t.links.push(Link { href: href.clone(), onclick: attrs.onclick.clone() });
                self.links.push(self.t.links.len() - 1);
            }
            for v in [&attrs.alt, &attrs.title].into_iter().flatten() {
                push_folded(&mut self.t.attributes, v);
                self.t.attributes.push('\n');
            }
            let is_hidden = attrs.hides || (RULES && self.sheet.hides(&name, attrs.id.as_deref(), attrs.class.as_deref(), attrs.style_shows));
            self.skip += is_skip as usize;
            self.script += is_script as usize;
            self.footer += is_footer as usize;
            self.hidden += is_hidden as usize;
            self.sectioned += (class & SECTIONED != 0) as usize;
            if class & BLOCK != 0 && self.skip == 0 {
                self.t.visible.push(if is_break(&name) { ' ' } else { '\n' });
            }
            if let Some(v) = attrs.value.as_ref().filter(|_| attrs.shows_value == Some(true) && self.script == 0) {
                self.push_value(v);
            }
            self.p_open += (class & P != 0) as usize;
            self.a_open += (class & A != 0) as usize;
            self.stack.push(Open { name, class, link, footer: is_footer, hidden: is_hidden });
        }

        fn open_implied(&mut self, name: &'static str) {
            self.open(Cow::Borrowed(name), class(name), &Attrs::default());
        }

        /// Closes the current element: what `collect` does on leaving it.
        fn pop(&mut self) {
            let Some(o) = self.stack.pop() else { return };
            self.skip -= (o.class & SKIP != 0) as usize;
            self.script -= (o.class & SCRIPT != 0) as usize;
            self.footer -= o.footer as usize;
            self.hidden -= o.hidden as usize;
            self.sectioned -= (o.class & SECTIONED != 0) as usize;
            if o.hidden && self.skip == 0 {
                self.t.hidden.push('\n');
            }
            if o.link {
                self.links.pop();
            }
            if o.class & BLOCK != 0 && self.skip == 0 && !is_break(&o.name) {
                self.t.visible.push('\n');
            }
            self.p_open -= (o.class & P != 0) as usize;
            self.a_open -= (o.class & A != 0) as usize;
        }

        /// A text node's worth of characters at the current node.
        #[inline(always)]
        fn insert_text(&mut self, s: &str) -> R<()> {
            if self.script > 0 {
                return Err(Bail); // script text only comes through `raw`
            }
            self.push_text(s);
            Ok(())
        }

        /// A button's label, as text (rare: kept out of line).
        #[inline(never)]
        fn push_value(&mut self, s: &str) {
            self.push_text(s);
        }

        /// Text outside scripts: hidden, skipped, or shown (in its link and footer).
        #[inline(always)]
        fn push_text(&mut self, s: &str) {
            if self.skip == 0 && self.hidden > 0 {
                push_folded(&mut self.t.hidden, s);
            } else if self.skip == 0 {
                let (link, footer) = (self.links.last().copied(), self.footer > 0);
                if self.t.runs.last().map(|r| (r.link, r.footer)) != Some((link, footer)) {
                    self.t.runs.push(Run { start: self.t.visible.len(), link, footer });
                }
                push_folded(&mut self.t.visible, s);
            }
        }

        /// A character token, split into leading whitespace and the rest where the mode cares.
        fn text(&mut self, mut s: &str) -> R<()> {
            loop {
                if self.mode == Mode::InBody {
                    return self.insert_text(s);
                }
                let ws = s.bytes().take_while(|&c| is_ws(c)).count();
                if ws > 0 {
                    match self.mode {
                        Mode::Initial | Mode::BeforeHtml | Mode::BeforeHead => {}
                        _ => self.insert_text(&s[..ws])?,
                    }
                    s = &s[ws..];
                    if s.is_empty() {
                        return Ok(());
                    }
                }
                self.anything_else()?;
            }
        }

        /// The "anything else" step of the modes before the body: implied elements.
        fn anything_else(&mut self) -> R<()> {
            match self.mode {
                Mode::Initial => self.mode = Mode::BeforeHtml,
                Mode::BeforeHtml => {
                    self.open_implied("html");
                    self.mode = Mode::BeforeHead;
                }
                Mode::BeforeHead => {
                    self.open_implied("head");
                    self.mode = Mode::InHead;
                }
                Mode::InHead => {
                    if self.current() != "head" {
                        return Err(Bail);
                    }
                    self.pop();
                    self.mode = Mode::AfterHead;
                }
                Mode::AfterHead => {
                    self.open_implied("body");
                    self.mode = Mode::InBody;
                }
                Mode::AfterBody | Mode::AfterAfterBody => {
                    if self.current() != "body" {
                        return Err(Bail);
                    }
                    self.mode = Mode::InBody;
                }
                Mode::InBody => return Err(Bail),
            }
            Ok(())
        }

        fn start(&mut self, tag: &Tag<'a>) -> R<()> {
            if tag.self_closing && tag.class & (VOID | HR | HEADVOID) == 0 {
                return Err(Bail);
            }
            loop {
                let n = &*tag.name;
                match self.mode {
                    Mode::Initial => self.mode = Mode::BeforeHtml,
                    Mode::BeforeHtml if n == "html" => {
                        self.open(tag.name.clone(), tag.class, &tag.attrs);
                        self.mode = Mode::BeforeHead;
                        return Ok(());
                    }
                    Mode::BeforeHtml => self.anything_else()?,
                    Mode::BeforeHead if n == "head" => {
                        self.open(tag.name.clone(), tag.class, &tag.attrs);
                        self.mode = Mode::InHead;
                        return Ok(());
                    }
                    Mode::BeforeHead if n != "html" => self.anything_else()?,
                    Mode::InHead if tag.class & (HEADVOID | SCRIPT | RCDATA) != 0 || n == "style" || n == "noscript" => {
                        return self.in_head(tag);
                    }
                    Mode::InHead if !matches!(n, "html" | "head" | "template" | "noframes") => self.anything_else()?,
                    Mode::AfterHead if n == "body" => {
                        self.open(tag.name.clone(), tag.class, &tag.attrs);
                        self.mode = Mode::InBody;
                        return Ok(());
                    }
                    Mode::AfterHead
                        if tag.class & (HEADVOID | SCRIPT | RCDATA) == 0
                            && !matches!(n, "html" | "frameset" | "head" | "noframes" | "style" | "template") =>
                    {
                        self.anything_else()?
                    }
                    Mode::InBody => return self.in_body(tag),
                    Mode::AfterBody | Mode::AfterAfterBody if n != "html" => self.anything_else()?,
                    _ => return Err(Bail),
                }
            }
        }

        /// Start tags the head rules handle (also used from the body).
        fn in_head(&mut self, tag: &Tag<'a>) -> R<()> {
            if tag.class & HEADVOID != 0 {
                self.open(tag.name.clone(), tag.class, &tag.attrs);
                self.pop();
                return Ok(());
            }
            self.raw(tag)
        }

        fn in_body(&mut self, tag: &Tag<'a>) -> R<()> {
            let c = tag.class;
            if c & BAIL != 0 {
                return Err(Bail);
            }
            if c & (HEADVOID | SCRIPT | RCDATA) != 0 || tag.name == "style" {
                return self.in_head(tag);
            }
            if c & RAWTEXT != 0 {
                return self.raw(tag); // noscript (scripting enabled), iframe
            }
            if c & (PCLOSE | HEADING | PRE | FORM | LI | DDDT | HR) != 0 && self.p_open > 0 {
                return Err(Bail); // would close the open p
            }
            if c & HEADING != 0 && self.stack.last().is_some_and(|o| o.class & HEADING != 0) {
                return Err(Bail);
            }
            if c & FORM != 0 {
                if self.form_open {
                    return Err(Bail);
                }
                self.form_open = true;
            }
            if c & (LI | DDDT) != 0 {
                for o in self.stack.iter().rev() {
                    let closes = if c & LI != 0 { o.class & LI != 0 } else { o.class & DDDT != 0 };
                    if closes {
                        return Err(Bail);
                    }
                    if o.class & SPECIAL != 0 && !matches!(&*o.name, "address" | "div" | "p") {
                        break;
                    }
                }
            }
            if c & A != 0 && self.a_open > 0 {
                return Err(Bail);
            }
            let void = c & (VOID | HR) != 0;
            self.open(tag.name.clone(), tag.class, &tag.attrs);
            if void {
                self.pop();
            }
            if c & PRE != 0 {
                // A newline right after <pre> is dropped.
                match self.s.as_bytes().get(self.i) {
                    Some(b'\n') => self.i += 1,
                    Some(b'&') => return Err(Bail),
                    _ => {}
                }
            }
            Ok(())
        }

        /// A script, rawtext or RCDATA element: its content up to the matching end tag is one text.
        fn raw(&mut self, tag: &Tag<'a>) -> R<()> {
            let class = tag.class;
            let is_title = class & RCDATA != 0;
            self.open(tag.name.clone(), tag.class, &tag.attrs);
            let s = self.s;
            let b = s.as_bytes();
            let name = self.current().as_bytes().to_vec();
            let start = self.i;
            let mut j = start;
            let end = loop {
                let p = j + find_byte(&b[j..], b'<').ok_or(Bail)?;
                if b.get(p + 1) != Some(&b'/') {
                    j = p + 1;
                    continue;
                }
                let after = p + 2 + name.len();
                if b.get(p + 2..after).is_some_and(|n| n.eq_ignore_ascii_case(&name)) {
                    match b.get(after) {
                        Some(&c) if is_ws(c) || c == b'/' || c == b'>' => break p,
                        None => return Err(Bail),
                        _ => {}
                    }
                }
                j = p + 2;
            };
            let content = &s[start..end];
            if tag.name == "style" {
                self.styles.push((content, !tag.attrs.conditional && tag.attrs.title.is_none()));
            }
            if class & SCRIPT != 0 && content.contains("<!--") {
                return Err(Bail);
            }
            let content = if is_title { decode(content, false)? } else { Cow::Borrowed(content) };
            if is_title && self.title.is_none() {
                self.title = Some(content.to_string());
            }
            if !content.is_empty() {
                if self.script > 0 {
                    push_folded(&mut self.t.script, &content);
                    self.t.script.push('\n');
                } else {
                    self.insert_text(&content)?;
                }
            }
            self.i = end;
            let mut close = Tag::default();
            self.tag(&mut close)?;
            if !close.end {
                return Err(Bail);
            }
            self.pop();
            if class & SCRIPT != 0 && self.s[self.i..].starts_with('\u{feff}') {
                // html5ever's driver feeds the tokenizer again after each script, and every feed
                // drops a leading byte-order mark.
                self.i += '\u{feff}'.len_utf8();
            }
            Ok(())
        }

        fn end(&mut self, n: &str) -> R<()> {
            loop {
                let implied = matches!(n, "head" | "body" | "html" | "br");
                match self.mode {
                    Mode::Initial => self.mode = Mode::BeforeHtml,
                    Mode::BeforeHtml | Mode::BeforeHead if implied => self.anything_else()?,
                    Mode::InHead if n == "head" => {
                        self.anything_else()?;
                        return Ok(());
                    }
                    Mode::InHead if implied => self.anything_else()?,
                    Mode::AfterHead if implied && n != "head" => self.anything_else()?,
                    Mode::InBody => return self.end_in_body(n),
                    Mode::AfterBody if n == "html" => {
                        self.mode = Mode::AfterAfterBody;
                        return Ok(());
                    }
                    _ => return Err(Bail),
                }
            }
        }

        fn end_in_body(&mut self, n: &str) -> R<()> {
            if self.stack.len() < 2 {
                return Err(Bail);
            }
            match n {
                "body" | "html" if self.current() == "body" => {
                    self.mode = if n == "body" { Mode::AfterBody } else { Mode::AfterAfterBody };
                }
                "br" | "template" | "body" | "html" => return Err(Bail),
                "form" if self.form_open && self.current() == "form" => {
                    self.form_open = false;
                    self.pop();
                }
                "form" => return Err(Bail),
                _ if self.current() == n => self.pop(),
                _ => return Err(Bail),
            }
            Ok(())
        }
    }
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

    /// Whether the fast path took the page; when it did, it must agree with the full parser.
    fn fast_agrees(html: &str) -> bool {
        let preprocessed = fast::preprocess(html);
        match fast::collect(&preprocessed) {
            Some(fast) => {
                let doc = Html::parse_document(html);
                assert_eq!(fast, (collect(&doc, &sheet_of(&doc, html)), title_of(&doc)), "the fast path differs from the parser on {html:?}");
                true
            }
            None => false,
        }
    }

    #[test]
    fn element_classes_match_the_lists() {
        let names: Vec<&str> = fast::CLASSES.iter().map(|(n, _)| *n).collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]), "CLASSES must be sorted for the binary search");
        for name in SKIPPED.iter().chain(BLOCKS.iter()).chain(["td", "th"].iter()) {
            assert!(names.contains(name), "{name} has no class");
        }
        for name in NON_NESTING {
            assert!(names.contains(&name), "{name} has no class");
        }
        for &(name, class) in fast::CLASSES {
            assert_eq!(fast::class_of(name.as_bytes()), class);
            assert_eq!(fast::class_of(name.to_ascii_uppercase().as_bytes()), class);
            assert_eq!(class & fast::NONNEST != 0, NON_NESTING.contains(&name), "non-nesting flag of {name}");
            assert_eq!(class & fast::LIMIT_RAW != 0, ["script", "style", "textarea", "title"].contains(&name), "raw flag of {name}");
            assert_eq!(class & 1 != 0, SKIPPED.contains(&name), "skip flag of {name}");
            assert_eq!(class & fast::SECTIONED != 0, SECTIONED.contains(&name), "sectioned flag of {name}");
            assert_eq!(class & 2 != 0, BLOCKS.contains(&name) || name == "td" || name == "th", "block flag of {name}");
        }
    }

    /// A random page: mostly plausible markup, with sloppy and hostile pieces mixed in.
    fn random_page(rng: &mut fastrand::Rng) -> String {
        const NAMES: &[&str] = &[
            "div", "p", "span", "a", "b", "i", "em", "strong", "footer", "header", "nav", "ul", "ol", "li", "dl", "dt", "dd",
            "h1", "h3", "section", "main", "article", "pre", "form", "label", "font", "center", "small", "x-widget", "o:p",
            "table", "td", "tr", "button", "select", "svg", "textarea", "img", "br", "hr", "input", "meta", "link",
            "address", "listing", "menu", "dialog", "search", "details", "summary", "nobr", "u", "s", "code", "DIV", "Span",
            "body", "html", "head", "template", "object", "figure", "aside", "wbr", "frame", "caption", "isindex", "legend", "fieldset", "input",
        ];
        const ATTRS: &[&str] = &[
            " id=\"footer\"", " class=\"Foot\"", " class=\"item\"", " href=\"https://beian.miit.gov.cn/\"",
            " href='//beian.miit.gov.cn'", " href=/x", " href=\"?a=1&b=2\"", " href=\"a&amp;b\"", " href=\"&copy\"",
            " alt=\"京ICP备12345678号-1\"", " title=\"京公网安备11010802020134号\"", " TITLE=\"x\"", " id=bottom",
            " class=\"a\" class=\"footer\"", " href", " href = \"x\"", " CLASS=COPYRIGHT", " href=\"&#x41;\"",
            " href=\"http://[::1\"", " data-x=\"<\"", " a=\"1\"b=\"2\"", " alt='a&nbsp;b'", " x=y&z", " href=\"https://www.miitbeian.gov.cn\"",
            " title=\"&lt;\"", " id=\"beian-\u{4e2d}\"", " /", " =x", " alt=\"\"", " href=\"&notit;\"", " src=x",
            " style=\"display: none\"", " STYLE='color:red;VISIBILITY:hidden !important'", " style=\"display:block\"", " hidden",
            " hidden=\"hidden\"", " style=\"display:none\" style=\"\"",
            " type=button value=\"京ICP备12345678号-1\"", " TYPE=\" Submit \" value='京ICP备12345678号-2'", " type=text value=\"京ICP备12345678号-3\"",
            " value=\"x\" type=\"reset\"", " onclick=\"window.open('https://beian.miit.gov.cn/')\"", " ONCLICK=\"location.href=&quot;x&quot;\"",
            " href=\"javascript:window.open(%22//beian.miit.gov.cn%22)\"", " onclick",
        ];
        const TEXTS: &[&str] = &[
            "京ICP备12345678号-1", "京公网安备11010802020134号", "新闻", " ", "\n", "\r\n", "\r", "\t", "&amp;", "&nbsp;",
            "&copy;", "&#20140;", "&#x4eac;", "&#0;", "&#128;", "AT&T", "a & b", "&bogus;", "&notit;", "&lt;div&gt;",
            "１２３", "－", "\u{3000}", "x < y", "©", "ＩＣＰ", "B2-20201234", "京ICP证030173号", "\u{feff}", "&", "&#",
            "&#x;", "\u{c}", "-2024", "号", "&#10;", "&#13;", "&amp", "&ensp;", "&hellip;",
        ];
        const NOISE: &[&str] = &[
            "<!-- x -->", "<!---->", "<!-->", "<!-- a -- b -->", "<!--x--!>", "<!DOCTYPE html>", "</p>", "</div>", "</a>",
            "</b>", "</span>", "</body>", "</html>", "</head>", "<", "</>", "<?xml ?>", "<![CDATA[x]]>", "</br>", "<br/>",
            "<div/>", "<img src=x />", "<p>", "<li>", "<a href=\"https://beian.miit.gov.cn\">", "<html>", "<head>",
            "<body class=\"bottom\">", "</form>", "<form>", "<h2>", "<dd>", "<pre>\n", "</x-widget>", "<!--", "<a",
        ];
        const RAW: &[&str] = &[
            "<script>var a='<div>';</script>", "<script><!-- x --></script>", "<script>京ICP备12345678号</SCRIPT >",
            "<style>p{}</style>", "<title>A &amp; B</title>", "<title></title>", "<title> 首页\n - 某某 </title>",
            "<noscript><img alt=\"京ICP备12345678号\"></noscript>", "<iframe><p>x</p></iframe>", "<script></script>",
            "<script>a</scripts></script>", "<title>x</title >", "<script>x</script/>", "<script>x", "<title>a<b>c</title>",
            "<style>a</style x=\"1\">", "<pre>\nx</pre>", "<listing>\n\nx</listing>",
            // Style rules that hide by class or id, and ones that do not (or are cancelled).
            "<style>.item{display:none}</style>", "<style>#footer{DISPLAY: none !important}</style>",
            "<style>.Foot{visibility:hidden}</style>", "<style>p.item , .x{display:none}</style>",
            "<style media=print>.item{display:none}</style>", "<style>.item{display:none}.item{display:block}</style>",
            "<style>@media screen{#bottom{display:none}}</style>", "<style>.a .item{display:none}</style>",
            "<style>.item{display:none</style>", "<style>div{display:block}</style>", "<STYLE type=text/css>#bottom{display:none}</STYLE>",
            "<span class=\"item\">京ICP备12345678号-1</span>", "<p id=footer>京公网安备11010802020134号</p>", "<div class=\"x Foot\">新闻</div>",
            "<p class=item style=\"display:block\">京ICP备12345678号-2</p>", "<div id=bottom><a href=\"https://beian.miit.gov.cn/\">京ICP备12345678号-3</a></div>",
        ];
        fn pick<'a>(rng: &mut fastrand::Rng, from: &[&'a str]) -> &'a str {
            from[rng.usize(..from.len())]
        }
        fn content(rng: &mut fastrand::Rng, depth: usize, s: &mut String) {
            for _ in 0..rng.usize(0..6) {
                match rng.usize(..20) {
                    0..=6 => s.push_str(pick(rng, TEXTS)),
                    7..=14 if depth < 6 => {
                        let name = pick(rng, NAMES);
                        s.push('<');
                        s.push_str(name);
                        for _ in 0..rng.usize(0..3) {
                            s.push_str(pick(rng, ATTRS));
                        }
                        s.push('>');
                        content(rng, depth + 1, s);
                        if rng.usize(..10) < 9 {
                            s.push_str("</");
                            s.push_str(if rng.usize(..10) == 0 { "div" } else { name });
                            s.push('>');
                        }
                    }
                    15..=16 => s.push_str(pick(rng, NOISE)),
                    _ => s.push_str(pick(rng, RAW)),
                }
            }
        }
        let mut s = String::new();
        if rng.bool() {
            s.push_str(pick(rng, &["<!DOCTYPE html>", "<!doctype html>\n", "<!-- c --><!DOCTYPE html>", " ", "\u{feff}<!DOCTYPE html>"]));
        }
        match rng.usize(..4) {
            0 => {
                s.push_str(pick(rng, &["<html>", "<html lang=\"zh\" class=\"bottom\">", "<HTML>", ""]));
                s.push_str(pick(rng, &["<head>", " <head>\n", ""]));
                for _ in 0..rng.usize(0..4) {
                    s.push_str(pick(rng, &["<meta charset=\"utf-8\">", "<title>某某科技</title>", "<link rel=x title=\"京ICP备1号\">", "\n  ", "<script>var x;</script>", "<style>a{}</style>", "<noscript>x</noscript>", "<base href=/>", "<style>.item{display:none}</style>", "<style>.footer, #bottom{display:none}</style>", "<style>.Foot{visibility:hidden}</style>"]));
                }
                s.push_str(pick(rng, &["</head>", "</head>\n", "", "</head><!-- c -->"]));
                s.push_str(pick(rng, &["<body>", "<body id=\"page\">", "\n<body class=foot>", ""]));
                content(rng, 0, &mut s);
                s.push_str(pick(rng, &["</body></html>", "</body>\n</html>\n", "</body><script>x</script></html>", "", "</html>", "</body>"]));
            }
            1 => content(rng, 0, &mut s),
            2 => {
                s.push_str("<head><title>t</title></head>");
                content(rng, 0, &mut s);
            }
            _ => {
                s.push_str("<title>某某科技</title>");
                content(rng, 0, &mut s);
            }
        }
        // Half the pages have style rules before or after everything else (rules apply to
        // the whole page): ones that hide by class or id, and ones that do not.
        const STYLES: &[&str] = &[
            "<style>.item{display:none}</style>", "<style>#footer,.x{display:none}</style>", "<style>.Foot{visibility:hidden}</style>",
            "<style>#bottom{display:none}</style>", "<style>.item{display:none}span{display:inline}</style>", "<style>.item{margin:4px}</style>",
            "<style media=print>.item{display:none}</style>", "<style>.footer .item{display:none}</style>",
        ];
        const STYLED: &[&str] = &[
            "<p class=\"item\">京ICP备12345678号-1</p>", "<div id=\"footer\" class=\"x\">京公网安备11010802020134号</div>",
            "<span class=\"Foot\">京ICP备12345678号-2</span>", "<p class=\"item\" style=\"display:block\">京ICP备12345678号-3</p>",
            "<div id=bottom><a href=\"https://beian.miit.gov.cn/\">京ICP备12345678号-4</a></div>", "<span class=\"item x\">新闻</span>",
        ];
        match rng.usize(..4) {
            0 => s.insert_str(0, pick(rng, STYLES)),
            1 => s.push_str(pick(rng, STYLES)),
            _ => {}
        }
        if rng.bool() {
            s.push_str(pick(rng, STYLED));
        }
        s
    }


    #[test]
    fn numbers_in_stretches_are_all_the_numbers() {
        const BITS: &[&str] = &[
            "京", "粤", "川", "ICP", "ICP证", "备", "证", "号", "公网安备", "B1", "B2", "-", " ", "0", "1", "2", "5", "123456",
            "20201234", "１２", "\u{663}", "新闻", "A", "B", "IC", "P", "\n", "版权", "·", "云", "公", "安", "网",
        ];
        let mut rng = fastrand::Rng::with_seed(9);
        for _ in 0..20000 {
            let text: String = (0..rng.usize(0..30)).map(|_| BITS[rng.usize(..BITS.len())]).collect();
            let text = number::fold(&text);
            assert_eq!(
                find_in_stretches(&text, &["ICP", "B1", "B2"], number::find_licenses_in_folded),
                number::find_licenses_in_folded(&text),
                "{text:?}"
            );
        }
    }

    #[test]
    fn fast_path_agrees_with_the_parser() {
        let footer = r#"<div class="footer"><p><a href="https://beian.miit.gov.cn/">京ICP备12345678号-1</a></p></div>"#;
        for page in [TYPICAL, footer, &TYPICAL.replace('\n', "\r\n")] {
            assert!(fast_agrees(page), "the fast path should take {page:?}");
        }
        let runs: usize = std::env::var("BEIAND_PAGE_FUZZ").ok().and_then(|v| v.parse().ok()).unwrap_or(4000);
        let mut rng = fastrand::Rng::with_seed(0x0062_6569_616e);
        let (mut taken, mut hidden_by_rules) = (0, 0);
        for _ in 0..runs {
            let page = random_page(&mut rng);
            if fast_agrees(&page) {
                taken += 1;
                let doc = Html::parse_document(&page);
                let sheet = sheet_of(&doc, &page);
                hidden_by_rules += (!sheet.is_empty() && collect(&doc, &sheet) != collect(&doc, &Sheet::default())) as usize;
            }
        }
        assert!(taken * 5 > runs, "the fast path took only {taken} of {runs} generated pages");
        assert!(hidden_by_rules * 200 > runs, "style rules hid something on only {hidden_by_rules} of the {taken} pages the fast path took");
    }

    #[test]
    fn only_buttons_show_their_value() {
        assert!(shows_value("SUBMIT") && shows_value("button") && shows_value("Reset"));
        assert!(!shows_value(" submit ") && !shows_value("text") && !shows_value("hidden") && !shows_value(""));
    }

    /// A declarative shadow root is rendered; any other template is not.
    #[test]
    fn only_a_declarative_shadow_root_template_is_shown() {
        let page = |attrs: &str| format!(r#"<title>某某科技</title><x-footer><template{attrs}><a href="https://beian.miit.gov.cn/">京ICP备12345678号-1</a></template></x-footer>"#);
        for (attrs, shown) in [("", false), (" shadowrootmode=\"open\"", true), (" shadowrootmode=CLOSED", true), (" shadowrootmode=\"x\"", false)] {
            let r = analyse(&page(attrs), &expect("京ICP备12345678号-1", "某某科技", None));
            assert_eq!(codes(&r).is_empty(), shown, "{attrs}: {:?}", r.findings);
        }
    }

    /// A card's or post's own footer is not the page's; the page's is, in both collectors.
    #[test]
    fn an_articles_footer_is_not_the_pages() {
        let page = r#"<title>某某科技</title><article class="card"><footer class="meta">客户：苏ICP备19023456号-1</footer></article>
<aside><div id="copyright">苏ICP备18034567号-2</div></aside><div class="news">{}</div>
<footer><a href="https://beian.miit.gov.cn/">苏ICP备12056789号-1</a></footer>"#;
        let page = &page.replace("{}", &"<p>公司新闻：新品发布会在南京举行</p>".repeat(12));
        assert!(fast_agrees(page));
        let r = analyse(page, &expect("苏ICP备12056789号-1", "某某科技", None));
        let got: Vec<(&str, bool)> = r.icp_numbers.iter().map(|m| (m.text.as_str(), m.in_footer)).collect();
        assert_eq!(got, [("苏ICP备19023456号-1", false), ("苏ICP备18034567号-2", false), ("苏ICP备12056789号-1", true)]);
        // An article that is itself marked as the footer is the page's footer.
        let page = &format!(r#"<title>某某科技</title><article class="footer">苏ICP备12056789号-1</article>{}"#, "<p>公司新闻：新品发布会在南京举行</p>".repeat(12));
        assert!(fast_agrees(page));
        assert!(analyse(page, &expect("苏ICP备12056789号-1", "某某科技", None)).icp_numbers[0].in_footer);
    }

    /// The general generator's pages mostly make the fast path bail before an article holds a
    /// footer or a button shows its value; these simpler ones nest the footer marks, sectioning
    /// elements and buttons every way.
    #[test]
    fn fast_path_agrees_on_footer_regions() {
        fn content(rng: &mut fastrand::Rng, depth: usize, s: &mut String) {
            const NAMES: &[&str] = &["div", "p", "span", "a", "article", "aside", "section", "nav", "footer", "ARTICLE", "input", "center"];
            const ATTRS: &[&str] = &[
                "", "", " class=\"footer\"", " id=\"copyright\"", " class=\"beian\"", " href=\"https://beian.miit.gov.cn/\"", " hidden",
                " type=button value=\"京ICP备12345678号-1\"", " type=hidden value=\"京ICP备12345678号-2\"",
                " class=\"icp\"", " id=\"icp\"", " class=\"x icp\" style=\"display:block\"",
            ];
            const TEXTS: &[&str] = &["京ICP备12345678号-1", "新闻", "京公网安备11010802020134号", " "];
            for _ in 0..rng.usize(1..4) {
                if depth < 5 && rng.bool() {
                    let name = NAMES[rng.usize(..NAMES.len())];
                    s.push_str(&format!("<{name}{}>", ATTRS[rng.usize(..ATTRS.len())]));
                    content(rng, depth + 1, s);
                    s.push_str(&format!("</{name}>"));
                } else {
                    s.push_str(TEXTS[rng.usize(..TEXTS.len())]);
                }
            }
        }
        let mut rng = fastrand::Rng::with_seed(7);
        let (mut taken, mut hidden_by_rules) = (0, 0);
        const STYLES: &[&str] = &["", "", "<style>.icp{display:none}</style>", "<style>#icp,.beian{visibility:hidden}</style>", "<style>div.icp{display:none} span{display:inline}</style>"];
        for _ in 0..2000 {
            let mut page = String::from("<title>某某科技</title>");
            page.push_str(STYLES[rng.usize(..STYLES.len())]);
            content(&mut rng, 0, &mut page);
            page.push_str(STYLES[rng.usize(..STYLES.len())]);
            if fast_agrees(&page) {
                taken += 1;
                let doc = Html::parse_document(&page);
                hidden_by_rules += (collect(&doc, &sheet_of(&doc, &page)) != collect(&doc, &Sheet::default())) as usize;
            }
        }
        assert!(taken > 1000, "the fast path took only {taken} of 2000 pages");
        assert!(hidden_by_rules > 100, "style rules hid something on only {hidden_by_rules} of the {taken} pages");
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
    fn script_links_are_recorded_and_do_not_count() {
        let page = |a: &str, body: &str| format!("<title>某某科技</title><footer><p>{a}{body}</a></p></footer>");
        let icp = "京ICP备12345678号-1";
        // A link that opens the MIIT system only from a script has no href host (design §4.4):
        // unlinked, with the URL its script opens in the evidence and the finding.
        for (a, opens) in [
            (r#"<a href="javascript:;" onclick="window.open('https://beian.miit.gov.cn/')">"#, "https://beian.miit.gov.cn/"),
            (r#"<a href="javascript:window.open(%22http://beian.miit.gov.cn%22)">"#, "http://beian.miit.gov.cn"),
            (r##"<a href="#" onclick="location.href=&quot;https://beian.miit.gov.cn/#/Integrated/index&quot;">"##, "https://beian.miit.gov.cn/#/Integrated/index"),
            (r#"<a href="" onClick="top.location = ` https://beian.miit.gov.cn `">"#, "https://beian.miit.gov.cn"),
            (r#"<a href="JavaScript:location.assign('//beian.miit.gov.cn')">"#, "//beian.miit.gov.cn"),
        ] {
            for html in [page(a, icp), format!("<table><tr><td>{}</td></tr></table>", page(a, icp))] {
                let r = analyse(&html, &expect(icp, "某某科技", None));
                assert_eq!(codes(&r), vec!["page.number_unlinked"], "{html}");
                let m = &r.icp_numbers[0];
                assert!(!m.linked && m.href_host.is_none(), "{html}");
                assert_eq!(m.script_url.as_deref(), Some(opens), "{html}");
                assert!(r.findings[0].detail.contains(&format!("opens {opens} only from a script")), "{}", r.findings[0].detail);
            }
        }
        // A script that opens nothing we can read, or somewhere else, is recorded as no more than
        // its href; an href that leads somewhere itself is the link, not the script beside it.
        for a in [
            r#"<a href="javascript:void(0)">"#,
            r#"<a href="javascript:;" onclick="openBeian()">"#,
            r#"<a href="https://example.com/" onclick="window.open('https://beian.miit.gov.cn/')">"#,
            r#"<a href="/about.html" onclick="window.open('https://beian.miit.gov.cn/')">"#,
            r#"<a href="javascript:;" data-url="https://beian.miit.gov.cn/">"#,
        ] {
            let r = analyse(&page(a, icp), &expect(icp, "某某科技", None));
            assert_eq!(codes(&r), vec!["page.number_unlinked"], "{a}");
            assert_eq!(r.icp_numbers[0].script_url, None, "{a}");
            assert!(!r.findings[0].detail.contains("script"), "{}", r.findings[0].detail);
        }
        let elsewhere = analyse(&page(r#"<a href="javascript:;" onclick="window.open('/beian.html')">"#, icp), &expect(icp, "某某科技", None));
        assert_eq!(elsewhere.icp_numbers[0].script_url.as_deref(), Some("/beian.html"));
        assert!(!elsewhere.findings[0].detail.contains("script"), "{}", elsewhere.findings[0].detail);
        let psb = "京公网安备11010802020134号";
        let a = r#"<a href="javascript:;" onclick="window.open('https://beian.mps.gov.cn/#/query/webSearch?code=11010802020134')">"#;
        let r = analyse(&format!("<title>某某科技</title><footer><a href=\"https://beian.miit.gov.cn/\">{icp}</a> {a}{psb}</a></footer>"), &expect(icp, "某某科技", Some(psb)));
        assert!(!r.psb_numbers[0].linked, "{:?}", r.psb_numbers);
        assert_eq!(r.psb_numbers[0].script_url.as_deref(), Some("https://beian.mps.gov.cn/#/query/webSearch?code=11010802020134"));
        assert!(codes(&r).is_empty());
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
            // Traditional characters are the same name, on either side; a different name is not.
            ("首頁 - 雲端科技官網", "云端科技官网", true),
            ("云端科技官网", "雲端科技官網", true),
            ("雲端資訊官網", "云端科技官网", false),
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
        let (html, _) = super::super::charset::decode_html(bytes, None);
        let r = analyse(&html, &expect("京ICP备12345678号-1", "某某科技官网", Some("京公网安备11010802020134号")));
        assert!(r.findings.is_empty(), "{:?}", r.findings);
    }

    #[test]
    fn a_big5_footer_in_traditional_characters_is_read() {
        let page = r#"<html><head><meta charset="big5"><title>某某科技官网</title></head><body>
<div class="footer">版權所有 © 2024 <a href="https://beian.miit.gov.cn/">京ICP備12345678號-1</a>
<a href="https://beian.mps.gov.cn/">京公網安備 11010802020134號</a></div></body></html>"#;
        let bytes = encoding_rs::BIG5.encode(page).0.into_owned();
        let (html, enc) = super::super::charset::decode_html(bytes, None);
        assert_eq!(enc.name(), "Big5");
        let r = analyse(&html, &expect("京ICP备12345678号-1", "某某科技官网", Some("京公网安备11010802020134号")));
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        assert_eq!((r.icp_numbers[0].text.as_str(), r.icp_numbers[0].linked, r.icp_numbers[0].in_footer), ("京ICP备12345678号-1", true, true));
        assert!(r.psb_numbers[0].linked);
    }

    #[test]
    fn numbers_hidden_by_their_own_markup_are_not_shown() {
        for hidden in [r#"<p style="display: none">"#, r#"<p STYLE="color:#999;Visibility:Hidden !important">"#, "<p hidden>"] {
            let page = format!(
                r#"<title>某某科技</title><div class="footer">{hidden}<a href="https://beian.miit.gov.cn/">京ICP备12345678号-1</a> 京公网安备11010802020134号</p></div>"#
            );
            let r = analyse(&page, &expect("京ICP备12345678号-1", "某某科技", Some("京公网安备11010802020134号")));
            assert_eq!(codes(&r), vec!["page.number_missing", "page.psb_missing"], "{hidden}");
            assert_eq!((r.icp_numbers[0].source, r.psb_numbers[0].source), ("hidden", "hidden"), "{hidden}");
        }
        // An inline style that does not hide, and a hidden sibling, leave the number shown.
        let page = r#"<title>某某科技</title><div class="footer"><p style="display:block"><a href="https://beian.miit.gov.cn/">京ICP备12345678号-1</a></p><p hidden>旧站</p></div>"#;
        assert!(analyse(page, &expect("京ICP备12345678号-1", "某某科技", None)).findings.is_empty());
    }

    /// A number hidden by a simple rule of the page's own styles is hidden as an inline
    /// `display:none` one is, wherever the style element is; in both collectors.
    #[test]
    fn numbers_hidden_by_the_pages_own_style_rules_are_not_shown() {
        let want = expect("京ICP备12345678号-1", "某某科技", Some("京公网安备11010802020134号"));
        let footer = |attrs: &str| {
            format!(r#"<div class="footer"><p{attrs}><a href="https://beian.miit.gov.cn/">京ICP备12345678号-1</a> 京公网安备11010802020134号</p></div>"#)
        };
        let page = |head: &str, attrs: &str, tail: &str| {
            format!("<!DOCTYPE html><html><head><title>某某科技</title>{head}</head><body>{}{tail}</body></html>", footer(attrs))
        };
        for (head, attrs, tail) in [
            ("<style>.beian{display:none}</style>", r#" class="beian""#, ""),
            ("<style type=\"text/css\">\n.copy{color:#999}\n#icp { visibility : hidden }\n</style>", r#" id="icp""#, ""),
            ("", r#" class="info beian""#, "<style>p.beian{display:none !important}</style>"),
            ("<style>.beian{display:none}</style>", r#" class="beian""#, "<table><tr><td>x</td></tr></table>"),
        ] {
            let html = page(head, attrs, tail);
            let r = analyse(&html, &want);
            assert_eq!(codes(&r), vec!["page.number_missing", "page.psb_missing"], "{html}");
            assert_eq!((r.icp_numbers[0].source, r.psb_numbers[0].source), ("hidden", "hidden"), "{html}");
            assert!(r.findings[0].detail.contains("style rules hide"), "{}", r.findings[0].detail);
            if !tail.contains("table") {
                assert!(fast_agrees(&html), "the fast path should take {html}");
            }
        }
        // Shown: a rule that shows it again, an inline style that does, another medium, an
        // at-rule, a rule this simple reading cannot judge, another class.
        for (head, attrs) in [
            ("<style>.beian{display:none} .footer p{display:block}</style>", r#" class="beian""#),
            ("<style>.beian{display:none}</style><style media=\"(max-width:768px)\">.beian{display:block}</style>", r#" class="beian""#),
            ("<style>.beian{display:none}</style>", r#" class="beian" style="display:block""#),
            ("<style media=print>.beian{display:none}</style>", r#" class="beian""#),
            ("<style>@media screen{.beian{display:none}}</style>", r#" class="beian""#),
            ("<style>.footer .beian{display:none}</style>", r#" class="beian""#),
            ("<style>.beian{display:none}</style>", r#" class="beian-box""#),
            ("<style>.beian{visibility:hidden}</style>", r#" class="beian" onmouseover="this.style.visibility='visible'""#),
            ("<template><style>.beian{display:none}</style></template>", r#" class="beian""#),
            ("<noscript><style>.beian{display:none}</style></noscript>", r#" class="beian""#),
        ] {
            let html = page(head, attrs, "");
            let r = analyse(&html, &want);
            assert!(r.findings.is_empty(), "{html}: {:?}", r.findings);
            let _ = fast_agrees(&html);
        }
        // The corpus pages that hide by a class rule (86) and show again by a later one (87).
        for page in [
            include_str!("../../tests/fixtures/footers/86_class_rule_in_head_hides_number.html"),
            include_str!("../../tests/fixtures/footers/87_class_rule_hides_then_later_rule_shows.html"),
        ] {
            assert!(fast_agrees(page), "the fast path should take {page}");
        }
        // A declarative shadow root's content is out of the page's style rules' reach.
        let html = format!("<title>某某科技</title><style>.beian{{display:none}}</style><x-footer><template shadowrootmode=open>{}</template></x-footer>", footer(r#" class="beian""#));
        assert!(analyse(&html, &want).findings.is_empty());
        // A page cut for its depth is not judged: rules past the cut are not seen.
        let deep = format!("<title>某某科技</title><style>.beian{{display:none}}</style>{}{}", footer(r#" class="beian""#), "<div>".repeat(MAX_DEPTH + 1));
        let r = analyse(&deep, &want);
        assert!(r.cut_at_depth && r.findings.is_empty(), "{:?}", r.findings);
    }

    #[test]
    fn an_svg_title_is_not_the_page_title() {
        let page = "<html><body><svg><title>图标</title></svg><title>某某科技官网</title><p>京ICP备12345678号-1</p></body></html>";
        assert_eq!(analyse(page, &expect("京ICP备12345678号-1", "某某科技官网", None)).title.as_deref(), Some("某某科技官网"));
    }

    #[test]
    fn the_full_parser_is_given_bounded_trees() {
        let formatting_left_open = |n: usize, paragraphs: usize| {
            let open: String = (0..n).map(|k| format!("<b id={k}>")).collect();
            format!("<p>{open}</p>{}", "<p>x</p>".repeat(paragraphs))
        };
        // Each would cost the tree builder minutes or gigabytes if parsed whole.
        for (label, page) in [
            ("self-closed divs open divs", "<div/>".repeat(20_000)),
            ("end tags of elements not open close nothing", "<div></b>".repeat(20_000)),
            ("optgroups nest outside a select", "<optgroup>".repeat(5_000) + &"</p>".repeat(5_000)),
            ("hundreds of formatting elements left open", formatting_left_open(400, 5_000)),
            ("fewer, re-created in every paragraph", formatting_left_open(60, 5_000)),
        ] {
            assert!(limit_nesting(&page, MAX_DEPTH).1, "{label}: not cut");
            assert!(analyse(&page, &expect("京ICP备12345678号-1", "x", None)).cut_at_depth, "{label}");
        }
        // Pages as real sites write them are not cut.
        let icons = format!("<svg>{}</svg>", "<path d=\"M0 0\"/>".repeat(2_000));
        for (label, page) in [
            ("self-closing elements of an svg", icons),
            ("formatting closed", "<div><b>x</b><i>y</i></div>".repeat(5_000)),
            ("identical formatting left open", "<font color=red>".repeat(300) + &"<p>x</p>".repeat(5_000)),
            ("formatting left open in paragraphs", "<p><b>x</p><p><span>y<div>z</div>".repeat(2_000)),
            ("misnested formatting", "<b><i>x</b>y</i>".repeat(2_000)),
        ] {
            assert!(!limit_nesting(&page, MAX_DEPTH).1, "{label}: cut");
        }
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
    fn markup_soup_never_panics() {
        // Fragments cut anywhere: half tags, stray quotes and entities, raw-text elements left
        // open, comments, CDATA, multi-byte text next to every delimiter.
        const BITS: &[&str] = &[
            "<", ">", "</", "/>", "<a", " href=", "\"", "'", "=", "&", "&amp", "&#", "&#x", ";", "&nbsp;", "<!--", "-->",
            "<![CDATA[", "]]>", "<script>", "</script>", "<style>", "<title>", "</title>", "<textarea>", "<p>", "</p>",
            "<li>", "<table>", "<td>", "<svg>", "<math>", "<footer>", "</footer>", "<a href=\"https://beian.miit.gov.cn\">",
            "</a>", "京ICP备", "１２３４５６７８", "号", "－", "-", "3", "公网安备", "11010802020134", "\u{feff}", "\u{0}",
            "\r\n", "\t", " ", "é", "漢", "\u{10348}", "<html>", "<body>", "<head>", "<br>", "<img alt=\"", "<div id=footer>",
        ];
        let mut rng = fastrand::Rng::with_seed(0x0000_736f_7570);
        let want = expect("京ICP备12345678号-1", "站点", Some("京公网安备11010802020134号"));
        let runs: usize = std::env::var("BEIAND_PAGE_FUZZ").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
        for _ in 0..runs {
            let page: String = (0..rng.usize(0..120)).map(|_| BITS[rng.usize(..BITS.len())]).collect();
            let _ = analyse(&page, &want);
        }
    }

    #[test]
    fn style_soup_never_panics() {
        // Style text cut anywhere: half rules, strings and comments left open, escapes, nested
        // blocks and at-rules, multi-byte text next to every delimiter.
        const BITS: &[&str] = &[
            "{", "}", ";", ":", ",", ".", "#", "*", ">", "+", "~", " ", "\n", "\"", "'", "\\", "/*", "*/", "(", ")", "[", "]",
            "@media screen", "@supports (display:none)", "@import", "&", "::before", ":hover", "<!--", "-->", "!important",
            "display", "none", "visibility", "hidden", "block", "all", "a", "b", "div", "beian", ".beian", "#footer", "\\9",
            "é", "漢", "\u{10348}", "\u{0}", "\t", "=",
        ];
        let mut rng = fastrand::Rng::with_seed(0x0073_7479_6c65);
        let want = expect("京ICP备12345678号-1", "站点", None);
        let runs: usize = std::env::var("BEIAND_PAGE_FUZZ").ok().and_then(|v| v.parse().ok()).unwrap_or(3000);
        for _ in 0..runs {
            let css: String = (0..rng.usize(0..60)).map(|_| BITS[rng.usize(..BITS.len())]).collect();
            let page = format!("<title>站点</title><style>{css}</style><div class=\"beian a\" id=b>京ICP备12345678号-1</div><style>.a{{display:none}}</style>");
            let _ = analyse(&page, &want);
            fast_agrees(&page);
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
