//! Filing import (design §4.2): CSV or JSON Lines in, validated `Filing`s out, stored a batch at
//! a time. A bad row is reported with its line number and reason and never stops the good rows.
//! A column (or JSON key) beiand does not read is ignored and named once on stderr; one that
//! looks like a misspelling of one it reads ([`misspelling`]) fails a CSV file and rejects its
//! JSON Lines row instead, so that its data is not dropped unseen.
//!
//! Memory does not grow with the file: `Rows` reads it a window of bytes at a time and hands out
//! batches of up to `BATCH` rows, and [`run`] reports and stores each batch before it reads
//! the next. What is kept of the rows already stored is one site number each (for a later row
//! repeating it, and for `--prune`). Whether a file that is not UTF-8 is GB18030 is decided on
//! the whole file ([`gb18030_fallback`]), by a first read through it that keeps nothing.

use crate::filing::{Filing, FilingStatus};
use crate::number;
use anyhow::{bail, Context, Result};
use serde::Deserialize;
use std::collections::HashMap;
use std::io::{Read, Seek};
use std::net::IpAddr;
use std::path::Path;

/// Rows per batch: read, reported and stored before the next batch is read.
const BATCH: usize = 5000;

/// Bytes read at a time; a window holds at least this much while the file lasts.
const WINDOW: usize = 256 * 1024;

/// A row that could not be imported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    pub line: u64,
    pub reason: String,
}

/// A batch of rows: the good filings (a site number once, its last row winning) and the bad rows.
#[derive(Debug, Default)]
struct Batch {
    filings: Vec<Filing>,
    rejected: Vec<Rejected>,
    /// Rows that repeated the site number of an earlier row, in this batch or an earlier one,
    /// and replace it: (line, earlier line).
    duplicates: Vec<(u64, u64)>,
    /// How many of `filings` have a site number that an earlier batch held too.
    repeats: usize,
    /// The rows read, good and bad.
    rows: usize,
    /// Where each site number is in `filings`.
    index: HashMap<String, usize>,
}

/// The columns of a CSV file, and the keys of a JSON Lines row, that beiand reads (design §4.2).
const COLUMNS: [&str; 11] = [
    "site_number", "site_name", "domains", "subject_number", "subject_name", "subject_nature", "filed_ips",
    "psb_number", "status", "province", "homepage",
];

/// The columns JSON Lines may give as an array of text too.
const LISTS: [&str; 2] = ["domains", "filed_ips"];

/// The fields of one input row, as text, in the order of [`COLUMNS`].
#[derive(Debug, Default)]
struct RawRow([Option<String>; COLUMNS.len()]);

/// The column of [`COLUMNS`] that `name`, which is not one, looks like a misspelling of; `None`
/// for a column of its own (an id, 备注, `created_at`), which the import ignores. After
/// lower-casing and taking `-` and spaces for `_` (`Site-Name`, `subject number`), `name` is a
/// misspelling of the column
/// - within a Levenshtein distance of 2 of it, or of 1 when `name` has 5 characters or fewer
///   (`filed_ip`, `doamins`, `Site_Name`): the nearest such column, the first in [`COLUMNS`] on
///   a tie;
/// - else, that has `name` as a whole word of its own, one no other column has (`psb`, `ips`,
///   `nature`).
///
/// Starting like a column does not count: `province_code` and `homepage_url` are columns of
/// their own. Nor do the words several columns share (`site`, `subject`, `name`, `number`),
/// which do not say which one was meant.
fn misspelling(name: &str) -> Option<&'static str> {
    let name = name.trim().replace(['-', ' '], "_").to_lowercase();
    let limit = if name.chars().count() <= 5 { 1 } else { 2 };
    let nearest = COLUMNS.iter().map(|c| (strsim::levenshtein(&name, c), *c)).min_by_key(|&(d, _)| d);
    nearest.filter(|&(d, _)| d <= limit).map(|(_, c)| c).or_else(|| {
        let mut owners = COLUMNS.iter().filter(|c| c.split('_').any(|w| w == name));
        match (owners.next(), owners.next()) {
            (Some(c), None) => Some(*c),
            _ => None,
        }
    })
}

/// JSON Lines may give `domains` and `filed_ips` as arrays or as `;`-separated text.
struct ListOrText(Option<String>);

impl<'de> Deserialize<'de> for ListOrText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(untagged)]
        enum V {
            Text(String),
            List(Vec<String>),
        }
        Ok(ListOrText(match Option::<V>::deserialize(d)? {
            None => None,
            Some(V::Text(s)) => Some(s),
            Some(V::List(v)) => Some(v.join(";")),
        }))
    }
}

/// A key of a JSON Lines row: the index of one of [`COLUMNS`], or another name, not copied when
/// the line holds it as it is (without escapes).
enum Key<'de> {
    Column(usize),
    Other(std::borrow::Cow<'de, str>),
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> serde::de::Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> std::result::Result<Key<'de>, E> {
                Ok(COLUMNS.iter().position(|c| *c == v).map_or(Key::Other(v.into()), Key::Column))
            }
            fn visit_str<E>(self, v: &str) -> std::result::Result<Key<'de>, E> {
                Ok(COLUMNS.iter().position(|c| *c == v).map_or_else(|| Key::Other(v.to_string().into()), Key::Column))
            }
        }
        d.deserialize_identifier(KeyVisitor)
    }
}

/// Reads one JSON Lines row, an object, as a derived `Deserialize` would, and about as fast
/// (no `#[serde(flatten)]`, which buffers every value): into the row, or, when a key looks like
/// a misspelling of a column ([`misspelling`]), into why the row is rejected. The value of any
/// other key is skipped, not kept, and noted in `ignored` with `line`; keys are compared without
/// being copied.
struct JsonRow<'a> {
    ignored: &'a mut Ignored,
    line: u64,
}

impl<'de> serde::de::DeserializeSeed<'de> for JsonRow<'_> {
    type Value = std::result::Result<RawRow, String>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> std::result::Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> serde::de::Visitor<'de> for JsonRow<'_> {
    type Value = std::result::Result<RawRow, String>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an object of filing fields")
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> std::result::Result<Self::Value, A::Error> {
        let (mut row, mut seen, mut misspelt) = (RawRow::default(), [false; COLUMNS.len()], None);
        while let Some(key) = map.next_key::<Key>()? {
            match key {
                Key::Column(i) if std::mem::replace(&mut seen[i], true) => {
                    return Err(serde::de::Error::duplicate_field(COLUMNS[i]));
                }
                Key::Column(i) if LISTS.contains(&COLUMNS[i]) => row.0[i] = map.next_value::<ListOrText>()?.0,
                Key::Column(i) => row.0[i] = map.next_value()?,
                Key::Other(name) => {
                    map.next_value::<serde::de::IgnoredAny>()?;
                    if self.ignored.names(&name) {
                        continue;
                    }
                    match misspelling(&name) {
                        Some(known) => _ = misspelt.get_or_insert_with(|| format!("unknown key {name:?} (did you mean {known:?}?)")),
                        None => self.ignored.note(&name, self.line),
                    }
                }
            }
        }
        Ok(misspelt.map_or(Ok(row), Err))
    }
}

/// How many of the names of columns or keys beiand does not read are kept and named.
const MAX_IGNORED_NAMED: usize = 32;

