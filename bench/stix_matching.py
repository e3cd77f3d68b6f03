#!/usr/bin/env python3
"""STIX pattern matching: Rampart against the OASIS reference matcher
(stix2-matcher), in the same run, and the indicator index at scale.

1. Pattern evaluations per second on the same patterns and observations.
   stix2-matcher: each pattern compiled once (`Pattern(p)`), then
   `pattern.match(observations)` timed in a loop, warm. Rampart:
   `rampart stix match --one-by-one --repeat N`, each pattern compiled once
   and matched N times, timed by the command itself (`--timings`; parsing
   and compiling included). Also Rampart through its indicator index (the
   default), which matches all the patterns in one pass.
2. 100,000 exact-value indicators (SHA-256, domains, URLs, addresses, 1% CIDR
   ranges) against 1,000,000 observables (100,000 observed-data objects of
   ten observables each; 1% of them match): matching time as the command
   reports it (reading the 200 MB bundle is reported apart).

usage: stix_matching.py PATH/TO/rampart   (pip install stix2-matcher first)
"""
import hashlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time

PATTERNS = [
    "[ipv4-addr:value = '198.51.100.7']",
    "[ipv4-addr:value ISSUBSET '198.51.100.0/24']",
    "[domain-name:value = 'c2.example' OR domain-name:value = 'c3.example']",
    "[domain-name:value LIKE '%.example']",
    "[url:value MATCHES '^https?://[^/]+/login']",
    "[file:hashes.'SHA-256' = '%s']" % ("ab" * 32),
    "[file:name = 'invoice.exe' AND file:size > 1000]",
    "[file:size IN (100, 4096, 65536)]",
    "[network-traffic:dst_ref.value = '203.0.113.9' AND network-traffic:dst_port = 443]",
    "[email-message:from_ref.value LIKE '%@evil.example']",
    "[ipv4-addr:value = '198.51.100.7'] FOLLOWEDBY [domain-name:value = 'c2.example']",
    "[domain-name:value = 'c2.example'] REPEATS 2 TIMES WITHIN 600 SECONDS",
    "[user-account:account_login = 'admin'] AND [process:name = 'mimikatz.exe']",
    "[process:command_line MATCHES 'powershell.*-enc'] START t'2026-01-01T00:00:00Z' STOP t'2026-12-31T00:00:00Z'",
    "[windows-registry-key:key LIKE 'HKEY_LOCAL_MACHINE\\\\Software\\\\Run%']",
    "[file:hashes.MD5 != 'cead3f77f6cda6ec00f57d76c9a6879f']",
]


def small_bundle():
    """Twenty observed-data objects over a day, with the observables the patterns test."""
    objects, n = [], 0

    def add(sco_type, **props):
        nonlocal n
        n += 1
        sco = {"type": sco_type, "spec_version": "2.1", "id": f"{sco_type}--00000000-0000-4000-8000-{n:012d}", **props}
        objects.append(sco)
        return sco["id"]

    for i in range(20):
        refs = [
            add("ipv4-addr", value=f"198.51.100.{i}"),
            add("domain-name", value=f"host{i}.example" if i != 7 else "c2.example"),
            add("url", value=f"https://host{i}.example/login?id={i}"),
            add("file", name="invoice.exe" if i == 3 else f"f{i}.txt", size=4096 * (i % 3), hashes={"SHA-256": hashlib.sha256(bytes([i])).hexdigest(), "MD5": hashlib.md5(bytes([i])).hexdigest()}),
        ]
        dst = add("ipv4-addr", value="203.0.113.9")
        refs += [dst, add("network-traffic", dst_ref=dst, dst_port=443 if i % 2 else 80, protocols=["tcp"])]
        at = f"2026-03-01T{i:02d}:00:00Z"
        objects.append({"type": "observed-data", "spec_version": "2.1", "id": f"observed-data--00000000-0000-4000-9000-{i:012d}", "created": at, "modified": at, "first_observed": at, "last_observed": at, "number_observed": 1, "object_refs": refs})
    return {"type": "bundle", "id": "bundle--00000000-0000-4000-8000-000000000000", "objects": objects}


def reference_rate(bundle, seconds=5.0):
    from stix2matcher.matcher import Pattern

    compiled = [Pattern(p, stix_version="2.1") for p in PATTERNS]
    results = [bool(p.match([bundle])) for p in compiled]
    evaluations, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for p in compiled:
            p.match([bundle])
        evaluations += len(compiled)
    return evaluations / (time.perf_counter() - start), results


def rampart(binary, patterns_file, bundle_file, *flags):
    """(seconds reading, seconds matching, patterns that matched) as the command reports them."""
    run = subprocess.run([binary, "stix", "match", "-q", "--timings", *flags, patterns_file, bundle_file], capture_output=True, text=True)
    if run.returncode not in (0, 1):
        sys.exit(f"rampart failed: {run.stderr}")
    line = run.stderr.strip().splitlines()[-1]
    read = float(line.split(" patterns in ")[1].split(" s;")[0])
    matched = float(line.split(" times in ")[1].split(" s ")[0])
    patterns = sum(1 for l in open(patterns_file) if l.strip() and not l.startswith("#"))
    return read, matched, patterns - run.stdout.count("NO MATCH:")


