"""kill -9 the delivery worker in the middle of a fan-out, restart it: every follower gets
exactly one message (counted by Message-ID at a real SMTP server on loopback)."""
import asyncio
import collections
import os
import signal
import subprocess
import sys
import time

from aiosmtpd.controller import Controller
from polystatus import events
from polystatus.testing import free_port


class SlowCounter:
    """Takes 5 ms per message, so a fan-out of 200 lasts long enough to be interrupted."""

    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        await asyncio.sleep(0.005)
        text = envelope.content.decode(errors="replace")
        message_id = next(line.split(":", 1)[1].strip() for line in text.splitlines() if line.lower().startswith("message-id:"))
        self.received.append((envelope.rcpt_tos[0], message_id))
        return "250 OK"


def start_worker(env):
    return subprocess.Popen([sys.executable, "-m", "comms.worker"], env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def test_a_killed_worker_neither_loses_nor_duplicates_a_fanout(redis_server, redis_url, users, tmp_path):
    followers = [{"id": f"u{i}", "email": f"user{i}@example.com", "display_name": f"U{i}"} for i in range(200)]
    users.followers["inc9"] = followers
    counter = SlowCounter()
    port = free_port()
    controller = Controller(counter, hostname="127.0.0.1", port=port)
    controller.start()
    producer = __import__("redis").Redis.from_url(redis_server.url(1), decode_responses=True)
    pipe = producer.pipeline(transaction=True)
    events.publish(pipe, "incidents", "incident.created", {
        "incident": {"id": "inc9", "name": "Big outage", "status": "investigating", "impact": "critical",
                     "components": [], "incident_updates": [{"status": "investigating", "body": "Looking"}]},
        "update": {"status": "investigating", "body": "Looking"}, "automated": False})
    pipe.execute()
    env = {**os.environ, "REDIS_URL": redis_url, "INCIDENTS_EVENTS_URL": redis_server.url(1),
           "CSP_STATUS_EVENTS_URL": redis_server.url(2), "USERS_EVENTS_URL": redis_server.url(3),
           "USERS_URL": users.url, "SERVICE_CLIENT_SECRET": "comms-secret-0123456789",
           "SMTP_URL": f"smtp://127.0.0.1:{port}", "UNSUBSCRIBE_SECRET": "s", "LOG_FORMAT": "text",
           "DELIVERY_LOCK_S": "2", "WORKER_ALIVE_FILE": str(tmp_path / "alive")}
    worker = start_worker(env)
    deadline = time.monotonic() + 30
    while len(counter.received) < 40 and time.monotonic() < deadline:
        time.sleep(0.01)
    os.killpg(worker.pid, signal.SIGKILL)  # in the middle of the fan-out
    worker.wait(5)
    at_kill = len(counter.received)
    assert 40 <= at_kill < 200, "the kill did not land in the middle of the fan-out"
    worker = start_worker(env)
    try:
        deadline = time.monotonic() + 60
        while len({rcpt for rcpt, _ in counter.received}) < 200 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)  # anything extra would arrive now
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(10)
        controller.stop()
    per_person = collections.Counter(rcpt for rcpt, _ in set(counter.received))
    assert len(per_person) == 200 and set(per_person.values()) == {1}
    # At most the one message in flight at the kill may have gone twice, with the same Message-ID.
    assert len(counter.received) - 200 <= 1
