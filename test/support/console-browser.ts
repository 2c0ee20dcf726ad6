import {
  chromium,
  type Browser,
  type Locator,
  type Page,
} from 'playwright-core';

/** Headless Chromium as the console tests drive it: the Debian package, nothing from the internet. */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/** One HTTP call from the test, outside the browser; the body parsed as JSON. */
export async function call(
  url: string,
  method = 'GET',
  body?: object,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const response = await fetch(url, {
    method,
    headers: {
      ...(body ? { 'Content-Type': 'application/json' } : {}),
      ...headers,
    },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
}

/** Waits until the writing node applied the write and answers with the row. */
export const applied = { Prefer: 'return=representation' };

/*
 * playwright-core has no expect(); these wait the way @playwright/test's assertions do,
 * on what the page shows.
 */
export const within = { timeout: 15_000, interval: 100 };
export const shown = (locator: Locator) =>
  locator.waitFor({ state: 'visible', timeout: within.timeout });
export const gone = (locator: Locator) =>
  locator.waitFor({ state: 'hidden', timeout: within.timeout });
export const textOf = (locator: Locator) =>
  expect.poll(
    () => locator.innerText({ timeout: 500 }).catch(() => ''),
    within,
  );
export const textsOf = (locator: Locator) =>
  expect.poll(() => locator.allInnerTexts(), within);
export const attributeOf = (locator: Locator, name: string) =>
  expect.poll(
    () => locator.getAttribute(name, { timeout: 500 }).catch(() => undefined),
    within,
  );
export const countOf = (locator: Locator) =>
  expect.poll(() => locator.count(), within);
export const focused = (locator: Locator) =>
  expect
    .poll(
      () =>
        locator
          .evaluate(
            (element) => element === document.activeElement,
            undefined,
            { timeout: 500 },
          )
          .catch(() => false),
      within,
    )
    .toBe(true);

/** The table row (of the console's rows table) that shows `text`. */
export const rowWith = (page: Page, text: string) =>
  page.locator('table.rows tbody tr').filter({ hasText: text });

/** Creates a user through the console's New-user form and waits for the dialog to close. */
export async function createThroughForm(
  page: Page,
  name: string,
  email: string,
): Promise<void> {
  await page.getByRole('button', { name: 'New user' }).click();
  const dialog = page.getByRole('dialog', { name: 'New user' });
  await dialog.getByLabel('Name', { exact: true }).fill(name);
  await dialog.getByLabel('Email', { exact: true }).fill(email);
  await dialog.getByRole('button', { name: 'Create user' }).click();
  await gone(dialog);
}