/// The columns or keys beiand does not read, for the warning that names them: the first
/// [`MAX_IGNORED_NAMED`] names, each with the line it was first met on, and the line of the
/// first one past those. Bounded, so that a file whose every row has a key of its own costs no
/// more than one with a few (and its warning is not as long as the file).
#[derive(Default, Debug)]
struct Ignored {
    named: Vec<(String, u64)>,
    more: Option<u64>,
}

impl Ignored {
    /// Whether `name` is one of those named.
    fn names(&self, name: &str) -> bool {
        self.named.iter().any(|(k, _)| k == name)
    }

    fn note(&mut self, name: &str, line: u64) {
        if self.names(name) {
        } else if self.named.len() < MAX_IGNORED_NAMED {
            self.named.push((name.to_string(), line));
        } else {
            self.more.get_or_insert(line);
        }
    }
}

/// A filings file, read in batches of rows with a window of its bytes in memory.
struct Rows {
    source: Box<dyn Read + Send>,
    /// Decodes the bytes as they are read, for a file read as GB18030.
    gb18030: Option<encoding_rs::Decoder>,
    /// The source has no more bytes.
    eof: bool,
    /// The bytes read and not yet done with; they start where a row does.
    window: Vec<u8>,
    window_size: usize,
    format: Format,
    out: Collector,
    /// How many of `out.ignored`'s names were reported, and whether its `more` was.
    reported: (usize, bool),
}

enum Format {
    Csv(Csv),
    /// JSON Lines, and the line the window starts on.
    Jsonl(u64),
}

impl Rows {
    /// Opens a file, choosing the format by extension: `.csv`, or `.jsonl` / `.ndjson` / `.json`,
    /// and reads a CSV file's header row. A file read as GB18030 is said so on stderr.
    fn open(path: &Path) -> Result<Rows> {
        let cannot = || format!("cannot read {}", path.display());
        let mut file = std::fs::File::open(path).with_context(cannot)?;
        let gb18030 = is_gb18030(&mut file).with_context(cannot)?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        if !["csv", "jsonl", "ndjson", "json"].contains(&ext.as_str()) {
            bail!("{}: unknown format: the file name must end in .csv or .jsonl", path.display());
        }
        if gb18030 {
            eprintln!("{}: not UTF-8; read as GB18030 (GBK), the encoding Excel on Chinese Windows saves \"CSV\" in", path.display());
        }
        file.rewind().with_context(cannot)?;
        Rows::new(Box::new(file), ext == "csv", gb18030, WINDOW).with_context(|| path.display().to_string())
    }

    /// Rows of CSV with a header row (`csv`) or of JSON Lines, decoded from GB18030 if `gb18030`,
    /// read `window_size` bytes at a time.
    fn new(source: Box<dyn Read + Send>, csv: bool, gb18030: bool, window_size: usize) -> Result<Rows> {
        let gb18030 = gb18030.then(|| encoding_rs::GB18030.new_decoder_without_bom_handling());
        let (window, format, out) = (Vec::new(), Format::Jsonl(1), Collector::default());
        let mut rows = Rows { source, gb18030, eof: false, window, window_size, format, out, reported: (0, false) };
        if csv {
            rows.format = Format::Csv(loop {
                rows.fill()?;
                if let Some((header, ignored, len)) = Csv::header(&rows.window, rows.eof)? {
                    rows.window.drain(..len);
                    rows.out.ignored = ignored;
                    break header;
                }
            });
        }
        Ok(rows)
    }

    /// The columns or keys beiand does not read that were met since the last call, as a warning
    /// (`columns "备注", "id" are not ones beiand reads; ignored`) and the line where the first
    /// of them is: the header, or the first row with that key.
    /// Past [`MAX_IGNORED_NAMED`] names, the rest are told of once, unnamed.
    fn newly_ignored(&mut self) -> Option<(u64, String)> {
        let ignored = &self.out.ignored;
        let new = &ignored.named[self.reported.0..];
        let more = ignored.more.filter(|_| !self.reported.1);
        let line = new.first().map(|&(_, line)| line).or(more)?;
        self.reported = (ignored.named.len(), ignored.more.is_some());
        let kind = if matches!(self.format, Format::Csv(_)) { "column" } else { "key" };
        let names = new.iter().map(|(name, _)| format!("{name:?}")).collect::<Vec<_>>().join(", ");
        let text = match (new.len(), more.is_some()) {
            (0, _) => format!("more {kind}s are not ones beiand reads (past the first {MAX_IGNORED_NAMED}, not named); ignored"),
            (1, false) => format!("{kind} {names} is not one beiand reads; ignored"),
            (_, false) => format!("{kind}s {names} are not ones beiand reads; ignored"),
            (_, true) => format!("{kind}s {names} and more (not named) are not ones beiand reads; ignored"),
        };
        Some((line, text))
    }

    /// The next batch of up to `limit` rows; `None` at the end of the file.
    fn next_batch(&mut self, limit: usize) -> Result<Option<Batch>> {
        loop {
            let done = match &mut self.format {
                Format::Csv(csv) => csv.read(&self.window, self.eof, &mut self.out, limit),
                Format::Jsonl(line) => read_jsonl(line, &self.window, self.eof, &mut self.out, limit),
            };
            self.window.drain(..done);
            if self.out.batch.rows >= limit || self.eof {
                break;
            }
            self.fill()?;
        }
        let batch = std::mem::take(&mut self.out.batch);
        Ok((batch.rows > 0).then_some(batch))
    }

    /// The site numbers of every good row read, each with the line of its last row.
    fn into_site_numbers(self) -> HashMap<Box<str>, u64> {
        self.out.seen
    }

    /// Reads on, until the window holds `window_size` bytes, or twice what it held (when that is
    /// more: a row longer than the window), or the file ends.
    fn fill(&mut self) -> Result<()> {
        let want = self.window_size.max(2 * self.window.len());
        let mut raw = vec![0; want.min(WINDOW)];
        while self.window.len() < want && !self.eof {
            let room = (want - self.window.len()).min(raw.len());
            let n = self.source.read(&mut raw[..room])?;
            self.eof = n == 0;
            match &mut self.gb18030 {
                None => self.window.extend_from_slice(&raw[..n]),
                Some(decoder) => decode(decoder, &raw[..n], self.eof, &mut self.window)?,
            }
        }
        Ok(())
    }
}

/// Decodes GB18030 bytes onto the end of `out`; `last`: the file ends after them.
fn decode(decoder: &mut encoding_rs::Decoder, raw: &[u8], last: bool, out: &mut Vec<u8>) -> Result<()> {
    let old = out.len();
    out.resize(old + decoder.max_utf8_buffer_length_without_replacement(raw.len()).context("a read too large")?, 0);
    let (result, _, written) = decoder.decode_to_utf8_without_replacement(raw, &mut out[old..], last);
    out.truncate(old + written);
    match result {
        encoding_rs::DecoderResult::InputEmpty => Ok(()),
        _ => bail!("not GB18030 on the second reading: did the file change meanwhile?"),
    }
}

