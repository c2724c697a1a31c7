"""Writes a synthetic raw events zone in Firehose's layout, for tests and benchmarks of both trainers.

`<root>/raw/events/year=YYYY/month=MM/day=DD/<stream>-1-<yyyy-MM-dd-HH-mm-ss>-<uuid>.gz`, GZIP JSON lines, one
StoredEvent per line (shared/domain/event.ts + receivedAt), as shared/adapters/local/lake-writer.ts writes them.

The data has structure a factor model can find: shoppers belong to taste segments, each segment favours its
own slice of the catalogue (Zipf within the slice), and some traffic goes to globally popular items. So a
good model beats popularity clearly, and two good models (Spark ALS, TS iALS) should land close together.

Usage: python jobs/emr/generate_lake.py --out DIR [--events N] [--users N] [--items N] [--days N] [--seed N] [--baskets]
       [--catalog]

--baskets adds what the complements and search follow-ups read (jobs/emr/baskets.py): an orderId on every purchase
(a shopper's purchases of one week form a basket) and a search before some carts and purchases. It draws from its
own random stream, so the events without it are the same lines as before (other benches stay comparable); the
searches are extra lines.

--catalog also writes the items zone (raw/items/): every item's title, description, category and brand, in families
of three colour variants, for the complements' near-substitute test. The events are unchanged.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
from datetime import datetime, timedelta, timezone
from typing import Dict, List, Optional

import numpy as np

DAY_S = 86_400


def _uuid(rng: np.random.Generator, n: int) -> List[str]:
    a = rng.integers(0, 2**63, size=(n, 2), dtype=np.int64)
    out = []
    for hi, lo in a:
        h = f"{int(hi):016x}{int(lo):016x}"
        out.append(f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}")
    return out


def generate(
    out: str,
    events: int = 20_000,
    users: int = 500,
    items: int = 300,
    days: int = 60,
    segments: int = 10,
    seed: int = 7,
    end: Optional[datetime] = None,
    files_per_day: int = 2,
    baskets: bool = False,
    catalog: bool = False,
) -> Dict[str, int]:
    """Writes the lake under `out` and returns what it wrote (events, files)."""
    rng = np.random.default_rng(seed)
    end = end or datetime(2026, 3, 1, tzinfo=timezone.utc)
    start = end - timedelta(days=days)
    seg_of_user = rng.integers(0, segments, size=users)
    # Each segment's slice of the catalogue, in a random order so that popularity is not the item number.
    perm = rng.permutation(items)
    slices = np.array_split(perm, segments)
    # Users differ in activity (a few heavy shoppers, many light ones), as in every shop.
    activity = rng.pareto(1.5, size=users) + 1
    user_of_event = rng.choice(users, size=events, p=activity / activity.sum())
    own = rng.random(events) < 0.8
    item_of_event = np.empty(events, dtype=np.int64)
    for s in range(segments):
        sl = slices[s]
        zipf = 1.0 / np.arange(1, len(sl) + 1) ** 0.9
        idx = np.where(own & (seg_of_user[user_of_event] == s))[0]
        item_of_event[idx] = sl[rng.choice(len(sl), size=len(idx), p=zipf / zipf.sum())]
    glob = 1.0 / np.arange(1, items + 1) ** 1.1
    idx = np.where(~own)[0]
    item_of_event[idx] = perm[rng.choice(items, size=len(idx), p=glob / glob.sum())]
    types = rng.choice(["view", "add_to_cart", "purchase", "wishlist"], size=events, p=[0.7, 0.15, 0.1, 0.05])
    secs = np.sort(rng.integers(0, days * DAY_S, size=events))
    ids = _uuid(rng, events)
    qty = rng.integers(1, 4, size=events)

    base = int(start.timestamp())
    by_day: Dict[int, List[str]] = {}
    extra = np.random.default_rng(seed + 1_000_003) if baskets else None
    searched = 0

    def iso_of(t: int) -> str:
        return datetime.fromtimestamp(t, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")

    for n in range(events):
        t = base + int(secs[n])
        iso = iso_of(t)
        e = {
            "eventId": ids[n],
            "type": str(types[n]),
            "userId": f"u{int(user_of_event[n]):06d}",
            "itemId": f"sku-{int(item_of_event[n]):05d}",
            "timestamp": iso,
            "receivedAt": iso,
        }
        if e["type"] in ("add_to_cart", "purchase"):
            e["value"] = int(qty[n])
        if extra is not None:
            if e["type"] == "purchase":
                e["orderId"] = f"o{int(user_of_event[n]):06d}-w{int(secs[n]) // (7 * DAY_S)}"
            # One cart or purchase in ten follows a search 1–40 minutes before it (a quarter outside the 30-minute
            # window); the search names the segment, not the item.
            if e["type"] in ("add_to_cart", "purchase") and extra.random() < 0.1:
                s_secs = max(0, int(secs[n]) - int(extra.integers(60, 2400)))
                searched += 1
                s_iso = iso_of(base + s_secs)
                search = {"eventId": f"search-{searched:09d}", "type": "search", "userId": e["userId"],
                          "query": f"segment {int(seg_of_user[user_of_event[n]])}", "timestamp": s_iso,
                          "receivedAt": s_iso}
                by_day.setdefault(s_secs // DAY_S, []).append(json.dumps(search, separators=(",", ":")))
        by_day.setdefault(int(secs[n]) // DAY_S, []).append(json.dumps(e, separators=(",", ":")))
    files = 0
    for day, lines in sorted(by_day.items()):
        at = start + timedelta(days=day)
        for part, chunk in enumerate(np.array_split(np.arange(len(lines)), files_per_day)):
            if len(chunk) == 0:
                continue
            write_object(out, at + timedelta(hours=part), [lines[i] for i in chunk], _uuid(rng, 1)[0])
            files += 1
    got = {"events": events + searched, "files": files, **({"searches": searched} if baskets else {})}
    if catalog:
        got["catalogItems"] = write_catalog(out, perm, end)
    return got


def object_key(at: datetime, object_id: str, stream: str = "recsys-events", zone: str = "raw/events") -> str:
    return (
        f"{zone}/year={at:%Y}/month={at:%m}/day={at:%d}/"
        f"{stream}-1-{at:%Y-%m-%d-%H-%M-%S}-{object_id}.gz"
    )


MATERIALS = "cotton linen wool leather canvas ceramic glass oak steel bamboo velvet denim".split()
PRODUCTS = ("bag tote mug vase lamp cushion throw rug scarf jacket shirt bowl plate jug basket tray candle frame "
            "clock mirror stool shelf blanket apron towel").split()
COLOURS = "red blue green black white pink grey yellow".split()


def write_catalog(out: str, perm: np.ndarray, at: datetime, variants: int = 3) -> int:
    """The items zone (raw/items/, one object): a title, description, category and brand for every item, in
    product families of `variants` colours: neighbours in `perm` (the segments' slices, Zipf by position), so a
    family's variants sell alike and are bought together — what the complements' near-substitute test reads.
    Draws nothing at random: the events stay the same lines."""
    iso = at.strftime("%Y-%m-%dT%H:%M:%S.000Z")
    lines = []
    for k, item in enumerate(perm):
        n, f = int(item), k // variants
        material, product = MATERIALS[f % len(MATERIALS)], PRODUCTS[(f // len(MATERIALS)) % len(PRODUCTS)]
        colour = COLOURS[k % variants % len(COLOURS)]
        lines.append(json.dumps({
            "itemId": f"sku-{n:05d}", "title": f"{material.title()} {product.title()} M{f} {colour.title()}",
            "description": f"A {material} {product} in {colour}.", "categories": [product.title()],
            "brand": f"Maker {f % 97}", "updatedAt": iso,
        }, separators=(",", ":")))
    path = os.path.join(out, object_key(at, "00000000-0000-4000-8000-00000000ca7a", "recsys-items", "raw/items"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
    return len(perm)


def write_object(root: str, at: datetime, lines: List[str], object_id: str) -> str:
    """One delivered object: the lines gzip'd, newline-terminated, as the lake writer publishes them."""
    path = os.path.join(root, object_key(at, object_id))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8", newline="\n") as f:
        for line in lines:
            f.write(line + "\n")
    return path


if __name__ == "__main__":
    a = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    a.add_argument("--out", required=True)
    a.add_argument("--events", type=int, default=20_000)
    a.add_argument("--users", type=int, default=500)
    a.add_argument("--items", type=int, default=300)
    a.add_argument("--days", type=int, default=60)
    a.add_argument("--segments", type=int, default=10)
    a.add_argument("--seed", type=int, default=7)
    a.add_argument("--files-per-day", type=int, default=2)
    a.add_argument("--baskets", action="store_true", help="orderIds on purchases and searches before some of them")
    a.add_argument("--catalog", action="store_true",
                   help="also the items zone: titles etc. in families of 3 colour variants (the near-substitute test)")
    args = a.parse_args()
    got = generate(args.out, args.events, args.users, args.items, args.days, args.segments, args.seed,
                   files_per_day=args.files_per_day, baskets=args.baskets, catalog=args.catalog)
    print(json.dumps(got))
