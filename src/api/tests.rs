//! The API over a real listener on 127.0.0.1: a config, a token file and a store in a temporary
//! folder, three filings and three tickets.

use super::*;
use crate::clock;
use crate::scan::ProbeSet;
use crate::config::Config;
use crate::daemon::Live;
use crate::filing::{Filing, FilingStatus};
use crate::finding::Code;
use crate::store::{ResultRow, Store};
use crate::ticket::calendar::Calendar;
use crate::ticket::evidence::TicketEvidence;
use crate::ticket::lifecycle;
use crate::ticket::observe::{Seen, Streak};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, WWW_AUTHENTICATE};
use serde_json::Value;

const TOKEN: &str = "s3cret-token-for-tests";
const SITE_A: &str = "京ICP备2024000001号-1";
const SITE_B: &str = "京ICP备2024000001号-2";
const SITE_C: &str = "沪ICP备2024000002号-1";

enum Db {
    Sqlite,
    Postgres,
}

struct Fixture {
    _dir: tempfile::TempDir,
    shared: Arc<Shared>,
    base: String,
    client: reqwest::Client,
    /// Ticket ids: SITE_A page.number_missing, SITE_A page.title_mismatch, SITE_C dns.overseas.
    tickets: [i64; 3],
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
}

fn filing(site: &str, name: &str, domains: &[&str], status: FilingStatus) -> Filing {
    Filing {
        site_number: site.into(),
        subject_number: site.rsplit_once('-').unwrap().0.into(),
        site_name: name.into(),
        subject_name: Some("示例科技有限公司".into()),
        subject_nature: None,
        domains: domains.iter().map(|d| d.to_string()).collect(),
        filed_ips: vec![],
        psb_number: None,
        status,
        province: None,
        homepage: None,
    }
}

async fn open_ticket(store: &Store, site: &str, code: Code) -> i64 {
    let now = clock::now();
    let streak = Streak {
        seen: Seen::Present,
        count: 2,
        first_run: 1,
        last_run: 2,
        first_at: now - chrono::Duration::days(2),
        last_at: now - chrono::Duration::days(1),
    };
    let subject = site.rsplit_once('-').unwrap().0;
    let evidence = TicketEvidence { run_id: None, domains: vec![] };
    let (t, e) = lifecycle::open(site, subject, code, evidence, &streak, 10, &Calendar::new(&[], &[]), now);
    store.insert_ticket(&t, &e).await.unwrap().expect("ticket inserted")
}

async fn fixture(db: Db, with_token: bool) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("inventory.csv"), "cidr,region,in_region,label\n47.92.0.0/14,cn-beijing,true,华北2\n").unwrap();
    std::fs::write(dir.path().join("token"), format!("{TOKEN}\n")).unwrap();
    let url = match db {
        Db::Sqlite => "sqlite://data/beiand.db".to_string(),
        Db::Postgres => crate::store::testing::fresh_pg_database().await,
    };
    let token_line = if with_token { "token_file = \"token\"\n" } else { "" };
    let text = format!(
        "[database]\nurl = \"{url}\"\n[provider]\nname = \"示例云\"\ninventory = \"inventory.csv\"\n\
         [dns]\nnameservers = [\"127.0.0.1:53\"]\n[server]\nlisten = \"127.0.0.1:0\"\n{token_line}"
    );
    let path = dir.path().join("beiand.toml");
    std::fs::write(&path, text).unwrap();
    let config = Config::load(&path).unwrap();
    let store = Store::open(&config.database.url, 4).await.unwrap();
    store
        .upsert_filings(
            &[
                filing(SITE_A, "甲站", &["a.example.cn", "www.a.example.cn"], FilingStatus::Active),
                filing(SITE_B, "乙站", &["b.example.cn"], FilingStatus::AccessCancelled),
                // 例子.中国 as import stores it.
                filing(SITE_C, "丙站", &["c.example.cn", "xn--fsqu00a.xn--fiqs8s"], FilingStatus::Active),
            ],
            clock::now(),
        )
        .await
        .unwrap();
    let tickets = [
        open_ticket(&store, SITE_A, Code::PageNumberMissing).await,
        open_ticket(&store, SITE_A, Code::PageTitleMismatch).await,
        open_ticket(&store, SITE_C, Code::DnsOverseas).await,
    ];
    let shared = Arc::new(Shared::new(store, Live::build(config).unwrap()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve(listener, shared.clone(), async move {
        let _ = stopped.await;
    }));
    let client = reqwest::Client::builder().no_proxy().build().unwrap();
    Fixture { _dir: dir, shared, base, client, tickets, stop: Some(stop), server }
}

