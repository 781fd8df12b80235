//! Making text that websites wrote (titles, footers, URLs) harmless where reports put it: HTML
//! escaping for the HTML report, formula neutralisation for spreadsheet cells in the CSV.

/// Escapes text for HTML element content and quoted attribute values.
pub fn html(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newline have no business in a report.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            // Nor have direction embeddings, overrides and isolates: they would let a page's
            // text reorder on screen what the report puts after it ("Trojan Source").
            '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// How many UTF-16 units of a cell's text the CSV keeps: Excel holds at most 32,767 in a cell
/// and spills the rest of a longer one into the next row, out of step with the columns.
const CSV_CELL_MAX: usize = 32_000;

/// A CSV cell a spreadsheet will not run as a formula: cells that begin (after any leading
/// spaces) with `=`, `+`, `-`, `@`, tab or carriage return get a leading apostrophe, which
/// spreadsheets display as text (OWASP "CSV injection"). Text past [`CSV_CELL_MAX`] (the
/// evidence of a filing with hundreds of domains) is cut, and the cut said.
pub fn csv_cell(s: &str) -> String {
    let first = s.trim_start_matches(' ').chars().next();
    let mut cell = match first {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    };
    if cell.len() > CSV_CELL_MAX {
        let mut units = 0;
        if let Some((cut, _)) = cell.char_indices().find(|(_, c)| {
            units += c.len_utf16();
            units > CSV_CELL_MAX
        }) {
            let total: usize = cell.chars().count();
            cell.truncate(cut);
            cell.push_str(&format!("…（内容过长，已截断；全文共 {total} 字）"));
        }
    }
    cell
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_escapes_markup_and_quotes() {
        assert_eq!(html("<script>alert(1)</script>"), "&lt;script&gt;alert(1)&lt;/script&gt;");
        assert_eq!(html(r#"a" onmouseover='x' & b"#), "a&quot; onmouseover=&#39;x&#39; &amp; b");
        assert_eq!(html("首页\u{0}"), "首页\u{fffd}");
        assert_eq!(html("line\nnext"), "line\nnext");
        // Direction overrides and isolates would let a page's text reorder what follows it
        // on screen ("Trojan Source"); they are shown as replacement characters.
        for c in ['\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{2069}'] {
            assert_eq!(html(&format!("a{c}b")), "a\u{fffd}b", "{c:?}");
        }
    }

    #[test]
    fn csv_cells_that_start_a_formula_are_neutralised() {
        for bad in ["=HYPERLINK(\"http://x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx", "  =1+1"] {
            assert!(csv_cell(bad).starts_with('\''), "{bad:?}");
        }
        for ok in ["示例科技官网", "a=b", "2026-10-09", "", "京ICP备2024012345号-1"] {
            assert_eq!(csv_cell(ok), ok);
        }
        // Within what a spreadsheet cell holds, whatever the characters.
        for long in ["域名、".repeat(20_000), "😀".repeat(20_000), "a".repeat(40_000)] {
            let cell = csv_cell(&long);
            assert!(cell.encode_utf16().count() <= 32_767, "{} units", cell.encode_utf16().count());
            assert!(cell.ends_with(&format!("已截断；全文共 {} 字）", long.chars().count())), "{}", &cell[cell.len() - 60..]);
        }
        let fits = "备".repeat(32_000);
        assert_eq!(csv_cell(&fits), fits);
    }
}
