//! End to end: the real `beiand` binary scans sites served by the in-process demo world (DNS on
//! 127.0.0.1, web on 127.10.0.1) whose pages the test changes between scans, with `BEIAND_NOW`
//! placing each command in time around National Day 2026. Runs on SQLite and on PostgreSQL.
//!
//! Sites (all resolve to 127.10.0.1, the provider's mainland block):
//! - A blog.demo.example.cn: goes bad (number removed), ticketed once after confirmation with a
//!   deadline counted across 中秋/国庆, then fixed and resolved by the re-check;
//! - B bbs.demo.example.cn: bad in one scan only (a flap): never ticketed;
//! - C docs.demo.example.cn: title `<script>alert(1)</script>` (title mismatch): operator actions;
//! - D jobs.demo.example.cn: title starting with `=` (title mismatch): CSV, overdue, escalation;
//! - E shop.demo.example.cn: bad, then its filing is deregistered: superseded.

use beiand::demo::{compliant_page, World};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

const A: &str = "京ICP备2026000001号-1";
const B: &str = "京ICP备2026000001号-2";
const C: &str = "京ICP备2026000002号-1";
const D: &str = "京ICP备2026000002号-2";
const E: &str = "京ICP备2026000003号-1";

const XSS_TITLE: &str = "<script>alert(1)</script>";
const FORMULA_TITLE: &str = "=HYPERLINK(\"http://evil.example/\",\"点我\")";

fn filings_csv(e_status: &str) -> String {
    format!(
        "site_number,site_name,domains,subject_name,status\n\
         {A},甲站,blog.demo.example.cn,甲公司,正常\n\
         {B},乙站,bbs.demo.example.cn,甲公司,正常\n\
         {C},丙站,docs.demo.example.cn,丙公司,正常\n\
         {D},丁站,jobs.demo.example.cn,丙公司,正常\n\
         {E},戊站,shop.demo.example.cn,戊公司,{e_status}\n"
    )
}

fn no_number(title: &str) -> String {
    format!("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>{title}</title></head><body><p>欢迎</p><footer>© 2026</footer></body></html>")
}

struct Env {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    config: PathBuf,
    /// The same world with a nameserver nobody answers on: every check inconclusive.
    broken: PathBuf,
}

fn setup(world: &World, db_url: &str) -> Env {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().to_path_buf();
    std::fs::write(
        p.join("inventory.csv"),
        "cidr,region,in_region,label\n127.10.0.0/16,cn-beijing,true,华北演示\n127.20.0.0/16,cn-hongkong,false,香港演示\n",
    )
    .unwrap();
    std::fs::write(p.join("mainland.txt"), "127.10.0.0/16\n127.30.0.0/16\n").unwrap();
    std::fs::write(p.join("filings.csv"), filings_csv("正常")).unwrap();
    let cfg = |ns: &str| {
        format!(
            "[database]\nurl = \"{db_url}\"\n[provider]\nname = \"演示云\"\ninventory = \"inventory.csv\"\nmainland = \"mainland.txt\"\n\
             [dns]\nnameservers = [\"{ns}\"]\ntimeout_ms = 500\nattempts = 1\n\
             [http]\nport = {port}\nhttps_port = {port}\ntimeout_ms = 2000\nallow_private_targets = [\"127.0.0.0/8\"]\n\
             [tickets]\nconfirm_scans = 2\nconfirm_hours = 24\n",
            port = world.port
        )
    };
    std::fs::write(p.join("beiand.toml"), cfg(&world.dns.to_string())).unwrap();
    std::fs::write(p.join("broken.toml"), cfg("127.0.0.1:9")).unwrap();
    Env { config: p.join("beiand.toml"), broken: p.join("broken.toml"), dir: p, _dir: dir }
}

async fn beiand(config: &Path, now: &str, args: &[&str]) -> Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_beiand"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env("BEIAND_NOW", now)
        .env("USER", "tester")
        .env_remove("BEIAND_CONFIG")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("run beiand")
}

