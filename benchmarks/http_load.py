"""Workload ``http_load``: the HTTP service under a load generator in another process (``wrk``).

What it measures, against ``medtrace serve`` started as a busy responder would start it
(``--workers`` = the machine's cores, ``--no-access-log``: every verification is in the audit
log anyway), with `wrk <https://github.com/wg/wrk>`_ (Debian package ``wrk``) as the client:

``vrs``
    DSCSA verification requests, ``GET /verify/01/{gtin}/10/{lot}/21/{serial}?exp=…&linkType=
    verificationService&context=dscsaSaleableReturn&reqGLN=…&corrUUID=…``, for random packs of
    the repository, asked by a wholesaler's API key (each request is answered from item state
    and written to the audit log before the answer is sent);
``events``
    ``GET /events?MATCH_anyEPC=<SGTIN URN>&perPage=100`` for random packs, asked by the
    manufacturer that captured them (an operator: the visibility rules apply);
``events_custodian``
    the same requests asked by a distributor that does not own the products: its GLNs are the
    shipments' destinations, so it sees a pack's events through the custody rule
    (:mod:`medtrace.store.visibility`: the pallet it received held the pack), the costliest
    visibility condition;
``capture``
    ``POST /capture`` of generated DSCSA documents, timed from the first byte sent to the job
    reported finished (``GET /capture/{id}``), against ``Repository.capture`` of the same
    documents in a fresh process (the repository's own capture rate), each into a fresh store.

The repository for ``vrs`` and ``events`` is the one :mod:`benchmarks.store_query` builds
(``--scale small``: 1 document, ~1M ``event_epc`` rows, ~0.5M items; ``--scale full``: 10
documents, ~10M rows, ~5M items): on SQLite a copy of the cached store (the cache stays
clean), on PostgreSQL a fresh schema built by the same captures and dropped afterwards. The run
adds two organizations (the manufacturer owning the documents' GS1 Company Prefixes, a
wholesaler) and their API keys. ``--backend`` picks one backend; by default both run, SQLite
first.

Each figure is the median of ``--runs`` runs of ``DURATION`` seconds after a warm-up; every run
is one ``wrk`` process (one thread, ``CONNECTIONS`` connections, each connection cycling
through its own slice of the request list). wrk shares the machine's cores with the server, as
any client on the same host would; latency percentiles are wrk's (from send to full response).
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, Final
from urllib.parse import quote

import sqlalchemy as sa

from benchmarks import (
    RunOptions,
    Verdict,
    backend_verdicts,
    data_dir,
    load_average,
    median,
    now_utc,
    run_worker,
    verdict,
    verdict_table,
)
from benchmarks.epcis_parse import ensure_input
from benchmarks.store_capture import (
    header_lines,
    new_schema_name,
    pg_create_schema,
    pg_drop_schema,
    pg_location,
    postgres_version,
)
from benchmarks.store_query import DOCUMENTS, build
from benchmarks.store_query import _sqlite_store as store_query_sqlite
from medtrace.gs1 import Gln
from medtrace.store import schema
from medtrace.store.principal import Role
from medtrace.store.repository import Repository
from medtrace.store.tenancy import create_api_key, create_organization

NAME: Final = "http_load"
DESCRIPTION: Final = (
    "HTTP service under wrk: DSCSA VRS verify, GET /events?MATCH_anyEPC, POST /capture vs "
    "the repository's capture rate"
)
TARGETS: Final = {"vrs_rps": 3000.0, "vrs_p99_ms": 50.0, "events_p99_ms": 20.0, "capture": 0.8}
#: Seconds per measured wrk run, per scale (plus a warm-up of a third of it).
DURATION: Final = {"small": 10, "full": 30}
CONNECTIONS: Final = {"vrs": 32, "events": 16, "events_custodian": 16}
#: Distinct requests per scenario (random packs).
SAMPLES: Final = 20_000
#: The capture comparison: documents of this size (MB), per scale.
CAPTURE_DOCS: Final = {"small": (5.0, 2), "full": (20.0, 3)}
_WHOLESALER_GLN: Final = "0860000000017"
_MANUFACTURER_GLN: Final = "0300000000018"
_BENCH_TAG: Final = "http-load"


# --------------------------------------------------------------------------- the repository


def checkpointed_copy(source: Path, target: Path) -> None:
    """Copy a SQLite store after folding its WAL into the main file."""
    with contextlib.closing(sqlite3.connect(source)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)


def _glns_ok() -> None:
    Gln.parse(_WHOLESALER_GLN)
    Gln.parse(_MANUFACTURER_GLN)


def prepare_store(location: str) -> dict[str, str]:
    """Add the benchmark's organizations and keys to the store; their API keys by role."""
    _glns_ok()
    with Repository.open(location) as repo:
        with repo.engine.connect() as conn:
            gtins = [
                str(g)
                for (g,) in conn.execute(
                    sa.select(schema.item_state.c.gtin)
                    .where(schema.item_state.c.kind == "sgtin")
                    .distinct()
                )
            ]
        # the generator's GTINs are "0" + 7-digit company prefix ("03" + labeler) + item + check
        prefixes = sorted({gtin[1:8] for gtin in gtins})
        suffix = uuid.uuid4().hex[:8]
        maker = create_organization(
            repo.engine,
            name=f"{_BENCH_TAG} manufacturer {suffix}",
            role=Role.OPERATOR,
            glns=[_MANUFACTURER_GLN],
            company_prefixes=prefixes,
        )
        buyer = create_organization(
            repo.engine,
            name=f"{_BENCH_TAG} wholesaler {suffix}",
            role=Role.OPERATOR,
            glns=[_WHOLESALER_GLN],
        )
        distributor = create_organization(
            repo.engine,
            name=f"{_BENCH_TAG} distributor {suffix}",
            role=Role.OPERATOR,
            glns=_destination_glns(repo),
        )
        return {
            "manufacturer": create_api_key(repo.engine, maker.org_id)[1],
            "wholesaler": create_api_key(repo.engine, buyer.org_id)[1],
            "distributor": create_api_key(repo.engine, distributor.org_id)[1],
        }
    # the store_query captures ran as the installation; the manufacturer sees them because
    # they name its products (store.visibility rule 3), the wholesaler verifies by key + GLN


