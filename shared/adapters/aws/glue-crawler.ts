import { GetCrawlerCommand, type GlueClient, StartCrawlerCommand } from '@aws-sdk/client-glue';
import type { Crawler, CrawlerStatus } from '../../ports/crawler.ts';

/** The Crawler port on a Glue crawler: the same two calls the state machine's Crawl states make. */
export function createGlueCrawler(options: { client: GlueClient; name: string }): Crawler {
  const { client, name } = options;
  return {
    async start() {
      try {
        await client.send(new StartCrawlerCommand({ Name: name }));
        return true;
      } catch (error) {
        if ((error as { name?: string }).name === 'CrawlerRunningException') return false;
        throw error;
      }
    },
    async status(): Promise<CrawlerStatus> {
      const out = await client.send(new GetCrawlerCommand({ Name: name }));
      const c = out.Crawler;
      if (c === undefined) throw new Error(`crawler ${name} has no description`);
      return {
        state: (c.State ?? 'READY') as CrawlerStatus['state'],
        ...(c.LastCrawl?.Status !== undefined
          ? {
              lastCrawl: {
                status: c.LastCrawl.Status as 'SUCCEEDED',
                ...(c.LastCrawl.ErrorMessage ? { errorMessage: c.LastCrawl.ErrorMessage } : {}),
              },
            }
          : {}),
      };
    },
  };
}
