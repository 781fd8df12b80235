//! The page's own style rules that hide an element: `<style>.beian{display:none}</style>` with
//! `<div class="beian">京ICP备…</div>` hides the number from visitors as surely as an inline
//! `style="display:none"` does. Only the simple, common case is judged, and only where no rule
//! on the page could show the element again; anything else counts as shown (a missed hiding costs
//! nothing, a wrong one a customer's ticket).
//!
//! The rule, exactly. An element is hidden by the page's styles when
//! 1. some *hiding rule* matches it: a style rule at the top level of a `<style>` element that
//!    applies unconditionally (no `media` attribute, or `all` or `screen`; no `type` other than
//!    `text/css`; no `title`), outside every at-rule block (`@media`, `@supports`, …) and CSS
//!    nesting, with a declaration `display:none` or `visibility:hidden` (any case and whitespace,
//!    `!important` or not), whose selector list holds only selectors made of type, `*`, class and
//!    id parts and the four combinators (any other selector may make the browser drop the whole
//!    list), and of them one *simple selector* — a single compound `.class`, `#id`, `tag.class` or
//!    `tag#id` — that matches the element (tag ASCII case-insensitively, class and id exactly);
//! 2. no *showing declaration* could apply to it: no rule anywhere in any `<style>` element —
//!    whatever its media, inside at-rule blocks and nested rules too, whatever the order or
//!    specificity — declares `display` or `visibility` with another value (or `all`, or a
//!    property name with an escape) for a selector whose subject (last compound) could match the
//!    element, judged by its tag, id and classes alone, ASCII case-insensitively; attribute
//!    selectors, pseudo-classes and `&` are taken to match, a pseudo-element (`::before`,
//!    `:after`, …) styles another box and never matches, and a subject that cannot be read
//!    matches everything; and the element's own `style` attribute declares neither;
//! 3. for a rule that hides only by `visibility:hidden` (a descendant can set `visibility:visible`
//!    again): the word `visibility` appears nowhere on the page (inline styles, scripts, other
//!    rules) but in `visibility:hidden` declarations of `<style>` elements, and no `<style>`
//!    declares `all`.
//!
//! A declaration's value is `none` or `hidden` only as one token (`no ne` and `no/**/ne` are
//! invalid declarations). Rule 3 also needs no `\` and no numeric character reference to an
//! ASCII character anywhere on the page, and no escaped property name in any `<style>` (either
//! could spell `visibility`).
//!
//! A `<style>` whose text cannot be read strictly (an unterminated comment, string or block, a
//! stray `}`, blocks nested more than 32 deep, a `url(` a browser may read as a bad url or a
//! function name with an escape) turns the whole judgement off for the page, as it might hold a
//! showing rule; so do more than 2,000 hiding selectors and showing subjects in all.
//! External stylesheets and scripts cannot be judged from the page alone: a rule in a linked
//! `.css` file or a script that shows the element again is not seen.

/// What the page's style elements say about hiding, built once per page (see the module doc).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Sheet {
    hide: Vec<Hide>,
    shows: Vec<Subject>,
    /// Rule 3 holds: `visibility:hidden` rules may hide.
    visibility_ok: bool,
}

/// A simple selector of a hiding rule.
#[derive(Debug, PartialEq)]
struct Hide {
    /// Lower-cased.
    tag: Option<String>,
    class: Option<String>,
    id: Option<String>,
    /// Its rule hides by `visibility:hidden` only.
    visibility_only: bool,
}

/// The subject compound of a showing rule's selector.
#[derive(Debug, PartialEq)]
enum Subject {
    /// Could match any element.
    Any,
    /// Matches only elements with this tag (lower-cased, if any), all these classes and ids.
    Compound { tag: Option<String>, classes: Vec<String>, ids: Vec<String> },
    /// A pseudo-element (`::before`, `:after`, …): another box, never the element itself.
    Never,
}

/// Whether a `<style>` element with these attributes applies unconditionally (rule 1).
pub(crate) fn unconditional(media: Option<&str>, kind: Option<&str>, title: Option<&str>) -> bool {
    let media_ok = media.is_none_or(|m| ["", "all", "screen"].iter().any(|k| m.trim_matches(is_ws_char).eq_ignore_ascii_case(k)));
    let kind_ok = kind.is_none_or(|k| k.is_empty() || k.eq_ignore_ascii_case("text/css"));
    media_ok && kind_ok && title.is_none()
}