fn text(o: &Output) -> String {
    format!("status {:?}\nstdout:\n{}\nstderr:\n{}", o.status.code(), String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

async fn ok(config: &Path, now: &str, args: &[&str]) -> String {
    let o = beiand(config, now, args).await;
    assert!(o.status.success(), "beiand {args:?} at {now} failed:\n{}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

async fn list(config: &Path, now: &str) -> Vec<Value> {
    serde_json::from_str::<Value>(&ok(config, now, &["tickets", "list", "--json"]).await).unwrap().as_array().unwrap().clone()
}

async fn show(config: &Path, now: &str, id: i64) -> Value {
    serde_json::from_str(&ok(config, now, &["tickets", "show", &id.to_string(), "--json"]).await).unwrap()
}

fn of<'a>(tickets: &'a [Value], site: &str) -> Vec<&'a Value> {
    tickets.iter().filter(|t| t["site_number"] == site).collect()
}

fn actions(t: &Value) -> Vec<String> {
    t["history"].as_array().unwrap().iter().map(|h| h["action"].as_str().unwrap().to_string()).collect()
}

async fn scenario(db_url: &str) {
    let world = World::start().await.unwrap();
    let env = setup(&world, db_url);
    let cfg = env.config.as_path();
    let good = |title: &str, n: &str| compliant_page(title, n, false);

    world.set_page("blog.demo.example.cn", &no_number("甲站"));
    world.set_page("bbs.demo.example.cn", &good("乙站", B));
    world.set_page("docs.demo.example.cn", &good(XSS_TITLE, C));
    world.set_page("jobs.demo.example.cn", &good(FORMULA_TITLE, D));
    world.set_page("shop.demo.example.cn", &no_number("戊站"));

    let t0 = "2026-09-16T09:00:00+08:00";
    ok(cfg, t0, &["import", env.dir.join("filings.csv").to_str().unwrap()]).await;

    // First sighting: nothing is ticketed yet.
    let out = ok(cfg, "2026-09-17T10:00:00+08:00", &["scan"]).await;
    assert!(out.contains("tickets: 0 opened"), "{out}");
    assert!(list(cfg, "2026-09-17T10:00:00+08:00").await.is_empty());

    // Second sighting a day later confirms; B is bad for the first and only time.
    world.set_page("bbs.demo.example.cn", &no_number("乙站"));
    let t2 = "2026-09-18T10:00:00+08:00";
    let out = ok(cfg, t2, &["scan"]).await;
    assert!(out.contains("tickets: 4 opened"), "{out}");
    let tickets = list(cfg, t2).await;
    assert_eq!(tickets.len(), 4, "{tickets:#?}");
    let a = of(&tickets, A);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["code"], "page.number_missing");
    assert_eq!(a[0]["state"], "open");
    // Notice Friday 9/18; 10 working days: 9/20 (make-up Sunday), 21–24, (中秋 25–27), 28–30,
    // (国庆 10/1–7), 10/8, 10/9.
    assert_eq!(a[0]["deadline"], "2026-10-09");
    assert!(a[0]["opened_at"].as_str().unwrap().starts_with("2026-09-18T02:00:00"));
    assert!(of(&tickets, B).is_empty(), "a single sighting must not open a ticket");
    let a_id = a[0]["id"].as_i64().unwrap();
    let c_id = of(&tickets, C)[0]["id"].as_i64().unwrap();
    let d_id = of(&tickets, D)[0]["id"].as_i64().unwrap();
    let e_id = of(&tickets, E)[0]["id"].as_i64().unwrap();
    assert_eq!(of(&tickets, C)[0]["code"], "page.title_mismatch");

    // The ticket holds the evidence and the notice.
    let shown = show(cfg, t2, a_id).await;
    assert_eq!(shown["notice"]["legal_basis"]["articles"], "《非经营性互联网信息服务备案管理办法》第十三条、第二十五条");
    assert_eq!(shown["category"], "网站内容不合格");
    let ev = &shown["evidence"]["domains"][0];
    assert_eq!(ev["domain"], "blog.demo.example.cn");
    assert_eq!(ev["http_status"], 200);
    assert_eq!(ev["title"], "甲站");
    assert_eq!(ev["ips"][0]["ip"], "127.10.0.1");
    assert_eq!(actions(&shown), vec!["opened"]);
    assert_eq!(shown["history"][0]["actor"], "scanner");
    assert_eq!(show(cfg, t2, c_id).await["evidence"]["domains"][0]["title"], XSS_TITLE);

    // Seen again, B fine again: still one ticket per problem, and B never ticketed.
    world.set_page("bbs.demo.example.cn", &good("乙站", B));
    let t3 = "2026-09-19T10:00:00+08:00";
    let out = ok(cfg, t3, &["scan"]).await;
    assert!(out.contains("tickets: 0 opened"), "{out}");
    let tickets = list(cfg, t3).await;
    assert_eq!(tickets.len(), 4);
    assert_eq!(of(&tickets, A).len(), 1);

    // A is fixed; then the resolver fails during a scan: the degraded run changes no ticket.
    world.set_page("blog.demo.example.cn", &good("甲站", A));
    let t4 = "2026-09-21T10:00:00+08:00";
    let before: Vec<Value> = {
        let mut v = Vec::new();
        for id in [a_id, c_id, d_id, e_id] {
            v.push(show(cfg, t4, id).await);
        }
        v
    };
    let o = beiand(&env.broken, t4, &["scan"]).await;
    assert!(o.status.success(), "a degraded scan still completes:\n{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout).to_string();
    assert!(out.contains("degraded") && out.contains("tickets: unchanged"), "{out}");
    for (i, id) in [a_id, c_id, d_id, e_id].into_iter().enumerate() {
        assert_eq!(show(cfg, t4, id).await, before[i], "ticket #{id} changed in a degraded run");
    }

    // The report, before anyone acts: deadline, escaping, neutralised CSV.
    let t5 = "2026-09-22T10:00:00+08:00";
    let html_path = env.dir.join("report.html");
    let csv_path = env.dir.join("report.csv");
    let json_path = env.dir.join("report.json");
    ok(cfg, t5, &["report", "--format", "html", "--out", html_path.to_str().unwrap()]).await;
    ok(cfg, t5, &["report", "--format", "csv", "--out", csv_path.to_str().unwrap()]).await;
    ok(cfg, t5, &["report", "--format", "json", "--out", json_path.to_str().unwrap()]).await;
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(!html.to_ascii_lowercase().contains("<script"), "the title must not become a script");
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("整改通知") && html.contains("甲公司") && html.contains("2026-10-09"));
    assert!(html.contains("<svg"));
    let csv = std::fs::read_to_string(&csv_path).unwrap();
    let mut rd = csv::Reader::from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    let rows: Vec<csv::StringRecord> = rd.records().map(|r| r.unwrap()).collect();
    assert_eq!(rows.len(), 4);
    for cell in rows.iter().flat_map(|r| r.iter()) {
        assert!(!cell.trim_start().starts_with(['=', '+', '-', '@', '\t', '\r']), "live formula in {cell:?}");
    }
    assert!(rows.iter().any(|r| r.iter().any(|c| c == format!("'{FORMULA_TITLE}"))), "{csv}");
    let report: Value = serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(report["totals"]["open"], 4);
    let a_line = report["tickets"].as_array().unwrap().iter().find(|t| t["id"] == a_id).unwrap();
    assert_eq!(a_line["deadline"], "2026-10-09");
    assert_eq!(report["subjects"].as_array().unwrap().len(), 3);

    // Operator actions on C, with the history they leave.
    let cs = c_id.to_string();
    let out = ok(cfg, t5, &["tickets", "extend", &cs, "--until", "2026-10-16", "--reason", "客户申请延期：改版上线", "--actor", "alice"]).await;
    assert!(out.contains("2026-10-09 → 2026-10-16"), "{out}");
    ok(cfg, t5, &["tickets", "appeal", &cs, "--reason", "标题由前端脚本生成", "--actor", "alice"]).await;
    let o = beiand(cfg, t5, &["tickets", "appeal", &cs, "--reason", "再次申诉", "--actor", "alice"]).await;
    assert!(!o.status.success(), "a second appeal in one period must be refused");
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("already filed in this rectification period"), "{err}");
    ok(cfg, t5, &["tickets", "appeal", &cs, "--outcome", "rejected", "--reason", "抓取到的HTML标题不含网站名称", "--actor", "bob"]).await;
    ok(cfg, t5, &["tickets", "close", &cs, "--reason", "已线下核实并处理", "--actor", "bob"]).await;
    let o = beiand(cfg, t5, &["tickets", "extend", &cs, "--until", "2026-11-30", "--reason", "x"]).await;
    assert!(!o.status.success(), "extending a closed ticket must be refused");
    assert!(String::from_utf8_lossy(&o.stderr).contains("is closed"), "{}", text(&o));
    let c = show(cfg, t5, c_id).await;
    assert_eq!(c["state"], "closed");
    assert_eq!(c["deadline"], "2026-10-16");
    assert_eq!(actions(&c), vec!["opened", "extension_granted", "appeal_filed", "appeal_rejected", "closed"]);
    let hist = c["history"].as_array().unwrap();
    for h in hist {
        for key in ["at", "actor", "action", "reason"] {
            assert!(h.get(key).is_some_and(|v| v.is_string()), "history entry without {key}: {h}");
        }
    }
    assert_eq!(hist[1]["actor"], "alice");
    assert_eq!(hist[1]["reason"], "客户申请延期：改版上线");
    assert_eq!(hist[4]["actor"], "bob");
    assert!(hist[1]["at"].as_str().unwrap().starts_with("2026-09-22T02:00:00"));
    // A refused extension is recorded without changing the deadline; $USER is the default actor.
    ok(cfg, t5, &["tickets", "extend", &d_id.to_string(), "--refuse", "--until", "2026-12-31", "--reason", "期限过长"]).await;
    let d = show(cfg, t5, d_id).await;
    assert_eq!((d["state"].as_str(), d["deadline"].as_str()), (Some("open"), Some("2026-10-09")));
    assert_eq!(d["history"][1]["action"], "extension_refused");
    assert_eq!(d["history"][1]["actor"], "tester");

    // E's filing is deregistered: the next scan supersedes its ticket.
    std::fs::write(env.dir.join("filings.csv"), filings_csv("注销")).unwrap();
    ok(cfg, t5, &["import", env.dir.join("filings.csv").to_str().unwrap()]).await;
    let t6 = "2026-09-23T10:00:00+08:00";
    let out = ok(cfg, t6, &["scan"]).await;
    assert!(out.contains("1 superseded"), "{out}");
    let e = show(cfg, t6, e_id).await;
    assert_eq!(e["state"], "superseded");
    assert!(e["history"][1]["reason"].as_str().unwrap().contains("deregistered"));

    // A stays fixed: the degraded run did not count, 9/23 is the first passing check and 9/24
    // the second, a day later: resolved by the scanner.
    assert_eq!(show(cfg, t6, a_id).await["state"], "open");
    let t7 = "2026-09-24T10:00:00+08:00";
    let out = ok(cfg, t7, &["scan"]).await;
    assert!(out.contains("1 resolved"), "{out}");
    let a = show(cfg, t7, a_id).await;
    assert_eq!(a["state"], "resolved");
    assert_eq!(actions(&a), vec!["opened", "resolved"]);
    assert_eq!(a["history"][1]["actor"], "scanner");
    let resolved = ok(cfg, t7, &["tickets", "list", "--state", "resolved", "--json"]).await;
    assert_eq!(serde_json::from_str::<Value>(&resolved).unwrap().as_array().unwrap().len(), 1);

    // D is still bad after its deadline: overdue on the next working day; the restriction is
    // recommended once a check after the deadline has seen it still there.
    let t8 = "2026-10-12T10:00:00+08:00";
    ok(cfg, t8, &["scan"]).await;
    let overdue: Value = serde_json::from_str(&ok(cfg, t8, &["tickets", "list", "--overdue", "--json"]).await).unwrap();
    let overdue = overdue.as_array().unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["id"], d_id);
    let d = show(cfg, t8, d_id).await;
    assert_eq!(actions(&d), vec!["opened", "extension_refused", "overdue", "escalation_recommended"]);
    assert_eq!(d["history"][3]["actor"], "scanner");
    assert!(d["history"][3]["reason"].as_str().unwrap().contains("restrict_access"));
    let by_subject = ok(cfg, t8, &["tickets", "list", "--subject", "京ICP备2026000002号", "--json"]).await;
    assert_eq!(serde_json::from_str::<Value>(&by_subject).unwrap().as_array().unwrap().len(), 2, "{by_subject}");
    // C's problem continued after the operator closed it: not reopened.
    assert_eq!(of(&list(cfg, t8).await, C).len(), 1);
    let by_code = ok(cfg, t8, &["tickets", "list", "--code", "page.number_missing", "--json"]).await;
    assert_eq!(serde_json::from_str::<Value>(&by_code).unwrap().as_array().unwrap().len(), 2, "{by_code}");
    let o = beiand(cfg, t8, &["tickets", "show", "9999"]).await;
    assert!(!o.status.success());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_end_to_end_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("e2e.db").display());
    scenario(&url).await;
}

/// A new empty database on the test PostgreSQL server (`$BEIAND_TEST_PG`).
async fn fresh_pg() -> String {
    use sqlx::Executor;
    sqlx::any::install_default_drivers();
    let admin = std::env::var("BEIAND_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!(
        "beiand_e2e_{}_{}",
        std::process::id(),
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos()
    );
    let pool = sqlx::AnyPool::connect(&admin).await.expect("PostgreSQL test server (set BEIAND_TEST_PG)");
    pool.execute(format!("CREATE DATABASE {name}").as_str()).await.unwrap();
    pool.close().await;
    let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
    format!("{base}/{name}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tickets_end_to_end_on_postgres() {
    scenario(&fresh_pg().await).await;
}
