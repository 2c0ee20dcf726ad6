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

/** Feeds Prometheus from the projection's committed outcomes (exposed at /_cluster/metrics). */
@Injectable()
export class ReplicationMetrics implements OnModuleInit, OnModuleDestroy {
  private readonly subscriptions: Subscription[] = [];

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
        this.events.inc({
          table: outcome.table,
          type: outcome.type,
          status: outcome.status,
        });
        const position = LogPosition.parse(outcome.position);
        if (position) {
          this.appliedOffset.set(
            { topic: position.topic, partition: position.partition },
            Number(position.offset),
          );
        }
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

  onModuleDestroy(): void {
    for (const subscription of this.subscriptions) subscription.unsubscribe();
  }
}