/// A path segment percent-encoded (every byte outside unreserved ASCII).
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() || b"-._~".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

struct Answer {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.text))
    }

    /// The message of a JSON error answer.
    fn error(&self) -> String {
        let v = self.json();
        v["error"].as_str().unwrap_or_else(|| panic!("no error field: {v}")).to_string()
    }
}

impl Fixture {
    async fn send(&self, req: reqwest::RequestBuilder) -> Answer {
        let resp = req.send().await.unwrap();
        let status = resp.status().as_u16();
        let headers = resp.headers().clone();
        Answer { status, headers, text: resp.text().await.unwrap() }
    }

    async fn get(&self, path: &str) -> Answer {
        self.send(self.client.get(format!("{}{path}", self.base)).bearer_auth(TOKEN)).await
    }

    async fn post(&self, path: &str, body: Value) -> Answer {
        self.post_raw(path, &body.to_string()).await
    }

    async fn post_raw(&self, path: &str, body: &str) -> Answer {
        let req = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(TOKEN)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self.send(req).await
    }

    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        self.server.await.unwrap().unwrap();
    }
}

#[tokio::test]
async fn healthz_needs_no_token_and_reports_the_database() {
    let f = fixture(Db::Sqlite, true).await;
    let a = f.send(f.client.get(format!("{}/healthz", f.base))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["status"], "ok");
    assert_eq!(a.json()["instance"], f.shared.instance.as_str());
    f.shared.store.close().await;
    let a = f.send(f.client.get(format!("{}/healthz", f.base))).await;
    assert_eq!(a.status, 503, "{}", a.text);
    assert_eq!(a.json()["status"], "unavailable");
    let error = a.json()["error"].as_str().unwrap().to_string();
    assert!(error.starts_with("database: "), "{}", a.text);
    assert!(!error.contains("pool"), "the database's own error is for the log, not for anyone who asks: {error}");
    f.stop().await;
}

#[tokio::test]
async fn failures_on_our_side_answer_json_without_the_internals() {
    let f = fixture(Db::Sqlite, true).await;
    f.shared.store.close().await;
    for path in ["/api/runs", "/api/tickets", "/api/filings", "/api/runs/1"] {
        let a = f.get(path).await;
        assert_eq!(a.status, 503, "{path}: the database is away: {}", a.text);
        let error = a.error();
        assert!(error.contains("the database is unavailable"), "{path}: {error}");
        assert!(!error.contains("pool"), "{path}: the database's own error is for the log: {error}");
    }
    let a = f.post("/api/scan", json!({"domain": "a.example.cn"})).await;
    assert_eq!(a.status, 503, "{}", a.text);
    // Any other failure: a 500 that says where to look, not what the query was.
    let e = ApiError::internal(anyhow::anyhow!("no such table: tickets_v2").context("listing tickets"));
    assert_eq!((e.status, e.message.as_str()), (StatusCode::INTERNAL_SERVER_ERROR, "internal error (the daemon's log has the error)"));
    f.stop().await;
}

#[tokio::test]
async fn authenticated_paths_need_the_configured_bearer_token() {
    let f = fixture(Db::Sqlite, true).await;
    let url = format!("{}/api/filings", f.base);
    for (req, needle) in [
        (f.client.get(&url), "authentication required"),
        (f.client.get(&url).bearer_auth("wrong"), "invalid bearer token"),
        (f.client.get(&url).bearer_auth(format!("{TOKEN}x")), "invalid bearer token"),
        (f.client.get(&url).header(AUTHORIZATION, format!("Basic {TOKEN}")), "invalid bearer token"),
        (f.client.get(format!("{}/metrics", f.base)), "authentication required"),
        (f.client.post(format!("{}/api/scan", f.base)).body("{}"), "authentication required"),
    ] {
        let a = f.send(req).await;
        assert_eq!(a.status, 401, "{}", a.text);
        assert_eq!(a.headers.get(WWW_AUTHENTICATE).unwrap(), "Bearer");
        assert!(a.error().contains(needle), "{}", a.text);
    }
    let a = f.send(f.client.get(&url).header(AUTHORIZATION, format!("bearer {TOKEN}"))).await;
    assert_eq!(a.status, 200, "the scheme is case-insensitive: {}", a.text);
    assert_eq!(f.get("/api/filings").await.status, 200);
    f.stop().await;
}