impl Sheet {
    /// The sheet of a page from its style elements' texts, each with whether it applies
    /// unconditionally; `page` is the whole page (for rule 3).
    pub(crate) fn build<S: AsRef<str>>(styles: &[(S, bool)], page: &str) -> Sheet {
        // Most pages' styles hide nothing: no parsing for them.
        if !styles.iter().any(|(css, unconditional)| *unconditional && (contains_ci(css.as_ref(), "none") || contains_ci(css.as_ref(), "hidden"))) {
            return Sheet::default();
        }
        let mut rules = Vec::new();
        for (css, unconditional) in styles {
            if misreadable_url(css.as_ref()) {
                return Sheet::default();
            }
            let Some(css) = strip_comments(css.as_ref()) else { return Sheet::default() };
            let mut parsed = Vec::new();
            if rule_list(&css, 0, css.len(), 0, &mut parsed).is_err() {
                return Sheet::default();
            }
            rules.extend(parsed.into_iter().map(|r| (r, *unconditional)));
        }
        let mut sheet = Sheet::default();
        let (mut hidden_visibility, mut any_all) = (0usize, false);
        for (r, unconditional) in &rules {
            hidden_visibility += r.decls.visibility_hidden;
            // An escaped name could be `visibility` too.
            any_all |= r.decls.all || r.decls.escaped;
            if r.decls.shows {
                sheet.shows.extend(split_list(&r.prelude).map(subject));
            }
            if *unconditional && r.top && (r.decls.display_none || r.decls.visibility_hidden > 0) {
                let selectors: Vec<&str> = split_list(&r.prelude).collect();
                if selectors.iter().all(|s| plain_selector(s)) {
                    let visibility_only = !r.decls.display_none;
                    sheet.hide.extend(selectors.iter().filter_map(|s| simple(s)).map(|(tag, class, id)| Hide { tag, class, id, visibility_only }));
                }
            }
        }
        // A `\` escape or a character reference could spell `visibility` in an inline style.
        sheet.visibility_ok = !any_all && count_ci(page, "visibility") == hidden_visibility && !page.contains('\\') && !ascii_char_ref(page);
        // Each element is looked at against every rule: a page with very many is not judged.
        if sheet.hide.is_empty() || sheet.hide.len() + sheet.shows.len() > MAX_RULES {
            return Sheet::default();
        }
        sheet
    }

    /// Whether nothing on the page is hidden by it.
    pub(crate) fn is_empty(&self) -> bool {
        self.hide.is_empty()
    }

    /// Whether an element with this tag (lower-case), id and class is hidden; `style_shows`: its
    /// style attribute could show it ([`style_shows`]).
    pub(crate) fn hides(&self, tag: &str, id: Option<&str>, class: Option<&str>, style_shows: bool) -> bool {
        if self.hide.is_empty() || (id.is_none() && class.is_none()) {
            return false;
        }
        let has_class = |c: &str| class.is_some_and(|cl| cl.split(is_ws_char).any(|k| k == c));
        let matched = self.hide.iter().any(|h| {
            (!h.visibility_only || self.visibility_ok)
                && h.tag.as_deref().is_none_or(|t| t.eq_ignore_ascii_case(tag))
                && h.class.as_deref().is_none_or(has_class)
                && h.id.as_deref().is_none_or(|i| id == Some(i))
        });
        matched && !style_shows && !self.shows.iter().any(|s| s.could_match(tag, id, class))
    }
}

impl Subject {
    fn could_match(&self, tag: &str, id: Option<&str>, class: Option<&str>) -> bool {
        match self {
            Subject::Any => true,
            Subject::Never => false,
            Subject::Compound { tag: t, classes, ids } => {
                t.as_deref().is_none_or(|t| t.eq_ignore_ascii_case(tag))
                    && classes.iter().all(|c| class.is_some_and(|cl| cl.split(is_ws_char).any(|k| k.eq_ignore_ascii_case(c))))
                    && ids.iter().all(|i| id.is_some_and(|id| id.eq_ignore_ascii_case(i)))
            }
        }
    }
}

/// The most hiding selectors and showing subjects a page's styles may have to be judged.
const MAX_RULES: usize = 2_000;

/// The deepest nesting of blocks in style text that is judged.
const MAX_NESTING: usize = 32;

