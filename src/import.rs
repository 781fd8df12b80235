//! Filing import (design §4.2): CSV or JSON Lines in, validated `Filing`s out. A bad row is
//! reported with its line number and reason and never stops the good rows.

use crate::filing::{Filing, FilingStatus};
use crate::number;
use anyhow::{bail, Context, Result};
use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

/// What a file held: the good filings (one per site number, the last row winning) and the bad rows.
#[derive(Debug, Default)]
pub struct Parsed {
    pub filings: Vec<Filing>,
    pub rejected: Vec<Rejected>,
    /// Rows that repeated an earlier site number and replaced it: (line, earlier line).
    pub duplicates: Vec<(u64, u64)>,
}

/// The fields of one input row, as text.
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    site_number: Option<String>,
    site_name: Option<String>,
    #[serde(default, deserialize_with = "list_or_text")]
    domains: Option<String>,
    subject_number: Option<String>,
    subject_name: Option<String>,
    subject_nature: Option<String>,
    #[serde(default, deserialize_with = "list_or_text")]
    filed_ips: Option<String>,
    psb_number: Option<String>,
    status: Option<String>,
    province: Option<String>,
    homepage: Option<String>,
}

/// JSON Lines may give `domains` and `filed_ips` as arrays or as `;`-separated text.
fn list_or_text<'de, D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Option<String>, D::Error> {
    #[derive(serde::Deserialize)]
    #[serde(untagged)]
    enum V {
        Text(String),
        List(Vec<String>),
    }
    Ok(match Option::<V>::deserialize(d)? {
        None => None,
        Some(V::Text(s)) => Some(s),
        Some(V::List(v)) => Some(v.join(";")),
    })
}

use serde::Deserialize;

const COLUMNS: [&str; 11] = [
    "site_number", "site_name", "domains", "subject_number", "subject_name", "subject_nature", "filed_ips",
    "psb_number", "status", "province", "homepage",
];

/// Reads a file, choosing the format by extension: `.csv`, or `.jsonl` / `.ndjson` / `.json`.
pub fn parse_file(path: &Path) -> Result<Parsed> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if !["csv", "jsonl", "ndjson", "json"].contains(&ext.as_str()) {
        bail!("{}: unknown format: the file name must end in .csv or .jsonl", path.display());
    }
    let bytes = match gb18030_fallback(&bytes) {
        Some(text) => {
            eprintln!("{}: not UTF-8; read as GB18030 (GBK), the encoding Excel on Chinese Windows saves \"CSV\" in", path.display());
            text.into_bytes()
        }
        None => bytes,
    };
    match ext.as_str() {
        "csv" => parse_csv(&bytes).with_context(|| path.display().to_string()),
        _ => Ok(parse_jsonl(&bytes)),
    }
}

/// A file in GB18030 (or its subset GBK), decoded: spreadsheets on Chinese Windows save "CSV"
/// that way. Only when nothing says UTF-8 — no UTF-8 BOM, not valid UTF-8, no line that is valid
/// UTF-8 with a character of three or more bytes in it (Chinese text in UTF-8 is; a GBK line
/// may pass for UTF-8 by accident, but then as Latin, Greek or Cyrillic letters of two bytes) —
/// and the whole decodes as GB18030 without an error: a UTF-8 file with a few bad rows would
/// otherwise turn into mojibake everywhere; such a file is read as UTF-8 and its bad rows
/// rejected. GBK bytes never take the values of `\n`, `,` or `"`, so lines and fields stay
/// where they were.
pub fn gb18030_fallback(bytes: &[u8]) -> Option<String> {
    if bytes.starts_with(b"\xEF\xBB\xBF") || std::str::from_utf8(bytes).is_ok() {
        return None;
    }
    let utf8_line = bytes
        .split(|&b| b == b'\n')
        .any(|l| std::str::from_utf8(l).is_ok_and(|t| t.chars().any(|c| c.len_utf8() >= 3)));
    if utf8_line {
        return None;
    }
    encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes).map(|t| t.into_owned())
}

/// What to say about text that is not UTF-8, the format design §4.2 asks for. Spreadsheets in
/// China save CSV as GBK unless told otherwise.
const NOT_UTF8: &str = "is not UTF-8 (a GBK file? save it as \"CSV UTF-8\")";

