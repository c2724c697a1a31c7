/**
 * The Data Catalog's crawler over the raw zone. AWS: a Glue crawler (the state machine calls StartCrawler and
 * GetCrawler directly; this port is what everything else — the local task bindings, tests — uses). Local: a
 * partition scan writing a schema summary.
 */
export interface CrawlerStatus {
  /** Glue's states: READY when idle. */
  state: 'READY' | 'RUNNING' | 'STOPPING';
  lastCrawl?: { status: 'SUCCEEDED' | 'CANCELLED' | 'FAILED'; errorMessage?: string };
}

export interface Crawler {
  /** Starts a crawl; resolves false when one is already running (Glue's CrawlerRunningException). */
  start(): Promise<boolean>;
  status(): Promise<CrawlerStatus>;
}
