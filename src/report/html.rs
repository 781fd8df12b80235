//! The HTML report: one self-contained page in Chinese (no scripts, no external resources) with
//! the summary for the compliance team and, per subject, a printable rectification notice
//! (整改通知) that starts on a new page when printed. Every text that came from a website or a
//! filing passes through [`escape::html`].

use super::escape::html as esc;
use super::{appeal_zh, chart, ip_class_zh, CategoryRow, Report, SubjectNotice, TicketLine};
use crate::ticket::evidence::DomainEvidence;
use std::fmt::Write;

const CSS: &str = r#"
:root { --ink: #1d1d1f; --muted: #5f6368; --line: #d7dbe0; --warn: #b3261e; --accent: #1f5fa8; }
* { box-sizing: border-box; }
body { font-family: "PingFang SC", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1080px; padding: 24px 32px; line-height: 1.6; font-size: 14px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 28px 0 10px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: var(--muted); margin: 0 0 16px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { border: 1px solid var(--line); border-radius: 6px; padding: 10px 16px; min-width: 120px; }
.card .n { font-size: 26px; font-weight: 600; display: block; }
.card.overdue .n { color: var(--warn); }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 5px 8px; text-align: left; vertical-align: top; }
th { background: #f3f5f7; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.date { white-space: nowrap; }
table.fixed { table-layout: fixed; }
tr.cat td { background: #fafbfc; font-weight: 600; }
.late { color: var(--warn); font-weight: 600; }
code, .mono { font-family: "SFMono-Regular", Consolas, "Liberation Mono", monospace; font-size: 12px; word-break: break-all; }
.ev { margin: 0; padding: 0; list-style: none; font-size: 12px; }
.ev li { margin: 0 0 2px; word-break: break-all; }
.ev .k { color: var(--muted); }
.empty { color: var(--muted); }
svg.trend { max-width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
section.notice { border-top: 3px double var(--ink); margin-top: 40px; padding-top: 8px; }
section.notice h2 { text-align: center; border: none; font-size: 22px; letter-spacing: 4px; }
section.notice .to { font-weight: 600; }
section.notice .sign { text-align: right; margin-top: 24px; }
.basis { color: var(--muted); font-size: 13px; }
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  table { font-size: 9.5pt; }
  section.summary { break-after: page; }
  section.notice { break-before: page; border-top: none; margin-top: 0; }
  section.notice + section.notice { break-before: page; }
  tr, .ev li { break-inside: avoid; }
  h2, h3 { break-after: avoid; }
  a { color: inherit; text-decoration: none; }
  @page { size: A4; margin: 16mm 14mm; }
}
"#;

fn opt(s: &Option<String>) -> String {
    s.as_deref().map(esc).unwrap_or_default()
}

fn evidence(domains: &[DomainEvidence]) -> String {
    if domains.is_empty() {
        return r#"<span class="empty">（无）</span>"#.into();
    }
    let mut s = String::from(r#"<ul class="ev">"#);
    for d in domains {
        let _ = write!(s, r#"<li><span class="k">域名</span> <code>{}</code></li>"#, esc(&d.domain));
        if !d.ips.is_empty() {
            let ips: Vec<String> = d.ips.iter().map(|i| format!("<code>{}</code>（{}）", esc(&i.ip), esc(ip_class_zh(&i.class)))).collect();
            let _ = write!(s, r#"<li><span class="k">解析地址</span> {}</li>"#, ips.join("、"));
        }
        if let Some(st) = d.http_status {
            let _ = write!(s, r#"<li><span class="k">HTTP状态</span> {st}</li>"#);
        }
        if let Some(u) = &d.final_url {
            let _ = write!(s, r#"<li><span class="k">最终地址</span> <code>{}</code></li>"#, esc(u));
        }
        if let Some(t) = &d.title {
            let _ = write!(s, r#"<li><span class="k">页面标题</span> {}</li>"#, esc(t));
        }
        if !d.icp_numbers.is_empty() {
            let nums: Vec<String> = d
                .icp_numbers
                .iter()
                .map(|n| {
                    let link = match (&n.href, n.linked) {
                        (Some(h), true) => format!("，链接 <code>{}</code>", esc(h)),
                        (Some(h), false) => format!("，链接 <code>{}</code> 无效", esc(h)),
                        (None, _) => "，未链接".into(),
                    };
                    format!("{}{link}", esc(&n.text))
                })
                .collect();
            let _ = write!(s, r#"<li><span class="k">页面备案号</span> {}</li>"#, nums.join("；"));
        }
        if !d.psb_numbers.is_empty() {
            let nums: Vec<String> = d.psb_numbers.iter().map(|n| esc(&n.text)).collect();
            let _ = write!(s, r#"<li><span class="k">公安备案号</span> {}</li>"#, nums.join("、"));
        }
        if let Some(x) = &d.excerpt {
            let _ = write!(s, r#"<li><span class="k">页脚摘录</span> {}</li>"#, esc(x));
        }
        for f in &d.http_failures {
            let _ = write!(s, r#"<li><span class="k">访问失败</span> <code>{}</code></li>"#, esc(f));
        }
        for f in &d.findings {
            let _ = write!(s, r#"<li><span class="k">技术详情</span> <code>{}</code></li>"#, esc(f.detail_for_readers()));
        }
    }
    s.push_str("</ul>");
    s
}

fn site_cell(t: &TicketLine) -> String {
    format!(
        "{}<br><span class=\"mono\">{}</span>{}",
        opt(&t.site_name),
        esc(&t.site_number),
        if t.domains.is_empty() { String::new() } else { format!("<br><code>{}</code>", esc(&t.domains.join(" "))) }
    )
}

fn summary_table(cats: &[CategoryRow]) -> String {
    if cats.is_empty() {
        return r#"<p class="empty">暂无工单。</p>"#.into();
    }
    let mut s = String::from(
        r#"<table><thead><tr><th>类别 / 问题</th><th>代码</th><th class="num">整改中</th><th class="num">已逾期</th><th class="num">已整改</th><th class="num">已关闭</th><th class="num">已失效</th></tr></thead><tbody>"#,
    );
    for c in cats {
        let _ = write!(
            s,
            r#"<tr class="cat"><td>{}</td><td></td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            esc(c.category),
            c.counts.open,
            c.counts.overdue,
            c.counts.resolved,
            c.counts.closed,
            c.counts.superseded
        );
        for r in &c.codes {
            let _ = write!(
                s,
                r#"<tr><td>　{}</td><td><code>{}</code></td><td class="num">{}</td><td class="num{}">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
                esc(r.title),
                esc(r.code.as_str()),
                r.counts.open,
                if r.counts.overdue > 0 { " late" } else { "" },
                r.counts.overdue,
                r.counts.resolved,
                r.counts.closed,
                r.counts.superseded
            );
        }
    }
    s.push_str("</tbody></table>");
    s
}

fn overdue_table(lines: &[std::sync::Arc<TicketLine>]) -> String {
    if lines.is_empty() {
        return r#"<p class="empty">没有逾期工单。</p>"#.into();
    }
    let mut s = String::from(
        r#"<table><thead><tr><th class="num">工单</th><th>主体</th><th>网站</th><th>问题</th><th>截止日期</th><th class="num">逾期（工作日）</th><th>已建议措施</th><th>申诉</th></tr></thead><tbody>"#,
    );
    for t in lines {
        let _ = write!(
            s,
            r#"<tr><td class="num">#{}</td><td>{}<br><span class="mono">{}</span></td><td>{}</td><td>{}</td><td class="date late">{}</td><td class="num late">{}</td><td>{}</td><td>{}</td></tr>"#,
            t.id,
            opt(&t.subject_name),
            esc(&t.subject_number),
            site_cell(t),
            esc(t.problem),
            t.deadline,
            late_days(t.overdue_working_days),
            esc(&t.escalation.join("、")),
            appeal_zh(t.appeal_state)
        );
    }
    s.push_str("</tbody></table>");
    s
}

/// Working days past the deadline, as the overdue table shows them: a ticket is overdue from the
/// day after its deadline, so one whose deadline was a Friday is overdue on Saturday by no
/// working day yet, which reads better as 不足 1 than as 0.
fn late_days(days: u32) -> String {
    if days == 0 { "不足 1".into() } else { days.to_string() }
}

fn notice_section(r: &Report, n: &SubjectNotice) -> String {
    let mut s = String::from(r#"<section class="notice">"#);
    s.push_str("<h2>整改通知</h2>");
    let _ = write!(
        s,
        r#"<p class="to">致：{}（主体备案号：{}）</p>"#,
        n.subject_name.as_deref().map(esc).unwrap_or_else(|| "网站主办者".into()),
        esc(&n.subject_number)
    );
    let _ = write!(
        s,
        "<p>经{}备案核查，贵单位的以下网站存在不符合备案管理要求的问题，请于各项所列截止日期（含当日，北京时间）前完成整改。\
         整改完成后，系统将自动复查；连续复查通过后，该项即视为整改完成，无需另行回复。</p>",
        esc(&r.provider)
    );
    s.push_str(concat!(
        r#"<table class="fixed"><colgroup><col style="width:6%"><col style="width:20%"><col style="width:14%">"#,
        r#"<col style="width:45%"><col style="width:15%"></colgroup>"#,
        r#"<thead><tr><th class="num">工单</th><th>网站</th><th>问题</th><th>核查证据</th><th>截止日期</th></tr></thead><tbody>"#
    ));
    for t in &n.tickets {
        let _ = write!(
            s,
            r#"<tr><td class="num">#{}</td><td>{}</td><td>{}<br><span class="basis">{}</span>{}</td><td>{}</td><td class="date {}">{}{}</td></tr>"#,
            t.id,
            site_cell(t),
            esc(t.problem),
            esc(t.category),
            if t.state == crate::ticket::State::Overdue { r#"<br><span class="late">已逾期</span>"# } else { "" },
            evidence(&t.evidence.domains),
            if t.state == crate::ticket::State::Overdue { "late" } else { "" },
            t.deadline,
            if t.period > 1 { "<br>（已延期）" } else { "" }
        );
    }
    s.push_str("</tbody></table>");
    for note in &n.notices {
        let _ = write!(
            s,
            "<h3>{}（{}）</h3><p>{}</p><p><b>可能原因：</b>{}</p><p><b>整改方法：</b>{}</p>",
            esc(note.title),
            esc(note.category.zh()),
            esc(note.text),
            esc(note.cause),
            esc(note.fix)
        );
        match note.basis {
            Some(b) => {
                let _ = write!(s, r#"<p class="basis"><b>依据：</b>{}。{}</p>"#, esc(b.articles), esc(b.summary));
            }
            None => s.push_str(r#"<p class="basis"><b>依据：</b>接入商备案核查要求。</p>"#),
        }
    }
    s.push_str(
        "<p>如需延期，请在截止日期前提出申请并说明理由；如对核查结果有异议，可在每个整改期限内提出一次申诉。\
         逾期未完成整改的，我司将依规采取限制访问、取消接入等措施，由此产生的影响由网站主办者承担。</p>",
    );
    // Dated as official documents are (GB/T 9704): no zero before a one-digit month or day.
    let _ = write!(s, r#"<p class="sign">{}<br>{}</p>"#, esc(&r.provider), r.generated_date.format("%Y年%-m月%-d日"));
    s.push_str("</section>");
    s
}

/// The whole report page.
pub fn render(r: &Report) -> String {
    let mut out = Vec::new();
    write(r, &mut out).expect("writing to memory");
    String::from_utf8(out).expect("the page is UTF-8")
}

/// Writes the whole report page into `w`, one subject's notice at a time, so that the page of a
/// report with many subjects is never held whole.
pub fn write(r: &Report, w: &mut dyn std::io::Write) -> std::io::Result<()> {
    let mut s = String::with_capacity(64 * 1024);
    let _ = write!(
        s,
        r#"<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="generator" content="beiand {}"><title>备案核查整改报告 - {} - {}</title><style>{CSS}</style></head><body>"#,
        env!("CARGO_PKG_VERSION"),
        esc(&r.provider),
        r.generated_date
    );
    s.push_str(r#"<section class="summary">"#);
    let generated = crate::clock::parse_stamp(&r.generated_at)
        .map(|t| t.with_timezone(&crate::clock::shanghai()).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default();
    let _ = write!(s, "<h1>备案核查整改报告</h1><p class=\"meta\">接入商：{}　生成时间：{}（北京时间）</p>", esc(&r.provider), generated);
    let t = &r.totals;
    let _ = write!(
        s,
        r#"<div class="cards"><div class="card"><span class="n">{}</span>整改中</div><div class="card overdue"><span class="n">{}</span>已逾期</div><div class="card"><span class="n">{}</span>已整改（累计）</div><div class="card"><span class="n">{}</span>已关闭</div><div class="card"><span class="n">{}</span>已失效</div><div class="card"><span class="n">{}</span>待发整改通知的主体</div></div>"#,
        t.open,
        t.overdue,
        t.resolved,
        t.closed,
        t.superseded,
        r.subjects.len()
    );
    s.push_str("<h2>按类别与问题统计</h2>");
    s.push_str(&summary_table(&r.by_category));
    s.push_str("<h2>逾期工单（最早到期在前）</h2>");
    s.push_str(&overdue_table(&r.overdue));
    match r.trend.len() {
        0 => s.push_str("<h2>近期核查趋势</h2>"),
        n => {
            let _ = write!(s, "<h2>近期核查趋势（最近 {n} 次运行）</h2>");
        }
    }
    s.push_str(&chart::svg(&r.trend));
    s.push_str("</section>");
    w.write_all(s.as_bytes())?;
    for n in &r.subjects {
        w.write_all(notice_section(r, n).as_bytes())?;
    }
    w.write_all(b"</body></html>\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{at, cfg, seeded};
    use crate::store::testing::each_backend;

    #[test]
    fn a_finding_is_told_in_chinese_and_an_old_record_as_it_was_stored() {
        use crate::finding::{Code, Finding};
        let overseas = Finding::new(Code::DnsOverseas, "1.1.1.1 is outside mainland China").zh("1.1.1.1 位于中国大陆境外");
        let old = Finding::new(Code::DnsOverseas, "8.8.8.8 is outside mainland China");
        let d = DomainEvidence { domain: "a.cn".into(), findings: vec![overseas, old], ..Default::default() };
        let html = evidence(&[d]);
        assert!(html.contains("<code>1.1.1.1 位于中国大陆境外</code>") && !html.contains("1.1.1.1 is outside"), "{html}");
        assert!(html.contains("<code>8.8.8.8 is outside mainland China</code>"), "{html}");
    }

    #[tokio::test]
    async fn hostile_page_text_renders_harmlessly() {
        let store = each_backend().await.remove(0);
        seeded(&store).await;
        let now = at("2026-10-13T10:00:00+08:00");
        let r = crate::report::build(&store, &cfg(), now).await.unwrap();
        let page = render(&r);
        assert!(!page.contains("<script>alert(1)"), "a title must not become a script");
        assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(!page.contains("<img src=x"));
        assert!(!page.contains("<b>lacks</b>"));
        assert!(!page.contains(r#"href="javascript:"#));
        // The page has no script of its own and no link at all that a click could follow.
        assert!(!page.to_ascii_lowercase().contains("<script"));
        assert!(!page.contains("<a "));
        // The summary and one notice for the subject, with its legal basis and what to do.
        assert!(page.contains("备案核查整改报告") && page.contains("整改通知"));
        // The window's title (and a saved file's default name) uses the heading's words.
        assert!(page.contains("<title>备案核查整改报告 - 示例云 - 2026-10-13</title>"));
        assert_eq!(page.matches(r#"<section class="notice">"#).count(), 1);
        assert!(page.contains("致：北京示例科技有限公司（主体备案号：京ICP备2024012345号）"));
        assert!(page.contains("第十三条、第二十五条"));
        assert!(page.contains("2026-10-09") && page.contains("@media print"));
        assert!(page.contains("<svg"));
    }

    #[tokio::test]
    async fn an_overdue_ticket_with_no_working_day_past_says_less_than_one() {
        let store = each_backend().await.remove(0);
        seeded(&store).await;
        let mut r = crate::report::build(&store, &cfg(), at("2026-10-13T10:00:00+08:00")).await.unwrap();
        let late = |r: &Report| overdue_table(&r.overdue).contains(r#"<td class="num late">3</td>"#);
        assert!(late(&r));
        // As on the Saturday after a Friday deadline.
        std::sync::Arc::make_mut(&mut r.overdue[0]).overdue_working_days = 0;
        assert!(!late(&r) && overdue_table(&r.overdue).contains(r#"<td class="num late">不足 1</td>"#));
    }

    #[tokio::test]
    async fn an_empty_database_gives_a_report_that_says_so() {
        let store = each_backend().await.remove(0);
        let now = at("2026-10-13T10:00:00+08:00");
        let page = render(&crate::report::build(&store, &cfg(), now).await.unwrap());
        assert!(page.contains("暂无工单") && page.contains("没有逾期工单") && page.contains("暂无核查记录"));
        assert!(page.contains("<h2>近期核查趋势</h2>"), "no \"最近 0 次运行\"");
        assert!(!page.contains(r#"<section class="notice">"#));
    }

    #[tokio::test]
    async fn the_notice_is_dated_as_chinese_official_documents_are() {
        let store = each_backend().await.remove(0);
        seeded(&store).await;
        let now = at("2026-10-13T10:00:00+08:00");
        let mut r = crate::report::build(&store, &cfg(), now).await.unwrap();
        // GB/T 9704: months and days are not padded with a zero.
        r.generated_date = chrono::NaiveDate::from_ymd_opt(2026, 9, 5).unwrap();
        let page = render(&r);
        assert!(page.contains("示例云<br>2026年9月5日</p>"), "{}", page[page.find("class=\"sign\"").unwrap()..].chars().take(40).collect::<String>());
    }
}
