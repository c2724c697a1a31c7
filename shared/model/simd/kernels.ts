/**
 * The WebAssembly SIMD kernels (kernels.wat) and the memory they work on. A kernel reads and writes only its
 * own linear memory, so the arrays it touches live there: an `Arena` is one fixed-size shared memory with a
 * bump allocator handing out typed views, and worker threads attach to the same memory to run the same
 * kernels on the same arrays (the iALS half-steps). The memory never grows, so views never detach.
 */
import { KERNELS_WASM_BASE64 } from './kernels-wasm.ts';

export interface Kernels {
  dot(a: number, b: number, f: number): number;
  scores(x: number, y: number, n: number, f: number, out: number): void;
  gramAdd(y: number, n: number, f: number, out: number): void;
  gemmNT(
    m: number,
    nc: number,
    kc: number,
    s: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
  ): void;
  solveRow(x: number, l: number, n: number, c0: number, c1: number, unit: number): void;
  foldGram(y: number, items: number, w: number, n: number, f: number, a: number): void;
  accumulate(
    indices: number,
    conf: number,
    q: number,
    qend: number,
    y: number,
    v: number,
    out: number,
    f: number,
    residual: number,
  ): void;
  cgRows(
    indptr: number,
    indices: number,
    conf: number,
    x: number,
    y: number,
    a: number,
    f: number,
    steps: number,
    from: number,
    to: number,
    scratch: number,
    gather: number,
    iota: number,
    gatherRows: number,
  ): void;
}

const PAGE = 65_536;
const MAX_PAGES = 65_536;

let compiled: WebAssembly.Module | undefined;
let unsupported: string | undefined;

function kernelModule(): WebAssembly.Module | undefined {
  if (compiled !== undefined || unsupported !== undefined) return compiled;
  try {
    compiled = new WebAssembly.Module(Buffer.from(KERNELS_WASM_BASE64, 'base64'));
  } catch (e) {
    // A runtime without wasm SIMD or threads: every caller has a JavaScript path.
    unsupported = e instanceof Error ? e.message : String(e);
  }
  return compiled;
}

// Read once: serving asks on every request.
const DISABLED = process.env.RECSYS_SIMD === '0';

/** Whether the kernels can run here for vectors of length f (they need f to be a multiple of 4). */
export function simdAvailable(f: number): boolean {
  if (DISABLED) return false;
  return f % 4 === 0 && f > 0 && kernelModule() !== undefined;
}

function instantiate(memory: WebAssembly.Memory): Kernels {
  const module = kernelModule();
  if (module === undefined) throw new Error(`WebAssembly SIMD kernels unavailable: ${unsupported}`);
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
}

/** A region of an arena: its byte address for the kernels and a typed view for JavaScript. */
export interface Region<T> {
  ptr: number;
  view: T;
}

export class Arena {
  readonly memory: WebAssembly.Memory;
  readonly kernels: Kernels;
  private next = 16;

  /** An arena of at least `bytes` bytes (allocations are padded to 16 bytes each; size accordingly). */
  constructor(bytes: number, memory?: WebAssembly.Memory) {
    const pages = Math.ceil((bytes + 16) / PAGE);
    if (pages > MAX_PAGES)
      throw new Error(`model too large for a 4 GiB WebAssembly memory (${(bytes / 2 ** 30).toFixed(1)} GiB)`);
    this.memory = memory ?? new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
    this.kernels = instantiate(this.memory);
  }

  /** Worker side: the kernels over a memory another thread allocated (its regions are addressed by ptr). */
  static attach(memory: WebAssembly.Memory): Arena {
    return new Arena(0, memory);
  }

  /** Whether an arena of `bytes` fits in a 32-bit WebAssembly memory (4 GiB). */
  static fits(bytes: number): boolean {
    return Math.ceil((bytes + 16) / PAGE) <= MAX_PAGES;
  }

  /** Bytes to request for arrays of these element counts (4-byte elements), with alignment padding. */
  static bytesFor(...counts: number[]): number {
    return counts.reduce((s, n) => s + Math.ceil((n * 4) / 16) * 16, 16);
  }

  private take(bytes: number): number {
    const ptr = this.next;
    this.next += Math.ceil(bytes / 16) * 16;
    if (this.next > this.memory.buffer.byteLength) throw new Error('arena exhausted (sized too small)');
    return ptr;
  }

