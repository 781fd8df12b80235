//! Charset decoding for fetched and saved pages: byte-order mark first, then the Content-Type
//! header, then `<meta charset>` in the first 64 KB, else UTF-8 — and when undeclared bytes are
//! not valid UTF-8, GB18030 (Chinese pages often leave the charset out). GBK, GB2312, GB18030 and
//! Big5 all decode through encoding_rs. A declaration that lies, or names a label no page can be
//! read in, does not lose the page (see [`decode_html`]).

use encoding_rs::{Encoding, GB18030, REPLACEMENT, UTF_16BE, UTF_16LE, UTF_8};
use once_cell::sync::Lazy;
use regex::bytes::Regex;

/// How far into the body a `<meta>` charset declaration is looked for. Browsers pre-scan 1 KB
/// but re-decode when the parser meets a declaration later in the head, after a long inline
/// `<style>` or `<script>` say; the search stops at the first declaration, so a page that
/// declares its charset early costs no more for the long reach.
const SNIFF_BYTES: usize = 64 * 1024;

static META_CHARSET: Lazy<Regex> = Lazy::new(|| {
    Regex::new(r#"(?i)<meta\s[^>]*?charset\s*=\s*["']?\s*([a-z0-9_.:\-]+)"#).expect("meta charset regex")
});

/// The charset label of a Content-Type value, e.g. `text/html; charset=GBK` → `GBK`.
fn header_label(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("charset").then(|| v.trim().trim_matches(|c| c == '"' || c == '\''))
    })
}

/// The encoding of the first `<meta>` charset declaration in `head` outside comments (a
/// commented-out old declaration does not count, as in the HTML standard's pre-scan).
fn meta_charset(head: &[u8]) -> Option<&'static Encoding> {
    let mut comments: Vec<std::ops::Range<usize>> = Vec::new();
    let mut from = 0;
    while let Some(start) = memchr::memmem::find(&head[from..], b"<!--").map(|o| from + o) {
        let end = memchr::memmem::find(&head[start + 4..], b"-->").map_or(head.len(), |o| start + 4 + o + 3);
        comments.push(start..end);
        from = end;
    }
    META_CHARSET
        .captures_iter(head)
        .filter(|c| c.get(0).is_some_and(|m| !comments.iter().any(|r| r.contains(&m.start()))))
        .find_map(|c| Encoding::for_label(c.get(1)?.as_bytes()).and_then(usable))
}