fn utf8<'a>(field: &'a [u8], what: std::fmt::Arguments<'_>) -> std::result::Result<&'a str, String> {
    std::str::from_utf8(field).map_err(|e| format!("{what} {NOT_UTF8}: bad byte at offset {}", e.valid_up_to()))
}

fn csv_reader(bytes: &[u8], headers: bool) -> csv::Reader<&[u8]> {
    csv::ReaderBuilder::new().flexible(true).has_headers(headers).from_reader(bytes)
}

/// Parses CSV with a header row; columns in any order. A missing required column fails the file.
///
/// Each row stands alone: a field that is not UTF-8 rejects its row, and so does a field with a
/// line break in it — no column holds one, and what makes one is nearly always a quote that was
/// never closed, which would otherwise swallow every later row into that field. Reading then
/// starts again on the line after the rejected row's first line.
pub fn parse_csv(bytes: &[u8]) -> Result<Parsed> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut rdr = csv_reader(bytes, true);
    let headers: Vec<String> = rdr
        .byte_headers()
        .context("reading the header row")?
        .iter()
        .map(|h| utf8(h, format_args!("the header")).map(|h| h.trim().to_string()))
        .collect::<std::result::Result<_, _>>()
        .map_err(|e| anyhow::anyhow!("line 1: {e}"))?;
    for required in ["site_number", "site_name", "domains"] {
        if !headers.iter().any(|h| h == required) {
            bail!("line 1: the header has no {required:?} column (found {headers:?})");
        }
    }
    // A column without a name is what a spreadsheet writes for an empty column at the end
    // (`site_number,site_name,domains,`): ignored while it holds nothing.
    if let Some(unknown) = headers.iter().find(|h| !h.is_empty() && !COLUMNS.contains(&h.as_str())) {
        bail!("line 1: unknown column {unknown:?}; known columns are {}", COLUMNS.join(", "));
    }
    if let Some((i, h)) = headers.iter().enumerate().find(|(i, h)| !h.is_empty() && headers[..*i].contains(h)) {
        bail!("line 1: column {h:?} is given twice (columns {} and {})", headers.iter().position(|x| x == h).unwrap_or(0) + 1, i + 1);
    }
    // The fields a row must have: up to the last column with a name.
    let named = headers.iter().rposition(|h| !h.is_empty()).map_or(0, |i| i + 1);
    let mut out = Collector::default();
    // The current reader starts at byte `base` of the file.
    let mut base = 0usize;
    let mut lines = LineCounter::new(bytes);
    let mut rec = csv::ByteRecord::new();
    loop {
        match rdr.read_byte_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(record_start(bytes, base + p.byte() as usize)));
                out.reject(line, format!("unreadable CSV: {e}"));
                continue;
            }
        }
        let start = record_start(bytes, base + rec.position().map_or(0, |p| p.byte() as usize));
        let line = lines.line_at(start);
        if let Some(i) = rec.iter().position(|f| f.contains(&b'\n') || f.contains(&b'\r')) {
            // A cell with a line break in it, its quotes closed as they should be, is one row: it
            // is rejected and reading goes on after it. Anything else is taken for a quote never
            // closed, and reading goes on at the next line, where the next row most likely is. A
            // line break followed by a comma inside the field is taken for one too: that is
            // later rows swallowed whole, up to some stray quote.
            let swallowed = rec[i].split(|&b| b == b'\n' || b == b'\r').skip(1).any(|l| l.contains(&b','));
            let closed = if swallowed || rec.len() < named { None } else { strict_record_end(bytes, start) };
            let next = closed.unwrap_or_else(|| line_end(bytes, start));
            let column = headers.get(i).filter(|h| !h.is_empty()).map_or(format!("column {}", i + 1), |h| h.clone());
            out.reject(
                line,
                if closed.is_some() {
                    format!("a line break inside the quoted field {column} (a cell written on several lines?): no column holds one")
                } else {
                    "a line break inside a quoted field (a quote not closed?); reading on from the next line".into()
                },
            );
            base = next;
            rdr = csv_reader(&bytes[next..], false);
            continue;
        }
        // Empty fields after the last column (a trailing comma) hold nothing to lose.
        let blank = |f: &[u8]| f.iter().all(u8::is_ascii_whitespace);
        if rec.len() < named || rec.iter().skip(headers.len()).any(|f| !blank(f)) {
            out.reject(line, format!("{} fields, the header has {}", rec.len(), headers.len()));
            continue;
        }
        if let Some(i) = (0..headers.len().min(rec.len())).find(|&i| headers[i].is_empty() && !blank(&rec[i])) {
            out.reject(line, format!("a value in column {}, which has no name in the header", i + 1));
            continue;
        }
        let row = (|| -> std::result::Result<RawRow, String> {
            let get = |name: &str| -> std::result::Result<Option<String>, String> {
                match headers.iter().position(|h| h == name).and_then(|i| rec.get(i)) {
                    Some(f) => utf8(f, format_args!("column {name}")).map(|v| Some(v.to_string())),
                    None => Ok(None),
                }
            };
            Ok(RawRow {
                site_number: get("site_number")?,
                site_name: get("site_name")?,
                domains: get("domains")?,
                subject_number: get("subject_number")?,
                subject_name: get("subject_name")?,
                subject_nature: get("subject_nature")?,
                filed_ips: get("filed_ips")?,
                psb_number: get("psb_number")?,
                status: get("status")?,
                province: get("province")?,
                homepage: get("homepage")?,
            })
        })();
        match row {
            Ok(row) => out.take(line, validate(row)),
            Err(reason) => out.reject(line, reason),
        }
    }
    Ok(out.finish())
}

