//! Filing-number grammar: ICP filing numbers (subject and website), public-security filing
//! numbers (公安备案) and licence numbers, parsed the loose way real pages write them — spaces,
//! full-width digits and letters, any dash for the hyphen, `号` left out, traditional characters
//! (`粵ICP備12345678號`, as a Big5 page writes it) — and normalised.
//!
//! Normal forms: `京ICP备12345678号` (subject), `京ICP备12345678号-3` (website),
//! `京公网安备11010802020134号`. The province character is kept as written, in its simplified
//! form; comparisons treat the four two-abbreviation provinces as one (川 = 蜀, 贵 = 黔, 云 = 滇,
//! 甘 = 陇).

use once_cell::sync::Lazy;
use regex::Regex;
use std::fmt;
use std::ops::Range;

/// The province characters as a literal, for [`PROVINCES`] and the patterns' class [`P`].
macro_rules! provinces {
    () => {
        "京津冀晋蒙辽吉黑沪苏浙皖闽赣鲁豫鄂湘粤桂琼渝蜀黔滇藏陕陇青宁新川贵云甘晉遼滬蘇閩贛魯粵瓊陝隴寧貴雲"
    };
}

/// Province characters a filing number may start with (aliases and traditional forms included).
pub const PROVINCES: &str = provinces!();

/// The simplified form of a province character written in traditional characters.
fn simplified_province(c: char) -> char {
    const TRADITIONAL: [(char, char); 14] = [
        ('晉', '晋'), ('遼', '辽'), ('滬', '沪'), ('蘇', '苏'), ('閩', '闽'), ('贛', '赣'), ('魯', '鲁'),
        ('粵', '粤'), ('瓊', '琼'), ('陝', '陕'), ('隴', '陇'), ('寧', '宁'), ('貴', '贵'), ('雲', '云'),
    ];
    TRADITIONAL.iter().find(|(t, _)| *t == c).map_or(c, |(_, s)| *s)
}

/// The province character used for comparison.
fn canonical_province(c: char) -> char {
    match c {
        '川' => '蜀',
        '贵' => '黔',
        '云' => '滇',
        '甘' => '陇',
        other => other,
    }
}

/// An ICP filing number: a subject number, or a website number when `suffix` is set.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IcpNumber {
    pub province: char,
    pub digits: String,
    pub suffix: Option<u32>,
}

impl IcpNumber {
    /// The subject (主体) number this number belongs to.
    pub fn subject(&self) -> IcpNumber {
        IcpNumber { suffix: None, ..self.clone() }
    }

    /// Whether both numbers belong to the same subject.
    pub fn same_subject(&self, other: &IcpNumber) -> bool {
        canonical_province(self.province) == canonical_province(other.province) && self.digits == other.digits
    }

    /// Whether this number, shown on a page, is acceptable for the website `site`: the site's own
    /// number, its subject number, or another website number of the same subject.
    pub fn acceptable_for(&self, site: &IcpNumber) -> bool {
        self.same_subject(site)
    }
}

impl fmt::Display for IcpNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}ICP备{}号", self.province, self.digits)?;
        if let Some(n) = self.suffix {
            write!(f, "-{n}")?;
        }
        Ok(())
    }
}

/// A public-security filing number: province + 14 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PsbNumber {
    pub province: char,
    pub code: String,
}

impl fmt::Display for PsbNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}公网安备{}号", self.province, self.code)
    }
}

/// A licence number — never a filing number.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum License {
    /// 经营许可证, e.g. `京ICP证030173号`.
    Icp { province: char, digits: String },
    /// 增值电信业务经营许可证, e.g. `粤B2-20130742`, or cross-regional for both classes, `B1.B2-20140123`.
    Telecom { province: Option<char>, class: String, digits: String },
}

impl fmt::Display for License {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            License::Icp { province, digits } => write!(f, "{province}ICP证{digits}号"),
            License::Telecom { province, class, digits } => {
                if let Some(p) = province {
                    write!(f, "{p}")?;
                }
                write!(f, "{class}-{digits}")
            }
        }
    }
}

