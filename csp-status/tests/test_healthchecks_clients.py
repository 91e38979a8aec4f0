"""Healthchecks' real clients pointed at PolyStatus on a real port: the PyPI client
(healthchecks-io), the npm client (healthchecks-io-client, run by node) and curl cron lines
written as Healthchecks' docs write them."""
import json
import os
import shutil
import subprocess
import textwrap
import threading

import httpx
import pytest
from csp_status.heartbeats import storage
from werkzeug.serving import make_server


@pytest.fixture()
def live(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture()
def keys(client, as_):
    made = {}
    for readonly in (False, True):
        response = client.post("/heartbeats/api-keys", json={"name": "client", "readonly": readonly}, headers=as_("alice"))
        made["ro" if readonly else "rw"] = response.json["key"]
    made["ping"] = client.get("/heartbeats/projects", headers=as_("alice")).json["projects"][0]["ping_key"]
    return made


def test_the_pypi_healthchecks_io_client_manages_and_pings_checks(live, keys, r):
    from healthchecks_io import CheckCreate, CheckTrap, CheckUpdate, Client, NonUniqueSlugError

    client = Client(api_key=keys["rw"], ping_key=keys["ping"], api_url=f"{live}/api/", ping_url=f"{live}/ping/",
                    api_version=3)
    check = client.create_check(CheckCreate(name="Nightly backup", tags="prod db", timeout=3600, grace=120))
    assert check.uuid and check.status == "new" and check.timeout == 3600
    assert client.success_ping(uuid=check.uuid, data="all good") == (True, "OK")
    assert client.get_check(check.uuid).status == "up"
    updated = client.update_check(check.uuid, CheckUpdate(name="Nightly backup v2", tags="prod"))
    assert updated.name == "Nightly backup v2"
    assert [c.name for c in client.get_checks(tags=["prod"])] == ["Nightly backup v2"]
    with CheckTrap(client, uuid=check.uuid):
        pass  # a start ping, then a success ping as the block ends
    assert client.exit_code_ping(3, uuid=check.uuid)[0] is True
    pings = client.get_check_pings(check.uuid)
    assert [p.type for p in pings][:3] == ["fail", "success", "start"] and pings[1].duration is not None
    # (get_check_flips is left out: this client reads a bare list where Healthchecks answers
    # {"flips": [...]}, so it fails against Healthchecks itself; the npm client covers flips.)
    assert client.pause_check(check.uuid).status == "paused"
    client.success_ping(uuid=check.uuid)
    assert client.get_check(check.uuid).status == "up"  # a ping resumes it, as on Healthchecks
    readonly = Client(api_key=keys["ro"], api_url=f"{live}/api/", api_version=3)
    assert all(c.uuid is None and c.unique_key for c in readonly.get_checks())
    deleted = client.delete_check(check.uuid)
    assert deleted.name == "Nightly backup v2" and storage.get(r, check.uuid) is None
    for name in ("twin-1", "twin-2"):  # the client's model has no slug: set it as Healthchecks' docs do
        created = client.create_check(CheckCreate(name=name, timeout=600))
        httpx.post(f"{live}/api/v3/checks/{created.uuid}", json={"slug": "twin"}, headers={"X-Api-Key": keys["rw"]})
    with pytest.raises(NonUniqueSlugError):
        client.success_ping(slug="twin")
    httpx.delete(f"{live}/api/v3/checks/{created.uuid}", headers={"X-Api-Key": keys["rw"]})
    assert client.success_ping(slug="twin") == (True, "OK")


@pytest.fixture()
def node(node_clients):
    return shutil.which("node"), os.path.join(node_clients, "node_modules")


def run_node(node, script: str, *args: str) -> dict:
    program, modules = node
    result = subprocess.run([program, "-e", textwrap.dedent(script), "--", *args], env={**os.environ, "NODE_PATH": modules},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_npm_healthchecks_io_client_manages_and_pings_checks(live, keys, node):
    seen = run_node(node, """
        const { HealthChecksApiClient, HealthChecksPingClient } = require('healthchecks-io-client');
        const [base, apiKey] = process.argv.slice(-2);
        (async () => {
          const api = new HealthChecksApiClient({ apiKey, baseUrl: base, apiVersion: 3 });
          const check = await api.createCheck({ name: 'npm job', tags: 'node', timeout: 3600, grace: 60 });
          const pinger = new HealthChecksPingClient({ uuid: check.uuid, baseUrl: `${base}/ping` });
          await pinger.start();
          await pinger.success('done in node');
          const got = await api.getCheck(check.uuid);
          const listed = await api.getChecks(['node']);
          const pings = await api.listPings(check.uuid);
          await pinger.fail();
          const flips = await api.listFlips(check.uuid);
          const paused = await api.pauseCheck(check.uuid);
          const updated = await api.updateCheck(check.uuid, { desc: 'from node' });
          const gone = await api.deleteCheck(check.uuid);
          let missing = null;
          try { await api.getCheck(check.uuid); } catch (err) { missing = err.statusCode || (err.response && err.response.status) || String(err); }
          console.log(JSON.stringify({ status: got.status, listed: listed.checks.map(c => c.name),
            pings: pings.pings.map(p => [p.type, p.duration !== undefined]), flips: flips.flips.map(f => f.up),
            paused: paused.status, desc: updated.desc, gone: gone.name, missing }));
        })().catch((err) => { console.error(err); process.exit(1); });
    """, live, keys["rw"])
    assert seen == {"status": "up", "listed": ["npm job"], "pings": [["success", True], ["start", False]],
                    "flips": [0, 1], "paused": "paused", "desc": "from node", "gone": "npm job", "missing": 404}


def test_healthchecks_documented_curl_cron_lines_work_unchanged(live, keys, r, client, as_):
    """The lines of Healthchecks' docs (monitoring_cron_jobs, measuring_script_run_time,
    signaling_failures, attaching_logs, slug_urls), with only the host changed."""
    heartbeat = client.post("/heartbeats", json={"name": "backup", "timeout": 86400, "slug": "db-backup"},
                            headers=as_("alice")).json
    url = f"{live}/ping/{heartbeat['id']}"
    lines = [
        f"curl -fsS -m 10 --retry 5 -o /dev/null {url}",
        f"curl -fsS -m 10 --retry 5 -o /dev/null {url}/start && true && curl -fsS -m 10 --retry 5 -o /dev/null {url}",
        f"false; curl -fsS -m 10 --retry 5 -o /dev/null {url}/$?",
        f"m=$(echo 'backup log: 42 files' 2>&1); curl -fsS -m 10 --retry 5 --data-raw \"$m\" {url}/log",
        f"curl -fsS -m 10 --retry 5 -o /dev/null {live}/ping/{keys['ping']}/db-backup",
        f"curl -fsS -m 10 --retry 5 -o /dev/null '{live}/ping/{keys['ping']}/new-job?create=1'",
    ]
    for line in lines:
        result = subprocess.run(["sh", "-c", line], capture_output=True, text=True, timeout=30)
        assert result.returncode == 0, (line, result.stderr)
    kinds = [p["type"] for p in storage.pings(r, heartbeat["id"])]
    assert kinds == ["success", "log", "fail", "success", "start", "success"]
    assert storage.pings(r, heartbeat["id"])[1]["body"] == "backup log: 42 files"
    assert storage.pings(r, heartbeat["id"])[2]["exitstatus"] == 1
    assert any(h.get("slug") == "new-job" for h in storage.all_heartbeats(r))
    failed = subprocess.run(["sh", "-c", f"curl -fsS -m 10 {live}/ping/{keys['ping']}/no-such-job"],
                            capture_output=True, text=True, timeout=30)
    assert failed.returncode == 22  # curl -f: the 404 is an error the cron mail shows
