import {
  mismatches,
  parseCurlOutput,
  patternOf,
  walkthroughSteps,
} from './readme-blocks.js';

const fence = '```';

describe('Reading the README as a walkthrough', () => {
  it('takes only the marked blocks, joins continued lines and keeps the answers shown under each command', () => {
    const steps = walkthroughSteps(
      [
        '<!-- walkthrough -->',
        '',
        `${fence}bash`,
        'curl -i -X POST localhost:8082/users \\',
        "  -d '{}'   # a comment",
        '# HTTP/1.1 202 Accepted',
        `${fence}`,
        '',
        `${fence}bash`,
        "rm -rf /   # someone else's section, not marked",
        `${fence}`,
        '<!-- walkthrough -->',
        `${fence}ts`,
        '// apps/x.ts',
        'export const x = 1;',
        `${fence}`,
      ].join('\n'),
    );
    expect(steps).toEqual([
      {
        kind: 'command',
        command: "curl -i -X POST localhost:8082/users  -d '{}'   # a comment",
        expected: ['HTTP/1.1 202 Accepted'],
        line: 4,
      },
      {
        kind: 'file',
        path: 'apps/x.ts',
        content: '// apps/x.ts\nexport const x = 1;\n',
        line: 14,
      },
    ]);
  });

  it('lets an example id stand for any id and … for anything, and nothing else', () => {
    const shown = '{"id":"01a20f37-…","position":"clusterlite.users:0:0",…}';
    expect(
      patternOf(shown).test(
        '{"id":"01a22c76-fb94-77bd-8d74-0f8f991ace3e","position":"clusterlite.users:0:0","x":1}',
      ),
    ).toBe(true);
    expect(
      patternOf(shown).test(
        '{"id":"01a22c76-fb94-77bd-8d74-0f8f991ace3e","position":"clusterlite.users:0:1","x":1}',
      ),
    ).toBe(false);
  });

  it('reports each status line, header and body that differs from what the README shows', () => {
    const answer = parseCurlOutput(
      'HTTP/1.1 415 Unsupported Media Type\r\nContent-Type: application/problem+json\r\n\r\n{"status":415}',
    );
    expect(
      mismatches(
        [
          'HTTP/1.1 202 Accepted',
          'Location: /users/01a20f37-ee53-7168-a25d-da8f93a4ac54',
          'Content-Type: application/problem+json',
          '{"status":415}',
        ],
        answer,
      ),
    ).toEqual([
      'HTTP/1.1 202 Accepted  ≠  HTTP/1.1 415 Unsupported Media Type',
      'Location: /users/01a20f37-ee53-7168-a25d-da8f93a4ac54  ≠  Location: (missing)',
    ]);
  });
});
