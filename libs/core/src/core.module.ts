import { Global, Module, type DynamicModule } from '@nestjs/common';
import { NodeConfig } from './config/node-config.js';

/**
 * The node's configuration, validated once at startup. The only global
 * module: every other module imports what it uses.
 */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: NodeConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [{ provide: NodeConfig, useValue: config }],
      exports: [NodeConfig],
    };
  }
}
