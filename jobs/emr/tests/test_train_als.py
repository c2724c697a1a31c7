"""The Spark job in local mode on small lakes generated here, in Firehose's layout."""

import glob
import gzip
import json
import math
import os
from collections import defaultdict
from datetime import datetime, timezone

import numpy as np
import pytest

import train_als
from generate_lake import generate, write_object

END = datetime(2026, 3, 1, tzinfo=timezone.utc)
BAD_AT = datetime(2026, 2, 10, 12, 0, 0, tzinfo=timezone.utc)

# Planted in one extra object: what each line must be counted as.
BAD_LINES = [
    ("this is not json", "malformed"),
    ("[1, 2, 3]", "malformed"),
    ('{"eventId": "b1", "type": "view", "userId": "u1", "timestamp": "2026-02-10T12:00:00Z"}', "malformed"),  # no itemId
    ('{"type": "view", "userId": "u1", "itemId": "sku-00001", "timestamp": "2026-02-10T12:00:00Z"}', "malformed"),  # no eventId
    ('{"eventId": "b2", "type": "purchase", "userId": "u1", "itemId": "sku-00001", "value": "two", "timestamp": "2026-02-10T12:00:00Z"}', "malformed"),  # value of the wrong type
    ('{"eventId": "b3", "type": "view", "userId": "u1", "itemId": "sku-00001", "timestamp": "yesterday"}', "malformed"),
    ('{"eventId": "b4", "type": "teleport", "userId": "u1", "itemId": "sku-00001", "timestamp": "2026-02-10T12:00:00Z"}', "unknownType"),
    ('{"eventId": "b5", "type": "view", "sessionId": "s1", "itemId": "sku-00001", "timestamp": "2026-02-10T12:00:00Z"}', "skipped"),  # no user
    ('{"eventId": "b6", "type": "search", "userId": "u000001", "query": "mug", "timestamp": "2026-02-10T12:00:00Z"}', "skipped"),  # no item: weighs nothing here
]


def read_lake_lines(root):
    out = []
    for path in sorted(glob.glob(os.path.join(root, "raw/events/**/*.gz"), recursive=True)):
        with gzip.open(path, "rt", encoding="utf-8") as f:
            out.extend(line.rstrip("\n") for line in f)
    return out


def reference_confidences(lines, cfg):
    """A plain-Python restatement of buildInteractions for events of the generated lake (no decay)."""
    seen, conf = set(), defaultdict(float)
    for line in lines:
        try:
            e = json.loads(line)
        except ValueError:
            continue
        if not isinstance(e, dict) or "eventId" not in e or e.get("type") not in cfg.weights:
            continue
        if not isinstance(e.get("value", 0), (int, float)) or "itemId" not in e or "userId" not in e:
            continue
        if e["timestamp"] == "yesterday" or e["eventId"] in seen:
            continue
        seen.add(e["eventId"])
        w = 0 if e["type"] == "search" else cfg.weights[e["type"]]
        if w == 0:
            continue
        conf[(e["userId"], e["itemId"])] += w
    return {k: v for k, v in conf.items() if v > 0}


@pytest.fixture(scope="module")
def trained(spark, weights_path, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("lake"))
    generate(root, events=6000, users=240, items=120, days=40, seed=3, end=END)
    lines = read_lake_lines(root)
    # Firehose delivers at least once: two events arrive again in a later object.
    dupes = lines[10:12]
    write_object(root, BAD_AT, [line for line, _ in BAD_LINES] + dupes, "00000000-0000-4000-8000-000000000001")
    out = os.path.join(str(tmp_path_factory.mktemp("models")), "20260301T000000Z-0badc0de")
    args = train_als.parse_args(
        ["--events", os.path.join(root, "raw/events"), "--out", out, "--config", weights_path,
         "--rank", "8", "--iterations", "5", "--partitions", "2", "--holdout-days", "7"]
    )
    manifest = train_als.run(spark, args)
    return {"root": root, "out": out, "manifest": manifest, "generated": len(lines)}


def f32(path):
    return np.fromfile(path, dtype="<f4")


def i32(path):
    return np.fromfile(path, dtype="<i4")


