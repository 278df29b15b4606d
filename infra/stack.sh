#!/usr/bin/env bash
# Baton's local stack without Docker: a single-node Kafka 3.9 (KRaft) from Maven jars and the
# ClickHouse development engine (chDB behind infra/clickhouse/server.py), both on 127.0.0.1.
# Run `bash infra/setup.sh` once before; see `bash infra/stack.sh --help`.
set -euo pipefail

SCRIPT_DIR="$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd -P)"
REPO_ROOT="$(cd -- "${SCRIPT_DIR}/.." && pwd -P)"
CACHE_DIR="${REPO_ROOT}/.cache"
RUN_DIR="${CACHE_DIR}/run"
LOG_DIR="${CACHE_DIR}/logs"

KAFKA_HOME="${CACHE_DIR}/kafka"
KAFKA_LIBS="${KAFKA_HOME}/libs"
KAFKA_DATA="${KAFKA_HOME}/data"
KAFKA_PROPS="${KAFKA_HOME}/server.properties"
KAFKA_CLUSTER_ID_FILE="${KAFKA_HOME}/cluster-id"
KAFKA_TEMPLATE="${SCRIPT_DIR}/kafka/server.properties.template"
KAFKA_LOG4J="${SCRIPT_DIR}/kafka/log4j.properties"
KAFKA_PORT="${BATON_KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${BATON_KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_HEAP_OPTS="${BATON_KAFKA_HEAP_OPTS:--Xms256m -Xmx1g}"
KAFKA_START_TIMEOUT="${BATON_KAFKA_START_TIMEOUT:-120}"

CH_VENV="${CACHE_DIR}/chdb-venv"
CH_SERVER="${SCRIPT_DIR}/clickhouse/server.py"
CH_DATA="${CACHE_DIR}/clickhouse"
CH_PORT="${BATON_CLICKHOUSE_PORT:-8123}"
CH_START_TIMEOUT="${BATON_CLICKHOUSE_START_TIMEOUT:-90}"

STOP_TIMEOUT=30

usage() {
  cat <<EOF
Usage: bash infra/stack.sh <command>

Starts and stops Baton's local stack (no Docker needed):
  kafka       Apache Kafka 3.9 (KRaft, broker+controller)  127.0.0.1:${KAFKA_PORT}
  clickhouse  ClickHouse dev engine (chDB HTTP adapter)     http://127.0.0.1:${CH_PORT}

Commands:
  up                       start what is not running and wait until it is ready (idempotent)
  down                     stop both (SIGTERM, SIGKILL after ${STOP_TIMEOUT}s); data is kept
  status                   one line per service; exit 0 when all run, 3 otherwise
  logs [kafka|clickhouse]  follow the logs (both when no service is named)
  -h, --help               this text

When KAFKA_BROKERS and CLICKHOUSE_URL are both set, those external servers are used and
nothing is started or stopped.

Environment:
  BATON_KAFKA_PORT (9092), BATON_KAFKA_CONTROLLER_PORT (9093), BATON_CLICKHOUSE_PORT (8123),
  BATON_KAFKA_HEAP_OPTS ("-Xms256m -Xmx1g"),
  BATON_KAFKA_START_TIMEOUT (120 s), BATON_CLICKHOUSE_START_TIMEOUT (90 s)

State lives in ${CACHE_DIR#"${REPO_ROOT}/"}/: kafka/data, clickhouse, run (pid files), logs.
EOF
}

say() { printf 'stack: %s\n' "$*"; }
die() {
  printf 'stack: error: %s\n' "$*" >&2
  exit 1
}

external_mode() { [[ -n "${KAFKA_BROKERS:-}" && -n "${CLICKHOUSE_URL:-}" ]]; }

# --- process helpers -------------------------------------------------------------------------

pid_file() { printf '%s/%s.pid' "${RUN_DIR}" "$1"; }

# True when process $2 is this checkout's server $1 (kafka: our properties file; clickhouse: our
# server.py, by absolute path or relative to this repo as working directory).
is_ours() {
  local name="$1" pid="$2" cmd cwd
  cmd="$(tr '\0' ' ' <"/proc/${pid}/cmdline" 2>/dev/null || true)"
  case "${name}" in
    kafka) [[ "${cmd}" == *kafka.Kafka* && "${cmd}" == *"${KAFKA_PROPS}"* ]] ;;
    clickhouse)
      [[ "${cmd}" == *"${CH_SERVER}"* ]] && return 0
      cwd="$(readlink "/proc/${pid}/cwd" 2>/dev/null || true)"
      [[ "${cwd}" == "${REPO_ROOT}" && "${cmd}" == *infra/clickhouse/server.py* ]]
      ;;
    *) return 1 ;;
  esac
}

