//! Meta refresh: a homepage that is only `<meta http-equiv="refresh" content="0; url=/cn/">`
//! sends a browser on to the real homepage, as a redirect would. The HTTP probe follows it like
//! one, so the stub is not judged as the site's homepage. A `Refresh` response header, which
//! browsers treat the same way, is read by [`header_target`].
//!
//! Only the document's head is looked at (browsers honour the tag anywhere, but stubs put it
//! there, and scanning a whole 40 KB page for it on every check is not free). A tag a browser
//! running scripts does not act on does not count: one in a comment, a `<noscript>`, a script's
//! text (`document.write('<meta …>')` for some visitors only), a `<template>`, `<style>`,
//! `<textarea>` or `<title>`. Nor does one whose URL is not http(s): a browser ignores a
//! `javascript:` refresh (the caller checks the scheme after joining the URL).

use once_cell::sync::Lazy;
use regex::Regex;

/// How far into the page the head is looked for the tag.
const HEAD_BYTES: usize = 32 * 1024;

/// The longest delay that still makes the page a stub: a page that waits longer is meant to be
/// read first, and is judged itself.
pub const MAX_DELAY_SECONDS: u64 = 10;

/// A `<meta>` start tag with `http-equiv=refresh`, to its `>` (quoted values may hold `>`).
static REFRESH_TAG: Lazy<Regex> = Lazy::new(|| {
    let attrs = r#"(?:[^>"']|"[^"]*"|'[^']*')*"#;
    let value = r#"(?:"\s*refresh\s*"|'\s*refresh\s*'|refresh\b)"#;
    Regex::new(&format!(r#"(?i)<meta\s{attrs}?http-equiv\s*=\s*{value}{attrs}>"#)).expect("meta refresh regex")
});
/// What hides a tag from a browser that runs scripts: a comment, or the text of an element whose
/// content is not parsed as tags (or, for `<template>`, never acted on).
static HIDDEN: Lazy<Regex> = Lazy::new(|| {
    let elements = ["noscript", "script", "style", "template", "textarea", "title"].map(|e| format!(r"<{e}\b.*?(?:</{e}|\z)"));
    Regex::new(&format!(r"(?is)<!--.*?(?:-->|\z)|{}", elements.join("|"))).expect("hidden regex")
});

/// The URL (as written, character references decoded; to be joined with the page's) that the
/// page's meta refresh leads to within [`MAX_DELAY_SECONDS`]; `None` when there is none, it waits
/// longer, or it reloads the page itself (no URL).
pub fn target(html: &str) -> Option<String> {
    let mut head = &html[..html.floor_char_boundary(HEAD_BYTES)];
    if let Some(body) = find_ascii_ci(head, "<body") {
        head = &head[..body];
    }
    let mut tags = REFRESH_TAG.find_iter(head).peekable();
    tags.peek()?;
    let hidden: Vec<_> = HIDDEN.find_iter(head).map(|h| h.range()).collect();
    // Each tag alone, through the HTML parser: its attributes as a browser reads them (quotes,
    // `&amp;` and the other character references). The pattern also matches an attribute that
    // only ends in `http-equiv` (`data-http-equiv="refresh"`), which is no refresh.
    let content = tags.filter(|t| !hidden.iter().any(|h| h.contains(&t.start()))).find_map(|tag| {
        let fragment = scraper::Html::parse_fragment(tag.as_str());
        let meta = fragment.root_element().descendent_elements().find(|e| e.value().name() == "meta")?;
        let refresh = meta.value().attr("http-equiv").is_some_and(|v| v.trim().eq_ignore_ascii_case("refresh"));
        refresh.then(|| meta.value().attr("content").map(str::to_string))
    })??;
    header_target(&content)
}

/// The URL (as written; to be joined with the page's) that a `Refresh` response header leads to
/// within [`MAX_DELAY_SECONDS`]: `Refresh: 0; url=/cn/` (PHP's `header("Refresh: …")`), which
/// browsers act on as on the tag, whose `content` it is written as. `None` as for [`target`].
pub fn header_target(value: &str) -> Option<String> {
    let (delay, url) = parse_content(value)?;
    (delay <= MAX_DELAY_SECONDS).then(|| url.to_string())
}

/// Splits a refresh `content` value into its delay and URL, the way the HTML standard's
/// declarative refresh reads it: `5`, `0; url=/x`, `0;URL='/x'`, `0, /x`. `None` without a URL.
fn parse_content(value: &str) -> Option<(u64, &str)> {
    let value = value.trim_start();
    let digits = value.find(|c: char| !c.is_ascii_digit()).unwrap_or(value.len());
    // A fraction (`0.5`) is read and dropped, as browsers do.
    let rest = value[digits..].trim_start_matches(|c: char| c.is_ascii_digit() || c == '.');
    if digits == 0 && rest.len() == value.len() {
        return None;
    }
    let delay = value[..digits].parse::<u64>().unwrap_or(u64::MAX);
    let rest = rest.trim_start().trim_start_matches([';', ',']).trim_start();
    let rest = match rest.get(..3) {
        Some(u) if u.eq_ignore_ascii_case("url") && rest[3..].trim_start().starts_with('=') => rest[3..].trim_start()[1..].trim_start(),
        _ => rest,
    };
    let url = match rest.chars().next() {
        Some(q @ ('"' | '\'')) => rest[1..].split(q).next().unwrap_or(""),
        _ => rest,
    }
    .trim();
    (!url.is_empty()).then_some((delay, url))
}

/// The byte offset of the first ASCII-case-insensitive occurrence of lower-case `needle`.
fn find_ascii_ci(hay: &str, needle: &str) -> Option<usize> {
    let (first, rest) = needle.as_bytes().split_first()?;
    let b = hay.as_bytes();
    memchr::memchr2_iter(*first, first.to_ascii_uppercase(), b)
        .find(|&i| b.get(i + 1..i + needle.len()).is_some_and(|r| r.eq_ignore_ascii_case(rest)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stub_homepages_lead_on() {
        for (page, want) in [
            (r#"<html><head><meta http-equiv="refresh" content="0; url=/cn/index.html"></head><body></body></html>"#, Some("/cn/index.html")),
            (r#"<META HTTP-EQUIV="Refresh" CONTENT="0;URL=http://www.example.cn/">"#, Some("http://www.example.cn/")),
            (r#"<meta content="3; url='/zh/'" http-equiv=refresh>"#, Some("/zh/")),
            (r#"<meta http-equiv='refresh' content='0.5, /home'>"#, Some("/home")),
            (r#"<meta http-equiv="refresh" content="10;url=/wait">"#, Some("/wait")),
            (r#"<meta http-equiv="refresh" content="0;url = 首页.html">"#, Some("首页.html")),
            (r#"<!-- <meta http-equiv="refresh" content="0; url=/old"> --><meta http-equiv="refresh" content="0; url=/new">"#, Some("/new")),
            (r#"<meta http-equiv="refresh" content="0;url=/index.php?m=content&amp;c=index&#38;a=lists">"#, Some("/index.php?m=content&c=index&a=lists")),
            (r#"<meta http-equiv="refresh" content="0;url=/a>b">"#, Some("/a>b")),
            (r#"<script>document.write('<meta http-equiv="refresh" content="0;url=/m/">');</script><meta http-equiv="refresh" content="0;url=/real">"#, Some("/real")),
            (r#"<meta data-http-equiv="refresh" content="0;url=/no"><meta http-equiv="refresh" content="0;url=/yes">"#, Some("/yes")),
        ] {
            assert_eq!(target(page).as_deref(), want, "{page}");
        }
    }

    #[test]
    fn pages_meant_to_be_read_are_judged_themselves() {
        for page in [
            // A page that reloads itself, or waits to be read first.
            r#"<meta http-equiv="refresh" content="300">"#,
            r#"<meta http-equiv="refresh" content="11; url=/later">"#,
            r#"<meta http-equiv="refresh" content="99999999999999999999999; url=/never">"#,
            r#"<meta http-equiv="refresh" content="">"#,
            r#"<meta http-equiv="refresh" content="; url=/x">"#,
            // Hidden from a browser that runs scripts.
            r#"<!-- <meta http-equiv="refresh" content="0; url=/old"> -->"#,
            r#"<noscript><meta http-equiv="refresh" content="0; url=/nojs"></noscript>"#,
            r#"<script>if (/Mobile/.test(navigator.userAgent)) document.write('<meta http-equiv="refresh" content="0;url=/m/">');</script>"#,
            r#"<template><meta http-equiv="refresh" content="0;url=/tpl/"></template>"#,
            r#"<title>a <meta http-equiv="refresh" content="0;url=/t/"></title>"#,
            r#"<style>/* <meta http-equiv="refresh" content="0;url=/s/"> */</style>"#,
            // Not a refresh, or not in the head.
            r#"<meta http-equiv="content-type" content="text/html; charset=gbk">"#,
            r#"<meta name="refresh" content="0; url=/x">"#,
            r#"<meta data-http-equiv="refresh" content="0; url=/x">"#,
            r#"<meta x-http-equiv=refresh content="0; url=/x">"#,
            r#"<head></head><body><p>&lt;meta http-equiv="refresh"&gt;</p><meta http-equiv="refresh" content="0;url=/x"></body>"#,
        ] {
            assert_eq!(target(page), None, "{page}");
        }
        assert_eq!(header_target("0; url=/cn/").as_deref(), Some("/cn/"));
        assert_eq!(header_target("30; url=/cn/"), None);
        assert_eq!(header_target("0"), None);
        let late = format!("<head>{}<meta http-equiv=\"refresh\" content=\"0;url=/x\">", "x".repeat(HEAD_BYTES));
        assert_eq!(target(&late), None);
        // A cut inside a multi-byte character does not panic.
        assert_eq!(target(&"某".repeat(HEAD_BYTES)), None);
    }
}
