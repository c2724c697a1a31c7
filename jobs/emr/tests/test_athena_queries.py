"""The Athena named queries of resources/athena.yml, run as written by Spark SQL over a lake in Firehose's layout.

Athena itself cannot run here; the queries are kept to SQL that Trino and Spark read alike, and the table is shaped
the way the Glue crawler shapes it (lower-cased JSON keys, year/month/day as string partitions). Each answer is
checked against the same figure counted in Python from the generated lines.
"""

import gzip
import json
import os
from collections import Counter, defaultdict

import pytest
import yaml

from generate_lake import generate

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", ".."))


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation's short-form tags as plain values: only the named queries' text matters here."""


for _tag in ("!Ref", "!Sub", "!GetAtt"):
    _CfnLoader.add_constructor(_tag, lambda loader, node: loader.construct_scalar(node))


def named_queries():
    with open(os.path.join(REPO, "resources", "athena.yml"), encoding="utf-8") as f:
        resources = yaml.load(f, Loader=_CfnLoader)["Resources"]
    return {
        r["Properties"]["Name"]: r["Properties"]["QueryString"]
        for r in resources.values()
        if r["Type"] == "AWS::Athena::NamedQuery"
    }


@pytest.fixture(scope="module")
def lake(tmp_path_factory, spark):
    root = str(tmp_path_factory.mktemp("athena-lake"))
    generate(root, events=3_000, users=80, items=60, days=40, seed=11)
    # What the crawler catalogs: partitions as strings (Glue's partition keys are strings), keys lower-cased.
    inference = spark.conf.get("spark.sql.sources.partitionColumnTypeInference.enabled")
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", "false")
    frame = spark.read.json(os.path.join(root, "raw", "events"))
    frame.toDF(*[c.lower() for c in frame.columns]).createOrReplaceTempView("events")
    rows = []
    for dirpath, _, files in os.walk(os.path.join(root, "raw", "events")):
        parts = dict(p.split("=") for p in dirpath.split(os.sep) if "=" in p)
        for name in files:
            with gzip.open(os.path.join(dirpath, name), "rt", encoding="utf-8") as f:
                rows.extend({**json.loads(line), **parts} for line in f)
    yield rows
    # The Spark session is shared with the training job's tests, which read partitions as the job does.
    spark.catalog.dropTempView("events")
    spark.conf.set("spark.sql.sources.partitionColumnTypeInference.enabled", inference)


def day_of(row):
    return (row["year"], row["month"], row["day"])


def test_names_the_three_queries_an_engineer_asks_first():
    assert sorted(named_queries()) == ["active-shoppers-per-day", "events-per-day-and-type", "top-items-last-30-days"]


def test_events_per_day_and_type_counts_every_line_once(spark, lake):
    got = spark.sql(named_queries()["events-per-day-and-type"]).collect()

    expected = Counter((*day_of(r), r["type"]) for r in lake)
    assert [(r.year, r.month, r.day, r.type, r.events) for r in got] == [(*k, n) for k, n in sorted(expected.items())]
    assert sum(r.events for r in got) == 3_000


def test_active_shoppers_per_day_counts_distinct_shoppers_and_items(spark, lake):
    got = spark.sql(named_queries()["active-shoppers-per-day"]).collect()

    shoppers, items, events = defaultdict(set), defaultdict(set), Counter()
    for r in lake:
        shoppers[day_of(r)].add(r["userId"])
        items[day_of(r)].add(r["itemId"])
        events[day_of(r)] += 1
    assert [((r.year, r.month, r.day), r.shoppers, r.items, r.events) for r in got] == [
        (d, len(shoppers[d]), len(items[d]), events[d]) for d in sorted(events)
    ]


def test_top_items_ranks_purchases_over_the_newest_30_days_of_data(spark, lake):
    got = spark.sql(named_queries()["top-items-last-30-days"]).collect()

    recent = set(sorted({day_of(r) for r in lake})[-30:])
    tally = defaultdict(Counter)
    for r in lake:
        if day_of(r) in recent:
            tally[r["itemId"]][r["type"]] += 1
            tally[r["itemId"]]["events"] += 1
    ranked = sorted(tally.items(), key=lambda kv: (-kv[1]["purchase"], -kv[1]["events"], kv[0]))[:50]
    assert len(recent) == 30
    assert [(r.itemid, r.purchases, r.carts, r.views, r.events) for r in got] == [
        (item, c["purchase"], c["add_to_cart"], c["view"], c["events"]) for item, c in ranked
    ]