/// The encoding a declared label names, when it is one a page can be read in: not the
/// `replacement` encoding (WHATWG maps `hz-gb-2312`, `iso-2022-kr` and a few others to it, which
/// decodes a whole page to one U+FFFD), and UTF-16 read as UTF-8 (a declaration readable as ASCII
/// is no UTF-16 page, WHATWG). Such a label is treated as unknown.
fn usable(enc: &'static Encoding) -> Option<&'static Encoding> {
    if enc == REPLACEMENT {
        None
    } else if enc == UTF_16LE || enc == UTF_16BE {
        Some(UTF_8)
    } else {
        Some(enc)
    }
}

/// Whether `bytes` are UTF-8 but for an incomplete character at the very end (a body cut at
/// `http.max_body_bytes`).
fn utf8_but_for_cut_tail(bytes: &[u8]) -> bool {
    let tail = &bytes[Encoding::utf8_valid_up_to(bytes)..];
    tail.len() < 4 && std::str::from_utf8(tail).err().is_none_or(|e| e.error_len().is_none())
}

/// Decodes a page; returns the text and the encoding used. Valid UTF-8 becomes the text as it
/// is, without a copy.
///
/// A declaration can lie (a server-wide `charset utf-8` over old GBK pages, Apache's default
/// ISO-8859-1 over UTF-8 ones). The page is not lost to it: bytes declared in a legacy charset
/// that are valid UTF-8 with non-ASCII in them are UTF-8 (legacy CJK or Latin text is practically
/// never valid UTF-8); bytes declared UTF-8 that are not are read in the page's own `<meta>`
/// charset, else GB18030, when that reads them without error, else as UTF-8 with U+FFFD.
pub fn decode_html(bytes: Vec<u8>, content_type: Option<&str>) -> (String, &'static Encoding) {
    if let Some((enc, bom_len)) = Encoding::for_bom(&bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc);
    }
    let header = content_type.and_then(header_label).and_then(|l| Encoding::for_label(l.as_bytes())).and_then(usable);
    let sniff = |bytes: &[u8]| meta_charset(&bytes[..bytes.len().min(SNIFF_BYTES)]);
    let declared = header.or_else(|| sniff(&bytes));
    if let Some(enc) = declared.filter(|&e| e != UTF_8 && bytes.is_ascii()) {
        // ASCII reads the same in any of them, but ISO-2022-JP is written in ASCII.
        let (text, _) = enc.decode_without_bom_handling(&bytes);
        return (text.into_owned(), enc);
    }
    let bytes = match valid_utf8(bytes) {
        Ok(text) => return (text, UTF_8),
        Err(bytes) => bytes,
    };
    if utf8_but_for_cut_tail(&bytes) {
        return (String::from_utf8_lossy(&bytes).into_owned(), UTF_8);
    }
    if let Some(enc) = declared.filter(|&e| e != UTF_8) {
        let (text, _) = enc.decode_without_bom_handling(&bytes);
        return (text.into_owned(), enc);
    }
    // Undeclared, or declared UTF-8 and not: the page's own `<meta>` charset (when the header
    // said UTF-8), else GB18030 (Chinese pages often leave the charset out), when it reads the
    // bytes without error.
    let meta = header.and_then(|_| sniff(&bytes)).filter(|&e| e != UTF_8);
    for enc in meta.into_iter().chain([GB18030]) {
        if let Some(text) = enc.decode_without_bom_handling_and_without_replacement(&bytes) {
            return (text.into_owned(), enc);
        }
    }
    (String::from_utf8_lossy(&bytes).into_owned(), UTF_8)
}

