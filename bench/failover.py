"""A Redis failover under write load, in the HA shape (issue 15): how long writes are refused,
and how many high-rate writes (problem reports, which do not wait for a replica) an accepted
answer did not keep. Incidents (which wait for a replica) are the reference: none may be lost.

`make up-ha` itself is started (through e2e/faults.py's HACluster), reports and incidents are
written through the edge from a few threads, the Redis primary is killed (-9) and kept down;
the Sentinels promote the replica. Rounds are repeated, each on the primary of the moment.

    .venv/bin/python bench/failover.py [--rounds 3]
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import uuid

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "e2e"))
from faults import HACluster, Load  # noqa: E402
from test_faults import address, incident_sender, new_component, report_sender, verify_incidents  # noqa: E402


def one_round(ha: HACluster, n: int) -> dict:
    cid = new_component(ha, f"bench-{n}")
    prefix = f"bench-failover-{uuid.uuid4().hex[:6]}"
    reports = Load(report_sender(ha, cid), threads=4).start()
    incidents = Load(incident_sender(ha, prefix), threads=1, pace=0.1).start()
    try:
        reports.wait_for("ok", 500, timeout=60)
        incidents.wait_for("ok", 10, timeout=60)
        primary = ha.primary()
        killed = ha.down(primary)
        reports.wait_for("ok", reports.count("ok") + 500, timeout=60)
        incidents.wait_for("ok", incidents.count("ok") + 10, timeout=60)
    finally:
        reports.stop()
        incidents.stop()
    refused = [r for r in reports.results + incidents.results if r["sent"] > killed and r["outcome"] != "ok"]
    back = min(r["sent"] for r in incidents.by("ok") if r["sent"] > killed) - killed
    pipe = ha.redis("incidents").pipeline(transaction=False)
    accepted = reports.by("ok")
    for row in accepted:
        pipe.exists(f"report-seen:{cid}:{address(row['i'])}")
    lost = sum(1 for there in pipe.execute() if not there)
    around = sum(1 for r in accepted if killed - 1.0 <= r["done"] <= killed)
    result = verify_incidents(ha, incidents, prefix)
    ha.up(primary)  # back, as a replica of the new primary
    ha.heal()
    return {"primary": primary, "back_s": back, "refused": len(refused), "reports": len(accepted), "lost": lost,
            "last_second": around, "incidents": result["accepted"], "incidents_lost": len(result["lost"])}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    ha = HACluster(overrides={"POLYSTATUS_DEMO": "0"})
    try:
        ha.start()
        rounds = []
        for n in range(args.rounds):
            result = one_round(ha, n)
            rounds.append(result)
            print(f"round {n + 1}: {result['primary']} killed; writes back after {result['back_s']:.1f} s "
                  f"({result['refused']} answered 503 meanwhile); reports accepted {result['reports']}, lost "
                  f"{result['lost']} (accepted in the last second before the kill: {result['last_second']}); "
                  f"incidents accepted {result['incidents']}, lost {result['incidents_lost']}", flush=True)
    finally:
        ha.stop()
        ha.cleanup()
    backs = [r["back_s"] for r in rounds]
    print(f"failover: writes back after {statistics.median(backs):.1f} s median ({min(backs):.1f}–{max(backs):.1f}); "
          f"reports lost {sum(r['lost'] for r in rounds)} of {sum(r['reports'] for r in rounds)} accepted; "
          f"incidents lost {sum(r['incidents_lost'] for r in rounds)} of {sum(r['incidents'] for r in rounds)}")
    return 0 if all(r["incidents_lost"] == 0 and r["back_s"] <= 10 for r in rounds) else 1


if __name__ == "__main__":
    sys.exit(main())