def test_the_artifact_is_complete_and_its_shapes_match(trained):
    out, m = trained["out"], trained["manifest"]
    on_disk = json.load(open(os.path.join(out, "manifest.json")))
    assert on_disk == m
    assert m["schemaVersion"] == 1 and m["engine"] == "spark" and m["version"] == "20260301T000000Z-0badc0de"
    for name in m["files"]:
        assert os.path.isfile(os.path.join(out, name)), name
    listed = set(m["files"])
    for dirpath, _, names in os.walk(out):
        for n in names:
            assert os.path.relpath(os.path.join(dirpath, n), out) in listed, f"unlisted file {n}"
    s = m["shapes"]
    users = open(os.path.join(out, "users.txt")).read().splitlines()
    items = open(os.path.join(out, "items.txt")).read().splitlines()
    assert len(users) == s["users"] == m["data"]["users"] and len(set(users)) == len(users)
    assert len(items) == s["items"] == m["data"]["items"] and len(set(items)) == len(items)
    indptr = i32(os.path.join(out, "history.indptr.i32"))
    indices = i32(os.path.join(out, "history.indices.i32"))
    values = f32(os.path.join(out, "history.values.f32"))
    assert indptr.shape == (s["users"] + 1,) and indptr[0] == 0 and indptr[-1] == s["historyNnz"]
    assert indices.shape == values.shape == (s["historyNnz"],)
    assert (np.diff(indptr) > 0).all()  # every user has at least one positive pair
    for u in range(s["users"]):
        row = indices[indptr[u] : indptr[u + 1]]
        assert (np.diff(row) > 0).all() and row.max() < s["items"]
    assert (values > 0).all()
    assert f32(os.path.join(out, "popularity.f32")).shape == (s["items"],)
    assert f32(os.path.join(out, "user-factors.f32")).shape == (s["users"] * s["rank"],)
    assert f32(os.path.join(out, "item-factors.f32")).shape == (s["items"] * s["rank"],)
    trending = json.load(open(os.path.join(out, "trending.json")))
    assert set(trending["windows"]) == {"1h", "24h", "7d"} and trending["windows"]["7d"]


def test_history_matches_a_plain_python_restatement_of_the_weights(trained, weights_path):
    out = trained["out"]
    cfg = train_als.parse_weights_config(open(weights_path).read())
    want = reference_confidences(read_lake_lines(trained["root"]), cfg)
    users = open(os.path.join(out, "users.txt")).read().splitlines()
    items = open(os.path.join(out, "items.txt")).read().splitlines()
    indptr = i32(os.path.join(out, "history.indptr.i32"))
    indices = i32(os.path.join(out, "history.indices.i32"))
    values = f32(os.path.join(out, "history.values.f32"))
    got = {}
    for u, uid in enumerate(users):
        for p in range(indptr[u], indptr[u + 1]):
            got[(uid, items[indices[p]])] = float(values[p])
    assert got.keys() == want.keys()
    for k, v in want.items():
        assert math.isclose(got[k], v, rel_tol=1e-6), k
    pop = f32(os.path.join(out, "popularity.f32"))
    per_item = defaultdict(int)
    for _, it in want:
        per_item[it] += 1
    assert [per_item[it] for it in items] == pop.astype(int).tolist()


def test_bad_lines_and_duplicates_are_counted_and_skipped(trained):
    d = trained["manifest"]["data"]
    kinds = [k for _, k in BAD_LINES]
    assert d["malformed"] == kinds.count("malformed")
    assert d["unknownTypes"] == kinds.count("unknownType")
    assert d["duplicates"] == 2
    assert d["skipped"] == kinds.count("skipped")
    assert d["events"] == trained["generated"] + len(BAD_LINES) + 2
    assert d["source"].startswith("lake:")
    assert d["from"] < d["to"]


def read_parts(out, name):
    parts = sorted(glob.glob(os.path.join(out, name, "part-*.jsonl")))
    assert parts and [os.path.basename(p) for p in parts] == [f"part-{k:05d}.jsonl" for k in range(len(parts))]
    rows = []
    for p in parts:
        lines = open(p).read().splitlines()
        assert len(lines) <= 10_000
        rows.extend(json.loads(line) for line in lines)
    return rows


