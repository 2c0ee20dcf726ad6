import {
  Injectable,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import {
  InjectMetric,
  makeCounterProvider,
  makeGaugeProvider,
} from '@willsoto/nestjs-prometheus';
import { LogPosition } from '@clusterlite/core';
import { ProjectionService } from '@clusterlite/projection';
import type { Counter, Gauge } from 'prom-client';
import type { Subscription } from 'rxjs';

export const EVENTS_METRIC = 'clusterlite_events_total';
export const DEAD_LETTERS_METRIC = 'clusterlite_dead_letters_total';
export const APPLIED_OFFSET_METRIC = 'clusterlite_applied_offset';

export const REPLICATION_METRIC_PROVIDERS = [
  makeCounterProvider({
    name: EVENTS_METRIC,
    help: 'Events this node applied or rejected, by table, type and outcome',
    labelNames: ['table', 'type', 'status'],
  }),
  makeCounterProvider({
    name: DEAD_LETTERS_METRIC,
    help: 'Messages this node set aside as not valid events, by topic',
    labelNames: ['topic'],
  }),
  makeGaugeProvider({
    name: APPLIED_OFFSET_METRIC,
    help: 'Offset of the last event this node applied, by topic and partition',
    labelNames: ['topic', 'partition'],
  }),
];

/** The offset part of a position token (LogPosition's). */
const OFFSET = /^\d{1,19}$/;

/** Feeds Prometheus from the projection's committed outcomes (exposed at /_cluster/metrics). */
@Injectable()
export class ReplicationMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly subscriptions: Subscription[] = [];
  private readonly pendingEvents = new Map<
    string,
    { labels: Record<string, string>; count: number }
  >();
  private readonly streamLabels = new Map<
    string,
    { topic: string; partition: number }
  >();
  private readonly pendingOffsets = new Map<
    string,
    { labels: { topic: string; partition: number }; offset: number }
  >();
  private flushScheduled = false;

  constructor(
    private readonly projection: ProjectionService,
    @InjectMetric(EVENTS_METRIC) private readonly events: Counter<string>,
    @InjectMetric(DEAD_LETTERS_METRIC)
    private readonly deadLetters: Counter<string>,
    @InjectMetric(APPLIED_OFFSET_METRIC)
    private readonly appliedOffset: Gauge<string>,
  ) {}

  onModuleInit(): void {
    this.subscriptions.push(
      this.projection.outcomes$.subscribe((outcome) => {
        this.countEvent(outcome.table, outcome.type, outcome.status);
        this.notePosition(outcome.position);
      }),
      this.projection.deadLetters$.subscribe((letter) => {
        this.deadLetters.inc({ topic: letter.topic });
        this.appliedOffset.set(
          { topic: letter.topic, partition: letter.partition },
          Number(letter.offset),
        );
      }),
    );
  }

  /**
   * Counts an event. A batch's outcomes arrive one after the other in one task: they are
   * added up and handed to prom-client (which hashes the labels of every call) once per
   * table, type and status, in a microtask, so before any scrape can read the metrics.
   */
  private countEvent(table: string, type: string, status: string): void {
    const key = `${table}\u0000${type}\u0000${status}`;
    const pending = this.pendingEvents.get(key);
    if (pending) pending.count++;
    else
      this.pendingEvents.set(key, {
        labels: { table, type, status },
        count: 1,
      });
    this.scheduleFlush();
  }

  /** Notes the applied offset of the position's partition; the last one of a batch is set. */
  private notePosition(token: string): void {
    const colon = token.lastIndexOf(':');
    const stream = token.slice(0, colon);
    let labels = this.streamLabels.get(stream);
    if (labels === undefined) {
      const position = LogPosition.parse(token);
      if (!position) return;
      labels = { topic: position.topic, partition: position.partition };
      this.streamLabels.set(stream, labels);
    }
    const offset = token.slice(colon + 1);
    if (!OFFSET.test(offset)) return;
    this.pendingOffsets.set(stream, { labels, offset: Number(offset) });
    this.scheduleFlush();
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      for (const { labels, count } of this.pendingEvents.values())
        this.events.inc(labels, count);
      this.pendingEvents.clear();
      for (const { labels, offset } of this.pendingOffsets.values())
        this.appliedOffset.set(labels, offset);
      this.pendingOffsets.clear();
    });
  }

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }
}
