//! Scan benchmark: builds a world of N synthetic filed domains on loopback — a real nsd serving
//! one zone with N names, a real nginx serving a ~40 KB homepage on 8 addresses — imports N
//! filings, runs one full scan (DNS, HTTP, page) through the real pipeline and storage, and
//! prints checks per second, peak RSS, CPU split between beiand and the servers, and where each
//! check's time went.
//!
//!     cargo run --release --example scan-bench -- [N ...] [--concurrency C] [--postgres URL]
//!
//! Needs nsd and nginx (Debian packages). Sends packets only to 127.0.0.0/8.
//!
//! To see where the scan's time goes, build with `RUSTFLAGS="-C force-frame-pointers=yes"` and
//! run it under `perf record -g -- …/scan-bench 100000` (nsd and nginx are its children, so they
//! are sampled too); the scan is what runs between the "scanning now" line on stderr and the
//! figures. On some virtual machines `perf record -p` or `-a` sees only idle samples.

/// mimalloc rather than glibc's malloc: a check allocates and frees many small and a few large
/// buffers across threads, where glibc spent a tenth of the scan's CPU (measured with perf).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{bail, Context, Result};
use beiand::config::Config;
use beiand::scan::{self, ProbeSet};
use beiand::store::{FilingSelect, Store};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "../tests/world/stop.rs"]
mod stop;
mod homepage;
use homepage::{page, PSB, SITE_NAME, SUBJECT};

const ZONE: &str = "bench.example.cn";
const WEB_ADDRS: u8 = 8;

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        stop::stop(&mut self.0);
    }
}

impl Server {
    fn cpu_seconds(&self) -> f64 {
        // Whole process tree: nginx and nsd fork workers.
        process_tree_cpu(self.0.id())
    }
}

