/**
 * "Bought together" against item-kNN and popularity on Online Retail's later invoices (bench/lib/bought-together.ts).
 * Run: npm run bench:bought-together
 */
import { boughtTogetherSection } from './lib/bought-together.ts';

await boughtTogetherSection();