def test_recommendations_cover_every_user_and_exclude_training_items(trained):
    out, s = trained["out"], trained["manifest"]["shapes"]
    users = open(os.path.join(out, "users.txt")).read().splitlines()
    items = open(os.path.join(out, "items.txt")).read().splitlines()
    indptr = i32(os.path.join(out, "history.indptr.i32"))
    indices = i32(os.path.join(out, "history.indices.i32"))
    rows = read_parts(out, "recommendations")
    assert sorted(r["userId"] for r in rows) == sorted(users)
    index = {u: k for k, u in enumerate(users)}
    for r in rows:
        u = index[r["userId"]]
        own = {items[j] for j in indices[indptr[u] : indptr[u + 1]]}
        got = [i for i, _ in r["items"]]
        assert len(got) == min(50, len(items) - len(own)), r["userId"]
        assert not own & set(got) and len(set(got)) == len(got)
        scores = [sc for _, sc in r["items"]]
        assert scores == sorted(scores, reverse=True)


def test_recommendations_are_the_exact_top_50_of_the_written_factors(trained):
    # A plain restatement: every item scored by the dot product of the factor files, own items removed.
    out, rank = trained["out"], trained["manifest"]["shapes"]["rank"]
    users = open(os.path.join(out, "users.txt")).read().splitlines()
    items = open(os.path.join(out, "items.txt")).read().splitlines()
    uf = f32(os.path.join(out, "user-factors.f32")).reshape(len(users), rank)
    itf = f32(os.path.join(out, "item-factors.f32")).reshape(len(items), rank)
    indptr = i32(os.path.join(out, "history.indptr.i32"))
    indices = i32(os.path.join(out, "history.indices.i32"))
    index = {u: k for k, u in enumerate(users)}
    for r in read_parts(out, "recommendations"):
        u = index[r["userId"]]
        s = itf.astype(np.float64) @ uf[u].astype(np.float64)
        s[indices[indptr[u] : indptr[u + 1]]] = -np.inf
        want = s[np.argsort(-s, kind="stable")[: len(r["items"])]]
        got = np.array([sc for _, sc in r["items"]])
        # The 50th and 51st may swap on a float32 tie; the scores themselves must be the best ones.
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5)


def test_neighbours_are_top_50_cosine_without_self(trained):
    out = trained["out"]
    items = open(os.path.join(out, "items.txt")).read().splitlines()
    rank = trained["manifest"]["shapes"]["rank"]
    y = f32(os.path.join(out, "item-factors.f32")).reshape(len(items), rank).astype(np.float64)
    y /= np.linalg.norm(y, axis=1, keepdims=True)
    lines = [json.loads(x) for x in open(os.path.join(out, "neighbours.jsonl")).read().splitlines()]
    assert len(lines) == len(items)
    index = {it: k for k, it in enumerate(items)}
    for line in lines[:20]:
        j = index[line["itemId"]]
        sims = y @ y[j]
        sims[j] = -np.inf
        want = [items[k] for k in np.argsort(-sims, kind="stable")[:50] if sims[k] > 0]
        got = [n for n, _ in line["neighbours"]]
        assert line["itemId"] not in got and len(got) == len(want)
        # Ties at float32 precision may swap neighbours of equal score; compare the score lists.
        assert np.allclose([sc for _, sc in line["neighbours"]], sorted(sims[[index[n] for n in got]], reverse=True), atol=1e-5)
        assert len(set(got) ^ set(want)) <= 2


def test_holdout_lists_follow_the_temporal_split(trained):
    out, m = trained["out"], trained["manifest"]
    assert m["validation"]["split"] == "temporal:7d" and m["validation"]["k"] == 10 and m["validation"]["holdoutK"] == 50
    rows = read_parts(out, "holdout")
    assert len(rows) == m["validation"]["users"] > 20
    assert sum(len(r["relevant"]) for r in rows) == m["validation"]["pairs"]
    for r in rows:
        assert r["relevant"] and 10 <= len(r["recommended"]) <= 50 and 10 <= len(r["baseline"]) <= 50
        assert len(set(r["recommended"])) == len(r["recommended"]) and len(set(r["baseline"])) == len(r["baseline"])



