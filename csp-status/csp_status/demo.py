"""Demo data for csp-status: `python -m csp_status.demo` (idempotent; the launcher runs it).

Providers point at the local simulator, which serves real captured status payloads, and checks
of every kind run against the simulator's endpoints, so the demo is alive with no internet.
"""
from __future__ import annotations

import os
import sys

from polystatus.redis_store import connect

from . import settings
from .agents.demo import load_demo as load_agent
from .checks.demo import load_demo as load_checks
from .providers.demo import load_demo as load_providers


def main() -> int:
    config = settings.load()
    redis = connect(config["REDIS_URL"])
    simulator = os.environ.get("SIMULATOR_URL", "http://127.0.0.1:5099")
    providers = load_providers(redis, simulator)
    checks = load_checks(redis, simulator)
    agent = load_agent(redis, os.environ.get("POLYSTATUS_AGENT_TOKEN_FILE"))
    print(f"providers: {providers}; checks: {checks}; {agent}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
