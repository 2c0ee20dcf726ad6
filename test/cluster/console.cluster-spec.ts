import { inject } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Locator, Page } from 'playwright-core';
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
  textsOf,
  within,
} from '../support/console-browser.js';

/** The README's screenshot is refreshed with UPDATE_SCREENSHOT=1; other runs keep theirs in the temp dir. */
const SCREENSHOT = process.env.UPDATE_SCREENSHOT
  ? resolve(import.meta.dirname, '../../docs/console.png')
  : join(tmpdir(), 'clusterlite-console.png');
const ORIGINAL_PAGE = resolve(
  import.meta.dirname,
  '../fixtures/original-clusterlite.html',
);

/** Creates a user through `node` and waits until that node applied it. */
async function createUser(node: { url: string }, name: string, email: string) {
  const answer = await call(
    `${node.url}/users`,
    'POST',
    { name, email },
    applied,
  );
  expect(answer.status).toBe(201);
  return answer.body as { id: string; version: number; position: string };
}

/** What assistive technology reads after a field's label: the texts its aria-describedby points at. */
const descriptionOf = (locator: Locator) =>
  locator.evaluate((element) =>
    (element.getAttribute('aria-describedby') ?? '')
      .split(' ')
      .map((id) => document.getElementById(id)?.textContent ?? '')
      .join(' '),
  );

/** The cell of `row` under the column headed `column`, found the way a reader finds it. */
async function cellOf(
  page: Page,
  row: Locator,
  column: string,
): Promise<Locator> {
  const headers = await page.locator('table.rows thead th').allInnerTexts();
  const index = headers.findIndex(
    (header) => header.replace(/[↑↓↕]/g, '').trim() === column,
  );
  expect(
    index,
    `column ${column} in ${headers.join(' | ')}`,
  ).toBeGreaterThanOrEqual(0);
  return row.getByRole('cell').nth(index);
}

async function openConsole(
  page: Page,
  url: string,
  table = 'users',
): Promise<void> {
  await page.goto(`${url}/_console/#/${table}`);
  await shown(page.getByRole('heading', { level: 1, name: table }));
  await shown(page.getByRole('status').filter({ hasText: /^Live$/ }));
}

