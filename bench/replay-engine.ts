import type { EventType } from '../shared/domain/event.ts';
import { keptCount, ReplayTally, rankIn } from '../shared/evaluation/replay-metrics.ts';
import type { Recommender } from '../shared/serving/recommender.ts';
import { type ReplayServing, replayEventId } from './replay-setup.ts';

/**
 * Replaying a later period through serving: events are fed in time order through the real ingestion path, and
 * before each purchase every mode is asked for the shopper's top k, from the same stores. Events of one shopper at
 * one instant (an invoice's lines) arrive together: the lists are asked once before them, and each of their items
 * new to the shopper is one case (an item the shopper had before is excluded from every personal list, so it could
 * never be a hit).
 */

export interface ReplayEvent {
  userId?: string;
  sessionId?: string;
  itemId: string;
  type: EventType;
  /** Epoch ms. */
  timestamp: number;
  /** Sequence number, unique in the replay: the event's id. */
  n: number;
}

type Who = { userId: string } | { sessionId: string };

/** One way of answering "this shopper's top k" (a recommender with its freshness rule, a baseline). */
export interface ReplayMode {
  name: string;
  top(who: Who, k: number, known: ReadonlySet<string>): Promise<string[]>;
}

/** A personal list of the real recommender (the default exclusions, no per-category cap). */
export function personalMode(name: string, recommender: Recommender): ReplayMode {
  return {
    name,
    async top(who, k) {
      const request = {
        k,
        filters: { maxPerCategory: k },
        exclude: ['purchased', 'not_interested'] as const,
      };
      const r =
        'userId' in who
          ? await recommender.forUser({ ...request, userId: who.userId })
          : await recommender.forSession({ ...request, sessionId: who.sessionId });
      return r.items.map((i) => i.itemId);
    },
  };
}

/** The model's published trending list of the week, without what the shopper already has. */
export function trendingMode(name: string, recommender: Recommender): ReplayMode {
  return {
    name,
    async top(_who, k, known) {
      const r = await recommender.trending('7d', 100);
      return r.items
        .map((i) => i.itemId)
        .filter((id) => !known.has(id))
        .slice(0, k);
    },
  };
}

function asEvent(e: ReplayEvent, tag = 0): Record<string, unknown> {
  return {
    eventId: replayEventId(e.n, tag),
    type: e.type,
    ...(e.userId !== undefined ? { userId: e.userId } : {}),
    ...(e.sessionId !== undefined ? { sessionId: e.sessionId } : {}),
    itemId: e.itemId,
    timestamp: new Date(e.timestamp).toISOString(),
  };
}

const DAY = 86_400_000;

/** Consecutive events of one shopper at one instant. */
function* groups(events: readonly ReplayEvent[]): Generator<ReplayEvent[]> {
  let group: ReplayEvent[] = [];
  for (const e of events) {
    const g = group[0];
    if (
      g !== undefined &&
      (g.timestamp !== e.timestamp || g.userId !== e.userId || g.sessionId !== e.sessionId)
    ) {
      yield group;
      group = [];
    }
    group.push(e);
  }
  if (group.length > 0) yield group;
}

