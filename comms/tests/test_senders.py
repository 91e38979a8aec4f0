"""Messages as a real SMTP server receives them, and claiming deliveries in bulk."""
import json
import os

from comms.deliveries import senders, storage

UNSUBSCRIBE = "<https://comms.example.com/unsubscribe?u=18f0000000000000001&k=follows&t=inc1&s=" + "0" * 32 + ">"


def raw_messages(mailbox):
    out = []
    for name in sorted(os.listdir(mailbox.directory)):
        if name.endswith(".eml"):
            with open(os.path.join(mailbox.directory, name), "rb") as handle:
                out.append(handle.read())
    return out


def test_a_message_arrives_intact_whatever_its_text(mailbox):
    text = "Paiement très lent = 3 s\n.a line starting with a dot\n" + "y" * 1500 + "\nUnsubscribe: x\n"
    html = "<p>Ça va mieux</p>"
    with senders.SMTPBatch(f"smtp://127.0.0.1:{mailbox.port}", "Équipe PolyStatus <status@example.com>") as smtp:
        smtp.send("user1@example.com", "[Identifié] Paiement lent", text, html, {"List-Unsubscribe": UNSUBSCRIBE},
                  message_id="d1")
        smtp.send("user2@example.com", "[Resolved] API", "Fixed.", "<p>Fixed.</p>")
    first, second = sorted(mailbox.messages(), key=lambda m: m["To"])
    assert first["Subject"] == "[Identifié] Paiement lent" and first["From"] == "Équipe PolyStatus <status@example.com>"
    assert first["Message-ID"] == "<d1@polystatus>" and first["Date"] and second["Message-ID"]
    assert first.get_body(("plain",)).get_content().replace("\r\n", "\n") == text
    assert first.get_body(("html",)).get_content().replace("\r\n", "\n") == html + "\n"
    assert not first.defects and not any(part.defects for part in first.walk())
    # RFC 2369: the header is the bracketed URL itself, never folded into encoded words.
    raw = next(m for m in raw_messages(mailbox) if b"user1@" in m)
    assert f"List-Unsubscribe: {UNSUBSCRIBE}\r\n".encode() in raw
    assert second.get_body(("plain",)).get_content().strip() == "Fixed."


def test_a_subject_cannot_add_headers(mailbox):
    with senders.SMTPBatch(f"smtp://127.0.0.1:{mailbox.port}", "status@example.com") as smtp:
        smtp.send("user1@example.com", "Down\r\nBcc: someone@evil.example", "t", "<p>t</p>")
    message = mailbox.messages()[0]
    assert message["Bcc"] is None and message["Subject"] == "Down Bcc: someone@evil.example"


def test_addresses_that_are_not_ascii_are_left_to_the_email_package():
    assert senders.render("status@example.com", "üser@example.com", "s", "t", "h") is None
    assert senders.render("status@example.com", "user@example.com", "s", "t", "h").isascii()


def test_claiming_skips_deliveries_another_worker_finished_meanwhile(r):
    for i in range(3):
        storage.queue_create(r, {"id": f"d{i}", "kind": "email", "status": "pending"}, 100.0)
    storage.finish(r, {"id": "d1", "kind": "email", "status": "sent"})  # after our listing, before our lock
    storage.finish(r, {"id": "d2", "kind": "email", "status": "failed"}, requeue_at=500.0)
    assert r.set("delivery-lock:d0", "other", nx=True, ex=60)  # held by another worker
    assert storage.claim_due(r, ["d0", "d1", "d2"], "me", 60, 200.0) == []
    assert r.get("delivery-lock:d0") == "other" and not r.exists("delivery-lock:d1", "delivery-lock:d2")
    r.delete("delivery-lock:d0")
    claimed = storage.claim_due(r, ["d0", "d1", "d2"], "me", 60, 200.0)
    assert [d["id"] for d in claimed] == ["d0"] and json.loads(r.get("delivery:d0"))["status"] == "pending"
    assert r.get("delivery-lock:d0") == "me"


def test_a_restarted_worker_takes_over_the_deliveries_its_crashed_predecessor_claimed(r):
    r.set("delivery-lock:d1", "comms-host-111", ex=60)  # the crashed process
    r.set("delivery-lock:d2", "comms-host-222", ex=60)  # a live worker on the same host
    r.set("delivery-lock:d3", "comms-other-111", ex=60)  # a worker on another host
    released = storage.release_locks(r, "comms-host-", lambda pid: pid == 111)
    assert released == 1 and not r.exists("delivery-lock:d1")
    assert r.get("delivery-lock:d2") == "comms-host-222" and r.get("delivery-lock:d3") == "comms-other-111"


def test_a_sent_delivery_is_recorded_once_redis_is_back(tmp_path):
    # The message has left; Redis restarts: the record waits for it rather than being lost
    # (which would send the message again).
    import subprocess
    import threading
    import time

    import redis
    from comms.deliveries import flows
    from polystatus.testing import free_port

    port = free_port()
    server = []

    def start_late():
        time.sleep(0.8)
        server.append(subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                                        "--dir", str(tmp_path)], stdout=subprocess.DEVNULL))

    threading.Thread(target=start_late).start()
    client = redis.Redis(port=port, decode_responses=True, socket_connect_timeout=0.2)
    try:
        started = time.monotonic()
        flows.finish_durably(client, {"id": "d9", "status": "sent"})
        assert json.loads(client.get("delivery:d9"))["status"] == "sent" and time.monotonic() - started >= 0.8
    finally:
        time.sleep(0.1)
        for process in server:
            process.terminate()
            process.wait(5)