def test_weights_rules_veto_ratings_and_negatives(spark):
    cfg = train_als.parse_weights_config(open(os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "model", "event-weights.json")).read())
    rows = [
        ("e1", "purchase", "a", "x", None, 1000),
        ("e2", "not_interested", "a", "x", None, 2000),  # veto wins over the purchase
        ("e3", "add_to_cart", "a", "y", 2.0, 1000),
        ("e4", "remove_from_cart", "a", "y", 1.0, 2000),  # 3 - 2 = 1 stays
        ("e5", "view", "a", "z", None, 1000),
        ("e6", "return", "a", "z", 1.0, 2000),  # 1 - 5 < 0: dropped
        ("e7", "rating", "b", "x", 5.0, 1000),  # +4
        ("e8", "rating", "b", "y", 1.0, 1000),  # 4 * (1 - 2.5) / 2.5 = -2.4: dropped
    ]
    df = spark.createDataFrame(rows, "eventId string, type string, userId string, itemId string, value double, ts long")
    got = {(r["userId"], r["itemId"]): r["conf"] for r in train_als.confidences(train_als.weighted(df, cfg)).collect()}
    assert got == {("a", "y"): 1.0, ("b", "x"): 4.0}


def test_a_model_choice_spark_does_not_train_fails_before_spark_starts_naming_the_threshold(tmp_path):
    argv = ["--events", str(tmp_path), "--out", str(tmp_path / "out"), "--config", "w.json"]
    with pytest.raises(SystemExit, match=r"--model ease is not trained by the Spark job \(it trains als and auto\).*singleNodeTrainingMaxBytes"):
        train_als.main(argv + ["--model", "ease"])
    assert not (tmp_path / "out").exists()
    for choice in ("als", "auto"):
        train_als.check_model(train_als.parse_args(argv + ["--model", choice]).model)


def test_config_rejects_a_missing_weight():
    with pytest.raises(train_als.ConfigError, match="weight of"):
        train_als.parse_weights_config(json.dumps({"weights": {"view": 1}}))


def test_decay_halves_at_the_half_life(spark):
    df = spark.createDataFrame([("a", "x", 1.0, 0), ("a", "y", 1.0, 10 * 86_400_000)], "userId string, itemId string, w double, ts long")
    got = {r["itemId"]: r["w"] for r in train_als.decay(df, 10.0, 10 * 86_400_000).collect()}
    assert math.isclose(got["x"], 0.5) and got["y"] == 1.0


def test_top_k_rows_is_the_exact_top_k_with_ties_to_the_lower_index():
    # A plain restatement: every finite score sorted by (score desc, column asc), the first k kept.
    rng = np.random.default_rng(5)
    for trial in range(200):
        b, n, k = int(rng.integers(1, 12)), int(rng.integers(1, 300)), int(rng.integers(1, 60))
        s = rng.standard_normal((b, n)).astype(np.float32)
        if trial % 2 == 0:
            s = np.round(s, 1)  # many ties, also at the k-th place
        s[rng.random((b, n)) < rng.random()] = -np.inf  # excluded items
        rows, cols, vals = train_als.top_k_rows(s, k)
        for r in range(b):
            want = sorted((c for c in range(n) if np.isfinite(s[r, c])), key=lambda c: (-s[r, c], c))[:k]
            assert cols[rows == r].tolist() == want, (trial, r)
            assert vals[rows == r].tolist() == s[r, want].tolist()


