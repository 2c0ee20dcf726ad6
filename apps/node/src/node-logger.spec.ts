import { ConsoleLogger } from '@nestjs/common';
import { NodeLogger } from './node-logger.js';

describe(NodeLogger.name, () => {
  afterEach(() => vi.restoreAllMocks());

  it("prints Nest's route mappings only at debug level", () => {
    const printed = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation(() => true);
    new NodeLogger({ logLevels: ['error', 'warn', 'log'] }).log(
      'Mapped {/users, GET} route',
      'RouterExplorer',
    );
    expect(printed).not.toHaveBeenCalled();
    const debug = vi.spyOn(ConsoleLogger.prototype, 'debug');
    new NodeLogger({ logLevels: ['log', 'debug'], colors: false }).log(
      'Mapped {/users, GET} route',
      'RouterExplorer',
    );
    expect(debug).toHaveBeenCalledWith(
      'Mapped {/users, GET} route',
      'RouterExplorer',
    );
    expect(printed.mock.calls.join('')).toMatch(
      /DEBUG \[RouterExplorer\] Mapped \{\/users, GET\} route/,
    );
  });

  it('prints what the node says about itself at log level', () => {
    const printed = vi
      .spyOn(process.stdout, 'write')
      .mockImplementation(() => true);
    new NodeLogger({ logLevels: ['log'], colors: false }).log(
      'node-1 listening on http://localhost:8082',
      'ClusterLite',
    );
    expect(printed.mock.calls.join('')).toMatch(
      /LOG \[ClusterLite\] node-1 listening on http:\/\/localhost:8082/,
    );
  });
});
