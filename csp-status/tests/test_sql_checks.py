"""sql checks against the real PostgreSQL and MariaDB on loopback (Bresse: a client asks the
database for a data and asserts on it; NULL or anything unexpected is NOK)."""
# ruff: noqa: S608 - the SQL here is the tests' own, with table names they generate
import json
import secrets
import socket
import struct
import threading
import time

import psycopg
import pymysql
import pytest
from conftest import SECRETS_KEY
from csp_status import config_apply
from csp_status.checks import engine, kinds, storage
from test_checks import make as make_check
from test_checks import run


class Database:
    """One real server: its DSN, an admin connection to set it up, and how to kill a backend."""

    def __init__(self, family: str, port: int):
        self.family, self.port = family, port
        self.table = f"kinds_{secrets.token_hex(4)}"

    @property
    def dsn(self) -> str:
        return (f"postgresql://postgres@127.0.0.1:{self.port}/test" if self.family == "postgresql"
                else f"mysql://root@127.0.0.1:{self.port}/test")

    def execute(self, sql: str, *, fetch: bool = False):
        if self.family == "postgresql":
            with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="test", autocommit=True) as conn:
                cursor = conn.execute(sql)
                return cursor.fetchall() if fetch else None
        with pymysql.connect(host="127.0.0.1", port=self.port, user="root", password="", database="test",
                             autocommit=True) as conn, conn.cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchall() if fetch else None

    def sleep(self, seconds: float) -> str:
        return f"SELECT pg_sleep({seconds})" if self.family == "postgresql" else f"SELECT SLEEP({seconds})"

    def kill_query(self, marker: str) -> int:
        """Terminate the backend running a query that contains ``marker``; how many were killed."""
        if self.family == "postgresql":
            rows = self.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = "
                                f"'polystatus-check' AND query LIKE '%{marker}%'", fetch=True)
            return len(rows)
        ids = self.execute(f"SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%{marker}%' "
                           "AND INFO NOT LIKE '%PROCESSLIST%'", fetch=True)
        for (backend,) in ids:
            self.execute(f"KILL {backend}")
        return len(ids)


@pytest.fixture(params=["postgresql", "mariadb"])
def database(request):
    port = request.getfixturevalue("postgres_port" if request.param == "postgresql" else "mariadb_port")
    db = Database("postgresql" if request.param == "postgresql" else "mysql", port)
    db.execute(f"CREATE TABLE {db.table} (name VARCHAR(40), status VARCHAR(20), note VARCHAR(40) NULL, hits INT)")
    db.execute(f"INSERT INTO {db.table} VALUES ('shop', 'ok', NULL, 42), ('billing', 'degraded', 'disk full', 7)")
    yield db
    db.execute(f"DROP TABLE IF EXISTS {db.table}")


def make(client, as_, **body):
    return make_check(client, as_, **{"name": "Orders DB", "kind": "sql", "timeout": 5, "fail_threshold": 1, **body})


def test_a_query_that_returns_the_expected_data_passes(client, as_, database):
    check = make(client, as_, dsn=database.dsn,
                 query=f"SELECT name, status, hits FROM {database.table} ORDER BY hits DESC",
                 conditions=['[ROWS][0].status == "ok"', "[ROWS][0].hits > 40", "len([ROWS]) > 0", "[ROW_COUNT] == 2",
                             "[ROWS][1].name == billing", "[CONNECTED] == true", "[RESPONSE_TIME] < 5s"])
    result = run(client, as_, check["id"])
    assert result["ok"] is True, result["reason"]
    assert result["row_count"] == 2
    assert client.get(f"/checks/{check['id']}").json["state"] == "up"


def test_a_wrong_value_fails_and_the_reason_shows_what_was_seen(client, as_, database):
    check = make(client, as_, dsn=database.dsn, query=f"SELECT status FROM {database.table} WHERE name = 'billing'",
                 conditions=["[ROWS][0].status == ok"])
    result = run(client, as_, check["id"])
    assert result["ok"] is False
    assert result["reason"] == "[ROWS][0].status (degraded) == ok"
    assert client.get(f"/checks/{check['id']}").json["state"] == "down"