describe('Web console in real Chromium, on a two-node cluster', () => {
  const brokers = inject('kafkaBrokers');
  const topicPrefix = uniqueTopicPrefix('console');
  let a: NodeProcess;
  let b: NodeProcess;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    [a, b, browser] = await Promise.all([
      NodeProcess.start({ nodeId: 'a', brokers, topicPrefix }),
      NodeProcess.start({ nodeId: 'b', brokers, topicPrefix }),
      launchChromium(),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([a?.stop(), b?.stop()]);
  });

  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  });

  afterEach(async () => {
    await page.close();
  });

  it('is where GET / leads, names the node that served it and shows its replication state', async () => {
    await page.goto(`${a.url}/`);
    await expect
      .poll(() => page.url(), within)
      .toBe(`${a.url}/_console/#/users`);
    await shown(page.getByRole('heading', { level: 1, name: 'users' }));
    await shown(page.getByText('Page served by node a'));

    const tables = page.getByRole('navigation', { name: 'Tables' });
    await textsOf(tables.getByRole('link')).toEqual([
      expect.stringMatching(/^users/),
      expect.stringMatching(/^products/),
    ]);
    await attributeOf(
      tables.getByRole('link', { name: /^users/ }),
      'aria-current',
    ).toBe('page');

    const replication = page.getByRole('complementary', {
      name: 'Replication',
    });
    const node = replication.getByRole('region', { name: /Node a/ });
    await textOf(node).toMatch(/\bcluster\b/i);
    await textOf(node).toContain('In step with the log');
    const topics = node.getByRole('table', { name: 'Log positions of node a' });
    await shown(topics.getByRole('rowheader', { name: 'users' }));
    await textsOf(topics.getByRole('columnheader')).toEqual([
      'Topic',
      'Applied',
      'Log end',
      'Lag',
    ]);

    await tables.getByRole('link', { name: /^products/ }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'products' }));
    await shown(page.getByRole('button', { name: 'New product' }));
  });

  it('creates a row through the form, showing a validation error at the field it concerns', async () => {
    await openConsole(page, a.url);
    await page.getByRole('button', { name: 'New user' }).click();
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await dialog.getByLabel('Name', { exact: true }).fill('Barbara Liskov');
    await dialog.getByLabel('Email', { exact: true }).fill('not-an-email');
    await dialog.getByRole('button', { name: 'Create user' }).click();

    const email = dialog.getByLabel('Email', { exact: true });
    await attributeOf(email, 'aria-invalid').toBe('true');
    expect(await descriptionOf(email)).toMatch(/Email must be an email\./);
    await focused(email);
    await shown(dialog.getByText('Email must be an email.'));
    await attributeOf(
      dialog.getByLabel('Name', { exact: true }),
      'aria-invalid',
    ).not.toBe('true');

    await email.fill('barbara@example.com');
    await dialog.getByRole('button', { name: 'Create user' }).click();
    await gone(dialog);
    await shown(page.getByText('Created user “Barbara Liskov” (version 1).'));
    const row = rowWith(page, 'Barbara Liskov');
    await textOf(row).toContain('barbara@example.com');
    await textOf(await cellOf(page, row, 'Version')).toBe('1');

    // Written through node A, applied by node B too.
    const onB = await eventually(async () => {
      const users: any[] = (await call(`${b.url}/users?limit=1000`)).body;
      const user = users.find(
        (candidate) => candidate.name === 'Barbara Liskov',
      );
      expect(user).toBeDefined();
      return user;
    });
    expect(onB).toMatchObject({ email: 'barbara@example.com', version: 1 });
  });

  it('keeps a row created while its page was still loading, the page read before the write', async () => {
    // The first page is read from the node at once, but reaches the page only after the create.
    let deliver = () => {};
    const delivered = new Promise<void>((resolve) => (deliver = resolve));
    await page.route(/\/users\?limit=/, async (route) => {
      const response = await route.fetch();
      await delivered;
      await route.fulfill({ response });
    });
    await page.goto(`${a.url}/_console/#/users`);
    await shown(page.getByRole('status').filter({ hasText: /^Live$/ }));
    await createThroughForm(page, 'Kathleen Booth', 'kathleen@example.com');
    deliver();
    await shown(rowWith(page, 'Kathleen Booth'));
    await textOf(rowWith(page, 'Kathleen Booth')).toContain(
      'kathleen@example.com',
    );
  });

  it('edits a row with If-Match and shows the saved version', async () => {
    const user = await createUser(a, 'Grace Brewster', 'grace@example.com');
    await openConsole(page, a.url);
    await page
      .getByRole('button', { name: 'Edit user Grace Brewster' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Edit user' });
    await textOf(dialog).toContain(`ID ${user.id} · version 1`);
    await dialog.getByLabel('Name', { exact: true }).fill('Grace Hopper');
    await dialog.getByRole('button', { name: 'Save changes' }).click();

    await gone(dialog);
    await shown(page.getByText('Saved user “Grace Hopper” (version 2).'));
    const row = rowWith(page, 'Grace Hopper');
    await textOf(await cellOf(page, row, 'Version')).toBe('2');
    await focused(page.getByRole('button', { name: 'Edit user Grace Hopper' }));
    const onB = await eventually(async () => {
      const answer = await call(`${b.url}/users/${user.id}`);
      expect(answer.body.version).toBe(2);
      return answer.body;
    });
    expect(onB).toMatchObject({
      name: 'Grace Hopper',
      email: 'grace@example.com',
    });
  });

  it('shows a conflict with the newer values when the row changed through another node, never overwriting it', async () => {
    const user = await createUser(
      a,
      'Margaret Heafield',
      'margaret@example.com',
    );
    await openConsole(page, a.url);
    await page
      .getByRole('button', { name: 'Edit user Margaret Heafield' })
      .click();
    const dialog = page.getByRole('dialog', { name: 'Edit user' });
    await expect
      .poll(
        () => dialog.getByLabel('Name', { exact: true }).inputValue(),
        within,
      )
      .toBe('Margaret Heafield');

    // Someone else changes the row through node B while the form is open.
    const elsewhere = await call(
      `${b.url}/users/${user.id}`,
      'PATCH',
      { email: 'margaret@nasa.example.com' },
      applied,
    );
    expect(elsewhere.status).toBe(200);

    await dialog.getByLabel('Name', { exact: true }).fill('Margaret Hamilton');
    await dialog.getByRole('button', { name: 'Save changes' }).click();

    const conflict = dialog
      .getByRole('alert')
      .filter({ hasText: 'Someone else changed this user' });
    await shown(conflict);
    await textOf(conflict).toContain('version 1 became version 2');
    await textOf(conflict).toContain('nothing was overwritten');
    const comparison = conflict.getByRole('table', {
      name: 'Newer values and your edit',
    });
    await textsOf(
      comparison.getByRole('row', { name: /^Email/ }).getByRole('cell'),
    ).toEqual([
      expect.stringMatching(/margaret@nasa\.example\.com/),
      'unchanged',
    ]);
    await textsOf(
      comparison.getByRole('row', { name: /^Name/ }).getByRole('cell'),
    ).toEqual(['Margaret Heafield', 'Margaret Hamilton']);
    expect(
      (
        await call(`${a.url}/users/${user.id}`, 'GET', undefined, {
          'ClusterLite-Position': elsewhere.headers.get(
            'clusterlite-position',
          )!,
        })
      ).body,
    ).toMatchObject({
      name: 'Margaret Heafield',
      email: 'margaret@nasa.example.com',
      version: 2,
    });

    await conflict
      .getByRole('button', { name: 'Apply my changes to version 2' })
      .click();
    await gone(dialog);
    await shown(page.getByText('Saved user “Margaret Hamilton” (version 3).'));
    const row = rowWith(page, 'Margaret Hamilton');
    await textOf(row).toContain('margaret@nasa.example.com');
    await textOf(await cellOf(page, row, 'Version')).toBe('3');

    // The other way out: a second conflict, and the user keeps the newer values.
    await page
      .getByRole('button', { name: 'Edit user Margaret Hamilton' })
      .click();
    await expect
      .poll(
        () => dialog.getByLabel('Email', { exact: true }).inputValue(),
        within,
      )
      .toBe('margaret@nasa.example.com');
    expect(
      (
        await call(
          `${b.url}/users/${user.id}`,
          'PATCH',
          { name: 'Margaret H. Hamilton' },
          applied,
        )
      ).status,
    ).toBe(200);
    await dialog
      .getByLabel('Email', { exact: true })
      .fill('margaret@mit.example.com');
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    await textOf(conflict).toContain('version 3 became version 4');
    await conflict.getByRole('button', { name: 'Discard my changes' }).click();
    await gone(dialog);
    await shown(
      page.getByText('Discarded your changes; the user shows version 4.'),
    );
    await textOf(rowWith(page, 'Margaret H. Hamilton')).toContain(
      'margaret@nasa.example.com',
    );
    const onB = await eventually(async () => {
      const answer = await call(`${b.url}/users/${user.id}`);
      expect(answer.body.version).toBe(4);
      return answer.body;
    });
    expect(onB).toMatchObject({
      name: 'Margaret H. Hamilton',
      email: 'margaret@nasa.example.com',
    });
  });

  it('deletes a row after confirmation', async () => {
    const user = await createUser(
      a,
      'Temporary Tester',
      'temporary@example.com',
    );
    await openConsole(page, a.url);
    await page
      .getByRole('button', { name: 'Delete user Temporary Tester' })
      .click();
    const dialog = page.getByRole('dialog', {
      name: 'Delete user “Temporary Tester”?',
    });
    await textOf(dialog).toContain('deleted on every node');
    await focused(dialog.getByRole('button', { name: 'Cancel' }));
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();

    await gone(dialog);
    await shown(page.getByText('Deleted user “Temporary Tester”.'));
    await countOf(rowWith(page, 'Temporary Tester')).toBe(0);
    await eventually(async () =>
      expect((await call(`${b.url}/users/${user.id}`)).status).toBe(404),
    );
  });

  it('shows writes made through another node as they are applied, without reloading or polling the list', async () => {
    await openConsole(page, a.url);
    await page.evaluate(() =>
      Object.assign(window, { stillTheSamePage: true }),
    );
    const listReads: string[] = [];
    page.on('request', (request) => {
      if (
        /\/users(\?|$)/.test(
          new URL(request.url()).pathname + new URL(request.url()).search,
        )
      )
        listReads.push(request.url());
    });

    const user = await createUser(b, 'Leslie Lamport', 'leslie@example.com');
    const row = rowWith(page, 'Leslie Lamport');
    await shown(row);
    await textOf(row).toContain('leslie@example.com');
    await attributeOf(row, 'class').toMatch(/flash/);

    expect(
      (
        await call(
          `${b.url}/users/${user.id}`,
          'PATCH',
          { email: 'lamport@example.com' },
          applied,
        )
      ).status,
    ).toBe(200);
    await textOf(row).toContain('lamport@example.com');
    await textOf(await cellOf(page, row, 'Version')).toBe('2');

    expect(
      (await call(`${b.url}/users/${user.id}`, 'DELETE', undefined, applied))
        .status,
    ).toBe(204);
    await countOf(row).toBe(0);

    expect(
      await page.evaluate(
        () =>
          (window as unknown as { stillTheSamePage?: boolean })
            .stillTheSamePage,
      ),
    ).toBe(true);
    expect(listReads).toEqual([]);
  });

  it('highlights a row written through another node while the page was still loading', async () => {
    let releaseList = () => {};
    const listHeld = new Promise<void>((release) => (releaseList = release));
    await page.route(/\/users\?/, async (route) => {
      await listHeld;
      await route.continue();
    });
    await openConsole(page, a.url);

    const user = await createUser(b, 'Butler Lampson', 'butler@example.com');
    await eventually(async () =>
      expect((await call(`${a.url}/users/${user.id}`)).status).toBe(200),
    );
    releaseList();

    const row = rowWith(page, 'Butler Lampson');
    await shown(row);
    await attributeOf(row, 'class').toMatch(/flash/);
    await page.unroute(/\/users\?/);
  });

  it('sorts by a column, from the header buttons', async () => {
    await createUser(b, 'Alan Turing', 'alan@example.com');
    await openConsole(page, a.url);
    await shown(rowWith(page, 'Alan Turing'));
    const header = page.getByRole('columnheader', { name: 'Name' });
    const names = () =>
      page.locator('table.rows tbody tr td[data-label="Name"]').allInnerTexts();

    await header.getByRole('button').focus();
    await page.keyboard.press('Enter');
    await attributeOf(header, 'aria-sort').toBe('ascending');
    await shown(page.getByText(/rows on page 1 · sorted by Name, ascending/));
    const ascending = await names();
    expect(ascending.length).toBeGreaterThan(2);
    expect(ascending).toEqual(
      [...ascending].sort((x, y) => x.localeCompare(y)),
    );

    await header.getByRole('button').click();
    await attributeOf(header, 'aria-sort').toBe('descending');
    const descending = await names();
    expect(descending).toEqual([...ascending].reverse());
  });

  it('can be used with the keyboard alone', async () => {
    await openConsole(page, a.url);
    const newUser = page.getByRole('button', { name: 'New user' });
    for (
      let presses = 0;
      presses < 30 &&
      !(await newUser.evaluate(
        (element) => element === document.activeElement,
      ));
      presses++
    ) {
      await page.keyboard.press('Tab');
    }
    await focused(newUser);

    await page.keyboard.press('Enter');
    const dialog = page.getByRole('dialog', { name: 'New user' });
    await focused(dialog.getByLabel('Name', { exact: true }));
    await page.keyboard.press('Escape');
    await gone(dialog);
    await focused(newUser);

    await page.keyboard.press('Enter');
    await page.keyboard.type('Katherine Johnson');
    await page.keyboard.press('Tab');
    await focused(dialog.getByLabel('Email', { exact: true }));
    await page.keyboard.type('katherine@example.com');
    await page.keyboard.press('Enter');
    await gone(dialog);
    await shown(rowWith(page, 'Katherine Johnson'));
    await focused(newUser);

    await page
      .getByRole('button', { name: 'Edit user Katherine Johnson' })
      .focus();
    await page.keyboard.press('Enter');
    await focused(
      page
        .getByRole('dialog', { name: 'Edit user' })
        .getByLabel('Name', { exact: true }),
    );
    await page.keyboard.press('Escape');
    await focused(
      page.getByRole('button', { name: 'Edit user Katherine Johnson' }),
    );
  });

  it('is readable on a 375-pixel-wide screen', async () => {
    await createUser(a, 'Hedy Lamarr', 'hedy@example.com');
    await page.setViewportSize({ width: 375, height: 812 });
    await openConsole(page, a.url);
    const row = rowWith(page, 'Hedy Lamarr');
    await shown(row);
    expect(
      await page.evaluate(() => document.documentElement.scrollWidth),
    ).toBeLessThanOrEqual(375);
    const edit = page.getByRole('button', { name: 'Edit user Hedy Lamarr' });
    const box = (await edit.boundingBox())!;
    expect(box.x + box.width).toBeLessThanOrEqual(375);
    await page.screenshot({
      path: join(tmpdir(), 'clusterlite-console-375.png'),
      fullPage: true,
    });

    await edit.click();
    const dialog = page.getByRole('dialog', { name: 'Edit user' });
    const dialogBox = (await dialog.boundingBox())!;
    expect(dialogBox.x).toBeGreaterThanOrEqual(0);
    expect(dialogBox.x + dialogBox.width).toBeLessThanOrEqual(375);
    expect(
      await dialog
        .getByRole('button', { name: 'Save changes' })
        .evaluate((button) => {
          const box = button.getBoundingClientRect();
          return (
            box.bottom <= window.innerHeight &&
            box.right <= window.innerWidth &&
            box.left >= 0
          );
        }),
    ).toBe(true);
  });

  it('takes the README screenshot: a few rows, one just changed through node B', async () => {
    for (const [name, email] of [
      ['Ada Lovelace', 'ada@example.com'],
      ['Edsger Dijkstra', 'edsger@example.com'],
      ['John Backus', 'john@example.com'],
    ]) {
      await createUser(b, name, email);
    }
    await page.setViewportSize({ width: 1280, height: 720 });
    await openConsole(page, a.url);
    await shown(rowWith(page, 'John Backus'));
    const ada = (await call(`${a.url}/users?limit=1000`)).body.find(
      (user: { name: string }) => user.name === 'Ada Lovelace',
    );
    await call(
      `${b.url}/users/${ada.id}`,
      'PATCH',
      { name: 'Ada King, Countess of Lovelace' },
      applied,
    );
    await attributeOf(
      rowWith(page, 'Ada King, Countess of Lovelace'),
      'class',
    ).toMatch(/flash/);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: SCREENSHOT });
    expect(statSync(SCREENSHOT).size).toBeLessThan(300_000);
  });

  it('still serves the original ClusterLite page, opened from file://', async () => {
    await createUser(a, 'John Doe', 'john.doe@example.com');
    await page.goto(
      `${pathToFileURL(ORIGINAL_PAGE).href}?api=${encodeURIComponent(a.url)}`,
    );
    await shown(page.getByRole('heading', { name: 'User Management' }));
    await shown(page.getByText('john.doe@example.com'));

    await page.getByLabel('Name').fill('Jane Roe');
    await page.getByLabel('Email').fill('jane.roe@example.com');
    await page.getByRole('button', { name: 'Create User' }).click();
    // The original reloads right after the 202 and then every 2 s: the row shows up on a later poll.
    await shown(page.getByText('jane.roe@example.com'));
    await eventually(async () => {
      const users: any[] = (await call(`${b.url}/users?limit=1000`)).body;
      expect(users.map((user) => user.email)).toContain('jane.roe@example.com');
    });

    page.once('dialog', (confirm) => confirm.accept());
    await page
      .locator('.user-item')
      .filter({ hasText: 'jane.roe@example.com' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await gone(page.getByText('jane.roe@example.com'));
  });
});