service_port() {
  case "$1" in
    kafka) printf '%s' "${KAFKA_PORT}" ;;
    clickhouse) printf '%s' "${CH_PORT}" ;;
    *) return 1 ;;
  esac
}

# The pid listening on TCP port $1 on this machine, when ss can tell (same user or root).
listener_pid() {
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2 || true
}

# Prints the pid of our running service ($1), or nothing. A pid file whose process is gone or
# is something else (pid reuse) is removed. A server of this checkout started by hand (not by
# this script) is adopted: its pid file is written, so status/down see it.
service_pid() {
  local name="$1" file pid port
  file="$(pid_file "${name}")"
  if [[ -f "${file}" ]]; then
    pid="$(tr -dc '0-9' <"${file}")"
    if [[ -n "${pid}" ]] && kill -0 "${pid}" 2>/dev/null && is_ours "${name}" "${pid}"; then
      printf '%s' "${pid}"
      return 0
    fi
    rm -f "${file}"
  fi
  port="$(service_port "${name}")"
  pid="$(listener_pid "${port}")"
  if [[ -n "${pid}" ]] && is_ours "${name}" "${pid}"; then
    mkdir -p "${RUN_DIR}"
    printf '%s\n' "${pid}" >"${file}"
    printf '%s' "${pid}"
  fi
  return 0
}

port_open() {
  local host="$1" port="$2"
  # shellcheck disable=SC2016 # $0/$1 are expanded by the inner shell on purpose.
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "${host}" "${port}" 2>/dev/null
}

# Describes who listens on a port, as far as we can tell.
port_owner() {
  local port="$1" line=""
  if command -v ss >/dev/null 2>&1; then
    line="$(ss -Hltnp "sport = :${port}" 2>/dev/null | head -n 1 | grep -o 'users:(([^)]*))' || true)"
  fi
  printf '%s' "${line:-unknown process}"
}

# Refuses to start when a port we need is taken by something that isn't ours.
require_free_port() {
  local what="$1" port="$2"
  if port_open 127.0.0.1 "${port}"; then
    die "port ${port} (${what}) is already in use by something that isn't Baton's stack: $(port_owner "${port}").
       Stop it, or use other ports (BATON_KAFKA_PORT / BATON_KAFKA_CONTROLLER_PORT / BATON_CLICKHOUSE_PORT),
       or point KAFKA_BROKERS and CLICKHOUSE_URL at running servers."
  fi
}

# Byte offsets of log files when the current start attempt began (see mark_logs), so that a
# failure shows this attempt's lines rather than an older run's.
declare -A LOG_MARK=()

mark_logs() {
  local file
  for file in "$@"; do
    LOG_MARK["${file}"]=0
    [[ -f "${file}" ]] && LOG_MARK["${file}"]="$(wc -c <"${file}")"
  done
  return 0
}

# The part of log $1 written since it was marked (the whole file if unmarked or rotated since).
log_since() {
  local log="$1" offset="${LOG_MARK[$1]:-0}" size
  [[ -f "${log}" ]] || return 0
  size="$(wc -c <"${log}")"
  if ((size >= offset)); then
    tail -c "+$((offset + 1))" "${log}"
  else
    cat "${log}"
  fi
}

show_log_tail() {
  local file text
  for file in "$@"; do
    text="$(log_since "${file}" | tail -n 40)"
    if [[ -n "${text//[[:space:]]/}" ]]; then
      printf -- '--- last 40 lines of %s ---\n%s\n' "${file#"${REPO_ROOT}/"}" "${text}" >&2
    fi
  done
}