/// Folds one character the way pages vary it: full-width ASCII to ASCII, every dash to `-`,
/// ASCII letters to upper case, and every kind of space to a plain space. The fold keeps one
/// character for one character, so byte offsets can be mapped back by character index.
pub fn fold_char(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => fold_char(char::from_u32(c as u32 - 0xFEE0).unwrap_or(c)),
        '\u{2010}'..='\u{2015}' | '\u{2212}' | '\u{FE58}' | '\u{FE63}' | '\u{30FC}' => '-',
        // Spaces, and the characters a page cannot be seen to hold (the soft hyphen, zero-width
        // spaces and joiners, direction marks, embeddings, overrides and isolates, the word
        // joiner, BOM): a number written with one inside reads to a visitor as whole, and a space
        // is what a number may hold.
        '\u{3000}' | '\u{00A0}' | '\u{00AD}' | '\u{2002}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2069}' | '\u{FEFF}' | '\t' | '\r' | '\n' => ' ',
        'a'..='z' => c.to_ascii_uppercase(),
        _ => c,
    }
}

/// Folds a whole string with [`fold_char`].
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_folded(&mut out, s);
    out
}

/// Whether a byte can start a character that [`fold_char`] changes other than a lower-case ASCII
/// letter (those are upper-cased a run at a time): tab, CR or LF, or the lead byte of U+00A0,
/// U+20xx, U+3000/U+30FC or U+FExx/U+FFxx (a test checks this against every character). CJK text
/// never starts with one.
const fn may_fold(b: u8) -> bool {
    matches!(b, b'\t' | b'\r' | b'\n' | 0xC2 | 0xE2 | 0xE3 | 0xEF)
}

/// Appends `s` folded with [`fold_char`] to `out`: the same as `out.extend(s.chars().map(fold_char))`,
/// but runs of bytes the fold leaves alone are copied whole and ASCII letters upper-cased in place
/// (page text runs through here, and character-at-a-time was a fifth of the page analysis).
///
/// The bytes are screened sixteen at a time ([`fold_mask`]) and only the [`may_fold`] ones are
/// looked at. None of those is a UTF-8 continuation byte, so each one starts a character.
pub fn push_folded(out: &mut String, s: &str) {
    let b = s.as_bytes();
    let mut copied = 0;
    let mut fold_at = |p: usize| {
        let c = s[p..].chars().next().unwrap_or('\0');
        let f = fold_char(c);
        if f != c {
            push_upper(out, &s[copied..p]);
            out.push(f);
            copied = p + c.len_utf8();
        }
    };
    let mut blocks = b.chunks_exact(16);
    for (n, block) in (&mut blocks).enumerate() {
        let mut mask = fold_mask(block.try_into().expect("16 bytes"));
        while mask != 0 {
            fold_at(n * 16 + mask.trailing_zeros() as usize);
            mask &= mask - 1;
        }
    }
    let tail = b.len() - blocks.remainder().len();
    for (k, &x) in blocks.remainder().iter().enumerate() {
        if may_fold(x) {
            fold_at(tail + k);
        }
    }
    push_upper(out, &s[copied..]);
}

/// Bit `k` set when byte `k` of the block is a [`may_fold`] byte: seven byte compares of the
/// whole block at once.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
fn fold_mask(block: &[u8; 16]) -> u32 {
    #[target_feature(enable = "sse2")]
    fn sse2(block: &[u8; 16]) -> u32 {
        use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_set_epi64x};
        let half = |h: &[u8]| i64::from_le_bytes(h.try_into().expect("8 bytes"));
        let v = _mm_set_epi64x(half(&block[8..]), half(&block[..8]));
        let eq = |x: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(x as i8));
        let any = [b'\n', b'\r', 0xC2, 0xE2, 0xE3, 0xEF].into_iter().fold(eq(b'\t'), |m, x| _mm_or_si128(m, eq(x)));
        _mm_movemask_epi8(any) as u32
    }
    // SAFETY: the build targets SSE2 (the cfg above; it is part of every x86-64 CPU).
    unsafe { sse2(block) }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