def _destination_glns(repo: Repository) -> list[str]:
    """The GLNs the documents ship to (destination owning party and location)."""
    sd = schema.event_source_dest
    prefix = "https://id.gs1.org/414/"
    with repo.engine.connect() as conn:
        values = conn.execute(
            sa.select(sd.c.value).where(sd.c.kind == "d", sd.c.value.startswith(prefix)).distinct()
        ).scalars()
        return sorted({str(value)[len(prefix) :].split("/")[0] for value in values})


def sample_packs(location: str, count: int, rng: random.Random) -> list[tuple[str, ...]]:
    """``count`` random packs: ``(gtin, serial, lot, expiry YYYY-MM-DD)``."""
    st = schema.item_state
    found: dict[int, tuple[str, ...]] = {}
    with Repository.open(location) as repo, repo.engine.connect() as conn:
        top = int(conn.execute(sa.select(sa.func.max(schema.epc.c.id))).scalar_one())
        while len(found) < count:
            ids = sorted({rng.randint(1, top) for _ in range(2 * (count - len(found)))})
            for start in range(0, len(ids), 900):
                rows = conn.execute(
                    sa.select(st.c.epc_id, st.c.gtin, st.c.serial, st.c.lot, st.c.expiry).where(
                        st.c.epc_id.in_(ids[start : start + 900]),
                        st.c.kind == "sgtin",
                        st.c.lot.is_not(None),
                        st.c.expiry.is_not(None),
                    )
                )
                for epc_id, gtin, serial, lot, expiry in rows:
                    found.setdefault(int(epc_id), (gtin, serial, lot, expiry))
    packs = list(found.values())
    rng.shuffle(packs)
    return packs[:count]


