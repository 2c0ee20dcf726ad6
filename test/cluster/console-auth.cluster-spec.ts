import { inject } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startCluster, type Cluster } from '../../scripts/cluster.mjs';
import {
  NodeProcess,
  eventually,
  uniqueTopicPrefix,
} from '../support/node-process.js';
import {
  applied,
  attributeOf,
  createThroughForm,
  call,
  countOf,
  focused,
  gone,
  launchChromium,
  rowWith,
  shown,
  textOf,
  within,
} from '../support/console-browser.js';

const READ = 'console-read-0123456789';
const WRITE = 'console-write-0123456789';
const ADMIN = 'console-admin-0123456789';
const API_KEYS = `read:${READ},write:${WRITE},admin:${ADMIN}`;
const as = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Creates a user through `node` with a write key and waits until that node applied it. */
async function createUser(
  node: { url: string },
  name: string,
  email: string,
  writeKey = WRITE,
) {
  const answer = await call(
    `${node.url}/users`,
    'POST',
    { name, email },
    { ...applied, ...as(writeKey) },
  );
  expect(answer.status).toBe(201);
  return answer.body as { id: string; version: number };
}

const signInDialog = (page: Page) =>
  page.getByRole('dialog', { name: 'Sign in with an API key' });

/** Types `token` into the sign-in form the page shows, and submits it with the keyboard. */
async function signIn(page: Page, token: string): Promise<void> {
  const dialog = signInDialog(page);
  await shown(dialog);
  const input = dialog.getByLabel('API key', { exact: true });
  await focused(input);
  await input.fill(token);
  await page.keyboard.press('Enter');
}

async function openSignedIn(page: Page, url: string, token: string) {
  await page.goto(`${url}/_console/#/users`);
  await signIn(page, token);
  await gone(signInDialog(page));
  await shown(page.getByRole('heading', { level: 1, name: 'users' }));
  await shown(page.getByRole('status').filter({ hasText: /^Live$/ }));
}