#[tokio::test]
async fn without_a_token_file_the_api_refuses_everything_but_healthz() {
    let f = fixture(Db::Sqlite, false).await;
    for path in ["/api/filings", "/api/tickets", "/metrics", "/api/runs"] {
        let a = f.get(path).await;
        assert_eq!(a.status, 401, "{path}: {}", a.text);
        assert!(a.error().contains("server.token_file"), "{}", a.text);
    }
    assert_eq!(f.send(f.client.get(format!("{}/healthz", f.base))).await.status, 200);
    f.stop().await;
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let f = fixture(Db::Sqlite, true).await;
    let a = f.get("/metrics").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let ct = a.headers.get(CONTENT_TYPE).unwrap().to_str().unwrap();
    assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
    assert!(a.text.contains("# TYPE beiand_tickets gauge"), "{}", a.text);
    assert!(a.text.contains("beiand_tickets{state=\"open\"} 3"), "{}", a.text);
    assert!(a.text.contains("\nbeiand_database_up 1\n"), "{}", a.text);
    f.stop().await;
}

#[tokio::test]
async fn metrics_while_the_database_is_down_keep_this_processs_figures_and_drop_the_shared_ones() {
    let f = fixture(Db::Sqlite, true).await;
    // The first scrape installs the recorder (as the daemon does at start).
    assert!(f.get("/metrics").await.text.contains("beiand_tickets{state=\"open\"} 3"));
    metrics::counter!("beiand_config_reloads_total", "result" => "ok").increment(1);
    f.shared.store.close().await;
    let a = f.get("/metrics").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert!(a.text.contains("beiand_config_reloads_total{result=\"ok\"}"), "this process's own figures: {}", a.text);
    assert!(a.text.contains("\nbeiand_database_up 0\n"), "{}", a.text);
    assert!(!a.text.contains("beiand_tickets"), "no ticket count the database did not give: {}", a.text);
    f.stop().await;
}

#[tokio::test]
async fn filings_are_listed_filtered_and_found_by_encoded_site_number() {
    let f = fixture(Db::Sqlite, true).await;
    let a = f.get("/api/filings").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let list = a.json();
    let sites: Vec<&str> = list.as_array().unwrap().iter().map(|f| f["site_number"].as_str().unwrap()).collect();
    assert_eq!(sites.len(), 3, "{sites:?}");
    assert!(sites.contains(&SITE_A) && sites.contains(&SITE_B) && sites.contains(&SITE_C));
    assert_eq!(a.headers.get("x-total-count").unwrap(), "3");

    let a = f.get("/api/filings?status=active").await;
    assert_eq!(a.json().as_array().unwrap().len(), 2);
    let a = f.get("/api/filings?status=access_cancelled").await;
    assert_eq!(a.json()[0]["site_number"], SITE_B);
    let a = f.get("/api/filings?domain=WWW.A.example.cn.").await;
    assert_eq!(a.json().as_array().unwrap().len(), 1, "{}", a.text);
    assert_eq!(a.json()[0]["site_name"], "甲站");
    let a = f.get("/api/filings?domain=b.example.cn&status=active").await;
    assert_eq!(a.json(), serde_json::json!([]));
    // A domain is compared in the form import stores it in: 例子.中国 is xn--fsqu00a.xn--fiqs8s.
    for d in ["例子.中国", "例子.中国.", "xn--fsqu00a.XN--FIQS8S"] {
        let a = f.get(&format!("/api/filings?domain={}", encode(d))).await;
        assert_eq!(a.status, 200, "{d}: {}", a.text);
        let list = a.json();
        let sites: Vec<&str> = list.as_array().unwrap().iter().map(|f| f["site_number"].as_str().unwrap()).collect();
        assert_eq!(sites, vec![SITE_C], "{d}");
    }
    let a = f.get(&format!("/api/filings?domain={}", encode("http://a.example.cn/"))).await;
    assert_eq!((a.status, a.error()), (400, "domain: \"http://a.example.cn/\" is not a domain name".to_string()), "{}", a.text);
    let a = f.get("/api/filings?limit=1").await;
    assert_eq!(a.json().as_array().unwrap().len(), 1);
    assert_eq!(a.headers.get("x-total-count").unwrap(), "3");

    for (q, needle) in [
        ("status=closed", "\"closed\""),
        ("limit=abc", "\"abc\""),
        ("limit=0", "\"0\""),
        ("limit=10001", "from 1 to 10000"),
        ("offset=-1", "offset: expected a whole number, 0 or more, got \"-1\""),
        ("offset=x", "\"x\""),
        ("colour=red", "colour"),
    ] {
        let a = f.get(&format!("/api/filings?{q}")).await;
        assert_eq!(a.status, 400, "{q}: {}", a.text);
        assert!(a.error().contains(needle), "{q}: {}", a.text);
    }

    let a = f.get(&format!("/api/filings/{}", encode(SITE_A))).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["site_number"], SITE_A);
    assert_eq!(a.json()["domains"], serde_json::json!(["a.example.cn", "www.a.example.cn"]));
    assert_eq!(a.json()["status"], "active");

    let unknown = "京ICP备2099999999号-1";
    let a = f.get(&format!("/api/filings/{}", encode(unknown))).await;
    assert_eq!(a.status, 404, "{}", a.text);
    assert_eq!(a.error(), format!("no filing with site number {unknown}"));
    f.stop().await;
}