def test_a_null_where_a_value_was_expected_fails_and_says_null(client, as_, database):
    check = make(client, as_, dsn=database.dsn, query=f"SELECT note FROM {database.table} WHERE name = 'shop'",
                 conditions=["[ROWS][0].note == all good"])
    result = run(client, as_, check["id"])
    assert result["ok"] is False
    assert result["reason"] == "[ROWS][0].note (NULL) == all good"
    # has() of a NULL is false: a condition can ask for a value to be there at all
    check = make(client, as_, name="Orders DB note", dsn=database.dsn,
                 query=f"SELECT note FROM {database.table} WHERE name = 'shop'", conditions=["has([ROWS][0].note) == true"])
    assert run(client, as_, check["id"])["reason"] == "has([ROWS][0].note) (false) == true"


def test_an_empty_result_fails_a_condition_that_wants_rows(client, as_, database):
    check = make(client, as_, dsn=database.dsn, query=f"SELECT status FROM {database.table} WHERE name = 'nobody'",
                 conditions=["[ROW_COUNT] >= 1", "[ROWS][0].status == ok"])
    result = run(client, as_, check["id"])
    assert result["ok"] is False and result["row_count"] == 0
    assert result["reason"] == "[ROW_COUNT] (0) >= 1; [ROWS][0].status (INVALID) == ok"


def test_a_syntax_error_fails_with_the_database_message_even_when_conditions_would_hold(client, as_, database):
    check = make(client, as_, dsn=database.dsn, query="SELEC 1", conditions=["[CONNECTED] == true"])
    result = run(client, as_, check["id"])
    assert result["ok"] is False
    assert "syntax" in result["reason"].lower() and "SELEC" in result["reason"]


def test_a_refused_login_fails_and_says_so(client, as_, database):
    dsn = (f"postgresql://no_such_role@127.0.0.1:{database.port}/test" if database.family == "postgresql"
           else f"mysql://root:wrong-password@127.0.0.1:{database.port}/test")
    check = make(client, as_, dsn=dsn, query="SELECT 1", conditions=["[CONNECTED] == true"])
    result = run(client, as_, check["id"])
    assert result["ok"] is False
    reason = result["reason"]
    assert ("no_such_role" in reason) if database.family == "postgresql" else ("Access denied" in reason)
    assert reason.endswith("[CONNECTED] (false) == true")
    assert "wrong-password" not in reason


def test_a_query_past_its_timeout_is_stopped_by_the_database_and_fails_on_time(client, as_, database):
    check = make(client, as_, dsn=database.dsn, query=database.sleep(5), timeout=1)
    started = time.monotonic()
    result = run(client, as_, check["id"])
    assert time.monotonic() - started < 3
    assert result["ok"] is False
    assert ("statement timeout" if database.family == "postgresql" else "max_statement_time") in result["reason"]


def test_a_dropped_connection_fails_the_run(client, as_, database):
    check = make(client, as_, dsn=database.dsn, query=database.sleep(7.25), timeout=10)
    killed = []

    def kill():
        deadline = time.monotonic() + 5
        while not killed and time.monotonic() < deadline:
            time.sleep(0.2)
            if database.kill_query("7.25"):
                killed.append(True)

    killer = threading.Thread(target=kill)
    killer.start()
    started = time.monotonic()
    result = run(client, as_, check["id"])
    killer.join()
    assert killed, "the check's backend was never seen running"
    assert time.monotonic() - started < 6
    assert result["ok"] is False
    lost = ("terminating connection" in result["reason"] or "server closed the connection" in result["reason"]
            if database.family == "postgresql" else "Lost connection" in result["reason"]
            or "interrupted" in result["reason"])
    assert lost, result["reason"]


@pytest.mark.parametrize("statement", ["INSERT INTO {table} VALUES ('evil', 'ok', NULL, 1)",
                                       "UPDATE {table} SET status = 'ok'",
                                       "CREATE TABLE {table}_more (a INT)"])
def test_a_write_statement_is_refused_by_the_read_only_session(client, as_, database, statement):
    check = make(client, as_, dsn=database.dsn, query=statement.format(table=database.table))
    result = run(client, as_, check["id"])
    assert result["ok"] is False
    assert "read-only" in result["reason"] or "READ ONLY" in result["reason"]
    rows = database.execute(f"SELECT name, status FROM {database.table} ORDER BY name", fetch=True)
    assert [tuple(row) for row in rows] == [("billing", "degraded"), ("shop", "ok")]
    created = database.execute(f"SELECT COUNT(*) FROM information_schema.tables WHERE table_name = '{database.table}_more'",
                               fetch=True)
    assert created[0][0] == 0


