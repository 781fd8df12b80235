//! Charset decoding for fetched and saved pages: byte-order mark first, then the Content-Type
//! header, then `<meta charset>` in the first 64 KB, else UTF-8 — and when undeclared bytes are
//! not valid UTF-8, GB18030 (Chinese pages often leave the charset out). GBK, GB2312, GB18030 and
//! Big5 all decode through encoding_rs. A declaration is believed as a browser believes it (see
//! [`decode_html`]).

use encoding_rs::{Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};
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
        .find_map(|c| Encoding::for_label(c.get(1)?.as_bytes()))
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
/// A declaration is believed as a browser believes it, even when it lies (a server-wide
/// `charset utf-8` over an old GBK page, a stale `<meta charset=gb2312>` over UTF-8, a label
/// WHATWG maps to the `replacement` encoding): the page is judged as its visitors see it, and
/// the evidence names the encoding it was read in. Only an undeclared page is guessed at: UTF-8,
/// else GB18030 when that reads it without error. A body cut inside a UTF-8 character (at
/// `http.max_body_bytes`) is still UTF-8: the cut is ours, not the page's.
pub fn decode_html(bytes: Vec<u8>, content_type: Option<&str>) -> (String, &'static Encoding) {
    if let Some((enc, bom_len)) = Encoding::for_bom(&bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc);
    }
    let declared = content_type
        .and_then(header_label)
        .and_then(|l| Encoding::for_label(l.as_bytes()))
        .or_else(|| meta_charset(&bytes[..bytes.len().min(SNIFF_BYTES)]))
        // A page cannot really be UTF-16 when its declaration was readable as ASCII (WHATWG).
        .map(|e| if e == UTF_16LE || e == UTF_16BE { UTF_8 } else { e });
    if let Some(enc) = declared {
        let bytes = if enc != UTF_8 {
            bytes
        } else {
            match valid_utf8(bytes) {
                Ok(text) => return (text, UTF_8),
                Err(bytes) => bytes,
            }
        };
        let (text, _) = enc.decode_without_bom_handling(&bytes);
        return (text.into_owned(), enc);
    }
    let bytes = match valid_utf8(bytes) {
        Ok(text) => return (text, UTF_8),
        Err(bytes) => bytes,
    };
    if !utf8_but_for_cut_tail(&bytes) {
        if let Some(text) = GB18030.decode_without_bom_handling_and_without_replacement(&bytes) {
            return (text.into_owned(), GB18030);
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
        // A body cut inside a UTF-8 character is UTF-8 still, not an undeclared GB18030 page.
        let at = TEXT.find('号').unwrap();
        // (Four bytes of 中文 read as GB18030 without an error: two characters that are not there.)
        assert_eq!(decode_html("中文".as_bytes()[..4].to_vec(), None), ("中\u{fffd}".to_string(), UTF_8));
        for ct in [None, Some("text/html; charset=utf-8")] {
            let (text, enc) = decode_html(TEXT.as_bytes()[..at + 2].to_vec(), ct);
            assert_eq!((text, enc), (format!("{}\u{fffd}", &TEXT[..at]), UTF_8), "{ct:?}");
        }
        // Garbage never panics.
        let _ = decode_html(vec![0xff, 0xfe, 0x00, 0xd8, 0x80], None);
        let _ = decode_html(vec![0x81, 0x30, 0xff], Some("text/html; charset=nonsense"));
    }

    #[test]
    fn a_declaration_is_believed_as_a_browser_believes_it() {
        // The header says UTF-8 over an old GBK page: visitors see U+FFFD, and so does the check
        // (the page's own meta, saying gb2312, comes after the header, as in browsers).
        let page = format!("<meta http-equiv=\"Content-Type\" content=\"text/html; charset=gb2312\">{TEXT}");
        let (text, enc) = decode_html(encoded("gbk", &page), Some("text/html; charset=utf-8"));
        assert_eq!(enc, UTF_8);
        assert!(text.contains('\u{fffd}') && !text.contains("京ICP备"), "{text}");
        // A stale meta over UTF-8 bytes is mojibake in a browser too.
        let (text, enc) = decode_html(format!("<meta charset=\"gb2312\">{TEXT}").into_bytes(), None);
        assert_eq!(enc.name(), "GBK");
        assert!(!text.contains("京ICP备"), "{text}");
        // WHATWG's replacement encoding reads a page as one U+FFFD.
        assert_eq!(decode_html(TEXT.as_bytes().to_vec(), Some("text/html; charset=hz-gb-2312")).0, "\u{fffd}");
        let jis = encoded("iso-2022-jp", "<title>日本</title>");
        assert_eq!(decode_html(jis, Some("text/html; charset=iso-2022-jp")).0, "<title>日本</title>");
    }
}
