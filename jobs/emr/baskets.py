"""Baskets and searches for the Spark job (train_als.py): the "bought together" complements and the search
follow-ups, with the TypeScript trainer's definitions (shared/model/co-purchase.ts,
shared/training/search-interest.ts; docs/training.md, "Baskets and searches").

Shipped beside train_als.py (spark-submit --py-files): EMR's driver imports it from there. DataFrame operations
only, so executors never need to import it; only the per-item top-k rows of the complements reach the driver.
Python 3.9 (EMR 7.x): no 3.10+ syntax.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np
from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F

# COMPLEMENT_DEFAULTS of shared/model/co-purchase.ts: the TS trainer's values, which it takes from no config.
COMPLEMENTS_PER_ITEM = 50
SHRINKAGE = 2.0
MIN_COUNT = 2
MAX_BASKET_ITEMS = 100
SUBSTITUTE_SIMILARITY = 0.5

# FOLLOW_UP_TYPES of shared/training/search-interest.ts: a view proves no choice.
FOLLOW_UP_TYPES = ("click", "add_to_cart", "purchase")
SEARCH_WINDOW_MINUTES = 30


# ---------------------------------------------------------------------------------------------- searches


def search_follow_ups(events: DataFrame, window_minutes: float) -> DataFrame:
    """The `search` interactions for items chosen after a search: one per (shopper, item, search), the search
    being the shopper's newest at or before the event and at most `window_minutes` older. A follow-up-type event
    that carries a `query` is itself such a search (a click on a result). Timed at the earliest event that
    followed the search. `events`: deduplicated valid events with type, userId, itemId, query, ts.
    Returns userId, itemId, ts."""
    signed_in = F.col("userId").isNotNull()
    chosen = events.where(signed_in & F.col("type").isin(*FOLLOW_UP_TYPES) & F.col("itemId").isNotNull())
    searches = events.where(signed_in & (F.col("type") == "search")).select("userId", "ts").unionByName(
        chosen.where(F.col("query").isNotNull()).select("userId", "ts")
    )
    # Only shoppers who searched are sorted by time: on a lake without searches this is one filter pass.
    searchers = searches.select("userId").distinct()
    # kind 0 sorts a search before an event at the same millisecond: "at or before", as lastSearchAtOrBefore.
    timeline = searches.select("userId", F.lit(None).cast("string").alias("itemId"), "ts", F.lit(0).alias("kind")).unionByName(
        chosen.join(searchers, "userId", "left_semi").select("userId", "itemId", "ts", F.lit(1).alias("kind"))
    )
    upto = Window.partitionBy("userId").orderBy("ts", "kind").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    window_ms = int(round(window_minutes * 60_000))
    return (
        timeline.withColumn("search", F.max(F.when(F.col("kind") == 0, F.col("ts"))).over(upto))
        .where((F.col("kind") == 1) & F.col("search").isNotNull() & (F.col("ts") - F.col("search") <= window_ms))
        .groupBy("userId", "itemId", "search")
        .agg(F.min("ts").alias("ts"))
        .select("userId", "itemId", "ts")
    )


# ---------------------------------------------------------------------------------------------- baskets


@dataclass
class Complements:
    """Per-item top-k complement rows (a, b, score, rank) and the manifest's `complements` block."""

    rows: DataFrame
    stats: Dict[str, object]


def basket_items(events: DataFrame, items: DataFrame) -> DataFrame:
    """orderId, i: the distinct model items of each basket (basketsOf: signed-in purchases with an orderId,
    items the model knows). `items`: itemId, idx."""
    purchases = events.where(
        (F.col("type") == "purchase")
        & F.col("userId").isNotNull()
        & F.col("orderId").isNotNull()
        & (F.col("orderId") != "")
    )
    return purchases.join(items, "itemId").select("orderId", F.col("idx").alias("i")).distinct()


