import { BadRequestException, type MessageEvent } from '@nestjs/common';
import {
  InvalidPositionError,
  LogPosition,
  type ResourceLimits,
} from '@clusterlite/core';
import type { Request, Response } from 'express';
import {
  endWith,
  finalize,
  ignoreElements,
  interval,
  map,
  merge,
  share,
  takeUntil,
  type Observable,
} from 'rxjs';
import type { EntityDefinition, EntityQueries } from '@clusterlite/registry';
import { principalOf } from './http/request-principal.js';
import { onlyParameter } from './query-parameters.js';

const HEARTBEAT_MS = 25_000;

/**
 * A table's change feed as server-sent events, from `after` (null: live only). Every open feed
 * holds a slot of its client and of the node (ResourceLimits) until it ends or its response
 * does, also when the client left before the stream was subscribed. A resumed feed reads the
 * missed changes a page at a time, the next once the response has room.
 */
export function changeFeed(
  queries: EntityQueries,
  limits: ResourceLimits,
  definition: EntityDefinition,
  after: LogPosition | null,
  request: Request,
): Observable<MessageEvent> {
  const release = limits.openFeed(principalOf(request).client);
  request.res?.once('close', release);
  const changes = queries
    .changes(definition, after, () => drained(request.res))
    .pipe(
      map((change): MessageEvent => ({
        type: 'change',
        id: change.position,
        data: change,
      })),
      share(),
    );
  // A heartbeat keeps idle feeds open through proxies; it ends with the feed.
  const heartbeats = interval(HEARTBEAT_MS).pipe(
    map((): MessageEvent => ({ type: 'heartbeat', data: {} })),
    takeUntil(changes.pipe(ignoreElements(), endWith(null))),
  );
  return merge(changes, heartbeats).pipe(finalize(release));
}

/** Where a change feed resumes: `after` in the query, else the `Last-Event-ID` header; null for live only. */
export function feedStart(
  topic: string,
  definition: EntityDefinition,
  query: Record<string, unknown>,
  request: Request,
): LogPosition | null {
  const token =
    onlyParameter(query, 'after') ?? request.header('last-event-id');
  if (token === undefined || token === '') return null;
  const position = LogPosition.parse(token);
  if (!position) throw new InvalidPositionError(token);
  if (position.topic !== topic) {
    throw new BadRequestException(
      `"${token}" is a position of another table's log, not of ${definition.table}`,
    );
  }
  return position;
}

/** Resolves once `response` has room for more (its buffer drained), or is gone. */
function drained(response: Response | undefined): Promise<void> {
  if (!response?.writableNeedDrain || response.destroyed)
    return new Promise((resolve) => setImmediate(resolve));
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done);
      response.off('close', done);
      resolve();
    };
    response.once('drain', done);
    response.once('close', done);
  });
}