/// Whether the style text has a `url(` a browser may read otherwise than this reader: an unquoted
/// url holding a quote, `(`, a brace, `/*` or inner whitespace (a bad url, which runs to its `)`
/// whatever it holds), one left open, or a function name with an escape (`u\72l(`).
fn misreadable_url(css: &str) -> bool {
    let b = css.as_bytes();
    for p in memchr::memchr_iter(b'(', b) {
        let name_start = b[..p].iter().rposition(|&c| !(c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c == b'\\' || c >= 0x80 || is_ws(c))).map_or(0, |q| q + 1);
        let name = &b[name_start..p];
        if name.contains(&b'\\') {
            return true;
        }
        if !(name.len() >= 3 && name[name.len() - 3..].eq_ignore_ascii_case(b"url") && (name.len() == 3 || !is_ident_byte(name[name.len() - 4]))) {
            continue;
        }
        let rest = &b[p + 1..];
        let Some(start) = rest.iter().position(|&c| !is_ws(c)) else { return true };
        if matches!(rest[start], b'"' | b'\'') {
            continue;
        }
        let Some(close) = memchr::memchr(b')', &rest[start..]) else { return true };
        let url = &rest[start..start + close];
        let trimmed = &url[..url.iter().rposition(|&c| !is_ws(c)).map_or(0, |q| q + 1)];
        if trimmed.iter().any(|&c| matches!(c, b'"' | b'\'' | b'(' | b'{' | b'}') || is_ws(c)) || memchr::memmem::find(url, b"/*").is_some() {
            return true;
        }
    }
    false
}

fn is_ident_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c >= 0x80
}

/// Whether the page has a numeric character reference to an ASCII character (`&#105;`, `&#x69;`).
fn ascii_char_ref(page: &str) -> bool {
    let b = page.as_bytes();
    memchr::memmem::find_iter(b, b"&#").any(|p| {
        let rest = &b[p + 2..];
        let (hex, digits) = match rest.first() {
            Some(b'x' | b'X') => (true, &rest[1..]),
            _ => (false, rest),
        };
        let n = digits.iter().take_while(|c| if hex { c.is_ascii_hexdigit() } else { c.is_ascii_digit() }).count();
        let value = std::str::from_utf8(&digits[..n]).ok().and_then(|d| u32::from_str_radix(d, if hex { 16 } else { 10 }).ok());
        // An unreadable or huge number is taken to be one.
        n > 0 && value.is_none_or(|v| v < 0x80)
    })
}

/// CSS (and HTML) whitespace.
fn is_ws_char(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c')
}

/// HTML (and CSS) whitespace, as a byte.
pub(super) fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// Whether `hay` contains the lower-case ASCII `needle`, ASCII case-insensitively.
fn contains_ci(hay: &str, needle: &str) -> bool {
    count_ci_up_to(hay, needle, 1) > 0
}

/// How often the lower-case ASCII `needle` occurs in `hay`, ASCII case-insensitively.
fn count_ci(hay: &str, needle: &str) -> usize {
    count_ci_up_to(hay, needle, usize::MAX)
}

fn count_ci_up_to(hay: &str, needle: &str, most: usize) -> usize {
    let (h, n) = (hay.as_bytes(), needle.as_bytes());
    let mut count = 0;
    for p in memchr::memchr2_iter(n[0], n[0].to_ascii_uppercase(), h) {
        if h.get(p..p + n.len()).is_some_and(|w| w.eq_ignore_ascii_case(n)) {
            count += 1;
            if count == most {
                break;
            }
        }
    }
    count
}

/// The end of the string starting with the quote at `b[i]` (past its closing quote), or `None`
/// for a string a newline or the end cuts short.
fn string_end(b: &[u8], i: usize) -> Option<usize> {
    let q = b[i];
    let mut j = i + 1;
    while j < b.len() {
        match b[j] {
            c if c == q => return Some(j + 1),
            b'\\' => j += 2,
            b'\n' | b'\r' | 0x0c => return None,
            _ => j += 1,
        }
    }
    None
}

/// The text with each comment replaced by a space, or `None` when a comment or string is not
/// terminated.
fn strip_comments(css: &str) -> Option<std::borrow::Cow<'_, str>> {
    if !css.contains("/*") {
        return Some(std::borrow::Cow::Borrowed(css));
    }
    let b = css.as_bytes();
    let mut out = String::with_capacity(css.len());
    let (mut i, mut from) = (0, 0);
    while i < b.len() {
        match b[i] {
            b'"' | b'\'' => i = string_end(b, i)?,
            b'\\' => i += 2,
            b'/' if b.get(i + 1) == Some(&b'*') => {
                let end = memchr::memmem::find(&b[i + 2..], b"*/")? + i + 4;
                out.push_str(&css[from..i]);
                out.push(' ');
                i = end;
                from = end;
            }
            _ => i += 1,
        }
    }
    out.push_str(css.get(from..)?);
    Some(std::borrow::Cow::Owned(out))
}

