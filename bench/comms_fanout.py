"""Email fan-out of one incident update to 10,000 followers (issue 7).

Real processes on loopback: a private redis-server, the users service (10,000 accounts, each
following the incident, created through users' own storage functions), the comms service and
the comms worker. The incident is created and then updated through incidents' own flows, which
publish `incident.created` and `incident.updated` on incidents' stream exactly as the service
does; comms consumes it, asks users `GET /followers?incident=`, plans one delivery per person
and sends them to a counting SMTP server (aiosmtpd) in this process.

Timed: from the commit of the update to the 10,000th distinct recipient at the SMTP server
(target <= 60 s). Then: nobody missed, nobody twice, every delivery recorded as sent in comms'
Redis and none left in its queue. Reference, in the same run and against the same server: a
plain smtplib loop sending messages of the same shape over one connection.

    .venv/bin/python bench/comms_fanout.py [--followers 10000] [--reference 5000] [--timeout 300]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage

import redis
from aiosmtpd.controller import Controller
from loadgen import PYTHON, ROOT, Rig, free_port, stop, wait_http

TARGET_S = 60.0
SECRET = "bench-comms-secret-0123456789"  # noqa: S105 (a throw-away service client secret)
INCIDENTS_DB, USERS_DB, COMMS_DB, CSP_DB = 1, 2, 3, 4


class Counter:
    """An SMTP server's DATA hook that only counts: every recipient of every message accepted."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.messages = 0
            self.recipients: dict[str, int] = {}
            self.first = self.last = None
            self.last_new = None

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        now = time.monotonic()
        with self.lock:
            self.messages += 1
            self.first = self.first or now
            self.last = now
            for rcpt in envelope.rcpt_tos:
                seen = self.recipients.get(rcpt, 0)
                self.recipients[rcpt] = seen + 1
                if not seen:
                    self.last_new = now
        return "250 OK"

    def snapshot(self) -> tuple[int, int]:
        with self.lock:
            return self.messages, len(self.recipients)


def sample_message(i: int) -> bytes:
    """A message shaped like comms' incident emails (text + html, unsubscribe header)."""
    message = EmailMessage()
    message["From"] = "PolyStatus <status@polystatus.localhost>"
    message["To"] = f"ref{i}@reference.test"
    message["Subject"] = "[Identified] Checkout is slow"
    message["Message-ID"] = f"<{i:020x}@polystatus>"
    message["List-Unsubscribe"] = "<http://127.0.0.1:5003/unsubscribe?u=x&k=follows&t=y&s=" + "0" * 32 + ">"
    text = "Checkout is slow\n\nIdentified: " + "We found the cause. " * 4 + "\n\nAffected: none\n" + "x" * 200
    message.set_content(text)
    message.add_alternative("<h2>Checkout is slow</h2><p>" + text + "</p>", subtype="html")
    return message.as_bytes(policy=policy.SMTP)  # CRLF line ends, as smtplib's send_message sends


def reference(port: int, count: int) -> float:
    """Messages per second of a bare smtplib loop over one connection (no Redis, no planning)."""
    body = sample_message(0)
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as smtp:
        started = time.perf_counter()
        for i in range(count):
            smtp.sendmail("status@polystatus.localhost", [f"ref{i}@reference.test"], body)
        return count / (time.perf_counter() - started)


