import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Script } from 'node:vm';
import { CONSOLE_ASSETS_DIR } from './console-assets.js';
import { consolePage } from './console.page.js';

const CONSOLE_SCRIPT = readFileSync(
  join(CONSOLE_ASSETS_DIR, 'console.js'),
  'utf8',
);
const CONSOLE_STYLES = readFileSync(
  join(CONSOLE_ASSETS_DIR, 'console.css'),
  'utf8',
);

describe('console page', () => {
  it('names the node that served it, escaped', () => {
    const page = consolePage('node-1<script>');
    expect(page).toContain(
      '<meta name="clusterlite-node" content="node-1&lt;script&gt;">',
    );
    expect(page).toContain(
      '<strong id="served-by">node-1&lt;script&gt;</strong>',
    );
    expect(page).not.toContain('node-1<script>');
  });

  it('loads only its own script and stylesheet: nothing inline, nothing from elsewhere', () => {
    const page = consolePage('node-1');
    expect([...page.matchAll(/<script[^>]*>/g)].map(([tag]) => tag)).toEqual([
      '<script type="module" src="/_console/console.js">',
    ]);
    expect(page).not.toMatch(/<style|style="|https?:\/\//);
    expect(CONSOLE_STYLES).not.toMatch(/@import|url\(/);
  });

  it('serves a script that parses as JavaScript', () => {
    // Compiled, not run: it needs a browser.
    expect(
      () => new Script(CONSOLE_SCRIPT, { filename: 'console.js' }),
    ).not.toThrow();
    expect(CONSOLE_SCRIPT).not.toMatch(/\bimport\b|https?:\/\/|innerHTML/);
  });
});