/// The position in `b[i..end]` of the first of `stops` outside strings, parentheses and
/// brackets, or `end`.
fn scan(b: &[u8], mut i: usize, end: usize, stops: &[u8]) -> Result<usize, ()> {
    let mut depth = 0usize;
    while i < end {
        match b[i] {
            c if depth == 0 && stops.contains(&c) => return Ok(i),
            b'"' | b'\'' => {
                i = string_end(&b[..end], i).ok_or(())?;
                continue;
            }
            b'\\' => i += 1,
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'{' | b'}' if depth > 0 => return Err(()),
            _ => {}
        }
        i += 1;
    }
    Ok(end)
}

/// The position of the `}` closing the block opened at `b[open]`.
fn block_end(b: &[u8], open: usize, end: usize) -> Result<usize, ()> {
    let mut depth = 0usize;
    let mut i = open;
    while i < end {
        match b[i] {
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(i);
                }
            }
            b'"' | b'\'' => {
                i = string_end(&b[..end], i).ok_or(())?;
                continue;
            }
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    Err(())
}

/// What a block's own declarations set.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
struct Decls {
    display_none: bool,
    /// How many `visibility:hidden` declarations.
    visibility_hidden: usize,
    /// Declares `display` or `visibility` with another value, `all`, or an escaped name.
    shows: bool,
    all: bool,
    /// Declares a property whose name has an escape (it could be `visibility`).
    escaped: bool,
}

impl Decls {
    fn add(&mut self, declaration: &str) {
        let Some((name, value)) = declaration.split_once(':') else { return };
        let name = name.trim_matches(is_ws_char);
        // The value without `!important` (`! important` too), trimmed: whitespace inside it
        // (`no ne`, `no/**/ne`) makes two tokens, an invalid declaration, not `none`.
        let value = || {
            let v = value.trim_matches(is_ws_char).to_ascii_lowercase();
            match v.strip_suffix("important").and_then(|r| r.trim_end_matches(is_ws_char).strip_suffix('!')) {
                Some(r) => r.trim_end_matches(is_ws_char).to_string(),
                None => v,
            }
        };
        if name.eq_ignore_ascii_case("display") {
            if value() == "none" {
                self.display_none = true;
            } else {
                self.shows = true;
            }
        } else if name.eq_ignore_ascii_case("visibility") {
            if value() == "hidden" {
                self.visibility_hidden += 1;
            } else {
                self.shows = true;
            }
        } else if name.eq_ignore_ascii_case("all") {
            self.all = true;
            self.shows = true;
        } else if name.contains('\\') {
            self.shows = true;
            self.escaped = true;
        }
    }
}

/// Whether a `style` attribute could show its element: it declares `display` or `visibility`
/// with a value that does not hide, or `all` (rule 2).
pub(crate) fn style_shows(style: &str) -> bool {
    let mut d = Decls::default();
    for declaration in style.split(';') {
        d.add(declaration);
    }
    d.shows
}

/// A style rule: its selector list (prelude), whether it is at the top level of its style
/// element, and what its own declarations set.
#[derive(Debug)]
struct Rule {
    prelude: String,
    top: bool,
    decls: Decls,
}

/// Reads the rules of `css[start..end]`, a list of rules (a style element's text, or an at-rule's
/// block), into `out`; `Err` for text that cannot be read strictly.
fn rule_list(css: &str, start: usize, end: usize, depth: usize, out: &mut Vec<Rule>) -> Result<(), ()> {
    if depth > MAX_NESTING {
        return Err(());
    }
    let top = depth == 0;
    let b = css.as_bytes();
    let mut i = start;
    loop {
        while i < end && is_ws(b[i]) {
            i += 1;
        }
        // The `<!--` and `-->` old pages wrap their styles in are ignored at the top level.
        if top && (b[i..end].starts_with(b"<!--") || b[i..end].starts_with(b"-->")) {
            i += if b[i] == b'<' { 4 } else { 3 };
            continue;
        }
        if i >= end {
            return Ok(());
        }
        match b[i] {
            b'}' => return Err(()),
            b'@' => {
                let j = scan(b, i, end, b";{}")?;
                match b.get(j).filter(|_| j < end) {
                    None => return Ok(()),
                    Some(b';') => i = j + 1,
                    Some(b'}') => return Err(()),
                    Some(_) => {
                        let k = block_end(b, j, end)?;
                        rule_list(css, j + 1, k, depth + 1, out)?;
                        i = k + 1;
                    }
                }
            }
            _ => {
                let j = scan(b, i, end, b"{}")?;
                if j == end {
                    return Ok(());
                }
                if b[j] == b'}' {
                    return Err(());
                }
                let k = block_end(b, j, end)?;
                block(css, &css[i..j], j + 1, k, depth, out)?;
                i = k + 1;
            }
        }
    }
}