# Starts "$@" detached in its own session; the child writes its own pid before exec'ing, so the
# pid file names the real server process, and it survives the calling shell.
spawn() {
  local name="$1" out="$2"
  shift 2
  local file
  file="$(pid_file "${name}")"
  rm -f "${file}"
  # shellcheck disable=SC2016 # $$ and "$@" are expanded by the inner shell on purpose.
  # fd 9 (the stack lock) is closed so that the servers do not hold the lock forever.
  setsid nohup bash -c 'echo "$$" >"$0"; exec "$@"' "${file}" "$@" </dev/null >>"${out}" 2>&1 9>&- &
  local i
  for ((i = 0; i < 50; i++)); do
    [[ -s "${file}" ]] && return 0
    sleep 0.1
  done
  die "${name}: the process did not start (no pid file)"
}

stop_service() {
  local name="$1" pid i
  pid="$(service_pid "${name}")"
  if [[ -z "${pid}" ]]; then
    say "${name}: not running"
    return 0
  fi
  kill -TERM "${pid}" 2>/dev/null || true
  for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
    kill -0 "${pid}" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "${pid}" 2>/dev/null; then
    say "${name}: still running after ${STOP_TIMEOUT}s, sending SIGKILL to ${pid}"
    kill -KILL "${pid}" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$(pid_file "${name}")"
  say "${name}: stopped (pid ${pid})"
}

# --- kafka -----------------------------------------------------------------------------------

# The java command line shared by the broker and its tools, in the array KAFKA_JAVA.
kafka_java_cmd() {
  local heap=()
  read -r -a heap <<<"${KAFKA_HEAP_OPTS}"
  KAFKA_JAVA=(java "${heap[@]}" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    "-Dlog4j.configuration=file:${KAFKA_LOG4J}" "-Dkafka.logs.dir=${LOG_DIR}" -cp "${KAFKA_LIBS}/*")
}

kafka_java() {
  kafka_java_cmd
  "${KAFKA_JAVA[@]}" "$@"
}

render_kafka_props() {
  sed -e "s#@DATA_DIR@#${KAFKA_DATA}#g" \
    -e "s#@KAFKA_PORT@#${KAFKA_PORT}#g" \
    -e "s#@CONTROLLER_PORT@#${KAFKA_CONTROLLER_PORT}#g" \
    "${KAFKA_TEMPLATE}" >"${KAFKA_PROPS}.tmp"
  mv -f "${KAFKA_PROPS}.tmp" "${KAFKA_PROPS}"
}

# Formats the storage exactly once. The cluster id is kept in the cache; an already formatted
# data dir is never touched again (a restart keeps all topics and offsets).
format_kafka_storage() {
  local id
  if [[ -f "${KAFKA_DATA}/meta.properties" ]]; then
    return 0
  fi
  if [[ -s "${KAFKA_CLUSTER_ID_FILE}" ]]; then
    id="$(tr -d '[:space:]' <"${KAFKA_CLUSTER_ID_FILE}")"
  else
    id="$(kafka_java kafka.tools.StorageTool random-uuid | tail -n 1 | tr -d '[:space:]')"
    [[ -n "${id}" ]] || die "kafka: could not generate a cluster id"
    printf '%s\n' "${id}" >"${KAFKA_CLUSTER_ID_FILE}"
  fi
  say "kafka: formatting storage (cluster id ${id})"
  mkdir -p "${KAFKA_DATA}"
  mark_logs "${LOG_DIR}/kafka.out"
  if ! kafka_java kafka.tools.StorageTool format -t "${id}" -c "${KAFKA_PROPS}" --ignore-formatted \
    >>"${LOG_DIR}/kafka.out" 2>&1; then
    show_log_tail "${LOG_DIR}/kafka.out"
    die "kafka: formatting the storage failed"
  fi
}