/// Parses JSON Lines: one object per line with the CSV column names; blank lines are skipped.
pub fn parse_jsonl(bytes: &[u8]) -> Parsed {
    let mut out = Collector::default();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        let line_no = i as u64 + 1;
        let line = match utf8(line, format_args!("the line")) {
            Ok(l) => l.trim().trim_start_matches('\u{feff}'),
            Err(reason) => {
                out.reject(line_no, reason);
                continue;
            }
        };
        if line.is_empty() {
            continue;
        }
        match serde_json::from_str::<RawRow>(line) {
            Ok(row) => out.take(line_no, validate(row)),
            Err(e) => out.reject(line_no, format!("invalid JSON: {e}")),
        }
    }
    out.finish()
}

/// Where the record starting at `start` ends (after its line end), when it is strictly
/// well-formed CSV: every quoted field opens at the start of the field and its closing quote is
/// followed by a comma or the end of the line. `None` when it is not (a quote not closed, or
/// closed before other text), which is how a quote left open shows.
fn strict_record_end(bytes: &[u8], start: usize) -> Option<usize> {
    let (mut i, mut field_start, mut quoted, mut closed) = (start, true, false, false);
    while i < bytes.len() {
        let b = bytes[i];
        if quoted {
            if b == b'"' {
                if bytes.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    (quoted, closed) = (false, true);
                }
            }
        } else if b == b'\n' || b == b'\r' {
            return Some(line_end(bytes, i));
        } else if b == b',' {
            (field_start, closed) = (true, false);
            i += 1;
            continue;
        } else if closed {
            return None;
        } else if b == b'"' && field_start {
            quoted = true;
        }
        field_start = false;
        i += 1;
    }
    (!quoted).then_some(bytes.len())
}

/// Where the line that byte `at` is on ends: after its `\n`, its `\r\n` or its lone `\r` (as
/// [`LineCounter`] counts lines), or at the end of `bytes`.
fn line_end(bytes: &[u8], at: usize) -> usize {
    match memchr::memchr2(b'\n', b'\r', &bytes[at..]) {
        Some(i) if bytes[at + i] == b'\r' && bytes.get(at + i + 1) == Some(&b'\n') => at + i + 2,
        Some(i) => at + i + 1,
        None => bytes.len(),
    }
}

/// Where a record starts, given the csv crate's position for it: that is where the previous
/// record ended — after its `\r` in a `\r\n` file, and before the blank lines it skipped.
pub(crate) fn record_start(bytes: &[u8], position: usize) -> usize {
    let position = position.min(bytes.len());
    position + bytes[position..].iter().take_while(|&&b| b == b'\r' || b == b'\n').count()
}

/// The line (from 1) of a byte offset, counted from the bytes themselves: the csv crate's own
/// line count leaves out blank lines and the line ends of `\r\n` and `\r` files, which Excel writes.
pub(crate) struct LineCounter<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl<'a> LineCounter<'a> {
    pub(crate) fn new(bytes: &'a [u8]) -> Self {
        LineCounter { bytes, at: 0, line: 1 }
    }