def vrs_paths(packs: list[tuple[str, ...]]) -> list[str]:
    """The GS1 Digital Link verification requests of ``packs`` (one corrUUID each)."""
    paths = []
    for gtin, serial, lot, expiry in packs:
        exp = expiry[2:4] + expiry[5:7] + expiry[8:10]
        paths.append(
            f"/verify/01/{gtin}/10/{quote(lot, safe='')}/21/{quote(serial, safe='')}"
            f"?exp={exp}&linkType=verificationService&context=dscsaSaleableReturn"
            f"&reqGLN={_WHOLESALER_GLN}&corrUUID={uuid.UUID(int=random.getrandbits(128))}"
        )
    return paths


def event_paths(packs: list[tuple[str, ...]]) -> list[str]:
    """``GET /events?MATCH_anyEPC=`` for the SGTIN URN of each pack."""
    paths = []
    for gtin, serial, _lot, _expiry in packs:
        urn = f"urn:epc:id:sgtin:{gtin[1:8]}.{gtin[0]}{gtin[8:13]}.{quote(serial, safe='')}"
        paths.append(f"/events?MATCH_anyEPC={quote(urn, safe=':')}&perPage=100")
    return paths


# --------------------------------------------------------------------------- server and client


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(location: str, workers: int, log_file: Path) -> Iterator[str]:
    """``medtrace serve`` on a free port in a child process; yields its base URL."""
    port = _free_port()
    medtrace = Path(sys.executable).with_name("medtrace")
    cmd = [str(medtrace), "serve", "--db", location, "--port", str(port)]
    cmd += ["--workers", str(workers), "--no-access-log"]
    env = dict(os.environ)
    with log_file.open("wb") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_ready(url, proc, log_file)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover - a stuck shutdown
                proc.kill()
                proc.wait()


def _wait_ready(url: str, proc: subprocess.Popen[bytes], log_file: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log_file.read_text()}")
        try:
            with urllib.request.urlopen(url + "/openapi.json", timeout=2):  # noqa: S310
                return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    raise RuntimeError(f"server at {url} not ready in 60 s:\n{log_file.read_text()}")


_LUA: Final = """
local paths = {%(paths)s}
local counter = 0
local token = "%(token)s"
local threads = {}
late, late_max_us = 0, 0
setup = function(thread) table.insert(threads, thread) end
init = function(args) counter = 0 end
%(pace)srequest = function()
  counter = counter + 1
  local path = paths[(counter %% #paths) + 1]
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
done = function(summary, latency, requests)
  local e = summary.errors
  local late_n, late_max = 0, 0
  for _, thread in ipairs(threads) do
    late_n = late_n + (thread:get("late") or 0)
    late_max = math.max(late_max, thread:get("late_max_us") or 0)
  end
  io.write(string.format(
    '{"requests":%%d,"duration_us":%%d,"p50_us":%%d,"p90_us":%%d,"p99_us":%%d,"max_us":%%d,' ..
    '"mean_us":%%d,"connect_errors":%%d,"read_errors":%%d,"write_errors":%%d,' ..
    '"status_errors":%%d,"timeouts":%%d,"late":%%d,"late_max_us":%%d}\\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, e.connect, e.read, e.write, e.status,
    e.timeout, late_n, late_max))
end
"""

#: A constant-rate schedule for wrk's ``delay()`` (LuaJIT's FFI reads CLOCK_MONOTONIC; wrk's own
#: Lua has no sub-second clock). Request slots are ``interval_us`` apart whatever the latency:
#: the connection that asks next waits for the next free slot, so the offered rate does not fall
#: when the answers slow down (an open-loop load, as wrk2 offers). A request whose slot had passed
#: because every connection was still waiting for an answer is counted in ``late``: wrk times a
#: request from when it is sent, so late requests would hide queueing (coordinated omission);
#: a run reports how many there were and how late the latest was. The schedule is per wrk
#: thread (each has its own Lua state): :func:`run_wrk` runs one.
_PACE: Final = """local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } medtrace_timespec;
int clock_gettime(int clock_id, medtrace_timespec *tp);
]]
local clock = ffi.new("medtrace_timespec")
local function now_us()
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1000000 + tonumber(clock.tv_nsec) / 1000
end
local interval_us = %(interval_us)s
local due_us = nil
delay = function()
  local now = now_us()
  if due_us == nil then due_us = now end
  local slot = due_us
  due_us = due_us + interval_us
  local wait = slot - now
  if wait >= 0 then return math.floor(wait / 1000) end
  if -wait > 1000 then late = late + 1 end
  if -wait > late_max_us then late_max_us = -wait end
  return 0
end
"""


