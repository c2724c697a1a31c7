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
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional

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
) -> Optional[Complements]:
    """trainComplements: b complements a when ln((c + α) / (E + α)) > 0 with c ≥ min_count, c the paired baskets
    holding both, E = s_a · s_b / N (s: baskets holding the item, N: all baskets, unpaired ones included); the
    top k per a, ties to the lower index. None when there is no basket. `members`: orderId, i (basket_items)."""
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
    best = Window.partitionBy("a").orderBy(F.col("score").desc(), F.col("b"))
    rows = scored.withColumn("rank", F.row_number().over(best)).where(F.col("rank") <= k).persist()
    with_rows = rows.select("a").distinct().count()
    sizes.unpersist()
    stats = {
        "baskets": n,
        "pairedBaskets": paired,
        "items": with_rows,
        "shrinkage": shrinkage,
        "minCount": min_count,
        "maxBasketItems": max_basket_items,
        "substituteSimilarity": substitute_similarity,
        # The near-substitute test needs the catalog's TF-IDF content neighbours, which this job does not
        # compute: nothing is excluded, and the manifest says the test was not applied.
        "substitutesExcluded": 0,
        "substituteTest": False,
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