def main():
    binary = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix="rampart-stix-bench-")
    bundle = small_bundle()
    bundle_file = os.path.join(tmp, "small.json")
    with open(bundle_file, "w") as f:
        json.dump(bundle, f)

    rate, expected = reference_rate(bundle)
    # The same answers first: Rampart one by one on the patterns once.
    once = os.path.join(tmp, "once.txt")
    with open(once, "w") as f:
        f.write("\n".join(PATTERNS) + "\n")
    out = subprocess.run([binary, "stix", "match", once, bundle_file], capture_output=True, text=True).stdout
    ours = [line.startswith("MATCH") for line in out.splitlines() if line]
    assert ours == expected, (ours, expected)

    repeats = 200_000
    evaluations = len(PATTERNS) * repeats
    _, one_by_one, matched_one = rampart(binary, once, bundle_file, "--one-by-one", "--repeat", str(repeats))
    _, indexed, matched_index = rampart(binary, once, bundle_file, "--repeat", str(repeats))
    assert matched_one == matched_index == sum(expected), (matched_one, matched_index, expected)
    print(f"1. {len(PATTERNS)} patterns x {len(bundle['objects'])} objects ({sum(expected)} match)")
    print(f"   stix2-matcher (compiled once):           {rate:12,.0f} evaluations/s")
    print(f"   rampart one by one (compiled once):      {evaluations / one_by_one:12,.0f} evaluations/s  ({evaluations / one_by_one / rate:,.0f}x)")
    print(f"   rampart indicator index:                 {evaluations / indexed:12,.0f} evaluations/s  ({evaluations / indexed / rate:,.0f}x)")

    random.seed(7)
    indicators, hits = [], []
    for i in range(100_000):
        kind = i % 4
        if i % 100 == 99:
            indicators.append(f"[ipv4-addr:value ISSUBSET '10.{i % 250}.{i // 250 % 250}.0/24']")
        elif kind == 0:
            indicators.append("[file:hashes.'SHA-256' = '%s']" % hashlib.sha256(b"bad%d" % i).hexdigest())
        elif kind == 1:
            indicators.append(f"[domain-name:value = 'bad{i}.example']")
        elif kind == 2:
            indicators.append(f"[url:value = 'http://bad{i}.example/payload']")
        else:
            indicators.append(f"[ipv4-addr:value = '172.{i % 250}.{i // 250 % 250}.{i % 7}']")
    indicators_file = os.path.join(tmp, "indicators.txt")
    with open(indicators_file, "w") as f:
        f.write("\n".join(indicators) + "\n")
    big_file = os.path.join(tmp, "big.json")
    with open(big_file, "w") as f:
        f.write('{"type":"bundle","id":"bundle--00000000-0000-4000-8000-000000000001","objects":[')
        first = True
        for o in range(100_000):
            refs = []
            for k in range(10):
                n = o * 10 + k
                kind = n % 4
                # About 1% of observables match: each names one indicator of its kind.
                matching = n % 97 == 0
                m = n // 97 % 1000
                sco_id = f"--00000000-0000-4000-8000-{n:012d}"
                if kind == 0:
                    digest = hashlib.sha256(b"bad%d" % (4 * m) if matching else b"ok%d" % n).hexdigest()
                    sco = {"type": "file", "id": "file" + sco_id, "hashes": {"SHA-256": digest}}
                elif kind == 1:
                    sco = {"type": "domain-name", "id": "domain-name" + sco_id, "value": f"bad{4 * m + 1}.example" if matching else f"ok{n}.example"}
                elif kind == 2:
                    sco = {"type": "url", "id": "url" + sco_id, "value": f"http://bad{4 * m + 2}.example/payload" if matching else f"http://ok{n}.example/index.html"}
                else:
                    i = 100 * m + 99
                    sco = {"type": "ipv4-addr", "id": "ipv4-addr" + sco_id, "value": f"10.{i % 250}.{i // 250 % 250}.9" if matching else f"192.0.{n % 250}.{n // 250 % 250}"}
                refs.append(sco["id"])
                f.write(("" if first else ",") + json.dumps(sco))
                first = False
            at = "2026-03-01T00:00:00Z"
            f.write("," + json.dumps({"type": "observed-data", "spec_version": "2.1", "id": f"observed-data--00000000-0000-4000-9000-{o:012d}", "created": at, "modified": at, "first_observed": at, "last_observed": at, "number_observed": 1, "object_refs": refs}))
        f.write("]}")
    read, matched, hits = rampart(binary, indicators_file, big_file)
    size = os.path.getsize(big_file) / 1e6
    print(f"2. 100,000 indicators x 1,000,000 observables ({size:,.0f} MB bundle)")
    print(f"   read in {read:.2f} s; matched in {matched:.3f} s (one core); {hits:,} indicators matched")


if __name__ == "__main__":
    main()
