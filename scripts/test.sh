#!/usr/bin/env bash
# The whole test suite, on a fresh machine: installs what the tests need (nsd and nginx from
# Debian, cargo-nextest), makes sure PostgreSQL answers on 127.0.0.1:5432, then runs every test.
# Extra arguments go to `cargo nextest run`.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '==> %s\n' "$*"; }

missing=()
command -v nsd >/dev/null 2>&1 || [ -x /usr/sbin/nsd ] || missing+=(nsd)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v systemd-analyze >/dev/null 2>&1 || [ -x /usr/bin/systemd-analyze ] || missing+=(systemd)
if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The Debian packages start system services; the tests start their own on free ports.
for svc in nsd nginx; do
    if pgrep -x "$svc" >/dev/null 2>&1 && [ -f "/run/$svc.pid" ] || [ -f "/run/$svc/$svc.pid" ]; then
        (service "$svc" stop || true) >/dev/null 2>&1
    fi
done
export PATH="$PATH:/usr/sbin:/sbin"

# promtool validates /metrics. Only the binary is needed, not a Prometheus server: unpack it
# from the Debian package instead of installing (and starting) the service.
if ! command -v promtool >/dev/null 2>&1; then
    say "unpacking promtool from Debian's prometheus package"
    tmp=$(mktemp -d)
    (cd "$tmp" && apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; })
    dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"
    install -m 0755 "$tmp/x/usr/bin/promtool" /usr/local/bin/promtool
    rm -rf "$tmp"
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    say "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
    for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
fi
pg_isready -h 127.0.0.1 -p 5432

if ! cargo nextest --version >/dev/null 2>&1; then
    say "installing cargo-nextest"
    cargo install cargo-nextest --locked
fi

say "cargo nextest run"
exec cargo nextest run --workspace --all-targets --no-fail-fast "$@"
