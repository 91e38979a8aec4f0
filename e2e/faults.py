"""A small process harness for the fault tests (e2e/test_faults.py).

The launcher runs the cluster under honcho, which stops every process when one dies: fine for
`make up`, useless when the point is to kill one process and watch the others. Here each
process (a private redis-server with the launcher's persistence settings, the services, their
workers) is started directly, in its own process group, with the environment the launcher
would give it (``ops/launcher.py``'s ``cluster_plan``, imported, so the two cannot drift), and
can be killed, stopped, continued and restarted one by one. Workers are supervised like
systemd (``Restart=always``) and compose (``restart: unless-stopped``) supervise them: a worker
that exits on its own is started again, and the restarts are counted.

Standard library, redis-py and httpx only (both are in .venv).

``HACluster`` is the same for the HA shape: it runs `make up-ha` itself (supervisord, Sentinel,
two replicas of everything, the nginx edge) and faults its processes by name.
"""
from __future__ import annotations

import atexit
import collections
import contextlib
import importlib.util
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import conftest
import httpx
import redis
import redis.sentinel

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV_PY = os.path.join(ROOT, ".venv", "bin", "python")
PY = VENV_PY if os.path.exists(VENV_PY) else sys.executable
ADMIN = {"email": "faults-admin@example.com", "password": "correct horse battery staple 42"}
DB = {"incidents": 1, "users": 2, "comms": 3, "csp-status": 4, "feature-flags": 5, "frontend": 6}
PACKAGE = {"incidents": "incidents", "users": "users", "comms": "comms", "csp-status": "csp_status",
           "feature-flags": "feature_flags", "frontend": "frontend"}


