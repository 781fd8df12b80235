//! `beiand import` through the real binary, on SQLite and on PostgreSQL: good rows are stored, each
//! bad row is named on stderr by line, re-import updates, `--prune` marks the rest removed.

use std::path::{Path, PathBuf};
use std::process::Command;

fn beiand(config: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_beiand")).arg("--config").arg(config).args(args).output().expect("run beiand")
}

/// A fresh PostgreSQL database on the test server, as a URL.
fn fresh_pg() -> String {
    let admin = std::env::var("BEIAND_TEST_PG").unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".into());
    let name = format!("beiand_cli_{}_{}", std::process::id(), std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() % 1_000_000_007);
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        use sqlx::Executor;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&admin).await.expect("PostgreSQL test server");
        pool.execute(format!("CREATE DATABASE {name}").as_str()).await.expect("create database");
        pool.close().await;
    });
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

fn config(dir: &Path, db: &str) -> PathBuf {
    std::fs::write(dir.join("inventory.csv"), "cidr,region,in_region,label\n47.92.0.0/14,cn-beijing,true,华北2\n").unwrap();
    let path = dir.join("beiand.toml");
    std::fs::write(
        &path,
        format!("[database]\nurl = \"{db}\"\n[provider]\nname = \"示例云\"\ninventory = \"inventory.csv\"\n[dns]\nnameservers = [\"127.0.0.1:53\"]\n"),
    )
    .unwrap();
    path
}

const MIXED: &str = "site_number,site_name,domains,status\n\
京ICP备2024000001号-1,甲站,a.example.cn;www.a.example.cn,正常\n\
京ICP证030173号,坏行,bad.example.cn,\n\
京ICP备2024000001号-2,乙站,b.example.cn,access_cancelled\n\
京ICP备2024000001号-3,丙站,c.example.cn,closed\n\
京ICP备2024000001号-4,,d.example.cn,\n";

