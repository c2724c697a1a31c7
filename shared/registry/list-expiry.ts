import type { Deployment, PublicationStore } from '../ports/publication-store.ts';

/**
 * How long a published list lives: 30 days from its publication. Long enough that the previous champion stays
 * servable for a rollback for weeks (a rollback republishes it anyway), short enough that the lists of versions
 * nobody serves stop costing storage within a month.
 */
export const LIST_TTL_SECONDS = 30 * 86_400;

/**
 * A serving version's lists are republished when fewer than 10 days are left: the daily trigger
 * (start-retrain) then has ten chances to do it before serving would fall back.
 */
const REFRESH_BEFORE_SECONDS = 10 * 86_400;

/** The expiry (epoch seconds, the TTL attribute) of lists published at `now`. */
export function listExpiry(now: Date, ttlSeconds = LIST_TTL_SECONDS): number {
  return Math.floor(now.getTime() / 1000) + ttlSeconds;
}

const REFRESH = 'refresh lists';

/** The reason of a publication that only renews a serving version's lists (activateVersion changes nothing for it). */
export function refreshReason(modelVersion: string, expiresAt: number): string {
  return `${REFRESH} of ${modelVersion} (expiring ${new Date(expiresAt * 1000).toISOString()})`;
}

export function isListRefresh(reason: string): boolean {
  return reason.startsWith(REFRESH);
}

/** The versions that serve someone: the champion and a running experiment's variants. */
function servingVersions(d: Deployment | undefined): string[] {
  if (d === undefined) return [];
  return [...new Set([d.champion, ...(d.experiment?.variants.map((v) => v.modelVersion) ?? [])])];
}

export interface DueRefresh {
  modelVersion: string;
  expiresAt: number;
}

/**
 * The serving versions whose lists expire within REFRESH_BEFORE_SECONDS of `now` (or have already: serving falls
 * back until they are republished). A version with no expiry recorded (published before lists had one) is not due.
 */
export async function listsDueForRefresh(store: PublicationStore, now: Date): Promise<DueRefresh[]> {
  const due: DueRefresh[] = [];
  const limit = Math.floor(now.getTime() / 1000) + REFRESH_BEFORE_SECONDS;
  for (const modelVersion of servingVersions(await store.getDeployment())) {
    const expiresAt = await store.listsExpireAt(modelVersion);
    if (expiresAt !== undefined && expiresAt <= limit) due.push({ modelVersion, expiresAt });
  }
  return due;
}
