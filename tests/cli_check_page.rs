//! `beiand check-page` through the real binary: the JSON contract of design §4.4 on a saved GBK
//! page, and the findings it implies.

use serde_json::Value;
use std::process::Command;

const PAGE: &str = "<html><head><meta charset=\"gb2312\"><title>首页 - 某某科技官网</title></head><body>\
<div class=\"footer\">©2024 某某科技 <a href=\"https://beian.miit.gov.cn/\">京ICP备 12345678号－2</a> \
<a href=\"http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=11010802020134\">京公网安备 11010802020134号</a> \
京ICP证030173号</div></body></html>";

fn check_page(args: &[&str]) -> Value {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("saved.html");
    std::fs::write(&file, encoding_rs::GBK.encode(PAGE).0).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_beiand"))
        .arg("check-page")
        .arg(&file)
        .args(args)
        .arg("--json")
        .env("BEIAND_CONFIG", dir.path().join("absent.toml"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn json_contract_on_a_gbk_page() {
    let v = check_page(&["--site-number", "京ICP备12345678号-2", "--site-name", "某某科技官网"]);
    assert_eq!(v["title"], "首页 - 某某科技官网");
    let n = &v["icp_numbers"][0];
    assert_eq!(n["text"], "京ICP备12345678号-2");
    assert_eq!(n["subject"], "京ICP备12345678号");
    assert_eq!(n["site_suffix"], 2);
    assert_eq!(n["linked"], true);
    assert_eq!(n["href"], "https://beian.miit.gov.cn/");
    assert_eq!(n["href_host"], "beian.miit.gov.cn");
    let p = &v["psb_numbers"][0];
    assert_eq!((p["text"].as_str(), p["code"].as_str(), p["linked"].as_bool()), (Some("京公网安备11010802020134号"), Some("11010802020134"), Some(true)));
    assert_eq!(v["license_numbers"][0]["text"], "京ICP证030173号");
    assert_eq!(v["findings"], serde_json::json!([]));
}

#[test]
fn findings_follow_the_filing() {
    let v = check_page(&["--site-number", "沪ICP备87654321号-1", "--site-name", "另一个网站", "--psb-number", "沪公网安备31010402000001号"]);
    let codes: Vec<&str> = v["findings"].as_array().unwrap().iter().map(|f| f["code"].as_str().unwrap()).collect();
    assert_eq!(codes, vec!["page.number_wrong", "page.title_mismatch", "page.psb_missing"]);
}

#[test]
fn a_page_longer_than_the_scanners_cap_is_read_as_far_as_the_scanner_reads() {
    // The number sits past the first 1,000 bytes: read up to there, the page does not show it.
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("long.html");
    let page = format!(r#"<title>某某科技官网</title><p>{}</p><a href="https://beian.miit.gov.cn/">京ICP备12345678号-2</a>"#, "新闻".repeat(400));
    std::fs::write(&file, &page).unwrap();
    let run = |extra: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_beiand"))
            .arg("check-page")
            .arg(&file)
            .args(["--site-number", "京ICP备12345678号-2", "--json"])
            .args(extra)
            .env("BEIAND_CONFIG", dir.path().join("absent.toml"))
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        (v["findings"].as_array().unwrap().len(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let (findings, warned) = run(&["--max-bytes", "1000"]);
    assert_eq!(findings, 1, "page.number_missing, and nothing else");
    assert!(warned.contains("longer than 1000 bytes"), "{warned}");
    // The whole page, under the default cap (2 MiB), with nothing to warn of.
    assert_eq!(run(&[]), (0, String::new()));
}