describe('Web console on nodes that require API keys, in real Chromium', () => {
  const brokers = inject('kafkaBrokers');
  const topicPrefix = uniqueTopicPrefix('console-auth');
  let a: NodeProcess;
  let b: NodeProcess;
  let browser: Browser;
  let page: Page;
  let requested: string[];

  beforeAll(async () => {
    [a, b, browser] = await Promise.all([
      NodeProcess.start({
        nodeId: 'a',
        brokers,
        topicPrefix,
        env: { API_KEYS },
      }),
      NodeProcess.start({
        nodeId: 'b',
        brokers,
        topicPrefix,
        env: { API_KEYS },
      }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    requested = [];
    page.on('request', (request) => requested.push(request.url()));
  });

  afterEach(async () => {
    // A key travels in the Authorization header only: never in an address, never in localStorage.
    expect(requested.length).toBeGreaterThan(0);
    for (const url of requested)
      for (const token of [READ, WRITE, ADMIN])
        expect(url).not.toContain(token);
    expect(await page.evaluate(() => localStorage.length)).toBe(0);
    await page.close();
  });

  it('asks for a key, says when a key is not accepted, and keeps the one accepted in this tab only', async () => {
    await page.goto(`${a.url}/_console/#/users`);
    const dialog = signInDialog(page);
    await shown(dialog);
    const input = dialog.getByLabel('API key', { exact: true });
    expect(await input.getAttribute('type')).toBe('password');

    await signIn(page, 'not-a-key-of-this-node');
    const alert = dialog.getByRole('alert');
    await textOf(alert).toContain('This key was not accepted (401)');
    await focused(input);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await signIn(page, READ);
    await gone(dialog);
    await shown(page.getByRole('heading', { level: 1, name: 'users' }));
    await shown(page.getByRole('button', { name: 'Sign out', exact: true }));
    expect(
      await page.evaluate(() => sessionStorage.getItem('clusterlite.token')),
    ).toBe(READ);
  });

  it('with a read key: lists rows, shows changes written through another node, and explains why it may not write', async () => {
    await createUser(a, 'Reader Visible', 'reader.visible@example.com');
    await openSignedIn(page, a.url, READ);
    await textOf(rowWith(page, 'Reader Visible')).toContain(
      'reader.visible@example.com',
    );
    // The forms come from the public OpenAPI document: /_cluster/entities is for admins.
    await shown(page.getByRole('button', { name: 'New user' }));
    await shown(page.getByText('Signed in with a read key'));
    await shown(
      page.getByText(
        'This key may read but not write: creating, editing and deleting need a write key.',
      ),
    );
    await textOf(
      page.getByRole('complementary', { name: 'Replication' }),
    ).toContain('needs an admin key');

    await createUser(b, 'Written On B', 'written.on.b@example.com');
    await textOf(rowWith(page, 'Written On B')).toContain(
      'written.on.b@example.com',
    );

    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Name', { exact: true }).fill('Not Allowed');
    await dialog
      .getByLabel('Email', { exact: true })
      .fill('not.allowed@example.com');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await textOf(dialog.getByRole('alert')).toContain(
      'This key may read but not write (needs write).',
    );
    await page.keyboard.press('Escape');
    await gone(dialog);

    await page
      .getByRole('button', { name: 'Delete user Reader Visible' })
      .click();
    const confirm = page.getByRole('dialog', { name: /^Delete user/ });
    await confirm.getByRole('button', { name: 'Delete', exact: true }).click();
    await textOf(confirm.getByRole('alert')).toContain(
      'This key may read but not write (needs write).',
    );
    const users: any[] = (
      await call(`${b.url}/users?limit=1000`, 'GET', undefined, as(READ))
    ).body;
    expect(users.map((user) => user.name)).toContain('Reader Visible');
    expect(users.map((user) => user.name)).not.toContain('Not Allowed');
  });

  it('with a write key: creates a row through the form, applied on every node', async () => {
    await openSignedIn(page, a.url, WRITE);
    await shown(page.getByText('Signed in with a write key'));
    await countOf(page.getByText('This key may read but not write')).toBe(0);
    await createThroughForm(page, 'Writer Made', 'writer.made@example.com');
    await shown(page.getByText('Created user “Writer Made” (version 1).'));
    await shown(rowWith(page, 'Writer Made'));
    await eventually(async () => {
      const users: any[] = (
        await call(`${b.url}/users?limit=1000`, 'GET', undefined, as(READ))
      ).body;
      expect(users.map((user) => user.email)).toContain(
        'writer.made@example.com',
      );
    });
  });

  it('with an admin key: shows the node state', async () => {
    await openSignedIn(page, a.url, ADMIN);
    await shown(page.getByText('Signed in with an admin key'));
    const node = page
      .getByRole('complementary', { name: 'Replication' })
      .getByRole('region', { name: /Node a/ });
    await textOf(node).toContain('In step with the log');
  });

  it('signs out: forgets the key, shows no rows and asks again', async () => {
    await createUser(a, 'Before Sign Out', 'before.sign.out@example.com');
    await openSignedIn(page, a.url, READ);
    await shown(rowWith(page, 'Before Sign Out'));
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await shown(signInDialog(page));
    await countOf(rowWith(page, 'Before Sign Out')).toBe(0);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  });

  it('fits the sign-in form on a 375-pixel-wide screen', async () => {
    await page.setViewportSize({ width: 375, height: 812 });
    await page.goto(`${a.url}/_console/#/users`);
    const dialog = signInDialog(page);
    await shown(dialog);
    const box = (await dialog.boundingBox())!;
    expect(box.x).toBeGreaterThanOrEqual(0);
    expect(box.x + box.width).toBeLessThanOrEqual(375);
    expect(
      await dialog
        .getByRole('button', { name: 'Sign in' })
        .evaluate((button) => {
          const rect = button.getBoundingClientRect();
          return rect.right <= window.innerWidth && rect.left >= 0;
        }),
    ).toBe(true);
  });

  it('resumes the change feed after its node restarts, from the last change it saw (Last-Event-ID), without reloading the list', async () => {
    await openSignedIn(page, a.url, READ);
    await createUser(b, 'Seen Before Restart', 'seen.before@example.com');
    await shown(rowWith(page, 'Seen Before Restart'));
    const listReads: string[] = [];
    const resumedFrom: string[] = [];
    page.on('request', (request) => {
      const url = new URL(request.url());
      if (url.pathname === '/users') listReads.push(request.url());
      const lastEventId = request.headers()['last-event-id'];
      if (url.pathname === '/users/_changes' && lastEventId)
        resumedFrom.push(lastEventId);
    });

    await a.stop();
    await createUser(b, 'Written While Away', 'written.while.away@example.com');
    await a.restart();
    await expect.poll(() => resumedFrom.length, within).toBeGreaterThan(0);
    await shown(page.getByRole('status').filter({ hasText: /^Live$/ }));
    await textOf(rowWith(page, 'Written While Away')).toContain(
      'written.while.away@example.com',
    );
    await attributeOf(rowWith(page, 'Written While Away'), 'class').toMatch(
      /flash/,
    );
    expect(listReads).toEqual([]);
  });
});

describe('Web console behind nginx, with the keys `npm run cluster` makes', () => {
  const brokers = inject('kafkaBrokers');
  let cluster: Cluster;
  let browser: Browser;

  beforeAll(async () => {
    [cluster, browser] = await Promise.all([
      startCluster({
        nodes: 2,
        brokers,
        topicPrefix: uniqueTopicPrefix('console-auth-nginx'),
        nginxPort: 0,
        dataDir: mkdtempSync(join(tmpdir(), 'clusterlite-console-auth-')),
        fresh: true,
        quiet: true,
        apiKeys: true,
        nodeEnv: { LOG_LEVEL: 'warn' },
        onUnexpectedExit: () => undefined,
      }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await cluster?.stop();
  });

  it('asks for a key, then lists rows and follows changes written through every node', async () => {
    const keys = cluster.apiKeys!;
    const page = await browser.newPage({
      viewport: { width: 1280, height: 800 },
    });
    await page.goto(`${cluster.url}/`);
    await signIn(page, keys.read);
    await gone(signInDialog(page));
    await shown(page.getByRole('heading', { level: 1, name: 'users' }));
    await shown(page.getByRole('status').filter({ hasText: /^Live$/ }));
    for (const node of cluster.nodes)
      await createUser(
        node,
        `Keyed on ${node.nodeId}`,
        `keyed.${node.nodeId}@example.com`,
        keys.write,
      );
    for (const node of cluster.nodes)
      await shown(rowWith(page, `Keyed on ${node.nodeId}`));
    await page.close();
  });
});
