"""Drive a TAXII 2.1 server with the OASIS client (taxii2-client) and print
what it found, as JSON: discovery, API root, collections, every object page
by page, one object's versions, the manifest.

usage: taxii_client.py URL USER PASSWORD OBJECT_ID
"""
import json
import sys

from taxii2client.v21 import Server, as_pages

url, user, password, object_id = sys.argv[1:5]
server = Server(url, user=user, password=password)
root = server.api_roots[0]
collection = root.collections[0]
pages, total, ids = 0, 0, set()
for page in as_pages(collection.get_objects, per_request=500):
    pages += 1
    for obj in page.get("objects", []):
        total += 1
        ids.add(obj["id"])
manifest = 0
for page in as_pages(collection.get_manifest, per_request=1000):
    manifest += len(page.get("objects", []))
print(json.dumps({
    "title": server.title,
    "api_root_versions": root.versions,
    "collections": [c.title for c in root.collections],
    "can_read": collection.can_read,
    "pages": pages,
    "objects": total,
    "distinct": len(ids),
    "object": collection.get_object(object_id)["objects"][0]["id"],
    "versions": collection.object_versions(object_id)["versions"],
    "manifest": manifest,
}))
