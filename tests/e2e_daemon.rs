//! End to end: `beiand run` against a real nsd and a real nginx on loopback.
//!
//! - on SQLite: schedules firing every two seconds produce runs and exactly one ticket for the one
//!   bad site; READY=1 and STOPPING=1 reach a notify socket; a broken config on SIGHUP is refused
//!   and the old one keeps working, a good one takes effect; SIGTERM exits 0 with nothing leased;
//!   the admin API answers 401 without the token and serves Prometheus text with it;
//! - on SQLite: SIGTERM in the middle of a run hands the unfinished domains back and exits 0;
//!   `kill -9` in the middle of a run, then a restart, finishes that run with exactly one result
//!   per domain and no duplicated ticket; a second stop signal cuts the drain short;
//! - on PostgreSQL: two instances share one run, each domain checked once, and the work of an
//!   instance killed mid-run is finished by the other.

mod world;

use std::collections::BTreeSet;
use std::io::Read;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use world::{Serve, Site, World, ZONE};

const SUBJECT: &str = "京ICP备2025000001号";
const TOKEN: &str = "e2e-secret-token";

fn page(n: usize, with_number: bool) -> Vec<u8> {
    let number = if with_number {
        format!("<a href=\"https://beian.miit.gov.cn/\">{SUBJECT}-{n}</a>")
    } else {
        "© 2026".to_string()
    };
    format!(
        "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>首页 - 守护站点{n}</title></head>\
         <body><main>欢迎</main><footer>{number}</footer></body></html>"
    )
    .into_bytes()
}

/// `n` compliant sites `s1..sn` spread over `addrs`, plus `bad` (no number) on the first.
fn world(n: usize, addrs: &[&str]) -> World {
    let mut records = String::new();
    let mut sites = Vec::new();
    for i in 1..=n {
        records.push_str(&format!("s{i} IN A {}\n", addrs[i % addrs.len()]));
        sites.push(Site { host: format!("s{i}.{ZONE}"), http: Serve::Page(page(i, true)), https: None });
    }
    records.push_str(&format!("bad IN A {}\n", addrs[0]));
    sites.push(Site { host: format!("bad.{ZONE}"), http: Serve::Page(page(n + 1, false)), https: None });
    World::start(&records, &sites)
}

