#!/usr/bin/env python3
"""Importing NIST SP 800-53 rev5 MODERATE (the resolved catalog, 3.9 MB) into
Rampart on SQLite, against compliance-trestle importing the same file, in the
same run.

Rampart is timed as a whole process (`rampart framework import`: start-up,
opening the database, reading and checking the OSCAL, one transaction with
every node and its audit record); each run loads under a new URN, so each
writes all 305 nodes. trestle is timed as a whole process too
(`trestle import -f FILE -o NAME` in a fresh trestle workspace: it parses and
validates the catalog against the OSCAL model and writes it into the workspace).

usage: oscal_import.py PATH/TO/rampart [CATALOG.json]   (pip install compliance-trestle first)
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

RUNS = 7
DEFAULT = os.path.join(os.path.dirname(__file__), "../../shared/data/oscal/NIST_SP-800-53_rev5_MODERATE-baseline-resolved-profile_catalog.json")


def timed(args, cwd=None, env=None):
    start = time.perf_counter()
    subprocess.run(args, check=True, capture_output=True, cwd=cwd, env=env)
    return time.perf_counter() - start


def main():
    rampart = os.path.abspath(sys.argv[1])
    catalog = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else DEFAULT)
    work = tempfile.mkdtemp(prefix="rampart-bench-")
    env = dict(os.environ, RAMPART_DATABASE_URL=f"sqlite://{work}/bench.db", RAMPART_LOG="warn")
    subprocess.run([rampart, "org", "create", "Bench", "--kind", "provider"], check=True, capture_output=True, env=env)
    ours = [
        timed([rampart, "framework", "import", catalog, "--org", "Bench", "--urn", f"urn:bench:moderate-{i}"], env=env)
        for i in range(RUNS)
    ]
    trestle_dir = os.path.join(work, "trestle")
    os.mkdir(trestle_dir)
    subprocess.run(["trestle", "init"], check=True, capture_output=True, cwd=trestle_dir)
    theirs = [timed(["trestle", "import", "-f", catalog, "-o", f"moderate{i}"], cwd=trestle_dir) for i in range(RUNS)]
    shutil.rmtree(work)
    m_ours, m_theirs = statistics.median(ours), statistics.median(theirs)
    print(f"catalog: {os.path.basename(catalog)} ({os.path.getsize(catalog) / 1e6:.1f} MB), {RUNS} runs each, medians")
    print(f"rampart framework import (SQLite): {m_ours:.3f} s  (min {min(ours):.3f}, max {max(ours):.3f})")
    print(f"trestle import:                    {m_theirs:.3f} s  (min {min(theirs):.3f}, max {max(theirs):.3f})")
    print(f"ratio: rampart is {m_theirs / m_ours:.1f}x faster; goal: under 0.5 s")


if __name__ == "__main__":
    main()
