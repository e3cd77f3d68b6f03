"""The same TAXII 2.1 session against Rampart and against medallion (the
OASIS reference server), through the OASIS client: add two releases of a
STIX collection, then read them back every way a client does. Prints what
each server answered, as JSON, for the caller to compare.

usage: taxii_differential.py RAMPART_URL USER TOKEN MEDALLION_URL M_USER M_PASSWORD OBJECT_ID BUNDLE...
"""
import json
import sys

from taxii2client.v21 import Server, as_pages


def session(url, user, password, object_id, bundles):
    server = Server(url, user=user, password=password)
    collection = [c for c in server.api_roots[0].collections if c.can_write][0]
    statuses = []
    for path in bundles:
        with open(path) as f:
            objects = json.load(f)["objects"]
        # In requests of 500 objects, as a client pushing a large release would.
        for start in range(0, len(objects), 500):
            envelope = {"objects": objects[start:start + 500]}
            status = collection.add_objects(json.dumps(envelope))
            statuses.append((status.status, status.total_count, status.success_count, status.failure_count))

    def everything(method, key, **filters):
        found = []
        for page in as_pages(method, per_request=100, **filters):
            found.extend(page.get(key, []))
        return found

    objects = everything(collection.get_objects, "objects")
    all_versions = everything(collection.get_objects, "objects", version="all")
    manifest = everything(collection.get_manifest, "objects")
    return {
        "statuses": statuses,
        "latest": sorted([o["id"], o.get("modified", "")] for o in objects),
        "all_versions": sorted([o["id"], o.get("modified", "")] for o in all_versions),
        "manifest": sorted([m["id"], m["version"]] for m in manifest),
        "attack_patterns": len(everything(collection.get_objects, "objects", type="attack-pattern")),
        "one": [o["modified"] for o in collection.get_object(object_id, version="all")["objects"]],
        "versions": sorted(collection.object_versions(object_id)["versions"]),
    }


r_url, r_user, r_token, m_url, m_user, m_password, object_id, *bundles = sys.argv[1:]
print(json.dumps({
    "rampart": session(r_url, r_user, r_token, object_id, bundles),
    "medallion": session(m_url, m_user, m_password, object_id, bundles),
}))