def test_a_forgotten_shoppers_events_up_to_the_tombstone_are_not_trained_on(spark, weights_path, tmp_path):
    # Prepare: a small lake, and a tombstone for one shopper after all his events (raw/users/, as DELETE writes it)
    root = str(tmp_path / "lake")
    generate(root, events=1500, users=40, items=30, days=20, seed=5, end=END)
    lines = [json.loads(line) for line in read_lake_lines(root)]
    forgotten = lines[0]["userId"]
    theirs = sum(1 for e in lines if e.get("userId") == forgotten)
    tombstone = {"userId": forgotten, "tombstone": True, "forgottenAt": "2026-03-02T00:00:00.000Z"}
    users_dir = os.path.join(root, "raw/users/year=2026/month=03/day=02")
    os.makedirs(users_dir)
    with gzip.open(os.path.join(users_dir, "recsys-users-1-2026-03-02-00-00-00-t1.gz"), "wt", encoding="utf-8") as f:
        f.write(json.dumps(tombstone) + "\n")
    out = str(tmp_path / "models" / "20260302T000000Z-0f0f0f0f")
    args = train_als.parse_args(
        ["--events", os.path.join(root, "raw/events"), "--out", out, "--config", weights_path,
         "--rank", "4", "--iterations", "2", "--partitions", "2", "--holdout-days", "5"]
    )

    # Act
    manifest = train_als.run(spark, args)

    # Assess: every event of the shopper dropped (the manifest counts them), and no row of his in the model
    assert manifest["data"]["forgotten"] == theirs > 0
    with open(os.path.join(out, "users.txt"), encoding="utf-8") as f:
        users = f.read().split("\n")
    assert forgotten not in users
    assert len([u for u in users if u]) == manifest["data"]["users"]


def test_cg_solve_reaches_the_exact_implicit_als_least_squares():
    # A plain restatement: per row, A = YᵀY + Σ_i alpha·r_i y_i y_iᵀ + reg·n·I and b = Σ_i (1 + alpha·r_i) y_i,
    # solved exactly; CG with as many steps as the rank must land on it (a row with no items keeps its factors).
    rng = np.random.default_rng(3)
    n_rows, n_cols, k, reg, alpha = 60, 40, 6, 0.05, 2.0
    counts = rng.integers(0, 30, n_rows)
    counts[7] = 0
    indptr = np.concatenate([[0], np.cumsum(counts)])
    idx = np.concatenate([np.sort(rng.choice(n_cols, c, replace=False)) for c in counts]).astype(np.int64)
    r = rng.random(len(idx)).astype(np.float32) + 0.1
    y = rng.standard_normal((n_cols, k)).astype(np.float32)
    x0 = rng.standard_normal((n_rows, k)).astype(np.float32)
    gram = y.T @ y
    got = train_als.cg_solve(train_als.cg_chunks(indptr, idx, r, n_cols), y, gram, reg, alpha, x0, steps=k + 4)
    for u in range(n_rows):
        cols, ru = idx[indptr[u] : indptr[u + 1]], r[indptr[u] : indptr[u + 1]].astype(np.float64)
        if len(cols) == 0:
            assert got[u].tolist() == x0[u].tolist()
            continue
        yu = y[cols].astype(np.float64)
        a = gram + (yu.T * (alpha * ru)) @ yu + reg * len(cols) * np.eye(k)
        want = np.linalg.solve(a, ((1 + alpha * ru)[:, None] * yu).sum(axis=0))
        assert np.allclose(got[u], want, rtol=1e-3, atol=1e-4), u


def test_als_checkpoints_give_the_same_factors_and_blocks_cover_every_id(spark, tmp_path):
    # 30 users × 11 items in 3 blocks each (uneven sizes), fitted with and without checkpoints of the factors.
    rng = np.random.default_rng(8)
    pairs = {(f"u{u:02d}", f"i{i:02d}") for u in range(30) for i in rng.choice(11, 4, replace=False)}
    conf = spark.createDataFrame([(u, i, float(rng.integers(1, 5))) for u, i in sorted(pairs)], "userId string, itemId string, conf double")
    m = train_als.build_matrix(spark, conf, 3)
    p = train_als.AlsParams(rank=4, iterations=3, partitions=3, seed=1)
    plain = train_als.fit_als(m, p)
    spark.sparkContext.setCheckpointDir(str(tmp_path / "ckpt"))
    p.checkpoint_every = 2
    checkpointed = train_als.fit_als(m, p)
    a, b = plain.item_matrix(m.n_items, 4), checkpointed.item_matrix(m.n_items, 4)
    assert a.shape == (11, 4) and np.all(np.linalg.norm(a, axis=1) > 0)
    assert np.array_equal(a, b)
    users = np.concatenate(list(checkpointed.user_chunks()))
    assert users.shape == (30, 4) and np.array_equal(users, np.concatenate(list(plain.user_chunks())))