/// A file in GB18030 (or its subset GBK), decoded: spreadsheets on Chinese Windows save "CSV"
/// that way. Only when nothing says UTF-8 — no UTF-8 BOM, not valid UTF-8, no line that is valid
/// UTF-8 with a character of three or more bytes in it (Chinese text in UTF-8 is; a GBK line
/// may pass for UTF-8 by accident, but then as Latin, Greek or Cyrillic letters of two bytes) —
/// and the whole decodes as GB18030 without an error: a UTF-8 file with a few bad rows would
/// otherwise turn into mojibake everywhere; such a file is read as UTF-8 and its bad rows
/// rejected. GBK bytes never take the values of `\n`, `\r`, `,` or `"`, so lines and fields stay
/// where they were.
pub fn gb18030_fallback(bytes: &[u8]) -> Option<String> {
    if !is_gb18030(bytes).ok()? {
        return None;
    }
    encoding_rs::GB18030.decode_without_bom_handling_and_without_replacement(bytes).map(|t| t.into_owned())
}

/// Whether a file is to be read as GB18030, as [`gb18030_fallback`] decides, from one read
/// through it that keeps nothing. It stops early where a BOM or a line of UTF-8 Chinese says UTF-8.
fn is_gb18030(mut file: impl Read) -> std::io::Result<bool> {
    let mut head = Vec::new();
    (&mut file).take(3).read_to_end(&mut head)?;
    if head == b"\xEF\xBB\xBF" {
        return Ok(false);
    }
    let mut sniff = Sniff::new();
    sniff.feed(&head);
    let mut buf = vec![0; WINDOW];
    loop {
        match file.read(&mut buf)? {
            0 => return Ok(sniff.finish()),
            n => sniff.feed(&buf[..n]),
        }
        if sniff.wide_line {
            return Ok(false);
        }
    }
}

/// What the first read finds out, a piece of the file at a time.
struct Sniff {
    /// Every line so far is valid UTF-8.
    utf8: bool,
    /// A line was valid UTF-8 with a character of three or more bytes in it.
    wide_line: bool,
    /// The current line so far: valid UTF-8; with a wide character; the start of a character
    /// that the piece cut off.
    line_ok: bool,
    line_wide: bool,
    cut: Vec<u8>,
    /// Decodes everything as GB18030, until it meets an error.
    gb18030: Option<encoding_rs::Decoder>,
    scratch: Vec<u8>,
}

impl Sniff {
    fn new() -> Sniff {
        let gb18030 = Some(encoding_rs::GB18030.new_decoder_without_bom_handling());
        Sniff { utf8: true, wide_line: false, line_ok: true, line_wide: false, cut: Vec::new(), gb18030, scratch: Vec::new() }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.decode(bytes, false);
        let mut lines = bytes.split(|&b| b == b'\n').peekable();
        while let Some(piece) = lines.next() {
            self.line_part(piece);
            if lines.peek().is_some() {
                self.end_line();
            }
        }
    }

    /// After the last piece: whether to read the file as GB18030.
    fn finish(mut self) -> bool {
        self.end_line();
        self.decode(&[], true);
        !self.utf8 && !self.wide_line && self.gb18030.is_some()
    }

    fn decode(&mut self, bytes: &[u8], last: bool) {
        if let Some(decoder) = &mut self.gb18030 {
            self.scratch.resize(decoder.max_utf8_buffer_length_without_replacement(bytes.len()).unwrap_or(0), 0);
            let (result, _, _) = decoder.decode_to_utf8_without_replacement(bytes, &mut self.scratch, last);
            if result != encoding_rs::DecoderResult::InputEmpty {
                self.gb18030 = None;
            }
        }
    }

    fn line_part(&mut self, piece: &[u8]) {
        if !self.line_ok {
            return;
        }
        let joined;
        let piece = if self.cut.is_empty() {
            piece
        } else {
            joined = [std::mem::take(&mut self.cut).as_slice(), piece].concat();
            &joined
        };
        let valid = match std::str::from_utf8(piece) {
            Ok(_) => piece,
            Err(e) if e.error_len().is_none() => {
                self.cut = piece[e.valid_up_to()..].to_vec();
                &piece[..e.valid_up_to()]
            }
            Err(_) => {
                self.line_ok = false;
                return;
            }
        };
        self.line_wide |= valid.iter().any(|&b| b >= 0xE0);
    }

    fn end_line(&mut self) {
        let ok = self.line_ok && self.cut.is_empty();
        self.utf8 &= ok;
        self.wide_line |= ok && self.line_wide;
        (self.line_ok, self.line_wide) = (true, false);
        self.cut.clear();
    }
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

/// CSV with a header row, columns in any order: the columns, and the line the window starts on.
struct Csv {
    headers: Vec<String>,
    /// The columns of [`COLUMNS`] that the header has: which one, and where it is in a row.
    fields: Vec<(usize, usize)>,
    /// The fields a row must have: up to the last column with a name.
    named: usize,
    line: u64,
}

impl Csv {
    /// Reads the header row at the start of `bytes` (after a BOM): the columns, the names of
    /// those beiand does not read (once each), and the bytes they took; or `None` when the row
    /// may go on past `bytes` (unless `eof`: the file ends there).
    ///
    /// A column that is not one of [`COLUMNS`] is ignored, its values never read, unless it looks
    /// like a misspelling of one ([`misspelling`]): that fails the file, as a missing required
    /// column does, or a column given twice.
    fn header(bytes: &[u8], eof: bool) -> Result<Option<(Csv, Ignored, usize)>> {
        let bom = if bytes.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let mut rdr = csv_reader(&bytes[bom..], true);
        let raw = rdr.byte_headers().context("reading the header row")?.clone();
        let len = bom + rdr.position().byte() as usize;
        if len >= bytes.len() && !eof {
            return Ok(None);
        }
        let headers: Vec<String> = raw
            .iter()
            .map(|h| utf8(h, format_args!("the header")).map(|h| h.trim().to_string()))
            .collect::<std::result::Result<_, _>>()
            .map_err(|e| anyhow::anyhow!("line 1: {e}"))?;
        // A column without a name is what a spreadsheet writes for an empty column at the end
        // (`site_number,site_name,domains,`): ignored while it holds nothing (see `row`).
        let (mut ignored, mut misspelt) = (Ignored::default(), Vec::new());
        for h in headers.iter().filter(|h| !h.is_empty() && !COLUMNS.contains(&h.as_str())) {
            match misspelling(h) {
                Some(known) => misspelt.push(format!("unknown column {h:?} (did you mean {known:?}?)")),
                None => ignored.note(h, 1),
            }
        }
        if !misspelt.is_empty() {
            bail!("line 1: {}", misspelt.join("; "));
        }
        for required in ["site_number", "site_name", "domains"] {
            if !headers.iter().any(|h| h == required) {
                bail!("line 1: the header has no {required:?} column (found {headers:?})");
            }
        }
        let known = |h: &String| COLUMNS.contains(&h.as_str());
        if let Some((i, h)) = headers.iter().enumerate().find(|(i, h)| known(h) && headers[..*i].contains(h)) {
            bail!("line 1: column {h:?} is given twice (columns {} and {})", headers.iter().position(|x| x == h).unwrap_or(0) + 1, i + 1);
        }
        let named = headers.iter().rposition(|h| !h.is_empty()).map_or(0, |i| i + 1);
        let line = LineCounter::new(&bytes[bom..]).line_at(len - bom);
        let fields = COLUMNS.iter().enumerate().filter_map(|(c, name)| Some((c, headers.iter().position(|h| h == name)?))).collect();
        Ok(Some((Csv { headers, fields, named, line }, ignored, len)))
    }

