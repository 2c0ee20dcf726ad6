import type { NestExpressApplication } from '@nestjs/platform-express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Response } from 'express';

/**
 * The console's files (apps/node/public/console): beside the bundle once built
 * (nest-cli `assets` copies them to dist/apps/node/public/console), two folders
 * up from this file when run from source (the end-to-end tests).
 */
export const CONSOLE_ASSETS_DIR = [
  join(import.meta.dirname, 'public', 'console'),
  join(import.meta.dirname, '..', '..', 'public', 'console'),
].find((dir) => existsSync(join(dir, 'index.html')))!;

/** Everything the page loads comes from this node: no CDN, nothing inline. */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The headers of every console response: page, script and stylesheet. */
export function setConsoleHeaders(response: Response): void {
  response.setHeader('Cache-Control', 'no-cache');
  response.setHeader('X-Content-Type-Options', 'nosniff');
  response.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
  response.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * Serves the console's script and stylesheet as static files under
 * `/_console/`; the page itself is rendered by `ConsoleController`, as it
 * names the node that served it.
 */
export function serveConsoleAssets(app: NestExpressApplication): void {
  app.useStaticAssets(CONSOLE_ASSETS_DIR, {
    prefix: '/_console/',
    index: false,
    // `/_console` is the page (ConsoleController), not a folder to redirect from.
    redirect: false,
    etag: false,
    lastModified: false,
    setHeaders: (response) => setConsoleHeaders(response as Response),
  });
}
