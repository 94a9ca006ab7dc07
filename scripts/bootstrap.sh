#!/usr/bin/env bash
# Installs the Debian packages Concord needs to build, test and run.
# Idempotent: quiet when everything is already installed. Run as root (or with sudo).
set -euo pipefail

packages=(
  g++ cmake ninja-build make pkgconf git clang-format
  libsqlite3-dev          # embedded storage backend
  libpq-dev               # the PostgreSQL storage backend (libpq)
  postgresql postgresql-client  # make test's throwaway server; pg_dump and pg_restore for backups
  libcpp-httplib-dev zlib1g-dev libbrotli-dev libssl-dev  # HTTP client and its header deps
  libboost1.81-dev        # Asio and Beast: the event-driven HTTP server (ADR 0015)
  nlohmann-json3-dev      # JSON
  libfmt-dev libspdlog-dev  # formatting and logging
  libsodium-dev           # Argon2id password hashing, secure random numbers
  libcli11-dev            # command-line parsing
  libtomlplusplus-dev     # configuration files
  python3-dev pybind11-dev  # concord-admin embeds Debian's Python 3
  libxml2-dev             # the synced-resource export: streaming writer, reader, XSD
  libgtest-dev libgmock-dev libbenchmark-dev  # tests and benchmarks
  # The fuzz preset (ADR 0016): clang-19 compiles our C++23 (clang-14 cannot parse libstdc++
  # 12's <expected>); libclang-rt-19-dev holds its libFuzzer and sanitizer runtimes.
  clang-19 libclang-rt-19-dev
  clang-tidy-19           # make test's clang-tidy check (tests/style/check_tidy.sh)
  nodejs                  # builds the web pages (web/, ADR 0020) with the npm packages it pins
  chromium                # the browser the pages' tests drive (web/tests, headless)
)
# npm: part of some nodejs packages (NodeSource's); Debian's own comes separately.
command -v npm >/dev/null 2>&1 || packages+=(npm)

# The pages' browser tests (playwright-core, node --test) need Node.js 20 or later; Debian 12's
# own nodejs is 18, enough to build the pages but not to test them. Said, not hidden.
check_node() {
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -lt 20 ]; then
    echo "bootstrap: warning: Node.js $(node --version 2>/dev/null || echo 'is missing'): the web" \
      "pages build, but their browser tests (web_pages_test) need Node.js 20 or later" \
      "(for example NodeSource's nodejs 20 package)" >&2
  fi
}

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  check_node
  exit 0
fi

echo "bootstrap: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "bootstrap: run as root, or install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
check_node
echo "bootstrap: done"