    /// Offsets are asked for in increasing order, so the whole file is counted once.
    pub(crate) fn line_at(&mut self, byte: usize) -> u64 {
        let byte = byte.min(self.bytes.len());
        if byte < self.at {
            (self.at, self.line) = (0, 1);
        }
        // A line ends at `\n`, or at a `\r` not followed by one (old Mac line ends, which
        // Excel's "CSV (Macintosh)" still writes).
        let chunk = &self.bytes[self.at..byte];
        let cr = memchr::memchr_iter(b'\r', chunk).filter(|&i| self.bytes.get(self.at + i + 1) != Some(&b'\n')).count();
        self.line += (memchr::memchr_iter(b'\n', chunk).count() + cr) as u64;
        self.at = byte;
        self.line
    }
}

#[derive(Default)]
struct Collector {
    filings: Vec<Filing>,
    index: HashMap<String, (usize, u64)>,
    rejected: Vec<Rejected>,
    duplicates: Vec<(u64, u64)>,
}

impl Collector {
    fn reject(&mut self, line: u64, reason: String) {
        self.rejected.push(Rejected { line, reason });
    }

    fn take(&mut self, line: u64, row: std::result::Result<Filing, String>) {
        match row {
            Err(reason) => self.reject(line, reason),
            Ok(f) => match self.index.get_mut(&f.site_number) {
                Some((i, earlier)) => {
                    self.duplicates.push((line, *earlier));
                    *earlier = line;
                    self.filings[*i] = f;
                }
                None => {
                    self.index.insert(f.site_number.clone(), (self.filings.len(), line));
                    self.filings.push(f);
                }
            },
        }
    }

