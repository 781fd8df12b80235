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

/// A CSV cell a spreadsheet will not run as a formula: cells that begin (after any leading
/// spaces) with `=`, `+`, `-`, `@`, tab or carriage return get a leading apostrophe, which
/// spreadsheets display as text (OWASP "CSV injection").
pub fn csv_cell(s: &str) -> String {
    let first = s.trim_start_matches(' ').chars().next();
    match first {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
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
    }
}