def test_a_second_statement_cannot_leave_the_read_only_transaction(client, as_, database):
    check = make(client, as_, dsn=database.dsn,
                 query=f"COMMIT; INSERT INTO {database.table} VALUES ('evil', 'ok', NULL, 1)")
    result = run(client, as_, check["id"])
    assert result["ok"] is False
    assert database.execute(f"SELECT COUNT(*) FROM {database.table} WHERE name = 'evil'", fetch=True)[0][0] == 0


def test_a_database_that_accepts_and_never_answers_fails_within_the_timeout(client, as_, database):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)  # the kernel accepts; nobody ever speaks
    try:
        port = listener.getsockname()[1]
        scheme = "postgresql" if database.family == "postgresql" else "mysql"
        check = make(client, as_, dsn=f"{scheme}://reader@127.0.0.1:{port}/test", query="SELECT 1", timeout=1)
        started = time.monotonic()
        result = run(client, as_, check["id"])
        assert time.monotonic() - started < 3.5  # the timeout, the grace second, some slack for a busy machine
        assert result["ok"] is False
    finally:
        listener.close()


# --- the password: sealed at rest, masked in answers, or named ----------------------------------------
@pytest.fixture()
def reader(mariadb_port):
    """A MariaDB login that needs its password and may only read."""
    name, password = f"reader_{secrets.token_hex(3)}", "p@ss w0rd/" + secrets.token_hex(4)
    db = Database("mysql", mariadb_port)
    for host in ("127.0.0.1", "localhost"):
        db.execute(f"CREATE USER '{name}'@'{host}' IDENTIFIED BY '{password}'")
        db.execute(f"GRANT SELECT ON test.* TO '{name}'@'{host}'")
    yield name, password, mariadb_port
    for host in ("127.0.0.1", "localhost"):
        db.execute(f"DROP USER IF EXISTS '{name}'@'{host}'")


def dsn_with(name, password, port):
    return kinds.with_password(f"mysql://{name}@127.0.0.1:{port}/test", password)


def test_a_dsn_password_is_sealed_in_redis_masked_in_answers_and_still_logs_in(client, as_, r, reader):
    name, password, port = reader
    created = make(client, as_, dsn=dsn_with(name, password, port), query="SELECT CURRENT_USER() AS me",
                   conditions=[f"[ROWS][0].me == pat({name}@*)"])
    settings = client.get(f"/checks/{created['id']}/config", headers=as_("alice")).json
    assert settings["dsn"] == f"mysql://{name}:****@127.0.0.1:{port}/test" and "dsn_password" not in settings
    raw = r.get(f"check:{created['id']}")
    assert password not in raw and password.replace(" ", "%20") not in raw and "p%40ss" not in raw
    assert json.loads(raw)["dsn_password"]
    assert run(client, as_, created["id"])["ok"] is True
    # anyone's view has no DSN at all, nor any trace of the password
    assert "dsn" not in client.get(f"/checks/{created['id']}").json
    assert password not in client.get("/checks").get_data(as_text=True)
    # the masked DSN sent back (an edit form) keeps the password
    patched = client.patch(f"/checks/{created['id']}", json={"dsn": settings["dsn"], "interval": 120}, headers=as_("alice"))
    assert patched.status_code == 200, patched.json
    assert run(client, as_, created["id"])["ok"] is True
    # but not to another server: a kept password goes only where it went before
    elsewhere = settings["dsn"].replace("127.0.0.1", "127.0.0.2")
    moved = client.patch(f"/checks/{created['id']}", json={"dsn": elsewhere}, headers=as_("alice"))
    assert moved.status_code == 422 and "password again" in moved.json["error"]["message"]
    # a new password replaces it
    client.patch(f"/checks/{created['id']}", json={"dsn": dsn_with(name, "not it", port)}, headers=as_("alice"))
    assert "Access denied" in run(client, as_, created["id"])["reason"]


