#!/usr/bin/env bash
# Installs everything Baton needs on a development or CI machine without Docker: Node packages
# and the TypeScript build, the Kafka broker's jars (Maven), the ClickHouse dev engine's Python
# venv. Idempotent and fast when nothing changed: each step keeps a stamp under .cache/stamps/
# keyed by a hash of its inputs. See `bash infra/setup.sh --help`.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/.." && pwd -P)"
CACHE_DIR="${REPO_ROOT}/.cache"
STAMP_DIR="${CACHE_DIR}/stamps"
KAFKA_POM="${SCRIPT_DIR}/kafka/pom.xml"
KAFKA_LIBS="${CACHE_DIR}/kafka/libs"
CH_REQUIREMENTS="${SCRIPT_DIR}/clickhouse/requirements.txt"
CH_VENV="${CACHE_DIR}/chdb-venv"
ST_REQUIREMENTS="${SCRIPT_DIR}/schemathesis/requirements.txt"
ST_VENV="${CACHE_DIR}/schemathesis-venv"

MIN_JAVA=17
MIN_PYTHON="3.10"
MIN_NODE="20.19"

usage() {
  cat <<'EOF'
Usage: bash infra/setup.sh [--help]

Prepares this checkout for `bash infra/stack.sh up` and the tests:
  - checks java (17+), mvn, python3 (3.10+, with venv) and node (20.19+); when one is missing
    and this runs as root on a machine with apt-get, installs it, otherwise says what to install
  - npm ci            when package-lock.json changed or node_modules is missing
  - npm run build     every time (TypeScript -> dist/)
  - Kafka jars        mvn dependency:copy-dependencies of infra/kafka/pom.xml -> .cache/kafka/libs
  - ClickHouse engine Python venv .cache/chdb-venv with infra/clickhouse/requirements.txt
  - Chromium          /usr/bin/chromium for the page tests (apt-get install chromium when root)
  - API fuzzer       Python venv .cache/schemathesis-venv with infra/schemathesis/requirements.txt

Steps whose inputs did not change since the last run are skipped (stamps in .cache/stamps/;
delete that directory to force everything).
EOF
}

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
  "") ;;
  *)
    printf 'setup: unknown argument: %s\n\n' "$1" >&2
    usage >&2
    exit 2
    ;;
esac

say() { printf 'setup: %s\n' "$*"; }
die() {
  printf 'setup: error: %s\n' "$*" >&2
  exit 1
}

# --- stamps ----------------------------------------------------------------------------------

# Prints a hash of the given strings and files (a missing file hashes as "missing").
inputs_hash() {
  local item
  for item in "$@"; do
    if [[ -f "${item}" ]]; then
      printf 'file %s ' "${item#"${REPO_ROOT}/"}"
      sha256sum <"${item}"
    else
      printf 'text %s\n' "${item}"
    fi
  done | sha256sum | cut -c1-64
}

stamp_ok() { [[ -f "${STAMP_DIR}/$1" && "$(cat "${STAMP_DIR}/$1")" == "$2" ]]; }
stamp_write() {
  mkdir -p "${STAMP_DIR}"
  printf '%s\n' "$2" >"${STAMP_DIR}/$1"
}

# Runs "$@" quietly; on failure shows its output and stops.
run_quiet() {
  local what="$1" out
  shift
  out="$(mktemp)"
  if ! "$@" >"${out}" 2>&1; then
    printf -- '--- output of: %s ---\n' "$*" >&2
    if (($(wc -l <"${out}") > 60)); then
      head -n 20 "${out}" >&2
      printf -- '[...]\n' >&2
      tail -n 40 "${out}" >&2
    else
      cat "${out}" >&2
    fi
    rm -f "${out}"
    die "${what} failed"
  fi
  rm -f "${out}"
}

# --- tools -----------------------------------------------------------------------------------

# version_ge A B: true when dotted version A >= B.
version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]; }

java_version() {
  command -v java >/dev/null 2>&1 || return 0
  java -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\)\(\.[^"]*\)\{0,1\}".*/\1/p' | head -n 1
}
python_version() {
  command -v python3 >/dev/null 2>&1 || return 0
  python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null || true
}
node_version() {
  command -v node >/dev/null 2>&1 || return 0
  node --version 2>/dev/null | sed 's/^v//'
}

# Prints what is missing, one item per line: java, mvn, python3, python3-venv, node.
missing_tools() {
  local v
  v="$(java_version)"
  if [[ -z "${v}" ]] || ((v < MIN_JAVA)); then echo java; fi
  command -v mvn >/dev/null 2>&1 || echo mvn
  v="$(python_version)"
  if [[ -z "${v}" ]] || ! version_ge "${v}" "${MIN_PYTHON}"; then
    echo python3
  elif ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    echo python3-venv
  fi
  v="$(node_version)"
  if [[ -z "${v}" ]] || ! version_ge "${v}" "${MIN_NODE}"; then echo node; fi
  command -v curl >/dev/null 2>&1 || echo curl
  return 0
}

# The apt candidate version of a package, or nothing.
apt_candidate() {
  apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)' | head -n 1 || true
}

