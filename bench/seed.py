#!/usr/bin/env python3
"""Fill an organisation with N API tokens through Rampart's public API.

Each creation also appends an audit record, so the organisation ends with N
tokens and N+ audit records: the lists the list benchmark reads.

usage: seed.py BASE_URL BEARER_TOKEN COUNT
"""
import http.client
import json
import sys
import urllib.parse


def main() -> None:
    base, secret, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    for i in range(count):
        body = json.dumps({"name": f"bench token {i}"})
        conn.request("POST", "/api/v1/tokens", body=body, headers=headers)
        reply = conn.getresponse()
        reply.read()
        if reply.status != 201:
            sys.exit(f"token {i}: HTTP {reply.status}")
    conn.close()


if __name__ == "__main__":
    main()