fn fold_mask(block: &[u8; 16]) -> u32 {
    block.iter().enumerate().fold(0, |m, (k, &x)| m | (may_fold(x) as u32) << k)
}

/// Appends `s` with its ASCII letters upper-cased (the fold of every character in it).
fn push_upper(out: &mut String, s: &str) {
    let at = out.len();
    out.push_str(s);
    out[at..].make_ascii_uppercase();
}

/// Any province character, as a regex class.
const P: &str = concat!("[", provinces!(), "]");

/// `备` and what follows it in both kinds of number: the label it may open (`备案号：`, `备案编号`,
/// the label run into the number), the digits (groups across spaces: a browser shows a run of
/// them as one, and an invisible character folds to one) and an ending `号`.
const BEI_DIGITS: &str = r"[备備] *(?:案 *)?(?:[编編] *)?(?:[号號] *)?:? *(\d(?: *\d)*) *([号號])?";

// These run on folded text, where spaces are plain and the hyphen is `-`.
static ICP_RE: Lazy<Regex> =
    Lazy::new(|| Regex::new(&format!(r"({P}) *ICP *{BEI_DIGITS}(?: *- *(\d{{1,6}}) *[号號]?)?")).expect("ICP regex"));
/// A public-security number at the start of the text: `P公网安备 digits 号` as the portal issues
/// it, or under one of the labels footers write instead (`公安备案号：`, `公网安备案号`,
/// `公安机关备案号`, `公安联网备案号`, `公安机关联网备案号`, `网安备案号`), with or without the
/// province. The search for one starts from each `安` (see [`find_psb_in_folded`]): a regex
/// search over the whole text would try every `公` of 公司 in a footer.
static PSB_AT: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(r"^(?:({P}) *)?(?:公 *(?:[网網] *)?|[网網] *)安 *(?:(?:机 *关|機 *關|部|局) *)?(?:(?:联 *网|聯 *網) *)?{BEI_DIGITS}"))
        .expect("PSB regex")
});
static LICENSE_RE: Lazy<Regex> = Lazy::new(|| {
    Regex::new(&format!(r"({P}) *ICP *[证證] *:? *(\d(?: ?\d)*) *[号號]?|({P})? *(B[12](?: *\. *B[12])?) *- *(\d{{6,12}})")).expect("licence regex")
});

/// The leading digit groups of a number's digits as matched. Groups run on across spaces
/// (`2024 0000 01号`), so a number that no 号 ends may have taken in a year or another number
/// written after it (`京ICP备12345678 2024`): then only the longest run of leading groups with at
/// most `max` digits is the number's.
fn leading_groups(s: &str, terminated: bool, max: usize) -> &str {
    if terminated || !s.contains(' ') {
        return s;
    }
    let (mut kept, mut digits, mut at) = (None, 0, 0);
    for group in s.split(' ') {
        digits += group.chars().filter(char::is_ascii_digit).count();
        if digits > max {
            break;
        }
        at += group.len();
        if !group.is_empty() {
            kept = Some(at);
        }
        at += 1;
    }
    kept.map_or(s, |k| &s[..k])
}

/// The number's digits as kept by [`leading_groups`], and where the match ends: after the last
/// kept group when groups were dropped, else at the match's end less trailing spaces.
fn kept_number<'t>(whole: regex::Match<'t>, number: regex::Match<'t>, terminated: bool, max: usize) -> (&'t str, usize) {
    let kept = leading_groups(number.as_str(), terminated, max);
    let end = if kept.len() < number.as_str().len() { number.start() + kept.len() } else { whole.start() + whole.as_str().trim_end().len() };
    (kept, end)
}

