#!/usr/bin/env python3
"""An organisation with 20 assessments of a 1,200-requirement framework, every
requirement answered, on SQLite: time the workspace (API and HTML page) and
the dashboard as a client on loopback sees them, one request at a time.

Goals (issue 3): workspace page under 150 ms server time, dashboard with 20
assessments under 100 ms. The pure roll-up is timed by
`cargo run --release -p rampart-domain --example score_roll_up` (goal 20 ms).

usage: assessment_scale.py PATH/TO/rampart
"""
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request

PORT = 18291
PASSWORD = "tawny-owl-pass-phrase"
RUNS = 30


def library(path):
    lines = ["urn: urn:bench:framework:1200", "version: 1", "name: Bench 1200",
             "score_scale:"] + [f"  - {{ value: {v}, name: Level {v} }}" for v in range(6)] + ["requirements:"]
    for s in range(40):
        lines += [f"  - ref_id: S{s}", f"    title: Section {s}"]
        for r in range(30):
            lines += [f"  - ref_id: S{s}.{r}", f"    parent: S{s}", f"    title: Requirement {s}.{r}",
                      f"    statement: The organisation does thing {s}.{r} and keeps evidence of it.",
                      f"    weight: {1 + r % 3}"]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def call(method, path, token=None, body=None, cookie=None):
    req = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", method=method)
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if cookie:
        req.add_header("Cookie", cookie)
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, data) as r:
        return r.read()


def timed(path, **kw):
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        call("GET", path, **kw)
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main():
    rampart = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="rampart-assess-")
    env = dict(os.environ, RAMPART_DATABASE_URL=f"sqlite://{work}/bench.db", RAMPART_LOG="warn")
    run = lambda *a, **k: subprocess.run([rampart, *a], check=True, capture_output=True, env=env, **k)
    run("org", "create", "Bench", "--kind", "provider")
    run("user", "create", "bench@bench.example", "--org", "Bench", "--role", "admin", "--password-stdin", input=PASSWORD.encode())
    token = json.loads(run("token", "create", "--user", "bench@bench.example", "--org", "Bench", "--name", "b", "--json").stdout)["secret"]
    lib = os.path.join(work, "lib.yaml")
    library(lib)
    run("framework", "import", lib, "--org", "Bench")
    server = subprocess.Popen([rampart, "serve", "--addr", f"127.0.0.1:{PORT}"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                call("GET", "/healthz")
                break
            except OSError:
                time.sleep(0.1)
        framework = json.loads(call("GET", "/api/v1/frameworks", token))["items"][0]["id"]
        nodes = [n["id"] for n in json.loads(call("GET", f"/api/v1/frameworks/{framework}", token))["requirements"] if n["assessable"]]
        rng = random.Random(27032)
        ids = []
        for i in range(20):
            a = json.loads(call("POST", "/api/v1/assessments", token, {"framework_id": framework, "name": f"Assessment {i}"}))
            ids.append(a["id"])
            by_answer = {}
            for n in nodes:
                by_answer.setdefault((rng.choice(["compliant", "partially-compliant", "non-compliant"]), rng.randint(0, 5)), []).append(n)
            for (result, score), group in by_answer.items():
                call("PUT", f"/api/v1/assessments/{a['id']}/results", token, {"node_ids": group, "result": result, "score": score})
        form = urllib.parse.urlencode({"email": "bench@bench.example", "password": PASSWORD}).encode()
        login = urllib.request.Request(f"http://127.0.0.1:{PORT}/login", data=form, method="POST",
                                       headers={"Sec-Fetch-Site": "same-origin"})

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *a, **k):
                return None

        try:
            urllib.request.build_opener(NoRedirect).open(login)
        except urllib.error.HTTPError as e:
            cookie = e.headers["Set-Cookie"].split(";")[0]
        first = ids[0]
        print(f"SQLite, 20 assessments x {len(nodes)} answered requirements, {RUNS} sequential requests each (median / p95 ms):")
        for label, path, kw in [
            ("workspace API (tree, answers, scores)", f"/api/v1/assessments/{first}/requirements", {"token": token}),
            ("workspace page (HTML)", f"/assessments/{first}", {"cookie": cookie}),
            ("dashboard (20 assessments)", "/", {"cookie": cookie}),
            ("assessment list API", "/api/v1/assessments", {"token": token}),
        ]:
            median, p95 = timed(path, **kw)
            print(f"  {label:40} {median:7.1f} {p95:7.1f}")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