def _launcher():
    spec = importlib.util.spec_from_file_location("polystatus_launcher", os.path.join(ROOT, "ops", "launcher.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def pick_offset() -> int:
    # Not the offsets conftest.py's cluster picks from (14000 and up), and every port below the
    # ephemeral range (see conftest.EPHEMERAL_START); a port is only taken when it is free.
    return conftest.pick_offset(range(3000, 14000, 157))


def plan(var: str, offset: int) -> dict:
    """The launcher's own plan (ports, URLs, environment), for data in ``var``."""
    launcher = _launcher()
    saved = dict(os.environ)
    try:
        os.environ["POLYSTATUS_VAR"] = var
        for name in ("REDIS_URL", "SMTP_URL", "POLYSTATUS_REDIS_PORT"):
            os.environ.pop(name, None)
        return launcher.cluster_plan(offset)
    finally:
        os.environ.clear()
        os.environ.update(saved)


class Proc:
    """One process (and its children) in its own process group, logging to a file."""

    def __init__(self, name: str, argv: list[str], env: dict, log_dir: str, *, supervised: bool = False):
        self.name = name
        self.argv = argv
        self.env = env
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.supervised = supervised
        self.popen: subprocess.Popen | None = None
        self.intended_down = True
        self.restarts = 0  # restarts done by the supervisor (not by a test)
        self.stopped = False  # SIGSTOPped
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def start(self) -> Proc:
        with self._lock:
            if self.alive():
                return self
            self._start()
        return self

    def _start(self) -> None:
        with open(self.log_path, "a") as log:
            log.write(f"\n----- start {time.strftime('%H:%M:%S')} {' '.join(self.argv)}\n")
            log.flush()
            self.popen = subprocess.Popen(self.argv, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                          stdin=subprocess.DEVNULL, start_new_session=True)
        self.intended_down = False
        self.stopped = False

    def signal(self, signum: int) -> None:
        # Only while the group leader is ours and not yet reaped: once reaped, its id could be
        # reused by a process we did not start.
        if self.popen is None or self.popen.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """kill -9 of the whole process group (the server and its worker processes)."""
        self.intended_down = True
        self.signal(signal.SIGKILL)
        self.popen.wait(10)
        self.stopped = False

    def terminate(self, timeout: float = 20.0) -> int | None:
        """A clean stop (SIGTERM), then SIGKILL if it does not stop in time."""
        if self.popen is None:
            return None
        self.intended_down = True
        if self.stopped:
            self.cont()
        self.signal(signal.SIGTERM)
        try:
            return self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.signal(signal.SIGKILL)
            return self.popen.wait(10)

    def pause(self) -> None:
        self.stopped = True
        self.signal(signal.SIGSTOP)

    def cont(self) -> None:
        self.signal(signal.SIGCONT)
        self.stopped = False

    def log_tail(self, chars: int = 3000) -> str:
        try:
            with open(self.log_path, errors="replace") as handle:
                return handle.read()[-chars:]
        except OSError:
            return ""


class Cluster:
    """A private redis and every service (+ the incidents and comms workers, whose consumers
    these tests are about; csp-status's worker polls the outside world and is left out)."""

    SERVICES = ("users", "incidents", "comms", "csp-status", "feature-flags", "frontend")
    WORKERS = ("incidents", "comms")

    def __init__(self, overrides: dict | None = None, per_service: dict | None = None):
        self.var = tempfile.mkdtemp(prefix="polystatus-faults-")
        self.logs = os.path.join(self.var, "logs")
        os.makedirs(self.logs)
        self.offset = pick_offset()
        self.plan = plan(self.var, self.offset)
        self.redis_port = self.plan["redis_port"]
        self.redis_dir = os.path.join(self.var, "redis")
        self.urls = self.plan["url"]
        self.overrides = overrides or {}
        self.per_service_overrides = per_service or {}
        self.procs: dict[str, Proc] = {}
        self._supervisor_stop = threading.Event()
        self._supervisor = threading.Thread(target=self._supervise, name="supervisor", daemon=True)
        self.admin_token: str | None = None

    # ------------------------------------------------------------------ environment
    def env_for(self, folder: str) -> dict:
        env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "SMTP_URL")}
        env.update(self.plan["env"])
        env.update(self.plan["per_service"][folder])
        env.update(self.overrides)
        env.update(self.per_service_overrides.get(folder, {}))
        env["WORKER_ALIVE_FILE"] = os.path.join(self.var, f"{folder}-worker-alive")
        return env

    def url(self, folder: str, path: str = "") -> str:
        return self.urls[folder] + path

    def redis(self, folder: str) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.redis_port, db=DB[folder], decode_responses=True,
                           socket_timeout=10)

    # ------------------------------------------------------------------ processes
    def redis_proc(self) -> Proc:
        argv = ["redis-server", "--port", str(self.redis_port), "--bind", "127.0.0.1", "--dir", self.redis_dir,
                "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--databases", "16",
                "--loglevel", "warning"]
        return Proc("redis", argv, dict(os.environ), self.logs)

    def service_proc(self, folder: str) -> Proc:
        argv = [PY, "-m", "polystatus.serve", f"{PACKAGE[folder]}.app:create_app"]
        return Proc(folder, argv, self.env_for(folder), self.logs)

    def worker_proc(self, folder: str, *, hostname: str | None = None) -> Proc:
        package = PACKAGE[folder]
        if hostname is None:
            argv = [PY, "-m", f"{package}.worker"]
        else:
            # The same worker as if it ran on another machine: consumers are named after the
            # host, so this one does not own the entries a dead worker left pending.
            argv = [PY, "-c", f"import socket, sys; socket.gethostname = lambda: {hostname!r}; "
                              f"from {package}.worker import main; sys.exit(main())"]
        return Proc(f"{folder}-worker", argv, self.env_for(folder), self.logs, supervised=True)

    def start(self) -> Cluster:
        atexit.register(self.stop)  # a backstop: the test fixture stops the cluster itself
        os.makedirs(self.redis_dir, exist_ok=True)
        self.procs["redis"] = self.redis_proc().start()
        self.wait_redis()
        for folder in self.SERVICES:
            self.procs[folder] = self.service_proc(folder).start()
        self.wait_ready(*self.SERVICES)
        self.create_admin()
        for folder in self.WORKERS:
            self.procs[f"{folder}-worker"] = self.worker_proc(folder).start()
        # The workers are up once their consumer groups exist (before that, events would
        # still wait for them, but a test could not tell what they have read).
        self.wait_group("csp-status", "events:csp-status", "incidents")
        self.wait_group("incidents", "events:incidents", "comms")
        self._supervisor.start()
        return self

    def wait_group(self, producer: str, stream: str, group: str, timeout: float = 30.0) -> None:
        r = self.redis(producer)

        def exists() -> bool:
            try:
                return any(g["name"] == group for g in r.xinfo_groups(stream))
            except redis.ResponseError:  # no such stream yet
                return False
        deadline = time.monotonic() + timeout
        while not exists():
            if time.monotonic() > deadline:
                raise RuntimeError(f"no consumer group {group} on {stream} after {timeout:.0f} s:\n{self.logs_tail()}")
            time.sleep(0.05)

    def create_admin(self) -> None:
        env = self.env_for("users")
        result = subprocess.run([PY, "-m", "users.admin", "--email", ADMIN["email"], "--password", ADMIN["password"]],
                                cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"creating the first admin failed:\n{result.stdout}{result.stderr}")
        self.admin_token = self.login(ADMIN["email"], ADMIN["password"])

    def login(self, email: str, password: str) -> str:
        response = httpx.post(self.url("users", "/auth/login"), json={"email": email, "password": password},
                              timeout=10)
        response.raise_for_status()
        return response.json()["access_token"]

    def _supervise(self) -> None:
        while not self._supervisor_stop.wait(0.5):
            for proc in list(self.procs.values()):
                if proc.supervised and not proc.intended_down and proc.popen is not None and proc.popen.poll() is not None:
                    time.sleep(1.0)  # RestartSec
                    if not proc.intended_down and proc.popen.poll() is not None:
                        proc.restarts += 1
                        proc.start()

    def restart(self, name: str) -> Proc:
        proc = self.procs[name]
        if proc.alive():
            proc.kill()
        return proc.start()

    def replace(self, name: str, proc: Proc) -> Proc:
        old = self.procs.get(name)
        if old is not None and old.alive():
            old.kill()
        self.procs[name] = proc
        return proc.start()

    def wait_redis(self, timeout: float = 20.0) -> float:
        started = time.monotonic()
        client = redis.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=2)
        while True:
            try:
                client.ping()  # answers LOADING (an error) while the AOF is replayed
                return time.monotonic() - started
            except (redis.ConnectionError, redis.BusyLoadingError, redis.TimeoutError):
                if time.monotonic() - started > timeout or not self.procs["redis"].alive():
                    raise RuntimeError(f"redis did not come up:\n{self.procs['redis'].log_tail()}") from None
                time.sleep(0.02)

    def wait_ready(self, *folders: str, timeout: float = 60.0) -> float:
        started = time.monotonic()
        pending = set(folders)
        while pending:
            for folder in list(pending):
                try:
                    if httpx.get(self.url(folder, "/readyz"), timeout=2).status_code == 200:
                        pending.discard(folder)
                except httpx.HTTPError:
                    pass
                proc = self.procs.get(folder)
                if proc is not None and not proc.alive():
                    raise RuntimeError(f"{folder} exited while starting:\n{proc.log_tail()}")
            if pending and time.monotonic() - started > timeout:
                logs = "\n".join(f"--- {f}\n{self.procs[f].log_tail()}" for f in pending if f in self.procs)
                raise RuntimeError(f"not ready after {timeout:.0f} s: {sorted(pending)}\n{logs}")
            if pending:
                time.sleep(0.05)
        return time.monotonic() - started

    def heal(self) -> None:
        """Between tests: every process continued, running and ready (a failed test may leave
        one stopped or dead)."""
        for proc in self.procs.values():
            if proc.stopped:
                proc.cont()
        if not self.procs["redis"].alive():
            self.procs["redis"].start()
            self.wait_redis()
        for name, proc in self.procs.items():
            if name != "redis" and not proc.alive():
                proc.start()
        self.wait_ready(*self.SERVICES)

    def stop(self) -> None:
        self._supervisor_stop.set()
        if self._supervisor.is_alive():
            self._supervisor.join(5)
        for name, proc in reversed(list(self.procs.items())):
            if name != "redis":
                proc.terminate(10)
        if "redis" in self.procs:
            self.procs["redis"].terminate(10)

    def cleanup(self) -> None:
        shutil.rmtree(self.var, ignore_errors=True)

    def logs_tail(self, chars: int = 1500) -> str:
        return "\n".join(f"--- {name} ---\n{proc.log_tail(chars)}" for name, proc in self.procs.items())