export interface ShopperReplay {
  serving: ReplayServing;
  /** Time-ordered events of signed-in shoppers. */
  events: readonly ReplayEvent[];
  /** Items each shopper interacted with before the replay (their training rows). */
  known: ReadonlyMap<string, ReadonlySet<string>>;
  modes: readonly ReplayMode[];
  trainedAt: number;
  /** The shoppers whose purchases are cases (default: all); everyone's events are fed (live counts see them). */
  asked?: ReadonlySet<string>;
  k?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Feeds the events and scores every mode before each purchase; returns the tally of cases per mode. */
export async function replayShoppers(r: ShopperReplay): Promise<ReplayTally> {
  const k = r.k ?? 10;
  const tally = new ReplayTally(r.modes.map((m) => m.name));
  const seen = new Map<string, Set<string>>();
  const total = r.events.length;
  let done = 0;
  for (const group of groups(r.events)) {
    const first = group[0]!;
    const userId = first.userId!;
    let had = seen.get(userId);
    if (had === undefined) {
      had = new Set(r.known.get(userId) ?? []);
      seen.set(userId, had);
    }
    const asked = r.asked === undefined || r.asked.has(userId);
    const targets = asked
      ? [...new Set(group.filter((e) => e.type === 'purchase' && !had.has(e.itemId)).map((e) => e.itemId))]
      : [];
    if (targets.length > 0) {
      r.serving.clock.now = first.timestamp;
      const day = Math.floor((first.timestamp - r.trainedAt) / DAY);
      for (const mode of r.modes) {
        const list = await mode.top({ userId }, k, had);
        for (const item of targets) tally.add(mode.name, day, rankIn(list, item, k));
      }
    }
    await r.serving.ingest(group.map((e) => asEvent(e)));
    for (const e of group) had.add(e.itemId);
    done += group.length;
    r.onProgress?.(done, total);
  }
  return tally;
}

export interface SessionReplay {
  serving: ReplayServing;
  /** Each session's events in order (anonymous: sessionId set, no userId). */
  sessions: readonly (readonly ReplayEvent[])[];
  modes: readonly ReplayMode[];
  trainedAt: number;
  k?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Before each session's next item (from its second on), every mode's session list: one case per new item. */
export async function replaySessions(r: SessionReplay): Promise<ReplayTally> {
  const k = r.k ?? 10;
  const tally = new ReplayTally(r.modes.map((m) => m.name));
  let done = 0;
  for (const session of r.sessions) {
    const had = new Set<string>();
    for (const e of session) {
      if (had.size > 0 && !had.has(e.itemId)) {
        r.serving.clock.now = e.timestamp;
        const day = Math.floor((e.timestamp - r.trainedAt) / DAY);
        for (const mode of r.modes) {
          const list = await mode.top({ sessionId: e.sessionId! }, k, had);
          tally.add(mode.name, day, rankIn(list, e.itemId, k));
        }
      }
      await r.serving.ingest([asEvent(e)]);
      had.add(e.itemId);
    }
    r.onProgress?.(++done, r.sessions.length);
  }
  return tally;
}

export interface StabilityProbe {
  serving: ReplayServing;
  /** Per shopper: the item of one view, then of one purchase (their next real purchase), and when. */
  probes: readonly { userId: string; itemId: string; timestamp: number }[];
  modes: readonly ReplayMode[];
  k?: number;
}

/**
 * How much one event moves a list: per mode and shopper, how many of the top k are still there after one view of
 * an item, and after one purchase of it. Each single event is ingested and taken out of recent activity again, so
 * the probe leaves the stores as it found them.
 */
export async function probeStability(
  p: StabilityProbe,
): Promise<Map<string, { afterView: number[]; afterPurchase: number[] }>> {
  const k = p.k ?? 10;
  const out = new Map(
    p.modes.map((m) => [m.name, { afterView: [] as number[], afterPurchase: [] as number[] }]),
  );
  let n = 0;
  for (const probe of p.probes) {
    const who = { userId: probe.userId };
    p.serving.clock.now = probe.timestamp;
    const none = new Set<string>();
    const before = await Promise.all(p.modes.map((m) => m.top(who, k, none)));
    for (const type of ['view', 'purchase'] as const) {
      const e = asEvent({ ...probe, type, n: n++ }, 999);
      await p.serving.ingest([e]);
      const after = await Promise.all(p.modes.map((m) => m.top(who, k, none)));
      await p.serving.forget(`u:${probe.userId}`, [e as { eventId: string; timestamp: string }]);
      p.modes.forEach((m, q) => {
        const kept = keptCount(before[q]!, after[q]!);
        const s = out.get(m.name)!;
        (type === 'view' ? s.afterView : s.afterPurchase).push(kept);
      });
    }
  }
  return out;
}
