//! The `beiand` command line: parses arguments and hands each command to the library.

/// mimalloc rather than glibc's malloc: a check allocates and frees many small and a few large
/// buffers across threads, where glibc spent a tenth of the scan's CPU (measured with perf).
#[global_allocator]
static ALLOC: mimalloc::MiMalloc = mimalloc::MiMalloc;

use anyhow::{Context, Result};
use beiand::config::Config;
use clap::{Parser, Subcommand};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// beiand — continuous verification of ICP filings (备案) for a hosting provider.
#[derive(Parser)]
#[command(name = "beiand", version, about, long_about = None)]
struct Cli {
    /// Config file [default: $BEIAND_CONFIG, else /etc/beiand/beiand.toml]
    #[arg(long, global = true, value_name = "PATH")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The daemon: scan profiles on their cron schedules, tickets, admin API and /metrics.
    ///
    /// Meant to run under systemd (Type=notify, see systemd/beiand.service). SIGHUP reloads the
    /// config (a broken one is refused and the old one kept); SIGTERM finishes the checks in
    /// flight (at most scan.drain_seconds) and exits 0. Several instances may share one
    /// PostgreSQL database and split each run's work.
    Run,
    /// Import filing records from CSV or JSON Lines (chosen by the file extension).
    Import {
        /// A .csv file with a header row, or a .jsonl file with one object per line.
        file: PathBuf,
        /// Mark as removed every stored filing the file does not mention (not done when a row was
        /// rejected, or the file holds no filing).
        #[arg(long)]
        prune: bool,
        /// Exit with status 2 when any row was rejected (the good rows are still stored).
        #[arg(long)]
        strict: bool,
    },
    /// Check filings now: resolve, classify, fetch and analyse; record results.
    ///
    /// Covers every filing unless --domain or --site narrows it. Active filings get every probe;
    /// cancelled and deregistered filings get DNS and HTTP only. Exits 0 when the scan completed,
    /// whatever it found.
    Scan {
        /// Check only this domain (of every filing that lists it), in Unicode or IDNA form.
        #[arg(long, conflicts_with = "site")]
        domain: Option<String>,
        /// Check only the domains of this website filing number.
        #[arg(long, value_name = "SITE_NUMBER")]
        site: Option<String>,
        /// Print one JSON object per checked domain on stdout (the summary goes to stderr).
        #[arg(long)]
        json: bool,
    },
    /// Analyse a saved homepage offline: title, filing and public-security numbers, links, findings.
    CheckPage {
        /// The saved HTML file (any charset: BOM, <meta charset> or GB18030 fallback).
        file: PathBuf,
        /// The website filing number the page should show, e.g. 京ICP备12345678号-1.
        #[arg(long, value_name = "N")]
        site_number: Option<String>,
        /// The filed website name the title should contain.
        #[arg(long, value_name = "NAME")]
        site_name: Option<String>,
        /// The 公安备案 number the page should show.
        #[arg(long, value_name = "N")]
        psb_number: Option<String>,
        /// Print the analysis as JSON.
        #[arg(long)]
        json: bool,
        /// Read at most this many bytes of the file, as the scanner reads at most
        /// `http.max_body_bytes` of a homepage (its default).
        #[arg(long, value_name = "BYTES", default_value_t = beiand::config::Http::default().max_body_bytes)]
        max_bytes: usize,
    },
    /// Self-contained offline run on bundled sample data: an in-process DNS server and web server
    /// on loopback, sample filings that produce every finding code, the real scan pipeline.
    Demo,
    /// Rectification tickets: list and show them; extend, appeal or close one (operator actions).
    Tickets(beiand::ticket::cli::TicketsArgs),
    /// Write the compliance report: totals, overdue tickets, trend, and per subject a printable
    /// rectification notice (整改通知).
    Report {
        /// html: one printable page in Chinese (the summary, then one 整改通知 per subject); csv:
        /// one row per ticket, UTF-8 with a BOM for Excel; json: everything the report holds.
        #[arg(long, value_enum, default_value = "html")]
        format: beiand::report::Format,
        /// Where to write the report (`-` for stdout).
        #[arg(long, value_name = "PATH")]
        out: PathBuf,
    },
    /// Validate the configuration and the files it names.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Parse and validate the config, load the inventory and mainland list, read the API token
    /// file (what `run` needs at start), and report.
    Check,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    beiand::logging::init();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("beiand: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // The command runs as a task on the runtime's worker threads rather than on this thread:
    // a scan's loop is woken once per finished check, and waking a third thread that competes
    // with the workers for the cores cost a sixth of the scan's CPU (bench/scan.rs).
    match rt.block_on(async { tokio::spawn(dispatch(cli)).await.unwrap_or_else(|e| Err(anyhow::anyhow!("the command's task failed: {e}"))) }) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("beiand: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// The first `max` bytes of a saved page, with a warning on stderr when the file is longer: a
/// page written to be hostile (hundreds of megabytes of tags) is read as the scanner would read
/// it, not whole into memory.
fn read_at_most(file: &Path, max: usize) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(file)?.take(max as u64 + 1).read_to_end(&mut bytes)?;
    if bytes.len() > max {
        bytes.truncate(max);
        eprintln!(
            "beiand: {} is longer than {max} bytes; only those were read, as the scanner reads a homepage (--max-bytes to read more)",
            file.display()
        );
    }
    Ok(bytes)
}

fn load_config(flag: Option<&Path>) -> Result<Config> {
    beiand::clock::check_env()?;
    Config::load(&Config::locate(flag))
}

async fn dispatch(cli: Cli) -> Result<ExitCode> {
    let config = cli.config.as_deref();
    match cli.command {
        Command::Run => {
            beiand::clock::check_env()?;
            beiand::daemon::run(&Config::locate(config)).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, prune, strict } => {
            let cfg = load_config(config)?;
            let store = beiand::store::Store::open(&cfg.database.url, cfg.database.max_connections).await?;
            let summary = beiand::import::run(&store, &file, prune).await?;
            store.close().await;
            Ok(if strict && summary.rejected > 0 { ExitCode::from(2) } else { ExitCode::SUCCESS })
        }
        Command::Scan { domain, site, json } => {
            let cfg = load_config(config)?;
            scan_command(&cfg, domain, site, json).await
        }
        Command::CheckPage { file, site_number, site_name, psb_number, json, max_bytes } => {
            let bytes = read_at_most(&file, max_bytes).with_context(|| format!("cannot read {}", file.display()))?;
            let (html, _) = beiand::check::charset::decode_html(bytes, None);
            let expect = beiand::check::page::PageExpect { site_number, site_name, psb_number };
            let report = beiand::check::page::analyse(&html, &expect);
            if json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", beiand::check::page::render_text(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo => {
            beiand::clock::check_env()?;
            beiand::demo::run().await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Tickets(args) => {
            let cfg = load_config(config)?;
            beiand::ticket::cli::run(&cfg, args).await
        }
        Command::Report { format, out } => {
            let cfg = load_config(config)?;
            beiand::report::run(&cfg, format, &out).await?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Config { action: ConfigAction::Check } => {
            // Everything `beiand run` builds from a config at start and on SIGHUP: address data,
            // probes and the API token, so that a config passing here is one `run` accepts.
            let live = beiand::daemon::shared::Live::build(load_config(config)?)?;
            let cfg = &live.config;
            println!(
                "{}: ok ({} schedule(s), mainland list {}, API token {})",
                cfg.path.display(),
                cfg.schedule.len(),
                if live.scanner.classifier().has_mainland_list() { "loaded" } else { "not configured: mainland/overseas split unknown" },
                if live.token.is_some() { "read" } else { "not configured: every API path but /healthz answers 401" }
            );
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn scan_command(cfg: &Config, domain: Option<String>, site: Option<String>, json: bool) -> Result<ExitCode> {
    use beiand::scan;
    use beiand::store::Store;
    use std::io::{IsTerminal, Write};
    let store = Store::open(&cfg.database.url, cfg.database.max_connections).await?;
    let selection = match (domain, site) {
        (Some(d), _) => scan::Selection::Domain(d),
        (None, Some(s)) => scan::Selection::Site(s),
        (None, None) => scan::Selection::All,
    };
    let targets = scan::Targets::of(&store, &selection).await?;
    let scanner = std::sync::Arc::new(scan::Scanner::new(cfg)?);
    let bar = if std::io::stderr().is_terminal() {
        let bar = indicatif::ProgressBar::new(targets.count(&store).await? as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template("{spinner} {pos}/{len} domains [{bar:40}] {per_sec} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar
    } else {
        indicatif::ProgressBar::hidden()
    };
    let mut stdout = std::io::BufWriter::new(std::io::stdout());
    let summary = scan::run(&store, scanner, beiand::config::MANUAL_PROFILE, scan::ProbeSet::ALL, targets, |_, evidence| {
        bar.inc(1);
        if json {
            let _ = writeln!(stdout, "{evidence}");
        }
    })
    .await?;
    bar.finish_and_clear();
    stdout.flush()?;
    drop(stdout);
    let tickets = beiand::ticket::apply_run(&store, cfg, summary.run_id, beiand::clock::now()).await?;
    if json {
        eprint!("{}{}", summary.render(), tickets.render());
    } else {
        print!("{}{}", summary.render(), tickets.render());
    }
    store.close().await;
    Ok(ExitCode::SUCCESS)
}