def wrk_script(
    paths: list[str], token: str, directory: Path, name: str, *, rate: float = 0.0
) -> Path:
    """A wrk Lua script cycling through ``paths`` with ``token``.

    ``rate`` > 0 paces the run to that many requests per second in all (:data:`_PACE`);
    otherwise each connection sends its next request as soon as the last one was answered.
    """
    body = ",\n".join(json.dumps(path) for path in paths)
    script = directory / f"{name}.lua"
    pace = _PACE % {"interval_us": f"{1e6 / rate:.3f}"} if rate > 0 else ""
    script.write_text(_LUA % {"paths": body, "token": token, "pace": pace})
    return script


def run_wrk(url: str, script: Path, *, connections: int, seconds: int) -> dict[str, Any]:
    """One wrk run; its summary (latencies in µs, requests, errors) and requests/s."""
    wrk = shutil.which("wrk")
    if wrk is None:
        raise RuntimeError("wrk is not installed (Debian: apt-get install -y wrk)")
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", str(script)]
    proc = subprocess.run(
        [*cmd, url], capture_output=True, text=True, timeout=seconds + 60, check=False
    )
    if proc.returncode != 0:
        raise RuntimeError(f"wrk failed ({proc.returncode}): {proc.stderr}{proc.stdout}")
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"wrk printed no summary:\n{proc.stdout}")
    summary: dict[str, Any] = json.loads(lines[-1])
    summary["rps"] = summary["requests"] / (summary["duration_us"] / 1e6)
    summary["errors"] = sum(
        summary[k]
        for k in ("connect_errors", "read_errors", "write_errors", "status_errors", "timeouts")
    )
    return summary


