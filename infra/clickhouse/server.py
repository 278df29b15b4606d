#!/usr/bin/env python3
"""ClickHouse HTTP interface over chDB -- DEVELOPMENT INFRASTRUCTURE ONLY.

Baton's development and CI machines have no Docker and no ClickHouse server. This
adapter runs ClickHouse's own engine in-process through chDB (``chdb==4.4.0`` /
``chdb-core==26.9.0``, ClickHouse 26.9) and serves the subset of ClickHouse's HTTP
interface that the official Node client ``@clickhouse/client`` uses, so Baton code
talks to it exactly as to a real ClickHouse 25.x/26.x server. Never expose it beyond
127.0.0.1 and never use it in production (there is no authentication, see below).

Usage::

    python infra/clickhouse/server.py --host 127.0.0.1 --port 8123 --data-dir .cache/clickhouse

Supported
---------
* ``GET /ping``, ``HEAD /ping``, ``GET /`` without a query -> ``200 Ok.\\n``.
* Queries via ``POST /`` (SQL in the body), ``GET /?query=...`` and ``POST /?query=...``
  with a body. As in ClickHouse, the statement is the ``query`` parameter, a line
  break and then the body; so ``?query=INSERT INTO t FORMAT JSONEachRow`` + rows in the
  body inserts the body's rows (streamed into chDB, any ClickHouse input format).
  ``INSERT ... FORMAT X <data>`` entirely in the body and ``INSERT ... VALUES`` work too
  (that inline data must be UTF-8 text).
* Request bodies with ``Content-Length`` or ``Transfer-Encoding: chunked``;
  ``Content-Encoding: gzip`` / ``deflate`` request bodies.
* URL parameters: ``database`` (also header ``X-ClickHouse-Database``), ``query_id``
  (also header ``X-ClickHouse-Query-Id``; echoed, or a UUID is generated),
  ``default_format`` (also header ``X-ClickHouse-Format``), ``param_<name>`` for
  ``{name:Type}`` query parameters, and every other parameter is a ClickHouse setting
  applied to that one query only (``async_insert``, ``wait_for_async_insert``,
  ``date_time_input_format``, ``output_format_json_quote_64bit_integers``,
  ``max_execution_time``, ``extremes``, ...). An unknown setting fails as in ClickHouse
  (``Code: 115 UNKNOWN_SETTING``).
* GET requests run with ``readonly=2`` (as in ClickHouse: GET implies read-only).
* Every output format chDB has; the format is the query's ``FORMAT`` clause, else
  ``default_format``, else ``TabSeparated``. DDL and other commands answer 200 with an
  empty body.
* Response headers ``X-ClickHouse-Query-Id``, ``X-ClickHouse-Format``,
  ``X-ClickHouse-Timezone``, ``X-ClickHouse-Summary`` (read_rows, read_bytes,
  written_rows, written_bytes, total_rows_to_read, result_rows, result_bytes,
  elapsed_ns, as strings), ``X-ClickHouse-Server-Display-Name``, ``Keep-Alive``, and a
  ClickHouse-like ``Content-Type``. HTTP/1.1 keep-alive.
* Response compression with gzip/deflate when the setting ``enable_http_compression=1``
  is given and the request's ``Accept-Encoding`` allows it.
* Errors: ClickHouse's HTTP status for the error code (400 syntax/parse errors, 404
  unknown table/database/setting, 500 otherwise, ...), the header
  ``X-ClickHouse-Exception-Code`` and the body
  ``Code: N. DB::Exception: <message>. (<NAME>) (version 26.9.x)``, which the official
  client turns into a ``ClickHouseError`` with that ``code`` and ``type``.
  Multi-statement requests are rejected as in ClickHouse (``Code: 62``).
* Data is persisted in ``--data-dir`` (a chDB database path) and survives restarts.
  One adapter per data directory (a lock file enforces it).
* Concurrent requests: each request runs on its own chDB connection (its own query
  context: settings, current database) in parallel, at most ``--max-concurrent`` at
  a time; further requests wait for a free slot.
* SIGTERM/SIGINT: stop accepting, let in-flight requests finish, close chDB (flushes
  data), exit 0.
* One log line per request on stderr: method, status, milliseconds, query_id and the
  first 200 characters of the SQL (hidden when chDB reports that it contains secrets).
  Credentials are never logged.

Authentication: ``Authorization: Basic``, ``X-ClickHouse-User``/``X-ClickHouse-Key``
and ``user``/``password`` parameters are accepted for ANY user and password and are
otherwise ignored. Development only.

NOT supported (differences from a real ClickHouse server)
--------------------------------------------------------
* Native TCP protocol (port 9000), MySQL/PostgreSQL/gRPC interfaces, HTTPS/TLS.
* Authentication, users, roles, quotas, RBAC (``role`` and ``quota_key`` are ignored).
* HTTP sessions: ``session_id``/``session_timeout``/``session_check``/``close_session``
  are accepted and ignored; every request gets a fresh context, so ``SET`` and
  temporary tables do not carry over to the next request.
* ClickHouse-internal compression (``compress=1``, ``decompress=1``) -> Code 48
  NOT_IMPLEMENTED; request ``Content-Encoding`` other than gzip/deflate (br, zstd, xz,
  lz4, bz2, snappy) -> Code 48; response compression other than gzip/deflate (the
  response is then sent uncompressed).
* Progress: no ``X-ClickHouse-Progress`` headers (``send_progress_in_http_headers`` is
  accepted and has no effect); results are buffered and sent when the query has
  finished (as with ``wait_end_of_query=1``), with ``Content-Length``, not streamed.
  Consequently no mid-stream exceptions / ``X-ClickHouse-Exception-Tag``.
* ``multipart/form-data`` external tables (``<name>_structure``/``_format``/``_types``).
* Query cancellation: closing the HTTP connection does not cancel the query;
  ``KILL QUERY``, ``system.processes`` and ``system.query_log`` do not see the HTTP
  ``query_id`` (it is only echoed).
* ``total_rows_to_read`` in the summary is always "0"; ``read_rows``/``read_bytes``
  are chDB's storage read counters.
* Predefined/custom HTTP handlers (``http_handlers`` config), ``/play``,
  ``/dashboard``, ``/replicas_status``, ``/metrics`` and static files; OPTIONS/CORS
  preflight only answers 204.
* Server configuration files, clusters, ``ON CLUSTER``, replication, ZooKeeper/Keeper.
* Inline insert data written in the SQL text itself must be valid UTF-8 (binary
  formats such as RowBinary/Native/Parquet work when sent as the body with the
  ``INSERT ... FORMAT X`` statement in the ``query`` parameter, as the client does).
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import re
import select
import signal
import socket
import sys
import threading
import time
import uuid
import zlib
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Iterator, Optional
from urllib.parse import parse_qsl, urlsplit

# --------------------------------------------------------------------------------------
# ClickHouse constants
# --------------------------------------------------------------------------------------

# HTTP parameters that are not settings (ClickHouse's HTTPHandler reserved names).
RESERVED_PARAMS = frozenset({
    'compress', 'decompress', 'user', 'password', 'quota_key', 'query_id', 'stacktrace',
    'buffer_size', 'wait_end_of_query', 'session_id', 'session_timeout', 'session_check',
    'client_protocol_version', 'close_session', 'role', 'query', 'database',
    'default_format',
})

ERROR_NAMES = {
    1: 'UNSUPPORTED_METHOD', 27: 'CANNOT_PARSE_INPUT_ASSERTION_FAILED', 36: 'BAD_ARGUMENTS',
    48: 'NOT_IMPLEMENTED', 62: 'SYNTAX_ERROR', 81: 'UNKNOWN_DATABASE', 115: 'UNKNOWN_SETTING',
    164: 'READONLY', 209: 'SOCKET_TIMEOUT', 381: 'HTTP_LENGTH_REQUIRED',
    1002: 'UNKNOWN_EXCEPTION',
}

# src/Server/HTTP/exceptionCodeToHTTPStatus.cpp (ClickHouse 26.x); codes from errorCodeToName().
_HTTP_STATUS_BY_CODE: dict[int, int] = {
    194: 401,  # REQUIRED_PASSWORD
    # UNKNOWN_USER WRONG_PASSWORD AUTHENTICATION_FAILED SET_NON_GRANTED_ROLE ACCESS_DENIED
    **dict.fromkeys((192, 193, 516, 512, 497), 403),
    # BAD_ARGUMENTS CANNOT_COMPILE_REGEXP CANNOT_PARSE_* DUPLICATE_COLUMN ILLEGAL_COLUMN
    # UNKNOWN_ELEMENT_IN_AST UNKNOWN_TYPE_OF_AST_NODE THERE_IS_NO_COLUMN TOO_DEEP_AST TOO_BIG_AST
    # UNEXPECTED_AST_STRUCTURE SYNTAX_ERROR INCORRECT_DATA TYPE_MISMATCH VALUE_IS_OUT_OF_RANGE_OF_DATA_TYPE
    **dict.fromkeys((36, 427, 6, 25, 26, 38, 41, 72, 441, 675, 676, 27, 376, 15, 44, 37, 123, 8, 167, 168,
                     223, 62, 117, 53, 321), 400),
    # UNKNOWN_TABLE _FUNCTION _IDENTIFIER _TYPE _STORAGE _DATABASE _SETTING _DIRECTION_OF_SORTING
    # _AGGREGATE_FUNCTION _FORMAT _DATABASE_ENGINE _TYPE_OF_QUERY _ROLE
    **dict.fromkeys((60, 46, 47, 50, 56, 81, 115, 152, 63, 73, 336, 78, 511), 404),
    229: 413,  # QUERY_IS_TOO_LARGE
    48: 501,  # NOT_IMPLEMENTED
    209: 503, 76: 503, 439: 503,  # SOCKET_TIMEOUT CANNOT_OPEN_FILE CANNOT_SCHEDULE_TASK
    381: 411,  # HTTP_LENGTH_REQUIRED
    159: 408,  # TIMEOUT_EXCEEDED
    779: 415,  # UNSUPPORTED_MEDIA_TYPE
}


def http_status_for(code: int) -> int:
    return _HTTP_STATUS_BY_CODE.get(code, 500)


def content_type_for(fmt: str) -> str:
    f = fmt.lower()
    if f.startswith('json') or f.startswith('ndjson'):
        if 'eachrow' in f or f.startswith('ndjson') or f == 'jsonlines':
            return 'application/x-ndjson; charset=UTF-8'
        return 'application/json; charset=UTF-8'
    if f.startswith('tabseparated') or f.startswith('tsv'):
        return 'text/tab-separated-values; charset=UTF-8'
    if f == 'xml':
        return 'application/xml; charset=UTF-8'
    if f in ('rowbinary', 'rowbinarywithnames', 'rowbinarywithnamesandtypes', 'native', 'parquet',
             'arrow', 'arrowstream', 'orc', 'avro', 'protobuf', 'capnproto', 'msgpack', 'bsoneachrow',
             'npy'):
        return 'application/octet-stream'
    return 'text/plain; charset=UTF-8'


class ClientGone(Exception):
    """The client closed the connection before its read started: nobody to run it for."""


class ClickHouseException(Exception):
    """An error to report to the client the way ClickHouse does."""

    def __init__(self, code: int, message: str, name: Optional[str] = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.name = name or ERROR_NAMES.get(code, 'UNKNOWN_EXCEPTION')


_CODE_RE = re.compile(r'Code: (\d+)\. ')
_NAME_RE = re.compile(r'\(([A-Z0-9_]*[A-Z]{3}[A-Z0-9_]*)\)')
_VERSION_SUFFIX_RE = re.compile(r'\s*\(version [^)]*\)\s*$')


def error_body(exc: BaseException, version: str) -> tuple[int, str]:
    """Returns (code, text) for any exception, text shaped like ClickHouse's."""
    if isinstance(exc, ClickHouseException):
        msg = exc.message.rstrip()
        if not msg.endswith('.'):
            msg += '.'
        return exc.code, f'Code: {exc.code}. DB::Exception: {msg} ({exc.name}) (version {version})'
    text = str(exc)
    m = _CODE_RE.search(text)
    if m is None:
        return 1002, (f'Code: 1002. DB::Exception: {text.rstrip() or type(exc).__name__}. '
                      f'(UNKNOWN_EXCEPTION) (version {version})')
    code = int(m.group(1))
    text = _VERSION_SUFFIX_RE.sub('', text[m.start():].rstrip())
    if not _NAME_RE.search(text):
        text += f' ({ERROR_NAMES.get(code, "UNKNOWN_EXCEPTION")})'
    return code, f'{text} (version {version})'