#[tokio::test]
async fn tickets_are_listed_with_the_cli_filters_and_json() {
    let f = fixture(Db::Sqlite, true).await;
    let [missing, title, overseas] = f.tickets;
    let ids = |a: &Answer| -> Vec<i64> { a.json().as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect() };

    let a = f.get("/api/tickets").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(ids(&a), vec![missing, title, overseas]);
    // The list form is the CLI's.
    let t = f.shared.store.ticket(missing).await.unwrap().unwrap();
    assert_eq!(a.json()[0], crate::ticket::cli::summary_json(&t));
    for key in ["id", "site_number", "code", "state", "deadline", "opened_at"] {
        assert!(a.json()[0].get(key).is_some(), "{key}");
    }

    assert_eq!(ids(&f.get("/api/tickets?state=open").await), vec![missing, title, overseas]);
    assert_eq!(ids(&f.get("/api/tickets?state=&code=page.number_missing").await), vec![missing]);
    assert_eq!(ids(&f.get(&format!("/api/tickets?site={}", encode(SITE_A))).await), vec![missing, title]);
    assert_eq!(ids(&f.get(&format!("/api/tickets?subject={}", encode(SITE_C))).await), vec![overseas], "a website number selects its subject");
    assert_eq!(ids(&f.get("/api/tickets?overdue=true").await), Vec::<i64>::new());
    assert_eq!(ids(&f.get("/api/tickets?state=closed").await), Vec::<i64>::new());
    // Paged as /api/filings is, with the number matching before paging.
    let a = f.get("/api/tickets?limit=2&offset=1").await;
    assert_eq!(ids(&a), vec![title, overseas]);
    assert_eq!(a.headers.get("x-total-count").unwrap(), "3");
    let a = f.get(&format!("/api/tickets?site={}&limit=1", encode(SITE_A))).await;
    assert_eq!((ids(&a), a.headers.get("x-total-count").unwrap().to_str().unwrap()), (vec![missing], "2"));

    for (q, needle) in [
        ("limit=0", "limit"),
        ("offset=-1", "offset"),
        ("state=pending", "unknown state \"pending\""),
        ("code=page.nope", "unknown finding code \"page.nope\""),
        ("code=scan.inconclusive", "never opens a ticket"),
        ("overdue=maybe", "\"maybe\""),
        ("overdue=true&state=open", "not both"),
    ] {
        let a = f.get(&format!("/api/tickets?{q}")).await;
        assert_eq!(a.status, 400, "{q}: {}", a.text);
        assert!(a.error().contains(needle), "{q}: {}", a.text);
    }

    let a = f.get(&format!("/api/tickets/{missing}")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let d = a.json();
    assert_eq!(d["id"], missing);
    assert_eq!(d["site_name"], "甲站");
    assert_eq!(d["history"].as_array().unwrap().len(), 1);
    assert_eq!(d["history"][0]["action"], "opened");
    assert!(d["notice"]["text"].is_string(), "{d}");

    let a = f.get("/api/tickets/9999").await;
    assert_eq!((a.status, a.error()), (404, "no ticket #9999".to_string()));
    let a = f.get("/api/tickets/abc").await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert!(!a.error().is_empty());
    f.stop().await;
}

/// Extend, appeal twice, bad bodies, close, then extend: on the store given.
async fn ticket_actions_scenario(db: Db) {
    let f = fixture(db, true).await;
    let [id, _, other] = f.tickets;
    let until = (crate::ticket::shanghai_date(clock::now()) + chrono::Duration::days(60)).to_string();

    let a = f.post(&format!("/api/tickets/{id}/extend"), json!({"until": until, "reason": "客户申请延期", "actor": "alice"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let d = a.json();
    assert_eq!(d["deadline"], until.as_str());
    assert_eq!(d["period"], 2);
    let history = d["history"].as_array().unwrap();
    assert_eq!(history.len(), 2);
    assert_eq!(history[1]["actor"], "alice");
    assert_eq!(history[1]["action"], "extension_granted");
    assert_eq!(history[1]["reason"], "客户申请延期");
    assert_eq!(f.shared.store.ticket_history(id).await.unwrap().len(), 2);

    let a = f.post(&format!("/api/tickets/{id}/appeal"), json!({"reason": "页脚已有备案号", "actor": "bob"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["appeal_state"], "pending");
    let a = f.post(&format!("/api/tickets/{id}/appeal"), json!({"reason": "again", "actor": "bob"})).await;
    assert_eq!(a.status, 409, "{}", a.text);
    assert!(a.error().contains("an appeal was already filed in this rectification period"), "{}", a.text);
    let a = f.post(&format!("/api/tickets/{id}/appeal"), json!({"reason": "checked", "actor": "carol", "outcome": "rejected"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["appeal_state"], "rejected");

    // Bad requests: JSON errors naming what is wrong, nothing recorded.
    for (body, status, needle) in [
        ("{\"until\": \"2026-13-01\", \"reason\": \"r\", \"actor\": \"a\"}", 400, "until: expected a date YYYY-MM-DD, got \"2026-13-01\""),
        ("{\"until\": \"next week\", \"reason\": \"r\", \"actor\": \"a\"}", 400, "\"next week\""),
        ("{\"reason\": \"r\", \"actor\": \"a\"}", 400, "until"),
        ("{\"until\": \"2099-01-01\", \"actor\": \"a\"}", 400, "missing field `reason`"),
        ("{\"until\": \"2099-01-01\", \"reason\": \"r\"}", 400, "missing field `actor`"),
        ("{\"until\": \"2099-01-01\", \"reason\": \" \", \"actor\": \"a\"}", 400, "reason"),
        ("{\"until\": \"2099-01-01\", \"reason\": \"r\", \"actor\": \"\"}", 400, "actor"),
        ("{\"until\": \"2099-01-01\", \"reason\": \"r\", \"actor\": \" Scanner\"}", 409, "kept for beiand's own actions"),
        ("{\"until\": \"2099-01-01\", \"reason\": \"r\", \"actor\": \"a\", \"refuse\": \"no\"}", 400, "refuse"),
        ("{\"until\": \"2099-01-01\", \"reason\": \"r\", \"actor\": \"a\", \"extra\": 1}", 400, "unknown field `extra`"),
        ("{\"until\": \"2099-01-01\", \"reason\": ", 400, "Failed to parse the request body as JSON"),
        ("not json", 400, "Failed to parse the request body as JSON"),
    ] {
        let a = f.post_raw(&format!("/api/tickets/{id}/extend"), body).await;
        assert_eq!(a.status, status, "{body}: {}", a.text);
        assert!(a.headers.get(CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("application/json"), "{body}");
        assert!(a.error().contains(needle), "{body}: {}", a.text);
    }
    let a = f.post(&format!("/api/tickets/{id}/appeal"), json!({"reason": "r", "actor": "a", "outcome": "maybe"})).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert!(a.error().contains("unknown variant `maybe`"), "{}", a.text);
    let a = f
        .send(f.client.post(format!("{}/api/tickets/{id}/close", f.base)).bearer_auth(TOKEN).body("{\"reason\":\"r\",\"actor\":\"a\"}"))
        .await;
    assert_eq!(a.status, 415, "no JSON content type: {}", a.text);
    assert!(a.error().contains("Content-Type"), "{}", a.text);
    let big = format!("{{\"reason\": \"{}\", \"actor\": \"a\"}}", "x".repeat(MAX_BODY_BYTES));
    let a = f.post_raw(&format!("/api/tickets/{id}/close"), &big).await;
    assert_eq!(a.status, 413, "{}", a.text);
    assert!(!a.error().is_empty());
    assert_eq!(f.shared.store.ticket_history(id).await.unwrap().len(), 4, "no bad request changed anything");

    let a = f.post(&format!("/api/tickets/{id}/close"), json!({"reason": "与人工工单重复", "actor": "alice"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["state"], "closed");
    let later = (crate::ticket::shanghai_date(clock::now()) + chrono::Duration::days(90)).to_string();
    let a = f.post(&format!("/api/tickets/{id}/extend"), json!({"until": later, "reason": "too late", "actor": "alice"})).await;
    assert_eq!(a.status, 409, "{}", a.text);
    assert!(a.error().contains("is closed"), "{}", a.text);

    // A refused extension is recorded, the deadline stands.
    let before = f.shared.store.ticket(other).await.unwrap().unwrap().deadline.to_string();
    let a = f.post(&format!("/api/tickets/{other}/extend"), json!({"refuse": true, "reason": "理由不充分", "actor": "alice"})).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["deadline"], before.as_str());
    assert_eq!(a.json()["history"][1]["action"], "extension_refused");

    let a = f.post("/api/tickets/9999/close", json!({"reason": "r", "actor": "a"})).await;
    assert_eq!((a.status, a.error()), (404, "no ticket #9999".to_string()));
    f.stop().await;
}

#[tokio::test]
async fn ticket_actions_change_tickets_and_refusals_are_conflicts_sqlite() {
    ticket_actions_scenario(Db::Sqlite).await;
}

#[tokio::test]
async fn ticket_actions_change_tickets_and_refusals_are_conflicts_postgres() {
    ticket_actions_scenario(Db::Postgres).await;
}

async fn scan_scenario(db: Db) {
    let f = fixture(db, true).await;
    let a = f.post("/api/scan", json!({"domain": "nowhere.example.cn"})).await;
    assert_eq!(a.status, 404, "{}", a.text);
    assert_eq!(a.error(), "no filing lists the domain nowhere.example.cn");
    let a = f.post("/api/scan", json!({"site_number": "京ICP备2099999999号-1"})).await;
    assert_eq!(a.status, 404, "{}", a.text);
    assert!(a.error().starts_with("no filing with site number"), "{}", a.text);
    for body in [json!({}), json!({"domain": "a.example.cn", "site_number": SITE_A}), json!({"domain": " "})] {
        let a = f.post("/api/scan", body.clone()).await;
        assert_eq!(a.status, 400, "{body}: {}", a.text);
        assert!(a.error().contains("exactly one of domain or site_number"), "{}", a.text);
    }
    let a = f.post("/api/scan", json!({"domaine": "a.example.cn"})).await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert!(a.error().contains("unknown field `domaine`"), "{}", a.text);
    let a = f.post("/api/scan", json!({"domain": "http://a.example.cn/"})).await;
    assert_eq!((a.status, a.error()), (400, "domain: \"http://a.example.cn/\" is not a domain name".to_string()), "{}", a.text);
    let a = f.post("/api/scan", json!({"domain": "例子.中国网"})).await;
    assert_eq!((a.status, a.error()), (404, "no filing lists the domain xn--fsqu00a.xn--fiqs8s688a (例子.中国网)".to_string()), "{}", a.text);

    let a = f.post("/api/scan", json!({"domain": "A.example.cn"})).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let one = a.json()["run_id"].as_i64().unwrap();
    assert_eq!(a.headers.get("location").unwrap().to_str().unwrap(), format!("/api/runs/{one}"));
    let a = f.post("/api/scan", json!({"site_number": SITE_A})).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let two = a.json()["run_id"].as_i64().unwrap();
    assert_ne!(one, two);
    assert_eq!(f.shared.store.run_progress(one).await.unwrap(), (0, 1));
    assert_eq!(f.shared.store.run_progress(two).await.unwrap(), (0, 2));

    let a = f.get("/api/runs").await;
    assert_eq!(a.status, 200, "{}", a.text);
    let runs = a.json();
    assert_eq!(runs[0]["id"], two);
    assert_eq!(runs[1]["id"], one);
    assert_eq!(runs[0]["profile"], "api");
    assert_eq!(runs[0]["state"], "running");
    assert_eq!(runs[0]["probes"], ProbeSet::ALL.names().as_str());
    assert_eq!(f.get("/api/runs?limit=1").await.json().as_array().unwrap().len(), 1);
    for q in ["limit=0", "limit=1001", "limit=x"] {
        let a = f.get(&format!("/api/runs?{q}")).await;
        assert_eq!(a.status, 400, "{q}: {}", a.text);
        assert!(a.error().contains("from 1 to 1000"), "{}", a.text);
    }

    let a = f.get(&format!("/api/runs/{two}")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(a.json()["progress"], json!({"done": 0, "total": 2}));
    assert!(a.json().get("results").is_none());
    let a = f.get(&format!("/api/runs/{two}?results=true")).await;
    assert_eq!(a.json()["results"], json!([]));
    assert_eq!(a.json()["results_total"], 0);
    let a = f.get("/api/runs/9999").await;
    assert_eq!((a.status, a.error()), (404, "no run #9999".to_string()));

    // A domain is looked up in the form import stores it in: 例子.中国 is xn--fsqu00a.xn--fiqs8s.
    let a = f.post("/api/scan", json!({"domain": "例子.中国"})).await;
    assert_eq!(a.status, 202, "{}", a.text);
    let three = a.json()["run_id"].as_i64().unwrap();
    assert_eq!(f.shared.store.run_progress(three).await.unwrap(), (0, 1));
    f.stop().await;
}

#[tokio::test]
async fn scans_are_queued_for_known_targets_only_sqlite() {
    scan_scenario(Db::Sqlite).await;
}

#[tokio::test]
async fn scans_are_queued_for_known_targets_only_postgres() {
    scan_scenario(Db::Postgres).await;
}

#[tokio::test]
async fn a_run_shows_its_stored_results_as_json() {
    let f = fixture(Db::Sqlite, true).await;
    let store = &f.shared.store;
    let now = clock::now();
    let id = store.start_run("manual", "dns,http,page", 1, now).await.unwrap();
    let evidence = json!({"site_number": SITE_A, "domain": "a.example.cn", "title": "<b>甲站</b>", "findings": [{"code": "page.number_missing"}]});
    let row = ResultRow {
        site_number: SITE_A.into(),
        domain: "a.example.cn".into(),
        checked_at: now,
        inconclusive: false,
        http_status: Some(200),
        final_url: Some("http://a.example.cn/".into()),
        title: Some("<b>甲站</b>".into()),
        codes: "page.number_missing".into(),
        evidence: evidence.to_string(),
    };
    store.record_results(id, &[row]).await.unwrap();
    store.finish_run(id, "completed", 1, 0, 1, None, now).await.unwrap();
    let a = f.get(&format!("/api/runs/{id}?results=true")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let v = a.json();
    assert_eq!(v["state"], "completed");
    assert_eq!(v["results"], json!([evidence]));
    assert_eq!(v["results_total"], 1);
    // Not a queued run: progress comes from the run's own counts.
    assert_eq!(v["progress"], json!({"done": 1, "total": 1}));
    // Website text is served as JSON, never as HTML.
    assert!(a.headers.get(CONTENT_TYPE).unwrap().to_str().unwrap().starts_with("application/json"));
    f.stop().await;
}

/// Filings and a run's results page by `limit` and `offset`, with the total before paging.
async fn paging_scenario(db: Db) {
    let f = fixture(db, true).await;
    let sites = |a: &Answer| -> Vec<String> {
        a.json().as_array().unwrap().iter().map(|f| f["site_number"].as_str().unwrap().to_string()).collect()
    };
    let total = |a: &Answer| a.headers.get("x-total-count").unwrap().to_str().unwrap().to_string();

    let all = f.get("/api/filings").await;
    assert_eq!(all.status, 200, "{}", all.text);
    let order = sites(&all);
    assert_eq!(order.len(), 3);
    let a = f.get("/api/filings?limit=2&offset=1").await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!((sites(&a), total(&a)), (order[1..].to_vec(), "3".to_string()));
    let a = f.get("/api/filings?offset=2").await;
    assert_eq!((sites(&a), total(&a)), (order[2..].to_vec(), "3".to_string()));
    for q in ["offset=3", "offset=1000000&limit=10000", "status=active&offset=2"] {
        let a = f.get(&format!("/api/filings?{q}")).await;
        assert_eq!(a.status, 200, "{q}: {}", a.text);
        assert_eq!(a.json(), json!([]), "{q}: past the end");
    }
    let a = f.get("/api/filings?status=active&offset=2").await;
    assert_eq!(total(&a), "2", "the total counts the filtered filings");
    let a = f.get("/api/filings?status=active&limit=1&offset=1").await;
    assert_eq!((sites(&a), total(&a)), (vec![SITE_C.to_string()], "2".to_string()));
    let a = f.get("/api/filings?domain=a.example.cn&offset=1").await;
    assert_eq!((a.json(), total(&a)), (json!([]), "1".to_string()));
    let a = f.get("/api/filings?limit=10000").await;
    assert_eq!(sites(&a), order);
    let a = f.get("/api/filings?limit=10001").await;
    assert_eq!(a.status, 400, "{}", a.text);
    assert_eq!(a.error(), "limit: expected a whole number from 1 to 10000, got \"10001\"");

    let store = &f.shared.store;
    let now = clock::now();
    let id = store.start_run("manual", "dns,http,page", 3, now).await.unwrap();
    let row = |site: &str, domain: &str| ResultRow {
        site_number: site.into(),
        domain: domain.into(),
        checked_at: now,
        inconclusive: false,
        http_status: None,
        final_url: None,
        title: None,
        codes: String::new(),
        evidence: json!({"site_number": site, "domain": domain}).to_string(),
    };
    let rows = [row(SITE_C, "c.example.cn"), row(SITE_A, "www.a.example.cn"), row(SITE_A, "a.example.cn")];
    store.record_results(id, &rows).await.unwrap();
    store.finish_run(id, "completed", 3, 0, 0, None, now).await.unwrap();
    let domains = |a: &Answer| -> Vec<String> {
        a.json()["results"].as_array().unwrap().iter().map(|r| r["domain"].as_str().unwrap().to_string()).collect()
    };
    let a = f.get(&format!("/api/runs/{id}?results=true")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(domains(&a), ["a.example.cn", "c.example.cn", "www.a.example.cn"]);
    assert_eq!(a.json()["results_total"], 3);
    let a = f.get(&format!("/api/runs/{id}?results=true&limit=2&offset=1")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!(domains(&a), ["c.example.cn", "www.a.example.cn"]);
    assert_eq!(a.json()["results_total"], 3);
    assert_eq!(a.json()["state"], "completed", "the run is there on every page");
    let a = f.get(&format!("/api/runs/{id}?results=true&offset=3")).await;
    assert_eq!(a.status, 200, "{}", a.text);
    assert_eq!((a.json()["results"].clone(), a.json()["results_total"].clone()), (json!([]), json!(3)));
    for (q, needle) in [
        ("results=true&limit=10001", "limit: expected a whole number from 1 to 10000, got \"10001\""),
        ("results=true&limit=0", "from 1 to 10000"),
        ("results=true&offset=-5", "offset: expected a whole number, 0 or more, got \"-5\""),
        ("limit=2", "give results=true"),
        ("results=false&offset=1", "give results=true"),
    ] {
        let a = f.get(&format!("/api/runs/{id}?{q}")).await;
        assert_eq!(a.status, 400, "{q}: {}", a.text);
        assert!(a.error().contains(needle), "{q}: {}", a.text);
    }
    f.stop().await;
}

#[tokio::test]
async fn filings_and_run_results_are_paged_sqlite() {
    paging_scenario(Db::Sqlite).await;
}

#[tokio::test]
async fn filings_and_run_results_are_paged_postgres() {
    paging_scenario(Db::Postgres).await;
}

#[tokio::test]
async fn unknown_paths_and_methods_answer_json() {
    let f = fixture(Db::Sqlite, true).await;
    for path in ["/", "/nope", "/api/nope", "/api/tickets/1/reopen"] {
        let a = f.get(path).await;
        assert_eq!(a.status, 404, "{path}: {}", a.text);
        assert!(a.error().contains(path), "{}", a.text);
    }
    let a = f.send(f.client.delete(format!("{}/api/tickets/1", f.base)).bearer_auth(TOKEN)).await;
    assert_eq!(a.status, 405, "{}", a.text);
    assert!(a.error().contains("DELETE"), "{}", a.text);
    let a = f.send(f.client.get(format!("{}/api/scan", f.base)).bearer_auth(TOKEN)).await;
    assert_eq!(a.status, 405, "{}", a.text);
    f.stop().await;
}

#[test]
fn tokens_compare_whole() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"abcd"));
    assert!(!constant_time_eq(b"", b"a"));
    assert!(constant_time_eq(b"", b""));
    assert_eq!(bearer(b"Bearer  tok "), Some(&b"tok"[..]));
    assert_eq!(bearer(b"BEARER tok"), Some(&b"tok"[..]));
    assert_eq!(bearer(b"Bearer "), None);
    assert_eq!(bearer(b"Basic tok"), None);
    assert_eq!(bearer(b"Bearertok"), None);
}
