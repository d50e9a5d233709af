#!/usr/bin/env bash
# Install everything keywatch and its tests need on a fresh Debian machine with Node 20:
# the lab's Debian packages and the npm dependencies. Idempotent, and quick when nothing is
# missing (no apt-get update, no npm ci when node_modules matches package-lock.json).
#
#   scripts/install.sh          runtime + test dependencies
#   scripts/install.sh --quiet  the same, printing only what it changes
set -euo pipefail
cd "$(dirname "$0")/.."

# The lab (test/lab): authoritative + validating DNS, DNSSEC signing, DNS query tools, the two
# XMPP servers, openssl for the test CA and as an independent TLS client; hash-slinger (tlsa) and
# gnutls-bin (danetool), which with ldns-dane are the DANE tools keywatch's records are held to.
# postgresql: the watch service's store is tested on PostgreSQL too (a throw-away server per test file,
# test/helpers/postgres.ts); the packaged cluster is not used.
APT_PACKAGES=(nsd unbound ldnsutils knot-dnsutils bind9-dnsutils prosody ejabberd openssl procps hash-slinger gnutls-bin postgresql chromium)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install: Debian packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The packaged services must not hold the lab's ports. Debian's policy-rc.d normally keeps them
# from starting at install; this only reports, it never stops anything it did not start.
for svc in nsd unbound prosody ejabberd; do
  if pidof "$svc" >/dev/null 2>&1; then
    echo "install: note: a system $svc is running; the lab uses its own addresses on 127.53.0.0/16 and should not clash"
  fi
done

stamp=node_modules/.keywatch-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "install: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
  echo "$want" > "$stamp"
fi