    /// Reads rows from `bytes` into `out`, until it holds `limit` rows or up to a row that may go
    /// on past `bytes` (unless `eof`: the file ends there); returns how many bytes it is done with.
    ///
    /// Each row stands alone: a field that is not UTF-8 rejects its row, and so does a field with
    /// a line break in it (see [`Csv::reject_broken`]).
    fn read(&mut self, bytes: &[u8], eof: bool, out: &mut Collector, limit: usize) -> usize {
        let mut lines = LineCounter::from_line(bytes, self.line);
        // The current reader starts at byte `base`; the rows before byte `done` are read.
        let (mut base, mut done) = (0, 0);
        let mut rdr = csv_reader(bytes, false);
        let mut rec = csv::ByteRecord::new();
        // Reading bytes in memory cannot fail: no I/O, no UTF-8 check, rows of any length.
        while out.batch.rows < limit && rdr.read_byte_record(&mut rec).expect("CSV in memory") {
            let end = base + rdr.position().byte() as usize;
            let start = record_start(bytes, base + rec.position().map_or(0, |p| p.byte() as usize));
            let broken = rec.iter().position(|f| f.contains(&b'\n') || f.contains(&b'\r'));
            // A row that reaches the end of the window may go on past it: it is read again with
            // more. Not a quote left open with later rows in it, which is rejected all the same.
            if end >= bytes.len() && !eof && !broken.is_some_and(|i| swallows_rows(&rec[i])) {
                break;
            }
            let line = lines.line_at(start);
            if let Some(i) = broken {
                done = self.reject_broken(bytes, start, line, &rec, i, out);
                (base, rdr) = (done, csv_reader(&bytes[done..], false));
                continue;
            }
            done = end;
            out.take(line, self.row(&rec).and_then(validate));
        }
        self.line = lines.line_at(done);
        done
    }

    /// Rejects the row starting at `start`, whose field `i` has a line break in it; returns where
    /// reading goes on. No column holds a line break, and what makes one is nearly always a quote
    /// that was never closed, which would otherwise swallow every later row into that field.
    ///
    /// A cell with a line break in it, its quotes closed as they should be, is one row: reading
    /// goes on after it. Anything else is taken for a quote never closed, and reading goes on at
    /// the next line, where the next row most likely is. A line break followed by a comma inside
    /// the field is taken for one too: that is later rows swallowed whole, up to some stray quote.
    fn reject_broken(&self, bytes: &[u8], start: usize, line: u64, rec: &csv::ByteRecord, i: usize, out: &mut Collector) -> usize {
        let closed = if swallows_rows(&rec[i]) || rec.len() < self.named { None } else { strict_record_end(bytes, start) };
        let column = self.headers.get(i).filter(|h| !h.is_empty()).map_or(format!("column {}", i + 1), |h| h.clone());
        out.reject(
            line,
            if closed.is_some() {
                format!("a line break inside the quoted field {column} (a cell written on several lines?): no column holds one")
            } else {
                "a line break inside a quoted field (a quote not closed?); reading on from the next line".into()
            },
        );
        closed.unwrap_or_else(|| line_end(bytes, start))
    }

    /// The fields of a record without a line break in it, or why it is rejected.
    fn row(&self, rec: &csv::ByteRecord) -> std::result::Result<RawRow, String> {
        let headers = &self.headers;
        // Empty fields after the last column (a trailing comma) hold nothing to lose.
        let blank = |f: &[u8]| f.iter().all(u8::is_ascii_whitespace);
        if rec.len() < self.named || rec.iter().skip(headers.len()).any(|f| !blank(f)) {
            return Err(format!("{} fields, the header has {}", rec.len(), headers.len()));
        }
        if let Some(i) = (0..headers.len().min(rec.len())).find(|&i| headers[i].is_empty() && !blank(&rec[i])) {
            return Err(format!("a value in column {}, which has no name in the header", i + 1));
        }
        // Only the columns beiand reads: the others' values may be anything, UTF-8 or not.
        let mut row = RawRow::default();
        for &(c, i) in &self.fields {
            if let Some(f) = rec.get(i) {
                row.0[c] = Some(utf8(f, format_args!("column {}", COLUMNS[c]))?.to_string());
            }
        }
        Ok(row)
    }
}

/// Whether a field's line break is followed by a comma: later rows swallowed into the field by
/// a quote left open.
fn swallows_rows(field: &[u8]) -> bool {
    field.split(|&b| b == b'\n' || b == b'\r').skip(1).any(|l| l.contains(&b','))
}

/// Reads JSON Lines from `bytes` into `out` as [`Csv::read`] does CSV; `line` is the line the
/// bytes start on. One object per line with the CSV column names as keys; blank lines are
/// skipped. Other keys are ignored, and a key that looks like a misspelling of a column rejects
/// its row ([`JsonRow`]).
fn read_jsonl(line: &mut u64, bytes: &[u8], eof: bool, out: &mut Collector, limit: usize) -> usize {
    let mut done = 0;
    while out.batch.rows < limit {
        let (text, next) = match memchr::memchr(b'\n', &bytes[done..]) {
            Some(i) => (&bytes[done..done + i], done + i + 1),
            None if eof && done < bytes.len() => (&bytes[done..], bytes.len()),
            None => break,
        };
        match utf8(text, format_args!("the line")).map(|t| t.trim().trim_start_matches('\u{feff}')) {
            Ok("") => {}
            Ok(text) => {
                let mut de = serde_json::Deserializer::from_str(text);
                let row = serde::de::DeserializeSeed::deserialize(JsonRow { ignored: &mut out.ignored, line: *line }, &mut de);
                let row = row.and_then(|row| de.end().map(|()| row)).map_err(|e| format!("invalid JSON: {e}"));
                out.take(*line, row.and_then(|row| row.and_then(validate)));
            }
            Err(reason) => out.reject(*line, reason),
        }
        *line += 1;
        done = next;
    }
    done
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
        Self::from_line(bytes, 1)
    }

    /// For bytes that start on line `line` of their file.
    fn from_line(bytes: &'a [u8], line: u64) -> Self {
        LineCounter { bytes, at: 0, line }
    }

    /// Offsets are asked for in increasing order, so the whole file is counted once. An offset
    /// just after a `\r` must not be the end of the bytes unless the file ends there.
    pub(crate) fn line_at(&mut self, byte: usize) -> u64 {
        let byte = byte.clamp(self.at, self.bytes.len());
        // A line ends at `\n`, or at a `\r` not followed by one (old Mac line ends, which
        // Excel's "CSV (Macintosh)" still writes).
        let chunk = &self.bytes[self.at..byte];
        let cr = memchr::memchr_iter(b'\r', chunk).filter(|&i| self.bytes.get(self.at + i + 1) != Some(&b'\n')).count();
        self.line += (memchr::memchr_iter(b'\n', chunk).count() + cr) as u64;
        self.at = byte;
        self.line
    }
}

/// Gathers rows into a batch, and keeps for the whole file the last line of each site number
/// and the columns or keys beiand does not read.
#[derive(Default)]
struct Collector {
    batch: Batch,
    seen: HashMap<Box<str>, u64>,
    /// The columns or keys ignored.
    ignored: Ignored,
}