# --------------------------------------------------------------------------------------
# A small SQL scanner: finds the statement kind and the FORMAT clause without parsing
# inline data or string literals.
# --------------------------------------------------------------------------------------

_WORD_RE = re.compile(r'[A-Za-z_][A-Za-z0-9_$]*')


def scan_words(sql: str, stop_after_format: bool = False) -> list[tuple[str, int, int]]:
    """Top-level bare words of `sql` as (UPPER, start, end); skips literals and comments.

    With stop_after_format, stops after the identifier following the first FORMAT
    keyword (INSERT statements: inline data follows it).
    """
    words: list[tuple[str, int, int]] = []
    i, n = 0, len(sql)
    after_format = False
    while i < n:
        ch = sql[i]
        if ch.isspace():
            i += 1
        elif ch == '-' and sql.startswith('--', i) or ch == '#' and sql.startswith(('#!', '# '), i):
            j = sql.find('\n', i)
            i = n if j < 0 else j + 1
        elif ch == '/' and sql.startswith('/*', i):
            j = sql.find('*/', i + 2)
            i = n if j < 0 else j + 2
        elif ch in '\'"`':
            j = i + 1
            while j < n:
                c = sql[j]
                if c == '\\':
                    j += 2
                    continue
                if c == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            if after_format:  # FORMAT `Name`
                words.append((sql[i + 1:j].upper(), i, j + 1))
                if stop_after_format:
                    return words
                after_format = False
            i = j + 1
        elif ch.isalpha() or ch == '_':
            m = _WORD_RE.match(sql, i)
            assert m is not None
            w = m.group(0).upper()
            words.append((w, i, m.end()))
            i = m.end()
            if after_format:
                if stop_after_format:
                    return words
                after_format = False
            elif w == 'FORMAT':
                after_format = True
            elif stop_after_format and w in ('VALUES', 'SELECT', 'WITH') and words[0][0] == 'INSERT':
                return words
        else:
            after_format = False  # e.g. format(...) the function, or a column named format
            i += 1
    return words


