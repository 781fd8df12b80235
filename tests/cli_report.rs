//! `beiand report` through the real binary: what a bad argument says.

use std::path::Path;
use std::process::{Command, Output};

/// Runs `beiand --config DIR/beiand.toml report ARGS` with a config whose database cannot be
/// reached, so that only a check made before the report is built can answer.
fn report(dir: &Path, args: &[&str]) -> Output {
    std::fs::write(dir.join("inv.csv"), "cidr,region,in_region,label\n47.92.0.0/14,cn-beijing,true,华北2\n").unwrap();
    std::fs::write(
        dir.join("beiand.toml"),
        "[database]\nurl = \"postgres://nobody@127.0.0.1:1/none\"\n[provider]\nname = \"示例云\"\ninventory = \"inv.csv\"\n\
         [dns]\nnameservers = [\"127.0.0.1:53\"]\n",
    )
    .unwrap();
    Command::new(env!("CARGO_BIN_EXE_beiand")).arg("--config").arg(dir.join("beiand.toml")).arg("report").args(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_out_path_that_cannot_be_written_is_refused_before_the_work() {
    let dir = tempfile::Builder::new().prefix("cli-report").tempdir().unwrap();
    let folder = dir.path().to_str().unwrap().to_string();
    let o = report(dir.path(), &["--format", "csv", "--out", &folder]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains(&format!("--out {folder} is a folder; give the path of the report file")), "{}", stderr(&o));
    let missing = dir.path().join("no/such/report.html");
    let o = report(dir.path(), &["--out", missing.to_str().unwrap()]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains(&format!("folder {} does not exist", dir.path().join("no/such").display())), "{}", stderr(&o));
    assert!(!stderr(&o).contains("/.tmp"), "no temporary file name in the message: {}", stderr(&o));
}

#[test]
fn help_says_what_each_format_is() {
    let dir = tempfile::tempdir().unwrap();
    let o = report(dir.path(), &["--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{}", stderr(&o));
    for word in ["html", "csv", "json", "整改通知", "BOM"] {
        assert!(help.contains(word), "{word} missing from:\n{help}");
    }
}