fn filings_csv(n: usize) -> String {
    let mut csv = String::from("site_number,site_name,domains\n");
    for i in 1..=n + 1 {
        let label = if i == n + 1 { "bad".to_string() } else { format!("s{i}") };
        csv.push_str(&format!("{SUBJECT}-{i},守护站点{i},{label}.{ZONE}\n"));
    }
    csv
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct Setup {
    config: PathBuf,
    listen: String,
    db: String,
}

/// Writes the world's config with a database, a token, the given `[scan]` lines and schedules.
fn setup(w: &World, name: &str, db: &str, scan: &str, schedules: &str) -> Setup {
    let config = w.write_config(name, w.dns_port);
    std::fs::write(w.path().join("token"), format!("{TOKEN}\n")).unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let text = std::fs::read_to_string(&config).unwrap().replace(&format!("url = \"sqlite://{name}.db\""), &format!("url = \"{db}\""));
    let text = format!(
        "{text}[scan]\n{scan}\n[tickets]\nconfirm_scans = 1\nconfirm_hours = 0\n\
         [server]\nlisten = \"{listen}\"\ntoken_file = \"token\"\n{schedules}"
    );
    std::fs::write(&config, text).unwrap();
    let db = match db.strip_prefix("sqlite://") {
        Some(file) => format!("sqlite://{}/{file}", w.path().display()),
        None => db.to_string(),
    };
    Setup { config, listen, db }
}

fn cli(config: &Path, args: &[&str]) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_beiand")).arg("--config").arg(config).args(args).env_remove("BEIAND_NOW").output().unwrap();
    assert!(o.status.success(), "beiand {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

struct Daemon {
    child: Child,
    log: PathBuf,
}

impl Daemon {
    fn start(config: &Path, log: PathBuf, now: Option<&str>, notify: Option<&Path>) -> Daemon {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_beiand"));
        cmd.arg("--config").arg(config).arg("run").env("RUST_LOG", "info").env_remove("BEIAND_NOW").env_remove("NOTIFY_SOCKET");
        if let Some(now) = now {
            cmd.env("BEIAND_NOW", now);
        }
        if let Some(sock) = notify {
            // As systemd with WatchdogSec=2s would: pings expected every second.
            cmd.env("NOTIFY_SOCKET", sock).env("WATCHDOG_USEC", "2000000");
        }
        let file = std::fs::OpenOptions::new().create(true).append(true).open(&log).unwrap();
        let child = cmd.stdout(Stdio::null()).stderr(file).spawn().unwrap();
        Daemon { child, log }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn signal(&self, sig: &str) {
        assert!(Command::new("kill").args([&format!("-{sig}"), &self.child.id().to_string()]).status().unwrap().success());
    }

    fn wait_exit(&mut self, within: Duration) -> Option<i32> {
        let deadline = Instant::now() + within;
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("beiand did not exit within {within:?}; log:\n{}", self.log());
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait_for<T>(what: &str, within: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + within;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out after {within:?} waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Queries the database the daemon writes (one connection per call, closed after).
fn query(db: &str, sql: &str) -> Vec<Vec<String>> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        use sqlx::Row;
        sqlx::any::install_default_drivers();
        let pool = sqlx::any::AnyPoolOptions::new().max_connections(1).connect(db).await.expect("connect");
        let rows = sqlx::query(sql).fetch_all(&pool).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        let out = rows
            .iter()
            .map(|r| {
                (0..r.columns().len())
                    .map(|i| {
                        r.try_get::<String, _>(i)
                            .or_else(|_| r.try_get::<i64, _>(i).map(|v| v.to_string()))
                            .or_else(|_| r.try_get::<Option<String>, _>(i).map(|v| v.unwrap_or_default()))
                            .unwrap_or_default()
                    })
                    .collect()
            })
            .collect();
        pool.close().await;
        out
    })
}

fn count(db: &str, sql: &str) -> i64 {
    query(db, sql)[0][0].parse().unwrap()
}

/// Every finished run has exactly one result per queued target, each domain once.
fn assert_each_domain_once(db: &str, run: i64) {
    let targets = count(db, &format!("SELECT COUNT(*) FROM run_targets WHERE run_id = {run}"));
    let results = count(db, &format!("SELECT COUNT(*) FROM results WHERE run_id = {run}"));
    let distinct = count(db, &format!("SELECT COUNT(*) FROM (SELECT DISTINCT site_number, domain FROM results WHERE run_id = {run}) d"));
    assert!(targets > 0, "run {run} has targets");
    assert_eq!((results, distinct), (targets, targets), "run {run}: one result per domain");
}

fn http(listen: &str, path: &str, token: Option<&str>) -> (u16, String, String) {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(listen).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    write!(s, "GET {path} HTTP/1.1\r\nHost: {listen}\r\n{auth}Connection: close\r\n\r\n").unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head.split_whitespace().nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, head.to_string(), body.to_string())
}

/// `promtool check metrics` (scripts/test.sh unpacks it from Debian's prometheus package).
fn promtool_accepts(body: &str) {
    use std::io::Write;
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (scripts/test.sh installs it)");
    child.stdin.take().unwrap().write_all(body.as_bytes()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool rejects /metrics:\n{}{}\n{body}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn daemon_schedules_reloads_serves_and_stops_cleanly() {
    let w = world(6, &["127.10.0.1", "127.10.0.2"]);
    let every2 = "[[schedule]]\nname = \"fast\"\ncron = \"*/2 * * * * *\"\nselect = \"all\"\nspread_seconds = 0\n";
    let s = setup(&w, "daemon", "sqlite://daemon.db", "per_address_rate = 0", every2);
    std::fs::write(w.path().join("filings.csv"), filings_csv(6)).unwrap();
    cli(&s.config, &["import", w.path().join("filings.csv").to_str().unwrap()]);

    let sock_path = w.path().join("notify.sock");
    let sock = UnixDatagram::bind(&sock_path).unwrap();
    sock.set_read_timeout(Some(Duration::from_millis(200))).unwrap();
    // Read the notifications as systemd would, all along.
    let notes = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let reading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let reader = {
        let (notes, reading) = (notes.clone(), reading.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while reading.load(std::sync::atomic::Ordering::Relaxed) {
                if let Ok(n) = sock.recv(&mut buf) {
                    notes.lock().unwrap().push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        })
    };
    let mut d = Daemon::start(&s.config, w.path().join("daemon.log"), None, Some(&sock_path));
    wait_for("READY=1", Duration::from_secs(30), || notes.lock().unwrap().contains("READY=1").then_some(()));

    // Runs appear and the bad site is ticketed exactly once, however many runs see it.
    let db = &s.db;
    wait_for("three finished runs", Duration::from_secs(40), || {
        (count(db, "SELECT COUNT(*) FROM runs WHERE profile = 'fast' AND state = 'completed'") >= 3).then_some(())
    });
    let tickets: serde_json::Value = serde_json::from_str(&cli(&s.config, &["tickets", "list", "--json"])).unwrap();
    let tickets = tickets.as_array().unwrap();
    assert_eq!(tickets.len(), 1, "{tickets:?}");
    assert_eq!(tickets[0]["site_number"], format!("{SUBJECT}-7"));
    assert_eq!(tickets[0]["code"], "page.number_missing");
    for r in query(db, "SELECT id FROM runs WHERE state = 'completed'") {
        assert_each_domain_once(db, r[0].parse().unwrap());
    }

    // The admin API: 401 without the token, Prometheus text with it, /healthz open.
    assert_eq!(http(&s.listen, "/healthz", None).0, 200);
    let (status, head, _) = http(&s.listen, "/metrics", None);
    assert_eq!(status, 401, "{head}");
    assert_eq!(http(&s.listen, "/api/tickets", Some("wrong")).0, 401);
    let (status, head, body) = http(&s.listen, "/metrics", Some(TOKEN));
    assert_eq!(status, 200, "{head}\n{body}");
    assert!(head.to_ascii_lowercase().contains("content-type: text/plain"), "{head}");
    assert!(body.contains("# TYPE beiand_checks_total counter"), "{body}");
    assert!(body.contains("beiand_tickets{state=\"open\"} 1"), "{body}");
    assert!(body.contains("beiand_last_run_timestamp_seconds{profile=\"fast\",state=\"completed\"}"), "{body}");
    promtool_accepts(&body);

    // SQLite is for one instance: a second `beiand run` on the same database refuses to start.
    let mut second = Daemon::start(&s.config, w.path().join("second.log"), None, None);
    assert_ne!(second.wait_exit(Duration::from_secs(20)), Some(0));
    assert!(second.log().contains("another beiand run uses the SQLite database"), "{}", second.log());

    // A broken config on SIGHUP is refused; the old schedule keeps running.
    let good = std::fs::read_to_string(&s.config).unwrap();
    std::fs::write(&s.config, good.replace("cron = \"*/2 * * * * *\"", "cron = \"every two seconds\"")).unwrap();
    d.signal("HUP");
    wait_for("the refusal in the log", Duration::from_secs(10), || d.log().contains("the new configuration is refused").then_some(()));
    assert!(d.log().contains("invalid cron expression"), "{}", d.log());
    let before = count(db, "SELECT COUNT(*) FROM runs WHERE profile = 'fast' AND state = 'completed'");
    wait_for("a run after the refused reload", Duration::from_secs(20), || {
        (count(db, "SELECT COUNT(*) FROM runs WHERE profile = 'fast' AND state = 'completed'") > before).then_some(())
    });

    // A good config takes effect: the profile is replaced.
    std::fs::write(&s.config, good.replace("name = \"fast\"", "name = \"renamed\"")).unwrap();
    d.signal("HUP");
    wait_for("a run of the new profile", Duration::from_secs(20), || {
        (count(db, "SELECT COUNT(*) FROM runs WHERE profile = 'renamed' AND state = 'completed'") >= 1).then_some(())
    });

    // SIGTERM: exit 0, STOPPING=1, nothing left leased, no run left half-applied.
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(20)), Some(0), "log:\n{}", d.log());
    std::thread::sleep(Duration::from_millis(300));
    reading.store(false, std::sync::atomic::Ordering::Relaxed);
    reader.join().unwrap();
    let notes = notes.lock().unwrap().clone();
    assert!(notes.contains("STOPPING=1"), "{notes}");
    assert!(notes.contains("STATUS="), "{notes}");
    assert!(notes.contains("WATCHDOG=1"), "{notes}");
    assert_eq!(count(db, "SELECT COUNT(*) FROM run_targets WHERE state = 'leased'"), 0);
    assert_eq!(
        count(db, "SELECT COUNT(*) FROM runs WHERE state = 'completed' AND id NOT IN (SELECT run_id FROM ticket_runs)"),
        0,
        "every finished run applied to the tickets"
    );
    let tickets: serde_json::Value = serde_json::from_str(&cli(&s.config, &["tickets", "list", "--json"])).unwrap();
    assert_eq!(tickets.as_array().unwrap().len(), 1, "still one ticket: {tickets}");
}

#[test]
fn a_second_stop_signal_cuts_the_drain_short() {
    let n = 4;
    let w = world(n, &["127.10.0.1"]);
    let s = setup(&w, "hurry", "sqlite://hurry.db", "concurrency = 8\ndrain_seconds = 60", NIGHTLY);
    // A nameserver that never answers, asked with a minute's patience: every check stays in flight.
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let text = std::fs::read_to_string(&s.config)
        .unwrap()
        .replace(&format!("127.0.0.1:{}", w.dns_port), &silent.local_addr().unwrap().to_string())
        .replace("timeout_ms = 500", "timeout_ms = 60000");
    std::fs::write(&s.config, text).unwrap();
    std::fs::write(w.path().join("filings.csv"), filings_csv(n)).unwrap();
    cli(&s.config, &["import", w.path().join("filings.csv").to_str().unwrap()]);
    let db = &s.db;
    let mut d = Daemon::start(&s.config, w.path().join("hurry.log"), Some(BEFORE_TWO), None);
    wait_for("the checks to start", Duration::from_secs(20), || {
        (count(db, "SELECT COUNT(*) FROM run_targets WHERE state = 'leased'") > 0).then_some(())
    });
    d.signal("TERM");
    wait_for("the drain to begin", Duration::from_secs(10), || d.log().contains("stopping: waiting up to 60 s").then_some(()));
    d.signal("INT");
    assert_eq!(d.wait_exit(Duration::from_secs(15)), Some(0), "log:\n{}", d.log());
    assert!(d.log().contains("a second stop signal"), "{}", d.log());
    assert_eq!(count(db, "SELECT COUNT(*) FROM run_targets WHERE state = 'leased'"), 0, "handed back");
}

/// The clock starts two seconds before a nightly profile fires (`BEIAND_NOW`, advancing).
const BEFORE_TWO: &str = "2026-10-09T01:59:58+08:00";
const NIGHTLY: &str = "[[schedule]]\nname = \"nightly\"\ncron = \"0 0 2 * * *\"\nselect = \"active\"\nspread_seconds = 0\n";

fn done_in(db: &str, run: i64) -> i64 {
    count(db, &format!("SELECT COUNT(*) FROM run_targets WHERE run_id = {run} AND state = 'done'"))
}

#[test]
fn sigterm_and_kill_9_mid_run_then_restarts_finish_the_run() {
    let n = 40;
    let w = world(n, &["127.10.0.1"]);
    // One address at 10 fetches/s: the run takes about four seconds of checking.
    let s = setup(
        &w,
        "crash",
        "sqlite://crash.db",
        "per_address_rate = 10\nper_address_burst = 1\nconcurrency = 4\nlease_seconds = 3\ndrain_seconds = 5",
        NIGHTLY,
    );
    std::fs::write(w.path().join("filings.csv"), filings_csv(n)).unwrap();
    cli(&s.config, &["import", w.path().join("filings.csv").to_str().unwrap()]);
    let db = &s.db;
    let log = w.path().join("crash.log");
    let all = (n + 1) as i64;

    // 1. SIGTERM mid-run: checks in flight finish, the rest goes back to the queue, exit 0.
    let mut d = Daemon::start(&s.config, log.clone(), Some(BEFORE_TWO), None);
    let run: i64 = wait_for("the nightly run to start", Duration::from_secs(20), || {
        query(db, "SELECT id FROM runs WHERE profile = 'nightly'").first().map(|r| r[0].parse().unwrap())
    });
    wait_for("some progress", Duration::from_secs(20), || (done_in(db, run) >= 5).then_some(()));
    d.signal("TERM");
    assert_eq!(d.wait_exit(Duration::from_secs(15)), Some(0), "{}", d.log());
    let done = done_in(db, run);
    assert!(done < all, "stopped mid-run ({done} done)");
    assert_eq!(count(db, "SELECT COUNT(*) FROM run_targets WHERE state = 'leased'"), 0, "nothing left leased");
    assert_eq!(count(db, &format!("SELECT COUNT(*) FROM results WHERE run_id = {run}")), done, "a result for each done domain only");
    assert_eq!(query(db, &format!("SELECT state FROM runs WHERE id = {run}"))[0][0], "running");

    // 2. Restarted at the same instant, then killed -9 mid-run.
    let mut d = Daemon::start(&s.config, log.clone(), Some(BEFORE_TWO), None);
    wait_for("more progress", Duration::from_secs(20), || (done_in(db, run) >= done + 5).then_some(()));
    d.signal("KILL");
    d.wait_exit(Duration::from_secs(5));
    let done = done_in(db, run);
    assert!(done < all, "killed mid-run ({done} done); log:\n{}", d.log());
    assert_eq!(query(db, &format!("SELECT state FROM runs WHERE id = {run}"))[0][0], "running");

    // 3. Restarted again: the interrupted run is finished, not queued a second time.
    let d = Daemon::start(&s.config, log, Some(BEFORE_TWO), None);
    wait_for("the interrupted run to finish", Duration::from_secs(40), || {
        (query(db, &format!("SELECT state FROM runs WHERE id = {run}"))[0][0] == "completed").then_some(())
    });
    assert!(d.log().contains("resuming run"), "{}", d.log());
    assert_eq!(count(db, "SELECT COUNT(*) FROM runs WHERE profile = 'nightly'"), 1, "one run for the instant");
    assert_each_domain_once(db, run);
    wait_for("the run applied to the tickets", Duration::from_secs(10), || {
        (count(db, &format!("SELECT COUNT(*) FROM ticket_runs WHERE run_id = {run}")) == 1).then_some(())
    });
    let tickets = query(db, "SELECT site_number, code FROM tickets");
    assert_eq!(tickets, vec![vec![format!("{SUBJECT}-{}", n + 1), "page.number_missing".to_string()]]);
}

fn fresh_pg() -> String {
    let admin = std::env::var("BEIAND_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("beiand_daemon_{}_{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_007);
    query(&admin, &format!("CREATE DATABASE {name}"));
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

#[test]
fn two_instances_on_postgres_share_a_run_and_finish_a_dead_ones_work() {
    let n = 80;
    let w = world(n, &["127.10.0.1", "127.10.0.2"]);
    let pg = fresh_pg();
    let scan = "per_address_rate = 4\nper_address_burst = 1\nconcurrency = 4\nlease_seconds = 3";
    let a = setup(&w, "a", &pg, scan, NIGHTLY);
    std::fs::write(w.path().join("filings.csv"), filings_csv(n)).unwrap();
    cli(&a.config, &["import", w.path().join("filings.csv").to_str().unwrap()]);
    // The second instance: same database and world, its own API port.
    let b_config = w.path().join("b.toml");
    let b_listen = format!("127.0.0.1:{}", free_port());
    std::fs::write(&b_config, std::fs::read_to_string(&a.config).unwrap().replace(&a.listen, &b_listen)).unwrap();

    let mut da = Daemon::start(&a.config, w.path().join("a.log"), Some(BEFORE_TWO), None);
    let db = &pg;
    wait_for("instance a to be up", Duration::from_secs(20), || da.log().contains("next run of nightly").then_some(()));
    let db_b = Daemon::start(&b_config, w.path().join("b.log"), Some(BEFORE_TWO), None);
    let run: i64 = wait_for("the nightly run", Duration::from_secs(20), || {
        query(db, "SELECT id FROM runs WHERE profile = 'nightly'").first().map(|r| r[0].parse().unwrap())
    });
    let pid_a = da.child.id();
    let owned_by = |pid: u32| count(db, &format!("SELECT COUNT(*) FROM run_targets WHERE run_id = {run} AND state = 'done' AND lease_owner LIKE '%:{pid}:%'"));
    wait_for("both instances working", Duration::from_secs(30), || (owned_by(pid_a) >= 5 && owned_by(db_b.child.id()) >= 1).then_some(()));
    da.signal("KILL");
    da.wait_exit(Duration::from_secs(5));
    let by_a = owned_by(pid_a);
    let total = count(db, &format!("SELECT COUNT(*) FROM run_targets WHERE run_id = {run}"));
    assert!(by_a < total, "a was killed mid-run");

    wait_for("b to finish the run", Duration::from_secs(60), || {
        (query(db, &format!("SELECT state FROM runs WHERE id = {run}"))[0][0] == "completed").then_some(())
    });
    assert_eq!(count(db, "SELECT COUNT(*) FROM runs WHERE profile = 'nightly'"), 1, "both instances fired one run");
    assert_each_domain_once(db, run);
    let by_b = owned_by(db_b.child.id());
    assert_eq!(by_a + by_b, total, "every domain checked by a (before it died) or b");
    // What a held when it died was taken over: checked again by b, not lost.
    let retried = count(db, &format!("SELECT COUNT(*) FROM run_targets WHERE run_id = {run} AND attempts > 1"));
    assert!(retried >= 1, "a's claims were taken over after their lease expired");
    let owners: BTreeSet<String> =
        query(db, &format!("SELECT lease_owner FROM run_targets WHERE run_id = {run}")).into_iter().map(|r| r[0].clone()).collect();
    assert_eq!(owners.len(), 2, "{owners:?}");
    wait_for("the run applied to the tickets once", Duration::from_secs(10), || {
        (count(db, &format!("SELECT COUNT(*) FROM ticket_runs WHERE run_id = {run}")) == 1).then_some(())
    });
    let tickets = query(db, "SELECT site_number, code FROM tickets ORDER BY id");
    assert_eq!(tickets.len(), 1, "{tickets:?}\na's log:\n{}\nb's log:\n{}", da.log(), db_b.log());
}
