"""What reporting a service's own errors to Sentry costs a request that does not fail (issue 17).

One service (feature-flags) under the same server, twice: without SENTRY_DSN (sentry-sdk is
not even loaded) and with SENTRY_DSN pointing at a Sentry server on loopback (sentry-sdk's
Flask integration wraps every request). GET /readyz is a plain Flask route (one Redis PING).
Rounds alternate so that load from elsewhere on the machine falls on both. Two ratios, with /
without: requests per second, and (steadier on a shared machine, where throughput swings with
other work) CPU time per request, summed over the server's processes (/proc). Nothing may
reach Sentry, since nothing fails.

    .venv/bin/python bench/error_reports.py [--seconds 6] [--rounds 2]
"""
from __future__ import annotations

import argparse
import os
import re
import sys

from loadgen import Rig, free_port, measure
from polystatus.testing import SentryReceiver


def cpu_seconds(root: int) -> float:
    """User + system CPU time of a process and all its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    times: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry))
        times[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
    total, pending = 0.0, [root]
    while pending:
        pid = pending.pop()
        total += times.get(pid, 0.0)
        pending += children.get(pid, [])
    return total


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    sentry = SentryReceiver()
    try:
        with Rig() as rig:
            redis_server, keys = rig.redis(), rig.keys()
            env = {"REDIS_URL": redis_server.url(5), "JWKS_URL": keys.url}
            without, with_sentry = free_port(), free_port()
            servers = {"off": (without, rig.service("feature_flags.app:create_app", without, env).pid),
                       "on": (with_sentry, rig.service("feature_flags.app:create_app", with_sentry,
                                                       {**env, "SENTRY_DSN": sentry.dsn}).pid)}
            rps = {"off": 0.0, "on": 0.0}
            cpu = {"off": 0.0, "on": 0.0}
            requests = {"off": 0, "on": 0}
            for round_number in range(1, args.rounds + 1):
                for name, (port, pid) in servers.items():
                    url = f"http://127.0.0.1:{port}/readyz"
                    measure("warm-up", url, warmup=False, seconds=1)
                    before = cpu_seconds(pid)
                    result = measure(f"round {round_number}: /readyz, Sentry {name}", url, warmup=False,
                                     seconds=args.seconds)
                    cpu[name] += cpu_seconds(pid) - before
                    assert result["non_2xx"] == 0
                    rps[name] += result["rps"]
                    requests[name] += int(re.search(r"(\d+) requests in", result["raw"]).group(1))
        assert sentry.events == [], "a request that did not fail reached Sentry"
    finally:
        sentry.stop()
    per_request = {name: cpu[name] / requests[name] * 1e6 for name in cpu}
    print(f"CPU per request: {per_request['off']:.0f} µs without Sentry, {per_request['on']:.0f} µs with")
    print(f"requests/s with Sentry error reporting / without: {rps['on'] / rps['off']:.2f}")
    # Reported, not held to a target: SENTRY_DSN is opt-in, and this is the price of sentry-sdk's
    # Flask integration (a scope and an event processor per request), paid only by who sets it.
    print(f"CPU per request without Sentry / with: {per_request['off'] / per_request['on']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
