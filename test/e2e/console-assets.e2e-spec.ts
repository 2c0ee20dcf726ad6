import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CONSOLE_ASSETS_DIR } from '../../apps/node/src/console/console-assets.js';
import { useEmbeddedNode } from '../support/embedded-node.js';

const CONTENT_SECURITY_POLICY =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; " +
  "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

describe('Console assets, embedded mode', () => {
  const node = useEmbeddedNode({ NODE_ID: 'console_1' });

  it.each([
    ['/_console/', /^text\/html; charset=utf-8$/],
    ['/_console', /^text\/html; charset=utf-8$/],
    ['/_console/console.js', /^text\/javascript; charset=utf-8$/],
    ['/_console/api.js', /^text\/javascript; charset=utf-8$/],
    ['/_console/catalogue.js', /^text\/javascript; charset=utf-8$/],
    ['/_console/event-stream.js', /^text\/javascript; charset=utf-8$/],
    ['/_console/console.css', /^text\/css; charset=utf-8$/],
  ])('serves %s with its type and the console headers', async (path, type) => {
    const response = await node.http.get(path).expect(200);
    expect(response.headers['content-type']).toMatch(type);
    expect(response.headers['content-security-policy']).toBe(
      CONTENT_SECURITY_POLICY,
    );
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['referrer-policy']).toBe('no-referrer');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.headers['x-clusterlite-node']).toBe('console_1');
    expect(response.text.length).toBeGreaterThan(500);
  });

  it('names the node that served the page and loads only its own script and stylesheet', async () => {
    const page = await node.http.get('/_console/').expect(200);
    expect(page.text).toContain(
      '<meta name="clusterlite-node" content="console_1" />',
    );
    expect(page.text).toContain(
      '<title>ClusterLite console · console_1</title>',
    );
    expect(page.text).toContain(
      '<link rel="stylesheet" href="/_console/console.css" />',
    );
    expect(page.text).toContain(
      '<script type="module" src="/_console/console.js"></script>',
    );
  });

  it('builds from the public OpenAPI document the catalogue /_cluster/entities gives admins, but for unique', async () => {
    // catalogue.js is browser code: loaded as it is, without types.
    const { entitiesOf } = (await import(
      pathToFileURL(join(CONSOLE_ASSETS_DIR, 'catalogue.js')).href
    )) as { entitiesOf: (document: unknown) => unknown[] };
    const catalogue = (await node.http.get('/_cluster/entities').expect(200))
      .body as { description: string | null; fields: object[] }[];
    const document = (await node.http.get('/docs-json').expect(200)).body;
    expect(catalogue.length).toBeGreaterThan(1);
    expect(entitiesOf(document)).toEqual(
      catalogue.map((entity) => ({
        ...entity,
        description: null,
        fields: entity.fields.map((field) => ({ ...field, unique: false })),
      })),
    );
  });

  it('redirects / to the console and answers an unknown console file with 404 problem details', async () => {
    const root = await node.http.get('/').expect(302);
    expect(root.headers.location).toBe('/_console/');
    const missing = await node.http.get('/_console/nope.js').expect(404);
    expect(missing.headers['content-type']).toMatch(
      /^application\/problem\+json/,
    );
  });
});
