import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONSOLE_ASSETS_DIR } from './console-assets.js';

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => ESCAPES[character]);

const TEMPLATE = readFileSync(join(CONSOLE_ASSETS_DIR, 'index.html'), 'utf8');

/**
 * The console's HTML shell (public/console/index.html) with the id of the node
 * that served it. The script fills the tables, forms and node panel in; the
 * shell carries the landmarks, the dialogs and the live regions.
 */
export function consolePage(nodeId: string): string {
  return TEMPLATE.replaceAll('{{nodeId}}', escapeHtml(nodeId));
}
