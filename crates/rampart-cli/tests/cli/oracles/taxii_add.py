"""Add a STIX bundle's objects to a TAXII 2.1 collection with the OASIS
client (taxii2-client), in requests of 500; print how many were sent.

usage: taxii_add.py API_ROOT USER PASSWORD COLLECTION_ID BUNDLE
"""
import json
import sys

from taxii2client.v21 import Collection

api_root, user, password, collection_id, bundle = sys.argv[1:6]
collection = Collection(f"{api_root}collections/{collection_id}/", user=user, password=password)
with open(bundle) as f:
    objects = json.load(f)["objects"]
for start in range(0, len(objects), 500):
    status = collection.add_objects(json.dumps({"objects": objects[start:start + 500]}))
    assert status.status == "complete", status
print(len(objects))
