import { Module, type DynamicModule } from '@nestjs/common';
import { LogStopsModule } from '@clusterlite/core';
import { EntityCommands } from '@clusterlite/registry';
import { CommandService } from './command.service.js';

/**
 * The write side: HTTP command → event → log. Emits through the
 * `EVENT_LOG_CLIENT` of the `EventLogModule` (Kafka or embedded) and provides
 * the `EntityCommands` port the routes use.
 *
 * @example
 * CommandModule.register({ imports: [registry, eventLog] })
 */
@Module({})
export class CommandModule {
  static register(
    options: { imports?: DynamicModule['imports'] } = {},
  ): DynamicModule {
    return {
      module: CommandModule,
      imports: [LogStopsModule, ...(options.imports ?? [])],
      providers: [
        CommandService,
        { provide: EntityCommands, useExisting: CommandService },
      ],
      exports: [EntityCommands, CommandService],
    };
  }
}
