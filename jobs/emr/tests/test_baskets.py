"""Complements and search follow-ups of the Spark job (baskets.py) on hand-made data with known counts."""

import json
import math
import os
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

import baskets
import train_als
from generate_lake import write_object

MIN = 60_000

# Basket → item indices. With max_basket_items=3, "big" (4 items) counts in N and the supports but gives no pairs;
# the ten singletons count in N only through their own item (9).
BASKETS = {
    "o1": [0, 1, 2],
    "o2": [0, 1],
    "o3": [0, 1, 3],
    "o4": [2, 3],
    "o5": [2, 3],
    "big": [0, 2, 3, 4],
    "o6": [4],
    "o8": [7, 5],
    "o9": [7, 5],
    "o10": [7, 6],
    "o11": [7, 6],
    **{f"s{n}": [9] for n in range(10)},
}
N = 21  # every basket above, paired or not


def members(spark):
    rows = [(o, i) for o, items in BASKETS.items() for i in items]
    return spark.createDataFrame(rows, "orderId string, i int")


def lift(c, sa, sb, n=N, alpha=2.0):
    return math.log((c + alpha) / (sa * sb / n + alpha))


def rows_of(found):
    out = {}
    for r in found.rows.orderBy("a", "rank").collect():
        out.setdefault(r["a"], []).append((r["b"], r["score"]))
    return out


def test_complements_are_the_shrunk_lift_of_the_hand_counted_baskets(spark):
    found = baskets.train_complements(members(spark), max_basket_items=3)
    # Supports: 0 in o1 o2 o3 big (4), 1 in o1 o2 o3 (3), 2 and 3 in four each (big included), 5 and 6 in two,
    # 7 in four. Together: (0,1) 3 baskets; (2,3) 2 (big gives no pairs); (5,7) and (6,7) 2; the rest 1.
    s01, s23, s57 = lift(3, 4, 3), lift(2, 4, 4), lift(2, 2, 4)
    got = rows_of(found)
    assert sorted(got) == [0, 1, 2, 3, 5, 6, 7]
    assert got[0] == [(1, pytest.approx(s01, abs=1e-12))]
    assert got[1] == [(0, pytest.approx(s01, abs=1e-12))]
    assert got[2] == [(3, pytest.approx(s23, abs=1e-12))]
    assert got[5] == [(7, pytest.approx(s57, abs=1e-12))]
    # 5 and 6 score the same against 7: the lower index first.
    assert got[7] == [(5, pytest.approx(s57, abs=1e-12)), (6, pytest.approx(s57, abs=1e-12))]
    assert found.stats == {
        "baskets": N,
        "pairedBaskets": 9,
        "items": 7,
        "shrinkage": 2.0,
        "minCount": 2,
        "maxBasketItems": 3,
        "substituteSimilarity": 0.5,
        "substitutesExcluded": 0,
        "substituteTest": False,
    }


def test_min_count_max_basket_items_and_k_cut_as_specified(spark):
    # minCount 1: the pairs seen once join, if their shrunk lift is above 1 ((0,2): ln(3 / (16/21 + 2)) > 0).
    once = rows_of(baskets.train_complements(members(spark), max_basket_items=3, min_count=1))
    assert [b for b, _ in once[0]] == [1, 2, 3]
    assert once[0][1][1] == pytest.approx(lift(1, 4, 4), abs=1e-12)
    # Without the cut, "big" pairs 2 with 3 a third time and 2 with 0 a second time.
    all_sizes = rows_of(baskets.train_complements(members(spark), max_basket_items=100))
    assert all_sizes[2] == [(3, pytest.approx(lift(3, 4, 4), abs=1e-12)), (0, pytest.approx(lift(2, 4, 4), abs=1e-12))]
    # k = 1 keeps the tie's lower index.
    top1 = rows_of(baskets.train_complements(members(spark), max_basket_items=3, k=1))
    assert top1[7] == [(5, pytest.approx(lift(2, 2, 4), abs=1e-12))]


def test_no_basket_gives_no_complements(spark):
    assert baskets.train_complements(spark.createDataFrame([], "orderId string, i int")) is None


def events_df(spark, rows):
    return spark.createDataFrame(rows, "type string, userId string, itemId string, query string, ts long")