def output_format_of(words: list[tuple[str, int, int]], sql: str,
                     known: Optional[dict[str, str]] = None) -> Optional[str]:
    """The format named by the last `FORMAT <name>` clause (canonical name when `known` is given)."""
    for k in range(len(words) - 2, -1, -1):
        if words[k][0] == 'FORMAT' and words[k + 1][1] > words[k][2]:
            _, s, e = words[k + 1]
            name = sql[s:e].strip('`"')
            if known is None:
                return name
            if name.lower() in known:
                return known[name.lower()]
    return None


# --------------------------------------------------------------------------------------
# Engine
# --------------------------------------------------------------------------------------


class Engine:
    def __init__(self, data_dir: str, max_concurrent: int, timezone: str):
        # The server time zone (timezone(), X-ClickHouse-Timezone, DateTime rendering) comes
        # from TZ, as in the clickhouse-server image; it must be set before chDB starts.
        os.environ['TZ'] = timezone
        time.tzset()
        import chdb  # imported here so that --help works without chdb installed

        self._chdb = chdb
        self.data_dir = os.path.abspath(data_dir)
        if '?' in self.data_dir:
            raise SystemExit(f'--data-dir must not contain "?": {self.data_dir}')
        os.makedirs(self.data_dir, exist_ok=True)
        self._lock_file = open(os.path.join(self.data_dir, '.baton-adapter.lock'), 'w')
        try:
            fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SystemExit(f'another adapter is already using {self.data_dir}') from None
        # The keeper connection keeps chDB's embedded server alive for the process
        # lifetime; each request opens its own cheap connection (its own query context).
        self._keeper = chdb.connect(self.data_dir)
        row = self._keeper.query('SELECT version(), timezone()', 'TabSeparated').bytes().decode()
        self.version, self.timezone = row.rstrip('\n').split('\t')
        names = self._keeper.query('SELECT name FROM system.formats WHERE is_output', 'TabSeparated').bytes()
        self.output_formats = {n.lower(): n for n in names.decode().split('\n') if n}
        self._slots = threading.BoundedSemaphore(max_concurrent)
        self._closed = False

    @contextmanager
    def connection(self) -> Iterator[object]:
        with self._slots:
            if self._closed:
                raise ClickHouseException(210, 'Server is shutting down', 'NETWORK_ERROR')
            conn = self._chdb.connect(self.data_dir)
            try:
                yield conn
            finally:
                conn.close()

    def classify(self, sql: str) -> dict:
        try:
            return self._keeper._conn.classify_query(sql)  # noqa: SLF001 -- chDB's parser
        except Exception:  # noqa: BLE001 -- classification is advisory
            return {}

    def close(self) -> None:
        self._closed = True
        try:
            self._keeper.close()
        finally:
            self._lock_file.close()