impl Collector {
    fn reject(&mut self, line: u64, reason: String) {
        self.batch.rows += 1;
        self.batch.rejected.push(Rejected { line, reason });
    }

    fn take(&mut self, line: u64, row: std::result::Result<Filing, String>) {
        let f = match row {
            Ok(f) => f,
            Err(reason) => return self.reject(line, reason),
        };
        let batch = &mut self.batch;
        batch.rows += 1;
        if let Some(earlier) = self.seen.insert(f.site_number.as_str().into(), line) {
            batch.duplicates.push((line, earlier));
            if let Some(&i) = batch.index.get(&f.site_number) {
                batch.filings[i] = f;
                return;
            }
            batch.repeats += 1;
        }
        batch.index.insert(f.site_number.clone(), batch.filings.len());
        batch.filings.push(f);
    }
}

fn non_empty(v: Option<String>) -> Option<String> {
    v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

/// Turns one row into a filing, or says what is wrong with it.
fn validate(row: RawRow) -> std::result::Result<Filing, String> {
    // In the order of `COLUMNS`.
    let RawRow([site_number, site_name, domains, subject_number, subject_name, subject_nature, filed_ips, psb_number, status, province, homepage]) = row;
    let raw_site = non_empty(site_number).ok_or("site_number is empty")?;
    let site = number::parse_site_number(&raw_site).map_err(|e| format!("site_number {raw_site:?}: {e}"))?;
    let subject = site.subject();
    if let Some(raw_subject) = non_empty(subject_number) {
        let given = number::parse_subject_number(&raw_subject).map_err(|e| format!("subject_number {raw_subject:?}: {e}"))?;
        if given.to_string() != subject.to_string() {
            return Err(format!("site_number {site} does not extend subject_number {given}"));
        }
    }
    let site_name = non_empty(site_name).ok_or("site_name is empty")?;
    let domains = parse_domains(&non_empty(domains).ok_or("domains is empty")?)?;
    let filed_ips = non_empty(filed_ips)
        .map(|s| {
            split_list(&s)
                .map(|p| p.parse::<IpAddr>().map_err(|_| format!("filed_ips: {p:?} is not an IP address")))
                .collect::<std::result::Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    let psb_number = non_empty(psb_number)
        .map(|p| number::parse_psb(&p).map(|n| n.to_string()).ok_or_else(|| format!("psb_number {p:?} is not a 公网安备 number")))
        .transpose()?;
    let status_text = non_empty(status).unwrap_or_default();
    let status = FilingStatus::parse(&status_text)
        .ok_or_else(|| format!("status {status_text:?}: expected active, access_cancelled, deregistered, 正常, 取消接入 or 注销"))?;
    Ok(Filing {
        site_number: site.to_string(),
        subject_number: subject.to_string(),
        site_name,
        subject_name: non_empty(subject_name),
        subject_nature: non_empty(subject_nature),
        domains,
        filed_ips,
        psb_number,
        status,
        province: non_empty(province),
        homepage: non_empty(homepage),
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

/// `beiand import`: reads the file a batch of rows at a time, reports each bad row on stderr as
/// `FILE:LINE: reason` and stores the good ones; prunes when asked, and prints `imported N,
/// updated M, rejected K` with the time taken.
///
/// Each batch is stored in transactions of its own (the daemon's writes are not held up for the
/// whole file): when storing fails, or reading does halfway, the batches before stay stored and
/// the command fails without pruning. `--prune` comes after every good row is stored, and only
/// when none was rejected.
pub async fn run(store: &crate::store::Store, path: &Path, prune: bool) -> Result<Summary> {
    import(store, path, prune, BATCH).await
}

async fn import(store: &crate::store::Store, path: &Path, prune: bool, batch_rows: usize) -> Result<Summary> {
    let started = std::time::Instant::now();
    let mut rows = Rows::open(path)?;
    let now = crate::clock::now();
    let (mut updated, mut rejected) = (0, 0);
    let ignored = |rows: &mut Rows| {
        if let Some((line, warning)) = rows.newly_ignored() {
            eprintln!("{}:{line}: {warning}", path.display());
        }
    };
    ignored(&mut rows);
    while let Some(batch) = rows.next_batch(batch_rows).with_context(|| path.display().to_string())? {
        ignored(&mut rows);
        for r in &batch.rejected {
            eprintln!("{}:{}: {}", path.display(), r.line, r.reason);
        }
        for (line, earlier) in &batch.duplicates {
            eprintln!("{}:{line}: repeats the site number of line {earlier}; this later row is kept", path.display());
        }
        rejected += batch.rejected.len();
        // A filing an earlier batch stored is not updated again as far as the count goes.
        updated += store.upsert_filings(&batch.filings, now).await? - batch.repeats;
    }
    let keep = rows.into_site_numbers();
    // A rejected row may be a filing the provider still has: pruning on a file with one would
    // remove that filing and supersede its tickets, so the file must be clean first.
    let prune = prune && {
        let refused = if rejected > 0 {
            Some(format!("{rejected} rows were rejected, and the filings they hold would be removed"))
        } else if keep.is_empty() {
            Some("the file holds no filing, and every stored one would be removed".to_string())
        } else {
            None
        };
        if let Some(why) = &refused {
            eprintln!("{}: --prune not done: {why}; fix the file and import it again", path.display());
        }
        refused.is_none()
    };
    let pruned = if prune { store.prune_filings(|s| keep.contains_key(s), now).await? } else { 0 };
    let summary = Summary { imported: keep.len() - updated, updated, rejected, pruned };
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

    /// Every row of `bytes` in one batch, read `window` bytes at a time.
    fn read_all(bytes: &[u8], csv: bool, window: usize) -> Result<Batch> {
        let mut rows = Rows::new(Box::new(std::io::Cursor::new(bytes.to_vec())), csv, false, window)?;
        Ok(rows.next_batch(usize::MAX)?.unwrap_or_default())
    }

    fn parse_csv(bytes: &[u8]) -> Result<Batch> {
        read_all(bytes, true, WINDOW)
    }

    fn parse_jsonl(bytes: &[u8]) -> Batch {
        read_all(bytes, false, WINDOW).unwrap()
    }

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
            {\"site_number\":\"京ICP备12345678号-2\",\"site_name\":\"乙\",\"domains\":\"b.cn\",\"site_name\":\"丙\"}\n\
            [\"京ICP备12345678号-3\",\"丙\",\"c.cn\"]\n";
        let p = parse_jsonl(text.as_bytes());
        assert_eq!(p.filings.len(), 1);
        assert_eq!(p.filings[0].domains, vec!["a.cn", "www.a.cn"]);
        assert_eq!(p.filings[0].status, FilingStatus::Deregistered);
        assert_eq!(p.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 4, 5]);
        assert!(p.rejected[1].reason.contains("duplicate field `site_name`"), "{:?}", p.rejected);
        // A row is an object: not the fields in the order of the columns.
        assert!(p.rejected[2].reason.contains("expected an object of filing fields"), "{:?}", p.rejected);
    }

    #[test]
    fn a_misspelt_column_is_told_from_one_of_its_own() {
        for (name, known) in [
            ("filed_ip", "filed_ips"),
            ("Site_Name", "site_name"),
            ("site-name", "site_name"),
            ("subject number", "subject_number"),
            (" SITE NUMBER ", "site_number"),
            ("domain", "domains"),
            ("doamins", "domains"),
            ("stauts", "status"),
            ("statu", "status"),
            ("psb", "psb_number"),
            ("ips", "filed_ips"),
            ("Nature", "subject_nature"),
        ] {
            assert_eq!(misspelling(name), Some(known), "{name:?}");
        }
        // Columns of their own: far from every column, starting like one, a word several
        // columns share, or short and two edits away.
        for name in ["id", "remark", "created_at", "审核时间", "备注", "province_code", "homepage_url", "subject_type", "name", "number", "site", "state"] {
            assert_eq!(misspelling(name), None, "{name:?}");
        }
    }

    #[test]
    fn csv_columns_beiand_does_not_read_are_ignored_and_reported_once() {
        // The ignored columns hold anything, text that is not UTF-8 too, and one comes twice.
        let mut csv = "id,site_number,备注,site_name,domains,created_at,status,filed_ips,备注\n".as_bytes().to_vec();
        csv.extend_from_slice("1,京ICP备12345678号-1,".as_bytes());
        csv.extend_from_slice(&encoding_rs::GBK.encode("无").0);
        csv.extend_from_slice(",甲站,a.cn;www.a.cn,2024-05-01,注销,47.92.0.1,x\n2,京ICP备12345678号-2,,乙站,b.cn,,,,\n".as_bytes());
        let mut rows = Rows::new(Box::new(std::io::Cursor::new(csv)), true, false, WINDOW).unwrap();
        assert_eq!(rows.newly_ignored(), Some((1, "columns \"id\", \"备注\", \"created_at\" are not ones beiand reads; ignored".into())));
        let p = rows.next_batch(usize::MAX).unwrap().unwrap();
        assert_eq!(p.rejected, vec![]);
        assert_eq!(rows.newly_ignored(), None, "reported once");
        let f = &p.filings[0];
        assert_eq!((f.site_number.as_str(), f.site_name.as_str()), ("京ICP备12345678号-1", "甲站"));
        assert_eq!(f.domains, vec!["a.cn", "www.a.cn"]);
        assert_eq!((f.status, f.filed_ips.len()), (FilingStatus::Deregistered, 1));
        assert_eq!((p.filings[1].site_name.as_str(), p.filings[1].status), ("乙站", FilingStatus::Active));
        let mut one = Rows::new(Box::new(std::io::Cursor::new(b"site_number,site_name,domains,id\n".to_vec())), true, false, WINDOW).unwrap();
        assert_eq!(one.newly_ignored(), Some((1, "column \"id\" is not one beiand reads; ignored".into())));
        // Nothing to say when every column is read.
        let mut none = Rows::new(Box::new(std::io::Cursor::new(b"site_number,site_name,domains,\n".to_vec())), true, false, WINDOW).unwrap();
        assert_eq!(none.newly_ignored(), None);
    }

    #[test]
    fn a_misspelt_csv_column_fails_the_file_with_the_name_it_looks_like() {
        let err = parse_csv("site_number,site_name,domains,filed_ip,id\n京ICP备12345678号-1,甲,a.cn,47.92.0.1,1\n".as_bytes()).unwrap_err();
        assert_eq!(err.to_string(), "line 1: unknown column \"filed_ip\" (did you mean \"filed_ips\"?)");
        // Before the required column it stands for is missed; every one is named.
        let err = parse_csv("site_number,Site_Name,domains,psb\n".as_bytes()).unwrap_err();
        assert_eq!(
            err.to_string(),
            "line 1: unknown column \"Site_Name\" (did you mean \"site_name\"?); unknown column \"psb\" (did you mean \"psb_number\"?)"
        );
    }

    #[test]
    fn json_keys_beiand_does_not_read_are_ignored_and_a_misspelt_one_rejects_its_row() {
        let text = "{\"id\":1,\"site_number\":\"京ICP备12345678号-1\",\"site_name\":\"甲\",\"domains\":[\"a.cn\"],\"备注\":{\"a\":[1,2]},\"filed_ips\":[\"47.92.0.1\"]}\n\
            {\"id\":2,\"site_number\":\"京ICP备12345678号-2\",\"site_name\":\"乙\",\"domains\":\"b.cn\",\"filed_ip\":\"47.92.0.2\"}\n\
            {\"\\u0069d\":3,\"site_number\":\"京ICP备12345678号-3\",\"site_name\":\"丙\",\"domains\":\"c.cn\",\"created_at\":null,\"status\":\"取消接入\"}\n\
            {\"site_number\":\"京ICP备12345678号-4\",\"Site_Name\":\"丁\",\"site_name\":\"丁\",\"domains\":\"d.cn\"}\n\
            {\"site_number\":\"京ICP备12345678号-5\",\"site_name\":\"戊\",\"domains\":\"e.cn\",\"created_at\":\"x\"}\n";
        let mut rows = Rows::new(Box::new(std::io::Cursor::new(text.as_bytes().to_vec())), false, false, WINDOW).unwrap();
        let first = rows.next_batch(3).unwrap().unwrap();
        assert_eq!(rows.newly_ignored(), Some((1, "keys \"id\", \"备注\", \"created_at\" are not ones beiand reads; ignored".into())));
        let second = rows.next_batch(3).unwrap().unwrap();
        assert_eq!(rows.newly_ignored(), None, "each key is reported once");
        let names: Vec<&str> = first.filings.iter().chain(&second.filings).map(|f| f.site_name.as_str()).collect();
        assert_eq!(names, vec!["甲", "丙", "戊"]);
        assert_eq!(first.filings[0].filed_ips.len(), 1);
        assert_eq!(first.filings[1].status, FilingStatus::AccessCancelled);
        let rejected: Vec<Rejected> = first.rejected.into_iter().chain(second.rejected).collect();
        let reasons = [(2, "unknown key \"filed_ip\" (did you mean \"filed_ips\"?)"), (4, "unknown key \"Site_Name\" (did you mean \"site_name\"?)")];
        assert_eq!(rejected, reasons.map(|(line, reason)| Rejected { line, reason: reason.into() }));
        // A key first met in a later batch is reported with its line.
        let text = format!("{}{{\"site_number\":\"京ICP备12345678号-6\",\"site_name\":\"己\",\"domains\":\"f.cn\",\"remark\":\"\"}}\n", text);
        let mut rows = Rows::new(Box::new(std::io::Cursor::new(text.into_bytes())), false, false, WINDOW).unwrap();
        rows.next_batch(5).unwrap();
        assert!(rows.newly_ignored().is_some());
        rows.next_batch(5).unwrap();
        assert_eq!(rows.newly_ignored(), Some((6, "key \"remark\" is not one beiand reads; ignored".into())));
    }

    #[test]
    fn past_the_first_keys_beiand_does_not_read_the_rest_are_told_of_unnamed() {
        let row = |i: usize, keys: std::ops::Range<usize>| {
            let extra: String = keys.map(|k| format!(",\"x{k}\":{k}")).collect();
            format!("{{\"site_number\":\"京ICP备12345678号-{i}\",\"site_name\":\"站\",\"domains\":\"d{i}.cn\"{extra}}}\n")
        };
        // One row with every key beiand does not read, or a key of their own on each row.
        let named: Vec<String> = (0..MAX_IGNORED_NAMED).map(|k| format!("\"x{k}\"")).collect();
        let in_one = row(1, 0..MAX_IGNORED_NAMED + 8);
        let one_each: String = (0..MAX_IGNORED_NAMED + 8).map(|k| row(k + 1, k..k + 1)).collect();
        for (text, more_at) in [(in_one, 1), (one_each, MAX_IGNORED_NAMED as u64 + 1)] {
            let mut rows = Rows::new(Box::new(std::io::Cursor::new(text.into_bytes())), false, false, WINDOW).unwrap();
            let batch = rows.next_batch(100).unwrap().unwrap();
            assert!(batch.rejected.is_empty(), "{:?}", batch.rejected);
            let text = format!("keys {} and more (not named) are not ones beiand reads; ignored", named.join(", "));
            assert_eq!(rows.newly_ignored(), Some((1, text)));
            assert_eq!(rows.out.ignored.more, Some(more_at));
            assert_eq!(rows.newly_ignored(), None, "told once");
        }
        // Named in one batch, the rest first met in a later one.
        let text: String = (0..MAX_IGNORED_NAMED + 2).map(|k| row(k + 1, k..k + 1)).collect();
        let mut rows = Rows::new(Box::new(std::io::Cursor::new(text.into_bytes())), false, false, WINDOW).unwrap();
        rows.next_batch(MAX_IGNORED_NAMED).unwrap();
        assert!(rows.newly_ignored().unwrap().1.ends_with("\"x31\" are not ones beiand reads; ignored"));
        rows.next_batch(MAX_IGNORED_NAMED).unwrap();
        let later = "more keys are not ones beiand reads (past the first 32, not named); ignored".to_string();
        assert_eq!(rows.newly_ignored(), Some((MAX_IGNORED_NAMED as u64 + 1, later)));
        // A CSV header with as many columns beiand does not read.
        let header: Vec<String> = (0..MAX_IGNORED_NAMED + 8).map(|k| format!("x{k}")).collect();
        let text = format!("site_number,site_name,domains,{}\n", header.join(","));
        let mut rows = Rows::new(Box::new(std::io::Cursor::new(text.into_bytes())), true, false, WINDOW).unwrap();
        let text = format!("columns {} and more (not named) are not ones beiand reads; ignored", named.join(", "));
        assert_eq!(rows.newly_ignored(), Some((1, text)));
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

    /// Files with every case the reading knows: blank lines, a BOM, CRLF and bare CR line ends,
    /// cells on several lines, quotes left open, repeated site numbers, bytes that are not UTF-8,
    /// trailing commas, a last line without its line end, and headers that fail the file.
    fn tricky_csv_files() -> Vec<Vec<u8>> {
        let rows = [
            "京ICP备12345678号-1,甲,a.cn",
            "",
            "京ICP证030173号,乙,b.cn",
            "\"京ICP备12345678号-2\",\"丙\",c.cn;www.c.cn",
            "京ICP备12345678号-1,甲二,a.cn",
            "京ICP备12345678号-3,\"丁",
            "站\",d.cn",
            "京ICP备12345678号-4,\"戊,e.cn",
            "京ICP备12345678号-5,己,f.cn",
            "",
            "京ICP备12345678号-6,庚,g.cn,",
            "京ICP备12345678号-7,辛,h.cn,x",
            "京ICP备12345678号-2,丙二\",c.cn",
            "京ICP备12345678号-8,\"壬\"\"\",i.cn",
            "京ICP备12345678号-1,,a.cn",
            "京ICP备12345678号-9,癸,j.cn",
        ];
        let mut files = Vec::new();
        for eol in ["\n", "\r\n", "\r"] {
            let text = format!("site_number,site_name,domains{eol}{}", rows.join(eol));
            files.push(text.clone().into_bytes());
            files.push(format!("\u{feff}{text}{eol}{eol}").into_bytes());
            files.push(format!("\"site_number\",site_name,\"domains\",{eol}{}{eol}", rows[..6].join(eol)).into_bytes());
        }
        let mut gbk = b"site_number,site_name,domains\n\xBC\xD7,a.cn\n".to_vec();
        gbk.extend_from_slice("京ICP备12345678号-1,甲,a.cn\n京ICP备12345678号-2,".as_bytes());
        gbk.extend_from_slice(b"\xD2\xD2\n");
        files.push(gbk);
        files.extend(["", "site_number,site_name\r\n京ICP备12345678号-1,甲\r\n", "site_number,site_name,domains"].map(|t| t.as_bytes().to_vec()));
        files
    }

    /// Reads `bytes` in batches of `limit` rows, a window of `window` bytes at a time, and puts
    /// the batches together as storing them one after the other does.
    fn read_in_batches(bytes: &[u8], csv: bool, window: usize, limit: usize) -> Result<Batch> {
        let mut rows = Rows::new(Box::new(std::io::Cursor::new(bytes.to_vec())), csv, false, window)?;
        let mut all = Batch::default();
        while let Some(batch) = rows.next_batch(limit)? {
            assert!(batch.rows <= limit && batch.rows > 0);
            for f in batch.filings {
                match all.filings.iter().position(|g| g.site_number == f.site_number) {
                    Some(i) => all.filings[i] = f,
                    None => all.filings.push(f),
                }
            }
            all.rejected.extend(batch.rejected);
            all.duplicates.extend(batch.duplicates);
        }
        Ok(all)
    }

    #[test]
    fn rows_and_lines_are_the_same_whatever_the_window_and_the_batch() {
        let jsonl = b"{\"site_number\":\"\xE4\xBA\xACICP\xE5\xA4\x8712345678\xE5\x8F\xB7-1\",\"site_name\":\"a\",\"domains\":[\"a.cn\"]}\r\n\
            \n{not json}\n{\"site_number\":\"\xE4\xBA\xACICP\xE5\xA4\x8712345678\xE5\x8F\xB7-1\",\"site_name\":\"b\",\"domains\":\"a.cn\"}\n\xD2\xD2\n  \n\
            {\"site_number\":\"\xE4\xBA\xACICP\xE5\xA4\x8712345678\xE5\x8F\xB7-2\",\"site_name\":\"c\",\"domains\":\"c.cn\"}";
        let files = tricky_csv_files().into_iter().map(|f| (f, true)).chain([(jsonl.to_vec(), false), (jsonl[..jsonl.len() - 3].to_vec(), false)]);
        for (file, csv) in files {
            let whole = read_all(&file, csv, usize::MAX).map(|b| (b.filings, b.rejected, b.duplicates)).map_err(|e| e.to_string());
            for window in 1..=40 {
                for limit in [1, 2, 3, 1000] {
                    let got = read_in_batches(&file, csv, window, limit).map(|b| (b.filings, b.rejected, b.duplicates)).map_err(|e| e.to_string());
                    assert_eq!(got, whole, "window {window}, batches of {limit}, in {:?}", String::from_utf8_lossy(&file));
                }
            }
        }
    }

    #[test]
    fn a_gbk_file_read_a_byte_at_a_time_is_decided_and_decoded_the_same() {
        /// Hands out one byte per read.
        struct Trickle(std::io::Cursor<Vec<u8>>);
        impl Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(1);
                self.0.read(&mut buf[..n])
            }
        }
        let text = "site_number,site_name,domains\r\n京ICP备12345678号-1,甲站,a.cn\r\n京ICP证030173号,乙站,b.cn\r\n";
        let gbk = encoding_rs::GBK.encode(text).0.into_owned();
        assert!(is_gb18030(Trickle(std::io::Cursor::new(gbk.clone()))).unwrap());
        assert!(!is_gb18030(Trickle(std::io::Cursor::new(text.as_bytes().to_vec()))).unwrap());
        let mut rows = Rows::new(Box::new(Trickle(std::io::Cursor::new(gbk))), true, true, 1).unwrap();
        let batch = rows.next_batch(usize::MAX).unwrap().unwrap();
        assert_eq!(batch.filings.iter().map(|f| f.site_name.as_str()).collect::<Vec<_>>(), vec!["甲站"]);
        assert_eq!(batch.rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3]);
        assert!(batch.rejected[0].reason.contains("京ICP证030173号"), "{:?}", batch.rejected);
    }

    #[test]
    fn the_window_stays_small_after_a_quote_left_open() {
        use std::fmt::Write;
        let mut text = String::from("site_number,site_name,domains\n京ICP备2023000000号-1,\"甲,a.cn\n");
        for i in 0..20_000 {
            let _ = writeln!(text, "京ICP备{}号-1,站{i},d{i}.example.cn", 2024000000 + i);
        }
        let mut rows = Rows::new(Box::new(std::io::Cursor::new(text.into_bytes())), true, false, 4096).unwrap();
        let (mut good, mut bad) = (0, 0);
        while let Some(batch) = rows.next_batch(BATCH).unwrap() {
            (good, bad) = (good + batch.filings.len(), bad + batch.rejected.len());
            assert!(rows.window.capacity() <= 4 * 4096, "{} bytes held", rows.window.capacity());
        }
        assert_eq!((good, bad), (20_000, 1));
    }

    /// Rows over several batches of two: rejected ones, a cell on two lines, a site number
    /// repeated in later batches (lines 7 and 10 repeat line 2, line 9 repeats line 6).
    const MANY: &str = "site_number,site_name,domains\r\n\
        京ICP备2024000001号-1,甲,a.example.cn\r\n\
        京ICP证030173号,坏,bad.example.cn\r\n\
        京ICP备2024000001号-2,\"乙\r\n站\",b.example.cn\r\n\
        京ICP备2024000001号-3,丙,c.example.cn\r\n\
        京ICP备2024000001号-1,甲二,a.example.cn\r\n\
        京ICP备2024000001号-4,丁,d.example.cn\r\n\
        京ICP备2024000001号-3,丙二,c.example.cn\r\n\
        京ICP备2024000001号-1,甲三,a.example.cn\r\n";

    fn filing(site: &str, name: &str) -> Filing {
        let p = parse_csv(format!("site_number,site_name,domains\n{site},{name},x.example.cn\n").as_bytes()).unwrap();
        p.filings.into_iter().next().unwrap()
    }

    async fn names(store: &crate::store::Store) -> Vec<(String, String)> {
        let all = store.filings(crate::store::FilingSelect::All).await.unwrap();
        all.into_iter().map(|f| (f.site_number, f.site_name)).collect()
    }

    #[tokio::test]
    async fn an_import_in_many_batches_counts_and_prunes_as_one_batch_does() {
        let dir = tempfile::tempdir().unwrap();
        let (many, clean) = (dir.path().join("many.csv"), dir.path().join("clean.csv"));
        std::fs::write(&many, MANY).unwrap();
        let lines: Vec<&str> = MANY.split("\r\n").collect();
        std::fs::write(&clean, [&lines[..2], &lines[5..]].concat().join("\r\n")).unwrap();
        let now = crate::clock::now();
        let mut outcomes = Vec::new();
        for batch_rows in [1, 2, 3, BATCH] {
            for store in crate::store::testing::each_backend().await {
                // Stored before: one filing the file updates, one it does not mention.
                store.upsert_filings(&[filing("京ICP备2024000001号-4", "旧"), filing("京ICP备2024000009号-1", "别")], now).await.unwrap();
                let first = import(&store, &many, true, batch_rows).await.unwrap();
                assert_eq!(first, Summary { imported: 2, updated: 1, rejected: 2, pruned: 0 }, "batches of {batch_rows}");
                let stored = names(&store).await;
                // Every batch's site numbers are kept, not only the last batch's.
                let pruned = import(&store, &clean, true, batch_rows).await.unwrap();
                assert_eq!(pruned, Summary { imported: 0, updated: 3, rejected: 0, pruned: 1 }, "batches of {batch_rows}");
                outcomes.push((stored, names(&store).await));
            }
        }
        let site = |n: u32| format!("京ICP备2024000001号-{n}");
        let (stored, after_prune) = &outcomes[0];
        assert_eq!(stored[..3], [(site(1), "甲三".into()), (site(3), "丙二".into()), (site(4), "丁".into())]);
        assert_eq!(stored.len(), 4);
        assert_eq!(after_prune[..], stored[..3]);
        assert!(outcomes.iter().all(|o| o == &outcomes[0]), "{outcomes:?}");
    }

    #[tokio::test]
    async fn a_store_failing_in_a_later_batch_keeps_the_earlier_ones_and_prunes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("filings.csv");
        let rows: Vec<String> = (1..=6).map(|n| format!("京ICP备2024000001号-{n},站{n},s{n}.example.cn")).collect();
        std::fs::write(&file, format!("site_number,site_name,domains\n{}\n", rows.join("\n"))).unwrap();
        for store in crate::store::testing::each_backend().await {
            store.upsert_filings(&[filing("京ICP备2024000009号-1", "别")], crate::clock::now()).await.unwrap();
            // The database refuses the fifth row, in the third batch of two.
            let refuse = match store.backend() {
                crate::store::Backend::Sqlite => vec![
                    "CREATE TRIGGER refuse BEFORE INSERT ON filings WHEN NEW.site_number = '京ICP备2024000001号-5' \
                     BEGIN SELECT RAISE(ABORT, 'refused'); END",
                ],
                crate::store::Backend::Postgres => vec![
                    "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN \
                     IF NEW.site_number = '京ICP备2024000001号-5' THEN RAISE EXCEPTION 'refused'; END IF; \
                     RETURN NEW; END $$ LANGUAGE plpgsql",
                    "CREATE TRIGGER refuse BEFORE INSERT ON filings FOR EACH ROW EXECUTE FUNCTION refuse()",
                ],
            };
            for sql in refuse {
                sqlx::query(sql).execute(store.pool()).await.unwrap();
            }
            let err = import(&store, &file, true, 2).await.unwrap_err();
            assert!(format!("{err:#}").contains("refused"), "{err:#}");
            let stored: Vec<String> = names(&store).await.into_iter().map(|(s, _)| s).collect();
            let expect: Vec<String> = [1, 2, 3, 4].map(|n| format!("京ICP备2024000001号-{n}")).into_iter().chain(["京ICP备2024000009号-1".into()]).collect();
            assert_eq!(stored, expect, "batches one and two stored, nothing pruned");
        }
    }
}
