"""The worker runner: loops restart after a Redis outage, and a real crash stops the worker."""
import threading

import redis
from polystatus import runner


def run_in_thread(loops, tmp_path, monkeypatch):
    monkeypatch.setenv("WORKER_ALIVE_FILE", str(tmp_path / "alive"))
    monkeypatch.setattr(runner.signal, "signal", lambda *args: None)  # not the main thread
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("code", runner.run_loops("test", loops, fmt="text")))
    thread.start()
    return thread, result


def test_a_loop_is_started_again_after_redis_goes_away(tmp_path, monkeypatch):
    calls = []
    done = threading.Event()

    def loop(stop):
        calls.append(1)
        if len(calls) < 3:
            raise redis.ConnectionError("Connection refused")
        done.set()
        stop.set()  # third time lucky: the worker then stops cleanly

    thread, result = run_in_thread({"work": loop}, tmp_path, monkeypatch)
    assert done.wait(10)
    thread.join(20)
    assert len(calls) == 3 and result["code"] == 0


def test_a_loop_that_crashes_for_another_reason_stops_the_worker_with_an_error(tmp_path, monkeypatch):
    def loop(stop):
        raise RuntimeError("a bug")

    def idle(stop):
        stop.wait()

    thread, result = run_in_thread({"broken": loop, "idle": idle}, tmp_path, monkeypatch)
    thread.join(20)
    assert result["code"] == 1
