import { type UserProfile, validateProfile } from '../domain/user.ts';
import type { FieldError } from '../domain/validation.ts';
import type { RecordSink } from '../ports/record-sink.ts';
import type { UserStore } from '../ports/user-store.ts';

export interface PutUsersDeps {
  /** The lake's `raw/users/` zone (a Firehose stream on AWS, the lake writer locally). */
  userSink: RecordSink;
  users: UserStore;
  now?: () => number;
}

interface Refused {
  index: number;
  userId: string | undefined;
  errors: FieldError[];
}

export interface PutUsersResult {
  upserted: number;
  rejected: Refused[];
  unavailable: Refused[];
}

const userIdOf = (input: unknown) =>
  typeof input === 'object' && input !== null && typeof (input as { userId?: unknown }).userId === 'string'
    ? (input as { userId: string }).userId
    : undefined;

/**
 * Profile upserts, as catalog upserts go: validated, written to the lake first (training joins every version
 * with the events) and then to the serving store, which keeps the newest `updatedAt` per shopper.
 */
export async function putUsers(inputs: readonly unknown[], deps: PutUsersDeps): Promise<PutUsersResult> {
  const now = (deps.now ?? Date.now)();
  const valid: { index: number; profile: UserProfile }[] = [];
  const rejected: Refused[] = [];
  const seen = new Set<string>();
  inputs.forEach((input, index) => {
    const r = validateProfile(input, now);
    if (!r.ok) rejected.push({ index, userId: userIdOf(input), errors: r.errors });
    else if (seen.has(r.value.userId))
      rejected.push({
        index,
        userId: r.value.userId,
        errors: [{ path: 'userId', message: 'appears more than once in this batch' }],
      });
    else {
      seen.add(r.value.userId);
      valid.push({ index, profile: r.value });
    }
  });
  const { failed } = await deps.userSink.put(
    valid.map(({ profile }) => ({ id: profile.userId, json: JSON.stringify(profile) })),
  );
  const failedAt = new Set(failed.map((f) => f.index));
  const unavailable: Refused[] = [];
  for (const f of failed) {
    const entry = {
      index: valid[f.index]!.index,
      userId: f.id,
      errors: [{ path: '(root)', message: f.message }],
    };
    (f.code === 'too_large' ? rejected : unavailable).push(entry);
  }
  rejected.sort((a, b) => a.index - b.index);
  const landed = valid.filter((_, i) => !failedAt.has(i)).map((v) => v.profile);
  await deps.users.putProfiles(landed);
  return { upserted: landed.length, rejected, unavailable };
}