/// Reads the declaration block `css[start..end]` of a rule with this prelude, and the rules
/// nested in it.
fn block(css: &str, prelude: &str, start: usize, end: usize, depth: usize, out: &mut Vec<Rule>) -> Result<(), ()> {
    if depth > MAX_NESTING {
        return Err(());
    }
    let top = depth == 0;
    let b = css.as_bytes();
    let mut decls = Decls::default();
    let mut i = start;
    while i < end {
        let j = scan(b, i, end, b";{}")?;
        if j < end && b[j] == b'}' {
            return Err(());
        }
        if j < end && b[j] == b'{' {
            let k = block_end(b, j, end)?;
            let nested = css[i..j].trim_matches(is_ws_char);
            // An at-rule in a style rule holds declarations for the same selector, conditionally.
            let nested_prelude = if nested.starts_with('@') { prelude } else { nested };
            block(css, nested_prelude, j + 1, k, depth + 1, out)?;
            i = k + 1;
            continue;
        }
        decls.add(&css[i..j]);
        i = j + 1;
    }
    if decls != Decls::default() {
        out.push(Rule { prelude: prelude.to_string(), top, decls });
    }
    Ok(())
}

/// The selectors of a selector list, split at the commas outside parentheses and brackets,
/// trimmed.
fn split_list(list: &str) -> impl Iterator<Item = &str> {
    let b = list.as_bytes();
    let mut parts = Vec::new();
    let (mut depth, mut from) = (0usize, 0);
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b',' if depth == 0 => {
                parts.push(&list[from..i]);
                from = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&list[from..]);
    parts.into_iter().map(|s| s.trim_matches(is_ws_char))
}

/// The length of the CSS identifier at the start of `s` (0 if none): no escapes, ASCII letters,
/// digits, `-`, `_` and non-ASCII characters, not starting with a digit or `-` and a digit.
fn ident_len(s: &str) -> usize {
    let b = s.as_bytes();
    let len = b.iter().take_while(|&&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_' || c >= 0x80).count();
    let start_ok = match (b.first(), b.get(1)) {
        (Some(c), _) if c.is_ascii_digit() => false,
        (Some(b'-'), Some(c)) if c.is_ascii_digit() => false,
        (Some(b'-'), None) => false,
        _ => true,
    };
    if start_ok {
        len
    } else {
        0
    }
}

/// A compound selector of type, `*`, class and id parts: (tag, classes, ids).
type Compound<'a> = (Option<&'a str>, Vec<&'a str>, Vec<&'a str>);

/// The compounds of a selector made only of type, `*`, class and id parts and combinators, each
/// as (tag, classes, ids); `None` for any other selector.
fn compounds(sel: &str) -> Option<Vec<Compound<'_>>> {
    let mut out = Vec::new();
    let mut rest = sel;
    let mut expect_compound = true;
    while !rest.is_empty() {
        let trimmed = rest.trim_start_matches(is_ws_char);
        let had_ws = trimmed.len() < rest.len();
        rest = trimmed;
        if rest.is_empty() {
            break;
        }
        if let Some(r) = rest.strip_prefix(['>', '+', '~']) {
            if expect_compound {
                return None;
            }
            rest = r;
            expect_compound = true;
            continue;
        }
        if !expect_compound && !had_ws {
            return None;
        }
        let (mut tag, mut classes, mut ids) = (None, Vec::new(), Vec::new());
        if let Some(r) = rest.strip_prefix('*') {
            rest = r;
        } else {
            let n = ident_len(rest);
            if n > 0 {
                tag = Some(&rest[..n]);
                rest = &rest[n..];
            }
        }
        let mut parts = tag.is_some() || rest.len() < trimmed.len();
        while let Some(sigil) = rest.chars().next().filter(|c| matches!(c, '.' | '#')) {
            let n = ident_len(&rest[1..]);
            if n == 0 {
                return None;
            }
            if sigil == '.' { &mut classes } else { &mut ids }.push(&rest[1..1 + n]);
            rest = &rest[1 + n..];
            parts = true;
        }
        if !parts || rest.chars().next().is_some_and(|c| !is_ws_char(c) && !matches!(c, '>' | '+' | '~')) {
            return None;
        }
        out.push((tag, classes, ids));
        expect_compound = false;
    }
    (!out.is_empty() && !expect_compound).then_some(out)
}

