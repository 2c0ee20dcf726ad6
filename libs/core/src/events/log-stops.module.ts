import { Module } from '@nestjs/common';
import { LogStops } from './log-stops.js';

/** The node's one `LogStops`: topics (or the whole file) it refuses to go on with, and why. */
@Module({ providers: [LogStops], exports: [LogStops] })
export class LogStopsModule {}
