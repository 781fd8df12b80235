//! A test world on loopback: a real nsd serving one zone and a real nginx serving sites by
//! Host header on several 127.x addresses (plus [::1]), HTTP and HTTPS with a self-signed
//! certificate, all in a temporary folder and torn down on drop. Packets only go to 127.0.0.0/8
//! and ::1; addresses outside it appear in DNS answers only and are never fetched.

#![allow(dead_code)]

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

mod stop;
use stop::stop;

pub const ZONE: &str = "e2e.example.cn";
/// Addresses nginx listens on (besides [::1]).
pub const WEB_V4: [&str; 3] = ["127.10.0.1", "127.10.0.2", "127.10.0.6"];

/// What one host name serves.
pub enum Serve {
    Page(Vec<u8>),
    /// Files by path under the site's root (`index.html` is its homepage).
    Files(Vec<(String, Vec<u8>)>),
    Status(u16),
    Redirect(String),
}

/// A site's HTTPS side: its homepage, under a self-signed certificate.
pub struct Https {
    pub page: Vec<u8>,
    /// An X.509 version 1 certificate (what `openssl x509 -req -signkey` makes without
    /// extensions) instead of a version 3 one: rustls cannot parse it.
    pub v1_cert: bool,
}

pub struct Site {
    pub host: String,
    pub http: Serve,
    /// Served over HTTPS too.
    pub https: Option<Https>,
}

pub struct World {
    pub dir: tempfile::TempDir,
    pub dns_port: u16,
    pub http_port: u16,
    pub https_port: u16,
    nsd: Option<Child>,
    nginx: Option<Child>,
}