def test_a_password_can_come_from_a_named_variable_or_its_file(client, as_, reader, monkeypatch, tmp_path):
    name, password, port = reader
    check = make(client, as_, dsn=f"mysql://{name}@127.0.0.1:{port}/test", password_env="CHECK_SECRET_ORDERS_DB",
                 query="SELECT 1 AS one", conditions=["[ROWS][0].one == 1"])
    assert "Access denied" in run(client, as_, check["id"])["reason"]  # not set yet: no password
    monkeypatch.setenv("CHECK_SECRET_ORDERS_DB", password)
    assert run(client, as_, check["id"])["ok"] is True
    monkeypatch.delenv("CHECK_SECRET_ORDERS_DB")
    secret_file = tmp_path / "orders_db"
    secret_file.write_text(password + "\n")
    monkeypatch.setenv("CHECK_SECRET_ORDERS_DB_FILE", str(secret_file))
    assert run(client, as_, check["id"])["ok"] is True


def test_only_check_secret_variables_can_be_named(client, as_, database):
    response = client.post("/checks", json={"name": "Exfiltrate", "kind": "sql", "dsn": database.dsn, "query": "SELECT 1",
                                            "password_env": "SERVICE_CLIENT_SECRET"}, headers=as_("alice"))
    assert response.status_code == 422
    assert "password_env" in response.json["error"]["details"]


def test_without_a_secrets_key_a_dsn_password_is_refused_with_what_to_do(app, client, as_, database):
    app.config["CHECK_SECRETS_KEY"] = []
    response = client.post("/checks", json={"name": "Orders DB", "kind": "sql", "query": "SELECT 1",
                                            "dsn": "mysql://app:secret@127.0.0.1:3306/test"}, headers=as_("alice"))
    assert response.status_code == 422
    assert "CHECK_SECRETS_KEY" in response.json["error"]["message"] and "password_env" in response.json["error"]["message"]


def test_a_sql_check_to_a_private_address_is_refused_without_the_setting(app, client, as_, database):
    app.config["CSP_ALLOW_PRIVATE_TARGETS"] = False
    response = client.post("/checks", json={"name": "Orders DB", "kind": "sql", "dsn": database.dsn, "query": "SELECT 1"},
                           headers=as_("alice"))
    assert response.status_code == 422
    assert response.json["error"]["code"] == "private_target"


def test_a_yaml_declared_sql_check_is_sealed_and_declaring_it_again_changes_nothing(app, r, clock, reader):
    name, password, port = reader
    text = f"""
checks:
  - name: Orders DB
    kind: sql
    dsn: "{dsn_with(name, password, port)}"
    query: SELECT COUNT(*) AS n FROM information_schema.tables
    conditions: ["[ROWS][0].n > 0"]
"""
    first = config_apply.apply(r, text, clock.now(), app.config)
    assert first["created"] == 1
    stored = storage.by_name(r, "Orders DB")
    assert password not in json.dumps(stored)
    assert config_apply.apply(r, text, clock.now(), app.config) == {**first, "created": 0, "updated": 0}
    result = engine.Engine(allow_private=True, secrets_key=[SECRETS_KEY]).run([stored])[0]
    assert result["ok"] is True, result["reason"]


def test_a_slow_database_does_not_hold_up_http_checks_and_queries_in_flight_are_bounded(served, database):
    served.routes["/ok"] = (200, {}, b"{}")
    slow = [{"id": f"s{i}", "name": f"slow {i}", "kind": "sql", "dsn": database.dsn, "query": database.sleep(1.5),
             "timeout": 5} for i in range(4)]
    fast = {"id": "h", "name": "web", "kind": "assertions", "url": served.url("/ok"), "timeout": 5}
    runner = engine.Engine(allow_private=True, blocking_concurrency=2)
    try:
        started = time.monotonic()
        results = runner.run([*slow, fast])
        elapsed = time.monotonic() - started
    finally:
        runner.close()
    assert all(r["ok"] for r in results), results
    assert results[-1]["response_time_ms"] < 1000  # the HTTP check did not wait for the queries
    assert 3.0 <= elapsed < 6  # two waves of two queries: never four at once


# --- SQL Server: cannot run here; the DSN, the driver's call on the wire, the refused paths -----------
def test_sql_server_dsns_parse_with_their_defaults_and_refuse_unknown_options():
    dsn = kinds.parse_dsn("mssql://monitor:s%40fe@sql.example.com/Orders")
    assert (dsn.family, dsn.host, dsn.port, dsn.user, dsn.password, dsn.database) == \
        ("mssql", "sql.example.com", 1433, "monitor", "s@fe", "Orders")
    assert kinds.parse_dsn("sqlserver://sql.example.com:14330/x").port == 14330
    assert kinds.mask("mssql://monitor:s%40fe@sql.example.com/Orders") == "mssql://monitor:****@sql.example.com/Orders"
    with pytest.raises(Exception, match="Unknown DSN option"):
        kinds.parse_dsn("mssql://sql.example.com/x?trustservercertificate=yes")