fn free_port() -> Result<u16> {
    // A TCP port that is also free for UDP on 127.0.0.1.
    for _ in 0..50 {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0")?;
        let port = tcp.local_addr()?.port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("no free port")
}


fn start_nsd(dir: &Path, n: usize, port: u16) -> Result<Server> {
    let mut zone = format!(
        "$ORIGIN {ZONE}.\n$TTL 300\n@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 60\n@ IN NS ns.{ZONE}.\nns IN A 127.0.0.1\n"
    );
    for i in 0..n {
        let _ = writeln!(zone, "d{i} IN A 127.10.0.{}", i % WEB_ADDRS as usize + 1);
    }
    std::fs::write(dir.join("bench.zone"), zone)?;
    let conf = format!(
        "server:\n  ip-address: 127.0.0.1@{port}\n  port: {port}\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"{d}\"\n  \
         pidfile: \"{d}/nsd.pid\"\n  xfrdfile: \"{d}/xfrd.state\"\n  zonelistfile: \"{d}/zone.list\"\n  database: \"\"\n  \
         server-count: 1\n  rrl-ratelimit: 0\n  verbosity: 0\n  hide-version: yes\n  logfile: \"{d}/nsd.log\"\n\
         remote-control:\n  control-enable: no\nzone:\n  name: {ZONE}\n  zonefile: bench.zone\n",
        d = dir.display()
    );
    std::fs::write(dir.join("nsd.conf"), conf)?;
    let child = Command::new("nsd")
        .args(["-d", "-c"])
        .arg(dir.join("nsd.conf"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting nsd (apt-get install nsd)")?;
    Ok(Server(child))
}

fn start_nginx(dir: &Path, port: u16) -> Result<Server> {
    let root = dir.join("www");
    std::fs::create_dir_all(&root)?;
    std::fs::write(root.join("index.html"), page())?;
    let listens: String = (1..=WEB_ADDRS).map(|i| format!("    listen 127.10.0.{i}:{port} reuseport backlog=4096;\n")).collect();
    let user = if unsafe_is_root() { "user root;\n" } else { "" };
    let conf = format!(
        "{user}worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log error;\n\
         events {{ worker_connections 8192; }}\nhttp {{\n  access_log off;\n  client_body_temp_path {d}/tmp;\n  \
         proxy_temp_path {d}/tmp;\n  fastcgi_temp_path {d}/tmp;\n  uwsgi_temp_path {d}/tmp;\n  scgi_temp_path {d}/tmp;\n  \
         default_type text/html;\n  charset utf-8;\n  server {{\n{listens}    root {r};\n    index index.html;\n  }}\n}}\n",
        d = dir.display(),
        r = root.display()
    );
    std::fs::create_dir_all(dir.join("tmp"))?;
    std::fs::write(dir.join("nginx.conf"), conf)?;
    let child = Command::new("nginx")
        .arg("-p")
        .arg(dir)
        .arg("-c")
        .arg(dir.join("nginx.conf"))
        .args(["-g", "daemon off;"])
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .context("starting nginx (apt-get install nginx)")?;
    Ok(Server(child))
}

fn unsafe_is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

fn wait_for_tcp(addr: &str) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(addr).is_ok() {
            return Ok(());
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    bail!("{addr} did not come up")
}

/// utime + stime of a process and its descendants, in seconds.
fn process_tree_cpu(pid: u32) -> f64 {
    let tick = 100.0; // USER_HZ on Linux
    let mut total = 0.0;
    let mut stack = vec![pid];
    while let Some(p) = stack.pop() {
        if let Ok(stat) = std::fs::read_to_string(format!("/proc/{p}/stat")) {
            let fields: Vec<&str> = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("").split_whitespace().collect();
            // Fields after the command: state(0) ppid(1) … utime(11) stime(12)
            let t: f64 = fields.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
                + fields.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
            total += t / tick;
        }
        if let Ok(children) = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")) {
            stack.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
    }
    total
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok()))
        .map(|kb| kb / 1024.0)
        .unwrap_or(0.0)
}

fn self_cpu() -> f64 {
    process_tree_cpu(std::process::id())
}

fn write_world(dir: &Path, n: usize, dns_port: u16, http_port: u16, concurrency: usize, db: &str) -> Result<PathBuf> {
    std::fs::write(dir.join("inventory.csv"), "cidr,region,in_region,label\n127.10.0.0/16,cn-beijing,true,基准\n")?;
    std::fs::write(dir.join("mainland.txt"), "127.10.0.0/16\n")?;
    let mut csv = String::from("site_number,site_name,domains,psb_number\n");
    for i in 0..n {
        let _ = writeln!(csv, "{SUBJECT}-{},{SITE_NAME},d{i}.{ZONE},{PSB}", i + 1);
    }
    std::fs::write(dir.join("filings.csv"), csv)?;
    let cfg = format!(
        "[database]\nurl = \"{db}\"\n[provider]\nname = \"基准云\"\ninventory = \"inventory.csv\"\nmainland = \"mainland.txt\"\n\
         [dns]\nnameservers = [\"127.0.0.1:{dns_port}\"]\ntimeout_ms = 2000\n\
         [http]\nport = {http_port}\nhttps_port = {http_port}\ntimeout_ms = 10000\nallow_private_targets = [\"127.0.0.0/8\"]\n\
         [scan]\nconcurrency = {concurrency}\n\
         # 100k domains share 8 addresses: no politeness limit in the bench.\n\
         per_address_rate = 0\n"
    );
    let path = dir.join("beiand.toml");
    std::fs::write(&path, cfg)?;
    Ok(path)
}

async fn bench(n: usize, concurrency: usize, postgres: Option<&str>) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let dns_port = free_port()?;
    let http_port = free_port()?;
    let rss_start = rss_mb();
    let nsd = start_nsd(dir.path(), n, dns_port)?;
    let nginx = start_nginx(dir.path(), http_port)?;
    wait_for_tcp(&format!("127.10.0.1:{http_port}"))?;
    wait_for_tcp(&format!("127.0.0.1:{dns_port}"))?;
    let db = match postgres {
        Some(url) => url.to_string(),
        None => "sqlite://bench.db".to_string(),
    };
    let cfg = Config::load(&write_world(dir.path(), n, dns_port, http_port, concurrency, &db)?)?;
    let rss_world = rss_mb();
    let store = Store::open(&cfg.database.url, cfg.database.max_connections).await?;

    // The import is a command of its own in real use (`beiand import`): run it in a child
    // process, so that its memory is not counted as the scanner's.
    let t = Instant::now();
    let out = Command::new(std::env::current_exe()?)
        .arg("--import")
        .arg(&cfg.path)
        .arg(dir.path().join("filings.csv"))
        .output()
        .context("import child")?;
    anyhow::ensure!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    let import_s = t.elapsed().as_secs_f64();
    let import_rss = String::from_utf8_lossy(&out.stdout).lines().last().unwrap_or("").to_string();
    let rss_imported = rss_mb();
    // A sample for the per-phase profile; the scan itself streams its targets from the store.
    let targets = scan::targets(store.filings_after(FilingSelect::All, None, PROFILE_OPS as i64).await?);
    let scanner = Arc::new(scan::Scanner::new(&cfg)?);
    let rss_before = rss_mb();
    let (cpu0, nsd0, nginx0) = (self_cpu(), nsd.cpu_seconds(), nginx.cpu_seconds());
    let (mut dns_us, mut http_us, mut page_us, mut bad) = (0u64, 0u64, 0u64, 0usize);
    let mut latencies: Vec<u32> = Vec::with_capacity(n);
    // The figures are printed only after the scan and the profiles that follow it; this line
    // says when to attach a profiler (`perf record -g -p PID`) to the scan itself.
    eprintln!("scan-bench: scanning {n} domains now (pid {})", std::process::id());
    let started = Instant::now();
    let mut sample: Option<scan::DomainCheck> = None;
    let profile_targets: Vec<scan::Target> = targets.into_iter().take(PROFILE_OPS).collect();
    let summary = scan::run(&store, scanner, "bench", ProbeSet::ALL, scan::Targets::Filings(FilingSelect::All), |c, _| {
        if sample.is_none() {
            sample = Some(c.clone());
        }
        dns_us += c.timings.dns_us;
        http_us += c.timings.http_us;
        page_us += c.timings.page_us;
        latencies.push(c.elapsed_ms as u32);
        if !c.findings.is_empty() {
            bad += 1;
        }
    })
    .await?;
    let wall = started.elapsed().as_secs_f64();
    let (cpu, nsd_cpu, nginx_cpu) = (self_cpu() - cpu0, nsd.cpu_seconds() - nsd0, nginx.cpu_seconds() - nginx0);
    latencies.sort_unstable();
    let pct = |p: f64| latencies.get(((latencies.len() as f64 - 1.0) * p) as usize).copied().unwrap_or(0);
    let checks = summary.checked as f64;
    println!("== N = {n}, concurrency {concurrency}, database {}", if postgres.is_some() { "postgres" } else { "sqlite" });
    println!("import            {n} filings in {import_s:.2} s ({:.0} rows/s, a child process: {import_rss})", n as f64 / import_s);
    println!("scan              {} checks in {wall:.2} s = {:.0} checks/s", summary.checked, checks / wall);
    println!("findings          {bad} domains with findings, {} inconclusive (expected 0 and 0)", summary.inconclusive);
    println!("latency ms        p50 {} p90 {} p99 {} max {}", pct(0.5), pct(0.9), pct(0.99), pct(1.0));
    println!(
        "mean per check    dns {:.0} µs, http {:.0} µs, page analysis {:.0} µs (wall time inside each check)",
        dns_us as f64 / checks,
        http_us as f64 / checks,
        page_us as f64 / checks
    );
    println!("storage           {:.2} s writing results (writer task, overlapped with checks)", summary.store_seconds);
    let cores = std::thread::available_parallelism().map(|p| p.get()).unwrap_or(0) as f64;
    println!(
        "cpu seconds       beiand {cpu:.2} ({:.0} µs/check), nsd {nsd_cpu:.2}, nginx {nginx_cpu:.2}; machine has {cores} cores",
        cpu * 1e6 / checks
    );
    let servers_us = (nsd_cpu + nginx_cpu) * 1e6 / checks;
    println!(
        "budget            at {TARGET_RATE} checks/s the {cores:.0} cores give {:.0} µs of CPU per check; nsd and nginx used \
         {servers_us:.0} of it, leaving beiand {:.0} µs (it used {:.0})",
        cores * 1e6 / TARGET_RATE as f64,
        cores * 1e6 / TARGET_RATE as f64 - servers_us,
        cpu * 1e6 / checks
    );
    println!("rss               before scan {rss_before:.0} MB, after {:.0} MB, peak {:.0} MB", rss_mb(), peak_rss_mb());
    println!(
        "rss before scan   {rss_start:.0} MB at start, {rss_world:.0} MB with the world files written, {rss_imported:.0} MB after \
         the import (in its child process), {rss_before:.0} MB with the scanner built (targets stream from the store)"
    );
    let (ceiling, floor_cpu) = ceiling(n, dns_port, http_port, concurrency).await?;
    println!(
        "ceiling           {ceiling:.0} checks/s from a bare client (A+AAAA on a fresh UDP socket, one TCP connection, \
         no parsing or storage; {} checks): beiand reaches {:.0} % of it",
        CEILING_OPS.min(n),
        checks / wall / ceiling * 100.0
    );
    println!(
        "floor             the bare client uses {:.0} µs of CPU per check (user and kernel, its sockets' share of the \
         network stack); beiand {:.0} µs more",
        floor_cpu * 1e6,
        cpu / checks * 1e6 - floor_cpu * 1e6
    );
    if let Some(sample) = &sample {
        phase_profile(&cfg, &profile_targets, sample, concurrency).await?;
    }
    store.close().await;
    if bad > 0 || summary.inconclusive > 0 {
        bail!("the bench world should be fully compliant: {bad} domains had findings");
    }
    Ok(())
}