def test_search_follow_ups_window_query_view_and_one_per_search(spark):
    rows = [
        ("search", "u1", None, "mug", 0),
        ("click", "u1", "i1", None, 10 * MIN),  # follows the search at 0
        ("click", "u1", "i1", None, 20 * MIN),  # the same search and item: once
        ("view", "u1", "i2", None, 5 * MIN),  # a view is no choice
        ("purchase", "u1", "i4", None, 30 * MIN),  # at the window's edge: in
        ("add_to_cart", "u1", "i3", None, 31 * MIN),  # past it: out
        ("search", "u1", None, "cup", 60 * MIN),
        ("click", "u1", "i6", None, 65 * MIN),
        ("click", "u1", "i1", None, 70 * MIN),  # a new search: i1 again
        ("click", "u1", "i5", "plate", 200 * MIN),  # a click on a result carries its query: a search itself
        ("add_to_cart", "u1", "i5", None, 201 * MIN),  # the same search and item
        ("search", "u1", None, "bowl", 300 * MIN),
        ("click", "u1", "i7", None, 300 * MIN),  # the same millisecond as the search: at or before
        ("click", "u2", "i1", None, 10 * MIN),  # u2 never searched
        ("search", None, None, "mug", 0),  # anonymous: nobody to credit
        ("click", None, "i1", None, MIN),
    ]
    got = sorted(tuple(r) for r in baskets.search_follow_ups(events_df(spark, rows), 30).collect())
    assert got == [
        ("u1", "i1", 10 * MIN),
        ("u1", "i1", 70 * MIN),
        ("u1", "i4", 30 * MIN),
        ("u1", "i5", 200 * MIN),
        ("u1", "i6", 65 * MIN),
        ("u1", "i7", 300 * MIN),
    ]
    # Only the newest search counts: with a 3-minute window, i6 (5 min after the search at 60) is out.
    short = sorted(tuple(r) for r in baskets.search_follow_ups(events_df(spark, rows), 3).collect())
    assert short == [("u1", "i5", 200 * MIN), ("u1", "i7", 300 * MIN)]


AT = datetime(2026, 2, 1, 9, 0, 0, tzinfo=timezone.utc)


def event(n, type_, user, item=None, minutes=0, **extra):
    e = {"eventId": f"e{n}", "type": type_, "timestamp": (AT + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000Z")}
    if user is not None:
        e["userId"] = user
    if item is not None:
        e["itemId"] = item
    e.update(extra)
    return json.dumps(e)


def test_the_job_writes_complements_and_counts_follow_ups(spark, weights_path, tmp_path):
    root = str(tmp_path / "lake")
    lines, n = [], 0
    # Four shoppers buy a and b together, two buy c and d together; each also views what the others bought.
    for u in range(6):
        pair = ("a", "b") if u < 4 else ("c", "d")
        for item in pair:
            n += 1
            lines.append(event(n, "purchase", f"u{u}", item, minutes=u * 60, orderId=f"order-{u}"))
        for item in "abcdef":
            n += 1
            lines.append(event(n, "view", f"u{u}", item, minutes=u * 60 + 5))
    # A purchase without an orderId, an anonymous one and a restock give no basket of their own.
    lines.append(event(900, "purchase", "u0", "e", minutes=1))
    lines.append(event(901, "purchase", None, "f", minutes=1, orderId="order-anon", sessionId="s1"))
    # u5 searches and then clicks e (one follow-up), views f (none).
    lines.append(event(902, "search", "u5", minutes=400, query="ebook"))
    lines.append(event(903, "click", "u5", "e", minutes=410))
    lines.append(event(904, "view", "u5", "f", minutes=411))
    # The duplicate of a purchase (Firehose's at-least-once) must not count twice in a basket.
    lines.append(lines[0])
    write_object(root, AT, lines, "00000000-0000-4000-8000-000000000002")
    out = str(tmp_path / "models" / "20260301T000000Z-0badc0de")
    args = train_als.parse_args(
        ["--events", os.path.join(root, "raw/events"), "--out", out, "--config", weights_path,
         "--rank", "4", "--iterations", "2", "--partitions", "2", "--holdout-days", "7"]
    )
    manifest = train_als.run(spark, args)
    assert manifest["data"]["searchFollowUps"] == 1
    assert manifest["shapes"]["complements"] == 50
    assert "complements.jsonl" in manifest["files"]
    # Baskets: order-0..5 (N = 6, all paired). a, b: support 4, together 4; c, d: support 2, together 2.
    c = manifest["complements"]
    assert (c["baskets"], c["pairedBaskets"], c["items"], c["substituteTest"]) == (6, 6, 4, False)
    with open(os.path.join(out, "complements.jsonl"), encoding="utf-8") as f:
        got = [json.loads(line) for line in f]
    # Written as the TS trainer writes them: the float32 of the score, to 9 significant digits.
    ab, cd = float(np.float32(lift(4, 4, 4, n=6))), float(np.float32(lift(2, 2, 2, n=6)))
    assert [g["itemId"] for g in got] == ["a", "b", "c", "d"]
    assert got[0]["neighbours"] == [["b", pytest.approx(ab, abs=1e-9)]]
    assert got[3]["neighbours"] == [["c", pytest.approx(cd, abs=1e-9)]]
    # The follow-up adds weights.search (2) to u5's pair with e: view 1 + click 1 + 2; f was only viewed (twice).
    with open(os.path.join(out, "users.txt")) as f:
        users = f.read().split()
    with open(os.path.join(out, "items.txt")) as f:
        items = f.read().split()
    indptr = np.fromfile(os.path.join(out, "history.indptr.i32"), dtype="<i4")
    indices = np.fromfile(os.path.join(out, "history.indices.i32"), dtype="<i4")
    values = np.fromfile(os.path.join(out, "history.values.f32"), dtype="<f4")
    u = users.index("u5")
    row = dict(zip(indices[indptr[u] : indptr[u + 1]].tolist(), values[indptr[u] : indptr[u + 1]].tolist()))
    assert row[items.index("e")] == 4.0
    assert row[items.index("f")] == 2.0
