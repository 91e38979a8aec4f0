"""icmp checks on loopback: as root (raw sockets), as a process allowed ICMP datagram sockets only,
and in network namespaces made for the test (echo requests dropped, no route at all)."""
import json
import shutil
import subprocess
import sys

import pytest
from csp_status import config_apply
from csp_status.checks import storage
from test_checks import make as make_check
from test_checks import run

# The check's own run is timed inside the namespace: starting an interpreter there is not the
# check's time, and on a loaded machine it alone can take longer than the check's timeout.
RUN = ("import json, sys, time; from csp_status.checks import engine; began = time.monotonic(); "
       "result = engine.Engine(allow_private=True).run([json.loads(sys.argv[1])])[0]; "
       "result['test_seconds'] = time.monotonic() - began; print(json.dumps(result))")


def run_in_namespace(check: dict, *, setup: str = "", drop_raw_sockets: bool = False) -> dict:
    """Run one check in a network namespace of its own (only its loopback), after ``setup``."""
    for tool in ("unshare", "setpriv", "ip") + (("nft",) if "nft " in setup else ()):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed for the icmp tests (Debian: util-linux, iproute2, nftables; "
                        "make test installs them)", pytrace=False)
    prefix = "setpriv --bounding-set -net_raw --inh-caps -net_raw " if drop_raw_sockets else ""
    script = f"{setup} exec {prefix}\"$0\" -c \"$1\" \"$2\""
    done = subprocess.run(["unshare", "--net", "sh", "-c", script, sys.executable, RUN, json.dumps(check)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def make(client, as_, **body):
    return make_check(client, as_, **{"name": "Router", "kind": "icmp", "host": "127.0.0.1", "timeout": 3,
                                      "fail_threshold": 1, **body})


def test_a_host_that_answers_passes_with_its_loss_and_round_trip(client, as_):
    check = make(client, as_, packets=4, conditions=["[PACKET_LOSS] == 0", "[RESPONSE_TIME] < 100ms",
                                                     "[CONNECTED] == true"])
    result = client.post(f"/checks/{check['id']}/run", headers=as_("bob")).json
    assert result["ok"] is True, result["reason"]
    assert result["packet_loss"] == 0
    history = client.get(f"/checks/{check['id']}/results").json["results"][0]
    assert (history["packets_sent"], history["packets_received"]) == (4, 4)
    assert history["icmp_socket"] == "raw"  # the tests run as root
    assert client.get(f"/checks/{check['id']}").json["state"] == "up"


def test_dropped_echo_requests_are_total_loss_and_fail_on_time():
    setup = ("ip link set lo up && nft add table inet t && nft add chain inet t input "
             "'{ type filter hook input priority 0; }' && nft add rule inet t input icmp type echo-request drop &&")
    result = run_in_namespace({"id": "x", "name": "Router", "kind": "icmp", "host": "127.0.0.1", "timeout": 2,
                               "conditions": ["[PACKET_LOSS] < 50"]}, setup=setup)
    assert result["test_seconds"] < 5  # the timeout (2 s) bounds the whole run, not each packet
    assert result["ok"] is False
    assert result["reason"] == "[PACKET_LOSS] (100) < 50"
    assert (result["packets_sent"], result["packets_received"]) == (3, 0)


def test_a_host_without_a_route_fails_and_says_so():
    result = run_in_namespace({"id": "x", "name": "Router", "kind": "icmp", "host": "127.0.0.1", "timeout": 2})
    assert result["ok"] is False and "no echo request could be sent" in result["reason"]


def test_without_raw_sockets_the_datagram_sockets_the_system_allows_are_used():
    setup = "ip link set lo up && sysctl -qw net.ipv4.ping_group_range='0 2147483647' &&"
    result = run_in_namespace({"id": "x", "name": "Router", "kind": "icmp", "host": "127.0.0.1", "timeout": 2},
                              setup=setup, drop_raw_sockets=True)
    assert result["ok"] is True, result["reason"]
    assert result["icmp_socket"] == "datagram"


def test_without_raw_sockets_nor_datagram_sockets_the_reason_says_what_to_change():
    result = run_in_namespace({"id": "x", "name": "Router", "kind": "icmp", "host": "127.0.0.1", "timeout": 2},
                              setup="ip link set lo up && sysctl -qw net.ipv4.ping_group_range='1 0' &&",
                              drop_raw_sockets=True)
    assert result["ok"] is False
    assert "net.ipv4.ping_group_range" in result["reason"] and "CAP_NET_RAW" in result["reason"]


def test_an_icmp_check_to_a_private_address_is_refused_without_the_setting(app, client, as_):
    app.config["CSP_ALLOW_PRIVATE_TARGETS"] = False
    response = client.post("/checks", json={"name": "Router", "kind": "icmp", "host": "127.0.0.1"}, headers=as_("alice"))
    assert response.status_code == 422 and response.json["error"]["code"] == "private_target"
    response = client.post("/checks", json={"name": "Router", "kind": "icmp"}, headers=as_("alice"))
    assert response.status_code == 422 and "host" in response.json["error"]["details"]


def test_a_yaml_declared_icmp_check_is_applied_once_and_runs(app, client, as_, r, clock):
    text = """
checks:
  - name: Router from YAML
    kind: icmp
    host: 127.0.0.1
    packets: 2
    timeout: 3
    fail_threshold: 1
    conditions: ["[PACKET_LOSS] == 0", "[CONNECTED] == true"]
"""
    first = config_apply.apply(r, text, clock.now(), app.config)
    assert first["created"] == 1
    assert config_apply.apply(r, text, clock.now(), app.config) == {**first, "created": 0, "updated": 0}
    check_id = storage.by_name(r, "Router from YAML")["id"]
    result = run(client, as_, check_id)
    assert result["ok"] is True, result["reason"]
    history = client.get(f"/checks/{check_id}/results").json["results"][0]
    assert (history["packets_sent"], history["packets_received"]) == (2, 2)
    # root here, as in the first test; without raw sockets the datagram test above covers the same engine
    assert history["icmp_socket"] in ("raw", "datagram")
