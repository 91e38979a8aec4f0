"""csp-status background work: `python -m csp_status.worker`.

Two loops in one process: the provider poller (issue 5) and the check scheduler with the
heartbeat sweeper (issue 6). Both take Redis leases, so running several workers is safe.
"""
from __future__ import annotations

import sys

from polystatus.runner import run_loops

from . import worker_checks, worker_providers


def main() -> int:
    return run_loops("csp-status", {"providers": worker_providers.run, "checks": worker_checks.run})


if __name__ == "__main__":
    sys.exit(main())