fn free_port() -> u16 {
    loop {
        let tcp = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = tcp.local_addr().expect("addr").port();
        if std::net::UdpSocket::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

fn wait_for(addr: &str) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(addr).is_ok() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{addr} did not come up");
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0")))
        .unwrap_or(false)
}

fn sbin(name: &str) -> String {
    for dir in ["/usr/sbin", "/usr/bin", "/sbin"] {
        let p = format!("{dir}/{name}");
        if Path::new(&p).exists() {
            return p;
        }
    }
    name.to_string()
}

impl World {
    /// Starts nsd with `zone_records` (lines relative to the zone origin, e.g. `ok IN A 127.10.0.1`)
    /// and nginx with `sites`.
    ///
    /// Tests run in parallel, each with a world on ports picked free a moment before the servers
    /// bind them: when another test's server took one meanwhile, ours exits, and answering on the
    /// port would be the other world. So the world checks that its own servers are still running
    /// once the ports answer, and starts over on fresh ports when they are not.
    pub fn start(zone_records: &str, sites: &[Site]) -> World {
        for _ in 0..5 {
            let dir = tempfile::tempdir().expect("tempdir");
            let (dns_port, http_port, https_port) = (free_port(), free_port(), free_port());
            let mut w = World { dir, dns_port, http_port, https_port, nsd: None, nginx: None };
            w.start_nsd(zone_records);
            w.start_nginx(sites);
            // Both write their pid file once their sockets are bound; nginx retries a taken port
            // for a few seconds before it gives up and exits.
            let running = |c: &mut Option<Child>| c.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)));
            let deadline = Instant::now() + Duration::from_secs(15);
            let up = loop {
                let pids = w.path().join("nsd.pid").exists() && w.path().join("nginx.pid").exists();
                if !running(&mut w.nsd) || !running(&mut w.nginx) || Instant::now() > deadline {
                    break false;
                }
                if pids {
                    break true;
                }
                std::thread::sleep(Duration::from_millis(20));
            };
            if up {
                wait_for(&format!("127.0.0.1:{}", w.dns_port));
                wait_for(&format!("127.10.0.1:{}", w.http_port));
                return w;
            }
            eprintln!(
                "world: a server exited (port taken?), starting over on new ports; nginx: {}",
                std::fs::read_to_string(w.path().join("nginx-error.log")).unwrap_or_default().trim()
            );
        }
        panic!("could not start nsd and nginx on free ports five times");
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    fn start_nsd(&mut self, records: &str) {
        let d = self.path().display().to_string();
        let zone = format!(
            "$ORIGIN {ZONE}.\n$TTL 60\n@ IN SOA ns.{ZONE}. hostmaster.{ZONE}. 1 3600 600 86400 60\n@ IN NS ns.{ZONE}.\nns IN A 127.0.0.1\n{records}\n"
        );
        std::fs::write(self.path().join("e2e.zone"), zone).expect("zone");
        let conf = format!(
            "server:\n  ip-address: 127.0.0.1@{p}\n  port: {p}\n  username: \"\"\n  chroot: \"\"\n  zonesdir: \"{d}\"\n  \
             pidfile: \"{d}/nsd.pid\"\n  xfrdfile: \"{d}/xfrd.state\"\n  zonelistfile: \"{d}/zone.list\"\n  database: \"\"\n  \
             server-count: 1\n  rrl-ratelimit: 0\n  verbosity: 1\n  logfile: \"{d}/nsd.log\"\n\
             remote-control:\n  control-enable: no\nzone:\n  name: {ZONE}\n  zonefile: e2e.zone\n",
            p = self.dns_port
        );
        std::fs::write(self.path().join("nsd.conf"), conf).expect("nsd.conf");
        let child = Command::new(sbin("nsd"))
            .args(["-d", "-c"])
            .arg(self.path().join("nsd.conf"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nsd (apt-get install nsd)");
        self.nsd = Some(child);
    }

    fn start_nginx(&mut self, sites: &[Site]) {
        let d = self.path().to_path_buf();
        let openssl = |args: &[&str]| {
            let status = Command::new("openssl").args(args).current_dir(&d).stdout(Stdio::null()).stderr(Stdio::null()).status().expect("openssl");
            assert!(status.success(), "openssl {args:?} failed");
        };
        let subj = "/CN=e2e.example.cn";
        openssl(&["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subj, "-keyout", "key.pem", "-out", "cert.pem"]);
        openssl(&["req", "-new", "-newkey", "rsa:2048", "-nodes", "-subj", subj, "-keyout", "v1-key.pem", "-out", "v1.csr"]);
        openssl(&["x509", "-req", "-in", "v1.csr", "-signkey", "v1-key.pem", "-days", "2", "-out", "v1-cert.pem"]);
        let mut servers = String::new();
        let listen = |port: u16, ssl: bool| -> String {
            let ssl = if ssl { " ssl" } else { "" };
            let mut s: String = WEB_V4.iter().map(|a| format!("    listen {a}:{port}{ssl};\n")).collect();
            s.push_str(&format!("    listen [::1]:{port}{ssl};\n"));
            s
        };
        for site in sites {
            let root = d.join("sites").join(&site.host);
            std::fs::create_dir_all(&root).expect("site root");
            let body = match &site.http {
                Serve::Page(bytes) => {
                    std::fs::write(root.join("index.html"), bytes).expect("page");
                    format!("    root {};\n    index index.html;\n", root.display())
                }
                Serve::Files(files) => {
                    for (path, bytes) in files {
                        let file = root.join(path);
                        std::fs::create_dir_all(file.parent().expect("a file in the root")).expect("site folder");
                        std::fs::write(file, bytes).expect("file");
                    }
                    format!("    root {};\n    index index.html;\n", root.display())
                }
                Serve::Status(code) => format!("    return {code};\n"),
                Serve::Redirect(to) => format!("    return 301 {to};\n"),
            };
            let _ = write!(servers, "  server {{\n{}    server_name {};\n{body}  }}\n", listen(self.http_port, false), site.host);
            if let Some(https) = &site.https {
                let sroot = d.join("sites-tls").join(&site.host);
                std::fs::create_dir_all(&sroot).expect("tls root");
                std::fs::write(sroot.join("index.html"), &https.page).expect("tls page");
                let (cert, key) = if https.v1_cert { ("v1-cert.pem", "v1-key.pem") } else { ("cert.pem", "key.pem") };
                let _ = write!(
                    servers,
                    "  server {{\n{}    server_name {};\n    ssl_certificate {};\n    ssl_certificate_key {};\n    root {};\n    index index.html;\n  }}\n",
                    listen(self.https_port, true),
                    site.host,
                    d.join(cert).display(),
                    d.join(key).display(),
                    sroot.display()
                );
            }
        }
        let user = if is_root() { "user root;\n" } else { "" };
        let tmp = d.join("nginx-tmp");
        std::fs::create_dir_all(&tmp).expect("tmp");
        let conf = format!(
            "{user}worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/nginx-error.log warn;\n\
             events {{ worker_connections 1024; }}\nhttp {{\n  access_log off;\n  default_type text/html;\n  \
             client_body_temp_path {t};\n  proxy_temp_path {t};\n  fastcgi_temp_path {t};\n  uwsgi_temp_path {t};\n  scgi_temp_path {t};\n\
             {servers}}}\n",
            d = d.display(),
            t = tmp.display()
        );
        std::fs::write(d.join("nginx.conf"), conf).expect("nginx.conf");
        let child = Command::new(sbin("nginx"))
            .arg("-p")
            .arg(&d)
            .arg("-c")
            .arg(d.join("nginx.conf"))
            .args(["-g", "daemon off;"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx (apt-get install nginx)");
        self.nginx = Some(child);
    }

    /// Writes a beiand config, inventory and mainland list; `dns_port` lets a test point the
    /// scanner at a dead resolver.
    pub fn write_config(&self, name: &str, dns_port: u16) -> PathBuf {
        let d = self.path();
        std::fs::write(
            d.join("inventory.csv"),
            "cidr,region,in_region,label\n127.10.0.0/16,cn-beijing,true,华北测试\n::1/128,cn-beijing,true,IPv6测试\n127.20.0.0/16,cn-hongkong,false,香港测试\n",
        )
        .expect("inventory");
        std::fs::write(d.join("mainland.txt"), "# test mainland blocks\n127.10.0.0/16\n127.30.0.0/16\n::1/128\n").expect("mainland");
        let cfg = format!(
            "[database]\nurl = \"sqlite://{name}.db\"\n[provider]\nname = \"测试云\"\ninventory = \"inventory.csv\"\nmainland = \"mainland.txt\"\n\
             [dns]\nnameservers = [\"127.0.0.1:{dns_port}\"]\ntimeout_ms = 500\nattempts = 1\n\
             [http]\nport = {}\nhttps_port = {}\ntimeout_ms = 3000\nallow_private_targets = [\"127.0.0.0/8\", \"::1/128\"]\n",
            self.http_port, self.https_port
        );
        let path = d.join(format!("{name}.toml"));
        std::fs::write(&path, cfg).expect("config");
        path
    }

    pub fn stop_nsd(&mut self) {
        if let Some(mut c) = self.nsd.take() {
            stop(&mut c);
        }
    }
}

impl Drop for World {
    fn drop(&mut self) {
        for mut c in [self.nsd.take(), self.nginx.take()].into_iter().flatten() {
            stop(&mut c);
        }
    }
}

/// Runs the real binary with a config.
pub fn beiand(config: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_beiand"))
        .arg("--config")
        .arg(config)
        .args(args)
        .env_remove("BEIAND_NOW")
        .env("RUST_LOG", "warn")
        .output()
        .expect("run beiand")
}