    fn finish(self) -> Parsed {
        Parsed { filings: self.filings, rejected: self.rejected, duplicates: self.duplicates }
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Turns one row into a filing, or says what is wrong with it.
fn validate(row: RawRow) -> std::result::Result<Filing, String> {
    let raw_site = non_empty(row.site_number).ok_or("site_number is empty")?;
    let site = number::parse_site_number(&raw_site).map_err(|e| format!("site_number {raw_site:?}: {e}"))?;
    let subject = site.subject();
    if let Some(raw_subject) = non_empty(row.subject_number) {
        let given = number::parse_subject_number(&raw_subject).map_err(|e| format!("subject_number {raw_subject:?}: {e}"))?;
        if given.to_string() != subject.to_string() {
            return Err(format!("site_number {site} does not extend subject_number {given}"));
        }
    }
    let site_name = non_empty(row.site_name).ok_or("site_name is empty")?;
    let domains = parse_domains(&non_empty(row.domains).ok_or("domains is empty")?)?;
    let filed_ips = non_empty(row.filed_ips)
        .map(|s| {
            split_list(&s)
                .map(|p| p.parse::<IpAddr>().map_err(|_| format!("filed_ips: {p:?} is not an IP address")))
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let psb_number = non_empty(row.psb_number)
        .map(|p| number::parse_psb(&p).map(|n| n.to_string()).ok_or_else(|| format!("psb_number {p:?} is not a 公网安备 number")))
        .transpose()?;
    let status_text = non_empty(row.status).unwrap_or_default();
    let status = FilingStatus::parse(&status_text)
        .ok_or_else(|| format!("status {status_text:?}: expected active, access_cancelled, deregistered, 正常, 取消接入 or 注销"))?;
    Ok(Filing {
        site_number: site.to_string(),
        subject_number: subject.to_string(),
        site_name,
        subject_name: non_empty(row.subject_name),
        subject_nature: non_empty(row.subject_nature),
        domains,
        filed_ips,
        psb_number,
        status,
        province: non_empty(row.province),
        homepage: non_empty(row.homepage),
    })
}

/// The parts of a `;`-separated list, the full-width `；` (as typed with a Chinese input method)
/// counting as `;`.
fn split_list(text: &str) -> impl Iterator<Item = &str> {
    text.split([';', '；']).map(str::trim).filter(|p| !p.is_empty())
}

/// `;`-separated domain names → lower-case ASCII (IDNA) names without a trailing dot.
fn parse_domains(text: &str) -> std::result::Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in split_list(text) {
        let ascii = parse_domain(part).ok_or_else(|| {
            if part.contains([',', '，', '、', ' ', '\u{3000}']) {
                format!("domains: {part:?} is not a domain name (separate domains with ';')")
            } else {
                format!("domains: {part:?} is not a domain name")
            }
        })?;
        if !out.contains(&ascii) {
            out.push(ascii);
        }
    }
    if out.is_empty() {
        return Err("domains is empty".into());
    }
    Ok(out)
}

/// One domain name → the form filings store it in: lower-case ASCII (IDNA, so `例子.中国` is
/// `xn--fsqu00a.xn--fiqs8s`) without surrounding blanks or a trailing dot. `None` when it is not
/// a host name (an IP address, a URL, an empty label, a single label).
///
/// Only letters, digits, `-`, `_` and dots (also the full-width and ideographic ones IDNA maps to
/// `.`) may be in it: IDNA lets punctuation such as `、` through into a label, so that
/// `a.cn、b.cn` would otherwise be one made-up name `a.xn--cnb-….cn`.
pub fn parse_domain(text: &str) -> Option<String> {
    let text = text.trim();
    if !text.chars().all(|c| c.is_alphanumeric() || matches!(c, '-' | '_' | '.' | '。' | '．' | '｡' | '－')) {
        return None;
    }
    match url::Host::parse(text.trim_end_matches('.')) {
        Ok(url::Host::Domain(d)) if valid_hostname(&d) => Some(d),
        _ => None,
    }
}

fn valid_hostname(d: &str) -> bool {
    d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

/// What an import did, as the summary line reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub imported: usize,
    pub updated: usize,
    pub rejected: usize,
    pub pruned: usize,
}

/// `beiand import`: parses, reports each bad row on stderr as `LINE: reason`, stores the good rows
/// and prints `imported N, updated M, rejected K` with the time taken.
pub async fn run(store: &crate::store::Store, path: &Path, prune: bool) -> Result<Summary> {
    let started = std::time::Instant::now();
    let parsed = parse_file(path)?;
    for r in &parsed.rejected {
        eprintln!("{}:{}: {}", path.display(), r.line, r.reason);
    }
    for (line, earlier) in &parsed.duplicates {
        eprintln!("{}:{line}: repeats the site number of line {earlier}; this later row is kept", path.display());
    }
    let now = crate::clock::now();
    let updated = store.upsert_filings(&parsed.filings, now).await?;
    // A rejected row may be a filing the provider still has: pruning on a file with one would
    // remove that filing and supersede its tickets, so the file must be clean first.
    let prune = prune && {
        let refused = if !parsed.rejected.is_empty() {
            Some(format!("{} rows were rejected, and the filings they hold would be removed", parsed.rejected.len()))
        } else if parsed.filings.is_empty() {
            Some("the file holds no filing, and every stored one would be removed".to_string())
        } else {
            None
        };
        if let Some(why) = &refused {
            eprintln!("{}: --prune not done: {why}; fix the file and import it again", path.display());
        }
        refused.is_none()
    };
    let pruned = if prune {
        let keep: std::collections::HashSet<&str> = parsed.filings.iter().map(|f| f.site_number.as_str()).collect();
        store.prune_filings(|s| keep.contains(s), now).await?
    } else {
        0
    };
    let summary = Summary { imported: parsed.filings.len() - updated, updated, rejected: parsed.rejected.len(), pruned };
    let pruned_text = if prune { format!(", pruned {pruned}") } else { String::new() };
    println!(
        "imported {}, updated {}, rejected {}{pruned_text} in {:.2} s",
        summary.imported,
        summary.updated,
        summary.rejected,
        started.elapsed().as_secs_f64()
    );
    Ok(summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_and_bad_rows_are_told_apart_with_line_numbers() {
        let csv = "domains,site_name,site_number,status,psb_number,filed_ips\n\
            www.example.cn;Example.CN.,示例官网,京ICP备12345678号-1,正常,京公网安备11010802020134号,47.93.1.1\n\
            bad.cn,坏行,京ICP证030173号,,,\n\
            \"a.cn\",甲,沪ICP备2024000001号-2,access_cancelled,,\n\
            b.cn,乙,粤ICP备 2024 0000 02号－3,unknown,,\n\
            c.cn,丙,浙ICP备2024000003号-1,,,not-an-ip\n\
            ,丁,浙ICP备2024000004号-1,,,\n\
            d.cn,,浙ICP备2024000005号-1,,,\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.filings.len(), 2);
        let f = &p.filings[0];
        assert_eq!(f.site_number, "京ICP备12345678号-1");
        assert_eq!(f.subject_number, "京ICP备12345678号");
        assert_eq!(f.domains, vec!["www.example.cn", "example.cn"]);
        assert_eq!(f.status, FilingStatus::Active);
        assert_eq!(f.psb_number.as_deref(), Some("京公网安备11010802020134号"));
        assert_eq!(p.filings[1].status, FilingStatus::AccessCancelled);
        let lines: Vec<u64> = p.rejected.iter().map(|r| r.line).collect();
        assert_eq!(lines, vec![3, 5, 6, 7, 8], "{:?}", p.rejected);
        assert!(p.rejected[1].reason.contains("status"), "{:?}", p.rejected[1]);
        assert!(p.rejected[2].reason.contains("filed_ips"));
    }

    #[test]
    fn subject_number_must_be_extended_by_site_number() {
        let csv = "site_number,subject_number,site_name,domains\n\
            京ICP备12345678号-1,京ICP备12345678号,甲,a.cn\n\
            京ICP备12345678号-2,京ICP备87654321号,乙,b.cn\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.filings.len(), 1);
        assert_eq!(p.rejected[0].line, 3);
        assert!(p.rejected[0].reason.contains("does not extend"));
    }

    #[test]
    fn missing_required_column_fails_the_file() {
        let err = parse_csv("site_number,site_name\n京ICP备12345678号-1,甲\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("domains"), "{err}");
    }

    #[test]
    fn an_empty_column_at_the_end_as_spreadsheets_write_it_is_ignored() {
        let csv = "site_number,site_name,domains,\n\
            京ICP备12345678号-1,甲,a.cn,\n\
            京ICP备12345678号-2,乙,b.cn,oops\n\
            京ICP备12345678号-3,丙,c.cn\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.filings.iter().map(|f| f.site_name.as_str()).collect::<Vec<_>>(), vec!["甲", "丙"], "{:?}", p.rejected);
        assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3]);
        assert!(p.rejected[0].reason.contains("column 4, which has no name"), "{:?}", p.rejected);
        // A row with a trailing comma the header does not have loses nothing either.
        let p = parse_csv("site_number,site_name,domains\n京ICP备12345678号-1,甲,a.cn,\n京ICP备12345678号-2,乙,b.cn,x\n".as_bytes()).unwrap();
        assert_eq!(p.filings.len(), 1);
        assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3]);
        // A column given twice is an error: which one would count?
        let err = parse_csv("site_number,site_name,domains,domains\n".as_bytes()).unwrap_err();
        assert!(err.to_string().contains("\"domains\" is given twice (columns 3 and 4)"), "{err}");
    }

    #[test]
    fn later_row_wins_for_a_repeated_site_number() {
        let csv = "site_number,site_name,domains\n京ICP备12345678号-1,旧,a.cn\n京ICP备12345678号-1,新,a.cn\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.filings.len(), 1);
        assert_eq!(p.filings[0].site_name, "新");
        assert_eq!(p.duplicates, vec![(3, 2)]);
    }

    #[test]
    fn json_lines_accept_arrays_and_report_bad_lines() {
        let text = "{\"site_number\":\"京ICP备12345678号-1\",\"site_name\":\"甲\",\"domains\":[\"a.cn\",\"www.a.cn\"],\"status\":\"注销\"}\n\
            \n\
            {not json}\n\
            {\"site_number\":\"京ICP备12345678号-2\",\"site_name\":\"乙\",\"domains\":\"b.cn\",\"colour\":1}\n";
        let p = parse_jsonl(text.as_bytes());
        assert_eq!(p.filings.len(), 1);
        assert_eq!(p.filings[0].domains, vec!["a.cn", "www.a.cn"]);
        assert_eq!(p.filings[0].status, FilingStatus::Deregistered);
        assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 4]);
    }

    #[test]
    fn an_unclosed_quote_loses_its_row_only() {
        let csv = "site_number,site_name,domains\n\
            京ICP备12345678号-1,\"甲,a.cn\n\
            京ICP备12345678号-2,乙,b.cn\n\
            京ICP备12345678号-3,\"丙\",c.cn\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.filings.iter().map(|f| f.site_name.as_str()).collect::<Vec<_>>(), vec!["乙", "丙"], "{:?}", p.rejected);
        assert_eq!(p.rejected.len(), 1, "{:?}", p.rejected);
        assert_eq!(p.rejected[0].line, 2);
        assert!(p.rejected[0].reason.contains("quote"), "{:?}", p.rejected);
        // Line numbers after the restart are the file's.
        let csv = "site_number,site_name,domains\n京ICP备12345678号-1,\"甲,a.cn\n京ICP备12345678号-2,乙,b.cn\n京ICP证030173号,丁,d.cn\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 4], "{:?}", p.rejected);
    }

    #[test]
    fn a_cell_on_several_lines_is_one_rejected_row() {
        // As a spreadsheet writes a cell with Alt+Enter in it: quoted, closed, on two lines.
        // Also with bare CR line ends (Excel's "CSV (Macintosh)"), where the rows after it were lost.
        for eol in ["\n", "\r\n", "\r"] {
            let csv = ["site_number,site_name,domains", "京ICP备12345678号-1,\"甲", "站\",a.cn", "京ICP备12345678号-2,乙,b.cn", ""].join(eol);
            let p = parse_csv(csv.as_bytes()).unwrap();
            assert_eq!(p.filings.iter().map(|f| f.site_name.as_str()).collect::<Vec<_>>(), vec!["乙"], "{:?}", p.rejected);
            assert_eq!(p.rejected.len(), 1, "the second line of the cell is no row of its own: {:?}", p.rejected);
            assert_eq!(p.rejected[0].line, 2);
            assert!(p.rejected[0].reason.contains("quoted field site_name"), "{:?}", p.rejected);
        }
        // A quote left open up to a stray one later: the rows in between are read on their own.
        let csv = "site_number,site_name,domains\n京ICP备12345678号-1,\"甲,a.cn\n京ICP备12345678号-2,乙,b.cn\n京ICP备12345678号-3,丙\",c.cn\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.filings.iter().map(|f| f.site_name.as_str()).collect::<Vec<_>>(), vec!["乙", "丙\""], "{:?}", p.rejected);
        assert_eq!(strict_record_end(b"a,\"b\nc\",d\r\ne", 0), Some(11));
        assert_eq!(strict_record_end(b"a,\"b\"x,d\ne", 0), None);
        assert_eq!(strict_record_end(b"a,\"b\"\"c\ne", 0), None);
        assert_eq!(strict_record_end(b"a,b\"c,d\n", 0), Some(8));
    }

    #[test]
    fn a_row_that_is_not_utf8_is_rejected_by_column_and_the_rest_kept() {
        let mut csv = "site_number,site_name,domains\n京ICP备12345678号-1,".as_bytes().to_vec();
        csv.extend_from_slice(&encoding_rs::GBK.encode("甲站").0);
        csv.extend_from_slice(",a.cn\n京ICP备12345678号-2,乙站,b.cn\n".as_bytes());
        let p = parse_csv(&csv).unwrap();
        assert_eq!(p.filings.len(), 1);
        assert_eq!(p.filings[0].site_name, "乙站");
        assert_eq!(p.rejected[0].line, 2);
        assert!(p.rejected[0].reason.contains("column site_name is not UTF-8"), "{:?}", p.rejected);
        let p = parse_jsonl(&csv[csv.iter().position(|&b| b == b'\n').unwrap() + 1..]);
        assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 2], "{:?}", p.rejected);
        assert!(p.rejected[0].reason.contains("not UTF-8"), "{:?}", p.rejected);
    }

    #[test]
    fn line_numbers_are_the_files_with_crlf_blank_lines_and_a_bom() {
        // As Excel writes it: a BOM, CRLF line ends; and blank lines left in between.
        let csv = "\u{feff}site_number,site_name,domains\r\n\
            京ICP备12345678号-1,甲,a.cn\r\n\
            京ICP证030173号,乙,b.cn\r\n\
            \r\n\
            \r\n\
            京ICP备12345678号-3,,c.cn\r\n\
            京ICP备12345678号-4,丁,d.cn,x\r\n\
            \r\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.filings.len(), 1);
        assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 6, 7], "{:?}", p.rejected);
        // With bare CR line ends, as Excel's "CSV (Macintosh)" writes them.
        let p = parse_csv(csv.replace("\r\n", "\r").as_bytes()).unwrap();
        assert_eq!(p.filings.len(), 1);
        assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 6, 7], "{:?}", p.rejected);
        // After a restart on an unclosed quote too.
        let csv = "site_number,site_name,domains\r\n\r\n京ICP备12345678号-1,\"甲,a.cn\r\n\r\n京ICP证030173号,丁,d.cn\r\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 5], "{:?}", p.rejected);
        // An unclosed quote in a CRLF file is one rejected row, and the next row is kept.
        let csv = "site_number,site_name,domains\r\n京ICP备12345678号-1,\"甲,a.cn\r\n京ICP备12345678号-2,乙,b.cn\r\n京ICP证030173号,丙,c.cn\r\n";
        for csv in [csv.to_string(), csv.replace("\r\n", "\r")] {
            let p = parse_csv(csv.as_bytes()).unwrap();
            assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 4], "{:?}", p.rejected);
            assert_eq!(p.filings.iter().map(|f| f.site_name.as_str()).collect::<Vec<_>>(), vec!["乙"]);
        }
    }

    #[test]
    fn a_gbk_file_is_read_as_gb18030_and_a_mixed_one_as_utf8() {
        let text = "site_number,site_name,domains,subject_name\r\n\
            京ICP备12345678号-1,甲站,a.cn,北京某某科技有限公司\r\n\
            京ICP备12345678号-2,乙站,b.cn,\r\n";
        let gbk = encoding_rs::GBK.encode(text).0.into_owned();
        assert_eq!(gb18030_fallback(&gbk).as_deref(), Some(text));
        let p = parse_csv(gb18030_fallback(&gbk).unwrap().as_bytes()).unwrap();
        assert_eq!(p.filings.iter().map(|f| f.site_name.as_str()).collect::<Vec<_>>(), vec!["甲站", "乙站"]);
        // UTF-8, or a UTF-8 file with one GBK row: read as UTF-8 (the GBK row is rejected alone).
        assert_eq!(gb18030_fallback(text.as_bytes()), None);
        let mut mixed = text.as_bytes().to_vec();
        mixed.extend_from_slice(&encoding_rs::GBK.encode("京ICP备12345678号-3,丙站,c.cn,\r\n").0);
        assert_eq!(gb18030_fallback(&mixed), None);
        // Neither: left as it is.
        assert_eq!(gb18030_fallback(b"site_number\n\xff\xff\n"), None);
    }

    #[test]
    fn domains_are_normalised_and_checked() {
        assert_eq!(parse_domains("WWW.Example.CN.; 例子.中国").unwrap(), vec!["www.example.cn", "xn--fsqu00a.xn--fiqs8s"]);
        assert!(parse_domains("localhost").is_err());
        assert!(parse_domains("a..cn").is_err());
        assert!(parse_domains("http://a.cn/").is_err());
        assert!(parse_domains("1.2.3.4").is_err());
    }

    #[test]
    fn punctuation_in_a_domain_list_is_not_taken_into_a_made_up_name() {
        // IDNA keeps `、` in a label: this was one domain `e.example.xn--cnf-5y3b.example.cn`.
        let err = parse_domains("e.example.cn、f.example.cn").unwrap_err();
        assert!(err.contains("separate domains with ';'"), "{err}");
        for bad in ["a.cn，b.cn", "a.cn b.cn", "a·b.cn", "a.cn/", "例子・中国.cn"] {
            assert!(parse_domains(bad).is_err(), "{bad}");
        }
        // Full-width forms and the ideographic full stop are what IDNA maps them to.
        assert_eq!(parse_domains("ａ.example.cn；例子。中国").unwrap(), vec!["a.example.cn", "xn--fsqu00a.xn--fiqs8s"]);
        assert_eq!(parse_domains("my－site.cn").unwrap(), vec!["my-site.cn"]);
        // filed_ips take the full-width separator too.
        let csv = "site_number,site_name,domains,filed_ips\n京ICP备12345678号-1,甲,a.cn；b.cn,47.92.0.1；47.92.0.2\n";
        let p = parse_csv(csv.as_bytes()).unwrap();
        assert_eq!(p.rejected, vec![]);
        assert_eq!(p.filings[0].domains, vec!["a.cn", "b.cn"]);
        assert_eq!(p.filings[0].filed_ips.len(), 2);
    }
}
