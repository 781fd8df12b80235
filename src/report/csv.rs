//! The CSV report: one row per ticket (overdue first, oldest deadline first), with Chinese
//! headers, for spreadsheets. It starts with a UTF-8 byte-order mark so that spreadsheet
//! programs read the Chinese text correctly, and every text cell goes through
//! [`escape::csv_cell`] so that nothing a website wrote can run as a formula.

use super::escape::csv_cell;
use super::{appeal_zh, ip_class_zh, Report};
use crate::ticket::notice;
use anyhow::Result;

pub const HEADER: [&str; 22] = [
    "工单号",
    "状态",
    "state",
    "主体备案号",
    "主体名称",
    "网站备案号",
    "网站名称",
    "域名",
    "问题代码",
    "类别",
    "问题",
    "通知日期",
    "截止日期",
    "逾期工作日",
    "整改期",
    "申诉",
    "已建议措施",
    "解析地址",
    "HTTP状态",
    "页面标题",
    "证据摘要",
    "依据",
];

/// The CSV bytes.
pub fn render(r: &Report) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    write(r, &mut out)?;
    Ok(out)
}

/// Writes the CSV into `out`, row by row.
pub fn write(r: &Report, mut out: impl std::io::Write) -> Result<()> {
    out.write_all("\u{feff}".as_bytes())?;
    {
        let mut w = csv::Writer::from_writer(&mut out);
        w.write_record(HEADER)?;
        for t in &r.tickets {
            let ips: Vec<String> = t
                .evidence
                .domains
                .iter()
                .flat_map(|d| d.ips.iter().map(|i| format!("{} {}", i.ip, ip_class_zh(&i.class))))
                .collect();
            let statuses: Vec<String> = t.evidence.domains.iter().filter_map(|d| d.http_status).map(|s| s.to_string()).collect();
            let titles: Vec<&str> = t.evidence.domains.iter().filter_map(|d| d.title.as_deref()).collect();
            let basis = notice::notice(t.code).and_then(|n| n.basis).map(|b| b.articles).unwrap_or("");
            let record: Vec<String> = vec![
                t.id.to_string(),
                t.state_zh.to_string(),
                t.state.as_str().to_string(),
                t.subject_number.clone(),
                t.subject_name.clone().unwrap_or_default(),
                t.site_number.clone(),
                t.site_name.clone().unwrap_or_default(),
                t.domains.join(" "),
                t.code.as_str().to_string(),
                t.category.to_string(),
                t.problem.to_string(),
                t.notice_date.to_string(),
                t.deadline.to_string(),
                t.overdue_working_days.to_string(),
                t.period.to_string(),
                appeal_zh(t.appeal_state).to_string(),
                t.escalation.join("、"),
                ips.join("; "),
                statuses.join("; "),
                titles.join(" | "),
                t.evidence.summary(),
                basis.to_string(),
            ];
            w.write_record(record.iter().map(|c| csv_cell(c)))?;
        }
        w.flush()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::{at, cfg, seeded};
    use crate::store::testing::each_backend;

    #[tokio::test]
    async fn a_title_starting_with_equals_is_inert_in_the_csv() {
        for store in each_backend().await {
            seeded(&store).await;
            let now = at("2026-10-13T10:00:00+08:00");
            let mut r = crate::report::build(&store, &cfg(), now).await.unwrap();
            std::sync::Arc::make_mut(&mut r.tickets[0]).evidence.domains[0].title = Some("=HYPERLINK(\"http://evil.example/\",\"点我\")".into());
            std::sync::Arc::make_mut(&mut r.tickets[0]).site_name = Some("+cmd|' /C calc'!A0".into());
            let bytes = render(&r).unwrap();
            assert!(bytes.starts_with("\u{feff}".as_bytes()));
            let mut rd = csv::Reader::from_reader(&bytes[3..]);
            assert_eq!(rd.headers().unwrap().iter().collect::<Vec<_>>(), HEADER.to_vec());
            let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
            assert_eq!(rows.len(), 3);
            for row in &rows {
                for cell in row.iter() {
                    let first = cell.trim_start().chars().next();
                    assert!(!matches!(first, Some('=' | '+' | '-' | '@' | '\t' | '\r')), "live formula cell {cell:?}");
                }
            }
            assert_eq!(&rows[0][19], "'=HYPERLINK(\"http://evil.example/\",\"点我\")");
            assert_eq!(&rows[0][6], "'+cmd|' /C calc'!A0");
            assert_eq!((&rows[0][2], &rows[0][12], &rows[0][13]), ("overdue", "2026-10-09", "3"));
            assert_eq!(&rows[0][21], "《非经营性互联网信息服务备案管理办法》第十四条");
        }
    }

    #[tokio::test]
    async fn appeal_and_address_classes_are_written_in_chinese() {
        let store = each_backend().await.remove(0);
        seeded(&store).await;
        let now = at("2026-10-13T10:00:00+08:00");
        let mut r = crate::report::build(&store, &cfg(), now).await.unwrap();
        std::sync::Arc::make_mut(&mut r.tickets[0]).appeal_state = Some("pending");
        std::sync::Arc::make_mut(&mut r.tickets[1]).appeal_state = Some("rejected");
        let bytes = render(&r).unwrap();
        let rows: Vec<csv::StringRecord> = csv::Reader::from_reader(&bytes[3..]).records().map(|r| r.unwrap()).collect();
        assert_eq!((&rows[0][15], &rows[1][15], &rows[2][15]), ("申诉处理中", "申诉已驳回", ""));
        // The evidence summary names the address class as the address column does.
        assert!(rows[0][20].contains("47.93.1.1 本接入商境内"), "{}", &rows[0][20]);
        assert!(!rows[0][20].contains("provider_mainland"), "{}", &rows[0][20]);
    }
}
