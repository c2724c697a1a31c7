import type { EventType, StoredEvent } from '../domain/event.ts';
import type { Item } from '../domain/item.ts';

/** A shopper's recent event, as real-time serving and exclusions read it. */
export interface ActivityEntry {
  eventId: string;
  type: EventType;
  itemId?: string;
  timestamp: string;
  receivedAt: string;
  value?: number;
}

export const ACTIVITY_LIMITS = {
  /** Newest entries kept per shopper. */
  maxPerShopper: 200,
  /** Entries expire this long after they were received (DynamoDB TTL on AWS). */
  ttlSeconds: 90 * 24 * 3600,
} as const;

/**
 * The narrow store serving reads from. AWS: DynamoDB. Local: node:sqlite under RECSYS_DATA_DIR.
 * Both pass tests/contract/serving-store.contract.ts.
 */
export interface ServingStore {
  /** Upserts by itemId; a later `updatedAt` wins, an older one is ignored so replays cannot roll back. */
  putItems(items: readonly Item[]): Promise<void>;
  getItem(itemId: string): Promise<Item | undefined>;
  /** Missing ids are simply absent from the map. */
  getItems(itemIds: readonly string[]): Promise<Map<string, Item>>;
  /**
   * Idempotent per (shopperKey, eventId) for a resent event. Entries expire `ttlSeconds` after `receivedAt`.
   * Only the newest `maxPerShopper` per shopper are ever read: the embedded store deletes the rest at once,
   * DynamoDB leaves them to its TTL (no read-before-write on the ingest path).
   */
  appendActivity(entries: readonly { shopperKey: string; event: StoredEvent }[]): Promise<void>;
  /**
   * Takes appended entries out again, by (shopperKey, timestamp, eventId); absent ones are ignored. Ingestion calls
   * it for events the lake refused after their activity was written beside them.
   */
  removeActivity(
    entries: readonly { shopperKey: string; event: Pick<StoredEvent, 'eventId' | 'timestamp'> }[],
  ): Promise<void>;
  /** Newest first (by event timestamp), unexpired only, at most `limit` (default maxPerShopper). */
  recentActivity(shopperKey: string, limit?: number): Promise<ActivityEntry[]>;
  /** Deletes every activity entry of the shopper, expired or not (the right to be forgotten, shared/users/forget.ts). */
  forgetShopper(shopperKey: string): Promise<void>;
  close(): Promise<void>;
}