def test_a_refused_sql_server_connection_fails_on_time(client, as_):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    check = make(client, as_, dsn=f"mssql://monitor:pw@127.0.0.1:{port}/Orders", query="SELECT 1", timeout=2)
    result = run(client, as_, check["id"])
    assert result["ok"] is False and "refused" in result["reason"].lower()


class TdsServer:
    """Enough of SQL Server's side of TDS (PRELOGIN, then LOGIN7) to see what the driver sends and
    to refuse the login as SQL Server does (error 18456): a real socket on loopback, no mock."""

    def __init__(self):
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(4)
        self.port = self.listener.getsockname()[1]
        self.logins: list[dict] = []
        threading.Thread(target=self.serve, daemon=True).start()

    @staticmethod
    def packet(kind: int, payload: bytes) -> bytes:
        return struct.pack(">BBHHBB", kind, 1, len(payload) + 8, 0, 1, 0) + payload

    @staticmethod
    def read_packet(conn) -> tuple[int, bytes]:
        header = conn.recv(8, socket.MSG_WAITALL)
        kind, _, length = struct.unpack(">BBH", header[:4])
        return kind, conn.recv(length - 8, socket.MSG_WAITALL)

    def serve(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            with conn:
                kind, _ = self.read_packet(conn)
                assert kind == 0x12  # PRELOGIN
                options = struct.pack(">BHHBHHB", 0x00, 11, 6, 0x01, 17, 1, 0xFF) + struct.pack(">LH", 0x10000000, 0)
                conn.sendall(self.packet(0x04, options + b"\x02"))  # encryption: not supported
                kind, login = self.read_packet(conn)
                assert kind == 0x10  # LOGIN7
                self.logins.append(self.parse_login(login))
                message = "Login failed for user 'monitor'.".encode("utf-16-le")
                server = "FAKE".encode("utf-16-le")
                error = (struct.pack("<lBB", 18456, 1, 14) + struct.pack("<H", len(message) // 2) + message
                         + struct.pack("B", len(server) // 2) + server + b"\x00" + struct.pack("<l", 1))
                done = b"\xfd" + struct.pack("<HHQ", 0x02, 0, 0)
                conn.sendall(self.packet(0x04, b"\xaa" + struct.pack("<H", len(error)) + error + done))

    @staticmethod
    def parse_login(data: bytes) -> dict:
        type_flags = data[26]

        def text(index):
            offset, length = struct.unpack_from("<HH", data, 36 + 4 * index)
            return data[offset:offset + 2 * length]

        # the password is sent with each byte's nibbles swapped, then XORed with 0xA5
        password = bytes(((b ^ 0xA5) >> 4) | (((b ^ 0xA5) & 0x0F) << 4) for b in text(2)).decode("utf-16-le")
        return {"read_only_intent": bool(type_flags & 0x20), "user": text(1).decode("utf-16-le"), "password": password,
                "app": text(3).decode("utf-16-le"), "server": text(4).decode("utf-16-le"),
                "database": text(8).decode("utf-16-le")}

    def close(self):
        self.listener.close()


def test_the_sql_server_driver_asks_for_read_only_intent_with_the_sealed_password_and_reports_the_refusal(client, as_):
    server = TdsServer()
    try:
        check = make(client, as_, dsn=f"mssql://monitor:s%40fe-pw@127.0.0.1:{server.port}/Orders",
                     query="SELECT status FROM dbo.health", conditions=["[ROWS][0].status == ok"], timeout=3)
        result = run(client, as_, check["id"])
    finally:
        server.close()
    assert server.logins == [{"read_only_intent": True, "user": "monitor", "password": "s@fe-pw",
                              "app": "polystatus-check", "server": "127.0.0.1", "database": "Orders"}]
    assert result["ok"] is False
    assert "Login failed for user 'monitor'" in result["reason"] and "s@fe-pw" not in result["reason"]