start_kafka() {
  local pid
  pid="$(service_pid kafka)"
  if [[ -n "${pid}" ]]; then
    say "kafka: already running (pid ${pid}, 127.0.0.1:${KAFKA_PORT})"
    return 0
  fi
  if ! compgen -G "${KAFKA_LIBS}/kafka_2.13-*.jar" >/dev/null; then
    die "kafka: no jars in ${KAFKA_LIBS#"${REPO_ROOT}/"}; run 'bash infra/setup.sh' first"
  fi
  command -v java >/dev/null 2>&1 || die "java not found; run 'bash infra/setup.sh'"
  require_free_port "Kafka" "${KAFKA_PORT}"
  require_free_port "Kafka controller" "${KAFKA_CONTROLLER_PORT}"

  render_kafka_props
  format_kafka_storage

  local log="${LOG_DIR}/kafka.log" out="${LOG_DIR}/kafka.out" started=${SECONDS}
  mark_logs "${log}" "${out}"
  say "kafka: starting on 127.0.0.1:${KAFKA_PORT} ..."
  kafka_java_cmd
  spawn kafka "${out}" "${KAFKA_JAVA[@]}" kafka.Kafka "${KAFKA_PROPS}"
  pid="$(tr -dc '0-9' <"$(pid_file kafka)")"

  # Ready = the port accepts connections and the broker logged that it finished starting.
  while ((SECONDS - started < KAFKA_START_TIMEOUT)); do
    if ! kill -0 "${pid}" 2>/dev/null; then
      rm -f "$(pid_file kafka)"
      show_log_tail "${log}" "${out}"
      die "kafka: the broker exited during start-up (see above; logs in ${LOG_DIR#"${REPO_ROOT}/"})"
    fi
    # grep reads to the end (no -q): with pipefail, an early exit would fail the pipeline on SIGPIPE
    # whenever the log since the mark is longer than a pipe buffer.
    if port_open 127.0.0.1 "${KAFKA_PORT}" && log_since "${log}" | grep -F 'Kafka Server started' >/dev/null; then
      say "kafka: ready (pid ${pid}, 127.0.0.1:${KAFKA_PORT}) in $((SECONDS - started))s"
      return 0
    fi
    sleep 0.5
  done
  show_log_tail "${log}" "${out}"
  die "kafka: not ready after ${KAFKA_START_TIMEOUT}s (still running as pid ${pid}; 'bash infra/stack.sh down' stops it)"
}

# --- clickhouse ------------------------------------------------------------------------------

ch_ping() {
  local url="$1"
  [[ "$(curl -fsS --max-time 2 "${url%/}/ping" 2>/dev/null || true)" == "Ok." ]]
}

start_clickhouse() {
  local pid
  pid="$(service_pid clickhouse)"
  if [[ -n "${pid}" ]]; then
    say "clickhouse: already running (pid ${pid}, http://127.0.0.1:${CH_PORT})"
    return 0
  fi
  [[ -f "${CH_SERVER}" ]] || die "clickhouse: ${CH_SERVER#"${REPO_ROOT}/"} not found"
  [[ -x "${CH_VENV}/bin/python" ]] ||
    die "clickhouse: no Python venv at ${CH_VENV#"${REPO_ROOT}/"}; run 'bash infra/setup.sh' first"
  require_free_port "ClickHouse HTTP" "${CH_PORT}"
  mkdir -p "${CH_DATA}"

  local log="${LOG_DIR}/clickhouse.log" started=${SECONDS}
  say "clickhouse: starting on http://127.0.0.1:${CH_PORT} ..."
  mark_logs "${log}"
  printf '\n=== %s stack.sh: starting clickhouse ===\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" >>"${log}"
  spawn clickhouse "${log}" env PYTHONUNBUFFERED=1 "${CH_VENV}/bin/python" "${CH_SERVER}" \
    --host 127.0.0.1 --port "${CH_PORT}" --data-dir "${CH_DATA}"
  pid="$(tr -dc '0-9' <"$(pid_file clickhouse)")"

  while ((SECONDS - started < CH_START_TIMEOUT)); do
    if ! kill -0 "${pid}" 2>/dev/null; then
      rm -f "$(pid_file clickhouse)"
      show_log_tail "${log}"
      die "clickhouse: the server exited during start-up (see above)"
    fi
    if ch_ping "http://127.0.0.1:${CH_PORT}"; then
      say "clickhouse: ready (pid ${pid}, http://127.0.0.1:${CH_PORT}) in $((SECONDS - started))s"
      return 0
    fi
    sleep 0.3
  done
  show_log_tail "${log}"
  die "clickhouse: no 'Ok.' from /ping after ${CH_START_TIMEOUT}s (still running as pid ${pid})"
}

# --- commands --------------------------------------------------------------------------------

external_status() {
  local rc=0 broker host port
  IFS=',' read -r broker _ <<<"${KAFKA_BROKERS}"
  broker="${broker// /}"
  broker="${broker#*://}"
  host="${broker%:*}"
  port="${broker##*:}"
  if port_open "${host}" "${port}"; then
    say "kafka: external ${KAFKA_BROKERS} (reachable)"
  else
    say "kafka: external ${KAFKA_BROKERS} (NOT reachable)"
    rc=3
  fi
  if ch_ping "${CLICKHOUSE_URL}"; then
    say "clickhouse: external ${CLICKHOUSE_URL} (reachable)"
  else
    say "clickhouse: external ${CLICKHOUSE_URL} (NOT reachable)"
    rc=3
  fi
  return "${rc}"
}