fn digits_of(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// The province a match starts with, in its simplified form.
fn first_char(s: &str) -> char {
    simplified_province(s.chars().next().unwrap_or('?'))
}

/// ICP filing numbers in folded text, with their byte ranges in that text.
pub fn find_icp_in_folded(folded: &str) -> Vec<(Range<usize>, IcpNumber)> {
    ICP_RE
        .captures_iter(folded)
        .filter_map(|c| {
            let m = c.get(0)?;
            // Only 号 ends the digits for sure: without it, a year range after the number
            // (`苏ICP备15012345 2015-2024`) reads as more digit groups and a suffix. When groups
            // are dropped, so is the suffix that followed them.
            let number = c.get(2)?;
            let (kept, end) = kept_number(m, number, c.get(3).is_some(), 10);
            let digits = digits_of(kept);
            if !(5..=12).contains(&digits.len()) {
                return None;
            }
            let whole = kept.len() == number.as_str().len();
            let suffix = c.get(4).filter(|_| whole).and_then(|m| m.as_str().parse::<u32>().ok()).filter(|n| *n > 0);
            Some((m.start()..end, IcpNumber { province: first_char(c.get(1)?.as_str()), digits, suffix }))
        })
        .collect()
}

/// Public-security numbers in folded text (see [`PSB_AT`] for the forms read). Each holds `安`
/// right after (spaces aside) `网` or `公`; from each `安` the start is found by walking back over
/// `网`, `公`, a province and the spaces, and [`PSB_AT`] reads the rest. Two numbers cannot overlap
/// (no digit, space or 号 starts one), so this finds what a regex search over the whole text finds
/// (a test compares the two).
pub fn find_psb_in_folded(folded: &str) -> Vec<(Range<usize>, PsbNumber)> {
    let mut found = Vec::new();
    for at in memchr::memmem::find_iter(folded.as_bytes(), "安".as_bytes()) {
        let (mut rest, mut start) = (&folded[..at], None);
        for marks in [&['网', '網'][..], &['公'][..]] {
            if let Some(before) = rest.trim_end_matches(' ').strip_suffix(marks) {
                (rest, start) = (before, Some(before.len()));
            }
        }
        let Some(mut start) = start else { continue };
        let rest = rest.trim_end_matches(' ');
        if let Some(p) = rest.chars().next_back().filter(|&c| PROVINCES.contains(c)) {
            start = rest.len() - p.len_utf8();
        }
        let Some(c) = PSB_AT.captures(&folded[start..]) else { continue };
        let Some((range, number)) = psb_match(&c) else { continue };
        found.push((start + range.start..start + range.end, number));
    }
    found
}

/// The range (in the matched text) and number of a [`PSB_AT`]-shaped match: exactly 14 digits.
/// Written without its province, the number takes the one its code starts with (the code opens
/// with the division code of the public-security bureau that issued it); a code that starts with
/// no province's is no number.
fn psb_match(c: &regex::Captures<'_>) -> Option<(Range<usize>, PsbNumber)> {
    let m = c.get(0)?;
    let (kept, end) = kept_number(m, c.get(2)?, c.get(3).is_some(), 14);
    let code = digits_of(kept);
    if code.len() != 14 {
        return None;
    }
    let province = match c.get(1) {
        Some(p) => first_char(p.as_str()),
        None => province_of_division(&code)?,
    };
    Some((m.start()..end, PsbNumber { province, code }))
}

/// The province whose administrative division code (GB/T 2260) opens `code`, written as
/// public-security numbers write it (川, 贵, 云 and 甘, not 蜀, 黔, 滇 and 陇).
fn province_of_division(code: &str) -> Option<char> {
    const DIVISIONS: [(&str, char); 31] = [
        ("11", '京'), ("12", '津'), ("13", '冀'), ("14", '晋'), ("15", '蒙'), ("21", '辽'), ("22", '吉'), ("23", '黑'),
        ("31", '沪'), ("32", '苏'), ("33", '浙'), ("34", '皖'), ("35", '闽'), ("36", '赣'), ("37", '鲁'), ("41", '豫'),
        ("42", '鄂'), ("43", '湘'), ("44", '粤'), ("45", '桂'), ("46", '琼'), ("50", '渝'), ("51", '川'), ("52", '贵'),
        ("53", '云'), ("54", '藏'), ("61", '陕'), ("62", '甘'), ("63", '青'), ("64", '宁'), ("65", '新'),
    ];
    DIVISIONS.iter().find(|(prefix, _)| code.starts_with(prefix)).map(|&(_, p)| p)
}

/// Licence numbers in folded text.
pub fn find_licenses_in_folded(folded: &str) -> Vec<(Range<usize>, License)> {
    LICENSE_RE
        .captures_iter(folded)
        .filter_map(|c| {
            let m = c.get(0)?;
            let range = m.start()..m.start() + m.as_str().trim_end().len();
            if let Some(p) = c.get(1) {
                let digits = digits_of(c.get(2)?.as_str());
                return Some((range, License::Icp { province: first_char(p.as_str()), digits }));
            }
            Some((
                range,
                License::Telecom {
                    province: c.get(3).map(|p| first_char(p.as_str())),
                    class: c.get(4)?.as_str().replace(' ', ""),
                    digits: c.get(5)?.as_str().to_string(),
                },
            ))
        })
        .collect()
}

/// ICP filing numbers in free text (folded first).
pub fn find_icp_numbers(text: &str) -> Vec<IcpNumber> {
    find_icp_in_folded(&fold(text)).into_iter().map(|(_, n)| n).collect()
}

/// Public-security numbers in free text.
pub fn find_psb_numbers(text: &str) -> Vec<PsbNumber> {
    find_psb_in_folded(&fold(text)).into_iter().map(|(_, n)| n).collect()
}

/// Licence numbers in free text.
pub fn find_license_numbers(text: &str) -> Vec<License> {
    find_licenses_in_folded(&fold(text)).into_iter().map(|(_, n)| n).collect()
}

/// Parses text that must be exactly one ICP filing number (loose spelling allowed).
pub fn parse_icp(s: &str) -> Option<IcpNumber> {
    let folded = fold(s.trim());
    let found = find_icp_in_folded(&folded);
    match found.as_slice() {
        [(range, n)] if range.start == 0 && range.end == folded.trim_end().len() => Some(n.clone()),
        _ => None,
    }
}

/// Parses a website number: a filing number with its `-n` suffix.
pub fn parse_site_number(s: &str) -> Result<IcpNumber, String> {
    let n = parse_icp(s).ok_or_else(|| why_not_icp(s))?;
    if n.suffix.is_none() {
        return Err("a website number needs its -n suffix (this is a subject number)".into());
    }
    Ok(n)
}

/// Parses a subject number: a filing number without suffix.
pub fn parse_subject_number(s: &str) -> Result<IcpNumber, String> {
    let n = parse_icp(s).ok_or_else(|| why_not_icp(s))?;
    if n.suffix.is_some() {
        return Err("a subject number has no -n suffix (this is a website number)".into());
    }
    Ok(n)
}

fn why_not_icp(s: &str) -> String {
    let folded = fold(s);
    if !find_licenses_in_folded(&folded).is_empty() {
        "a licence number, not a filing number".into()
    } else if !find_psb_in_folded(&folded).is_empty() {
        "a public-security number, not an ICP filing number".into()
    } else {
        "not an ICP filing number (expected e.g. 京ICP备12345678号-1)".into()
    }
}

/// Parses text that must be exactly one public-security number.
pub fn parse_psb(s: &str) -> Option<PsbNumber> {
    let folded = fold(s.trim());
    match find_psb_in_folded(&folded).as_slice() {
        [(range, n)] if range.start == 0 && range.end == folded.trim_end().len() => Some(n.clone()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn site(s: &str) -> String {
        parse_site_number(s).map(|n| n.to_string()).unwrap_or_else(|e| format!("ERR {e}"))
    }

    #[test]
    fn only_the_marked_lead_bytes_start_a_folded_character() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            if fold_char(c) != c && !c.is_ascii_lowercase() {
                let mut buf = [0u8; 4];
                let lead = c.encode_utf8(&mut buf).as_bytes()[0];
                assert!(may_fold(lead), "{c:?} folds but its lead byte {lead:#x} is not marked");
            }
        }
    }

    #[test]
    fn fold_mask_flags_exactly_the_marked_bytes() {
        for x in 0..=255u8 {
            for k in 0..16 {
                let mut block = [b'a'; 16];
                block[k] = x;
                assert_eq!(fold_mask(&block), (may_fold(x) as u32) << k, "byte {x:#x} at {k}");
            }
        }
    }

    #[test]
    fn push_folded_is_the_fold_of_every_character() {
        let alphabet: Vec<char> = "aZz09 \t\r\n-_京ICP备号公网安ａＺ０９－—\u{a0}\u{3000}\u{30fc}\u{feff}\u{2009}\u{ad}\u{200c}\u{200d}\u{200f}\u{2060}\u{202a}\u{2069}\u{fe63}\u{ff5e}\u{ff5f}é€😀"
            .chars()
            .collect();
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..20_000 {
            let s: String = (0..rng.usize(0..48)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            let mut out = String::from("前缀");
            push_folded(&mut out, &s);
            assert_eq!(out, format!("前缀{}", s.chars().map(fold_char).collect::<String>()), "{s:?}");
        }
    }

    #[test]
    fn loose_spellings_normalise() {
        for (input, want) in [
            ("京ICP备12345678号-3", "京ICP备12345678号-3"),
            ("京ICP备12345678-3", "京ICP备12345678号-3"),
            ("京ICP备 1234 5678号 - 3", "京ICP备12345678号-3"),
            ("京ＩＣＰ备１２３４５６７８号－３", "京ICP备12345678号-3"),
            ("京icp备12345678号—3", "京ICP备12345678号-3"),
            ("粤ICP备2024012345号-12", "粤ICP备2024012345号-12"),
            ("沪ICP备12345号-1", "沪ICP备12345号-1"),
            ("川ICP备12345678号-1", "川ICP备12345678号-1"),
            ("京ICP备12345678-1号", "京ICP备12345678号-1"),
            // A run of spaces between digit groups (one space on screen), and invisible
            // characters inside the number: a zero-width space beside a word joiner, and a
            // left-to-right embedding closed by a pop.
            ("京ICP备1234   5678号-3", "京ICP备12345678号-3"),
            ("京ICP备1234\u{200b}\u{2060}5678号-3", "京ICP备12345678号-3"),
            ("京ICP备\u{202a}12345678\u{202c}号-3", "京ICP备12345678号-3"),
            ("京ICP备\u{2066}1234\u{2069}5678号\u{202e}-3", "京ICP备12345678号-3"),
        ] {
            assert_eq!(site(input), want, "{input}");
        }
    }

    #[test]
    fn non_filing_numbers_are_rejected() {
        assert!(site("京ICP证030173号").contains("licence"));
        assert!(site("粤B2-20130742").starts_with("ERR"));
        assert!(site("京公网安备11010802020134号").contains("public-security"));
        assert!(site("京ICP證030173號").contains("licence"));
        assert!(site("京公網安備11010802020134號").contains("public-security"));
        assert!(site("京ICP备1234号-1").starts_with("ERR"), "too few digits");
        assert!(site("港ICP备12345678号-1").starts_with("ERR"), "not a province");
        assert!(site("京ICP备12345678号").contains("suffix"));
        assert!(parse_subject_number("京ICP备12345678号-2").is_err());
        assert_eq!(parse_subject_number("京ICP备 12345678 号").unwrap().to_string(), "京ICP备12345678号");
    }

    #[test]
    fn aliases_are_the_same_subject() {
        let a = parse_site_number("川ICP备12345678号-1").unwrap();
        let b = parse_icp("蜀ICP备12345678号").unwrap();
        assert!(b.acceptable_for(&a));
        let c = parse_icp("蜀ICP备87654321号").unwrap();
        assert!(!c.acceptable_for(&a));
        assert!(parse_icp("京ICP备12345678号-9").unwrap().acceptable_for(&parse_icp("京ICP备12345678号-1").unwrap()));
    }

    #[test]
    fn footers_are_scanned() {
        let footer = "Copyright © 2024 某公司 版权所有 京ICP备 1234 5678号－3 京公网安备 11010802020134号 京ICP证030173号 粤B2-20130742";
        assert_eq!(find_icp_numbers(footer).iter().map(|n| n.to_string()).collect::<Vec<_>>(), vec!["京ICP备12345678号-3"]);
        assert_eq!(find_psb_numbers(footer).iter().map(|n| n.to_string()).collect::<Vec<_>>(), vec!["京公网安备11010802020134号"]);
        assert_eq!(
            find_license_numbers(footer).iter().map(|n| n.to_string()).collect::<Vec<_>>(),
            vec!["京ICP证030173号", "粤B2-20130742"]
        );
        assert_eq!(find_license_numbers("跨地区增值电信业务经营许可证：B1.B2-20140123").iter().map(|n| n.to_string()).collect::<Vec<_>>(), ["B1.B2-20140123"]);
        // A year after the number is not its suffix, and a short code is not a PSB number.
        assert_eq!(find_icp_numbers("京ICP备12345678号 2024")[0].suffix, None);
        assert!(find_psb_numbers("京公网安备110108号").is_empty());
    }

    #[test]
    fn a_number_without_its_hao_does_not_take_in_what_follows() {
        // A year or another number after a number that no 号 ends is not part of it.
        let n = &find_icp_numbers("京ICP备12345678 2024 ©某某")[0];
        assert_eq!(n.digits, "12345678");
        assert_eq!(find_icp_in_folded(&fold("京ICP备12345678 2024 ©"))[0].0, 0.."京ICP备12345678".len());
        assert_eq!(find_psb_numbers("京公网安备11010802020134 2024")[0].code, "11010802020134");
        // Spaced digits are still one number: ended by 号, or within ten digits.
        assert_eq!(find_icp_numbers("粤ICP备 2024 0000 02号")[0].digits, "2024000002");
        assert_eq!(find_icp_numbers("粤ICP备 2024 0000 02")[0].digits, "2024000002");
        assert_eq!(find_psb_numbers("京公网安备 1101 0802 0201 34")[0].code, "11010802020134");
        // Also across a run of spaces, which ends neither the number nor its range early.
        assert_eq!(find_icp_in_folded(&fold("京ICP备1234  5678 \n 2024 ©"))[0].0, 0.."京ICP备1234  5678".len());
        assert_eq!(find_psb_numbers("京公网安备 1101  0802\u{200b} 0201 34  2024")[0].code, "11010802020134");
    }

    #[test]
    fn a_colon_may_follow_bei() {
        assert_eq!(find_icp_numbers("京ICP备：12345678号-1")[0].digits, "12345678");
        assert_eq!(find_icp_numbers("京ICP备: 12345678号")[0].digits, "12345678");
        // The label run into the number.
        assert_eq!(find_icp_numbers("粤ICP备案号：2021098765号-1")[0].to_string(), "粤ICP备2021098765号-1");
        assert_eq!(find_icp_numbers("京ICP备案 12345678号")[0].to_string(), "京ICP备12345678号");
        assert_eq!(find_icp_numbers("京ICP备案编号：12345678号-3")[0].to_string(), "京ICP备12345678号-3");
        assert_eq!(find_icp_numbers("京ICP备案号：京ICP备12345678号-2")[0].to_string(), "京ICP备12345678号-2");
        assert_eq!(find_psb_numbers("京公网安备：11010802020134号")[0].code, "11010802020134");
    }

    /// The search from each 安 finds what one regex search over the whole text finds.
    #[test]
    fn psb_search_agrees_with_a_whole_text_regex() {
        let whole = Regex::new(PSB_AT.as_str().strip_prefix('^').unwrap()).unwrap();
        let oracle = |t: &str| -> Vec<(Range<usize>, PsbNumber)> { whole.captures_iter(t).filter_map(|c| psb_match(&c)).collect() };
        // Numbers as footers write them, spaced at random, with parts dropped or swapped for
        // look-alikes, among text that holds the same characters.
        // Each part with the odds it is left out: the labels' words often are.
        let parts = [
            ("京", 3), ("公", 20), ("网", 3), ("安", 20), ("机关", 2), ("联网", 3), ("备", 20), ("案", 2), ("号", 2), (":", 3),
            ("11010802", 20), ("020134", 20), ("号", 3), ("2024", 3),
        ];
        let noise = ["司", "公", "安", "备", "网", "沪", "x", "1", "99", "号", " ", "網", "備", "號", "滬", "联网", "编"];
        let mut rng = fastrand::Rng::with_seed(11);
        let mut hits = 0;
        for _ in 0..100_000 {
            let mut text = String::new();
            for _ in 0..rng.usize(1..4) {
                for (part, odds) in parts {
                    if rng.u8(..odds) == 0 {
                        continue;
                    }
                    match rng.u8(..20) {
                        0 => text.push_str(noise[rng.usize(..noise.len())]),
                        _ => text.push_str(part),
                    }
                    for _ in 0..[0, 0, 0, 1, 2][rng.usize(..5)] {
                        text.push(' ');
                    }
                }
            }
            let want = oracle(&text);
            hits += want.len();
            assert_eq!(find_psb_in_folded(&text), want, "{text:?}");
        }
        assert!(hits > 10_000, "the random texts hold numbers too ({hits})");
    }

    #[test]
    fn traditional_characters_are_read_and_normalised() {
        // As a Big5 page (or a page in traditional characters) writes its footer.
        let footer = "版權所有 粵ICP備2024012345號-2 滬公網安備 31010402000123號 京ICP證030173號 遼ICP備12345678號";
        let icp: Vec<String> = find_icp_numbers(footer).iter().map(|n| n.to_string()).collect();
        assert_eq!(icp, ["粤ICP备2024012345号-2", "辽ICP备12345678号"]);
        assert_eq!(find_psb_numbers(footer)[0].to_string(), "沪公网安备31010402000123号");
        assert_eq!(find_license_numbers(footer)[0].to_string(), "京ICP证030173号");
        // The same subject as the simplified number; 貴 is 贵 is 黔.
        assert!(parse_icp("粵ICP備2024012345號").unwrap().acceptable_for(&parse_site_number("粤ICP备2024012345号-1").unwrap()));
        assert!(parse_icp("貴ICP備12345678號").unwrap().same_subject(&parse_icp("黔ICP备12345678号").unwrap()));
        // 號 ends a number as 号 does.
        assert_eq!(find_icp_numbers("京ICP備12345678號 2024")[0].suffix, None);
        assert_eq!(find_psb_numbers("京公網安備 1101 0802 0201 34號")[0].code, "11010802020134");
    }

    #[test]
    fn labelled_psb_numbers_are_read() {
        // As footers label the number instead of writing the portal's form; without a province,
        // the number takes the one its code starts with.
        let cases = [
            ("公安备案号：31010602001234", "沪公网安备31010602001234号"),
            ("公安机关备案号 44030502000123号", "粤公网安备44030502000123号"),
            ("公安联网备案号:51010702000456", "川公网安备51010702000456号"),
            ("京公网安备案号 11010802020134", "京公网安备11010802020134号"),
            ("公网安备 33010602011111号", "浙公网安备33010602011111号"),
            ("網安備案編號：53010202000789", "云公网安备53010202000789号"),
            ("公安部备案号：11010802020134", "京公网安备11010802020134号"),
            ("公安机关联网备案号：33010602011111", "浙公网安备33010602011111号"),
        ];
        for (text, want) in cases {
            let got: Vec<String> = find_psb_numbers(text).iter().map(|n| n.to_string()).collect();
            assert_eq!(got, [want], "{text}");
        }
        // A code that opens with no province's division code is no number without its province
        // (with one, it is read as written); 安 alone is no label, nor are 13 digits a code.
        assert!(find_psb_numbers("公安备案号：99010602001234").is_empty());
        assert_eq!(find_psb_numbers("沪公网安备99010602001234号")[0].code, "99010602001234");
        assert!(find_psb_numbers("平安备案号：31010602001234").is_empty());
        assert!(find_psb_numbers("公安备案号：3101060200123").is_empty());
        assert!(find_psb_numbers("公司安全备案 31010602001234").is_empty());
    }

    #[test]
    fn psb_numbers_parse() {
        assert_eq!(parse_psb("京公网安备 1101 0802 0201 34 号").unwrap().code, "11010802020134");
        assert!(parse_psb("京ICP备12345678号").is_none());
    }
}
