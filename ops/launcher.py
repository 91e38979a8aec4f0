#!/usr/bin/env python3
"""PolyStatus launcher: `make up` runs the whole cluster, `make test` runs every test.

Only the standard library is used here, because this script is what sets up everything else
on a fresh machine (Python 3.11+ and nothing more):

- a virtualenv in .venv with exactly what requirements.lock pins (every file checked against
  its hash; `make lock` writes the lock), then the shared package and the six services
  (editable),
- redis-server (Debian's package when we are root and it is missing; otherwise we say how),
- for tests, Debian's chromium for the browser tests, and the peers' official JavaScript
  clients (ops/node/package.json: OpenFeature's SDKs and OFREP providers, a Healthchecks
  client) through npm into ops/node/node_modules (git-ignored; Debian's nodejs and npm first).

`up` then starts one private redis-server with append-only persistence under var/ (each
service on its own database number) unless REDIS_URL is given, every service and worker
under honcho (coloured, prefixed logs), a mail catcher unless SMTP_URL is given, creates the
first admin, loads demo data unless POLYSTATUS_DEMO=0, and prints the status page URL once
every service answers /readyz. Ctrl-C stops everything; the data stays in var/.

`up-ha` runs the production shape on this one machine, data in var/ha/: a Redis primary, a
replica and three Sentinels (`redis-server --sentinel`, the same Debian package), two replicas
of every web service and every worker, and the nginx edge (Debian's nginx, its configuration
shipped in ops/nginx/) on the same public addresses: 8080 and 5001-5005. The processes run
under supervisord (PyPI `supervisor`, installed in .venv), not honcho: honcho stops everything
when one process exits, supervisord restarts the one that died and leaves the others alone.
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
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

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
# Optional extras the launcher installs with a service (csp-status's sql check drivers).
EXTRAS = {"csp-status": "sql"}
# Services whose package has a `worker` module with background loops.
WORKERS = ["incidents", "users", "comms", "csp_status", "feature_flags"]
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
    # Another apt (unattended-upgrades on a fresh host, a second checkout's setup) may hold the
    # dpkg lock for a while: wait for it rather than fail the whole setup on the first try.
    wait_for_lock = ["-o", "DPkg::Lock::Timeout=300"]
    if not _apt_updated:
        say("apt-get update")
        subprocess.run(["apt-get", *wait_for_lock, "update", "-qq"], env=env, check=False)
        _apt_updated = True
    say(f"apt-get install {' '.join(packages)}")
    return subprocess.run(["apt-get", *wait_for_lock, "install", "-y", "-qq", *packages], env=env).returncode == 0


# ---------------------------------------------------------------------------------------- setup
def project_folders(root: str = ROOT) -> list[str]:
    return ["lib"] + [folder for folder, *_ in SERVICES if os.path.exists(os.path.join(root, folder, "pyproject.toml"))]


# The lock files: every Python dependency pinned with the hashes of its files. requirements.lock
# (the root) is what the virtualenv, the tests and CI install; <service>/requirements.lock holds
# only what one service's image needs, resolved against the root lock so its versions are the
# tested ones. `make lock` (this script's `lock`) writes them all with uv; nothing else does.
LOCK = os.path.join(ROOT, "requirements.lock")
LOCK_FILE_NAME = "requirements.lock"
DEV_REQUIREMENTS = "requirements-dev.txt"
# The installer is pinned too, so a machine a year from now installs with the pip that was tested.
LOCK_TOOLS = ["pip"]
LOCK_INPUTS_PREFIX = "# lock-inputs:"


def declared_dependencies(path: str) -> dict:
    """What a lock depends on in one input file: a pyproject's name, build requirements and
    dependencies (not its description or version), or a requirements file's requirement lines
    (not its comments)."""
    if path.endswith(".toml"):
        import tomllib

        with open(path, "rb") as handle:
            data = tomllib.load(handle)
        project = data.get("project", {})
        return {"name": project.get("name"),
                "build": data.get("build-system", {}).get("requires", []),
                "dependencies": project.get("dependencies", []),
                "optional": project.get("optional-dependencies", {})}
    with open(path) as handle:
        lines = [line.split("#", 1)[0].strip() for line in handle]
    return {"requirements": sorted(line for line in lines if line)}


def lock_inputs(root: str, folders: list[str], dev: bool) -> dict[str, str]:
    """{input file: digest of what it declares} for a lock made of `folders` (+ the dev tools)."""
    files = [f"{folder}/pyproject.toml" for folder in folders] + ([DEV_REQUIREMENTS] if dev else [])
    digests = {}
    for name in files:
        declared = json.dumps(declared_dependencies(os.path.join(root, name)), sort_keys=True)
        digests[name] = hashlib.sha256(declared.encode()).hexdigest()[:16]
    return digests


def lock_plan(root: str = ROOT) -> dict[str, dict[str, str]]:
    """{lock file (relative): its inputs and their digests}: the root lock, then one per service."""
    folders = project_folders(root)
    plan = {LOCK_FILE_NAME: lock_inputs(root, folders, dev=True)}
    for folder in folders[1:]:
        plan[f"{folder}/{LOCK_FILE_NAME}"] = lock_inputs(root, ["lib", folder], dev=False)
    return plan


def recorded_inputs(path: str) -> dict[str, str] | None:
    """The inputs a lock file says it was made from (its first line), None if it has none."""
    try:
        with open(path) as handle:
            first = handle.readline()
    except FileNotFoundError:
        return None
    if not first.startswith(LOCK_INPUTS_PREFIX):
        return None
    return dict(item.split("=", 1) for item in first[len(LOCK_INPUTS_PREFIX):].split())


def lock_problems(root: str = ROOT) -> list[str]:
    """Why the lock files do not match what the pyproject files and requirements-dev.txt
    declare (empty when they do): a dependency added without `make lock` is caught here, at
    setup, instead of as an ImportError somewhere later."""
    problems = []
    for lock, wanted in lock_plan(root).items():
        recorded = recorded_inputs(os.path.join(root, lock))
        if recorded is None:
            problems.append(f"{lock} is missing (or was not written by `make lock`)")
            continue
        changed = [name for name, digest in wanted.items() if recorded.get(name) != digest]
        gone = [name for name in recorded if name not in wanted]
        if changed or gone:
            problems.append(f"{lock} is older than the dependencies declared in {', '.join(changed + gone)}")
    return problems


def uv_binary() -> str:
    """uv, in .venv: the version the root lock pins when it has one (so every refresh resolves
    the same way), else the newest."""
    uv = os.path.join(VENV, "bin", "uv")
    if os.path.exists(uv):
        return uv
    pinned = ""
    if os.path.exists(LOCK):
        with open(LOCK) as handle:
            for line in handle:
                if line.startswith("uv=="):
                    pinned = line.split()[0]
                    break
    say(f"installing {pinned or 'uv'} into .venv to write the lock files")
    run([PY, "-m", "pip", "install", "-q", pinned or "uv"])
    return uv


def project_name(folder: str, root: str = ROOT) -> str:
    return declared_dependencies(os.path.join(root, folder, "pyproject.toml"))["name"]


def optional_groups(folder: str) -> str:
    groups = sorted(declared_dependencies(os.path.join(ROOT, folder, "pyproject.toml"))["optional"])
    return f"[{','.join(groups)}]" if groups else ""


def compile_lock(uv: str, lock: str, inputs: dict[str, str], *, constraint: str | None = None) -> None:
    """One `uv pip compile` into `lock`, its inputs recorded on the first line."""
    import tempfile

    folders = [name.split("/")[0] for name in inputs if name.endswith("pyproject.toml")]
    build = sorted({req for folder in folders
                    for req in declared_dependencies(os.path.join(ROOT, folder, "pyproject.toml"))["build"]})
    # The local packages are given as editable paths so uv reads their dependencies (the
    # services' `polystatus` is lib/, not a package from the index), and left out of the
    # output: the lock holds only what comes from the index, every line with its hashes.
    # Every optional group too (a service's database drivers, lib's `test`): `make test`
    # installs them all, and an image that asks for its service's finds them pinned. Images
    # leave out lib's (pytest).
    dev = DEV_REQUIREMENTS in inputs
    source = [f"-e ./{folder}{optional_groups(folder) if dev or folder != 'lib' else ''}" for folder in folders]
    source += build + LOCK_TOOLS
    if dev:
        source.append(f"-r {DEV_REQUIREMENTS}")
    args = [uv, "pip", "compile", "-", "--quiet", "--universal", "--python-version", "3.11",
            "--generate-hashes", "--custom-compile-command", "make lock"]
    for folder in folders:
        args += ["--no-emit-package", project_name(folder)]
    if constraint:
        args += ["--constraint", constraint]
    with tempfile.TemporaryDirectory() as scratch:
        output = os.path.join(scratch, "requirements.lock")
        result = subprocess.run([*args, "--output-file", output], cwd=ROOT, input="\n".join(source) + "\n",
                                text=True, capture_output=True)
        if result.returncode != 0:
            print(result.stdout + result.stderr, file=sys.stderr)
            fail(f"uv could not resolve {lock}")
        with open(output) as handle:
            body = handle.read()
    header = LOCK_INPUTS_PREFIX + " " + " ".join(f"{name}={digest}" for name, digest in inputs.items())
    with open(os.path.join(ROOT, lock), "w") as handle:
        handle.write(header + "\n" + body)


def lock() -> int:
    """`make lock`: resolve every dependency again (newest versions the declarations allow) and
    write the root lock, then each service's lock within the root lock's versions."""
    if not os.path.exists(PY):
        run([sys.executable, "-m", "venv", VENV])
    uv = uv_binary()
    plan = lock_plan()
    say(f"resolving {LOCK_FILE_NAME} (every platform, Python 3.11+)")
    compile_lock(uv, LOCK_FILE_NAME, plan.pop(LOCK_FILE_NAME))
    for path, inputs in plan.items():
        say(f"resolving {path} within {LOCK_FILE_NAME}")
        compile_lock(uv, path, inputs, constraint=LOCK)
    say("lock files written; commit them with the change that needed them")
    return 0


def setup_python() -> None:
    if sys.version_info < (3, 11):
        fail(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    problems = lock_problems()
    if problems:
        fail("the lock files do not match the declared dependencies:\n  " + "\n  ".join(problems)
             + "\nRun `make lock` (it resolves and writes every lock file) and commit the result.")
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
    with open(LOCK, "rb") as handle:
        digest.update(handle.read())
    for folder in project_folders():
        with open(os.path.join(ROOT, folder, "pyproject.toml"), "rb") as handle:
            digest.update(folder.encode() + handle.read())
    wanted = digest.hexdigest()
    if os.path.exists(stamp_path) and open(stamp_path).read() == wanted:
        return
    say("installing requirements.lock into .venv, every file checked against its hash "
        "(first run, or the lock changed)")
    # Exactly the lock: hashes required, nothing resolved here (--no-deps).
    run([PY, "-m", "pip", "install", "-q", "--require-hashes", "--no-deps", "-r", LOCK])
    # Then our own packages, editable, built with the locked setuptools (no build isolation,
    # which would fetch whatever setuptools is newest). compat mode puts each project folder
    # on sys.path: with the default (import hooks), a folder named like its package
    # (incidents/incidents) in the working directory would shadow the installed package as a
    # namespace package.
    args = [PY, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation",
            "--config-settings", "editable_mode=compat"]
    for folder in project_folders():
        args += ["-e", f"{folder}[{EXTRAS[folder]}]" if folder in EXTRAS else folder]
    # The locked setuptools still supports compat mode; its notice, once per package, says nothing new.
    run(args, env={**os.environ, "PYTHONWARNINGS": "ignore:Compat editable installs"})
    # A dependency missing from the lock would only show as an ImportError later; say it now.
    run([PY, "-m", "pip", "check"])
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


def setup_nginx() -> None:
    if shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"):
        return
    if apt_install("nginx"):
        # Debian may start its own nginx on port 80; ours runs apart, on its own ports and files.
        return
    fail("the HA shape needs nginx (the edge): sudo apt-get install nginx (Debian) and start again")


def nginx_binary() -> str:
    return shutil.which("nginx") or "/usr/sbin/nginx"


def setup_chromium() -> None:
    if shutil.which("chromium") or shutil.which("chromium-browser"):
        return
    if not apt_install("chromium"):
        fail("the browser tests need Chromium: sudo apt-get install chromium (Debian) and run again")


def setup_network_tools() -> None:
    """The icmp check tests run a check in a network namespace of its own and drop its echo
    requests with nftables (util-linux's unshare/setpriv and iproute2 are in every Debian)."""
    if shutil.which("nft") or os.path.exists("/usr/sbin/nft"):
        return
    if not apt_install("nftables"):
        fail("the icmp check tests need nftables: sudo apt-get install nftables (Debian) and run again")


NODE_DIR = os.path.join(ROOT, "ops", "node")


def setup_node_clients() -> None:
    """npm install of ops/node/package.json, again only when that file changes. No lock file
    is written here (the team writes lock files at release time)."""
    with open(os.path.join(NODE_DIR, "package.json"), "rb") as handle:
        wanted = hashlib.sha256(handle.read()).hexdigest()
    stamp_path = os.path.join(NODE_DIR, "node_modules", ".polystatus-installed")
    if os.path.exists(stamp_path) and open(stamp_path).read() == wanted:
        return
    if not (shutil.which("node") and shutil.which("npm")) and not apt_install("nodejs", "npm"):
        fail("the OpenFeature and Healthchecks client tests need Node.js and npm: sudo apt-get install nodejs npm")
    say("installing the peers' JavaScript clients into ops/node (npm)")
    run(["npm", "install", "--no-package-lock", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR)
    with open(stamp_path, "w") as handle:
        handle.write(wanted)


def setup(for_tests: bool = False, ha: bool = False) -> None:
    setup_python()
    if not os.environ.get("REDIS_URL") or for_tests or ha:
        setup_redis()
    if for_tests or ha:
        setup_nginx()
    if for_tests:
        setup_chromium()
        setup_network_tools()
        setup_node_clients()


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
    for key in ("comms", "frontend", "incidents", "csp_status", "feature_flags", "unsubscribe", "agent", "check_secrets"):
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
        "COMMS_EVENTS_URL": f"{redis_base}/{db['comms']}",
        "CSP_STATUS_EVENTS_URL": f"{redis_base}/{db['csp-status']}",
        "FEATURE_FLAGS_EVENTS_URL": f"{redis_base}/{db['feature-flags']}",
        # Every service but users holds client credentials: to call users, and to ask it about
        # the API keys it is shown (polystatus.auth.ApiKeyVerifier).
        "SERVICE_CLIENTS": ",".join(f"{name}={secret[name]}"
                                    for name in ("comms", "frontend", "incidents", "csp_status", "feature_flags")),
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
            # Users and comms put links to the public site in emails (and users its session cookie there).
            "PUBLIC_URL": public if folder in ("frontend", "incidents", "users", "comms") else url[folder],
            "SERVICE_CLIENT_ID": package if package in secret else "",
            "SERVICE_CLIENT_SECRET": secret.get(package, ""),
        }
    # seals the DSN passwords of sql and redis checks (csp-status only)
    per_service["csp-status"]["CHECK_SECRETS_KEY"] = secret["check_secrets"]
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


def wait_for_urls(urls: dict[str, str], *, timeout: float, process: subprocess.Popen | None,
                  stopped: str) -> list[str]:
    """Polls each URL until it answers 200 or ``timeout`` passes; the names still waited for.
    ``process`` stopping first fails the start with ``stopped``."""
    pending = dict(urls)
    deadline = time.monotonic() + timeout
    while pending and time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            fail(stopped)
        for name, url in list(pending.items()):
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        del pending[name]
            except (urllib.error.URLError, OSError):
                pass
        time.sleep(0.3)
    return sorted(pending)


def wait_ready(plan: dict, timeout: float = 90.0, process: subprocess.Popen | None = None) -> list[str]:
    urls = {folder: f"{plan['url'][folder]}/readyz" for folder in plan["url"]
            if os.path.exists(os.path.join(ROOT, folder, "pyproject.toml"))}
    return wait_for_urls(urls, timeout=timeout, process=process,
                         stopped="a process of the cluster stopped during start-up; see the logs above")


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


# ---------------------------------------------------------------------------------------- up-ha
MASTER_NAME = "polystatus"
EDGE_TEMPLATE = os.path.join(ROOT, "ops", "nginx", "templates", "polystatus.conf.template")
# How long the Sentinels wait before they call a silent primary down: short enough that writes
# come back within seconds of a crash, long enough that a busy moment is not a failover.
DOWN_AFTER_MS = int(os.environ.get("POLYSTATUS_SENTINEL_DOWN_AFTER_MS", 2000))
REPLICA_SUFFIXES = ("a", "b")


def ha_plan(offset: int = 0) -> dict:
    """The HA shape's ports, URLs and environments (var/ha/). The public addresses keep their
    meaning (8080 and 5001-5005 are the edge); replica a of a service listens on its port
    + 100, replica b on + 200."""
    base = os.path.join(var_dir(), "ha")
    saved = os.environ.get("POLYSTATUS_VAR")
    os.environ["POLYSTATUS_VAR"] = base
    try:
        plan = cluster_plan(offset)
    finally:
        if saved is None:
            os.environ.pop("POLYSTATUS_VAR", None)
        else:
            os.environ["POLYSTATUS_VAR"] = saved
    redis_port = plan["redis_port"]
    plan["redis_ports"] = {"redis-a": redis_port, "redis-b": redis_port + 1}
    plan["sentinel_ports"] = [redis_port + 5, redis_port + 6, redis_port + 7]
    sentinels = ",".join(f"127.0.0.1:{port}" for port in plan["sentinel_ports"])
    sentinel_base = f"redis+sentinel://{sentinels}/{MASTER_NAME}"
    db = {folder: number for folder, _, _, number in SERVICES}
    for key, folder in (("INCIDENTS_EVENTS_URL", "incidents"), ("USERS_EVENTS_URL", "users"),
                        ("COMMS_EVENTS_URL", "comms"), ("CSP_STATUS_EVENTS_URL", "csp-status"), ("FEATURE_FLAGS_EVENTS_URL", "feature-flags")):
        plan["env"][key] = f"{sentinel_base}/{db[folder]}"
    plan["replicas"] = {}
    for folder, _, port, number in SERVICES:
        plan["per_service"][folder]["REDIS_URL"] = f"{sentinel_base}/{number}"
        plan["replicas"][folder] = {suffix: port + offset + 100 * (i + 1) for i, suffix in enumerate(REPLICA_SUFFIXES)}
    # The edge on loopback is the frontend's caller here: believe the address it passes on.
    plan["per_service"]["frontend"]["TRUSTED_PROXIES"] = "127.0.0.1,::1"
    plan["sentinel_url"] = sentinel_base
    plan["ha"] = True
    return plan


def edge_variables(plan: dict) -> dict:
    """The values of the edge template's placeholders for this machine."""
    values = {"EDGE_LISTEN": f"127.0.0.1:{plan['ports']['frontend']}",
              "EDGE_CACHE_DIR": os.path.join(plan["var"], "nginx", "cache")}
    for folder in plan["ports"]:
        name = folder.upper().replace("-", "_")
        if folder != "frontend":
            values[f"{name}_LISTEN"] = f"127.0.0.1:{plan['ports'][folder]}"
        for suffix, port in plan["replicas"][folder].items():
            values[f"{name}_{suffix.upper()}"] = f"127.0.0.1:{port}"
    return values


def envsubst(text: str, values: dict) -> str:
    """What `envsubst '$A $B…'` does (the official nginx image renders its templates with it):
    ${NAME} and $NAME are replaced for the names given, every other $ is left to nginx."""
    import re

    return re.sub(r"\$\{(\w+)\}|\$(\w+)", lambda m: values.get(m.group(1) or m.group(2), m.group(0)), text)


def render_edge(plan: dict) -> str:
    """The edge's files under var/ha/nginx: the shipped nginx.conf and polystatus/ snippets,
    and the template rendered into conf.d/. Returns the path of nginx.conf."""
    folder = os.path.join(plan["var"], "nginx")
    for sub in ("conf.d", "polystatus", "cache", "temp"):
        os.makedirs(os.path.join(folder, sub), exist_ok=True)
    shipped = os.path.join(ROOT, "ops", "nginx")
    shutil.copyfile(os.path.join(shipped, "nginx.conf"), os.path.join(folder, "nginx.conf"))
    for name in os.listdir(os.path.join(shipped, "polystatus")):
        shutil.copyfile(os.path.join(shipped, "polystatus", name), os.path.join(folder, "polystatus", name))
    with open(EDGE_TEMPLATE) as handle:
        rendered = envsubst(handle.read(), edge_variables(plan))
    with open(os.path.join(folder, "conf.d", "polystatus.conf"), "w") as handle:
        handle.write(rendered)
    return os.path.join(folder, "nginx.conf")


def edge_command(plan: dict) -> list[str]:
    conf = render_edge(plan)
    directives = "daemon off; master_process on;" + (" user root root;" if is_root() else "")
    return [nginx_binary(), "-p", os.path.dirname(conf) + "/", "-c", conf, "-g", directives]


def redis_configs(plan: dict) -> dict[str, str]:
    """redis.conf of the primary and the replica, sentinel.conf of each Sentinel, written once:
    the Sentinels rewrite them (who is primary now), and a restart must keep that."""
    paths = {}
    first = plan["redis_ports"]["redis-a"]
    for name, port in plan["redis_ports"].items():
        data = os.path.join(plan["var"], name)
        os.makedirs(data, exist_ok=True)
        path = paths[name] = os.path.join(data, "redis.conf")
        if not os.path.exists(path):
            lines = [f"port {port}", "bind 127.0.0.1", f'dir "{data}"', "appendonly yes", "appendfsync everysec",
                     'save ""', "databases 16", "loglevel warning"]
            if port != first:
                lines.append(f"replicaof 127.0.0.1 {first}")
            with open(path, "w") as handle:
                handle.write("\n".join(lines) + "\n")
    for i, port in enumerate(plan["sentinel_ports"], start=1):
        data = os.path.join(plan["var"], f"sentinel-{i}")
        os.makedirs(data, exist_ok=True)
        path = paths[f"sentinel-{i}"] = os.path.join(data, "sentinel.conf")
        if not os.path.exists(path):
            lines = [f"port {port}", "bind 127.0.0.1", f'dir "{data}"',
                     f"sentinel monitor {MASTER_NAME} 127.0.0.1 {first} 2",
                     f"sentinel down-after-milliseconds {MASTER_NAME} {DOWN_AFTER_MS}",
                     f"sentinel failover-timeout {MASTER_NAME} 10000",
                     f"sentinel parallel-syncs {MASTER_NAME} 1"]
            with open(path, "w") as handle:
                handle.write("\n".join(lines) + "\n")
    return paths


def ha_programs(plan: dict) -> dict[str, dict]:
    """Every process of the HA shape: name -> {command, env, priority} (supervisord starts
    lower priorities first)."""
    bin_dir = os.path.join(VENV, "bin")
    programs = {}
    configs = redis_configs(plan)
    for name in plan["redis_ports"]:
        programs[name] = {"command": ["redis-server", configs[name]], "priority": 10}
    for i in range(1, len(plan["sentinel_ports"]) + 1):
        programs[f"sentinel-{i}"] = {"command": ["redis-server", configs[f"sentinel-{i}"], "--sentinel"], "priority": 20}
    if plan["env"]["MAIL_CATCHER_DIR"] and module_exists("comms", "mailcatcher"):
        programs["mail"] = {"command": [f"{bin_dir}/python", "-m", "comms.mailcatcher", "--host", "127.0.0.1",
                                        "--port", str(plan["smtp_port"]), "--dir", plan["env"]["MAIL_CATCHER_DIR"]],
                            "priority": 30}
    if module_exists("csp_status", "simulator"):
        fixtures = ["--fixtures", plan["fixtures"]] if os.path.isdir(plan["fixtures"]) else []
        programs["simulator"] = {"command": [f"{bin_dir}/python", "-m", "csp_status.simulator",
                                             "--port", str(plan["simulator_port"]), *fixtures], "priority": 30}
    for folder, package, _, _ in SERVICES:
        if not os.path.exists(os.path.join(ROOT, folder, package, "app.py")):
            continue
        for suffix, port in plan["replicas"][folder].items():
            env = {**plan["per_service"][folder], "PORT": str(port)}
            programs[f"{folder}-{suffix}"] = {
                "command": [f"{bin_dir}/python", "-m", "polystatus.serve", f"{package}.app:create_app"],
                "env": env, "priority": 40}
            if package in WORKERS and module_exists(package, "worker"):
                programs[f"{folder}-worker-{suffix}"] = {
                    "command": [f"{bin_dir}/python", "-m", f"{package}.worker"],
                    "env": {**env, "WORKER_ALIVE_FILE": os.path.join(plan["var"], f"{folder}-worker-{suffix}.alive")},
                    "priority": 50}
    if module_exists("csp_status", "agent"):
        programs["agent"] = {"command": [f"{bin_dir}/python", "-m", "csp_status.agent", "--server",
                                         plan["url"]["csp-status"], "--region", "agent-1",
                                         "--token-file", os.path.join(plan["var"], "agent-token")], "priority": 60}
    programs["edge"] = {"command": edge_command(plan), "priority": 30}
    return programs


TIER_NAMES = {10: "redis", 20: "sentinels", 30: "support", 40: "web", 50: "workers", 60: "agents"}


def supervisor_name(programs: dict[str, dict], name: str) -> str:
    """A program's name for supervisorctl (group:program)."""
    priority = programs[name]["priority"]
    return f"{TIER_NAMES.get(priority, f'tier{priority}')}:{name}"


def _supervisor_value(value: str) -> str:
    # supervisord expands %(name)s in its values, and reads KEY="value" pairs in environment=.
    return str(value).replace("%", "%%")


def supervisord_conf(plan: dict, programs: dict[str, dict]) -> str:
    import shlex

    var, logs = plan["var"], os.path.join(plan["var"], "logs")
    os.makedirs(logs, exist_ok=True)
    lines = [
        "; Written by ops/launcher.py up-ha from the cluster plan; edit the launcher, not this file.",
        "[supervisord]", "nodaemon=true", f"logfile={logs}/supervisord.log", f"pidfile={var}/supervisord.pid",
        "loglevel=info", f"childlogdir={logs}", "",
        "[unix_http_server]", f"file={var}/supervisor.sock", "chmod=0700", "",
        "[rpcinterface:supervisor]", "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface", "",
        "[supervisorctl]", f"serverurl=unix://{var}/supervisor.sock", "",
    ]
    common_env = {**plan["env"]}
    # One group per tier: supervisord starts and stops groups one after the other (by
    # priority), but the programs of one group all at once, so Ctrl-C takes seconds, not minutes.
    tiers: dict[int, list[str]] = {}
    for name, program in programs.items():
        tiers.setdefault(program["priority"], []).append(name)
    for priority, names in sorted(tiers.items()):
        lines += [f"[group:{TIER_NAMES.get(priority, f'tier{priority}')}]", f"programs={','.join(names)}",
                  f"priority={priority}", ""]
    for name, program in programs.items():
        env = {**common_env, **program.get("env", {})}
        environment = ",".join(f'{key}="{_supervisor_value(value)}"' for key, value in env.items())
        lines += [
            f"[program:{name}]",
            f"command={_supervisor_value(shlex.join(program['command']))}",
            f"directory={ROOT}",
            f"priority={program['priority']}",
            f"environment={environment}",
            "autostart=true", "autorestart=true", "startsecs=1", "startretries=1000",
            # Each program is its own process group (granian forks its workers): a stop or a
            # kill reaches all of it, and a crash of one program touches no other.
            "stopasgroup=true", "killasgroup=true", "stopsignal=TERM", "stopwaitsecs=15",
            f"stdout_logfile={logs}/{name}.log", "redirect_stderr=true",
            "stdout_logfile_maxbytes=20MB", "stdout_logfile_backups=2", "",
        ]
    return "\n".join(lines)


def supervisorctl(plan: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([os.path.join(VENV, "bin", "supervisorctl"), "-c", os.path.join(plan["var"], "supervisord.conf"),
                           *args], capture_output=True, text=True, timeout=60)


def wait_ready_ha(plan: dict, timeout: float = 120.0, process: subprocess.Popen | None = None) -> list[str]:
    """Every replica of every service ready, and every public address answering through the edge."""
    urls = {}
    for folder, replicas in plan["replicas"].items():
        if not os.path.exists(os.path.join(ROOT, folder, "pyproject.toml")):
            continue
        for suffix, port in replicas.items():
            urls[f"{folder}-{suffix}"] = f"http://127.0.0.1:{port}/readyz"
        urls[f"edge:{folder}"] = f"{plan['url'][folder]}/readyz"
    return wait_for_urls(urls, timeout=timeout, process=process,
                         stopped="supervisord stopped during start-up; see var/ha/logs/")


def up_ha(offset: int = 0, ready_file: str | None = None) -> int:
    setup(ha=True)
    plan = ha_plan(offset)
    programs = ha_programs(plan)
    conf = os.path.join(plan["var"], "supervisord.conf")
    with open(conf, "w") as handle:
        handle.write(supervisord_conf(plan, programs))
    say(f"starting the HA cluster under supervisord ({len(programs)} processes; data in {plan['var']}, logs in "
        f"{plan['var']}/logs; Ctrl-C stops it)")
    # supervisord writes its own log (starts, exits, restarts) to logs/supervisord.log.
    supervisor = subprocess.Popen([os.path.join(VENV, "bin", "supervisord"), "-c", conf], cwd=ROOT,
                                  env={**os.environ, **plan["env"]}, stdout=subprocess.DEVNULL)

    def forward(signum, _frame):
        if supervisor.poll() is None:
            supervisor.send_signal(signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        missing = wait_ready_ha(plan, process=supervisor)
        if missing:
            say(f"\033[1;31mnot ready after 120 s: {', '.join(missing)}\033[0m")
        else:
            bootstrap(plan)
            say(f"\033[1;32mPolyStatus (HA) is up: {plan['public']}\033[0m  (edge on {plan['public']} and "
                f"{plan['url']['incidents']}…; `.venv/bin/supervisorctl -c {conf} status` lists every process)")
            if ready_file:
                with open(ready_file, "w") as handle:
                    json.dump({"url": plan["url"], "public": plan["public"], "var": plan["var"],
                               "replicas": plan["replicas"], "redis_ports": plan["redis_ports"],
                               "sentinel_ports": plan["sentinel_ports"], "supervisord_conf": conf,
                               "programs": {name: supervisor_name(programs, name) for name in programs}}, handle)
        return supervisor.wait()
    finally:
        if supervisor.poll() is None:
            supervisor.terminate()
            supervisor.wait(60)


# ----------------------------------------------------------------------------------------- test
# ops/tests: the lock files and the Kubernetes manifests (and their validator).
SUITES = ["lib/tests"] + [f"{folder}/tests" for folder, *_ in SERVICES] + ["ops/tests", "e2e"]


def test_environment() -> dict:
    """The suites' environment: argon2-cffi's CHEAPEST parameters for passwords (still argon2id),
    because the suites sign in hundreds of times and the default parameters spend minutes of CPU
    there proving nothing more; users/tests checks the default stays RFC 9106's."""
    return {**os.environ, "PASSWORD_HASH_PROFILE": os.environ.get("PASSWORD_HASH_PROFILE", "CHEAPEST")}


def run_suite(suite: str, args: list[str]) -> tuple[str, subprocess.CompletedProcess, float]:
    cmd = [PY, "-m", "pytest", suite, "-q", "-p", "no:cacheprovider", "--timeout", "300", "--durations", "5", "--disable-warnings",
           f"--rootdir={os.path.join(ROOT, suite)}", *args]
    began = time.monotonic()
    result = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=test_environment())
    return suite, result, time.monotonic() - began


def test(args: list[str]) -> int:
    """Every suite, in two lanes when the machine has two cores: the end-to-end suite (the
    longest, and mostly waiting on real processes, timeouts and failovers) beside the unit
    suites one after the other. Never more than two suites at once, so the suites' timing
    bounds (a frozen backend answered within a second) still hold on a two-core machine, and
    the run takes about its longest lane instead of the sum. POLYSTATUS_TEST_LANES=1 runs the
    suites in sequence."""
    setup(for_tests=True)
    totals = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    failed_suites = []
    started = time.monotonic()
    suites = [suite for suite in SUITES if os.path.isdir(os.path.join(ROOT, suite)) and any(
        name.startswith("test_") for _, _, files in os.walk(os.path.join(ROOT, suite)) for name in files)]
    lanes = int(os.environ.get("POLYSTATUS_TEST_LANES", "2" if (os.cpu_count() or 1) >= 2 else "1"))
    if lanes > 1 and "e2e" in suites:
        groups = [["e2e"], [suite for suite in suites if suite != "e2e"]]
    else:
        groups = [suites]
    say(f"testing {', '.join(suites)} in {len(groups)} lane(s)")

    printing = threading.Lock()

    def report(suite, result, took):
        # Each suite's tail is printed whole as soon as it ends, never interleaved with another.
        with printing:
            say(f"{suite}: done in {took:.0f} s")
            # A failing suite's tail is long enough to hold every failure's reason.
            sys.stdout.write(result.stdout[-(30000 if result.returncode else 4000):])
            sys.stdout.write(result.stderr[-3000:])
            sys.stdout.flush()
            counts = parse_summary(result.stdout)
            for key in totals:
                totals[key] += counts.get(key, 0)
            if result.returncode != 0:
                failed_suites.append(suite)

    def lane(group):
        for suite in group:
            report(*run_suite(suite, args))

    with ThreadPoolExecutor(len(groups)) as pool:
        for future in [pool.submit(lane, group) for group in groups]:
            future.result()
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
    ha_parser = sub.add_parser("up-ha", help="run the HA shape: Sentinel, two replicas of everything, the nginx edge")
    ha_parser.add_argument("--port-offset", type=int, default=int(os.environ.get("POLYSTATUS_PORT_OFFSET", 0)))
    ha_parser.add_argument("--ready-file", help="write the URLs here once every replica is ready")
    sub.add_parser("setup", help="only set up (virtualenv, Redis, nginx, and what the tests need)")
    sub.add_parser("lock", help="resolve every Python dependency again and write the lock files (uv)")
    sub.add_parser("setup-node", help="only install the peers' JavaScript clients the tests run (ops/node)")
    test_parser = sub.add_parser("test", help="set up and run every test")
    test_parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    if args.command == "up":
        return up(args.port_offset, args.ready_file)
    if args.command == "up-ha":
        return up_ha(args.port_offset, args.ready_file)
    if args.command == "setup":
        setup(for_tests=True)
        return 0
    if args.command == "lock":
        return lock()
    if args.command == "setup-node":
        setup_node_clients()
        return 0
    return test(args.pytest_args)


if __name__ == "__main__":
    sys.exit(main())
