#!/usr/bin/env python3
"""PolyStatus launcher: `make up` runs the whole cluster, `make test` runs every test.

Only the standard library is used here, because this script is what sets up everything else
on a fresh machine (Python 3.11+ and nothing more):

- a virtualenv in .venv with the shared package and the six services installed (editable),
- redis-server (Debian's package when we are root and it is missing; otherwise we say how),
- for tests, Debian's chromium for the browser tests.

`up` then starts one private redis-server with append-only persistence under var/ (each
service on its own database number) unless REDIS_URL is given, every service and worker
under honcho (coloured, prefixed logs), a mail catcher unless SMTP_URL is given, creates the
first admin, loads demo data unless POLYSTATUS_DEMO=0, and prints the status page URL once
every service answers /readyz. Ctrl-C stops everything; the data stays in var/.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
PY = os.path.join(VENV, "bin", "python")
# Real status payloads captured from public providers, served by the simulator to the demo.
FIXTURES = os.path.join(ROOT, "fixtures")

# folder, package, port, Redis database number (on the private development Redis)
SERVICES = [
    ("incidents", "incidents", 5001, 1),
    ("users", "users", 5002, 2),
    ("comms", "comms", 5003, 3),
    ("csp-status", "csp_status", 5004, 4),
    ("feature-flags", "feature_flags", 5005, 5),
    ("frontend", "frontend", 8080, 6),
]
# Services whose package has a `worker` module with background loops.
WORKERS = ["incidents", "comms", "csp_status", "feature_flags"]
DEMO_ORDER = ["users", "incidents", "csp_status", "comms", "feature_flags"]


def say(message: str) -> None:
    print(f"\033[1;36mpolystatus\033[0m {message}", flush=True)


def fail(message: str) -> None:
    print(f"\033[1;31mpolystatus: {message}\033[0m", file=sys.stderr, flush=True)
    sys.exit(1)


def run(cmd: list[str], **kwargs) -> None:
    result = subprocess.run(cmd, cwd=kwargs.pop("cwd", ROOT), **kwargs)
    if result.returncode != 0:
        fail(f"command failed ({result.returncode}): {' '.join(cmd)}")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


_apt_updated = False


def apt_install(*packages: str) -> bool:
    """Install Debian packages when we can (root + apt-get); False when we cannot."""
    global _apt_updated
    if not (is_root() and shutil.which("apt-get")):
        return False
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        say("apt-get update")
        subprocess.run(["apt-get", "update", "-qq"], env=env, check=False)
        _apt_updated = True
    say(f"apt-get install {' '.join(packages)}")
    return subprocess.run(["apt-get", "install", "-y", "-qq", *packages], env=env).returncode == 0


# ---------------------------------------------------------------------------------------- setup
def project_folders() -> list[str]:
    return ["lib"] + [folder for folder, *_ in SERVICES if os.path.exists(os.path.join(ROOT, folder, "pyproject.toml"))]


def setup_python() -> None:
    if sys.version_info < (3, 11):
        fail(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    if not os.path.exists(PY):
        say("creating the virtualenv in .venv")
        result = subprocess.run([sys.executable, "-m", "venv", VENV])
        if result.returncode != 0:
            if apt_install(f"python3.{sys.version_info.minor}-venv") or apt_install("python3-venv"):
                shutil.rmtree(VENV, ignore_errors=True)
                run([sys.executable, "-m", "venv", VENV])
            else:
                fail("python3 -m venv failed: install your distribution's venv package "
                     "(Debian/Ubuntu: sudo apt-get install python3-venv) and run again")
    stamp_path = os.path.join(VENV, ".polystatus-installed")
    digest = hashlib.sha256()
    for folder in project_folders():
        with open(os.path.join(ROOT, folder, "pyproject.toml"), "rb") as handle:
            digest.update(folder.encode() + handle.read())
    with open(os.path.join(ROOT, "requirements-dev.txt"), "rb") as handle:
        digest.update(handle.read())
    wanted = digest.hexdigest()
    if os.path.exists(stamp_path) and open(stamp_path).read() == wanted:
        return
    say("installing the services and tools into .venv (first run, or dependencies changed)")
    run([PY, "-m", "pip", "install", "-q", "--upgrade", "pip"])
    # compat mode puts each project folder on sys.path: with the default (import hooks), a
    # folder named like its package (incidents/incidents) in the working directory would
    # shadow the installed package as a namespace package.
    args = [PY, "-m", "pip", "install", "-q", "--config-settings", "editable_mode=compat", "-r", "requirements-dev.txt"]
    for folder in project_folders():
        args += ["-e", folder]
    run(args)
    with open(stamp_path, "w") as handle:
        handle.write(wanted)


def setup_redis() -> None:
    if shutil.which("redis-server"):
        return
    if apt_install("redis-server"):
        # Debian starts a system redis on 6379; ours is private, on its own port, so leave it.
        return
    if shutil.which("brew"):
        fail("redis-server is missing: run `brew install redis` and start again")
    fail("redis-server is missing and cannot be installed automatically here (not root, or no "
         "apt-get). Install Redis 7 (Debian/Ubuntu: sudo apt-get install redis-server; Fedora: "
         "sudo dnf install redis) or set REDIS_URL to a Redis you run, and start again.")


def setup_chromium() -> None:
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if not apt_install("chromium"):
        fail("the browser tests need Chromium: sudo apt-get install chromium (Debian) and run again")


def setup(for_tests: bool = False) -> None:
    setup_python()
    if not os.environ.get("REDIS_URL") or for_tests:
        setup_redis()
    if for_tests:
        setup_chromium()


# ------------------------------------------------------------------------------------------- up
def var_dir() -> str:
    return os.path.abspath(os.environ.get("POLYSTATUS_VAR", os.path.join(ROOT, "var")))


def load_secrets(var: str) -> dict:
    """Per-installation secrets, generated once and kept in var/ so a restart keeps sessions."""
    path = os.path.join(var, "secrets.json")
    values = {}
    if os.path.exists(path):
        with open(path) as handle:
            values = json.load(handle)
    changed = False
    for key in ("comms", "frontend", "incidents", "csp_status", "unsubscribe", "agent"):
        if key not in values:
            values[key] = secrets.token_urlsafe(32)
            changed = True
    if changed:
        with open(path, "w") as handle:
            json.dump(values, handle)
        os.chmod(path, 0o600)
    return values


def cluster_plan(offset: int = 0) -> dict:
    """Ports, URLs and the environment of every process."""
    var = var_dir()
    os.makedirs(os.path.join(var, "redis"), exist_ok=True)
    os.makedirs(os.path.join(var, "mail"), exist_ok=True)
    secret = load_secrets(var)
    ports = {folder: port + offset for folder, _, port, _ in SERVICES}
    redis_port = int(os.environ.get("POLYSTATUS_REDIS_PORT", 6390)) + offset
    smtp_port = 2525 + offset
    simulator_port = 5099 + offset
    user_redis = os.environ.get("REDIS_URL")
    if user_redis:
        parsed = urllib.parse.urlparse(user_redis)
        redis_base = f"{parsed.scheme}://{parsed.netloc}"
    else:
        redis_base = f"redis://127.0.0.1:{redis_port}"
    url = {folder: f"http://127.0.0.1:{ports[folder]}" for folder in ports}
    db = {folder: number for folder, _, _, number in SERVICES}
    public = url["frontend"]
    env = {
        "PYTHONUNBUFFERED": "1",
        "USERS_URL": url["users"], "INCIDENTS_URL": url["incidents"], "COMMS_URL": url["comms"],
        "CSP_STATUS_URL": url["csp-status"], "FEATURE_FLAGS_URL": url["feature-flags"],
        "FRONTEND_URL": public,
        "JWKS_URL": f"{url['users']}/.well-known/jwks.json",
        "CORS_ORIGINS": f"{public},http://localhost:{ports['frontend']}",
        "INCIDENTS_EVENTS_URL": f"{redis_base}/{db['incidents']}",
        "USERS_EVENTS_URL": f"{redis_base}/{db['users']}",
        "CSP_STATUS_EVENTS_URL": f"{redis_base}/{db['csp-status']}",
        "FEATURE_FLAGS_EVENTS_URL": f"{redis_base}/{db['feature-flags']}",
        "SERVICE_CLIENTS": ",".join(f"{name}={secret[name]}" for name in ("comms", "frontend", "incidents", "csp_status")),
        "UNSUBSCRIBE_SECRET": secret["unsubscribe"],
        "SMTP_URL": os.environ.get("SMTP_URL", f"smtp://127.0.0.1:{smtp_port}"),
        "MAIL_FROM": os.environ.get("MAIL_FROM", "PolyStatus <status@polystatus.localhost>"),
        "MAIL_CATCHER_DIR": "" if os.environ.get("SMTP_URL") else os.path.join(var, "mail"),
        "CSP_ALLOW_PRIVATE_TARGETS": "1",
        "SIMULATOR_URL": f"http://127.0.0.1:{simulator_port}",
        "LOG_FORMAT": os.environ.get("LOG_FORMAT", "text"),
        "WEB_WORKERS": os.environ.get("WEB_WORKERS", "1"),
    }
    per_service = {}
    for folder, package, _, number in SERVICES:
        per_service[folder] = {
            "PORT": str(ports[folder]),
            "REDIS_URL": f"{redis_base}/{number}",
            "PUBLIC_URL": public if folder in ("frontend", "incidents") else url[folder],
            "SERVICE_CLIENT_ID": package if package in secret else "",
            "SERVICE_CLIENT_SECRET": secret.get(package, ""),
        }
    return {"var": var, "ports": ports, "url": url, "env": env, "per_service": per_service,
            "redis_port": redis_port, "own_redis": not user_redis, "smtp_port": smtp_port,
            "simulator_port": simulator_port, "public": public, "agent_token": secret["agent"],
            "fixtures": FIXTURES}


def _exports(values: dict) -> str:
    return " ".join(f"{key}={shell_quote(value)}" for key, value in values.items())


def shell_quote(value: str) -> str:
    import shlex

    return shlex.quote(str(value))


def module_exists(package: str, module: str) -> bool:
    folder = next(f for f, p, *_ in SERVICES if p == package)
    return os.path.exists(os.path.join(ROOT, folder, package, f"{module}.py"))


def procfile(plan: dict) -> str:
    bin_dir = os.path.join(VENV, "bin")
    lines = []
    if plan["own_redis"]:
        lines.append(
            f"redis: redis-server --port {plan['redis_port']} --bind 127.0.0.1 --dir {plan['var']}/redis "
            f"--appendonly yes --appendfsync everysec --save '' --databases 16 --loglevel warning"
        )
    if plan["env"]["MAIL_CATCHER_DIR"] and module_exists("comms", "mailcatcher"):
        lines.append(f"mail: {bin_dir}/python -m comms.mailcatcher --host 127.0.0.1 --port {plan['smtp_port']} "
                     f"--dir {plan['env']['MAIL_CATCHER_DIR']}")
    if module_exists("csp_status", "simulator"):
        fixtures = plan["fixtures"] if os.path.isdir(plan["fixtures"]) else ""
        extra = f" --fixtures {fixtures}" if fixtures else ""
        lines.append(f"simulator: {bin_dir}/python -m csp_status.simulator --port {plan['simulator_port']}{extra}")
    for folder, package, _, _ in SERVICES:
        if not os.path.exists(os.path.join(ROOT, folder, package, "app.py")):
            continue
        env = _exports(plan["per_service"][folder])
        lines.append(f"{folder}: env {env} {bin_dir}/python -m polystatus.serve {package}.app:create_app")
        if package in WORKERS and module_exists(package, "worker"):
            lines.append(f"{folder}-worker: env {env} {bin_dir}/python -m {package}.worker")
    if module_exists("csp_status", "agent"):
        lines.append(f"agent: {bin_dir}/python -m csp_status.agent --server {plan['url']['csp-status']} "
                     f"--region agent-1 --token-file {plan['var']}/agent-token")
    return "\n".join(lines) + "\n"


def wait_ready(plan: dict, timeout: float = 90.0, process: subprocess.Popen | None = None) -> list[str]:
    deadline = time.monotonic() + timeout
    pending = {folder: f"{plan['url'][folder]}/readyz" for folder in plan["url"]
               if os.path.exists(os.path.join(ROOT, folder, "pyproject.toml"))}
    while pending and time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            fail("a process of the cluster stopped during start-up; see the logs above")
        for folder, url in list(pending.items()):
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        del pending[folder]
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.3)
    return sorted(pending)


def bootstrap(plan: dict) -> None:
    """First admin, then demo data: each service loads its own, idempotently."""
    base_env = {**os.environ, **plan["env"]}
    marker = os.path.join(plan["var"], "admin-created")
    email = os.environ.get("POLYSTATUS_ADMIN_EMAIL")
    password = os.environ.get("POLYSTATUS_ADMIN_PASSWORD")
    if module_exists("users", "admin") and (email or not os.path.exists(marker)):
        generated = False
        if not email:
            email, password, generated = "admin@polystatus.localhost", secrets.token_urlsafe(12), True
        env = {**base_env, **plan["per_service"]["users"]}
        result = subprocess.run([PY, "-m", "users.admin", "--email", email, "--password", password or ""],
                                cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            print(result.stdout + result.stderr, file=sys.stderr)
            fail("creating the first admin failed")
        with open(marker, "w") as handle:
            handle.write(email + "\n")
        if generated:
            say("\033[1;33mfirst admin created — shown once, keep it:\033[0m "
                f"email {email}  password {password}")
    if os.environ.get("POLYSTATUS_DEMO", "1") == "0":
        return
    for package in DEMO_ORDER:
        if not module_exists(package, "demo"):
            continue
        folder = next(f for f, p, *_ in SERVICES if p == package)
        env = {**base_env, **plan["per_service"][folder],
               "POLYSTATUS_AGENT_TOKEN_FILE": os.path.join(plan["var"], "agent-token")}
        result = subprocess.run([PY, "-m", f"{package}.demo"], cwd=ROOT, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            print(result.stdout + result.stderr, file=sys.stderr)
            say(f"\033[1;31mdemo data for {folder} failed (the cluster keeps running)\033[0m")
        else:
            for line in result.stdout.strip().splitlines()[-3:]:
                say(f"demo {folder}: {line}")


def up(offset: int = 0, ready_file: str | None = None) -> int:
    setup()
    plan = cluster_plan(offset)
    path = os.path.join(plan["var"], "Procfile")
    with open(path, "w") as handle:
        handle.write(procfile(plan))
    env = {**os.environ, **plan["env"]}
    say(f"starting the cluster (data in {plan['var']}; Ctrl-C stops it)")
    honcho = subprocess.Popen([os.path.join(VENV, "bin", "honcho"), "-f", path, "-d", ROOT, "start"], env=env)

    def forward(signum, _frame):
        if honcho.poll() is None:
            honcho.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        missing = wait_ready(plan, process=honcho)
        if missing:
            say(f"\033[1;31mnot ready after 90 s: {', '.join(missing)}\033[0m")
        else:
            bootstrap(plan)
            say(f"\033[1;32mPolyStatus is up: {plan['public']}\033[0m  "
                f"(console {plan['public']}/console, admin {plan['public']}/admin, "
                f"API docs {plan['url']['incidents']}/docs)")
            if ready_file:
                with open(ready_file, "w") as handle:
                    json.dump({"url": plan["url"], "public": plan["public"]}, handle)
        return honcho.wait()
    finally:
        if honcho.poll() is None:
            honcho.terminate()
            honcho.wait(20)


# ----------------------------------------------------------------------------------------- test
SUITES = ["lib/tests"] + [f"{folder}/tests" for folder, *_ in SERVICES] + ["e2e"]


def test(args: list[str]) -> int:
    setup(for_tests=True)
    totals = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    failed_suites = []
    started = time.monotonic()
    for suite in SUITES:
        if not os.path.isdir(os.path.join(ROOT, suite)) or not any(
            name.startswith("test_") for _, _, files in os.walk(os.path.join(ROOT, suite)) for name in files
        ):
            continue
        say(f"testing {suite}")
        cmd = [PY, "-m", "pytest", suite, "-q", "-p", "no:cacheprovider", "--timeout", "300",
               f"--rootdir={os.path.join(ROOT, suite)}", *args]
        result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
        sys.stdout.write(result.stdout[-6000:])
        sys.stdout.write(result.stderr[-3000:])
        counts = parse_summary(result.stdout)
        for key in totals:
            totals[key] += counts.get(key, 0)
        if result.returncode not in (0,):
            failed_suites.append(suite)
    elapsed = time.monotonic() - started
    if failed_suites:
        say(f"\033[1;31mfailing suites: {', '.join(failed_suites)}\033[0m")
    say(f"all suites done in {elapsed:.0f} s")
    print(f"{totals['passed']} passed, {totals['failed'] + totals['errors']} failed")
    return 1 if failed_suites or totals["passed"] == 0 else 0


def parse_summary(output: str) -> dict:
    import re

    counts = {}
    for line in output.strip().splitlines()[-3:]:
        for number, word in re.findall(r"(\d+) (passed|failed|errors?|skipped)", line):
            counts["errors" if word.startswith("error") else word] = int(number)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description="PolyStatus launcher")
    sub = parser.add_subparsers(dest="command", required=True)
    up_parser = sub.add_parser("up", help="set up and run the whole cluster")
    up_parser.add_argument("--port-offset", type=int, default=int(os.environ.get("POLYSTATUS_PORT_OFFSET", 0)))
    up_parser.add_argument("--ready-file", help="write the URLs here once every service is ready")
    sub.add_parser("setup", help="only set up (virtualenv, Redis)")
    test_parser = sub.add_parser("test", help="set up and run every test")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "up":
        return up(args.port_offset, args.ready_file)
    if args.command == "setup":
        setup(for_tests=True)
        return 0
    return test(args.pytest_args)


if __name__ == "__main__":
    sys.exit(main())