install_tools_with_apt() {
  local missing=("$@") pkgs=() tool pkg cand
  say "installing ${missing[*]} with apt-get ..."
  run_quiet "apt-get update" apt-get update
  for tool in "${missing[@]}"; do
    case "${tool}" in
      java)
        for pkg in openjdk-17-jre-headless openjdk-21-jre-headless; do
          if [[ -n "$(apt_candidate "${pkg}")" ]]; then
            pkgs+=("${pkg}")
            break
          fi
        done
        ;;
      mvn) pkgs+=(maven) ;;
      python3) pkgs+=(python3 python3-venv) ;;
      python3-venv) pkgs+=(python3-venv) ;;
      curl) pkgs+=(curl) ;;
      node)
        # Most distributions ship an older Node; only use apt when its candidate is new enough.
        cand="$(apt_candidate nodejs)"
        cand="${cand#*:}"
        if [[ -n "${cand}" ]] && version_ge "${cand%%[-+~]*}" "${MIN_NODE}"; then
          pkgs+=(nodejs npm)
        fi
        ;;
      *) ;;
    esac
  done
  if ((${#pkgs[@]} > 0)); then
    run_quiet "apt-get install ${pkgs[*]}" env DEBIAN_FRONTEND=noninteractive \
      apt-get install -y --no-install-recommends "${pkgs[@]}"
  fi
}

check_tools() {
  local missing=()
  mapfile -t missing < <(missing_tools)
  if ((${#missing[@]} > 0)) && [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    install_tools_with_apt "${missing[@]}"
    mapfile -t missing < <(missing_tools)
  fi
  if ((${#missing[@]} > 0)); then
    local tool
    printf 'setup: error: missing prerequisites:\n' >&2
    for tool in "${missing[@]}"; do
      case "${tool}" in
        java) printf '  - Java %s+ (e.g. apt-get install openjdk-17-jre-headless)\n' "${MIN_JAVA}" >&2 ;;
        mvn) printf '  - Maven 3.6+ (e.g. apt-get install maven)\n' >&2 ;;
        python3) printf '  - Python %s+ with venv (e.g. apt-get install python3 python3-venv)\n' "${MIN_PYTHON}" >&2 ;;
        python3-venv) printf '  - the Python venv module (e.g. apt-get install python3-venv)\n' >&2 ;;
        node) printf '  - Node.js %s+ (https://nodejs.org/ or nvm; distribution packages are often older)\n' "${MIN_NODE}" >&2 ;;
        curl) printf '  - curl (e.g. apt-get install curl)\n' >&2 ;;
        *) printf '  - %s\n' "${tool}" >&2 ;;
      esac
    done
    exit 1
  fi
  say "tools ... ok (java $(java_version), python $(python_version), node $(node_version))"
}

# --- steps -----------------------------------------------------------------------------------

# True when node_modules already holds exactly what package-lock.json lists (npm's hidden
# lockfile node_modules/.package-lock.json agrees), so a first run in an installed checkout
# does not wipe and reinstall node_modules.
node_modules_in_sync() {
  [[ -f "${REPO_ROOT}/node_modules/.package-lock.json" ]] || return 1
  (cd "${REPO_ROOT}" && node -e '
    const fs = require("node:fs");
    const lock = JSON.parse(fs.readFileSync("package-lock.json", "utf8")).packages ?? {};
    const hidden = JSON.parse(fs.readFileSync("node_modules/.package-lock.json", "utf8")).packages ?? {};
    for (const [k, v] of Object.entries(lock)) {
      if (k === "" || !k.startsWith("node_modules/")) continue;
      const h = hidden[k];
      if (!h) { if (v.optional) continue; process.exit(1); }
      if (h.version !== v.version) process.exit(1);
    }
    for (const [k, h] of Object.entries(hidden)) {
      if (!lock[k] || lock[k].version !== h.version) process.exit(1);
    }
  ') >/dev/null 2>&1
}

step_npm() {
  local key
  key="$(inputs_hash "${REPO_ROOT}/package-lock.json" "node $(node_version | cut -d. -f1)")"
  if [[ -d "${REPO_ROOT}/node_modules" ]] && stamp_ok npm "${key}"; then
    say "node modules ... ok (unchanged)"
    return 0
  fi
  if [[ -d "${REPO_ROOT}/node_modules" ]] && node_modules_in_sync; then
    stamp_write npm "${key}"
    say "node modules ... ok (already match package-lock.json)"
    return 0
  fi
  say "node modules ... npm ci"
  (cd "${REPO_ROOT}" && run_quiet "npm ci" npm ci --no-audit --no-fund)
  stamp_write npm "${key}"
  say "node modules ... ok"
}

step_build() {
  (cd "${REPO_ROOT}" && run_quiet "npm run build" npm run build)
  say "build ... ok (dist/)"
}

kafka_version() {
  sed -n 's:.*<kafka.version>\(.*\)</kafka.version>.*:\1:p' "${KAFKA_POM}" | head -n 1
}

step_kafka() {
  local key version tmp
  version="$(kafka_version)"
  key="$(inputs_hash "${KAFKA_POM}")"
  if stamp_ok kafka "${key}" && compgen -G "${KAFKA_LIBS}/kafka_2.13-${version}.jar" >/dev/null; then
    say "kafka jars ... ok (${version}, unchanged)"
    return 0
  fi
  say "kafka jars ... resolving ${version} with Maven"
  mkdir -p "${CACHE_DIR}/kafka"
  tmp="${CACHE_DIR}/kafka/libs.tmp"
  rm -rf "${tmp}"
  run_quiet "mvn dependency:copy-dependencies" \
    mvn -q -B -f "${KAFKA_POM}" dependency:copy-dependencies -DoutputDirectory="${tmp}"
  compgen -G "${tmp}/kafka_2.13-${version}.jar" >/dev/null || die "kafka jars: kafka_2.13-${version}.jar missing"
  # Replace the whole directory so that a version bump leaves no stale jars on the classpath.
  # (A running broker keeps its open jars; restart it with stack.sh down/up to use the new ones.)
  rm -rf "${KAFKA_LIBS}.old"
  [[ -d "${KAFKA_LIBS}" ]] && mv "${KAFKA_LIBS}" "${KAFKA_LIBS}.old"
  mv "${tmp}" "${KAFKA_LIBS}"
  rm -rf "${KAFKA_LIBS}.old"
  stamp_write kafka "${key}"
  say "kafka jars ... ok (${version}, $(find "${KAFKA_LIBS}" -name '*.jar' | wc -l) jars)"
}

step_clickhouse() {
  if [[ ! -f "${CH_REQUIREMENTS}" ]]; then
    say "clickhouse engine ... skipped (${CH_REQUIREMENTS#"${REPO_ROOT}/"} not found)"
    return 0
  fi
  local key
  key="$(inputs_hash "${CH_REQUIREMENTS}" "python $(python_version)")"
  if stamp_ok chdb "${key}" && [[ -x "${CH_VENV}/bin/python" ]]; then
    say "clickhouse engine ... ok (unchanged)"
    return 0
  fi
  say "clickhouse engine ... creating ${CH_VENV#"${REPO_ROOT}/"} and installing requirements"
  if [[ ! -x "${CH_VENV}/bin/python" ]]; then
    rm -rf "${CH_VENV}"
    run_quiet "python3 -m venv" python3 -m venv "${CH_VENV}"
  fi
  run_quiet "pip install" "${CH_VENV}/bin/python" -m pip install --disable-pip-version-check -q \
    -r "${CH_REQUIREMENTS}"
  stamp_write chdb "${key}"
  local chdb_version
  chdb_version="$("${CH_VENV}/bin/python" -m pip show chdb 2>/dev/null | sed -n 's/^Version: //p' || true)"
  say "clickhouse engine ... ok (chdb ${chdb_version:-?})"
}

step_schemathesis() {
  if [[ ! -f "${ST_REQUIREMENTS}" ]]; then
    say "api fuzzer ... skipped (${ST_REQUIREMENTS#"${REPO_ROOT}/"} not found)"
    return 0
  fi
  local key
  key="$(inputs_hash "${ST_REQUIREMENTS}" "python $(python_version)")"
  if stamp_ok schemathesis "${key}" && [[ -x "${ST_VENV}/bin/schemathesis" ]]; then
    say "api fuzzer ... ok (unchanged)"
    return 0
  fi
  say "api fuzzer ... creating ${ST_VENV#"${REPO_ROOT}/"} and installing requirements"
  if [[ ! -x "${ST_VENV}/bin/python" ]]; then
    rm -rf "${ST_VENV}"
    run_quiet "python3 -m venv" python3 -m venv "${ST_VENV}"
  fi
  run_quiet "pip install" "${ST_VENV}/bin/python" -m pip install --disable-pip-version-check -q \
    -r "${ST_REQUIREMENTS}"
  stamp_write schemathesis "${key}"
  say "api fuzzer ... ok ($("${ST_VENV}/bin/schemathesis" --version 2>/dev/null || echo schemathesis))"
}

# The page tests open the API's HTML in headless Chromium (puppeteer-core drives the system one).
step_chromium() {
  if [[ -x /usr/bin/chromium ]]; then
    say "chromium ... ok (/usr/bin/chromium)"
    return 0
  fi
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    say "chromium ... installing with apt-get"
    run_quiet "apt-get update" apt-get update
    run_quiet "apt-get install chromium" env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
    say "chromium ... ok (/usr/bin/chromium)"
    return 0
  fi
  say "chromium ... missing: the page tests need /usr/bin/chromium (as root: apt-get update && apt-get install -y chromium); they fail until it is there"
}

main() {
  local started=${SECONDS}
  mkdir -p "${CACHE_DIR}" "${STAMP_DIR}"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${CACHE_DIR}/setup.lock"
    flock -w 900 9 || die "another setup.sh holds .cache/setup.lock"
  fi
  check_tools
  step_npm
  step_build
  step_kafka
  step_clickhouse
  step_schemathesis
  step_chromium
  say "done in $((SECONDS - started))s"
}

main