/// The throughput the scan is asked to reach at N = 100,000 (issue 3).
const TARGET_RATE: u32 = 5000;

/// How many checks the ceiling measurement makes.
const CEILING_OPS: usize = 20_000;

/// The most checks per second the servers and the kernel allow on this machine: a bare client
/// that does per domain what the servers see of a beiand check — an A and an AAAA query on a
/// fresh UDP socket, one fresh TCP connection with `GET /` read to the end — and nothing else
/// (no parsing, no storage). Machines differ; beiand's figure means most as a share of this one.
/// Returns the checks per second and the client's CPU seconds per check.
async fn ceiling(n: usize, dns_port: u16, http_port: u16, concurrency: usize) -> Result<(f64, f64)> {
    use futures::StreamExt;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let ops = CEILING_OPS.min(n);
    let ns: std::net::SocketAddr = ([127, 0, 0, 1], dns_port).into();
    let cpu0 = self_cpu();
    let started = Instant::now();
    let ok = futures::stream::iter(0..ops)
        .map(|i| {
            tokio::spawn(async move {
                let domain = format!("d{i}.{ZONE}");
                let sock = tokio::net::UdpSocket::bind("127.0.0.1:0").await.ok()?;
                sock.connect(ns).await.ok()?;
                sock.send(&dns_query(&domain, 1, i as u16)).await.ok()?;
                sock.send(&dns_query(&domain, 28, i as u16 ^ 0x8000)).await.ok()?;
                let mut buf = [0u8; 512];
                sock.recv(&mut buf).await.ok()?;
                sock.recv(&mut buf).await.ok()?;
                let ip = std::net::Ipv4Addr::new(127, 10, 0, (i % WEB_ADDRS as usize + 1) as u8);
                let mut tcp = tokio::net::TcpStream::connect((ip, http_port)).await.ok()?;
                let req = format!("GET / HTTP/1.1\r\nHost: {domain}\r\nConnection: close\r\n\r\n");
                tcp.write_all(req.as_bytes()).await.ok()?;
                let mut body = Vec::with_capacity(48 * 1024);
                tcp.read_to_end(&mut body).await.ok()?;
                (body.len() > 39_000).then_some(())
            })
        })
        .buffer_unordered(concurrency)
        .filter(|r| std::future::ready(matches!(r, Ok(Some(())))))
        .count()
        .await;
    anyhow::ensure!(ok == ops, "ceiling client: only {ok} of {ops} checks got a page");
    Ok((ops as f64 / started.elapsed().as_secs_f64(), (self_cpu() - cpu0) / ops as f64))
}