def train_complements(
    members: DataFrame,
    k: int = COMPLEMENTS_PER_ITEM,
    shrinkage: float = SHRINKAGE,
    min_count: int = MIN_COUNT,
    max_basket_items: int = MAX_BASKET_ITEMS,
    substitute_similarity: float = SUBSTITUTE_SIMILARITY,
    vectors: Optional[DataFrame] = None,
) -> Optional[Complements]:
    """trainComplements: b complements a when ln((c + α) / (E + α)) > 0 with c ≥ min_count, c the paired baskets
    holding both, E = s_a · s_b / N (s: baskets holding the item, N: all baskets, unpaired ones included); the
    top k per a, ties to the lower index. None when there is no basket. `members`: orderId, i (basket_items).
    With `vectors` (content_vectors of the catalog), near-substitute candidates are left out before the top k."""
    sizes = members.groupBy("orderId").agg(F.count("*").alias("size")).persist()
    counts = sizes.agg(
        F.count("*").alias("n"),
        F.count(F.when((F.col("size") >= 2) & (F.col("size") <= max_basket_items), 1)).alias("paired"),
    ).first()
    n, paired = int(counts["n"]), int(counts["paired"])
    if n == 0:
        sizes.unpersist()
        return None
    support = members.groupBy("i").agg(F.count("*").alias("s"))
    # Restocks count towards N and the supports (above) but give no pairs.
    in_paired = members.join(
        sizes.where((F.col("size") >= 2) & (F.col("size") <= max_basket_items)), "orderId", "left_semi"
    )
    x, y = in_paired.alias("x"), in_paired.alias("y")
    pairs = (
        x.join(y, F.col("x.orderId") == F.col("y.orderId"))
        .where(F.col("x.i") != F.col("y.i"))
        .groupBy(F.col("x.i").alias("a"), F.col("y.i").alias("b"))
        .agg(F.count("*").alias("c"))
        .where(F.col("c") >= min_count)
    )
    sa = support.select(F.col("i").alias("a"), F.col("s").alias("sa"))
    sb = support.select(F.col("i").alias("b"), F.col("s").alias("sb"))
    # The TS arithmetic in the same order: E = (s_a · s_b) / N in float64, then ln of the shrunk ratio.
    expected = (F.col("sa") * F.col("sb")).cast("double") / F.lit(float(n))
    score = F.log((F.col("c").cast("double") + shrinkage) / (expected + shrinkage))
    scored = pairs.join(sa, "a").join(sb, "b").select("a", "b", score.alias("score")).where(F.col("score") > 0)
    excluded = 0
    if vectors is not None:
        # Checkpointed: the test joins it with the vectors five ways, and the plans of both inputs' lineage
        # (events, ALS, catalog) repeated in each would print (AQE's plan updates) past a 1 GB driver's heap.
        scored = scored.localCheckpoint()
        out, excluded = substitute_pairs(scored.select("a", "b"), vectors, substitute_similarity)
        scored = scored.join(out, ["a", "b"], "left_anti")
    best = Window.partitionBy("a").orderBy(F.col("score").desc(), F.col("b"))
    rows = scored.withColumn("rank", F.row_number().over(best)).where(F.col("rank") <= k).persist()
    with_rows = rows.select("a").distinct().count()
    sizes.unpersist()
    if vectors is not None:
        out.unpersist()
    stats = {
        "baskets": n,
        "pairedBaskets": paired,
        "items": with_rows,
        "shrinkage": shrinkage,
        "minCount": min_count,
        "maxBasketItems": max_basket_items,
        "substituteSimilarity": substitute_similarity,
        "substitutesExcluded": excluded,
        # Without a catalog there is nothing to test (the TS trainer then has no content neighbours and excludes
        # none either); the manifest says so.
        **({} if vectors is not None else {"substituteTest": False}),
    }
    return Complements(rows, stats)


def f32(x: float) -> float:
    """The score as the TS trainer writes it: stored as float32 (its Neighbours rows), printed with 9 significant
    digits (artifact.ts f32), which round-trips the float32."""
    return float(f"{float(np.float32(x)):.9g}")


def complement_lines(rows: DataFrame, item_ids: List[str]) -> Iterator[str]:
    """complements.jsonl: one line per item with complements, in item index order, best first (the
    neighbours.jsonl format, shared/model/artifact.ts neighbourLines). Streams the top-k rows in order."""
    current, pairs = -1, []
    for r in rows.select("a", "b", "score", "rank").orderBy("a", "rank").toLocalIterator(prefetchPartitions=True):
        if r["a"] != current:
            if pairs:
                yield json.dumps({"itemId": item_ids[current], "neighbours": pairs}, separators=(",", ":")) + "\n"
            current, pairs = r["a"], []
        pairs.append([item_ids[r["b"]], f32(r["score"])])
    if pairs:
        yield json.dumps({"itemId": item_ids[current], "neighbours": pairs}, separators=(",", ":")) + "\n"


def window_minutes_of(doc: dict) -> float:
    """searchWindowMinutes of event-weights.json (the TS default when absent)."""
    v = doc.get("searchWindowMinutes", SEARCH_WINDOW_MINUTES)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v) or v < 0:
        raise ValueError(f"event-weights.json: searchWindowMinutes must be a non-negative number, got {v!r}")
    return float(v)


def substitute_similarity_of(doc: dict) -> float:
    """complementSubstituteSimilarity of event-weights.json, recorded in the manifest as the TS trainer does."""
    v = doc.get("complementSubstituteSimilarity", SUBSTITUTE_SIMILARITY)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v):
        raise ValueError(f"event-weights.json: complementSubstituteSimilarity must be a number, got {v!r}")
    return float(v)