class WebhookReceiver:
    """A real HTTP endpoint on loopback that records the Statuspage-shaped webhooks comms sends."""

    def __init__(self):
        self.received: list[dict] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    body = {"raw": raw.decode(errors="replace")}
                with receiver.lock:
                    receiver.received.append({"path": self.path, "body": body, "at": time.monotonic()})
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def incident_ids(self) -> list[str]:
        with self.lock:
            return [(item["body"].get("incident") or {}).get("id") for item in self.received]

    def first_seen(self) -> dict[str, float]:
        """incident id -> when its first webhook arrived (time.monotonic())."""
        seen: dict[str, float] = {}
        with self.lock:
            for item in self.received:
                incident_id = (item["body"].get("incident") or {}).get("id")
                seen.setdefault(incident_id, item["at"])
        return seen

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


class Load:
    """Writes from a few threads until stopped; every outcome is recorded.

    ``send(client, i)`` does one write and returns (status code, parsed body). An outcome is
    ``ok`` (2xx), ``refused`` (the connection could not be made: certainly not applied),
    ``unknown`` (sent, but no answer came: it may or may not have been applied) or ``error``
    (any other answer).
    """

    def __init__(self, send, *, threads: int = 4, timeout: float = 10.0, pace: float = 0.0):
        self.send = send
        self.threads = threads
        self.timeout = timeout
        self.pace = pace
        self.results: list[dict] = []
        self.lock = threading.Lock()
        self.counter = 0
        self.stop_event = threading.Event()
        self.workers = [threading.Thread(target=self._run, daemon=True) for _ in range(threads)]

    def _next(self) -> int:
        with self.lock:
            self.counter += 1
            return self.counter

    def _run(self) -> None:
        with httpx.Client(timeout=self.timeout) as client:
            while not self.stop_event.is_set():
                i = self._next()
                started = time.monotonic()
                try:
                    status, body = self.send(client, i)
                    outcome = "ok" if 200 <= status < 300 else "error"
                except httpx.ConnectError:
                    status, body, outcome = None, None, "refused"
                    time.sleep(0.01)
                except httpx.HTTPError as exc:
                    status, body, outcome = None, repr(exc), "unknown"
                with self.lock:
                    self.results.append({"i": i, "outcome": outcome, "status": status, "body": body,
                                         "sent": started, "done": time.monotonic()})
                if self.pace:
                    time.sleep(self.pace)

    def start(self) -> Load:
        for worker in self.workers:
            worker.start()
        return self

    def stop(self) -> Load:
        self.stop_event.set()
        for worker in self.workers:
            worker.join(self.timeout + 5)
        return self

    def count(self, outcome: str | None = None) -> int:
        with self.lock:
            return sum(1 for r in self.results if outcome is None or r["outcome"] == outcome)

    def by(self, outcome: str) -> list[dict]:
        with self.lock:
            return [r for r in self.results if r["outcome"] == outcome]

    def wait_for(self, outcome: str, n: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.count(outcome) < n:
            if time.monotonic() > deadline:
                raise AssertionError(f"only {self.count(outcome)} {outcome} writes after {timeout} s "
                                     f"(outcomes: {self.summary()})")
            time.sleep(0.02)

    def summary(self) -> dict:
        counts: dict[str, int] = {}
        with self.lock:
            for r in self.results:
                key = r["outcome"] if r["outcome"] != "error" else f"error {r['status']}"
                counts[key] = counts.get(key, 0) + 1
        return counts


def wait_until(predicate, timeout: float, interval: float = 0.1) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


# ---------------------------------------------------------------------------------- the HA shape
HA_BASE_PORTS = [5001, 5002, 5003, 5004, 5005, 8080, 5101, 5102, 5103, 5104, 5105, 8180,
                 5201, 5202, 5203, 5204, 5205, 8280, 6390, 6391, 6395, 6396, 6397, 2525, 5099]


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
            return True
        except (OSError, OverflowError):
            return False


def pick_ha_offset(offsets: range = range(3000, 19000, 149)) -> int:
    """Every port free and below the ephemeral range (its highest, 8280 + offset, too), from a
    random start (two runs on one machine)."""
    start = random.randrange(len(offsets))
    for offset in [*offsets[start:], *offsets[:start]]:
        if all(_port_free(port + offset) for port in HA_BASE_PORTS):
            return offset
    raise RuntimeError("no free port range for the HA cluster")


class HACluster:
    """`make up-ha` itself (ops/launcher.py up-ha: supervisord, Sentinel, two replicas of every
    process, the nginx edge) on shifted ports with its data in a temporary directory. Faults go
    to the processes supervisord runs, found by name: each is its own process group, so a
    signal reaches a granian server with its workers. supervisord restarts what dies, as it
    would in production; ``down`` keeps a process down (a lost host) until ``up``."""

    def __init__(self, overrides: dict | None = None):
        self.var = tempfile.mkdtemp(prefix="polystatus-ha-")
        self.offset = pick_ha_offset()
        self.overrides = overrides or {}
        self.process: subprocess.Popen | None = None
        self.ready: dict = {}
        self.admin_token: str | None = None

    def start(self, timeout: float = 240.0) -> HACluster:
        atexit.register(self.stop)
        ready_file = os.path.join(self.var, "ready.json")
        env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "SMTP_URL")}
        env.update({"POLYSTATUS_VAR": self.var, "POLYSTATUS_ADMIN_EMAIL": ADMIN["email"],
                    "POLYSTATUS_ADMIN_PASSWORD": ADMIN["password"], "LOG_FORMAT": "text", **self.overrides})
        self.log_path = os.path.join(self.var, "launcher.log")
        with open(self.log_path, "w") as log:
            self.process = subprocess.Popen(
                [sys.executable, os.path.join(ROOT, "ops", "launcher.py"), "up-ha", "--port-offset", str(self.offset),
                 "--ready-file", ready_file], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        deadline = time.monotonic() + timeout
        while not os.path.exists(ready_file):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the HA cluster did not come up:\n{self.logs_tail()}")
            time.sleep(0.5)
        with open(ready_file) as handle:
            self.ready = json.load(handle)
        self.urls = self.ready["url"]
        self.admin_token = self.login(ADMIN["email"], ADMIN["password"])
        return self

    # ------------------------------------------------------------------ addresses
    def url(self, folder: str, path: str = "") -> str:
        """Through the edge (8080 and 5001-5005, shifted)."""
        return self.urls[folder] + path

    def replica_url(self, folder: str, suffix: str, path: str = "") -> str:
        return f"http://127.0.0.1:{self.ready['replicas'][folder][suffix]}{path}"

    def login(self, email: str, password: str) -> str:
        response = httpx.post(self.url("users", "/auth/login"), json={"email": email, "password": password}, timeout=10)
        response.raise_for_status()
        return response.json()["access_token"]

    def sentinel(self) -> redis.sentinel.Sentinel:
        return redis.sentinel.Sentinel([("127.0.0.1", port) for port in self.ready["sentinel_ports"]],
                                       socket_timeout=2)

    def primary(self) -> str:
        """The program name of the Redis the Sentinels call primary now."""
        _, port = self.sentinel().discover_master("polystatus")
        return next(name for name, p in self.ready["redis_ports"].items() if p == int(port))

    def redis(self, folder: str) -> redis.Redis:
        return self.sentinel().master_for("polystatus", db=DB[folder], decode_responses=True, socket_timeout=10)

    # ------------------------------------------------------------------ processes
    def ctl(self, *args: str) -> str:
        result = subprocess.run([os.path.join(ROOT, ".venv", "bin", "supervisorctl"), "-c",
                                 self.ready["supervisord_conf"], *args], capture_output=True, text=True, timeout=120)
        return result.stdout + result.stderr

    def program(self, name: str) -> str:
        return self.ready["programs"][name]

    def pid(self, name: str) -> int:
        out = self.ctl("pid", self.program(name)).strip()
        if not out.isdigit() or out == "0":
            raise RuntimeError(f"{name} is not running: {out}")
        return int(out)

    def signal(self, name: str, signum: int) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pid(name), signum)

    def kill(self, name: str) -> int:
        """kill -9 (supervisord starts it again); returns the pid it had."""
        pid = self.pid(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGKILL)
        return pid

    def down(self, *names: str) -> float:
        """kill -9, and kept down (a lost host). supervisord would start a killed process again
        at once, so each is first frozen and supervisord told to stop it (it does not restart
        what it is stopping), then killed: to anyone talking to it, a kill -9 a few ms late.
        Returns when (time.monotonic()) the kill came."""
        pids = {name: self.pid(name) for name in names}
        for pid in pids.values():
            os.killpg(pid, signal.SIGSTOP)
        # supervisorctl stops the processes it is given one after the other: one call each, at once.
        stoppers = [threading.Thread(target=self.ctl, args=("stop", self.program(n)), daemon=True) for n in names]
        for stopper in stoppers:
            stopper.start()
        wait_until(lambda: all(self.statuses().get(n) in ("STOPPING", "STOPPED") for n in names), 30, 0.05)
        for pid in pids.values():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGKILL)
        killed = time.monotonic()
        for stopper in stoppers:
            stopper.join(60)
        return killed

    def up(self, *names: str) -> None:
        self.ctl("start", *[self.program(name) for name in names])

    def pause(self, *names: str) -> None:
        for name in names:
            self.signal(name, signal.SIGSTOP)

    def cont(self, *names: str) -> None:
        for name in names:
            self.signal(name, signal.SIGCONT)

    def statuses(self) -> dict[str, str]:
        found = {}
        for line in self.ctl("status").splitlines():
            parts = line.split()
            if len(parts) >= 2:
                found[parts[0].split(":", 1)[-1]] = parts[1]
        return found

    def wait_ready(self, timeout: float = 90.0) -> float:
        """Every replica of every service ready again (and every edge address answering)."""
        started = time.monotonic()
        pending = {f"{folder}-{suffix}": self.replica_url(folder, suffix, "/readyz")
                   for folder, replicas in self.ready["replicas"].items() for suffix in replicas}
        pending.update({f"edge:{folder}": self.url(folder, "/readyz") for folder in self.urls})
        while pending:
            for name, url in list(pending.items()):
                try:
                    if httpx.get(url, timeout=2).status_code == 200:
                        del pending[name]
                except httpx.HTTPError:
                    pass
            if pending and time.monotonic() - started > timeout:
                raise RuntimeError(f"not ready after {timeout:.0f} s: {sorted(pending)}\n{self.logs_tail()}")
            if pending:
                time.sleep(0.1)
        return time.monotonic() - started

    def heal(self) -> None:
        """Between tests: every process continued and running, every replica ready."""
        for name in self.ready["programs"]:
            with contextlib.suppress(RuntimeError):
                self.cont(name)
        stopped = [name for name, state in self.statuses().items() if state != "RUNNING"]
        if stopped:
            self.up(*stopped)
        self.wait_ready()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGINT)  # Ctrl-C
            try:
                self.process.wait(90)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)

    def cleanup(self) -> None:
        shutil.rmtree(self.var, ignore_errors=True)

    def logs_tail(self, chars: int = 1500) -> str:
        logs = os.path.join(self.var, "ha", "logs")
        parts = []
        for path in [self.log_path, *(sorted(os.path.join(logs, n) for n in os.listdir(logs)) if os.path.isdir(logs) else [])]:
            with contextlib.suppress(OSError), open(path, errors="replace") as handle:
                parts.append(f"--- {os.path.basename(path)} ---\n{handle.read()[-chars:]}")
        return "\n".join(parts)