/// A DNS query for `name` of type `qtype`, recursion desired.
fn dns_query(name: &str, qtype: u16, id: u16) -> Vec<u8> {
    let mut q = Vec::with_capacity(64);
    q.extend_from_slice(&id.to_be_bytes());
    q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
    for label in name.split('.') {
        q.push(label.len() as u8);
        q.extend_from_slice(label.as_bytes());
    }
    q.push(0);
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&1u16.to_be_bytes());
    q
}

/// How many domains the per-phase profile runs over.
const PROFILE_OPS: usize = 5000;

/// beiand CPU per operation for each phase run alone over the first domains, at the scan's
/// concurrency (the scan overlaps them, so its own per-phase times are wall times, not CPU).
async fn phase_profile(cfg: &Config, targets: &[scan::Target], sample: &scan::DomainCheck, concurrency: usize) -> Result<()> {
    use beiand::check::{dns::DnsProbe, http::HttpProbe, page};
    use futures::StreamExt;
    let classifier = Arc::new(beiand::netclass::Classifier::load(
        &cfg.provider.inventory,
        cfg.provider.mainland.as_deref(),
        &cfg.http.allow_private_targets,
    )?);
    let dns = DnsProbe::new(&cfg.dns);
    let http = Arc::new(HttpProbe::new(cfg.http.clone(), dns.clone(), classifier)?);
    let ops = targets.len().max(1) as f64;
    let per_op = |cpu0: f64| (self_cpu() - cpu0) * 1e6 / ops;

    let cpu0 = self_cpu();
    // The domains are collected first: a stream over a borrowing iterator makes this future,
    // which main spawns, fail the Send check ("FnOnce is not general enough").
    let answers: Vec<(String, Option<std::net::IpAddr>)> = futures::stream::iter(targets.iter().map(|t| t.domain.clone()).collect::<Vec<_>>())
        .map(|d| {
            let dns = dns.clone();
            tokio::spawn(async move {
                let ip = dns.resolve(&d).await.addresses().first().copied();
                (d, ip)
            })
        })
        .buffer_unordered(concurrency)
        .map(|r| r.expect("dns task"))
        .collect()
        .await;
    let dns_cpu = per_op(cpu0);

    let cpu0 = self_cpu();
    let pages: Vec<Option<String>> = futures::stream::iter(answers.into_iter().enumerate())
        .map(|(i, (d, ip))| {
            let http = http.clone();
            tokio::spawn(async move {
                // Keep one page for the analysis phase, not thousands.
                let page = http.fetch_homepage(&d, ip?).await.ok()?;
                (i == 0).then_some(page.html)
            })
        })
        .buffer_unordered(concurrency)
        .map(|r| r.expect("http task"))
        .collect()
        .await;
    let http_cpu = per_op(cpu0);
    let html = pages.into_iter().flatten().next().unwrap_or_default();

    let expect = page::PageExpect {
        site_number: Some(sample.site_number.clone()),
        site_name: Some("基准测试站点".into()),
        psb_number: Some("京公网安备11010802020134号".into()),
    };
    // These two run on this thread alone: wall time is their CPU time, at a finer grain than the
    // process CPU clock.
    let t = Instant::now();
    for _ in 0..targets.len() {
        std::hint::black_box(page::analyse(std::hint::black_box(&html), &expect));
    }
    let page_cpu = t.elapsed().as_secs_f64() * 1e6 / ops;

    let t = Instant::now();
    for _ in 0..targets.len() {
        std::hint::black_box(serde_json::to_string(std::hint::black_box(sample))?);
    }
    let json_cpu = t.elapsed().as_secs_f64() * 1e6 / ops;
    println!(
        "cpu per phase     dns {dns_cpu:.0} µs, http {http_cpu:.0} µs, page analysis {page_cpu:.0} µs, evidence json {json_cpu:.1} µs \
         (beiand CPU per check, each phase alone over {} domains; the rest is storage and scheduling)",
        targets.len()
    );
    Ok(())
}

