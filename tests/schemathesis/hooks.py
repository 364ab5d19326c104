"""Schemathesis hooks for Palabre's API: how to send `application/x-ndjson` (POST /api/events).

The schema says the body is a string of JSON lines; generated strings are sent as they are,
one after another, UTF-8 encoded (invalid lines become `invalid` decisions, never errors).
"""

import json

import schemathesis


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode("utf-8")
