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
import { ResourceLimits } from '@clusterlite/core';
import type { Counter, Gauge } from 'prom-client';
import type { Subscription } from 'rxjs';

export const LIMIT_REFUSALS_METRIC = 'clusterlite_limit_refusals_total';
export const CHANGE_FEEDS_METRIC = 'clusterlite_change_feeds_open';

export const LIMIT_METRIC_PROVIDERS = [
  makeCounterProvider({
    name: LIMIT_REFUSALS_METRIC,
    help: 'Requests a limit refused or capped, by limit (rate-limited, too-many-change-feeds, change-feeds-exhausted, body-keys, body-depth, count-capped)',
    labelNames: ['limit'],
  }),
  makeGaugeProvider({
    name: CHANGE_FEEDS_METRIC,
    help: 'Change feeds open on this node',
  }),
];

/** Feeds Prometheus from the node's resource limits (exposed at /_cluster/metrics). */
@Injectable()
export class LimitMetrics implements OnModuleInit, OnModuleDestroy {
  private subscription?: Subscription;

  constructor(
    private readonly limits: ResourceLimits,
    @InjectMetric(LIMIT_REFUSALS_METRIC)
    private readonly refusals: Counter<string>,
    @InjectMetric(CHANGE_FEEDS_METRIC) private readonly feeds: Gauge<string>,
  ) {}

  onModuleInit(): void {
    this.subscription = this.limits.refusals$.subscribe((limit) =>
      this.refusals.inc({ limit }),
    );
    // Read when scraped (prom-client calls a metric's collect): the count is the limiter's.
    (this.feeds as Gauge<string> & { collect?: () => void }).collect = () =>
      this.feeds.set(this.limits.changeFeedsOpen);
  }

  onModuleDestroy(): void {
    this.subscription?.unsubscribe();
  }
}