# ---------------------------------------------------------------------------------------------- near-substitutes

# trainContent's row length and the stop words of content.ts tokens().
CONTENT_NEIGHBOURS = 50
STOP_WORDS = frozenset("a an and are as at be by for from in is it of on or the to with set pack size".split())
CATALOG_ROW = "itemId string, updatedAt string, file string, pos long, title string, description string, categories array<string>, brand string"
# Two float64 cosines closer than this are a tie: Spark sums a pair's products in no fixed order.
TIE = 1e-12


def _catalog_parser():
    """createCatalogCollector's admission of a line: a JSON object with a string itemId and a string title.
    Nested, so that it is pickled by value and executors need not import this module."""

    def parse(rows):
        import json as _json

        for r in rows:
            try:
                v = _json.loads(r.value)
            except ValueError:
                continue
            if not isinstance(v, dict) or not isinstance(v.get("itemId"), str) or not isinstance(v.get("title"), str):
                continue
            at, desc, cats, brand = v.get("updatedAt"), v.get("description"), v.get("categories"), v.get("brand")
            yield (v["itemId"], at if isinstance(at, str) else None, r.file, r.pos, v["title"],
                   desc if isinstance(desc, str) else None,
                   [c for c in cats if isinstance(c, str)] if isinstance(cats, list) else None,
                   brand if isinstance(brand, str) else None)

    return parse


def read_catalog(spark, path: str) -> Optional[DataFrame]:
    """The catalog as the TS trainer reads the items zone (shared/training/events.ts createCatalogCollector):
    per item the line with the latest updatedAt, ties and unknown times to the later line in arrival order
    (keys sorted, then line order), a line with a known time always beating one without. itemId, title,
    description, categories, brand; None when the zone does not exist or holds no valid line."""
    if ("://" not in path or path.startswith("file://")) and not os.path.isdir(path[len("file://"):] if path.startswith("file://") else path):
        return None
    try:
        lines = (
            spark.read.option("recursiveFileLookup", "true").option("pathGlobFilter", "*.gz")
            .option("ignoreCorruptFiles", "true").text(path)
        )
    except Exception as e:  # an S3 prefix with no object
        if "Path does not exist" in str(e):
            return None
        raise
    # A .gz object is one partition, read in line order: (file, id) is the arrival order.
    lines = lines.select("value", F.input_file_name().alias("file"), F.monotonically_increasing_id().alias("pos"))
    rows = spark.createDataFrame(lines.rdd.mapPartitions(_catalog_parser()), CATALOG_ROW)
    at = F.col("at")
    latest = Window.partitionBy("itemId").orderBy(at.isNotNull().desc(), at.desc(), F.col("file").desc(), F.col("pos").desc())
    catalog = (
        rows.withColumn("at", F.unix_millis(F.col("updatedAt").cast("timestamp")))
        .withColumn("r", F.row_number().over(latest)).where(F.col("r") == 1)
        .select("itemId", "title", "description", "categories", "brand")
        .persist()
    )
    if catalog.isEmpty():
        catalog.unpersist()
        return None
    return catalog


def _tokenizer(stop):
    """content.ts tokens() with its counts: words of the lower-cased text split on anything that is not a letter or
    a number (Python's \\W plus "_" is exactly "not isalpha() and not isnumeric()"), of 2 UTF-16 units or more
    (JS length), stop words out; title words twice, description once, cat:<category>, brand:<brand>."""

    def terms(rows):
        import re as _re
        from collections import Counter

        split = _re.compile(r"[\W_]+")

        def words(text, times, out):
            if text is None:
                return
            for w in split.split(text.lower()):
                if (len(w) >= 2 or (len(w) == 1 and ord(w) > 0xFFFF)) and w not in stop:
                    out[w] += times

        for r in rows:
            out = Counter()
            words(r.title, 2, out)
            words(r.description, 1, out)
            for c in r.categories or []:
                out["cat:" + c.lower()] += 1
            if r.brand is not None:
                out["brand:" + r.brand.lower()] += 1
            for t, n in out.items():
                yield (r.i, t, n)

    return terms


