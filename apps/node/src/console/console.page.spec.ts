import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_ASSETS_DIR } from './console-assets.js';
import { consolePage } from './console.page.js';

const CONSOLE_SCRIPTS = readdirSync(CONSOLE_ASSETS_DIR).filter((name) =>
  name.endsWith('.js'),
);
const CONSOLE_STYLES = readFileSync(
  join(CONSOLE_ASSETS_DIR, 'console.css'),
  'utf8',
);

describe('console page', () => {
  it('names the node that served it, escaped', () => {
    const page = consolePage('node-1<script>');
    expect(page).toContain(
      '<meta name="clusterlite-node" content="node-1&lt;script&gt;" />',
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

  it('serves scripts that parse as ES modules and import only each other', () => {
    expect(CONSOLE_SCRIPTS).toContain('console.js');
    for (const name of CONSOLE_SCRIPTS) {
      const file = join(CONSOLE_ASSETS_DIR, name);
      // Compiled, not run: they need a browser. The package's "type": "module" makes them modules.
      expect(() =>
        execFileSync(process.execPath, ['--check', file], { stdio: 'pipe' }),
      ).not.toThrow();
      const source = readFileSync(file, 'utf8');
      const imported = [...source.matchAll(/\bfrom '([^']+)'/g)].map(
        ([, path]) => path,
      );
      for (const path of imported)
        expect(CONSOLE_SCRIPTS.map((script) => `./${script}`)).toContain(path);
      expect(source).not.toMatch(/\bimport\(|https?:\/\/|innerHTML/);
    }
  });
});
