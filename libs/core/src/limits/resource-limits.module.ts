import { Module } from '@nestjs/common';
import { ResourceLimits } from './resource-limits.js';

/** The node's one `ResourceLimits`: open change feeds per node and per client, and the refusals. */
@Module({ providers: [ResourceLimits], exports: [ResourceLimits] })
export class ResourceLimitsModule {}
