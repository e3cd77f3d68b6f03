#!/usr/bin/env python3
"""An organisation with 100,000 incidents and 1,000,000 observables, on SQLite
and on PostgreSQL: time the incident list (with and without filters, API and
HTML page) and an incident's page data with the correlation of its
observables, as a client on loopback sees them, one request at a time.

Goal (issue 5): list with filters and the correlation lookup each under 50 ms
server time on both databases. The times here include HTTP on loopback, so
they bound the server time from above.

The rows are written straight into the database after `rampart` created the
schema and the organisation (a million API calls would time the loader, not
the reads): incidents over five years in every state, category and severity,
20% under NIS2; ten observables each, IPv4 addresses, domains and SHA-256
hashes drawn from pools so that a value recurs in about ten incidents, and one
address in every hundredth incident.

usage: incident_scale.py PATH/TO/rampart [postgres://…/postgres | none]
"""
import csv
import hashlib
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

PORT = 18293
PASSWORD = "tawny-owl-pass-phrase"
RUNS = 30
INCIDENTS = int(os.environ.get("INCIDENTS", 100_000))
PER_INCIDENT = 10
STATES = ["closed"] * 12 + ["dismissed"] * 2 + ["reported", "triage", "containment", "eradication", "recovery", "lessons-learned"]
CATEGORIES = ["abusive-content", "malicious-code", "information-gathering", "intrusion-attempts", "intrusions",
              "availability", "information-content-security", "fraud", "vulnerable", "other"]
HOT = "203.0.113.77"

INCIDENT_COLUMNS = ["id", "org_id", "title", "description", "category", "severity", "tlp", "pap", "determination",
                    "impact_c", "impact_i", "impact_a", "estimated_cost", "people_affected", "cross_border", "reporter",
                    "owner", "team", "occurred_at", "detected_at", "aware_at", "classified_at", "state",
                    "state_changed_at", "created_by", "created_at", "updated_at"]
OBSERVABLE_COLUMNS = ["id", "org_id", "incident_id", "kind", "value", "ioc", "sighted", "tlp", "added_by", "added_at"]


def rows(org_id):
    """Yields ("incident", row), ("observable", row) and ("regime", row) tuples."""
    rng = random.Random(27035)
    start = 1_640_995_200_000  # 2022-01-01
    step = (5 * 365 * 86_400_000) // INCIDENTS
    n_obs = 0
    for i in range(INCIDENTS):
        at = start + i * step
        incident = f"00000000-0000-7000-8000-{i:012d}"
        state = rng.choice(STATES)
        yield "incident", [incident, org_id, f"Incident {i}", "", rng.choice(CATEGORIES), rng.randint(1, 4), "amber",
                           "amber", "suspected", rng.randint(0, 1), rng.randint(0, 1), rng.randint(0, 1), None, None, 0,
                           "", "SOC", "", at - 3_600_000, at - 1_800_000, at, at + 600_000, state, at, "bench", at, at]
        if rng.random() < 0.2:
            yield "regime", [org_id, incident, "nis2"]
        values = set()
        if i % 100 == 0:
            values.add(("ipv4", HOT))
        while len(values) < PER_INCIDENT:
            kind = rng.choice(["ipv4", "domain", "sha256"])
            x = rng.randrange(INCIDENTS)
            value = {"ipv4": f"10.{x >> 16 & 255}.{x >> 8 & 255}.{x & 255}", "domain": f"host{x}.example",
                     "sha256": hashlib.sha256(str(x).encode()).hexdigest()}[kind]
            values.add((kind, value))
        for kind, value in sorted(values):
            yield "observable", [f"00000000-0000-7000-9000-{n_obs:012d}", org_id, incident, kind, value, 1, 0,
                                 "amber", "bench", at]
            n_obs += 1


def fill_sqlite(path, org_id):
    db = sqlite3.connect(path)
    batches = {"incident": [], "observable": [], "regime": []}
    sql = {
        "incident": f"INSERT INTO incidents ({', '.join(INCIDENT_COLUMNS)}) VALUES ({', '.join('?' * len(INCIDENT_COLUMNS))})",
        "observable": f"INSERT INTO observables ({', '.join(OBSERVABLE_COLUMNS)}) VALUES ({', '.join('?' * len(OBSERVABLE_COLUMNS))})",
        "regime": "INSERT INTO incident_regimes (org_id, incident_id, regime) VALUES (?, ?, ?)",
    }
    for table, row in rows(org_id):
        batches[table].append(row)
        if len(batches[table]) >= 50_000:
            db.executemany(sql[table], batches[table])
            batches[table] = []
    for table, batch in batches.items():
        db.executemany(sql[table], batch)
    db.commit()
    db.execute("ANALYZE")
    db.close()


