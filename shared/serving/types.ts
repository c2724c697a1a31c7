import type { Assignment } from './assignment.ts';

/** What serving is asked and what it answers: the shapes the handlers and the local server share. */

export const EXCLUDE_KINDS = ['purchased', 'not_interested', 'viewed', 'carted'] as const;
export type ExcludeKind = (typeof EXCLUDE_KINDS)[number];
export const DEFAULT_EXCLUDE: readonly ExcludeKind[] = ['purchased', 'not_interested'];
export const TRENDING_WINDOW_NAMES = ['1h', '24h', '7d'] as const;
export type TrendingWindowName = (typeof TRENDING_WINDOW_NAMES)[number];

export interface Filters {
  category?: string;
  minPrice?: number;
  maxPrice?: number;
  /** At most this many items of one (leaf) category; default ⌈k/2⌉ when no category filter is given. */
  maxPerCategory?: number;
}

export interface RecommendationItem {
  itemId: string;
  score: number;
  reason: string;
  title: string | null;
  price: number | null;
}

export interface RecommendationResponse {
  recommendationId: string;
  userId?: string;
  sessionId?: string;
  modelVersion: string | null;
  variant: string;
  items: RecommendationItem[];
}

export interface UserRequest {
  userId: string;
  k: number;
  filters: Filters;
  context?: string;
  exclude: readonly ExcludeKind[];
}

export interface SessionRequest {
  sessionId: string;
  k: number;
  filters: Filters;
  context?: string;
  exclude: readonly ExcludeKind[];
}

export interface CartRequest {
  items: readonly string[];
  userId?: string;
  k: number;
}

export interface BasketAnswer {
  modelVersion: string | null;
  items: RecommendationItem[];
}

export interface RerankAnswer {
  userId: string;
  modelVersion: string | null;
  variant: string;
  items: RerankedItem[];
}

export interface RerankedItem {
  itemId: string;
  /** The blend's score, or null for an item the model does not know. */
  score: number | null;
}

/** The item asked about is neither in the model nor in the catalog (404). */
export class UnknownItemError extends Error {
  constructor(itemId: string) {
    super(`no item with itemId "${itemId}"`);
    this.name = 'UnknownItemError';
  }
}

/** No deployment record and no model at all: serving can only answer the fallback. */
export class NoModelError extends Error {
  constructor(options?: { cause?: unknown }) {
    super('no model is deployed and none is stored', options);
    this.name = 'NoModelError';
  }
}

export interface Recommender {
  forUser(request: UserRequest): Promise<RecommendationResponse>;
  forSession(request: SessionRequest): Promise<RecommendationResponse>;
  /** With `userId`, a signed-in shopper's stated preferences apply to the list. */
  similar(
    itemId: string,
    k: number,
    userId?: string,
  ): Promise<{ itemId: string; modelVersion: string | null; items: RecommendationItem[] }>;
  trending(
    window: TrendingWindowName,
    k: number,
    category?: string,
    userId?: string,
  ): Promise<{
    window: TrendingWindowName;
    category?: string;
    /** 'live': from the counters updated on ingest; 'model': the champion's, as of its training; 'none'. */
    source: 'live' | 'model' | 'none';
    modelVersion: string | null;
    asOf: string | null;
    items: RecommendationItem[];
  }>;
  /** Complements of one item ("bought together"); undefined when neither the model nor the catalog knows it. */
  boughtTogether(itemId: string, k: number): Promise<BasketAnswer | undefined>;
  /** Complements of a cart, personalised when it names the shopper. */
  cart(request: CartRequest): Promise<BasketAnswer>;
  /** The given items ordered for the shopper, with scores. */
  rerank(userId: string, items: readonly string[]): Promise<RerankAnswer>;
  /** The model and variant a shopper is served (for feedback and the CLI). */
  assignment(shopperKey: string): Promise<Assignment | undefined>;
}
