import { access, mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';

const require = createRequire(import.meta.url);

/** Debian's Chromium (`apt-get install chromium`; .ci/run installs it): the real binary behind /usr/bin's wrapper. */
export async function launchChromium(): Promise<Browser> {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/lib/chromium/chromium', '/usr/bin/chromium'].filter(
    (p): p is string => p !== undefined && p !== '',
  );
  for (const path of candidates) {
    const found = await access(path).then(
      () => true,
      () => false,
    );
    if (found) return chromium.launch({ executablePath: path, headless: true });
  }
  throw new Error(`no Chromium at ${candidates.join(', ')}: apt-get install chromium (or set CHROMIUM_PATH)`);
}

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: { target: string[] }[];
}

/** axe-core run in the page as it stands; only serious and critical violations are returned. */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  const source = await readFile(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.addScriptTag({ content: source });
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run()).violations;
  });
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target })),
    }));
}

const SCREENSHOTS = join(process.cwd(), 'test-output', 'screenshots');

/** A full-page screenshot at desktop width and at 375 px (a phone), under test-output/screenshots/. */
export async function screenshots(page: Page, name: string): Promise<{ path: string; overflow: number }[]> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const out = [];
  for (const [label, width] of [
    ['desktop', 1280],
    ['375px', 375],
  ] as const) {
    await page.setViewportSize({ width, height: 900 });
    const path = join(SCREENSHOTS, `${name}-${label}.png`);
    await page.screenshot({ path, fullPage: true });
    // How far the page is wider than the window: readable at 375 px means no sideways scrolling.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    out.push({ path, overflow });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
  return out;
}