def _check_one(url: str, path: str, token: str, expect: Callable[[dict[str, Any]], bool]) -> None:
    """One request before the load: the scenario answers what it should (not a 4xx)."""
    request = urllib.request.Request(url + path, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
    with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
        body = json.loads(response.read())
    if not expect(body):
        raise RuntimeError(f"unexpected answer to {path}: {str(body)[:300]}")


def _scenario(
    url: str,
    script: Path,
    *,
    connections: int,
    seconds: int,
    runs: int,
    log: Callable[[str], None],
    name: str,
) -> dict[str, Any]:
    run_wrk(url, script, connections=connections, seconds=max(3, seconds // 3))  # warm-up
    samples = []
    for i in range(runs):
        load = load_average()
        sample = run_wrk(url, script, connections=connections, seconds=seconds)
        sample["load_average"] = load
        samples.append(sample)
        log(
            f"  {name} run {i + 1}/{runs}: {sample['rps']:,.0f} req/s, p50 "
            f"{sample['p50_us'] / 1000:.1f} ms, p99 {sample['p99_us'] / 1000:.1f} ms, "
            f"{sample['errors']} errors, load {load[:1]}"
        )
    return {
        "rps": round(median([s["rps"] for s in samples]), 1),
        "p50_ms": round(median([s["p50_us"] for s in samples]) / 1000, 2),
        "p90_ms": round(median([s["p90_us"] for s in samples]) / 1000, 2),
        "p99_ms": round(median([s["p99_us"] for s in samples]) / 1000, 2),
        "max_ms": round(median([s["max_us"] for s in samples]) / 1000, 2),
        "errors": sum(s["errors"] for s in samples),
        "requests": sum(s["requests"] for s in samples),
        "connections": connections,
        "seconds": seconds,
        "runs": samples,
    }


#: Connections of the paced runs (enough that a slot rarely finds them all busy: at 500
#: requests/s, 64 connections cover answers up to 128 ms), and their rate as a share of the
#: saturating rate.
PACED_CONNECTIONS: Final = 64
PACED_SHARE: Final = 0.5


def paced(
    url: str,
    paths: list[str],
    token: str,
    work: Path,
    *,
    name: str,
    rate: float,
    seconds: int,
) -> dict[str, Any]:
    """Latency at a steady ``rate`` below saturation (wrk on a constant-rate schedule).

    At saturation a closed-loop client measures its own queue (latency = connections / rate);
    paced below it, the percentiles are the service's. The schedule (:data:`_PACE`) keeps
    offering ``rate`` when answers slow down; ``late`` counts requests sent more than 1 ms after
    their slot because all connections were busy (their wait is not in the percentiles).
    """
    script = wrk_script(paths, token, work, f"{name}-paced", rate=rate)
    sample = run_wrk(url, script, connections=PACED_CONNECTIONS, seconds=seconds)
    return _paced_summary(sample, rate)


def _paced_summary(sample: dict[str, Any], rate: float) -> dict[str, Any]:
    """The figures of one paced wrk run (latencies in ms)."""
    return {
        "target_rps": round(rate, 1),
        "connections": PACED_CONNECTIONS,
        "rps": round(sample["rps"], 1),
        "p50_ms": round(sample["p50_us"] / 1000, 2),
        "p90_ms": round(sample["p90_us"] / 1000, 2),
        "p99_ms": round(sample["p99_us"] / 1000, 2),
        "max_ms": round(sample["max_us"] / 1000, 2),
        "errors": sample["errors"],
        "late": sample["late"],
        "late_max_ms": round(sample["late_max_us"] / 1000, 2),
    }


# --------------------------------------------------------------------------- capture over HTTP


def post_capture(url: str, path: Path, token: str) -> str:
    data = path.read_bytes()
    request = urllib.request.Request(  # noqa: S310
        url + "/capture",
        data=data,
        method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
    )
    with urllib.request.urlopen(request, timeout=600) as response:  # noqa: S310
        location = response.headers["Location"]
    if not location:
        raise RuntimeError("POST /capture answered without Location")
    return str(location)


def wait_job(url: str, location: str, token: str, *, once: bool = False) -> dict[str, Any]:
    """The capture job at ``location`` once it has finished (``once``: as it is now)."""
    target = location if location.startswith("http") else url + location
    while True:
        request = urllib.request.Request(target, headers={"Authorization": f"Bearer {token}"})  # noqa: S310
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            job: dict[str, Any] = json.loads(response.read())
        if once or not job.get("running", True):
            return job
        time.sleep(0.05)


def admin_key(location: str) -> str:
    with Repository.open(location) as repo:
        org = create_organization(
            repo.engine, name=f"{_BENCH_TAG} capture {uuid.uuid4().hex[:8]}", role=Role.ADMIN
        )
        return create_api_key(repo.engine, org.org_id)[1]


def _capture_http(
    location: str, docs: list[tuple[Path, dict[str, Any]]], workers: int, logs: Path
) -> dict[str, Any]:
    token = admin_key(location)
    with server(location, workers, logs / "capture-server.log") as url:
        start = time.perf_counter()
        jobs = []
        for path, _expected in docs:
            job = wait_job(url, post_capture(url, path, token), token)
            jobs.append(job)
        wall = time.perf_counter() - start
    with Repository.open(location) as repo, repo.engine.connect() as conn:
        captured = int(
            conn.execute(sa.select(sa.func.count()).select_from(schema.event)).scalar_one()
        )
    failed = [job for job in jobs if not job.get("success")]
    if failed:
        raise RuntimeError(f"capture over HTTP failed: {str(failed[0])[:500]}")
    return {"wall_s": wall, "captured": captured}


def _capture_direct(location: str, docs: list[tuple[Path, dict[str, Any]]]) -> dict[str, Any]:
    wall = 0.0
    captured = 0
    for path, _expected in docs:
        sample = run_worker(
            "benchmarks.store_query",
            ["build-worker", "--db", location, "--file", str(path)],
            timeout=7200,
        )
        wall += sample["wall_s"]
        captured += sample["captured"]
    return {"wall_s": wall, "captured": captured}


def _fresh_location(backend: str, directory: Path, name: str) -> tuple[str, Callable[[], None]]:
    if backend == "sqlite":
        path = directory / f"{name}.sqlite"
        return f"sqlite:///{path}", lambda: None
    schema_name = new_schema_name()
    pg_create_schema(schema_name)
    location = pg_location(schema_name)
    with Repository.open(location, create=True):
        pass
    return location, lambda: pg_drop_schema(schema_name)


def measure_capture(
    backend: str, options: RunOptions, workers: int, work: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    """HTTP capture vs direct capture of the same documents, each into fresh stores."""
    size_mb, count = CAPTURE_DOCS[options.scale]
    docs = [ensure_input("xml12", size_mb, options.seed + 100 + i) for i in range(count)]
    refs = sum(int(expected["epc_refs"]) for _path, expected in docs)
    events = sum(int(expected["events"]) for _path, expected in docs)
    direct_runs, http_runs = [], []
    for i in range(options.runs):
        location, drop = _fresh_location(backend, work, f"direct-{i}")
        try:
            direct = _capture_direct(location, docs)
        finally:
            drop()
        location, drop = _fresh_location(backend, work, f"http-{i}")
        try:
            over_http = _capture_http(location, docs, workers, work)
        finally:
            drop()
        for result in (direct, over_http):
            if result["captured"] != events:
                raise RuntimeError(f"captured {result['captured']} of {events} events")
        direct_runs.append(refs / direct["wall_s"])
        http_runs.append(refs / over_http["wall_s"])
        log(
            f"  capture run {i + 1}/{options.runs}: direct {direct_runs[-1]:,.0f} EPC refs/s, "
            f"HTTP {http_runs[-1]:,.0f} EPC refs/s, load {load_average()[:1]}"
        )
    direct_rate, http_rate = median(direct_runs), median(http_runs)
    return {
        "documents": count,
        "document_mb": size_mb,
        "events": events,
        "epc_refs": refs,
        "direct_refs_per_s": round(direct_rate),
        "http_refs_per_s": round(http_rate),
        "ratio": round(http_rate / direct_rate, 3),
        "direct_runs": [round(x) for x in direct_runs],
        "http_runs": [round(x) for x in http_runs],
    }


# --------------------------------------------------------------------------- the runner


def read_store(backend: str, options: RunOptions, log: Callable[[str], None]) -> tuple[str, str]:
    """(location of the cached SQLite read repository, description); built if absent."""
    if backend != "sqlite":
        raise RuntimeError("only the SQLite read repository is cached (see read_location)")
    cached = store_query_sqlite(options.scale, options.seed)
    if not cached.exists():
        log(f"building {cached} ({DOCUMENTS[options.scale]} documents; store_query reuses it)")
        partial = cached.with_suffix(".partial.sqlite")
        build(f"sqlite:///{partial}", options.scale, options.seed, log)
        partial.rename(cached)
    return str(cached), f"copy of {cached.name}"


@contextlib.contextmanager
def read_location(
    backend: str, options: RunOptions, work: Path, log: Callable[[str], None]
) -> Iterator[tuple[str, str]]:
    """A read repository of the scale to load: ``(location, description)``.

    SQLite: a copy of the cached :mod:`benchmarks.store_query` store (built once). PostgreSQL:
    built in a fresh schema by capturing the same documents (about 25 minutes at full scale on
    the reference machine), dropped afterwards.
    """
    if backend == "sqlite":
        cached, described = read_store("sqlite", options, log)
        copy = work / "read-store.sqlite"
        log(f"copying {cached} → {copy}")
        checkpointed_copy(Path(cached), copy)
        yield f"sqlite:///{copy}", described
        return
    schema_name = new_schema_name()
    pg_create_schema(schema_name)
    try:
        location = pg_location(schema_name)
        with Repository.open(location, create=True):
            pass
        log(f"building the PostgreSQL read store in schema {schema_name}")
        build(location, options.scale, options.seed, log)
        settle(location, log)
        yield location, f"PostgreSQL schema built from {DOCUMENTS[options.scale]} document(s)"
    finally:
        pg_drop_schema(schema_name)


def settle(location: str, log: Callable[[str], None]) -> None:
    """``VACUUM (ANALYZE)`` a freshly built PostgreSQL store, as a settled database would be.

    Right after millions of inserted rows, autovacuum works through the new tables for
    minutes (PostgreSQL 13+ vacuums after inserts too), reading them while the benchmark runs:
    the first mixed_load run measured that instead of the service. Vacuuming first measures the
    state a production database is in between loads.
    """
    started = time.perf_counter()
    with Repository.open(location) as repo, repo.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        tables = ", ".join(table.name for table in schema.metadata.sorted_tables)
        conn.execute(sa.text(f"VACUUM (ANALYZE) {tables}"))  # the store's own (search_path)
    log(f"  VACUUM (ANALYZE) of the new store: {time.perf_counter() - started:.0f} s")


def _read_scenarios(
    options: RunOptions, backend: str, workers: int, work: Path, log: Callable[[str], None]
) -> dict[str, Any]:
    with read_location(backend, options, work, log) as (location, described):
        return _measure_reads(
            options, location, described=described, workers=workers, work=work, log=log
        )


def _measure_reads(
    options: RunOptions,
    location: str,
    *,
    described: str,
    workers: int,
    work: Path,
    log: Callable[[str], None],
) -> dict[str, Any]:
    keys = prepare_store(location)
    rng = random.Random(options.seed)
    packs = sample_packs(location, SAMPLES, rng)
    with Repository.open(location) as repo, repo.engine.connect() as conn:
        items = int(
            conn.execute(sa.select(sa.func.count()).select_from(schema.item_state)).scalar_one()
        )
        rows = int(
            conn.execute(sa.select(sa.func.count()).select_from(schema.event_epc)).scalar_one()
        )
    requests = {
        "vrs": (vrs_paths(packs), keys["wholesaler"]),
        "events": (event_paths(packs), keys["manufacturer"]),
        "events_custodian": (event_paths(packs), keys["distributor"]),
    }
    seconds = DURATION[options.scale]
    result: dict[str, Any] = {"store": described, "items": items, "event_epc_rows": rows}
    with server(location, workers, work / "read-server.log") as url:
        first = vrs_paths(packs[:1])[0]
        _check_one(url, first, keys["wholesaler"], lambda body: "data" in body)
        for who in ("manufacturer", "distributor"):
            _check_one(
                url,
                event_paths(packs[:1])[0],
                keys[who],
                lambda body: bool(
                    body.get("epcisBody", {})
                    .get("queryResults", {})
                    .get("resultsBody", {})
                    .get("eventList")
                ),
            )
        for name, (paths, token) in requests.items():
            script = wrk_script(paths, token, work, name)
            result[name] = _scenario(
                url,
                script,
                connections=CONNECTIONS[name],
                seconds=seconds,
                runs=options.runs,
                log=log,
                name=name,
            )
            rate = result[name]["rps"] * PACED_SHARE
            result[name]["paced"] = at = paced(
                url, paths, token, work, name=name, rate=rate, seconds=seconds
            )
            log(
                f"  {name} paced at {at['rps']:,.0f} req/s: p50 {at['p50_ms']:.1f} ms, p99 "
                f"{at['p99_ms']:.1f} ms, load {load_average()[:1]}"
            )
    return result


def run(options: RunOptions, log: Callable[[str], None] = print) -> dict[str, Any]:
    """Run the scenarios on ``--backend`` (default: SQLite, then PostgreSQL); the figures."""
    workers = os.cpu_count() or 1
    backends = [options.backend] if options.backend else ["sqlite", "postgres"]
    result: dict[str, Any] = {
        "scale": options.scale,
        "seed": options.seed,
        "runs": options.runs,
        "workers": workers,
        "wrk": wrk_version(),
        "postgres_version": postgres_version() if "postgres" in backends else None,
        "backends": {},
    }
    for backend in backends:
        log(f"-- {backend}")
        with tempfile.TemporaryDirectory(prefix="medtrace-http-", dir=data_dir()) as tmp:
            work = Path(tmp)
            figures: dict[str, Any] = {"date": now_utc(), "load_average": load_average()}
            figures.update(_read_scenarios(options, backend, workers, work, log))
            figures["capture"] = measure_capture(backend, options, workers, work, log)
        result["backends"][backend] = figures
    return result


def wrk_version() -> str | None:
    wrk = shutil.which("wrk")
    if wrk is None:
        return None
    proc = subprocess.run([wrk, "-v"], capture_output=True, text=True, check=False)
    text = (proc.stdout + proc.stderr).strip().splitlines()
    return text[0] if text else None


# --------------------------------------------------------------------------- the report


def render(result: dict[str, Any]) -> str:
    """The Markdown section of ``docs/benchmarks.md``."""
    lines = header_lines(
        result,
        f"`medtrace serve --workers {result['workers']} --no-access-log`, load from "
        f"{result['wrk']} (1 thread) on the same machine, median of {result['runs']} runs.",
    )
    for backend, figures in result["backends"].items():
        lines += [f"**{backend}** ({figures['date']}):", ""]
        lines += _render_backend(figures)
        lines.append("")
    return "\n".join(lines).rstrip()


def verdicts(result: dict[str, Any]) -> list[Verdict]:
    """The issue's targets per backend (VRS rate and p99, events p99, capture over HTTP)."""
    return backend_verdicts(result, _backend_verdicts)


def _backend_verdicts(backend: str, result: dict[str, Any]) -> list[Verdict]:
    found: list[Verdict] = []
    if "vrs" in result:
        vrs = result["vrs"]
        rate = verdict(vrs["rps"], TARGETS["vrs_rps"])
        found.append(Verdict(backend, "VRS ≥ 3,000 req/s", f"{vrs['rps']:,.0f}", rate))
        events = TARGETS["events_p99_ms"]
        scenarios = [("vrs", "VRS p99 < 50 ms", TARGETS["vrs_p99_ms"])]
        scenarios += [("events", "events p99 < 20 ms", events)]
        if "events_custodian" in result:  # a result file from before the scenario existed
            # not a target of the issue: the same limit for the stricter custody-filtered query
            custodian = "events p99 < 20 ms, asked by a custodian (our own row)"
            scenarios += [("events_custodian", custodian, events)]
        for name, words, limit in scenarios:
            at = result[name].get("paced", result[name])
            found.append(
                Verdict(
                    backend,
                    words,
                    f"{at['p99_ms']} ms at {at['rps']:,.0f} req/s",
                    verdict(at["p99_ms"], limit, lower_is_better=True),
                )
            )
    ratio = result["capture"]["ratio"]
    found.append(
        Verdict(
            backend,
            "POST /capture within 20% of the repository",
            f"{ratio:.0%} of it",
            verdict(ratio, TARGETS["capture"]),
        )
    )
    return found


def _render_backend(result: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    if "vrs" in result:
        lines += [
            (
                f"Read repository: {result['store']}, {result['items']:,} items, "
                f"{result['event_epc_rows']:,} `event_epc` rows."
            ),
            "",
            "| scenario | connections | req/s | p50 ms | p90 ms | p99 ms | max ms | errors |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for name in ("vrs", "events", "events_custodian"):
            if name not in result:  # a result file from before the scenario existed
                continue
            s = result[name]
            lines.append(
                f"| {name}, saturated | {s['connections']} | {s['rps']:,.0f} | {s['p50_ms']} | "
                f"{s['p90_ms']} | {s['p99_ms']} | {s['max_ms']} | {s['errors']} |"
            )
            if "paced" in s:
                a = s["paced"]
                late = f"; {a['late']} sent late" if "late" in a else ""
                lines.append(
                    f"| {name}, paced to half of that | {a['connections']} | {a['rps']:,.0f} | "
                    f"{a['p50_ms']} | {a['p90_ms']} | {a['p99_ms']} | {a['max_ms']} | "
                    f"{a['errors']}{late} |"
                )
    cap = result["capture"]
    lines += [
        "",
        (
            f"Capture: {cap['documents']} documents of {cap['document_mb']} MB, {cap['events']:,} "
            f"events, {cap['epc_refs']:,} EPC references, each run into fresh stores:"
        ),
        "",
        "| path | EPC refs/s |",
        "|---|---:|",
        f"| `Repository.capture` (fresh process) | {cap['direct_refs_per_s']:,} |",
        f"| `POST /capture` until the job finished | {cap['http_refs_per_s']:,} |",
        "",
        "Targets (issue: on ≥ 4M items, 2 cores):",
        "",
        *verdict_table(_backend_verdicts("", result)),
    ]
    return lines