# ------------------------------------------------------------------ the copy in hand
PUBLIC_READS = ("/", "/api/page.json", "/api/v2/summary.json")


def public_reads(base: str, *, timeout: float = 5.0) -> dict[str, dict]:
    """The three public reads, each with its status, its time and what marks it stale."""
    found = {}
    with httpx.Client(timeout=timeout) as client:
        for path in PUBLIC_READS:
            started = time.monotonic()
            try:
                response = client.get(base + path)
            except httpx.HTTPError as exc:
                found[path] = {"status": None, "s": time.monotonic() - started, "error": repr(exc)}
                continue
            entry = {"status": response.status_code, "s": time.monotonic() - started,
                     "warning": response.headers.get("warning"), "cache": response.headers.get("x-cache-status"),
                     "age": response.headers.get("age")}
            if path == "/api/page.json" and response.status_code == 200:
                body = response.json()
                entry.update(missing=body.get("missing"), generated_at=body.get("generated_at"))
            found[path] = entry
    return found


def marked_stale(entry: dict) -> bool:
    """An answer says it may be out of date: RFC 7234's Warning 110 (the frontend's or the
    edge's), a stale edge copy, or a page document that names the sections it could not refresh."""
    return bool(entry.get("warning") or entry.get("cache") in ("STALE", "UPDATING") or entry.get("missing"))