def fill_postgres(url, org_id, work):
    files = {t: open(os.path.join(work, f"{t}.csv"), "w", newline="") for t in ["incident", "observable", "regime"]}
    writers = {t: csv.writer(f) for t, f in files.items()}
    for table, row in rows(org_id):
        writers[table].writerow(["\\N" if v is None else v for v in row])
    for f in files.values():
        f.close()
    copy = [
        ("incidents", INCIDENT_COLUMNS, "incident"),
        ("observables", OBSERVABLE_COLUMNS, "observable"),
        ("incident_regimes", ["org_id", "incident_id", "regime"], "regime"),
    ]
    for table, columns, name in copy:
        path = os.path.join(work, f"{name}.csv")
        subprocess.run(["psql", url, "-qc", f"\\copy {table} ({', '.join(columns)}) FROM '{path}' WITH (FORMAT csv, NULL '\\N')"],
                       check=True)
    subprocess.run(["psql", url, "-qc", "ANALYZE"], check=True)


def call(path, token=None, cookie=None):
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if cookie:
        req.add_header("Cookie", cookie)
    with urllib.request.urlopen(req) as r:
        return r.read()


def timed(path, **kw):
    call(path, **kw)  # warm
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call(path, **kw)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def login():
    form = urllib.parse.urlencode({"email": "bench@bench.example", "password": PASSWORD}).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}/login", data=form, method="POST",
                                 headers={"Sec-Fetch-Site": "same-origin"})

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    try:
        urllib.request.build_opener(NoRedirect).open(req)
    except urllib.error.HTTPError as e:
        return e.headers["Set-Cookie"].split(";")[0]


def run_backend(rampart, name, url, work):
    env = dict(os.environ, RAMPART_DATABASE_URL=url, RAMPART_LOG="warn")
    run = lambda *a, **k: subprocess.run([rampart, *a], check=True, capture_output=True, env=env, **k)
    org = json.loads(run("org", "create", "Bench", "--kind", "provider", "--json").stdout)["id"]
    run("user", "create", "bench@bench.example", "--org", "Bench", "--role", "admin", "--password-stdin", input=PASSWORD.encode())
    token = json.loads(run("token", "create", "--user", "bench@bench.example", "--org", "Bench", "--name", "b", "--json").stdout)["secret"]
    started = time.perf_counter()
    if name == "SQLite":
        fill_sqlite(url.removeprefix("sqlite://"), org)
    else:
        fill_postgres(url, org, work)
    print(f"{name}: {INCIDENTS:,} incidents, {INCIDENTS * PER_INCIDENT:,} observables written in {time.perf_counter() - started:.0f} s")
    server = subprocess.Popen([rampart, "serve", "--addr", f"127.0.0.1:{PORT}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                call("/healthz")
                break
            except OSError:
                time.sleep(0.1)
        cookie = login()
        hot = "00000000-0000-7000-8000-000000050000"  # every hundredth incident shares HOT
        detail = json.loads(call(f"/api/v1/incidents/{hot}", token))
        seen = max(len(o["seen_in"]) for o in detail["observables"])
        print(f"  the incident's {len(detail['observables'])} observables: one seen in {seen} other incidents shown (of {INCIDENTS // 100 - 1})")
        print(f"  {RUNS} sequential requests each, median / p95 ms:")
        for label, path, kw in [
            ("list, first page", "/api/v1/incidents?limit=50", {"token": token}),
            ("list, open only", "/api/v1/incidents?limit=50&open=true", {"token": token}),
            ("list, state + severity", "/api/v1/incidents?limit=50&state=containment&severity=4", {"token": token}),
            ("list, state + severity + category", "/api/v1/incidents?limit=50&state=recovery&severity=1&category=fraud", {"token": token}),
            ("list page (HTML), open, severity 4", "/incidents?open=true&severity=4", {"cookie": cookie}),
            ("incident with correlations (API)", f"/api/v1/incidents/{hot}", {"token": token}),
            ("incident page (HTML)", f"/incidents/{hot}", {"cookie": cookie}),
        ]:
            median, p95 = timed(path, **kw)
            print(f"    {label:38} {median:7.1f} {p95:7.1f}")
    finally:
        server.terminate()
        server.wait()


def main():
    rampart = os.path.abspath(sys.argv[1])
    pg_admin = sys.argv[2] if len(sys.argv) > 2 else "postgres://postgres@127.0.0.1:5432/postgres"
    work = tempfile.mkdtemp(prefix="rampart-incidents-")
    run_backend(rampart, "SQLite", f"sqlite://{work}/bench.db", work)
    if pg_admin != "none":
        base = pg_admin.rsplit("/", 1)[0]
        subprocess.run(["psql", pg_admin, "-qc", "DROP DATABASE IF EXISTS rampart_incident_bench"], check=True)
        subprocess.run(["psql", pg_admin, "-qc", "CREATE DATABASE rampart_incident_bench"], check=True)
        run_backend(rampart, "PostgreSQL", f"{base}/rampart_incident_bench", work)


if __name__ == "__main__":
    main()
