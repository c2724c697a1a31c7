"""Schemathesis hooks for tests/integration/api-fuzz.test.ts.

openapi.yaml states every rule the server enforces that JSON Schema can express. Three cannot be: a rule
relative to the clock (a timestamp at most 5 minutes in the future), a rule between two query parameters
(minPrice <= maxPrice) and a limit on the serialized size (an event <= 16 KiB, an item <= 64 KiB, a body
<= 4 MiB). The spec says them in words; these hooks hold the generated *valid* requests to them, so that
"valid" means what the spec says. Invalid (negative) requests are left alone: the server must reject them.
"""

import datetime
import json

import schemathesis

EVENT_BYTES = 16 * 1024
ITEM_BYTES = 64 * 1024
BODY_BYTES = 4 * 1024 * 1024
# The server measures the stored form (an item gains inStock and updatedAt, an event nothing); keep clear of it.
MARGIN = 128


def _positive(case):
    return case.meta is not None and case.meta.generation.mode.is_positive


def _size(value):
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8", "surrogatepass"))


def _past(timestamp):
    """The same instant moved to 2000 when its year is not past: the pattern keeps the rest valid (2000 is leap)."""
    if isinstance(timestamp, str) and timestamp[:4].isdigit() and int(timestamp[:4]) >= datetime.date.today().year:
        return "2000" + timestamp[4:]
    return timestamp


def _batch(body, field):
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get(field), list):
        return body[field]
    return []


@schemathesis.hook
def map_case(context, case):
    if not _positive(case):
        return case
    path = case.operation.path
    if path in ("/v1/events", "/v1/feedback"):
        entries = _batch(case.body, "events") if path == "/v1/events" else [case.body]
        for entry in entries:
            if isinstance(entry, dict) and "timestamp" in entry:
                entry["timestamp"] = _past(entry["timestamp"])
    # Shoppers (issue 16): a price range's min <= max, a rule between two fields.
    if path == "/v1/users/{userId}/preferences" and isinstance(case.body, dict):
        price = case.body.get("priceRange")
        if isinstance(price, dict) and _number(price.get("min")) is not None and _number(price.get("max")) is not None:
            if price["min"] > price["max"]:
                price["min"], price["max"] = price["max"], price["min"]
    query = case.query or {}
    low, high = _number(query.get("minPrice")), _number(query.get("maxPrice"))
    if low is not None and high is not None and low > high:
        query["minPrice"], query["maxPrice"] = query["maxPrice"], query["minPrice"]
    return case


def _number(value):
    """A query value as a number: generated as one, or already serialized (the coverage phase)."""
    try:
        return float(value) if isinstance(value, (int, float, str)) else None
    except ValueError:
        return None


@schemathesis.hook
def filter_case(context, case):
    if not _positive(case) or case.body is None:
        return True
    path = case.operation.path
    if path == "/v1/events":
        limit, entries = EVENT_BYTES, _batch(case.body, "events")
    elif path == "/v1/items":
        limit, entries = ITEM_BYTES, _batch(case.body, "items")
    elif path in ("/v1/users", "/v1/users/{userId}/preferences"):
        return _size(case.body) < BODY_BYTES - MARGIN
    else:
        return True
    return _size(case.body) < BODY_BYTES - MARGIN and all(_size(e) < limit - MARGIN for e in entries)