def reads_for(base: str, seconds: float, *, until=None, longest: float = 15.0) -> list[dict]:
    """Rounds of the public reads, for ``seconds``, then on until ``until(round)`` is true (at
    most ``longest`` seconds in all): what the page says changes only as its copies are
    refreshed, one refresh at a time, behind what it answers."""
    rounds, started = [], time.monotonic()
    while True:
        rounds.append(public_reads(base))
        elapsed = time.monotonic() - started
        if elapsed >= longest or (elapsed >= seconds and (until is None or until(rounds[-1]))):
            return rounds
        time.sleep(0.2)


def while_frozen(cluster, freeze, thaw, *, seconds: float, write_timeout: float, until=None) -> dict:
    """``freeze()``; one incident written (what does the writer hear, how soon?) and the public
    reads for ``seconds``; ``thaw()``; then how long until the page is whole again and a write
    succeeds. The same for both shapes (``cluster``: Cluster or HACluster)."""
    headers = {"Authorization": f"Bearer {cluster.admin_token}"}
    base = cluster.url("frontend")
    freeze()
    try:
        started = time.monotonic()
        write = httpx.post(cluster.url("incidents", "/incidents"), headers=headers, timeout=write_timeout,
                           json={"name": "while frozen", "status": "investigating", "message": "Frozen."})
        write_s = time.monotonic() - started
        rounds = reads_for(base, seconds, until=until)
    finally:
        thaw()
    resumed = time.monotonic()
    recovered = wait_until(lambda: not public_reads(base)["/api/page.json"].get("missing"), 30, 0.3)
    recovered_s = time.monotonic() - resumed
    after = httpx.post(cluster.url("incidents", "/incidents"), headers=headers, timeout=10,
                       json={"name": "after the freeze", "status": "investigating", "message": "Back."})
    return {"write": write, "write_s": write_s, "rounds": rounds, "last": rounds[-1], "recovered": recovered,
            "recovered_s": recovered_s, "after": after,
            "slowest": max(entry["s"] for r in rounds for entry in r.values()),
            "statuses": collections.Counter(entry["status"] for r in rounds for entry in r.values())}


@contextlib.contextmanager
def running(cluster, request, label: str):
    """Start ``cluster`` for a test module; keep its logs if a test of the module failed."""
    failed_before = request.session.testsfailed
    try:
        started = time.monotonic()
        cluster.start()
        print(f"\n[faults] {label} up in {time.monotonic() - started:.1f} s (ports +{cluster.offset}, data in "
              f"{cluster.var})", flush=True)
        yield cluster
    finally:
        cluster.stop()
        if request.session.testsfailed > failed_before:
            print(f"\n[faults] logs of the processes kept in {cluster.var}")
        else:
            cluster.cleanup()