  f32(count: number): Region<Float32Array> {
    const ptr = this.take(count * 4);
    return { ptr, view: new Float32Array(this.memory.buffer, ptr, count) };
  }

  i32(count: number): Region<Int32Array> {
    const ptr = this.take(count * 4);
    return { ptr, view: new Int32Array(this.memory.buffer, ptr, count) };
  }

  f64(count: number): Region<Float64Array> {
    const ptr = this.take(count * 8);
    return { ptr, view: new Float64Array(this.memory.buffer, ptr, count) };
  }
}

/**
 * Scores a user vector against a fixed item-factor matrix (serving, fold-in, evaluation): the factors are
 * copied into an arena once, then each call is one kernel pass. The result view is overwritten by the next
 * call on the same scorer.
 */
/** Items per `foldGram` call: a shopper with more events is folded in over several calls, in order. */
const FOLD_CHUNK = 256;

export class ItemScorer {
  private readonly arena: Arena;
  private readonly y: Region<Float32Array>;
  private readonly x: Region<Float32Array>;
  private readonly out: Region<Float32Array>;
  private readonly foldA: Region<Float64Array>;
  private readonly foldItems: Region<Int32Array>;
  private readonly foldW: Region<Float64Array>;
  readonly items: number;
  readonly factors: number;

  constructor(itemFactors: Float32Array, items: number, factors: number) {
    this.items = items;
    this.factors = factors;
    this.arena = new Arena(ItemScorer.bytes(items, factors));
    this.y = this.arena.f32(items * factors);
    this.y.view.set(itemFactors.subarray(0, items * factors));
    this.x = this.arena.f32(factors);
    this.out = this.arena.f32(items);
    this.foldA = this.arena.f64(factors * factors);
    this.foldItems = this.arena.i32(FOLD_CHUNK);
    this.foldW = this.arena.f64(FOLD_CHUNK);
  }

  static bytes(items: number, f: number): number {
    return Arena.bytesFor(items * f, f, items, 2 * f * f, FOLD_CHUNK, 2 * FOLD_CHUNK);
  }

  /** x (f floats from `offset`) · every item vector; returns a view valid until the next call. */
  score(x: Float32Array, offset = 0): Float32Array {
    const f = this.factors;
    this.x.view.set(x.subarray(offset, offset + f));
    this.arena.kernels.scores(this.x.ptr, this.y.ptr, this.items, f, this.out.ptr);
    return this.out.view;
  }

  /**
   * Fold-in's matrix: `gram` plus Σ (c − 1)·y_j y_jᵀ over `items` (confidences `conf`) on the lower triangle,
   * returned as a view valid until the next call (the upper triangle is `gram`'s). Bitwise what the JavaScript
   * loop of `foldIn` computes.
   */
  foldGram(gram: Float64Array, items: ArrayLike<number>, conf: ArrayLike<number>): Float64Array {
    const f = this.factors;
    this.foldA.view.set(gram.subarray(0, f * f));
    for (let from = 0; from < items.length; from += FOLD_CHUNK) {
      const n = Math.min(FOLD_CHUNK, items.length - from);
      for (let q = 0; q < n; q++) {
        this.foldItems.view[q] = items[from + q]!;
        this.foldW.view[q] = conf[from + q]! - 1;
      }
      this.arena.kernels.foldGram(this.y.ptr, this.foldItems.ptr, this.foldW.ptr, n, f, this.foldA.ptr);
    }
    return this.foldA.view;
  }
}

const scorers = new WeakMap<Float32Array, ItemScorer>();

/**
 * The scorer of an item-factor matrix, made once per matrix and kept as long as the matrix is alive, or
 * undefined where the kernels cannot run (then use `scoreAll`). The matrix must not change afterwards:
 * trained models and loaded artifacts never change their factors.
 */
export function itemScorer(itemFactors: Float32Array, items: number, f: number): ItemScorer | undefined {
  // Serving asks on every request: the cached scorer answers before any size arithmetic.
  const cached = scorers.get(itemFactors);
  if (cached !== undefined && cached.items === items && cached.factors === f) return cached;
  if (!simdAvailable(f) || !Arena.fits(ItemScorer.bytes(items, f))) return undefined;
  const s = new ItemScorer(itemFactors, items, f);
  scorers.set(itemFactors, s);
  return s;
}
