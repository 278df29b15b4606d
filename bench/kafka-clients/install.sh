#!/usr/bin/env bash
# Installs the Kafka clients that the benchmark's "kafka clients" stage compares with kafkajs into
# .cache/bench-kafka-clients, apart from the project's own dependencies: one of them is a native
# addon (librdkafka) whose build takes minutes and needs a C toolchain, which no install of Baton
# itself should pay for. Idempotent: a stamp keyed by the inputs skips a second identical install.
#
#   bash bench/kafka-clients/install.sh [--no-native]
#
# --no-native leaves the native client out (the quick run), unless an earlier full install is
# already there. Exits 0 whenever npm could install the pure-JS client; a native build that fails
# leaves that client out (npm treats it as optional) and its error in install.log.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/../.." && pwd -P)"
TARGET="${REPO_ROOT}/.cache/bench-kafka-clients"
LOG="${TARGET}/install.log"

# What librdkafka's configure looks for (compression codecs, TLS) and what node-gyp compiles with;
# with these on the machine the build downloads nothing.
APT_PACKAGES=(build-essential pkg-config python3 libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev)

native=1
case "${1:-}" in
  --no-native) native=0 ;;
  "") ;;
  *)
    printf 'bench-kafka-clients: unknown argument: %s\n' "$1" >&2
    exit 2
    ;;
esac

say() { printf 'bench-kafka-clients: %s\n' "$*" >&2; }

inputs_hash() {
  {
    sha256sum "${SCRIPT_DIR}/package.json" "${SCRIPT_DIR}/package-lock.json" "${BASH_SOURCE[0]}" | cut -c1-64
    node --version | cut -d. -f1
    printf '%s\n' "$1"
  } | sha256sum | cut -c1-64
}

stamp_ok() { [[ -f "${TARGET}/stamp.$1" && "$(cat "${TARGET}/stamp.$1")" == "$(inputs_hash "$1")" ]]; }

if stamp_ok full || { ((native == 0)) && stamp_ok js; }; then
  say "already installed"
  exit 0
fi

apt_missing() {
  local pkg
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "${pkg}" 2>/dev/null | grep -q 'install ok installed' || printf '%s\n' "${pkg}"
  done
}

if ((native == 1)) && command -v dpkg-query >/dev/null 2>&1; then
  mapfile -t missing < <(apt_missing)
  if ((${#missing[@]} > 0)); then
    if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
      say "installing ${missing[*]} with apt-get"
      apt-get update >/dev/null 2>&1 || say "apt-get update failed; trying the install anyway"
      DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null 2>&1 ||
        say "apt-get install ${missing[*]} failed; the native client's build will likely fail too"
    else
      say "missing ${missing[*]} (not root, or no apt-get); the native client's build will likely fail"
    fi
  fi
fi

mkdir -p "${TARGET}"
cp "${SCRIPT_DIR}/package.json" "${SCRIPT_DIR}/package-lock.json" "${TARGET}/"

# node-gyp fetches Node's headers unless it is told where the installed ones are.
node_prefix="$(dirname -- "$(dirname -- "$(node -p 'process.execPath')")")"
if [[ -f "${node_prefix}/include/node/node.h" ]]; then export npm_config_nodedir="${node_prefix}"; fi

omit=()
((native == 1)) || omit=(--omit=optional)
say "npm install ($( ((native == 1)) && echo 'with the native client: a few minutes' || echo 'pure-JS client only'))"
# CKJS_LINKING=dynamic builds the bundled librdkafka against the system's libraries; the default
# (static) configure downloads zlib, OpenSSL and zstd sources. A prebuilt binary is not fetched.
if ! (cd "${TARGET}" && CKJS_LINKING=dynamic npm_config_build_from_source=true \
  npm install --no-audit --no-fund --foreground-scripts "${omit[@]}") >"${LOG}" 2>&1; then
  say "npm install failed; see ${LOG#"${REPO_ROOT}/"}"
  tail -n 20 "${LOG}" >&2
  exit 1
fi
rm -f "${TARGET}"/stamp.*
if ((native == 1)); then
  inputs_hash full >"${TARGET}/stamp.full"
else
  inputs_hash js >"${TARGET}/stamp.js"
fi
say "installed"
