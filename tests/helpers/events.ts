import { randomUUID } from 'node:crypto';
import type { ShopperEvent } from '../../shared/domain/event.ts';

/** A valid event, with any field overridden; `now` keeps timestamps inside the future-skew limit. */
export function makeEvent(
  overrides: Partial<Record<keyof ShopperEvent, unknown>> = {},
): Record<string, unknown> {
  return {
    eventId: randomUUID(),
    type: 'view',
    userId: 'u-1',
    itemId: 'sku-1',
    timestamp: new Date(Date.now() - 1000).toISOString(),
    ...overrides,
  };
}
