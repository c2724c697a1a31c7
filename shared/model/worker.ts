/**
 * The worker side of parallel.ts: waits for team jobs and runs them against the shared buffers. Each op is
 * the very function the caller's thread runs as member 0, so results do not depend on the thread count.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { invertSpdTeam, sharedTeam, type Team, TeamAbortedError } from './blocked-spd.ts';
import { type HalfStepArgs, halfStepTeam } from './ials.ts';
import { type SimdHalfStepArgs, simdHalfStepTeam } from './simd/ials-simd.ts';
import { invertSpdSimdTeam, type SpdSimdArgs } from './simd/spd-simd.ts';

const OPS: Record<string, (args: never, team: Team) => void> = {
  invertSpd: (args: { a: Float64Array; u: Float64Array; n: number }, team) =>
    invertSpdTeam(args.a, args.u, args.n, team),
  ialsHalfStep: (args: HalfStepArgs, team) => halfStepTeam(args, team),
  ialsHalfStepSimd: (args: SimdHalfStepArgs, team) => simdHalfStepTeam(args, team),
  invertSpdSimd: (args: SpdSimdArgs, team) => invertSpdSimdTeam(args, team),
};

interface Message {
  op: string;
  args: never;
  ctrl: Int32Array;
  id: number;
  size: number;
}

parentPort!.on('message', (msg: Message) => {
  const { ctrl } = msg;
  try {
    const op = OPS[msg.op];
    if (op === undefined) throw new Error(`unknown worker op ${msg.op}`);
    op(msg.args, sharedTeam(ctrl, msg.id, msg.size));
  } catch (e) {
    if (!(e instanceof TeamAbortedError)) console.error(e);
    Atomics.store(ctrl, 2, 1);
    Atomics.notify(ctrl, 1);
  } finally {
    Atomics.add(ctrl, 3, 1);
    Atomics.notify(ctrl, 3);
  }
});

const ready = (workerData as { ready: Int32Array }).ready;
Atomics.store(ready, 0, 1);
Atomics.notify(ready, 0);