/// Whether a selector surely parses (rule 1: the list of a hiding rule holds only such).
fn plain_selector(sel: &str) -> bool {
    compounds(sel).is_some()
}

/// A simple selector of rule 1, as (lower-cased tag, class, id).
fn simple(sel: &str) -> Option<(Option<String>, Option<String>, Option<String>)> {
    let c = compounds(sel)?;
    let [(tag, classes, ids)] = c.as_slice() else { return None };
    if sel.starts_with('*') || classes.len() + ids.len() != 1 {
        return None;
    }
    Some((tag.map(str::to_ascii_lowercase), classes.first().map(|s| s.to_string()), ids.first().map(|s| s.to_string())))
}

/// The subject (last compound) of a showing rule's selector (rule 2): [`Subject::Any`] for one
/// that cannot be read.
fn subject(sel: &str) -> Subject {
    subject_of(sel).unwrap_or(Subject::Any)
}

fn subject_of(sel: &str) -> Option<Subject> {
    // The last compound starts after the last combinator outside parentheses and brackets.
    let b = sel.as_bytes();
    let (mut depth, mut start) = (0usize, 0);
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'(' | b'[' => depth += 1,
            b')' | b']' => depth = depth.saturating_sub(1),
            b'"' | b'\'' => {
                i = string_end(b, i)?;
                continue;
            }
            b'\\' | b'|' => return None,
            c if depth == 0 && (is_ws(c) || matches!(c, b'>' | b'+' | b'~')) => start = i + 1,
            _ => {}
        }
        i += 1;
    }
    let compound = &sel[start..];
    if compound.is_empty() {
        return None;
    }
    let (mut tag, mut classes, mut ids) = (None, Vec::new(), Vec::new());
    let mut rest = compound;
    if let Some(r) = rest.strip_prefix('*') {
        rest = r;
    } else if ident_len(rest) > 0 {
        tag = Some(rest[..ident_len(rest)].to_ascii_lowercase());
        rest = &rest[ident_len(rest)..];
    }
    while let Some(c) = rest.chars().next() {
        match c {
            '.' | '#' => {
                let n = ident_len(&rest[1..]);
                if n == 0 {
                    return None;
                }
                if c == '.' { &mut classes } else { &mut ids }.push(rest[1..1 + n].to_string());
                rest = &rest[1 + n..];
            }
            '[' => {
                let close = scan(rest.as_bytes(), 1, rest.len(), b"]").ok()?;
                rest = rest.get(close + 1..)?;
            }
            ':' => {
                let double = rest[1..].starts_with(':');
                let name_at = 1 + double as usize;
                let n = ident_len(&rest[name_at..]);
                let name = &rest[name_at..name_at + n];
                if double || ["before", "after", "first-line", "first-letter"].iter().any(|p| name.eq_ignore_ascii_case(p)) {
                    return Some(Subject::Never);
                }
                rest = &rest[name_at + n..];
                if rest.starts_with('(') {
                    let close = scan(rest.as_bytes(), 1, rest.len(), b")").ok()?;
                    rest = rest.get(close + 1..)?;
                }
            }
            _ => return None,
        }
    }
    Some(Subject::Compound { tag, classes, ids })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sheet(css: &str) -> Sheet {
        let page = format!("<style>{css}</style>");
        Sheet::build(&[(css, true)], &page)
    }

    /// Whether `<div class="beian">` is hidden by `css`.
    fn hides_beian(css: &str) -> bool {
        sheet(css).hides("div", None, Some("beian"), false)
    }

    #[test]
    fn simple_selectors_that_hide() {
        for css in [
            ".beian{display:none}",
            ".beian { DISPLAY : NONE !important ; }",
            "div.beian{color:red;display:none}",
            "DIV.beian{display:none}",
            ".x, .beian{display:none}",
            ".hide, .foot .beian, .beian{display: none}",
            "<!-- .beian{display:none} -->",
            "/* footer */ .beian{display:/* x */none}",
            "@import url(a.css); @charset \"utf-8\"; .beian{display:none}",
            ".beian{visibility:hidden}",
            "body{margin:0;font:12px/1.5 \"微软雅黑\"} .beian{display:none} .item::before{content:\"}\";display:block}",
        ] {
            assert!(hides_beian(css), "{css}");
        }
        let s = sheet("#icp{display:none} p#old{display:none}");
        assert!(s.hides("span", Some("icp"), None, false));
        assert!(s.hides("P", Some("old"), Some("x"), false));
        assert!(!s.hides("div", Some("old"), None, false), "p#old is not a div");
        assert!(!s.hides("div", Some("ICP"), None, false), "ids match exactly");
    }

    #[test]
    fn what_does_not_hide() {
        for css in [
            "",
            ".item{margin:4px} body{font-family:sans-serif}",
            ".Beian{display:none}",
            ".beian-x{display:none}",
            "span.beian{display:none}",
            ".foot .beian{display:none}",
            "div > .beian{display:none}",
            ".beian.x{display:none}",
            ".beian:hover{display:none}",
            "[class=beian]{display:none}",
            ".beian{display:block}",
            ".beian{display:nonе}",
            ".beian{display:none\\9}",
            ".beian{opacity:0}",
            "@media screen{.beian{display:none}}",
            "@supports (display:grid){.beian{display:none}}",
            ".footer{.beian{display:none}}",
            ".beian, .x:unknown-thing{display:none}",
            ".beian, a[href]{display:none}",
            ".beian{*display:none}",
            "\\.beian{display:none}",
            // Unreadable text turns the judgement off.
            ".beian{display:none",
            ".beian{display:none} /* unterminated",
            ".beian{display:none} .x{content:\"a}",
            ".beian{display:none} }",
        ] {
            assert!(!hides_beian(css), "{css}");
        }
    }

    #[test]
    fn any_rule_that_could_show_the_element_cancels() {
        for css in [
            ".beian{display:none} .beian{display:block}",
            ".beian{display:block} .beian{display:none}",
            ".beian{display:none;display:inline}",
            ".beian{display:none} .footer .beian{display:inline-block}",
            ".beian{display:none} .footer div{display:block}",
            ".beian{display:none} div{display:block}",
            ".beian{display:none} *{display:block!important}",
            ".beian{display:none} [class~=beian]{display:block}",
            ".beian{display:none} .BEIAN{display:block}",
            ".beian{display:none} .beian:hover{display:block}",
            ".beian{display:none} :not(.x){display:block}",
            ".beian{display:none} .beian{visibility:visible}",
            ".beian{display:none} .beian{all:unset}",
            ".beian{display:none} .beian{displ\\61y:block}",
            ".beian{display:none} @media (max-width:768px){.beian{display:block}}",
            ".beian{display:none} .footer{&.beian{display:block}}",
            ".beian{display:none} div.beian{@media print{display:block}}",
            ".beian{display:none} .x\\:y{display:block}",
            ".beian{display:none} .beian{display:var(--d)}",
        ] {
            assert!(!hides_beian(css), "{css}");
        }
        // In a style element of another medium too.
        let s = Sheet::build(&[(".beian{display:none}", true), (".beian{display:block}", false)], "");
        assert!(!s.hides("div", None, Some("beian"), false));
        // Rules whose subject cannot be the element do not cancel.
        for css in [
            ".beian{display:none} .beian::before{display:block}",
            ".beian{display:none} .beian:after{display:table;content:\"\"}",
            ".beian{display:none} .beian a{display:inline}",
            ".beian{display:none} span{display:block}",
            ".beian{display:none} .other{display:block}",
            ".beian{display:none} #x{display:block}",
            ".beian{display:none} .beian{color:red}",
        ] {
            assert!(hides_beian(css), "{css}");
        }
    }

    #[test]
    fn the_elements_own_style_showing_it_cancels() {
        let s = sheet(".beian{display:none}");
        assert!(s.hides("div", None, Some("x beian"), style_shows("color:red;display:none")));
        assert!(!s.hides("div", None, Some("beian"), style_shows("display:block")));
        assert!(!s.hides("div", None, Some("beian"), style_shows("color:red; Visibility: visible")));
        assert!(!s.hides("div", None, Some("beian"), style_shows("ALL:initial")));
        assert!(!s.hides("div", None, Some("beianx"), false));
        assert!(!s.hides("div", None, None, false));
    }

    #[test]
    fn visibility_hides_only_where_nothing_could_make_it_visible_again() {
        let css = ".beian{visibility:hidden}";
        assert!(Sheet::build(&[(css, true)], &format!("<style>{css}</style><div class=beian>x</div>")).hides("div", None, Some("beian"), false));
        for page in ["<a style=\"visibility:visible\">", "<script>el.style.visibility='visible'</script>", "<style>.x{all:initial}</style>"] {
            let styles: Vec<(&str, bool)> = if page.contains("all:") { vec![(css, true), (".x{all:initial}", true)] } else { vec![(css, true)] };
            assert!(!Sheet::build(&styles, &format!("<style>{css}</style>{page}")).hides("div", None, Some("beian"), false), "{page}");
        }
        // display:none in the same rule does not depend on it.
        let css = ".beian{visibility:hidden;display:none}";
        assert!(Sheet::build(&[(css, true)], &format!("<style>{css}</style><a style=\"visibility:visible\">")).hides("div", None, Some("beian"), false));
    }

    #[test]
    fn a_value_split_by_whitespace_or_a_comment_is_not_none() {
        // `no ne` and `no/**/ne` are two identifiers, an invalid declaration a browser drops.
        for css in [".beian{display:no ne} .x{content:\"none\"}", ".beian{display:no/**/ne} /* none */", ".beian{visibility:hid den} .x{content:\"hidden\"}", ".beian{display:none important}"] {
            assert!(!hides_beian(css), "{css}");
        }
        for css in [".beian{display: none ! important}", ".beian{display:NONE!IMPORTANT}", ".beian{display:\tnone\n}"] {
            assert!(hides_beian(css), "{css}");
        }
    }

    #[test]
    fn a_bad_url_does_not_put_rules_out_of_step() {
        // A browser reads an unquoted url with a quote, parenthesis or inner space as a bad url up
        // to its `)`, braces and all: the rule that hides sits inside `.a`'s block, and the rule
        // that shows it again is outside any string.
        for css in [
            ".a{b:url(x} .beian{display:none} .c{y)}",
            ".beian{display:none} .a{b:url(x\"y) } .beian{display:block} .c{d:\")}",
            ".a{b:URL(x'} .beian{display:none} .c{y)}",
            ".a{b:u\\72l(x} .beian{display:none} .c{y)}",
        ] {
            assert!(!hides_beian(css), "{css}");
        }
        for css in [".a{background:url(img/a.png) no-repeat} .beian{display:none}", ".a{b:url( \"x y\" )} .beian{display:none}", ".a{b:url()} .beian{display:none}"] {
            assert!(hides_beian(css), "{css}");
        }
    }

    #[test]
    fn visibility_made_visible_again_by_an_escaped_name_does_not_hide() {
        // A descendant made visible by an escaped property name, in a rule or an inline style.
        for (css, page) in [
            (".beian{visibility:hidden} .beian span{visibilit\\79:visible}", ""),
            (".beian{visibility:hidden}", "<span style=\"v\\isibility:visible\">"),
            (".beian{visibility:hidden}", "<span style=\"vis&#105;bility:visible\">"),
            (".beian{visibility:hidden}", "<span style=\"vis&#x69;bility:visible\">"),
        ] {
            let s = Sheet::build(&[(css, true)], &format!("<style>{css}</style><div class=beian>{page}x</div>"));
            assert!(!s.hides("div", None, Some("beian"), false), "{css} {page}");
        }
        let css = ".beian{visibility:hidden}";
        let s = Sheet::build(&[(css, true)], &format!("<style>{css}</style><div class=beian>&#169; 2024</div>"));
        assert!(s.hides("div", None, Some("beian"), false));
    }

    #[test]
    fn hostile_style_text_stays_bounded() {
        // Deep nesting: no stack overflow, no quadratic scan.
        for open in ["@media screen{", ".a{", "@supports (x:y){.b{"] {
            let depth = 200_000;
            let css = format!(".beian{{display:none}}{}{}", open.repeat(depth), "}".repeat(depth * open.matches('{').count()));
            let t = std::time::Instant::now();
            let _ = hides_beian(&css);
            assert!(t.elapsed().as_secs_f64() < 5.0, "{open}: {:?}", t.elapsed());
        }
        // Many rules, each looked at for every element: bounded too.
        let css = format!(".beian{{display:none}}{}", (0..100_000).map(|i| format!(".x{i}{{display:block}}")).collect::<String>());
        let s = sheet(&css);
        let t = std::time::Instant::now();
        for _ in 0..50_000 {
            let _ = s.hides("div", None, Some("beian"), false);
        }
        assert!(t.elapsed().as_secs_f64() < 5.0, "{:?}", t.elapsed());
    }

    #[test]
    fn style_elements_that_apply_unconditionally() {
        assert!(unconditional(None, None, None));
        assert!(unconditional(Some(" Screen "), Some("TEXT/CSS"), None));
        assert!(unconditional(Some("all"), Some(""), None));
        assert!(!unconditional(Some("print"), None, None));
        assert!(!unconditional(Some("screen and (max-width:600px)"), None, None));
        assert!(!unconditional(None, Some("text/less"), None));
        assert!(!unconditional(None, None, Some("alternate")));
        let s = Sheet::build(&[(".beian{display:none}", false)], "");
        assert!(!s.hides("div", None, Some("beian"), false));
    }
}
