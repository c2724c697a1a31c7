"""The near-substitute test of the Spark job's complements (baskets.py: read_catalog, content_vectors,
substitute_pairs) on hand-made catalogs with known TF-IDF weights, top-50 ranks and excluded pairs."""

import gzip
import json
import math
import os
from datetime import datetime, timezone

import pytest

import baskets
import train_als
from generate_lake import write_object

AT = datetime(2026, 3, 1, tzinfo=timezone.utc)


def write_items(root, name, rows):
    """One object of the items zone (raw/items/…, gzip JSON lines); `rows` are dicts or raw line strings."""
    path = os.path.join(root, "raw", "items", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write((r if isinstance(r, str) else json.dumps(r)) + "\n")


def test_read_catalog_keeps_the_latest_valid_line_per_item(spark, tmp_path):
    root = str(tmp_path)
    write_items(root, "a-1.gz", [
        {"itemId": "x", "title": "Old", "updatedAt": "2026-01-02T00:00:00Z"},
        {"itemId": "y", "title": "Untimed first"},
        {"itemId": "z", "title": "Tie first", "updatedAt": "2026-01-01T00:00:00Z"},
    ])
    write_items(root, "b-2.gz", [
        {"itemId": "x", "title": "Older", "updatedAt": "2026-01-01T00:00:00Z"},  # older: ignored
        {"itemId": "x", "title": 7, "updatedAt": "2026-02-01T00:00:00Z"},  # malformed: not a string title
        "not json",
        {"itemId": "y", "title": "Untimed second"},  # unknown times: the later line
        {"itemId": "z", "title": "Tie second", "updatedAt": "2026-01-01T00:00:00Z"},  # a tie: the later line
        {"itemId": "w", "title": "Timed", "updatedAt": "2026-01-01T00:00:00Z"},
        {"itemId": "w", "title": "Untimed after a timed one"},  # a known time beats an unknown one
    ])
    got = {r["itemId"]: r["title"] for r in baskets.read_catalog(spark, os.path.join(root, "raw/items")).collect()}
    assert got == {"x": "Old", "y": "Untimed second", "z": "Tie second", "w": "Timed"}
    assert baskets.read_catalog(spark, os.path.join(root, "raw/none")) is None


def test_content_vectors_are_content_ts_tf_idf(spark):
    catalog = spark.createDataFrame(
        [("p", "Café-Crème 2x the X", "café, again", ["Kitchen"], "ACME"), ("q", "Crème", None, None, None)],
        "itemId string, title string, description string, categories array<string>, brand string",
    )
    # r is a model item without a catalog line: it counts in N (3) and has no terms.
    items = spark.createDataFrame([("p", 0), ("q", 1), ("r", 2)], "itemId string, idx int")
    got = {(r["i"], r["term"]): r["w"] for r in baskets.content_vectors(spark, catalog, items, 3).collect()}
    n = 3
    # p: café 2 (title) + 1 (description) = 3, crème 2, 2x 2, again 1, cat:kitchen 1, brand:acme 1; "the" is a stop
    # word and "x" too short. crème is in both documents.
    raw = {
        "café": (1 + math.log(3)) * math.log(n / 1),
        "crème": (1 + math.log(2)) * math.log(n / 2),
        "2x": (1 + math.log(2)) * math.log(n / 1),
        "again": math.log(n),
        "cat:kitchen": math.log(n),
        "brand:acme": math.log(n),
    }
    norm = math.sqrt(sum(v * v for v in raw.values()))
    assert {t for (i, t) in got if i == 0} == set(raw)
    for t, v in raw.items():
        assert got[(0, t)] == pytest.approx(v / norm, abs=1e-12)
    assert got[(1, "crème")] == pytest.approx(1.0, abs=1e-12)


def vectors_df(spark, rows):
    return spark.createDataFrame([(i, t, float(w)) for i, vec in rows.items() for t, w in vec.items()], "i int, term string, w double")


def pairs_of(found):
    df, n = found
    got = sorted((r["a"], r["b"]) for r in df.collect())
    assert n == len(got)
    return got


def test_the_test_is_on_the_top_50_rows_either_way(spark):
    # 0 and 1 are at cosine 0.8. With 49 clones of 0 (cosine 1), 1 is 50th in 0's row: a substitute.
    near = {0: {"t": 1.0}, 1: {"t": 0.8, "u": 0.6}, **{j: {"t": 1.0} for j in range(2, 51)}}
    cand = spark.createDataFrame([(0, 1), (1, 0)], "a int, b int")
    assert pairs_of(baskets.substitute_pairs(cand, vectors_df(spark, near), 0.5)) == [(0, 1), (1, 0)]
    # One more clone of 0 pushes 1 out of 0's row; 50 clones of 1 push 0 out of 1's: neither row holds the other.
    far = {**near, 51: {"t": 1.0}, **{j: {"t": 0.8, "u": 0.6} for j in range(52, 102)}}
    assert pairs_of(baskets.substitute_pairs(cand, vectors_df(spark, far), 0.5)) == []
    # Without the clones of 1, 0 is first in 1's row (tied at 0.8 with the clones of 0, the lower index): either way.
    one_way = {**near, 51: {"t": 1.0}}
    assert pairs_of(baskets.substitute_pairs(cand, vectors_df(spark, one_way), 0.5)) == [(0, 1), (1, 0)]
    # Below the threshold: kept, whatever the ranks.
    assert pairs_of(baskets.substitute_pairs(cand, vectors_df(spark, near), 0.81)) == []


def purchase(n, user, item, order, minutes):
    ts = datetime.fromtimestamp(AT.timestamp() + minutes * 60, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return json.dumps({"eventId": f"e{n}", "type": "purchase", "userId": user, "itemId": item, "orderId": order,
                       "value": 1, "timestamp": ts, "receivedAt": ts})


def test_the_job_leaves_the_pink_bag_out_of_the_red_bags_complements(spark, weights_path, tmp_path):
    root = str(tmp_path / "lake")
    baskets_ = [["bag-red", "bag-pink"]] * 4 + [["bag-red", "mug"]] * 4 + [[f"f{j}"] for j in range(16)]
    lines = [purchase(f"{b}-{t}", f"u{b}", item, f"o{b}", b) for b, basket in enumerate(baskets_) for t, item in enumerate(basket)]
    write_object(root, AT, lines, "00000000-0000-4000-8000-000000000003")
    bag = {"description": "A roomy tote", "categories": ["Bags"], "brand": "Acme"}
    write_items(root, "items-1.gz", [
        {"itemId": "bag-red", "title": "Leather Tote Bag Red", **bag},
        {"itemId": "bag-pink", "title": "Leather Tote Bag Pink", **bag},
        {"itemId": "mug", "title": "Ceramic Coffee Mug", "categories": ["Kitchen"]},
        *({"itemId": f"f{j}", "title": f"Filler {j:02d}"} for j in range(16)),
    ])

    def train(extra):
        out = str(tmp_path / "models" / f"20260301T00000{len(extra)}Z-0badc0de")
        args = train_als.parse_args(
            ["--events", os.path.join(root, "raw/events"), "--out", out, "--config", weights_path, *extra,
             "--rank", "4", "--iterations", "2", "--partitions", "2", "--holdout-days", "7"])
        manifest = train_als.run(spark, args)
        with open(os.path.join(out, "complements.jsonl"), encoding="utf-8") as f:
            rows = {g["itemId"]: [b for b, _ in g["neighbours"]] for g in map(json.loads, f)}
        return manifest["complements"], rows

    stats, rows = train(["--items", os.path.join(root, "raw/items")])
    assert rows == {"bag-red": ["mug"], "mug": ["bag-red"]}
    assert stats["substitutesExcluded"] == 2 and "substituteTest" not in stats
    stats, rows = train([])
    assert rows == {"bag-red": ["bag-pink", "mug"], "bag-pink": ["bag-red"], "mug": ["bag-red"]}
    assert (stats["substitutesExcluded"], stats["substituteTest"]) == (0, False)
