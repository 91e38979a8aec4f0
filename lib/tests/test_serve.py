"""polystatus.serve: how many processes a service runs when WEB_WORKERS is not set."""
import subprocess
import sys


def workers_with_cpus(cpus: set[int]) -> int:
    code = (f"import os; os.sched_setaffinity(0, {cpus!r}); from polystatus.serve import default_workers; "
            "print(default_workers())")
    return int(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)


def test_a_service_runs_two_processes_for_each_cpu_it_may_use():
    assert workers_with_cpus({0}) == 2


def test_a_large_host_gets_at_most_eight_processes(monkeypatch):
    from polystatus import serve
    monkeypatch.setattr(serve.os, "sched_getaffinity", lambda _pid: set(range(32)))
    assert serve.default_workers() == 8