fn main() -> Result<()> {
    let mut sizes = Vec::new();
    let mut concurrency = 256;
    let mut postgres = None;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--concurrency" => concurrency = args.next().context("--concurrency N")?.parse()?,
            "--postgres" => postgres = Some(args.next().context("--postgres URL")?),
            "--import" => {
                let config = PathBuf::from(args.next().context("--import CONFIG FILE")?);
                let file = PathBuf::from(args.next().context("--import CONFIG FILE")?);
                return import_child(&config, &file);
            }
            "--bench" => {}
            n => sizes.push(n.parse::<usize>().with_context(|| format!("not a size: {n}"))?),
        }
    }
    if sizes.is_empty() {
        sizes = vec![10_000];
    }
    if sizes.len() > 1 {
        // One process per size, so that no size's memory figures carry what another left behind.
        for n in sizes {
            let mut cmd = Command::new(std::env::current_exe()?);
            cmd.arg(n.to_string()).arg("--concurrency").arg(concurrency.to_string());
            if let Some(url) = &postgres {
                cmd.arg("--postgres").arg(url);
            }
            anyhow::ensure!(cmd.status()?.success(), "the run for N = {n} failed");
        }
        return Ok(());
    }
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    // On a worker thread, as `beiand` runs its commands: completions wake the scan loop on the
    // runtime's own threads instead of a third thread competing for the two cores.
    let n = sizes[0];
    rt.block_on(async move { tokio::spawn(async move { bench(n, concurrency, postgres.as_deref()).await }).await? })
}

/// `--import CONFIG FILE`: import the filings as `beiand import` does (which prints its summary
/// line), then print this process's peak RSS.
fn import_child(config: &Path, file: &Path) -> Result<()> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    rt.block_on(async {
        let cfg = Config::load(config)?;
        let store = Store::open(&cfg.database.url, cfg.database.max_connections).await?;
        beiand::import::run(&store, file, false).await?;
        store.close().await;
        println!("peak RSS {:.0} MB", peak_rss_mb());
        anyhow::Ok(())
    })
}