def content_vectors(spark, catalog: DataFrame, items: DataFrame, n_items: int) -> DataFrame:
    """i, term, w: content.ts contentIndex over the model's items (N = n_items: an item without a catalog line
    counts and has no terms): (1 + ln tf) · ln(N / df), L2-normalised; positive weights only (its postings)."""
    docs = catalog.join(items, "itemId").select(F.col("idx").alias("i"), "title", "description", "categories", "brand")
    tf = spark.createDataFrame(docs.rdd.mapPartitions(_tokenizer(STOP_WORDS)), "i int, term string, tf int")
    df = tf.groupBy("term").agg(F.count("*").alias("df"))
    weighed = tf.join(df, "term").select(
        "i", "term", ((1 + F.log(F.col("tf").cast("double"))) * F.log(F.lit(float(n_items)) / F.col("df"))).alias("w")
    )
    norm = weighed.groupBy("i").agg(F.sum(F.col("w") * F.col("w")).alias("n2"))
    scale = F.when(F.col("n2") > 0, 1 / F.sqrt("n2")).otherwise(1.0)
    # Checkpointed: the test reads it four times, and its lineage is long (see train_complements).
    return weighed.join(norm, "i").select("i", "term", (F.col("w") * scale).alias("w")).where(F.col("w") > 0).localCheckpoint()


def substitute_pairs(candidates: DataFrame, vectors: DataFrame, similarity: float, k: int = CONTENT_NEIGHBOURS) -> Tuple[DataFrame, int]:
    """The (a, b) of `candidates` that are near-substitutes (isSubstitute): b in a's top-k content row at a
    float32 cosine ≥ `similarity`, or a in b's. Cosines are computed for the candidate pairs; then, for the
    anchors of pairs that pass, the row's rank of the partner: items j with a higher cosine (or an equal one and
    a lower index, topK's tie rule) ahead of it. Only items at cosine ≥ similarity can be ahead, and each such j
    shares a term of x's prefix (its heaviest terms until the rest has norm < similarity; the rest contributes at
    most that norm), so only the postings of prefix terms are joined, not x's whole row. Returns the pairs
    (persisted) and their count."""
    v = vectors
    va = v.select(F.col("i").alias("a"), "term", F.col("w").alias("wa"))
    vb = v.select(F.col("i").alias("b"), "term", F.col("w").alias("wb"))
    # Each unordered pair once, so that the test is symmetric whatever order Spark sums in.
    once = candidates.where(F.col("a") < F.col("b")).select("a", "b")
    cos = once.join(va, "a").join(vb, ["b", "term"]).groupBy("a", "b").agg(F.sum(F.col("wa") * F.col("wb")).alias("s"))
    close = cos.where(F.col("s").cast("float") >= similarity)
    close = close.unionByName(close.select(F.col("b").alias("a"), F.col("a").alias("b"), "s")).persist()
    # The bound keeps every j whose float32 cosine could reach the threshold.
    bound = similarity - 1e-6
    x = close.select(F.col("a").alias("x")).distinct()
    vx = v.join(x.withColumnRenamed("x", "i"), "i", "left_semi").select(F.col("i").alias("x"), "term", F.col("w").alias("wx"))
    heavier = Window.partitionBy("x").orderBy(F.col("wx").desc(), F.col("term")).rowsBetween(Window.unboundedPreceding, -1)
    rest2 = F.sum(F.col("wx") * F.col("wx")).over(Window.partitionBy("x")) - F.coalesce(F.sum(F.col("wx") * F.col("wx")).over(heavier), F.lit(0.0))
    prefix = vx.withColumn("rest2", rest2).where(F.col("rest2") >= bound * bound if bound > 0 else F.lit(True)).select("x", "term")
    vj = v.select(F.col("i").alias("j"), "term", F.col("w").alias("wj"))
    near = prefix.join(vj, "term").where(F.col("x") != F.col("j")).select("x", "j").distinct()
    row = (
        near.join(vx, "x").join(vj, ["j", "term"]).groupBy("x", "j").agg(F.sum(F.col("wx") * F.col("wj")).alias("s"))
        .where(F.col("s") >= bound)
        .persist()
    )
    mine = close.select(F.col("a").alias("x"), F.col("b").alias("y")).join(
        row.select("x", F.col("j").alias("y"), F.col("s").alias("sy")), ["x", "y"]
    )
    ahead = (
        mine.join(row, "x").where(F.col("j") != F.col("y"))
        .where((F.col("s") > F.col("sy") + TIE) | ((F.abs(F.col("s") - F.col("sy")) <= TIE) & (F.col("j") < F.col("y"))))
        .groupBy("x", "y").agg(F.count("*").alias("ahead"))
    )
    member = (
        mine.join(ahead, ["x", "y"], "left").where(F.coalesce(F.col("ahead"), F.lit(0)) < k)
        .select(F.col("x").alias("a"), F.col("y").alias("b"))
    )
    out = member.unionByName(member.select(F.col("b").alias("a"), F.col("a").alias("b"))).distinct().persist()
    n = out.count()
    close.unpersist()
    row.unpersist()
    return out, n
