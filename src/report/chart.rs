//! The trend chart of the HTML report, drawn by hand as inline SVG (no scripts, no external
//! files, prints as vectors): per recent run, the domains with findings and the open + overdue
//! tickets after the run; degraded runs are shaded, since they changed no ticket.

use super::escape::html;
use super::TrendPoint;
use std::fmt::Write;

const W: f64 = 760.0;
const H: f64 = 260.0;
const LEFT: f64 = 48.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 30.0;
const BOTTOM: f64 = 44.0;

const FINDINGS: &str = "#d9822b";

/// A named, coloured series of (point index, value).
type Series = (&'static str, &'static str, Vec<(usize, i64)>);
const TICKETS: &str = "#1f5fa8";

/// A rounded-up axis maximum: 1, 2 or 5 times a power of ten, at least 1.
fn nice_max(v: i64) -> i64 {
    let v = v.max(1);
    let mut p = 1;
    loop {
        for m in [1, 2, 5] {
            if m * p >= v {
                return m * p;
            }
        }
        p *= 10;
    }
}

/// `MM-DD HH:MM` in Asia/Shanghai for an RFC 3339 stamp.
fn label(stamp: &str) -> String {
    crate::clock::parse_stamp(stamp)
        .map(|t| t.with_timezone(&crate::clock::shanghai()).format("%m-%d %H:%M").to_string())
        .unwrap_or_else(|| stamp.to_string())
}

/// The SVG for `points` (oldest first).
pub fn svg(points: &[TrendPoint]) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="trend" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {W} {H}" width="{W}" height="{H}" role="img" aria-label="近期核查趋势">"#
    );
    if points.is_empty() {
        let _ = write!(s, r##"<text x="{}" y="{}" text-anchor="middle" fill="#666" font-size="14">暂无核查记录</text></svg>"##, W / 2.0, H / 2.0);
        return s;
    }
    let max = nice_max(points.iter().map(|p| p.with_findings.max(p.active_tickets.unwrap_or(0))).max().unwrap_or(0));
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let step = if points.len() > 1 { plot_w / (points.len() - 1) as f64 } else { 0.0 };
    let x = |i: usize| if points.len() > 1 { LEFT + step * i as f64 } else { LEFT + plot_w / 2.0 };
    let y = |v: i64| TOP + plot_h - plot_h * v as f64 / max as f64;

    // Degraded runs: a shaded band behind the lines.
    let band = if points.len() > 1 { step.max(6.0) } else { 24.0 };
    for (i, p) in points.iter().enumerate().filter(|(_, p)| p.state != "completed") {
        let _ = write!(
            s,
            r##"<rect x="{:.1}" y="{TOP}" width="{band:.1}" height="{plot_h}" fill="#e5e5e5"><title>{}</title></rect>"##,
            x(i) - band / 2.0,
            html(&format!("运行 {}：{}（降级，未改变工单）", p.run_id, label(&p.started_at)))
        );
    }
    // Grid and y axis.
    for k in 0..=4 {
        let v = max * k / 4;
        let _ = write!(
            s,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{y:.1}" y2="{y:.1}" stroke="#ddd"/><text x="{:.1}" y="{:.1}" text-anchor="end" font-size="11" fill="#555">{v}</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y(v) + 4.0,
            y = y(v)
        );
    }
    // X labels: first, last and a few between; the outer ones anchored inwards.
    let every = points.len().div_ceil(6).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % every == 0 || i + 1 == points.len() {
            let anchor = match i {
                _ if points.len() == 1 => "middle",
                0 => "start",
                _ if i + 1 == points.len() => "end",
                _ => "middle",
            };
            let _ = write!(
                s,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="{anchor}" font-size="11" fill="#555">{}</text>"##,
                x(i),
                H - BOTTOM + 16.0,
                html(&label(&p.started_at))
            );
        }
    }
    // Series. A degraded run's finding count says nothing about the customers (most checks
    // failed on our side), so it is left out rather than drawn as a drop.
    let series: [Series; 2] = [
        (
            "有问题的域名",
            FINDINGS,
            points.iter().enumerate().filter(|(_, p)| p.state == "completed").map(|(i, p)| (i, p.with_findings)).collect(),
        ),
        ("待整改工单", TICKETS, points.iter().enumerate().filter_map(|(i, p)| p.active_tickets.map(|v| (i, v))).collect()),
    ];
    for (name, color, pts) in &series {
        if pts.len() > 1 {
            let path: Vec<String> = pts.iter().map(|(i, v)| format!("{:.1},{:.1}", x(*i), y(*v))).collect();
            let _ = write!(s, r#"<polyline fill="none" stroke="{color}" stroke-width="2" points="{}"/>"#, path.join(" "));
        }
        for (i, v) in pts {
            let _ = write!(
                s,
                r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="{color}"><title>{}</title></circle>"#,
                x(*i),
                y(*v),
                html(&format!("{name}：{v}（运行 {}，{}，共核查 {} 个域名）", points[*i].run_id, label(&points[*i].started_at), points[*i].checked))
            );
        }
    }
    // Legend.
    let mut lx = LEFT;
    for (name, color, _) in &series {
        let _ = write!(
            s,
            r##"<rect x="{lx:.1}" y="8" width="12" height="12" fill="{color}"/><text x="{:.1}" y="18" font-size="12" fill="#333">{}</text>"##,
            lx + 16.0,
            html(name)
        );
        lx += 130.0;
    }
    let _ = write!(
        s,
        r##"<rect x="{lx:.1}" y="8" width="12" height="12" fill="#e5e5e5"/><text x="{:.1}" y="18" font-size="12" fill="#333">降级运行（未改变工单）</text>"##,
        lx + 16.0
    );
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(id: i64, state: &str, findings: i64, tickets: Option<i64>) -> TrendPoint {
        TrendPoint {
            run_id: id,
            started_at: format!("2026-09-{:02}T02:00:00.000Z", 10 + id),
            state: state.into(),
            checked: 10,
            with_findings: findings,
            inconclusive: 0,
            active_tickets: tickets,
        }
    }

    #[test]
    fn axis_maximum_is_round() {
        assert_eq!([nice_max(0), nice_max(1), nice_max(3), nice_max(7), nice_max(11), nice_max(250)], [1, 1, 5, 10, 20, 500]);
    }

    #[test]
    fn chart_draws_both_series_and_shades_degraded_runs() {
        let s = svg(&[p(1, "completed", 4, Some(0)), p(2, "degraded", 0, Some(0)), p(3, "completed", 5, Some(2))]);
        assert!(s.starts_with("<svg") && s.ends_with("</svg>"));
        assert_eq!(s.matches("<polyline").count(), 2);
        assert_eq!(s.matches("<circle").count(), 5, "no finding point for the degraded run");
        assert!(s.contains("降级，未改变工单"));
        assert!(s.contains("09-13 10:00"), "labels in Asia/Shanghai");
        // Runs differ in scope (a nightly run, a re-check of open tickets, one domain): a point
        // says how many domains its run checked.
        assert!(s.contains("有问题的域名：5（运行 3，09-13 10:00，共核查 10 个域名）"), "{s}");
        // Runs never applied to tickets have no ticket point.
        let s = svg(&[p(1, "completed", 4, None)]);
        assert_eq!(s.matches("<circle").count(), 1);
        assert!(svg(&[]).contains("暂无核查记录"));
    }
}
