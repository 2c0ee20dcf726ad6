// @ts-check
/**
 * Calls to the node's REST API, and the API key they carry. A node with
 * API_KEYS answers 401 without a key: the console then asks for one in the
 * sign-in dialog, keeps it in sessionStorage (this tab only, gone when it
 * closes; never localStorage, never in an address) and sends it as
 * `Authorization: Bearer`. Every call that met the 401 is retried once a key
 * is entered, so the page carries on where it stopped.
 */
const TOKEN_KEY = 'clusterlite.token';
/** The characters of a key (API_KEYS); a JWT is made of them too. */
const TOKEN_PATTERN = /^[A-Za-z0-9._~-]+$/;

/** @returns {string | null} */
export const tokenOf = () => sessionStorage.getItem(TOKEN_KEY);

/**
 * The Authorization header for the key kept in this tab, if any.
 * @returns {Record<string, string>}
 */
export function authorization() {
  const token = tokenOf();
  return token ? { Authorization: 'Bearer ' + token } : {};
}

/**
 * Calls the REST API; never throws. problem is the RFC 9457 body of a failed
 * call. A 401 opens the sign-in dialog and retries with the key entered.
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, headers?: Record<string, string> }} [options]
 */
export async function api(method, path, options) {
  for (;;) {
    const sentWith = tokenOf();
    const response = await request(method, path, options);
    if (response.status !== 401) return response;
    await signIn(response.problem, sentWith);
  }
}

/**
 * @param {string} method
 * @param {string} path
 * @param {{ body?: unknown, headers?: Record<string, string> }} [options]
 */
async function request(method, path, options) {
  /** @type {Record<string, string>} */
  const headers = Object.assign(
    { Accept: 'application/json' },
    options && options.headers,
    authorization(),
  );
  /** @type {RequestInit} */
  const init = { method, headers };
  if (options && options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(options.body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    return {
      ok: false,
      status: 0,
      headers: new Headers(),
      data: null,
      problem: {
        title: 'Node unreachable',
        detail:
          'The request did not reach a node. Check that the cluster is running, then try again.',
      },
    };
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  const problem = response.ok
    ? null
    : Object.assign(
        {
          title: response.statusText || 'Request failed',
          status: response.status,
        },
        data,
      );
  return {
    ok: response.ok,
    status: response.status,
    headers: response.headers,
    data,
    problem,
  };
}

export function problemText(problem) {
  if (!problem) return '';
  if (problem.status === 403 && problem.requiredRole)
    return accessText(problem);
  return problem.detail && problem.detail !== problem.title
    ? problem.title + ': ' + problem.detail
    : problem.title;
}

const ROLE_MAY = { read: 'read', write: 'read and write' };
const ROLE_ACTION = { write: 'write', admin: 'administer the node' };

/** A 403 in words: what the key may do and which role the action needs. */
export function accessText(problem) {
  const needs = problem.requiredRole;
  const may = ROLE_MAY[problem.role];
  return may
    ? 'This key may ' +
        may +
        ' but not ' +
        (ROLE_ACTION[needs] || needs) +
        ' (needs ' +
        needs +
        ').'
    : 'This key may not do this (needs ' + needs + ').';
}

// ---------------------------------------------------------------- sign-in dialog

/** @type {Promise<void> | null} */
let signingIn = null;
/** @type {() => void} */
let signedIn = () => undefined;

/**
 * Resolves once the user entered a key. Calls that meet a 401 together share
 * one dialog. A 401 for a key that is no longer the tab's (the user entered
 * another meanwhile) only retries.
 * @param {{ detail?: string } | null} problem
 * @param {string | null} sentWith the key the refused call carried
 * @returns {Promise<void>}
 */
export function signIn(problem, sentWith) {
  const current = tokenOf();
  if (current !== null && current !== sentWith) return Promise.resolve();
  if (current !== null) sessionStorage.removeItem(TOKEN_KEY);
  const alert = /** @type {HTMLElement} */ (
    document.getElementById('sign-in-alert')
  );
  if (sentWith !== null) {
    alert.textContent =
      'This key was not accepted (401): ' +
      ((problem && problem.detail) || 'it is not a key of this node') +
      '. Check it and try again.';
    alert.hidden = false;
  }
  renderSession();
  const opening = !signingIn;
  if (opening) {
    signingIn = new Promise((resolve) => {
      signedIn = resolve;
    });
    /** @type {HTMLDialogElement} */ (
      document.getElementById('sign-in-dialog')
    ).showModal();
  }
  if (opening || sentWith !== null) {
    const input = /** @type {HTMLInputElement} */ (
      document.getElementById('sign-in-token')
    );
    input.value = '';
    input.focus();
  }
  return signingIn;
}

/** @param {SubmitEvent} event */
function submitSignIn(event) {
  event.preventDefault();
  const input = /** @type {HTMLInputElement} */ (
    document.getElementById('sign-in-token')
  );
  const alert = /** @type {HTMLElement} */ (
    document.getElementById('sign-in-alert')
  );
  const token = input.value.trim();
  if (!TOKEN_PATTERN.test(token)) {
    alert.textContent = token
      ? 'A key has only letters, digits and . _ ~ - (no spaces).'
      : 'Enter a key: the node refuses requests without one.';
    alert.hidden = false;
    input.setAttribute('aria-invalid', 'true');
    input.focus();
    return;
  }
  input.removeAttribute('aria-invalid');
  input.value = '';
  alert.hidden = true;
  alert.textContent = '';
  sessionStorage.setItem(TOKEN_KEY, token);
  /** @type {HTMLDialogElement} */ (
    document.getElementById('sign-in-dialog')
  ).close();
  renderSession();
  const resolve = signedIn;
  signingIn = null;
  resolve();
}

/** Forgets the key and starts the page afresh: nothing read with it stays on screen. */
function signOut() {
  sessionStorage.removeItem(TOKEN_KEY);
  location.reload();
}

/** Shows the sign-out control while the tab holds a key. */
function renderSession() {
  /** @type {HTMLElement} */ (document.getElementById('session')).hidden =
    tokenOf() === null;
}

/**
 * Names the role of the tab's key beside the sign-out control, once known.
 * @param {string | null} role
 */
export function showRole(role) {
  if (!role || tokenOf() === null) return;
  document.getElementById('session-text').textContent =
    'Signed in with ' + (role === 'admin' ? 'an' : 'a') + ' ' + role + ' key';
}

/** Wires the sign-in dialog and the sign-out control; call once at start. */
export function setUpSession() {
  document
    .getElementById('sign-in-form')
    .addEventListener('submit', submitSignIn);
  // Without a key the node answers nothing: the dialog stays until one is entered.
  document
    .getElementById('sign-in-dialog')
    .addEventListener('cancel', (event) => event.preventDefault());
  document.getElementById('sign-out').addEventListener('click', signOut);
  renderSession();
}