def start_logged(cmd: list[str], env: dict, log_path: str) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(cmd, env={**os.environ, **env}, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def consumed(source: redis.Redis, stream: str, group: str = "comms") -> bool:
    """Has the group read and acknowledged every entry of the stream?"""
    try:
        groups = {g["name"]: g for g in source.xinfo_groups(stream)}
    except redis.ResponseError:
        return False
    info = groups.get(group)
    if info is None:
        return False
    last = source.xrevrange(stream, count=1)
    return info["pending"] == 0 and (not last or info["last-delivered-id"] == last[0][0])


def wait_for(what: str, predicate, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.1)


def create_followers(r: redis.Redis, incident_id: str, count: int) -> list[str]:
    """10,000 accounts following the incident, through users' storage functions."""
    from argon2 import PasswordHasher
    from users.accounts import storage as accounts
    from users.follows import storage as follows

    password_hash = PasswordHasher().hash("bench passphrase 2026")  # one hash, shared: argon2 is slow on purpose
    emails = []
    now = datetime.now(UTC)
    stamp = now.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    for i in range(count):
        user = {"id": f"{int(now.timestamp() * 1000):x}{i:010x}", "email": f"follower{i:05d}@example.com",
                "display_name": f"Follower {i}", "role": "user", "password_hash": password_hash,
                "created_at": stamp, "updated_at": stamp}
        assert accounts.create(r, user, created_ts=now.timestamp() + i / 1e6)
        follows.add(r, "follows", user["id"], incident_id)
        emails.append(user["email"])
    return emails


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--reference", type=int, default=5_000, help="messages in the smtplib reference loop")
    parser.add_argument("--timeout", type=float, default=300.0)
    args = parser.parse_args()

    from incidents import settings as incidents_settings
    from incidents.incidents import flows as incident_flows

    with Rig() as rig:
        work = tempfile.mkdtemp(prefix="polystatus-bench-comms-")
        rig.callback(shutil.rmtree, work, ignore_errors=True)
        redis_server = rig.redis()
        counter = Counter()
        smtp_port = free_port()
        smtp = Controller(counter, hostname="127.0.0.1", port=smtp_port)
        smtp.start()
        rig.callback(smtp.stop)
        users_port, comms_port = free_port(), free_port()
        users_url = f"http://127.0.0.1:{users_port}"
        common = {"JWKS_URL": f"{users_url}/.well-known/jwks.json", "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text"}
        comms_env = {**common, "REDIS_URL": redis_server.url(COMMS_DB), "PORT": str(comms_port),
                     "INCIDENTS_EVENTS_URL": redis_server.url(INCIDENTS_DB), "USERS_EVENTS_URL": redis_server.url(USERS_DB),
                     "CSP_STATUS_EVENTS_URL": redis_server.url(CSP_DB), "USERS_URL": users_url,
                     "SERVICE_CLIENT_ID": "comms", "SERVICE_CLIENT_SECRET": SECRET,
                     "SMTP_URL": f"smtp://127.0.0.1:{smtp_port}", "MAIL_CATCHER_DIR": "",
                     "UNSUBSCRIBE_SECRET": "bench-unsubscribe-secret", "WORKER_ALIVE_FILE": os.path.join(work, "alive")}
        worker_log = os.path.join(work, "comms-worker.log")
        ok = False
        rig.service("users.app:create_app", users_port, {
            **common, "REDIS_URL": redis_server.url(USERS_DB), "SERVICE_CLIENTS": f"comms={SECRET}"})
        rig.service("comms.app:create_app", comms_port, comms_env)
        rig.callback(stop, start_logged([PYTHON, "-m", "comms.worker"], comms_env, worker_log))
        wait_http(f"http://127.0.0.1:{comms_port}/readyz")

        incidents_r = redis.Redis.from_url(redis_server.url(INCIDENTS_DB), decode_responses=True)
        users_r = redis.Redis.from_url(redis_server.url(USERS_DB), decode_responses=True)
        comms_r = redis.Redis.from_url(redis_server.url(COMMS_DB), decode_responses=True)
        incidents_config = incidents_settings.load({"REDIS_URL": redis_server.url(INCIDENTS_DB)})

        ref_rate = reference(smtp_port, args.reference)
        print(f"reference: bare smtplib loop, one connection, {args.reference} messages: {ref_rate:,.0f} msg/s", flush=True)
        counter.reset()

        # The incident exists before anyone follows it; comms handles its creation (nobody to tell).
        incident = incident_flows.create(incidents_r, incidents_config, datetime.now(UTC), {
            "name": "Checkout is slow", "status": "investigating", "message": "Looking into it.", "impact": "major"})
        wait_for("comms to handle incident.created", lambda: consumed(incidents_r, "events:incidents"))
        started = time.perf_counter()
        emails = create_followers(users_r, incident["id"], args.followers)
        wait_for("comms to skip users' user.created events", lambda: consumed(users_r, "events:users"), 120)
        print(f"setup: {len(emails):,} accounts following {incident['id']} in {time.perf_counter() - started:.1f} s",
              flush=True)
        assert counter.snapshot() == (0, 0), "messages before the update"

        t0 = time.monotonic()
        incident_flows.add_update(incidents_r, incidents_config, datetime.now(UTC), incident["id"], {
            "status": "identified", "message": "A slow payment provider; we are failing over."})
        deadline = t0 + args.timeout
        next_line = t0 + 3
        planned_at = None
        while True:
            messages, distinct = counter.snapshot()
            now = time.monotonic()
            if planned_at is None and comms_r.zcard("deliveries") >= args.followers:
                planned_at = now
            if distinct >= args.followers or now > deadline:
                break
            if now >= next_line:
                print(f"  {now - t0:5.1f} s  received {messages:>6,}  planned {comms_r.zcard('deliveries'):>6,}  "
                      f"queued {comms_r.zcard('delivery-queue'):>6,}", flush=True)
                next_line += 3
            time.sleep(0.05)
        done = counter.last_new or time.monotonic()
        elapsed = done - t0
        time.sleep(2.0)  # anything sent twice would arrive now
        messages, distinct = counter.snapshot()
        received = set(counter.recipients)
        duplicates = messages - distinct
        missing = len(set(emails) - received)
        strangers = len(received - set(emails))

        ids = comms_r.zrange("deliveries", 0, -1)
        records = [json.loads(raw) for raw in comms_r.mget([f"delivery:{i}" for i in ids])] if ids else []
        sent_records = sum(1 for d in records if d["kind"] == "email" and d["status"] == "sent")
        queued = comms_r.zcard("delivery-queue")

        rate = distinct / elapsed if elapsed > 0 else 0.0
        first = (counter.first - t0) if counter.first else float("nan")
        print(f"first message after {first:.2f} s; all {args.followers:,} planned after "
              f"{(planned_at - t0) if planned_at else float('nan'):.2f} s")
        print(f"fan-out: {elapsed:.1f} s for {distinct:,} recipients ({rate:,.0f} msg/s); messages received {messages:,}, "
              f"duplicates {duplicates}, missing {missing}, unexpected {strangers}")
        print(f"comms delivery log: {len(records):,} records, {sent_records:,} sent, {queued} still queued")
        print(f"fan-out / bare smtplib messages per second: {rate / ref_rate:.2f}")
        ok = (distinct == args.followers and messages == args.followers and missing == 0 and strangers == 0
              and sent_records == args.followers and queued == 0)
        within = elapsed <= TARGET_S * args.followers / 10_000
        print(f"{args.followers:,} followers in {elapsed:.1f} s (target <= {TARGET_S * args.followers / 10_000:.0f} s): "
              f"{'PASS' if ok and within else 'FAIL'}", flush=True)
        ok = ok and within
        if not ok:
            with open(worker_log, errors="replace") as log:
                print("--- comms worker log (tail) ---\n" + "".join(log.readlines()[-30:]))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