def quote_ident(name: str) -> str:
    return '`' + name.replace('\\', '\\\\').replace('`', '\\`') + '`'


def quote_string(value: str) -> str:
    return "'" + value.replace('\\', '\\\\').replace("'", "\\'") + "'"


_SETTING_NAME_RE = re.compile(r'^[A-Za-z_][A-Za-z0-9_]*$')


# --------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------


class BodyReader:
    """Reads a request body (Content-Length or chunked, optionally gzip/deflate)."""

    def __init__(self, handler: BaseHTTPRequestHandler):
        self.rfile = handler.rfile
        headers = handler.headers
        te = (headers.get('Transfer-Encoding') or '').lower()
        self.chunked = 'chunked' in te
        cl = headers.get('Content-Length')
        self.remaining = int(cl) if cl and not self.chunked else 0
        self.has_length = self.chunked or cl is not None
        self.finished = not self.chunked and self.remaining == 0
        enc = (headers.get('Content-Encoding') or '').strip().lower()
        self._inflate = None
        if enc in ('gzip', 'x-gzip'):
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif enc == 'deflate':
            self._inflate = zlib.decompressobj(zlib.MAX_WBITS)
        elif enc not in ('', 'identity'):
            raise ClickHouseException(
                48, f"Request Content-Encoding '{enc}' is not supported by the development "
                    'ClickHouse adapter (use gzip or deflate)')

    def _raw_pieces(self) -> Iterator[bytes]:
        if self.chunked:
            while True:
                line = self.rfile.readline(65537)
                if not line:
                    raise ClickHouseException(1002, 'Unexpected end of chunked request body')
                size = int(line.split(b';', 1)[0].strip() or b'0', 16)
                if size == 0:
                    while True:  # trailers
                        t = self.rfile.readline(65537)
                        if not t or t in (b'\r\n', b'\n'):
                            break
                    self.finished = True
                    return
                data = self.rfile.read(size)
                if len(data) != size:
                    raise ClickHouseException(1002, 'Unexpected end of chunked request body')
                self.rfile.readline(65537)  # CRLF after the chunk
                yield data
        else:
            while self.remaining > 0:
                data = self.rfile.read(min(self.remaining, 1 << 20))
                if not data:
                    raise ClickHouseException(1002, 'Unexpected end of request body')
                self.remaining -= len(data)
                yield data
            self.finished = True

    def pieces(self, coalesce: int = 1 << 20) -> Iterator[bytes]:
        """Decoded body in pieces of about `coalesce` bytes."""
        buf: list[bytes] = []
        size = 0
        for raw in self._raw_pieces():
            data = self._inflate.decompress(raw) if self._inflate else raw
            if data:
                buf.append(data)
                size += len(data)
            if size >= coalesce:
                yield b''.join(buf)
                buf, size = [], 0
        if self._inflate:
            tail = self._inflate.flush()
            if tail:
                buf.append(tail)
        if buf:
            yield b''.join(buf)

    def read_all(self) -> bytes:
        return b''.join(self.pieces())

    def drain(self) -> bool:
        """Consumes the rest of the body; False if the connection cannot be reused."""
        if self.finished:
            return True
        try:
            for _ in self._raw_pieces():
                pass
            return True
        except Exception:  # noqa: BLE001
            return False


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    engine: Engine
    display_name: str

    def __init__(self, addr: tuple[str, int], engine: Engine):
        self.engine = engine
        self.display_name = socket.gethostname()
        self.shutting_down = False
        self._inflight = 0
        self._inflight_cv = threading.Condition()
        super().__init__(addr, Handler)

    def begin(self) -> None:
        with self._inflight_cv:
            self._inflight += 1

    def end(self) -> None:
        with self._inflight_cv:
            self._inflight -= 1
            self._inflight_cv.notify_all()

    def wait_idle(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self._inflight_cv:
            while self._inflight > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._inflight_cv.wait(left)
        return True


def log_line(method: str, status: int, ms: float, query_id: str, sql: str) -> None:
    snippet = ' '.join(sql[:200].split())
    if len(sql) > 200:
        snippet += '...'
    ts = time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime())
    sys.stderr.write(f'{ts}Z {method} {status} {ms:.1f}ms query_id={query_id} sql="{snippet}"\n')
    sys.stderr.flush()


class Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'
    server_version = 'baton-chdb-adapter'
    timeout = 120  # idle keep-alive sockets are closed after this many seconds
    # Headers and body leave in two writes: with Nagle's algorithm the body waited for the
    # client's delayed ACK of the headers (~20-40 ms on every answer, SELECT 1 included).
    disable_nagle_algorithm = True
    server: Server

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass  # one line per request is written by log_line

    # -- plumbing ------------------------------------------------------------------

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.send_header('Keep-Alive', 'timeout=10')
        if self.close_connection or self.server.shutting_down:
            self.close_connection = True
            self.send_header('Connection', 'close')
        self.end_headers()
        if self.command != 'HEAD' and body:
            self.wfile.write(body)

    def _ok_text(self) -> None:
        self._send(200, b'Ok.\n', {'Content-Type': 'text/html; charset=UTF-8'})

    def do_OPTIONS(self) -> None:  # noqa: N802
        self._send(204, b'', {'Access-Control-Allow-Origin': '*',
                              'Access-Control-Allow-Methods': 'POST, GET, OPTIONS',
                              'Access-Control-Allow-Headers': 'origin, x-requested-with, x-clickhouse-format, '
                                                              'x-clickhouse-user, x-clickhouse-key, Authorization'})

    def do_HEAD(self) -> None:  # noqa: N802
        self.do_GET()

    def do_GET(self) -> None:  # noqa: N802
        path = urlsplit(self.path).path
        if path == '/ping':
            self._ok_text()
            return
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    # -- queries ---------------------------------------------------------------------

    def _handle(self) -> None:
        t0 = time.monotonic()
        self.server.begin()
        url = urlsplit(self.path)
        params = parse_qsl(url.query, keep_blank_values=True)
        first: dict[str, str] = {}
        for k, v in params:
            first.setdefault(k, v)
        query_id = first.get('query_id') or self.headers.get('X-ClickHouse-Query-Id') or str(uuid.uuid4())
        method = self.command
        sql_for_log = first.get('query', '')
        status = 500
        body: Optional[BodyReader] = None
        try:
            if url.path not in ('/', ''):
                status = 404
                self._send(404, f'There is no handle {url.path}\n\nUse / or /ping for health checks.\n'
                                'Send queries with POST or GET /?query=...\n'.encode(),
                           {'Content-Type': 'text/plain; charset=UTF-8'})
                if method == 'POST':
                    self.close_connection = True
                return
            if method == 'POST' and not (self.headers.get('Transfer-Encoding') or self.headers.get('Content-Length')):
                raise ClickHouseException(
                    381, 'The Transfer-Encoding is not chunked and there is no Content-Length header for POST request')
            body = BodyReader(self)
            if method != 'POST' and 'query' not in first and body.finished:
                status = 200
                self._ok_text()
                return
            status, sql_for_log = self._run(method, first, params, body, query_id, t0)
        except ClientGone:
            # Logged as 499 ("client closed request"), the one status that says it did not run.
            status = 499
            self.close_connection = True
        except Exception as exc:  # noqa: BLE001 -- every failure becomes a ClickHouse error
            if body is None or not body.drain():
                self.close_connection = True
            code, text = error_body(exc, self.server.engine.version)
            status = http_status_for(code)
            try:
                self._send(status, (text + '\n').encode(), {
                    'Content-Type': 'text/plain; charset=UTF-8',
                    'X-ClickHouse-Query-Id': query_id,
                    'X-ClickHouse-Server-Display-Name': self.server.display_name,
                    'X-ClickHouse-Timezone': self.server.engine.timezone,
                    'X-ClickHouse-Exception-Code': str(code),
                })
            except OSError:
                self.close_connection = True
        finally:
            self.server.end()
            log_line(method, status, (time.monotonic() - t0) * 1000, query_id, sql_for_log)

    def _run(self, method: str, first: dict[str, str], params: list[tuple[str, str]], body: BodyReader,
             query_id: str, t0: float) -> tuple[int, str]:
        engine = self.server.engine
        if first.get('compress', '0') not in ('0', 'false', ''):
            raise ClickHouseException(48, 'compress=1 (ClickHouse-internal compression) is not supported by the '
                                          'development ClickHouse adapter; use enable_http_compression=1')
        if first.get('decompress', '0') not in ('0', 'false', ''):
            raise ClickHouseException(48, 'decompress=1 (ClickHouse-internal compression) is not supported by the '
                                          'development ClickHouse adapter; use Content-Encoding: gzip')
        database = self.headers.get('X-ClickHouse-Database') or first.get('database') or ''
        default_format = self.headers.get('X-ClickHouse-Format') or first.get('default_format') or 'TabSeparated'
        if default_format.lower() in ('dataframe', 'datastore', 'arrowtable', 'debug'):
            raise ClickHouseException(73, f'Unknown format {default_format}', 'UNKNOWN_FORMAT')
        query_params: dict[str, str] = {}
        settings: list[tuple[str, str]] = []
        for k, v in params:
            if k.startswith('param_'):
                query_params.setdefault(k[len('param_'):], v)
            elif k in RESERVED_PARAMS or k == '':
                continue
            else:
                if not _SETTING_NAME_RE.match(k):
                    raise ClickHouseException(115, f"Unknown setting '{k}'")
                settings.append((k, v))

        qparam = first.get('query', '')
        head = qparam + '\n' if qparam else ''

        # INSERT ... FORMAT X in the query parameter, data in the body: stream the body.
        streamed_insert = None
        if qparam and not body.finished:
            words = scan_words(qparam, stop_after_format=True)
            if words and words[0][0] == 'INSERT' and len(words) >= 2 and words[-2][0] == 'FORMAT' \
                    and qparam[words[-1][2]:].strip() == '':
                streamed_insert = (qparam[:words[-2][1]].rstrip(), output_format_of(words, qparam) or '')

        if streamed_insert is not None:
            sql_for_log = qparam
            insert_sql, in_fmt = streamed_insert
            with engine.connection() as conn:
                self._prepare(conn, method, database, settings)
                inserter = conn.send_insert(insert_sql, in_fmt)
                try:
                    for piece in body.pieces():
                        inserter.append(piece)
                    res = inserter.finish()
                except BaseException:
                    try:
                        inserter.cancel()
                    except Exception:  # noqa: BLE001
                        pass
                    raise
            elapsed_ns = int((time.monotonic() - t0) * 1e9)
            summary = {'read_rows': '0', 'read_bytes': '0', 'written_rows': str(res.rows_written),
                       'written_bytes': str(res.bytes_written), 'total_rows_to_read': '0',
                       'result_rows': str(res.rows_written), 'result_bytes': str(res.bytes_written),
                       'elapsed_ns': str(elapsed_ns)}
            self._respond(200, b'', query_id, default_format, summary)
            return 200, sql_for_log

        raw = body.read_all()
        try:
            text = head + raw.decode('utf-8')
        except UnicodeDecodeError:
            raise ClickHouseException(
                36, 'The request body is not valid UTF-8; send binary insert data as the body with the '
                    "INSERT ... FORMAT statement in the 'query' URL parameter") from None
        sql_for_log = text
        if text.strip() == '':
            raise ClickHouseException(62, 'Empty query')
        info = engine.classify(text)
        if info.get('has_secrets'):
            sql_for_log = '<query with secrets hidden>'
        if info.get('statement_count', 1) > 1:
            raise ClickHouseException(62, 'Multi-statements are not allowed')
        words = scan_words(text, stop_after_format=True)
        is_insert = bool(words) and words[0][0] == 'INSERT'
        out_fmt = default_format
        if not is_insert:
            out_fmt = output_format_of(scan_words(text), text, engine.output_formats) or default_format
        with engine.connection() as conn:
            # As ClickHouse with cancel_http_readonly_queries_on_client_close: a read whose client
            # hung up while it waited for a slot is not run for nobody (chDB cannot stop a query
            # once it runs, so this is checked when it is about to start).
            if not is_insert and self._cancel_on_close(settings) and self._client_gone():
                raise ClientGone()
            self._prepare(conn, method, database, settings)
            res = conn.query(text, default_format, params=query_params)
            data = res.bytes()
            summary = {'read_rows': str(res.storage_rows_read()), 'read_bytes': str(res.storage_bytes_read()),
                       'written_rows': str(res.rows_written()), 'written_bytes': str(res.bytes_written()),
                       'total_rows_to_read': '0',
                       'result_rows': str(res.rows_written() if is_insert else res.rows_read()),
                       'result_bytes': str(res.bytes_written() if is_insert else res.bytes_read()),
                       'elapsed_ns': str(int((time.monotonic() - t0) * 1e9))}
        self._respond(200, data, query_id, out_fmt, summary)
        return 200, sql_for_log

    @staticmethod
    def _cancel_on_close(settings: list[tuple[str, str]]) -> bool:
        return any(k == 'cancel_http_readonly_queries_on_client_close' and v.lower() in ('1', 'true')
                   for k, v in settings)

    def _client_gone(self) -> bool:
        # The request has been read whole and the client waits for the answer, so the socket is
        # readable only when the client closed it (a read of 0 bytes) — or reset it.
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            return bool(readable) and self.connection.recv(1, socket.MSG_PEEK) == b''
        except OSError:
            return True

    @staticmethod
    def _prepare(conn: object, method: str, database: str, settings: list[tuple[str, str]]) -> None:
        if database:
            conn.query(f'USE {quote_ident(database)}', 'TabSeparated')
        changes = []
        if method != 'POST' and not any(k == 'readonly' for k, _ in settings):
            changes.append('readonly = 2')
        changes.extend(f'{k} = {quote_string(v)}' for k, v in settings)
        if changes:
            conn.query('SET ' + ', '.join(changes), 'TabSeparated')

    def _respond(self, status: int, data: bytes, query_id: str, fmt: str, summary: dict[str, str]) -> None:
        headers = {
            'Content-Type': content_type_for(fmt),
            'X-ClickHouse-Server-Display-Name': self.server.display_name,
            'X-ClickHouse-Query-Id': query_id,
            'X-ClickHouse-Format': fmt,
            'X-ClickHouse-Timezone': self.server.engine.timezone,
            'X-ClickHouse-Summary': json.dumps(summary, separators=(',', ':')),
        }
        url_params = dict(parse_qsl(urlsplit(self.path).query, keep_blank_values=True))
        if url_params.get('enable_http_compression', '0') not in ('0', 'false', '') and data:
            accept = (self.headers.get('Accept-Encoding') or '').lower()
            level = int(url_params.get('http_zlib_compression_level', '3') or 3)
            encodings = [e.split(';')[0].strip() for e in accept.split(',')]
            if 'gzip' in encodings:
                c = zlib.compressobj(level, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
                data = c.compress(data) + c.flush()
                headers['Content-Encoding'] = 'gzip'
            elif 'deflate' in encodings:
                c = zlib.compressobj(level, zlib.DEFLATED, zlib.MAX_WBITS)
                data = c.compress(data) + c.flush()
                headers['Content-Encoding'] = 'deflate'
        self._send(status, data, headers)


# --------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------


def main(argv: Optional[list[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        prog='server.py',
        description='Development-only ClickHouse HTTP interface over chDB (ClickHouse 26.9 engine, in-process). '
                    'Serves the subset of the HTTP interface that @clickhouse/client uses: GET /ping, '
                    'queries via POST / and GET /?query=, inserts with the body as data, query parameters '
                    '(param_<name>), per-query settings as URL parameters, ClickHouse error format. '
                    'Any user/password is accepted: bind to 127.0.0.1 only. '
                    'See the module docstring for what is not supported.',
        epilog='Example: python infra/clickhouse/server.py --host 127.0.0.1 --port 8123 --data-dir .cache/clickhouse')
    ap.add_argument('--host', default='127.0.0.1', help='address to listen on (default: 127.0.0.1)')
    ap.add_argument('--port', type=int, default=8123, help='HTTP port (default: 8123; 0 picks a free port)')
    ap.add_argument('--data-dir', required=True,
                    help='directory where chDB keeps the databases; created if missing; persists across restarts')
    ap.add_argument('--max-concurrent', type=int, default=16,
                    help='queries executed in parallel; further requests wait (default: 16)')
    ap.add_argument('--timezone', default='UTC',
                    help="server time zone, like clickhouse-server's <timezone> (default: UTC)")
    ap.add_argument('--shutdown-timeout', type=float, default=30.0,
                    help='seconds to wait for in-flight requests on SIGTERM/SIGINT (default: 30)')
    args = ap.parse_args(argv)

    engine = Engine(args.data_dir, max(1, args.max_concurrent), args.timezone)
    try:
        server = Server((args.host, args.port), engine)
    except OSError as e:
        engine.close()
        print(f'cannot listen on {args.host}:{args.port}: {e}', file=sys.stderr)
        return 1
    host, port = server.server_address[:2]

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            return
        stop.set()
        server.shutting_down = True
        sys.stderr.write(f'received signal {signum}, shutting down\n')
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sys.stderr.write(f'ClickHouse dev adapter (chDB, ClickHouse {engine.version}) listening on http://{host}:{port} '
                     f'data-dir={engine.data_dir}\n')
    sys.stderr.flush()
    try:
        server.serve_forever(poll_interval=0.2)
    finally:
        server.server_close()
        if not server.wait_idle(args.shutdown_timeout):
            sys.stderr.write('in-flight requests did not finish in time; closing anyway\n')
        engine.close()
        sys.stderr.write('stopped\n')
        sys.stderr.flush()
    return 0


if __name__ == '__main__':
    sys.exit(main())