# Runs "$@" holding the stack lock, so that concurrent `up`/`down` calls do not race.
with_lock() {
  mkdir -p "${RUN_DIR}" "${LOG_DIR}" "${KAFKA_HOME}"
  if command -v flock >/dev/null 2>&1; then
    exec 9>"${RUN_DIR}/stack.lock"
    flock -w 300 9 || die "another stack.sh holds ${RUN_DIR#"${REPO_ROOT}/"}/stack.lock"
  fi
  "$@"
}

cmd_up() {
  if external_mode; then
    say "KAFKA_BROKERS and CLICKHOUSE_URL are set: using the external servers, nothing started"
    external_status || true
    return 0
  fi
  if [[ -n "${KAFKA_BROKERS:-}" || -n "${CLICKHOUSE_URL:-}" ]]; then
    say "note: only one of KAFKA_BROKERS / CLICKHOUSE_URL is set; starting the full local stack"
  fi
  local kpid cpid
  kpid="$(service_pid kafka)"
  cpid="$(service_pid clickhouse)"
  if [[ -n "${kpid}" && -n "${cpid}" ]]; then
    say "already up: kafka (pid ${kpid}, 127.0.0.1:${KAFKA_PORT}), clickhouse (pid ${cpid}, http://127.0.0.1:${CH_PORT})"
    return 0
  fi
  # Check every port first, so that a conflict is reported before anything is started.
  if [[ -z "${kpid}" ]]; then
    require_free_port "Kafka" "${KAFKA_PORT}"
    require_free_port "Kafka controller" "${KAFKA_CONTROLLER_PORT}"
  fi
  [[ -n "${cpid}" ]] || require_free_port "ClickHouse HTTP" "${CH_PORT}"
  start_kafka
  start_clickhouse
  say "up"
}

cmd_down() {
  if external_mode; then
    say "KAFKA_BROKERS and CLICKHOUSE_URL are set: external servers, nothing to stop"
    return 0
  fi
  stop_service clickhouse
  stop_service kafka
}

cmd_status() {
  if external_mode; then
    external_status || return $?
    return 0
  fi
  local rc=0 pid
  pid="$(service_pid kafka)"
  if [[ -n "${pid}" ]]; then
    say "kafka: running (pid ${pid}, 127.0.0.1:${KAFKA_PORT})"
  else
    say "kafka: stopped"
    rc=3
  fi
  pid="$(service_pid clickhouse)"
  if [[ -n "${pid}" ]]; then
    say "clickhouse: running (pid ${pid}, http://127.0.0.1:${CH_PORT})"
  else
    say "clickhouse: stopped"
    rc=3
  fi
  return "${rc}"
}

cmd_logs() {
  local which="${1:-all}" files=()
  case "${which}" in
    kafka) files=("${LOG_DIR}/kafka.log") ;;
    clickhouse) files=("${LOG_DIR}/clickhouse.log") ;;
    all) files=("${LOG_DIR}/kafka.log" "${LOG_DIR}/clickhouse.log") ;;
    *) die "logs: unknown service '${which}' (kafka|clickhouse)" ;;
  esac
  local f existing=()
  for f in "${files[@]}"; do
    [[ -f "${f}" ]] && existing+=("${f}")
  done
  ((${#existing[@]} > 0)) || die "no logs yet in ${LOG_DIR#"${REPO_ROOT}/"}"
  if [[ -t 1 ]]; then
    exec tail -n 100 -F "${existing[@]}"
  else
    tail -n 100 "${existing[@]}"
  fi
}

main() {
  local cmd="${1:-}"
  case "${cmd}" in
    up) with_lock cmd_up ;;
    down) with_lock cmd_down ;;
    status) cmd_status ;;
    logs)
      shift
      cmd_logs "$@"
      ;;
    -h | --help | help) usage ;;
    "")
      usage >&2
      exit 2
      ;;
    *)
      printf 'stack: unknown command: %s\n\n' "${cmd}" >&2
      usage >&2
      exit 2
      ;;
  esac
}

main "$@"
