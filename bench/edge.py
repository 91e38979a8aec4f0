"""The public page and summary through the edge (issue 15).

nginx with the shipped edge configuration (ops/nginx/, rendered as `make up-ha` renders it) in
front of the real frontend and incidents, against the same nginx serving the same bytes as
static files, in the same run, at 64 connections (target >= 0.8 for both documents).

It also answers whether the frontend's own fast transport for cached pages
(frontend/page/fastpath.py, now removed) would still earn its place: behind the edge the
frontend only sees the edge's refreshes, about one request per second and document however
hard the edge is hit, so what it costs per request no longer shows. The script counts
what reached the frontend during the runs (its own /metrics) and measures the frontend alone
for reference.

    .venv/bin/python bench/edge.py [--seconds 8]
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
import urllib.request

from loadgen import ROOT, Rig, call, free_port, measure, verdict, wait_http
from polystatus.testing import ISSUER

sys.path.insert(0, os.path.join(ROOT, "ops"))
import launcher  # noqa: E402  (ops/launcher.py renders the edge as `make up-ha` does)


def frontend_hits(base: str) -> int:
    """Requests the frontend answered for its cached documents (its Prometheus counter)."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=5) as response:
        text = response.read().decode()
    return int(sum(float(value) for value in re.findall(
        r'^\w+_requests_total\{[^}]*(?:/api/page\.json|/api/v2/)[^}]*\} ([\d.e+]+)$', text, re.M)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    launcher.setup_nginx()
    ports = {name: free_port() for name in ("incidents", "frontend", "edge", "static", "closed")}
    var = tempfile.mkdtemp(prefix="polystatus-bench-edge-")
    with Rig() as rig:
        rig.callback(shutil.rmtree, var, True)
        redis_server, keys = rig.redis(), rig.keys()
        common = {"JWKS_URL": keys.url, "JWT_ISSUER": ISSUER}
        rig.service("incidents.app:create_app", ports["incidents"], {**common, "REDIS_URL": redis_server.url(1)})
        down = f"http://127.0.0.1:{ports['closed']}"
        rig.service("frontend.app:create_app", ports["frontend"], {
            **common, "REDIS_URL": redis_server.url(6), "INCIDENTS_URL": f"http://127.0.0.1:{ports['incidents']}",
            "USERS_URL": down, "COMMS_URL": down, "CSP_STATUS_URL": down, "FEATURE_FLAGS_URL": down})
        staff = {"Authorization": f"Bearer {keys.token('bob', expires_in=3600)}"}
        for name in ("Website", "API", "CDN", "Sign-in", "Payments", "Mobile app"):
            status, body = call("POST", f"http://127.0.0.1:{ports['incidents']}/components", {"name": name}, staff)
            assert status == 201, body
        # The edge as `make up-ha` renders it; both replicas of each upstream are the one process here.
        plan = {"var": var, "ports": {"frontend": ports["edge"], **{f: free_port() for f in
                                                                   ("incidents", "users", "comms", "csp-status", "feature-flags")}},
                "replicas": {"frontend": {"a": ports["frontend"], "b": ports["frontend"]},
                             "incidents": {"a": ports["incidents"], "b": ports["incidents"]},
                             **{f: {"a": ports["closed"], "b": ports["closed"]}
                                for f in ("users", "comms", "csp-status", "feature-flags")}}}
        command = launcher.edge_command(plan)
        # The reference: the same nginx, the same bytes, as static files (written below).
        static_root = os.path.join(var, "static")
        os.makedirs(static_root)
        with open(os.path.join(var, "nginx", "conf.d", "static.conf"), "w") as handle:
            handle.write(f"server {{ listen 127.0.0.1:{ports['static']}; root {static_root}; "
                         "default_type application/json; }\n")
        rig.process(command)
        edge = f"http://127.0.0.1:{ports['edge']}"
        for path, name in (("/api/page.json", "page.json"), ("/api/v2/summary.json", "summary.json")):
            wait_http(edge + path)
            with urllib.request.urlopen(edge + path, timeout=10) as response, \
                    open(os.path.join(static_root, name), "wb") as handle:
                handle.write(response.read())
        static = f"http://127.0.0.1:{ports['static']}"
        wait_http(static + "/page.json")
        front = f"http://127.0.0.1:{ports['frontend']}"
        before = frontend_hits(front)
        # Alternating rounds (this machine is shared: a neighbour's burst hits one side, not
        # both), each side's median round kept.
        runs: dict[str, list[dict]] = {"static_page": [], "edge_page": [], "static_summary": [], "edge_summary": []}
        for _ in range(args.rounds):
            runs["static_page"].append(measure("GET /page.json (nginx, static file)", static + "/page.json",
                                               seconds=args.seconds))
            runs["edge_page"].append(measure("GET /api/page.json (edge -> frontend)", edge + "/api/page.json",
                                             seconds=args.seconds))
            runs["static_summary"].append(measure("GET /summary.json (nginx, static file)", static + "/summary.json",
                                                  seconds=args.seconds))
            runs["edge_summary"].append(measure("GET /api/v2/summary.json (edge)", edge + "/api/v2/summary.json",
                                                seconds=args.seconds))
        best = {name: sorted(results, key=lambda run: run["rps"])[len(results) // 2] for name, results in runs.items()}
        static_page, edge_page = best["static_page"], best["edge_page"]
        static_summary, edge_summary = best["static_summary"], best["edge_summary"]
        reached = frontend_hits(front) - before
        served = sum(run["rps"] for name in ("edge_page", "edge_summary") for run in runs[name]) * args.seconds
        print(f"sizes: page.json {os.path.getsize(os.path.join(static_root, 'page.json'))} B, summary.json "
              f"{os.path.getsize(os.path.join(static_root, 'summary.json'))} B", flush=True)
        print(f"requests that reached the frontend during the edge runs (+ warm-ups): {reached} "
              f"of about {served:.0f} served by the edge", flush=True)
        alone = measure("GET /api/page.json (frontend alone)", front + "/api/page.json", seconds=args.seconds)
        print(f"frontend alone, page.json: {alone['rps']:.0f} req/s = {alone['rps'] / edge_page['rps']:.2f} of the edge",
              flush=True)
        ok = all(run["non_2xx"] == 0 for run in (edge_page, edge_summary, static_page, static_summary))
        ok = verdict("page.json through the edge / static file", edge_page["rps"] / static_page["rps"], 0.8) and ok
        ok = verdict("summary.json through the edge / static file", edge_summary["rps"] / static_summary["rps"], 0.8) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