fn run_import_scenario(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), db);
    let file = dir.path().join("filings.csv");
    std::fs::write(&file, MIXED).unwrap();
    let out = beiand(&cfg, &["import", file.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("imported 2, updated 0, rejected 3 in "), "{stdout}");
    for line in [3, 5, 6] {
        assert!(stderr.contains(&format!("filings.csv:{line}: ")), "line {line} not named: {stderr}");
    }
    assert!(stderr.contains("licence"), "{stderr}");
    assert!(stderr.contains("status \"closed\""), "{stderr}");

    // Re-import updates by site number; --strict reports the rejected rows in the exit code.
    let out = beiand(&cfg, &["import", "--strict", file.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("imported 0, updated 2, rejected 3"));

    // --prune is not done on a file with a rejected row: that row's filing would be removed.
    let jsonl = dir.path().join("filings.jsonl");
    std::fs::write(
        &jsonl,
        "{\"site_number\":\"京ICP备2024000001号-1\",\"site_name\":\"甲站\",\"domains\":[\"a.example.cn\"]}\n\
         {\"site_number\":\"京ICP备2024000001号-2\",\"site_name\":\"乙站\",\"domains\":[\"b.example.cn\"],\"status\":\"Active\"}\n",
    )
    .unwrap();
    let out = beiand(&cfg, &["import", "--prune", jsonl.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("imported 0, updated 1, rejected 1 in "), "{stdout}");
    assert!(stderr.contains("--prune not done: 1 rows were rejected"), "{stderr}");

    // --prune marks what the file no longer mentions.
    std::fs::write(&jsonl, "{\"site_number\":\"京ICP备2024000001号-1\",\"site_name\":\"甲站\",\"domains\":[\"a.example.cn\"]}\n").unwrap();
    let out = beiand(&cfg, &["import", "--prune", jsonl.to_str().unwrap()]);
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("imported 0, updated 1, rejected 0, pruned 1"), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn import_on_sqlite() {
    run_import_scenario("sqlite://data/beiand.db");
}

#[test]
fn import_on_postgres() {
    run_import_scenario(&fresh_pg());
}

#[test]
fn a_bad_config_names_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "sqlite://x.db");
    let text = std::fs::read_to_string(&cfg).unwrap().replace("[dns]\n", "[dns]\ntimeout = 5\n");
    std::fs::write(&cfg, text).unwrap();
    let out = beiand(&cfg, &["config", "check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("beiand.toml") && stderr.contains("line 7") && stderr.contains("timeout"), "{stderr}");
}

#[test]
fn config_check_reads_what_run_reads() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "sqlite://x.db");
    let out = beiand(&cfg, &["config", "check"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains(": ok (") && stdout.contains("API token not configured"), "{stdout}");

    // A token file that `run` could not read fails the check, naming the key and the file.
    let text = std::fs::read_to_string(&cfg).unwrap() + "[server]\ntoken_file = \"token\"\n";
    std::fs::write(&cfg, text).unwrap();
    let out = beiand(&cfg, &["config", "check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("server.token_file") && stderr.contains("token"), "{stderr}");
    assert!(stderr.contains("beiand.toml"), "the config file is named: {stderr}");

    std::fs::write(dir.path().join("token"), "s3cret\n").unwrap();
    let out = beiand(&cfg, &["config", "check"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("API token read"));

    // Address data that cannot be read names the config file, the key and the file.
    std::fs::remove_file(dir.path().join("inventory.csv")).unwrap();
    let out = beiand(&cfg, &["config", "check"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("beiand.toml") && stderr.contains("provider.inventory") && stderr.contains("inventory.csv"), "{stderr}");
}

#[test]
fn a_gbk_csv_as_excel_saves_it_is_read_as_gb18030() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "sqlite://data/beiand.db");
    let file = dir.path().join("filings.csv");
    let text = "site_number,site_name,domains,status\r\n京ICP备2024000001号-1,甲站,a.example.cn,正常\r\n京ICP证030173号,坏行,bad.example.cn,\r\n";
    std::fs::write(&file, encoding_rs::GBK.encode(text).0).unwrap();
    let out = beiand(&cfg, &["import", file.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("imported 1, updated 0, rejected 1 in "), "{stdout}{stderr}");
    assert!(stderr.contains("filings.csv: not UTF-8; read as GB18030"), "{stderr}");
    assert!(stderr.contains("filings.csv:3: site_number \"京ICP证030173号\""), "the bad row is named, decoded: {stderr}");
}

/// A row of [`several_batches`].
fn row(i: u32, name: &str) -> String {
    format!("京ICP备{}号-1,{name},d{i}.example.cn", 2024000000 + i)
}

/// More rows than two batches of `beiand import` (5,000 rows each), in CRLF: a rejected row
/// ends the first batch (line 5001), a cell on two lines starts the second (lines 5002–5003),
/// and the last batch repeats the site numbers of lines 2 and 3 (on lines 12004 and 12005).
fn several_batches() -> String {
    let mut rows = vec!["site_number,site_name,domains".to_string()];
    rows.extend((1..5000).map(|i| row(i, "站")));
    rows.push("京ICP证030173号,坏,bad.example.cn".into());
    rows.push(row(5000, "\"跨\r\n行\""));
    rows.extend((5001..=12_000).map(|i| row(i, "站")));
    rows.extend([row(1, "新名"), row(2, "新名")]);
    rows.join("\r\n") + "\r\n"
}

fn run_several_batches(db: &str) {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), db);
    let file = dir.path().join("filings.csv");
    std::fs::write(&file, several_batches()).unwrap();
    let out = beiand(&cfg, &["import", "--prune", file.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("imported 11999, updated 0, rejected 2 in "), "{stdout}");
    for line in [
        "filings.csv:5001: site_number \"京ICP证030173号\"",
        "filings.csv:5002: a line break inside the quoted field site_name",
        "filings.csv:12004: repeats the site number of line 2; this later row is kept",
        "filings.csv:12005: repeats the site number of line 3; this later row is kept",
        "--prune not done: 2 rows were rejected",
    ] {
        assert!(stderr.contains(line), "{line:?} not in: {stderr}");
    }
    assert_eq!(stderr.lines().count(), 5, "{stderr}");

    // Clean, and without the last filing: every other one is updated, that one pruned.
    let clean: Vec<String> = (1..12_000).filter(|&i| i != 5000).map(|i| row(i, "站")).collect();
    std::fs::write(&file, format!("site_number,site_name,domains\n{}\n", clean.join("\n"))).unwrap();
    let out = beiand(&cfg, &["import", "--prune", file.to_str().unwrap()]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.starts_with("imported 0, updated 11998, rejected 0, pruned 1 in "), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
}

#[test]
fn an_import_of_several_batches_on_sqlite() {
    run_several_batches("sqlite://data/beiand.db");
}

#[test]
fn an_import_of_several_batches_on_postgres() {
    run_several_batches(&fresh_pg());
}

/// The filings stored in the SQLite database of [`config`] with `sqlite://data/beiand.db`:
/// site number, site name, status, filed IPs and province.
fn stored(dir: &Path) -> Vec<(String, String, String, String, Option<String>)> {
    let url = format!("sqlite://{}", dir.join("data/beiand.db").display());
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.expect("the import's database");
        let sql = "SELECT site_number, site_name, status, filed_ips, province FROM filings ORDER BY site_number";
        let rows = sqlx::query_as(sql).fetch_all(&pool).await.unwrap();
        pool.close().await;
        rows
    })
}

#[test]
fn columns_and_keys_beiand_does_not_read_are_ignored_with_one_warning() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config(dir.path(), "sqlite://data/beiand.db");
    let file = dir.path().join("filings.csv");
    std::fs::write(
        &file,
        "id,site_number,site_name,审核时间,domains,status,filed_ips,备注,province,created_at\n\
         1,京ICP备2024000001号-1,甲站,2024-05-01,a.example.cn,正常,47.92.0.1,无,北京,2024-05-01T08:00:00Z\n\
         2,京ICP备2024000001号-2,乙站,,b.example.cn,取消接入,,\"备注, 有逗号\",,\n",
    )
    .unwrap();
    let out = beiand(&cfg, &["import", file.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success(), "{stderr}");
    assert!(stdout.starts_with("imported 2, updated 0, rejected 0 in "), "{stdout}");
    let warning = format!("{}:1: columns \"id\", \"审核时间\", \"备注\", \"created_at\" are not ones beiand reads; ignored\n", file.display());
    assert_eq!(stderr, warning);
    let site = |n: u32| format!("京ICP备2024000001号-{n}");
    assert_eq!(
        stored(dir.path()),
        vec![
            (site(1), "甲站".into(), "active".into(), "47.92.0.1".into(), Some("北京".into())),
            (site(2), "乙站".into(), "access_cancelled".into(), "".into(), None),
        ]
    );

    // A file of the header alone says so too.
    std::fs::write(&file, "site_number,site_name,domains,id\n").unwrap();
    let out = beiand(&cfg, &["import", file.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("filings.csv:1: column \"id\" is not one beiand reads; ignored"));

    // A column named like one beiand reads fails the file, and nothing is stored.
    std::fs::write(&file, "id,site_number,site_name,domains,Status\n3,京ICP备2024000001号-3,丙站,c.example.cn,注销\n").unwrap();
    let out = beiand(&cfg, &["import", file.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("filings.csv: line 1: unknown column \"Status\" (did you mean \"status\"?)"), "{stderr}");
    assert_eq!(stored(dir.path()).len(), 2);

    // JSON Lines: one warning for the keys, and a misspelt key rejects its row only.
    let jsonl = dir.path().join("filings.jsonl");
    std::fs::write(
        &jsonl,
        "{\"id\":3,\"site_number\":\"京ICP备2024000001号-3\",\"site_name\":\"丙站\",\"domains\":[\"c.example.cn\"],\"备注\":\"\"}\n\
         {\"id\":4,\"site_number\":\"京ICP备2024000001号-4\",\"site_name\":\"丁站\",\"domains\":[\"d.example.cn\"],\"psb\":\"京公网安备11010802020134号\"}\n\
         {\"id\":5,\"site_number\":\"京ICP备2024000001号-5\",\"site_name\":\"戊站\",\"domains\":[\"e.example.cn\"],\"province\":\"上海\",\"备注\":\"x\"}\n",
    )
    .unwrap();
    let out = beiand(&cfg, &["import", jsonl.to_str().unwrap()]);
    let (stdout, stderr) = (String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(stdout.starts_with("imported 2, updated 0, rejected 1 in "), "{stdout}{stderr}");
    let expect = [
        format!("{}:1: keys \"id\", \"备注\" are not ones beiand reads; ignored", jsonl.display()),
        format!("{}:2: unknown key \"psb\" (did you mean \"psb_number\"?)", jsonl.display()),
    ];
    assert_eq!(stderr.lines().collect::<Vec<_>>(), expect);
    let names: Vec<(String, Option<String>)> = stored(dir.path()).into_iter().map(|(_, name, _, _, province)| (name, province)).collect();
    assert_eq!(names[2..], [("丙站".into(), None), ("戊站".into(), Some("上海".into()))]);
}
