import { createHash } from 'node:crypto';
import type { LogBounds } from '@clusterlite/event-log';

/** SHA-256 of a message's value: stored with the position, it names the message at that offset. */
export function messageFingerprint(value: Buffer | string | null): string {
  return createHash('sha256')
    .update(value ?? '')
    .digest('hex');
}

const SNAPSHOT_HINT =
  'This node applies nothing more from this topic; start it on a new DB_PATH (or a snapshot) to rebuild it from the log.';

/**
 * Why a partition cannot resume after `applied` (null: nothing applied yet),
 * given what the log holds now; null when it can. Kafka would reset such an
 * offset silently (to the log start), skipping events or re-reading others.
 */
export function gapAtResume(
  stream: string,
  applied: bigint | null,
  bounds: LogBounds,
): string | null {
  const next = applied === null ? 0n : applied + 1n;
  if (next < bounds.low)
    return (
      `${stream}: the next event to apply (offset ${next}) is below the log start (${bounds.low}): ` +
      `events were removed (retention or deletion) before this node applied them. ${SNAPSHOT_HINT}`
    );
  if (next > bounds.high)
    return (
      `${stream}: this node applied up to offset ${applied}, beyond the log end (${bounds.high}): ` +
      `the topic was deleted and re-created, or this file belongs to another log. ${SNAPSHOT_HINT}`
    );
  return null;
}

/** What a batch tells when the partition resumed, re-reading the message at the applied offset. */
export type ResumeVerdict =
  /** The message at the applied offset is the one this node applied: go on. */
  | { kind: 'verified' }
  /** Not there yet (a batch before it): apply as usual (everything in it is already applied). */
  | { kind: 'pending' }
  | { kind: 'gap'; reason: string };

/**
 * Checks the first batch after a resume: the message at offset `applied` must
 * be the very message applied there (same fingerprint). Kafka's topic id would
 * tell a re-created topic too, but kafkajs 2.2.4 speaks Metadata v6 at most and
 * never sees it; the message itself is a stronger witness.
 */
export function verifyResume(
  stream: string,
  applied: bigint,
  fingerprint: string,
  messages: { offset: string; value: Buffer | string | null }[],
): ResumeVerdict {
  const first = BigInt(messages[0].offset);
  if (first > applied)
    return {
      kind: 'gap',
      reason:
        `${stream}: offset ${applied}, the last event this node applied, is no longer on the log (it starts at ${first}). ` +
        SNAPSHOT_HINT,
    };
  const witness = messages.find(
    (message) => BigInt(message.offset) === applied,
  );
  if (!witness) return { kind: 'pending' };
  if (messageFingerprint(witness.value) !== fingerprint)
    return {
      kind: 'gap',
      reason:
        `${stream}: the message at offset ${applied} is not the one this node applied there: ` +
        `the topic was deleted and re-created (offsets reused), or this file belongs to another log. ${SNAPSHOT_HINT}`,
    };
  return { kind: 'verified' };
}
