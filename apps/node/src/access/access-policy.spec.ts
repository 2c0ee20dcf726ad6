import { defaultRequirement } from './access-policy.js';

describe(defaultRequirement.name, () => {
  it.each([
    ['GET', '/users', 'read'],
    ['HEAD', '/users/1', 'read'],
    ['GET', '/users/1/history', 'read'],
    ['GET', '/users/_changes', 'read'],
    ['POST', '/users', 'write'],
    ['PUT', '/users/1', 'write'],
    ['PATCH', '/users/1', 'write'],
    ['DELETE', '/users/1', 'write'],
    ['GET', '/_cluster/status', 'admin'],
    ['GET', '/_cluster/snapshot', 'admin'],
    ['GET', '/_CLUSTER/Metrics', 'admin'],
    ['POST', '/_cluster', 'admin'],
  ])('%s %s needs %s', (method, path, role) => {
    expect(defaultRequirement(method, path)).toBe(role);
  });

  it('does not take a table whose name starts like _cluster for the cluster routes', () => {
    expect(defaultRequirement('GET', '/_clusterfoo')).toBe('read');
  });
});
