#!/usr/bin/env python3
"""TAXII 2.1: Rampart against medallion (the OASIS reference server), in the
same run, on loopback.

1. Ingest: MITRE's current ICS ATT&CK bundle (1,826 objects) POSTed in
   envelopes of 500 objects to an empty collection; objects per second.
2. Reads: GET objects pages of 1,000 (`limit=1000`; medallion configured with
   max_page_size 1000) from the collection holding the bundle; pages per
   second over 10 requests (medallion takes seconds a page) (the first page and the page after it, in turn).

Both are timed from Python with the same HTTP client (requests, one
keep-alive session), so client costs are the same on both sides. Rampart
runs on SQLite in a temporary directory; medallion on its memory backend.

usage: taxii_vs_medallion.py PATH/TO/rampart PATH/TO/ics-attack.json
       (pip install medallion requests first)
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import time

import requests

TAXII = "application/taxii+json;version=2.1"
PAGES = int(os.environ.get("PAGES", "10"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    sys.exit(f"nothing listens on {port}")


def rampart_server(binary, tmp):
    env = dict(os.environ, RAMPART_DATABASE_URL=f"sqlite://{tmp}/rampart.db?mode=rwc", RAMPART_LOG="warn")
    run = lambda *args, stdin=None: subprocess.run([binary, *args], env=env, input=stdin, capture_output=True, text=True, check=True).stdout
    run("org", "create", "National CSIRT", "--kind", "authority")
    run("user", "create", "feed@csirt.example", "--org", "National CSIRT", "--role", "analyst", "--password-stdin", stdin="a-sturdy-pass-phrase\n")
    token = json.loads(run("token", "create", "--user", "feed@csirt.example", "--org", "National CSIRT", "--name", "bench", "--expires-in", "1d", "--json"))["secret"]
    collection = run("taxii", "collection", "create", "--title", "ICS", "--org", "National CSIRT").strip()
    port = free_port()
    child = subprocess.Popen([binary, "serve", "--addr", f"127.0.0.1:{port}"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port)
    return child, f"http://127.0.0.1:{port}/taxii2/rampart/collections/{collection}/objects/", ("feed@csirt.example", token)


def medallion_server(tmp):
    port = free_port()
    collection = "91a7b528-80eb-42ed-a74d-c6fbd5a26116"
    data = {
        "/discovery": {"title": "medallion", "default": f"http://127.0.0.1:{port}/api1/", "api_roots": [f"http://127.0.0.1:{port}/api1/"]},
        "api1": {"information": {"title": "api1", "versions": [TAXII], "max_content_length": 104857600}, "status": [],
                 "collections": [{"id": collection, "title": "ICS", "description": "", "can_read": True, "can_write": True,
                                  "media_types": ["application/stix+json;version=2.1"], "objects": [], "manifest": []}]},
    }
    with open(f"{tmp}/data.json", "w") as f:
        json.dump(data, f)
    config = {"backend": {"module": "medallion.backends.memory_backend", "module_class": "MemoryBackend", "filename": f"{tmp}/data.json"},
              "users": {"admin": "Password0"}, "taxii": {"max_page_size": 1000}}
    with open(f"{tmp}/config.json", "w") as f:
        json.dump(config, f)
    child = subprocess.Popen(["medallion", "--host", "127.0.0.1", "--port", str(port), f"{tmp}/config.json"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for(port)
    return child, f"http://127.0.0.1:{port}/api1/collections/{collection}/objects/", ("admin", "Password0")


def measure(objects_url, auth, objects):
    session = requests.Session()
    session.auth = auth
    headers = {"Accept": TAXII, "Content-Type": TAXII}
    start = time.perf_counter()
    for i in range(0, len(objects), 500):
        reply = session.post(objects_url, data=json.dumps({"objects": objects[i:i + 500]}), headers=headers)
        reply.raise_for_status()
    ingest = len(objects) / (time.perf_counter() - start)
    print(f"  {objects_url.split('/')[2]}: ingested at {ingest:,.0f} objects/s", flush=True)
    first = session.get(objects_url, params={"limit": 1000}, headers=headers)
    first.raise_for_status()
    token = first.json()["next"]
    pages, start = PAGES, time.perf_counter()
    for i in range(pages):
        params = {"limit": 1000} if i % 2 == 0 else {"limit": 1000, "next": token}
        reply = session.get(objects_url, params=params, headers=headers)
        reply.raise_for_status()
        if i % 2 == 0:
            token = reply.json()["next"]
        assert reply.json()["objects"]
    return ingest, pages / (time.perf_counter() - start), len(first.json()["objects"])


def main():
    binary, bundle = sys.argv[1], sys.argv[2]
    with open(bundle) as f:
        objects = json.load(f)["objects"]
    tmp = tempfile.mkdtemp(prefix="rampart-taxii-bench-")
    ours, ours_url, ours_auth = rampart_server(binary, tmp)
    theirs, theirs_url, theirs_auth = medallion_server(tmp)
    try:
        r_ingest, r_pages, r_size = measure(ours_url, ours_auth, objects)
        m_ingest, m_pages, m_size = measure(theirs_url, theirs_auth, objects)
    finally:
        ours.terminate()
        theirs.terminate()
    assert r_size == m_size == 1000, (r_size, m_size)
    print(f"{len(objects)} objects, envelopes of 500; pages of 1,000")
    print(f"ingest  medallion {m_ingest:10,.0f} objects/s   rampart {r_ingest:10,.0f} objects/s   ({r_ingest / m_ingest:,.1f}x)")
    print(f"pages   medallion {m_pages:10,.1f} pages/s     rampart {r_pages:10,.1f} pages/s     ({r_pages / m_pages:,.1f}x)")


if __name__ == "__main__":
    main()
