"""Spark ALS training job: the lake's raw events in, a model artifact (docs/model-artifact.md) out.

Runs unchanged under `spark-submit` on EMR 7.x (Spark 3.5, Python 3.9: hence no 3.10+ syntax) and in Spark
local mode (local/training/spark.ts, jobs/emr/tests). Baskets and searches are in baskets.py beside it, which every
launch ships with `--py-files` (the retrain state machine's step, local/training/spark.ts).

What the TypeScript trainer does is the reference; this job repeats its rules (shared/model/interactions.ts,
shared/evaluation/splits.ts + evaluate.ts, shared/model/popularity.ts) from the one shared config,
shared/model/event-weights.json. Metrics are NOT computed here: the holdout lists go to the TS quality gate.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import secrets
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np
from pyspark import RDD, StorageLevel, cloudpickle
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql import types as T

import baskets

if __name__ != "__main__":
    # Imported (as the tests do): the executors' Python workers cannot import this file, so the module's
    # functions that closures call (top_k_rows) travel by value, as they do when spark-submit runs it.
    cloudpickle.register_pickle_by_value(sys.modules[__name__])

SCHEMA_VERSION = 1
DAY_MS = 86_400_000
RECOMMENDATIONS_PER_USER = 50
NEIGHBOURS_PER_ITEM = 50
TRENDING_TOP = 100
TRENDING_WINDOWS_MS = {"1h": 3_600_000, "24h": 86_400_000, "7d": 604_800_000}
LINES_PER_PART = 10_000
# recommendForAllUsers ranks before the training items are removed, so it asks for 50 + the longest history;
# past this cap a very heavy user may get fewer than 50 (counted and logged) rather than every user paying
# for a top-k heap the size of the catalog.
MAX_EXCLUSION_MARGIN = 1000
# Users scored per matrix product in top_lines: 512 × 1M items × 4 bytes = 2 GiB at the extreme; 20k items, 40 MB.
TOP_BLOCK_USERS = 512
# Fewer holdout users than this and the temporal split says nothing: fall back to leave-last-1 per user
# (the same rule as the TS tuner's carve()).
MIN_HOLDOUT_USERS = 20

EVENT_TYPES = (
    "view",
    "click",
    "add_to_cart",
    "remove_from_cart",
    "wishlist",
    "purchase",
    "return",
    "rating",
    "search",
    "not_interested",
)
QUANTITY_TYPES = ("add_to_cart", "remove_from_cart", "purchase", "return")
# Held-out events of these types are not evidence of interest (shared/evaluation/evaluate.ts NOT_RELEVANT).
NOT_RELEVANT = ("remove_from_cart", "return", "not_interested", "search")

# The lake line (StoredEvent: shared/domain/event.ts + receivedAt). Only the fields training needs; the rest
# of the line (price, context, properties…) is ignored. `_corrupt_record` receives lines that are not JSON
# objects or whose fields have the wrong JSON type (PERMISSIVE mode), so one bad line never fails the job.
EVENT_SCHEMA = T.StructType(
    [
        T.StructField("eventId", T.StringType()),
        T.StructField("type", T.StringType()),
        T.StructField("userId", T.StringType()),
        T.StructField("sessionId", T.StringType()),
        T.StructField("itemId", T.StringType()),
        T.StructField("orderId", T.StringType()),
        T.StructField("query", T.StringType()),
        T.StructField("timestamp", T.StringType()),
        T.StructField("value", T.DoubleType()),
        T.StructField("receivedAt", T.StringType()),
        T.StructField("_corrupt_record", T.StringType()),
    ]
)


# ---------------------------------------------------------------------------------------------- config


@dataclass
class WeightsConfig:
    """shared/model/event-weights.json, the one config both trainers read."""

    weights: Dict[str, float]
    rating_midpoint: float
    rating_scale: float
    quantity: str
    half_life_days: Optional[float]
    recent_popularity_half_life_days: float
    # As written in the file ("veto" kept as a string): the manifest's eventWeights must stay valid JSON.
    raw_weights: Dict[str, object] = field(default_factory=dict)
    search_window_minutes: float = baskets.SEARCH_WINDOW_MINUTES
    substitute_similarity: float = baskets.SUBSTITUTE_SIMILARITY


class ConfigError(ValueError):
    pass


def parse_weights_config(text: str) -> WeightsConfig:
    doc = json.loads(text)
    raw = doc.get("weights")
    if not isinstance(raw, dict):
        raise ConfigError("event-weights.json: 'weights' must be an object")
    weights: Dict[str, float] = {}
    for t in EVENT_TYPES:
        v = raw.get(t)
        if v == "veto":
            weights[t] = float("-inf")
        elif isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v):
            weights[t] = float(v)
        else:
            raise ConfigError(f'event-weights.json: weight of "{t}" must be a finite number or "veto", got {v!r}')
    rating = doc.get("rating") or {}
    quantity = doc.get("quantity", "ignore")
    if quantity not in ("ignore", "log"):
        raise ConfigError(f"event-weights.json: quantity must be 'ignore' or 'log', got {quantity!r}")
    scale = float(rating.get("scale", 2.5))
    if not scale > 0:
        raise ConfigError("event-weights.json: rating.scale must be positive")
    hl = doc.get("halfLifeDays")
    try:
        window, substitutes = baskets.window_minutes_of(doc), baskets.substitute_similarity_of(doc)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    return WeightsConfig(
        weights=weights,
        rating_midpoint=float(rating.get("midpoint", 2.5)),
        rating_scale=scale,
        quantity=quantity,
        half_life_days=float(hl) if hl is not None else None,
        recent_popularity_half_life_days=float(doc.get("recentPopularityHalfLifeDays", 30)),
        raw_weights={t: raw[t] for t in EVENT_TYPES},
        search_window_minutes=window,
        substitute_similarity=substitutes,
    )


def read_text(spark: SparkSession, path: str) -> str:
    """A small text file from a local path or any Hadoop filesystem (s3:// on EMR)."""
    if is_local(path):
        with open(local_path(path), encoding="utf-8") as f:
            return f.read()
    return spark.sparkContext.wholeTextFiles(path, 1).collect()[0][1]


def is_local(path: str) -> bool:
    return "://" not in path or path.startswith("file://")


def local_path(path: str) -> str:
    return path[len("file://") :] if path.startswith("file://") else path


# ---------------------------------------------------------------------------------------------- reading


def read_lake(spark: SparkSession, events_path: str) -> DataFrame:
    """Every `*.gz` under the raw events zone (Firehose's year=/month=/day= folders, GZIP JSON lines)."""
    return (
        spark.read.schema(EVENT_SCHEMA)
        .option("mode", "PERMISSIVE")
        .option("columnNameOfCorruptRecord", "_corrupt_record")
        # The partition folders are not needed as columns (the event's own timestamp is what counts) and
        # recursive lookup reads both lakes' keys without partition inference guessing column types.
        .option("recursiveFileLookup", "true")
        .option("pathGlobFilter", "*.gz")
        # A torn or non-gzip object would otherwise fail the whole job; Spark skips it with a warning.
        .option("ignoreCorruptFiles", "true")
        .json(events_path)
    )


USERS_SCHEMA = T.StructType([
    T.StructField("userId", T.StringType()),
    T.StructField("tombstone", T.BooleanType()),
    T.StructField("forgottenAt", T.StringType()),
])


def users_zone(args: argparse.Namespace) -> Optional[str]:
    """Where the shoppers' profiles and tombstones are: --users, else beside the events zone (raw/users/)."""
    if args.users:
        return None if args.users == "none" else args.users
    if not args.events:
        return None
    base = args.events.rstrip("/")
    return base[: -len("raw/events")] + "raw/users" if base.endswith("raw/events") else None


def read_tombstones(spark: SparkSession, users_path: Optional[str]) -> Optional[DataFrame]:
    """userId → the latest `forgottenAt` (epoch ms) of the tombstones in the users zone (shared/training/
    shoppers-input.ts reads the same lines); None when the zone does not exist yet (no shopper was ever
    written). Profiles are not read here: cold-start segments are the TypeScript trainer's."""
    if users_path is None:
        return None
    if is_local(users_path) and not os.path.isdir(local_path(users_path)):
        return None
    try:
        lines = (
            spark.read.schema(USERS_SCHEMA)
            .option("recursiveFileLookup", "true")
            .option("pathGlobFilter", "*.gz")
            .option("ignoreCorruptFiles", "true")
            .json(users_path)
        )
    except Exception as e:  # an S3 prefix with no object: Spark's "Path does not exist"
        if "Path does not exist" in str(e):
            return None
        raise
    return (
        lines.where(F.col("tombstone") & F.col("userId").isNotNull())
        .select("userId", F.unix_millis(F.col("forgottenAt").cast("timestamp")).alias("forgotten_ts"))
        .where(F.col("forgotten_ts").isNotNull())
        .groupBy("userId")
        .agg(F.max("forgotten_ts").alias("forgotten_ts"))
    )


def drop_forgotten(events: DataFrame, tombstones: DataFrame) -> DataFrame:
    """The right to be forgotten: a shopper's events up to their latest tombstone are not trained on (one who
    came back after it trains on what came after)."""
    joined = events.join(F.broadcast(tombstones), on="userId", how="left")
    keep = F.col("forgotten_ts").isNull() | (F.col("ts") > F.col("forgotten_ts"))
    return joined.where(keep).drop("forgotten_ts")


def read_glue_table(spark: SparkSession, table: str) -> DataFrame:
    """The crawled table through the Glue Data Catalog (EMR's Hive metastore client). The crawler lower-cases
    column names and may have missed a field that no sampled line had; Spark resolves names
    case-insensitively, and a missing column becomes null. The JSON SerDe gives no corrupt-record column:
    a line it could not parse arrives as nulls and is counted as malformed by the missing-field rule."""
    df = spark.table(table)
    present = {c.lower() for c in df.columns}
    cols = []
    for f in EVENT_SCHEMA.fields:
        if f.name == "_corrupt_record":
            cols.append(F.lit(None).cast("string").alias(f.name))
        elif f.name.lower() in present:
            cols.append(F.col(f.name).cast(f.dataType).alias(f.name))
        else:
            cols.append(F.lit(None).cast(f.dataType).alias(f.name))
    return df.select(*cols)


def classify(raw: DataFrame, cfg: WeightsConfig) -> DataFrame:
    """Adds `status` (ok | malformed | unknownType) and `ts` (epoch ms). Malformed: not a JSON object, a field
    of the wrong type, a missing eventId/type/timestamp, an unparsable timestamp, or no itemId on a type
    that needs one."""
    ts = F.unix_millis(F.col("timestamp").cast("timestamp"))
    known = list(cfg.weights.keys())
    status = (
        F.when(F.col("_corrupt_record").isNotNull(), "malformed")
        .when(F.col("eventId").isNull() | F.col("type").isNull() | F.col("ts").isNull(), "malformed")
        .when(~F.col("type").isin(known), "unknownType")
        .when((F.col("type") != "search") & F.col("itemId").isNull(), "malformed")
        .otherwise("ok")
    )
    return raw.withColumn("ts", ts).withColumn("status", status)


def weighted(events: DataFrame, cfg: WeightsConfig) -> DataFrame:
    """The base weight of each event, before decay: the same arithmetic as buildInteractions."""
    w_map = F.create_map(*[x for t, w in cfg.weights.items() for x in (F.lit(t), F.lit(w))])
    w = w_map[F.col("type")]
    # A search event weighs nothing itself: its weight goes to the items chosen after it (baskets.search_follow_ups).
    w = F.when(F.col("type") == "search", F.lit(0.0)).otherwise(w)
    rating = w * (F.coalesce(F.col("value"), F.lit(cfg.rating_midpoint)) - cfg.rating_midpoint) / cfg.rating_scale
    w = F.when(F.col("type") == "rating", rating).otherwise(w)
    if cfg.quantity == "log":
        scaled = (
            (F.col("type") != "rating")
            & F.col("value").isNotNull()
            & (F.col("value") > 1)
            & (w != 0)
            & (w != float("-inf"))
        )
        w = F.when(scaled, w * (1 + F.log(F.col("value")))).otherwise(w)
    return events.withColumn("w", w.cast("double"))


def decay(df: DataFrame, half_life_days: Optional[float], now_ms: int) -> DataFrame:
    if half_life_days is None or not half_life_days > 0:
        return df
    k = math.log(2) / (half_life_days * DAY_MS)
    return df.withColumn("w", F.col("w") * F.exp(F.lit(-k) * F.greatest(F.lit(0), F.lit(now_ms) - F.col("ts"))))


def confidences(events: DataFrame) -> DataFrame:
    """Sums per (user, item) and keeps positive sums. A veto is -Infinity, so its pair sums to -Infinity (or
    NaN next to a decayed-to-zero veto): both dropped, as in the TS CSR build. NaN must be filtered by name:
    Spark orders NaN above every number, so `NaN > 0` is true in Spark SQL."""
    conf = events.groupBy("userId", "itemId").agg(F.sum("w").alias("conf"))
    return conf.where(~F.isnan("conf") & (F.col("conf") > 0))


# ---------------------------------------------------------------------------------------------- ids


def index_ids(spark: SparkSession, ids: DataFrame, col: str, partitions: int) -> DataFrame:
    """Dense 0-based indices in sorted id order (deterministic, and users.txt line i = index i). zipWithIndex
    numbers a sorted RDD across partitions without collecting the ids to the driver."""
    rdd = ids.select(col).distinct().orderBy(col).rdd.map(lambda r: r[0]).zipWithIndex()
    schema = T.StructType([T.StructField(col, T.StringType(), False), T.StructField("idx", T.IntegerType(), False)])
    return spark.createDataFrame(rdd.map(lambda p: (p[0], int(p[1]))), schema)


@dataclass
class Matrix:
    """The (user, item, confidence) matrix with dense indices: u, i, conf."""

    pairs: DataFrame  # u, i, conf, userId, itemId
    users: DataFrame  # userId, idx
    items: DataFrame  # itemId, idx
    n_users: int
    n_items: int
    nnz: int


def build_matrix(spark: SparkSession, conf: DataFrame, partitions: int) -> Matrix:
    conf = conf.persist(StorageLevel.MEMORY_AND_DISK)
    users = index_ids(spark, conf, "userId", partitions).persist(StorageLevel.MEMORY_AND_DISK)
    items = index_ids(spark, conf, "itemId", partitions).persist(StorageLevel.MEMORY_AND_DISK)
    pairs = (
        conf.join(items.withColumnRenamed("idx", "i"), "itemId")
        .join(users.withColumnRenamed("idx", "u"), "userId")
        .select("u", "i", "conf", "userId", "itemId")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    return Matrix(pairs, users, items, users.count(), items.count(), pairs.count())


# ---------------------------------------------------------------------------------------------- ALS


@dataclass
class AlsParams:
    rank: int = 64
    iterations: int = 10
    reg: float = 0.01
    alpha: float = 1.0
    transform: str = "log"
    seed: int = 42
    partitions: int = 8
    cg_steps: int = 3
    # Half-iterations between checkpoints of the factors (0: none); set when --checkpoint-dir is given.
    checkpoint_every: int = 0

    def spec(self) -> dict:
        return {
            "kind": "als",
            "params": {
                "rank": self.rank,
                "iterations": self.iterations,
                "regularization": self.reg,
                "alpha": self.alpha,
                "transform": self.transform,
                "seed": self.seed,
                "implicitPrefs": True,
                "solver": f"cg{self.cg_steps}",
            },
        }


def als_rating(conf_col, transform: str):
    """Implicit ALS uses c = 1 + alpha·r; the TS iALS uses c = 1 + alpha·transform(value). Feeding
    r = transform(confidence) makes the two confidences the same."""
    if transform == "log":
        return F.log1p(conf_col)
    if transform == "binary":
        return F.lit(1.0)
    return conf_col


# Nonzeros (padded) per CG chunk: the gathered factor rows (chunk × rank floats, 2 MiB at rank 64) stay in the
# CPU cache across the chunk's passes; past ~16k the passes go to memory.
CG_CHUNK_NNZ = 8192
# Pairs per row of arrays handed from the JVM to the ALS blocks (fit_als).
ALS_ROW_PAIRS = 500_000


def cg_chunks(indptr: np.ndarray, idx: np.ndarray, r: np.ndarray, pad: int) -> List[tuple]:
    """The rows of a CSR block grouped by their count rounded up to a power of two and padded to it (column
    `pad`, a zero factor row; r = 0), so that cg_solve's per-row sums over a row's items are batched matrix
    products rather than segment reductions (np.add.reduceat over rows was 2.3× slower). At most 2× the
    nonzeros. Rows without a nonzero are left out (their factors stay as they are)."""
    counts = np.diff(indptr)
    live = np.nonzero(counts)[0]
    lens = np.left_shift(1, np.ceil(np.log2(counts[live])).astype(np.int64))
    out = []
    for width in np.unique(lens).tolist():
        rows = live[lens == width]
        step = max(1, CG_CHUNK_NNZ // width)
        col = np.arange(width)
        for s in range(0, len(rows), step):
            rr = rows[s : s + step]
            cnt = counts[rr]
            mask = col[None, :] < cnt[:, None]
            pos = np.where(mask, indptr[rr][:, None] + col[None, :], 0)
            out.append((rr, np.where(mask, idx[pos], pad).astype(np.int32),
                        np.where(mask, r[pos], 0).astype(np.float32), cnt.astype(np.float32)))
    return out


def cg_solve(chunks: List[tuple], other: np.ndarray, gram: np.ndarray, reg: float, alpha: float,
             x: np.ndarray, steps: int) -> np.ndarray:
    """Implicit ALS's least squares for every row of a block (cg_chunks), by a few conjugate-gradient steps from
    the current factors (Takács et al. 2011; the `implicit` library's solver): minimise Σ_i c_ui (p_ui − x·y_i)²
    + λ_u |x|² with p = 1 on the row's items, c = 1 + alpha·r there and 1 elsewhere, λ_u = reg × the row's
    count (MLlib's ALS-WR scaling, so --reg keeps its meaning). A·v = v·YᵀY + Σ_i (c_ui − 1)(y_i·v) y_i + λ_u v
    is applied to a chunk of rows at once over their gathered item rows; no k×k matrix per row is formed."""
    other = np.concatenate([other, np.zeros((1, other.shape[1]), dtype=np.float32)])
    x = x.copy()
    for rows, cols, r, cnt in chunks:
        yg = other[cols]
        c1 = np.float32(alpha) * r
        lam = (np.float32(reg) * cnt)[:, None]

        def amul(v: np.ndarray) -> np.ndarray:
            d = np.matmul(yg, v[:, :, None])[:, :, 0] * c1
            return v @ gram + lam * v + np.matmul(d[:, None, :], yg)[:, 0, :]

        xb = x[rows]
        res = np.matmul((1 + c1)[:, None, :], yg)[:, 0, :] - amul(xb)
        p = res.copy()
        rs = np.einsum("nk,nk->n", res, res)
        for _ in range(steps):
            ap = amul(p)
            pap = np.einsum("nk,nk->n", p, ap)
            # A is positive definite: pap = 0 only when the residual is zero and the row already solved.
            step = np.divide(rs, pap, out=np.zeros_like(rs), where=pap > 0)
            xb += step[:, None] * p
            res -= step[:, None] * ap
            rs_new = np.einsum("nk,nk->n", res, res)
            beta = np.divide(rs_new, rs, out=np.zeros_like(rs), where=rs > 0)
            p = res + beta[:, None] * p
            rs = rs_new
        x[rows] = xb
    return x


def _block_core(p: int, n: int, size: int, other_size: int, side: int):
    """A block's static half: its rows' CSR with column positions into the concatenation, in block order, of
    the other side's factor rows it needs (`need[j]`: local rows of other block j, ascending)."""

    def build(it: Iterable) -> Iterator[tuple]:
        parts = list(it)
        if not parts:
            return
        b = parts[0][0]
        rows = np.concatenate([q[1][side] for q in parts]) - b * size
        cols = np.concatenate([q[1][1 - side] for q in parts])
        r = np.concatenate([q[1][2] for q in parts])
        order = np.lexsort((cols, rows))
        rows, cols, r = rows[order], cols[order], r[order]
        n_rows = min(size, n - b * size)
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_rows), out=indptr[1:])
        need, pos, offset = [], np.empty(len(cols), dtype=np.int64), 0
        for j in range(p):
            m = (cols // other_size) == j
            local = cols[m] - j * other_size
            u = np.unique(local)
            need.append(u.astype(np.int32))
            pos[m] = offset + np.searchsorted(u, local)
            offset += len(u)
        state = {"rows": n_rows, "chunks": cg_chunks(indptr, pos, r.astype(np.float32), offset), "need": need}
        yield b, ("s", state)

    return build


def _attach_send(it: Iterable) -> Iterator[tuple]:
    """Adds `send[a]` (which of this block's rows block a of the other side needs) to the static state."""
    state, send = None, {}
    for b, (tag, val) in it:
        if tag == "s":
            state = (b, val)
        else:
            send[val[0]] = val[1]
    if state is None:
        return
    state[1]["send"] = send
    yield state[0], ("s", state[1])


class IalsModel:
    """The fitted factors: blocks of consecutive ids (block b: ids b·size…), and the user side as a DataFrame
    (u, features) for the joins of the top-N lists."""

    def __init__(self, spark: SparkSession, users: RDD, items: RDD, sizes: Tuple[int, int]):
        schema = T.StructType([T.StructField("u", T.IntegerType(), False),
                               T.StructField("features", T.ArrayType(T.FloatType(), False), False)])
        size = sizes[0]

        def rows(kv: tuple) -> Iterator[tuple]:
            b, (_tag, x) = kv
            for k in range(x.shape[0]):
                yield (b * size + k, x[k].tolist())

        self.user_blocks, self.item_blocks, self.sizes = users, items, sizes
        self.user_rows = spark.createDataFrame(users.flatMap(rows), schema, verifySchema=False)

    def item_matrix(self, n_items: int, rank: int) -> np.ndarray:
        out = np.zeros((n_items, rank), dtype=np.float32)
        for b, (_tag, x) in self.item_blocks.collect():
            out[b * self.sizes[1] : b * self.sizes[1] + len(x)] = x
        return out

    def user_chunks(self) -> Iterator[np.ndarray]:
        """The user factors block after block, in id order: the driver holds one block at a time."""
        for _b, (_tag, x) in self.user_blocks.sortByKey().toLocalIterator(prefetchPartitions=True):
            yield x


def fit_als(m: "Matrix", p: AlsParams) -> IalsModel:
    """Implicit ALS over P blocks of consecutive ids on each side, in the shape of MLlib's: a block keeps its
    rows' CSR and factors on its executor, and each half-iteration ships to it only the other side's factor rows
    it needs (computed once, as MLlib's in/out blocks), plus the other side's Gram matrix in P k×k pieces.
    Nothing of the matrix or the factors passes through the driver. The solve is cg_solve (numpy, a few CG
    steps per row warm-started from the last factors) rather than MLlib's exact per-row normal equations, which
    cost rank² per nonzero in Java without a native BLAS."""
    spark = m.pairs.sparkSession
    P, k, n = p.partitions, p.rank, (m.n_users, m.n_items)
    size = ((n[0] + P - 1) // P, (n[1] + P - 1) // P)
    data = m.pairs.select("u", "i", als_rating(F.col("conf"), p.transform).cast("float").alias("r"))

    # Each side's blocks arrive from the JVM as a few rows of arrays (collect_list), not one Row per pair: a
    # Python Row per pair took ~25 s of the 5M holdout fit at a load average of ~8. Rows are cut to
    # ~ALS_ROW_PAIRS pairs by a hash.
    cuts = max(1, m.nnz // (P * ALS_ROW_PAIRS) + 1)
    cores = []
    for side, col in ((0, "u"), (1, "i")):
        blk = (F.col(col) / F.lit(size[side])).cast("int")
        grouped = data.groupBy(blk.alias("b"), F.pmod(F.hash("u", "i"), F.lit(cuts)).alias("c")).agg(
            F.collect_list("u").alias("us"), F.collect_list("i").alias("is"), F.collect_list("r").alias("rs"))
        parts = grouped.rdd.map(lambda row: (row["b"], (np.asarray(row["us"], dtype=np.int64),
                                                       np.asarray(row["is"], dtype=np.int64),
                                                       np.asarray(row["rs"], dtype=np.float32)))).partitionBy(P)
        core = _block_core(P, n[side], size[side], size[1 - side], side)
        cores.append(parts.mapPartitions(core, preservesPartitioning=True))
    static = []
    for side in (0, 1):
        reqs = cores[1 - side].flatMap(lambda kv: [(j, ("n", (kv[0], nd))) for j, nd in enumerate(kv[1][1]["need"])])
        st = cores[side].union(reqs.partitionBy(P)).mapPartitions(_attach_send, preservesPartitioning=True)
        static.append(st.persist(StorageLevel.MEMORY_AND_DISK))

    def init(side: int):
        def make(it: Iterable) -> Iterator[tuple]:
            for b, (_tag, st) in it:
                rng = np.random.default_rng([p.seed, side, b])
                x = rng.standard_normal((st["rows"], k)).astype(np.float32)
                x /= np.linalg.norm(x, axis=1, keepdims=True)
                yield b, ("x", x * np.float32(0.1))

        return static[side].mapPartitions(make, preservesPartitioning=True)

    factors = [init(0), init(1)]
    for f in factors:
        f.persist(StorageLevel.MEMORY_AND_DISK)
    reg, alpha, steps = p.reg, p.alpha, p.cg_steps

    def send(it: Iterable) -> Iterator[tuple]:
        st, x = None, None
        for _b, (tag, val) in it:
            if tag == "s":
                st = val
            else:
                x, b = val, _b
        if st is None or x is None:
            return
        gram = x.T.astype(np.float64) @ x
        for a in range(P):
            rows = st["send"].get(a)
            yield a, ("m", (b, x[rows] if rows is not None else x[:0], gram))

    def solve_side(side: int):
        # Blocks past the last id (fewer ids than blocks, in tests) have no state and send nothing.
        expected = (n[1 - side] + size[1 - side] - 1) // size[1 - side]

        def solve(it: Iterable) -> Iterator[tuple]:
            st, x, msgs, keys = None, None, [], set()
            for b, (tag, val) in it:
                keys.add(b)
                if tag == "s":
                    st = val
                elif tag == "x":
                    x = val
                else:
                    msgs.append(val)
            if st is None and not keys:
                return
            # The union of co-partitioned RDDs must bring a block's state, factors and messages together.
            if st is None or x is None or len(msgs) != expected or len(keys) != 1:
                raise RuntimeError(f"train_als: ALS blocks {sorted(keys)}: state {st is not None}, factors "
                                   f"{x is not None}, {len(msgs)} of {expected} messages")
            blk = keys.pop()
            msgs.sort(key=lambda t: t[0])
            other = np.concatenate([q[1] for q in msgs])
            gram = sum(q[2] for q in msgs).astype(np.float32)
            yield blk, ("x", cg_solve(st["chunks"], other, gram, reg, alpha, x, steps))

        return solve

    for it in range(p.iterations * 2):
        side = it % 2
        msgs = static[1 - side].union(factors[1 - side]).mapPartitions(send).partitionBy(P)
        new = static[side].union(factors[side]).union(msgs).mapPartitions(solve_side(side), preservesPartitioning=True)
        new = new.persist(StorageLevel.MEMORY_AND_DISK)
        if p.checkpoint_every and (it + 1) % p.checkpoint_every == 0:
            # Cuts the lineage: a lost block is then recomputed from the checkpoint, not from the first iteration.
            new.checkpoint()
        new.count()
        factors[side].unpersist()
        factors[side] = new
    return IalsModel(spark, factors[0], factors[1], size)


def history_rows(pairs: DataFrame) -> DataFrame:
    """u → the user's training items ascending (`hist`, what the lists must exclude) and their confidences
    (`vals`): one row per user, so the history CSR and the exclusions cross to Python as a few arrays per
    user rather than one Row per pair."""
    grouped = pairs.groupBy("u").agg(F.sort_array(F.collect_list(F.struct("i", "conf"))).alias("h"))
    return grouped.select("u", F.col("h.i").alias("hist"), F.col("h.conf").alias("vals"))


def top_k_rows(s: np.ndarray, k: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The k best finite scores of each row of s (block × items), best first, ties to the lower column (as
    the TypeScript top-k), as (row, column, score) arrays ordered by row then rank. Exact, without a partial
    sort of every full row (argpartition over block × items was most of the scoring time): the k-th largest
    of a row's group maxima (groups of g adjacent columns) is a lower bound of its k-th best score — the k
    groups with the largest maxima hold k scores at least that high — so only the scores at or above it, a
    few per k, are sorted."""
    b, n = s.shape
    take = min(k, n)
    g = max(1, n // (8 * take))
    m0 = n // g
    maxima = s[:, : m0 * g].reshape(b, m0, g).max(axis=2)
    if m0 * g < n:
        maxima = np.concatenate([maxima, s[:, m0 * g :].max(axis=1, keepdims=True)], axis=1)
    m = maxima.shape[1]
    low = np.finfo(np.float32).min  # −inf (excluded items) and NaN never pass
    t = np.partition(maxima, m - take, axis=1)[:, m - take] if m > take else np.full(b, low, dtype=np.float32)
    rows, cols = np.nonzero(s >= np.maximum(t, low)[:, None])
    vals = s[rows, cols]
    order = np.lexsort((cols, -vals, rows))
    rows, cols, vals = rows[order], cols[order], vals[order]
    rank = np.arange(len(rows)) - np.searchsorted(rows, rows)
    keep = rank < take
    return rows[keep], cols[keep], vals[keep]


def top_lines(spark: SparkSession, rows: DataFrame, partitions: int, n: int, item_factors: np.ndarray, make_line) -> DataFrame:
    """One JSON line per user from his top-n, the user's training items removed exactly, whatever the length
    of his history: executors take `rows` (u, features, hist, and whatever make_line reads) in blocks, score
    each block against the broadcast item factors with one matrix product (numpy), set the block's own items
    to −inf and keep the n best (top_k_rows). Memory per task is block × items floats. make_line(row,
    items, scores) gets the list best first (ties to the lower index, as the TypeScript top-k) and returns the
    line or None. Scoring and formatting are one pass: the lists never go back to the JVM as arrays of structs
    to be read into Python again. (recommendForAllUsers would need n + the longest history as its k: on 5M
    events its priority queues of ~1,000 per user took half an hour and 9 GB in local mode.)"""
    b_v = spark.sparkContext.broadcast(item_factors)
    block = TOP_BLOCK_USERS

    def score(buf: list) -> Iterator[tuple]:
        v = b_v.value
        s = np.asarray([r["features"] for r in buf], dtype=np.float32) @ v.T
        for k, r in enumerate(buf):
            if r["hist"]:
                s[k, r["hist"]] = -np.inf
        rows, cols, vals = top_k_rows(s, n)
        ends = np.cumsum(np.bincount(rows, minlength=len(buf))).tolist()
        cols, vals = cols.tolist(), vals.tolist()
        start = 0
        for k, r in enumerate(buf):
            line = make_line(r, cols[start : ends[k]], vals[start : ends[k]])
            start = ends[k]
            if line is not None:
                yield (line,)

    def run(it: Iterable) -> Iterator[tuple]:
        buf = []
        for r in it:
            buf.append(r)
            if len(buf) == block:
                yield from score(buf)
                buf = []
        if buf:
            yield from score(buf)

    # An explicit count, which adaptive execution keeps: coalesced to one partition, scoring would use one core.
    scored = rows.repartition(partitions).rdd.mapPartitions(run)
    return spark.createDataFrame(scored, T.StructType([T.StructField("value", T.StringType())]))


# ---------------------------------------------------------------------------------------------- output


class ArtifactWriter:
    """Small files are written on the driver; partitioned outputs by Spark. Local output goes straight to
    the directory. Remote output (s3:// on EMR) is staged on the driver's disk and copied with the Hadoop
    FileSystem API through the JVM gateway — EMRFS, so the instance profile's credentials and the security
    configuration's S3 encryption apply without a second client (boto3) to configure — and Spark's part files
    are renamed with the same API. Either way manifest.json is written last."""

    def __init__(self, spark: SparkSession, out: str):
        self.spark = spark
        self.out = out.rstrip("/")
        self.local = is_local(out)
        self.dir = local_path(self.out) if self.local else tempfile.mkdtemp(prefix="recsys-artifact-")
        os.makedirs(self.dir, exist_ok=True)
        self.files: List[str] = []
        self.counts: Dict[str, int] = {}

    def path(self, name: str) -> str:
        p = os.path.join(self.dir, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        self.files.append(name)
        return p

    def write_text_parts(self, name: str, lines: DataFrame) -> int:
        """`name/part-00000.jsonl`…, ≤ LINES_PER_PART lines each. Spark writes `part-…-c000.txt` names into a
        scratch folder; they are renamed in order to the artifact's names."""
        tmp = f"{self.out}/_tmp_{name}"
        # Written as partitioned (no shuffle of the finished lines): maxRecordsPerFile cuts the parts.
        lines.write.mode("overwrite").option("maxRecordsPerFile", LINES_PER_PART).text(tmp)
        jvm = self.spark._jvm
        conf = self.spark._jsc.hadoopConfiguration()
        src_dir = jvm.org.apache.hadoop.fs.Path(tmp)
        fs = src_dir.getFileSystem(conf)
        names = sorted(
            s.getPath().getName() for s in fs.listStatus(src_dir) if s.getPath().getName().startswith("part-")
        )
        fs.mkdirs(jvm.org.apache.hadoop.fs.Path(f"{self.out}/{name}"))
        for k, n in enumerate(names):
            rel = f"{name}/part-{k:05d}.jsonl"
            dst = jvm.org.apache.hadoop.fs.Path(f"{self.out}/{rel}")
            if not fs.rename(jvm.org.apache.hadoop.fs.Path(f"{tmp}/{n}"), dst):
                raise IOError(f"could not move {tmp}/{n} to {self.out}/{rel}")
            self.files.append(rel)
        fs.delete(src_dir, True)
        if self.local:
            # Hadoop's local filesystem leaves .crc checksum siblings; they are not part of the artifact.
            d = os.path.join(self.dir, name)
            for f in os.listdir(d):
                if f.endswith(".crc"):
                    os.remove(os.path.join(d, f))
        self.counts[name] = len(names)
        return len(names)

    def finish(self, manifest: dict) -> None:
        manifest["files"] = sorted(set(self.files + ["manifest.json"]))
        if self.local:
            tmp = os.path.join(self.dir, ".manifest.json.tmp")
            with open(tmp, "w", encoding="utf-8") as f:
                json.dump(manifest, f, indent=2)
                f.write("\n")
            os.replace(tmp, os.path.join(self.dir, "manifest.json"))  # atomic: present means complete
            return
        with open(os.path.join(self.dir, "manifest.json"), "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        jvm = self.spark._jvm
        conf = self.spark._jsc.hadoopConfiguration()
        Path = jvm.org.apache.hadoop.fs.Path
        fs = Path(self.out).getFileSystem(conf)
        driver_files = [f for f in manifest["files"] if f != "manifest.json" and os.path.exists(os.path.join(self.dir, f))]
        for rel in driver_files + ["manifest.json"]:
            fs.copyFromLocalFile(False, True, Path("file://" + os.path.join(self.dir, rel)), Path(f"{self.out}/{rel}"))
        shutil.rmtree(self.dir, ignore_errors=True)


def ordered_chunks(df: DataFrame, key: str, partitions: int, pack) -> Iterator:
    """Streams a large keyed DataFrame to the driver in key order, one packed chunk per partition, so the
    driver never holds the whole thing and Python handles numpy chunks rather than millions of Rows."""
    rdd = df.repartitionByRange(partitions, key).sortWithinPartitions(key).rdd.mapPartitions(pack)
    return rdd.toLocalIterator(prefetchPartitions=True)


def write_ids(w: ArtifactWriter, ids: DataFrame, col: str, name: str, partitions: int) -> None:
    def pack(rows):
        yield "".join(r[col] + "\n" for r in rows)

    with open(w.path(name), "w", encoding="utf-8", newline="\n") as f:
        for chunk in ordered_chunks(ids, "idx", partitions, pack):
            f.write(chunk)


def write_factors(w: ArtifactWriter, chunks: Iterable[np.ndarray], n: int, name: str) -> None:
    """Rows in index order as little-endian float32, from the model's blocks in id order."""
    written = 0
    with open(w.path(name), "wb") as f:
        for x in chunks:
            f.write(np.ascontiguousarray(x, dtype="<f4").tobytes())
            written += len(x)
    if written != n:
        raise RuntimeError(f"train_als: {name} has {written} rows for {n} ids")


def write_history(w: ArtifactWriter, hist: DataFrame, n_users: int, partitions: int) -> None:
    """CSR of the training matrix from history_rows: rows by user index, column indices ascending within a
    row (every indexed user has a row: he has a positive pair)."""

    def pack(rows):
        lens, i, v = [], [], []
        for r in rows:
            lens.append(len(r["hist"]))
            i.extend(r["hist"])
            v.extend(r["vals"])
        if lens:
            yield np.asarray(lens, dtype=np.int64), np.asarray(i, dtype="<i4"), np.asarray(v, dtype="<f4")

    counts = []
    with open(w.path("history.indices.i32"), "wb") as fi, open(w.path("history.values.f32"), "wb") as fv:
        for lens, i, v in ordered_chunks(hist.select("u", "hist", "vals"), "u", partitions, pack):
            counts.append(lens)
            fi.write(i.tobytes())
            fv.write(v.tobytes())
    lens = np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64)
    if len(lens) != n_users:
        raise RuntimeError(f"train_als: history has {len(lens)} rows for {n_users} users")
    indptr = np.zeros(n_users + 1, dtype="<i4")
    np.cumsum(lens, out=indptr[1:])
    with open(w.path("history.indptr.i32"), "wb") as f:
        f.write(indptr.tobytes())


def cosine_neighbours(item_factors: np.ndarray, item_ids: List[str], spark: SparkSession, partitions: int) -> Iterator[str]:
    """Top-50 cosine neighbours over the item factors, blocked both ways: executors each take blocks of query
    items and scan the (broadcast, normalised) factor matrix in candidate chunks, keeping a running top-50,
    so memory is block × chunk floats whatever the catalogue size. Only positive similarities are kept."""
    n = item_factors.shape[0]
    norms = np.linalg.norm(item_factors, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    unit = (item_factors / safe[:, None]).astype(np.float32)
    unit[norms == 0] = 0.0
    b_unit = spark.sparkContext.broadcast(unit)
    b_ids = spark.sparkContext.broadcast(item_ids)
    block, chunk, k = 256, 16384, NEIGHBOURS_PER_ITEM

    def run(starts: Iterable[int]) -> Iterator[str]:
        y = b_unit.value
        ids = b_ids.value
        for s in starts:
            e = min(s + block, n)
            q = y[s:e]
            best_s = np.full((e - s, 0), -np.inf, dtype=np.float32)
            best_i = np.zeros((e - s, 0), dtype=np.int64)
            for c in range(0, n, chunk):
                ce = min(c + chunk, n)
                sc = q @ y[c:ce].T
                # Never one's own neighbour.
                for r in range(s, e):
                    if c <= r < ce:
                        sc[r - s, r - c] = -np.inf
                cand_s = np.concatenate([best_s, sc], axis=1)
                cand_i = np.concatenate([best_i, np.broadcast_to(np.arange(c, ce), sc.shape)], axis=1)
                if cand_s.shape[1] > k:
                    rows, cols, vals = top_k_rows(cand_s, k)
                    pos = np.arange(len(rows)) - np.searchsorted(rows, rows)
                    kept_s = np.full((e - s, k), -np.inf, dtype=np.float32)
                    kept_s[rows, pos] = vals
                    kept_i = np.zeros((e - s, k), dtype=np.int64)
                    kept_i[rows, pos] = cand_i[rows, cols]
                    cand_s, cand_i = kept_s, kept_i
                best_s, best_i = cand_s, cand_i
            order = np.argsort(-best_s, axis=1, kind="stable")
            for r in range(e - s):
                pairs = [
                    [ids[int(best_i[r, o])], round(float(best_s[r, o]), 6)]
                    for o in order[r]
                    if best_s[r, o] > 0
                ]
                if pairs:
                    yield json.dumps({"itemId": ids[s + r], "neighbours": pairs}, separators=(",", ":")) + "\n"

    starts = list(range(0, n, block))
    slices = max(1, min(len(starts), partitions * 2))
    return spark.sparkContext.parallelize(starts, slices).mapPartitions(run).toLocalIterator(prefetchPartitions=True)


# ---------------------------------------------------------------------------------------------- holdout


@dataclass
class Holdout:
    method: str
    users: int
    pairs: int
    lines: Optional[DataFrame]


def holdout_lists(spark: SparkSession, events: DataFrame, newest: int, cfg: WeightsConfig, p: AlsParams, days: int, k: int) -> Holdout:
    """The TS validation split: events of the last `days` before the newest event are held out; relevant are
    the held-out items of known users and items that are new pairs (not in the user's training matrix) and
    evidence of interest. A candidate ALS fitted without them ranks top-k, and popularity on the same split
    gives the baseline, both excluding each user's training items."""
    cutoff = newest - days * DAY_MS
    train, test = events.where(F.col("ts") < cutoff), events.where(F.col("ts") >= cutoff)
    method = f"temporal:{days}d"
    m, rel = _holdout_split(spark, train, test, cfg, p)
    n_users = rel.select("u").distinct().count()
    if n_users < MIN_HOLDOUT_USERS:
        # Leave-last-1: per user, the pair first touched last is held out (users with one pair keep it).
        pair_first = events.where(F.col("userId").isNotNull()).groupBy("userId", "itemId").agg(F.min("ts").alias("first"))
        from pyspark.sql.window import Window

        wnd = Window.partitionBy("userId").orderBy(F.col("first").desc(), F.col("itemId").desc())
        ranked = pair_first.withColumn("rn", F.row_number().over(wnd)).withColumn("n", F.count("*").over(Window.partitionBy("userId")))
        held = ranked.where((F.col("rn") == 1) & (F.col("n") > 1)).select("userId", "itemId")
        test = events.join(held, ["userId", "itemId"], "left_semi")
        train = events.join(held, ["userId", "itemId"], "left_anti")
        method = "leave-last-1"
        m, rel = _holdout_split(spark, train, test, cfg, p)
        n_users = rel.select("u").distinct().count()
    n_pairs = rel.count()
    if n_users == 0 or m is None:
        return Holdout(method, 0, 0, None)
    model = fit_als(m, p)
    relevant = rel.groupBy("u").agg(F.collect_set("i").alias("relevant"))
    rows = (
        model.user_rows
        .join(relevant, "u")
        .join(history_rows(m.pairs).select("u", "hist"), "u", "left")
        .join(m.users.withColumnRenamed("idx", "u"), "u")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    margin = min(int(rows.select(F.max(F.size("hist"))).first()[0] or 0), MAX_EXCLUSION_MARGIN)
    # Popularity on the training split (distinct users per item), ties by item index, top k + the longest
    # history among test users: enough for every user's list after removing their own items.
    pop = m.pairs.groupBy("i").agg(F.count("*").alias("n")).orderBy(F.col("n").desc(), F.col("i")).limit(min(m.n_items, k + margin)).collect()
    item_ids = [r["itemId"] for r in m.items.orderBy("idx").collect()]
    b_ids = spark.sparkContext.broadcast(item_ids)
    b_pop = spark.sparkContext.broadcast([r["i"] for r in pop])

    def to_line(r, recommended: List[int], _scores: List[float]) -> str:
        ids, popular = b_ids.value, b_pop.value
        own = set(r["hist"] or [])
        baseline = []
        for i in popular:
            if i not in own:
                baseline.append(ids[i])
                if len(baseline) == k:
                    break
        line = {
            "userId": r["userId"],
            "relevant": sorted(ids[i] for i in r["relevant"]),
            "recommended": [ids[i] for i in recommended],
            "baseline": baseline,
        }
        return json.dumps(line, separators=(",", ":"))

    lines = top_lines(spark, rows, p.partitions, k, model.item_matrix(m.n_items, p.rank), to_line)
    return Holdout(method, n_users, n_pairs, lines)


def _holdout_split(spark, train: DataFrame, test: DataFrame, cfg: WeightsConfig, p: AlsParams):
    train_w = train.where(F.col("userId").isNotNull() & (F.col("w") != 0) & ~F.isnan("w"))
    now = train_w.agg(F.max("ts")).first()[0]
    if now is None:
        return None, spark.createDataFrame([], "u int, i int")
    m = build_matrix(spark, confidences(decay(train_w, cfg.half_life_days, now)), p.partitions)
    rel = (
        test.where(~F.col("type").isin(*NOT_RELEVANT) & F.col("userId").isNotNull() & F.col("itemId").isNotNull())
        .select("userId", "itemId")
        .distinct()
        .join(m.users.withColumnRenamed("idx", "u"), "userId")
        .join(m.items.withColumnRenamed("idx", "i"), "itemId")
        .join(m.pairs.select("u", "i"), ["u", "i"], "left_anti")
        .select("u", "i")
        .persist(StorageLevel.MEMORY_AND_DISK)
    )
    return m, rel


# ---------------------------------------------------------------------------------------------- trending


def trending(events: DataFrame, cfg: WeightsConfig, items: DataFrame, now_ms: int) -> dict:
    """Per window W: Σ weight × 2^(−age / (W/2)) over the item's events of the last W (popularity.ts trending):
    attention, not sentiment, so only positive finite type weights count, without rating or quantity terms."""
    positive = [t for t, w in cfg.weights.items() if w > 0 and math.isfinite(w)]
    w_map = F.create_map(*[x for t in positive for x in (F.lit(t), F.lit(cfg.weights[t]))])
    base = (
        events.where(F.col("type").isin(*positive))
        .join(items.select("itemId"), "itemId", "left_semi")
        .withColumn("age", F.lit(now_ms) - F.col("ts"))
        .where((F.col("age") >= 0) & (F.col("age") <= max(TRENDING_WINDOWS_MS.values())))
        .withColumn("bw", w_map[F.col("type")])
    )
    aggs = [
        F.sum(F.when(F.col("age") <= win, F.col("bw") * F.pow(F.lit(2.0), -F.col("age") / (win / 2)))).alias(key)
        for key, win in TRENDING_WINDOWS_MS.items()
    ]
    per_item = base.groupBy("itemId").agg(*aggs).persist(StorageLevel.MEMORY_AND_DISK)
    windows = {}
    for key in TRENDING_WINDOWS_MS:
        rows = per_item.where(F.col(key) > 0).orderBy(F.col(key).desc(), F.col("itemId")).limit(TRENDING_TOP).collect()
        windows[key] = [[r["itemId"], round(float(r[key]), 6)] for r in rows]
    per_item.unpersist()
    return {"asOf": iso_ms(now_ms), "windows": windows}


def write_complements(w: "ArtifactWriter", events: DataFrame, m: Matrix, item_ids: List[str], cfg: WeightsConfig, catalog: Optional[DataFrame]) -> Optional[dict]:
    """complements.jsonl and the manifest's `complements` block (baskets.py), or None without a basket; with the
    catalog, near-substitutes left out."""
    phase = time.time()
    vectors = None if catalog is None else baskets.content_vectors(events.sparkSession, catalog, m.items, m.n_items)
    found = baskets.train_complements(baskets.basket_items(events, m.items), substitute_similarity=cfg.substitute_similarity, vectors=vectors)
    if found is None:
        log("bought together: no purchase with an orderId")
        return None
    with open(w.path("complements.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for line in baskets.complement_lines(found.rows, item_ids):
            f.write(line)
    found.rows.unpersist()
    test = f"{found.stats['substitutesExcluded']} near-substitutes left out" if catalog is not None else "no catalog: near-substitutes not tested"
    log(f"bought together: {found.stats['items']} items with complements from {found.stats['baskets']} baskets "
        f"in {time.time() - phase:.1f} s ({test})")
    return found.stats


def iso_ms(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


# ---------------------------------------------------------------------------------------------- main


def new_version(now: datetime) -> str:
    return now.strftime("%Y%m%dT%H%M%SZ") + "-" + secrets.token_hex(4)


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    a = argparse.ArgumentParser(description="Train Spark ALS on the lake's raw events and write a model artifact.")
    src = a.add_mutually_exclusive_group(required=True)
    src.add_argument("--events", help="raw events zone: a local path or s3://bucket/raw/events/")
    src.add_argument("--glue-table", help="db.table crawled from the raw events zone (Glue Data Catalog)")
    a.add_argument("--users", help="shoppers' zone with the tombstones (default: raw/users beside --events; 'none' to skip)")
    a.add_argument("--items", help="catalog zone: the near-substitute test of the complements reads its titles")
    a.add_argument("--model", default="als",
                   help="the retrain's model choice: als, or auto (here: ALS with popularity and trending); "
                        "every other choice is refused (see SPARK_MODELS)")
    a.add_argument("--out", required=True, help="the artifact directory: local path or s3://bucket/models/<version>")
    a.add_argument("--version", help="artifact version (default: the last path segment of --out if it is one, else new)")
    a.add_argument("--config", required=True, help="shared/model/event-weights.json (local or s3://)")
    a.add_argument("--rank", type=int, default=64)
    a.add_argument("--iterations", type=int, default=10)
    a.add_argument("--reg", type=float, default=0.01, help="ALS regParam (Spark scales it by each row's count)")
    a.add_argument("--alpha", type=float, default=1.0)
    a.add_argument("--transform", choices=["log", "linear", "binary"], default="log")
    a.add_argument("--seed", type=int, default=42)
    a.add_argument("--partitions", type=int, default=8, help="ALS blocks and the partitions of large outputs")
    a.add_argument("--holdout-days", type=int, default=30)
    a.add_argument("--k", type=int, default=50, help="length of the holdout lists (the gate picks its k ≤ this)")
    a.add_argument("--gate-k", type=int, default=10, help="the k the gate's metrics are taken at (manifest validation.k)")
    a.add_argument("--checkpoint-dir", help="checkpoint dir for long ALS lineages (e.g. hdfs:///tmp/als-checkpoints)")
    return a.parse_args(argv)


VERSION_SHAPE = 25  # YYYYMMDDTHHMMSSZ-xxxxxxxx

# What this job trains for each model choice of `recsys train` (ARCHITECTURE.md, Training): `auto` at scale is
# ALS with the artifact's popularity, trending and factor neighbours, the members it computes on a cluster.
# The other choices (EASE, item-kNN, content, popularity alone, the tuned blend) are the TypeScript trainer's,
# which the retrain state machine runs on the EMR primary node for lakes up to singleNodeTrainingMaxBytes.
SPARK_MODELS = ("als", "auto")


def check_model(choice: str) -> None:
    """Fails before Spark starts: an hour of cluster time must not end in the wrong model."""
    if choice not in SPARK_MODELS:
        raise SystemExit(
            f"train_als: --model {choice} is not trained by the Spark job (it trains {' and '.join(SPARK_MODELS)}); "
            f"the TypeScript trainer trains it on the primary node for a raw events zone of at most "
            f"singleNodeTrainingMaxBytes (serverless.yml stage parameter): raise that threshold for this stage "
            f"or retrain with model als or auto"
        )


def log(msg: str) -> None:
    print(f"[train_als] {msg}", file=sys.stderr, flush=True)


def run(spark: SparkSession, args: argparse.Namespace) -> dict:
    started = time.time()
    created = datetime.now(timezone.utc)
    version = args.version
    if version is None:
        last = args.out.rstrip("/").rsplit("/", 1)[-1]
        version = last if len(last) == VERSION_SHAPE and last[8] == "T" and last[15] == "Z" else new_version(created)
    cfg = parse_weights_config(read_text(spark, args.config))
    p = AlsParams(args.rank, args.iterations, args.reg, args.alpha, args.transform, args.seed, args.partitions)
    if args.checkpoint_dir:
        spark.sparkContext.setCheckpointDir(args.checkpoint_dir)
        p.checkpoint_every = 10

    raw = read_glue_table(spark, args.glue_table) if args.glue_table else read_lake(spark, args.events)
    source = f"glue:{args.glue_table}" if args.glue_table else (args.events if not is_local(args.events) else f"lake:{args.events}")
    # Cached once, and only the columns training reads (the lines' other fields and the corrupt-record text
    # would double the cache for nothing): counting and deduplicating read it; the lake is parsed once.
    classified = classify(raw, cfg).select("status", "eventId", "type", "userId", "itemId", "value", "ts", "orderId", "query")
    classified = classified.persist(StorageLevel.MEMORY_AND_DISK)
    counts = {r["status"]: r["count"] for r in classified.groupBy("status").count().collect()}
    total = sum(counts.values())
    valid = classified.where(F.col("status") == "ok").drop("status")
    valid_n = counts.get("ok", 0)
    tombstones = read_tombstones(spark, users_zone(args))
    forgotten = 0
    if tombstones is not None:
        kept = drop_forgotten(valid, tombstones)
        forgotten = valid_n - kept.count()
        valid, valid_n = kept, valid_n - forgotten
        log(f"right to be forgotten: {forgotten} events of forgotten shoppers dropped")
    # eventId is dropped once it has served: the holdout fit, the final fit and trending read this cache.
    deduped = weighted(valid.dropDuplicates(["eventId"]), cfg).drop("eventId").persist(StorageLevel.MEMORY_AND_DISK)
    is_trainable = F.col("userId").isNotNull() & (F.col("w") != 0) & ~F.isnan("w")
    # One pass for every figure the log and the manifest need (each job costs a scheduling round trip).
    stats = deduped.agg(
        F.count("*").alias("n"),
        F.min("ts").alias("first"),
        F.max("ts").alias("last"),
        F.count(F.when(is_trainable, 1)).alias("trainable"),
        F.max(F.when(is_trainable, F.col("ts"))).alias("now"),
    ).first()
    unique_n = stats["n"]
    classified.unpersist()
    log(f"{total} lines: {valid_n} valid, {counts.get('malformed', 0)} malformed, "
        f"{counts.get('unknownType', 0)} unknown types, {valid_n - unique_n} duplicates")
    if unique_n == 0:
        raise SystemExit("train_als: no valid events to train on")

    # After the stats pass filled the deduplicated cache, so that the phase time is the follow-ups' own.
    phase = time.time()
    # Each weighs weights.search, as a record of type search does in the TS trainer (no rating or quantity term).
    follow_ups = baskets.search_follow_ups(deduped, cfg.search_window_minutes).select(
        F.lit("search").alias("type"), "userId", "itemId", F.lit(None).cast("double").alias("value"), "ts",
        F.lit(None).cast("string").alias("orderId"), F.lit(None).cast("string").alias("query"),
        F.lit(cfg.weights["search"]).cast("double").alias("w"),
    ).persist(StorageLevel.MEMORY_AND_DISK)
    follow_n = follow_ups.count()
    log(f"search follow-ups: {follow_n} in {time.time() - phase:.1f} s")
    # What ALS, the holdout and trending read; `deduped` alone is what the lake's counts describe.
    interactions = deduped.unionByName(follow_ups)
    trainable = interactions.where(is_trainable)
    now_ms = stats["now"]
    skipped = unique_n - stats["trainable"]
    if now_ms is None:
        raise SystemExit("train_als: no event with a user and a non-zero weight to train on")

    log(f"holdout split: last {args.holdout_days} days")
    hold = holdout_lists(spark, interactions, stats["last"], cfg, p, args.holdout_days, args.k)
    log(f"holdout ({hold.method}): {hold.users} users, {hold.pairs} pairs")

    m = build_matrix(spark, confidences(decay(trainable, cfg.half_life_days, now_ms)), p.partitions)
    log(f"matrix: {m.n_users} users × {m.n_items} items, {m.nnz} pairs; fitting ALS rank {p.rank}, {p.iterations} iterations")
    model = fit_als(m, p)

    w = ArtifactWriter(spark, args.out)
    write_ids(w, m.users, "userId", "users.txt", p.partitions)
    write_ids(w, m.items, "itemId", "items.txt", p.partitions)
    hist = history_rows(m.pairs).persist(StorageLevel.MEMORY_AND_DISK)
    write_history(w, hist, m.n_users, p.partitions)
    pop = m.pairs.groupBy("i").agg(F.count("*").alias("n")).collect()
    popularity = np.zeros(m.n_items, dtype="<f4")
    for r in pop:
        popularity[r["i"]] = r["n"]
    with open(w.path("popularity.f32"), "wb") as f:
        f.write(popularity.tobytes())
    with open(w.path("trending.json"), "w", encoding="utf-8") as f:
        json.dump(trending(interactions, cfg, m.items, now_ms), f, separators=(",", ":"))
    write_factors(w, model.user_chunks(), m.n_users, "user-factors.f32")
    item_factors = model.item_matrix(m.n_items, p.rank)
    write_factors(w, [item_factors], m.n_items, "item-factors.f32")
    item_ids = [r["itemId"] for r in m.items.orderBy("idx").collect()]
    log("neighbours: blocked cosine over item factors")
    with open(w.path("neighbours.jsonl"), "w", encoding="utf-8", newline="\n") as f:
        for line in cosine_neighbours(item_factors, item_ids, spark, p.partitions):
            f.write(line)

    catalog = baskets.read_catalog(spark, args.items) if args.items else None
    complements = write_complements(w, deduped, m, item_ids, cfg, catalog)

    log("recommendations: top-50 per user, training items excluded")
    b_ids = spark.sparkContext.broadcast(item_ids)
    n_items = m.n_items
    # Counted for the log only (an accumulator may count a retried task twice).
    short = spark.sparkContext.accumulator(0)

    def rec_line(r, items: List[int], scores: List[float]) -> str:
        # Short only when the catalogue minus the user's own items would have allowed a full list.
        if len(items) < min(RECOMMENDATIONS_PER_USER, n_items - len(r["hist"] or [])):
            short.add(1)
        ids = b_ids.value
        pairs = [[ids[i], round(s, 6)] for i, s in zip(items, scores)]
        return json.dumps({"userId": r["userId"], "items": pairs}, separators=(",", ":"))

    rows = (
        model.user_rows
        .join(hist.select("u", "hist"), "u", "left")
        .join(m.users.withColumnRenamed("idx", "u"), "u")
    )
    w.write_text_parts("recommendations", top_lines(spark, rows, p.partitions, RECOMMENDATIONS_PER_USER, item_factors, rec_line))
    if short.value:
        log(f"{short.value} users got fewer than {RECOMMENDATIONS_PER_USER} items although the catalogue had more")
    if hold.lines is not None:
        w.write_text_parts("holdout", hold.lines)
    else:
        # The gate must find the file list complete even when no user could be held out.
        open(w.path("holdout/part-00000.jsonl"), "w").close()

    manifest = {
        "schemaVersion": SCHEMA_VERSION,
        "version": version,
        "engine": "spark",
        "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.") + f"{created.microsecond // 1000:03d}Z",
        "model": p.spec(),
        "data": {
            "source": source,
            "events": total,
            "duplicates": valid_n - unique_n,
            "malformed": counts.get("malformed", 0),
            "unknownTypes": counts.get("unknownType", 0),
            "skipped": skipped,
            "users": m.n_users,
            "items": m.n_items,
            "interactions": m.nnz,
            "from": iso_ms(stats["first"]),
            "to": iso_ms(stats["last"]),
            "searchFollowUps": follow_n,
            **({"forgotten": forgotten} if tombstones is not None else {}),
        },
        "eventWeights": cfg.raw_weights,
        # Metrics (model, baseline) are computed from holdout/ by the TypeScript gate code, not here:
        # local/training/spark.ts adds them locally, the pipeline's evaluate step on AWS.
        "validation": {"k": args.gate_k, "split": hold.method, "holdoutK": args.k, "users": hold.users, "pairs": hold.pairs},
        "shapes": {
            "users": m.n_users,
            "items": m.n_items,
            "rank": p.rank,
            "historyNnz": m.nnz,
            "recommendationsPerUser": RECOMMENDATIONS_PER_USER,
            **({"complements": baskets.COMPLEMENTS_PER_ITEM} if complements is not None else {}),
        },
        "trainingSeconds": round(time.time() - started, 3),
        **({"complements": complements} if complements is not None else {}),
    }
    w.finish(manifest)
    log(f"artifact {version} written to {args.out} in {manifest['trainingSeconds']} s")
    return manifest


def main(argv: Optional[List[str]] = None) -> None:
    args = parse_args(argv)
    check_model(args.model)
    builder = SparkSession.builder.appName("recsys-train-als")
    # One BLAS thread per Python worker: Spark already runs a task per core, and OpenBLAS's own threads
    # spin-wait, so a second one per task halved the ALS solve's speed on two cores.
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        builder = builder.config(f"spark.executorEnv.{var}", os.environ.get(var, "1"))
    if args.glue_table:
        # On EMR the Glue Data Catalog is the Hive metastore (spark-hive-site classification).
        builder = builder.enableHiveSupport()
    spark = builder.getOrCreate()
    try:
        run(spark, args)
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