/// The bytes as a `String` when they are UTF-8, else the bytes back. encoding_rs validates with
/// SIMD; std's `String::from_utf8` took ~7 instructions a byte on CJK text, more than the copy
/// this saves.
fn valid_utf8(bytes: Vec<u8>) -> Result<String, Vec<u8>> {
    if Encoding::utf8_valid_up_to(&bytes) != bytes.len() {
        return Err(bytes);
    }
    // SAFETY: `utf8_valid_up_to` has just checked that all of `bytes` is valid UTF-8.
    Ok(unsafe { String::from_utf8_unchecked(bytes) })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "<title>某某科技</title><p>京ICP备12345678号-1</p>";

    fn encoded(label: &str, text: &str) -> Vec<u8> {
        let enc = Encoding::for_label(label.as_bytes()).unwrap();
        enc.encode(text).0.into_owned()
    }

    #[test]
    fn header_charset_wins() {
        for label in ["gbk", "GB2312", "gb18030"] {
            let (text, _) = decode_html(encoded(label, TEXT), Some(&format!("text/html; charset={label}")));
            assert_eq!(text, TEXT, "{label}");
        }
        let big5 = "<title>某科技</title>";
        assert_eq!(decode_html(encoded("big5", big5), Some("text/html;charset=\"big5\"")).0, big5);
    }

    #[test]
    fn meta_charset_is_sniffed() {
        let page = format!("<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">{TEXT}");
        let (text, enc) = decode_html(encoded("gbk", &page), Some("text/html"));
        assert_eq!(text, page);
        assert_eq!(enc.name(), "GBK");
        let page = format!("<meta charset='GBK'>{TEXT}");
        assert_eq!(decode_html(encoded("gbk", &page), None).0, page);
        // A declaration in a comment is no declaration.
        let page = format!("<!--<meta charset=\"gb2312\">--><meta charset=\"utf-8\">{TEXT}");
        assert_eq!(decode_html(page.clone().into_bytes(), None), (page, UTF_8));
    }

    #[test]
    fn bom_and_fallbacks() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(TEXT.as_bytes());
        assert_eq!(decode_html(bytes, Some("text/html; charset=gbk")).0, TEXT);
        assert_eq!(decode_html(TEXT.as_bytes().to_vec(), None), (TEXT.to_string(), UTF_8));
        // Undeclared GBK bytes are not UTF-8: GB18030 reads them.
        let (text, enc) = decode_html(encoded("gbk", TEXT), None);
        assert_eq!((text.as_str(), enc), (TEXT, GB18030));
        // Declared UTF-8 that is not: the bad bytes become U+FFFD, the rest is kept.
        let mut bad = TEXT.as_bytes().to_vec();
        bad.insert(7, 0xff);
        let (text, enc) = decode_html(bad, Some("text/html; charset=utf-8"));
        assert_eq!((text.replace('\u{fffd}', ""), enc), (TEXT.to_string(), UTF_8));
        assert_eq!(text.matches('\u{fffd}').count(), 1);
        // A body cut inside a UTF-8 character is UTF-8 still, whatever was declared.
        let at = TEXT.find('号').unwrap();
        for ct in [None, Some("text/html; charset=gbk"), Some("text/html; charset=utf-8")] {
            let (text, enc) = decode_html(TEXT.as_bytes()[..at + 2].to_vec(), ct);
            assert_eq!((text, enc), (format!("{}\u{fffd}", &TEXT[..at]), UTF_8), "{ct:?}");
        }
        // Garbage never panics.
        let _ = decode_html(vec![0xff, 0xfe, 0x00, 0xd8, 0x80], None);
        let _ = decode_html(vec![0x81, 0x30, 0xff], Some("text/html; charset=nonsense"));
    }

    #[test]
    fn a_label_no_page_is_read_in_is_unknown() {
        // WHATWG maps these to the `replacement` encoding, which reads a page as one U+FFFD.
        for label in ["hz-gb-2312", "iso-2022-kr", "iso-2022-cn", "csiso2022kr"] {
            assert_eq!(decode_html(TEXT.as_bytes().to_vec(), Some(&format!("text/html; charset={label}"))), (TEXT.to_string(), UTF_8), "{label}");
            let page = format!("<meta charset=\"{label}\">{TEXT}");
            assert_eq!(decode_html(encoded("gbk", &page), None), (page, GB18030), "{label}");
        }
    }

    #[test]
    fn a_lying_declaration_does_not_lose_the_page() {
        // The header says UTF-8 (nginx `charset utf-8;` site-wide) over an old GBK page: its own
        // meta is believed, else GB18030 reads it.
        let page = format!("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">{TEXT}");
        let (text, enc) = decode_html(encoded("gbk", &page), Some("text/html; charset=utf-8"));
        assert_eq!((text.as_str(), enc.name()), (page.as_str(), "GBK"));
        let (text, enc) = decode_html(encoded("gbk", TEXT), Some("text/html; charset=UTF-8"));
        assert_eq!((text.as_str(), enc), (TEXT, GB18030));
        // A legacy charset declared over a UTF-8 page (Apache's ISO-8859-1 default, an old
        // `charset gbk;`, a template's stale meta): the bytes are UTF-8.
        for ct in ["text/html; charset=gbk", "text/html; charset=iso-8859-1", "text/html; charset=big5"] {
            assert_eq!(decode_html(TEXT.as_bytes().to_vec(), Some(ct)), (TEXT.to_string(), UTF_8), "{ct}");
        }
        let page = format!("<meta charset=\"gb2312\">{TEXT}");
        assert_eq!(decode_html(page.clone().into_bytes(), None), (page, UTF_8));
        // A declaration that tells the truth is kept, ASCII included.
        assert_eq!(decode_html(b"<title>ok</title>".to_vec(), Some("text/html; charset=gbk")).1.name(), "GBK");
        let jis = encoded("iso-2022-jp", "<title>日本</title>");
        assert_eq!(decode_html(jis, Some("text/html; charset=iso-2022-jp")).0, "<title>日本</title>");
    }
}