describe('Web console behind nginx', () => {
  const brokers = inject('kafkaBrokers');
  let cluster: Cluster;
  let browser: Browser;

  beforeAll(async () => {
    [cluster, browser] = await Promise.all([
      startCluster({
        nodes: 2,
        brokers,
        topicPrefix: uniqueTopicPrefix('console-nginx'),
        nginxPort: 0,
        dataDir: mkdtempSync(join(tmpdir(), 'clusterlite-console-')),
        fresh: true,
        quiet: true,
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

  it('works through the load balancer: forms, live changes and every node it reached', async () => {
    const page = await browser.newPage({
      viewport: { width: 1280, height: 800 },
    });
    await page.goto(`${cluster.url}/`);
    await shown(page.getByRole('heading', { level: 1, name: 'users' }));
    await shown(page.getByText(/Page served by node node-[12]\b/));
    await shown(page.getByRole('status').filter({ hasText: /^Live$/ }));

    await createThroughForm(page, 'Frances Allen', 'frances@example.com');
    await shown(rowWith(page, 'Frances Allen'));

    for (const node of cluster.nodes)
      await createUser(
        node,
        `Written on ${node.nodeId}`,
        `${node.nodeId}@example.com`,
      );
    await shown(rowWith(page, 'Written on node-1'));
    await shown(rowWith(page, 'Written on node-2'));
    await shown(
      page
        .getByRole('complementary', { name: 'Replication' })
        .getByRole('region', { name: /Node node-[12]/ })
        .first(),
    );
    await page.close();
  });
});
