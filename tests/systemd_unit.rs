//! `systemd/beiand.service` is a valid unit for the systemd we target (252, Debian 12) and keeps
//! the properties the daemon relies on (sd_notify, watchdog) and the sandbox it promises.
//!
//! `systemd-analyze verify` needs no running systemd: it loads the unit (and the units it refers
//! to) in a private manager instance, checks every directive and that the ExecStart binary exists.
//! It must be installed (`scripts/test.sh` installs the `systemd` package when it is missing).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const SYSTEMD_ANALYZE: &str = "/usr/bin/systemd-analyze";
const UNIT_NAME: &str = "beiand.service";

fn unit_source() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("systemd").join(UNIT_NAME)
}

fn read_unit() -> String {
    let path = unit_source();
    fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// `(section, key, value)` for every assignment, comments and blank lines left out.
fn directives(text: &str) -> Vec<(String, String, String)> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            section = line[1..line.len() - 1].to_string();
            continue;
        }
        let (key, value) = line.split_once('=').unwrap_or_else(|| panic!("not an assignment: {line:?}"));
        out.push((section.clone(), key.trim().to_string(), value.trim().to_string()));
    }
    out
}

fn values<'a>(d: &'a [(String, String, String)], section: &str, key: &str) -> Vec<&'a str> {
    d.iter().filter(|(s, k, _)| s == section && k == key).map(|(_, _, v)| v.as_str()).collect()
}

/// The unit with the installed binary path replaced by the freshly built one, so that verify's
/// "is the command executable" check passes; written as `beiand.service` into a temp dir.
fn unit_for_verify(text: &str, dir: &Path) -> PathBuf {
    let exe = env!("CARGO_BIN_EXE_beiand");
    assert!(!exe.contains(char::is_whitespace), "binary path {exe:?} would need quoting in ExecStart=");
    let mut rewritten = 0;
    let body: String = text
        .lines()
        .map(|line| match line.strip_prefix("ExecStart=/usr/bin/beiand") {
            Some(rest) => {
                rewritten += 1;
                format!("ExecStart={exe}{rest}\n")
            }
            None => format!("{line}\n"),
        })
        .collect();
    assert_eq!(rewritten, 1, "expected exactly one `ExecStart=/usr/bin/beiand ...` line");
    let path = dir.join(UNIT_NAME);
    fs::write(&path, body).unwrap();
    path
}

struct Verify {
    success: bool,
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Verify {
    /// Lines that are about our unit: `beiand.service: ...` or `/tmp/.../beiand.service:12: ...`.
    /// Everything else is about units of the host (missing dependencies of system units etc.).
    fn about_unit(&self) -> Vec<&str> {
        self.stderr.lines().chain(self.stdout.lines()).filter(|l| l.contains(UNIT_NAME)).collect()
    }

    fn describe(&self) -> String {
        format!("exit {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}", self.code, self.stdout, self.stderr)
    }
}

fn systemd_analyze_verify(unit: &Path) -> Verify {
    assert!(
        Path::new(SYSTEMD_ANALYZE).exists(),
        "{SYSTEMD_ANALYZE} not found: install the `systemd` package (apt-get install systemd; \
         scripts/test.sh does this) — this test does not skip"
    );
    let out = Command::new(SYSTEMD_ANALYZE)
        .arg("verify")
        // Do not look up man: pages named in Documentation= (man-db may be absent).
        .arg("--man=no")
        // The exit status reflects our unit only, not problems of units on the host it refers to.
        .arg("--recursive-errors=no")
        .arg(unit)
        // Default verbosity whatever the caller's environment says: warnings and errors only,
        // not the debug dump of every loaded unit.
        .env("SYSTEMD_LOG_LEVEL", "info")
        .env("SYSTEMD_LOG_COLOR", "0")
        .env_remove("SYSTEMD_LOG_TARGET")
        .current_dir(unit.parent().unwrap())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {SYSTEMD_ANALYZE}: {e}"));
    Verify {
        success: out.status.success(),
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[test]
fn unit_passes_systemd_analyze_verify() {
    let text = read_unit();
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_verify(&text, dir.path());
    let v = systemd_analyze_verify(&unit);
    assert!(v.success, "systemd-analyze verify {} failed:\n{}", unit.display(), v.describe());
    let ours = v.about_unit();
    assert!(
        ours.is_empty(),
        "systemd-analyze verify complained about {UNIT_NAME}:\n{}\n\nfull output:\n{}",
        ours.join("\n"),
        v.describe()
    );
}

/// Guards the test above against a verifier that silently checks nothing (e.g. in a container):
/// the same unit with a broken directive and a missing binary must be reported.
#[test]
fn verify_reports_a_broken_copy() {
    let mut text = read_unit();
    text = text.replace("ProtectSystem=strict", "ProtectSystem=sideways");
    let dir = tempfile::tempdir().unwrap();
    let unit = unit_for_verify(&text, dir.path());
    let v = systemd_analyze_verify(&unit);
    let ours = v.about_unit().join("\n");
    assert!(ours.contains("sideways"), "a bad ProtectSystem= value went unreported:\n{}", v.describe());

    let missing = dir.path().join("no-such-beiand");
    let body = fs::read_to_string(&unit)
        .unwrap()
        .lines()
        .map(|l| {
            if l.starts_with("ExecStart=") {
                format!("ExecStart={} run\n", missing.display())
            } else {
                format!("{l}\n")
            }
        })
        .collect::<String>();
    fs::write(&unit, body).unwrap();
    let v = systemd_analyze_verify(&unit);
    assert!(!v.success, "a missing ExecStart= binary did not fail verify:\n{}", v.describe());
}

#[test]
fn unit_has_notify_watchdog_and_sandbox() {
    let d = directives(&read_unit());
    let svc = |key: &str| values(&d, "Service", key);
    let one = |key: &str| -> String {
        let v = svc(key);
        assert!(!v.is_empty(), "[Service] {key}= is missing");
        v.last().unwrap().to_string()
    };

    assert_eq!(one("Type"), "notify");
    assert_eq!(one("NotifyAccess"), "main");
    assert!(!one("WatchdogSec").is_empty(), "WatchdogSec= has no value");
    assert_eq!(one("NoNewPrivileges"), "yes");
    assert_eq!(one("ProtectSystem"), "strict");
    assert_eq!(
        svc("CapabilityBoundingSet"),
        vec![""],
        "CapabilityBoundingSet= must be present once, empty (no capabilities)"
    );
    let families = one("RestrictAddressFamilies");
    assert!(!families.is_empty(), "RestrictAddressFamilies= has no value");
    for fam in families.split_whitespace() {
        assert!(["AF_INET", "AF_INET6", "AF_UNIX"].contains(&fam), "unexpected address family {fam}");
    }
    let dynamic = svc("DynamicUser").last().copied() == Some("yes");
    let user = svc("User").last().is_some_and(|u| !u.is_empty() && *u != "root");
    assert!(dynamic || user, "the service must run as DynamicUser=yes or as a User= other than root");

    let exec = one("ExecStart");
    assert!(exec.starts_with("/usr/bin/beiand ") && exec.ends_with(" run"), "ExecStart={exec}");
    assert_eq!(one("ExecReload"), "/bin/kill -HUP $MAINPID");
    assert_eq!(values(&d, "Install", "WantedBy"), vec!["multi-user.target"]);
}
