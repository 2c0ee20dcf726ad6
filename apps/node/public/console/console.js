// @ts-check
/**
 * The console's entry module: the tables, their rows and live changes. Plain
 * ES modules, no framework and no build step, so a node serves them as they
 * are. It only uses the public REST API: the catalogue (catalogue.js) for the
 * forms, `/{table}` for rows, `/{table}/_changes` (server-sent events,
 * event-stream.js) for live updates and `GET /_cluster/status` for the node
 * panel (node-panel.js), with the tab's API key if the node asks for one
 * (api.js). This module routes and loads pages; the table on screen is
 * table-view.js, its cells row-values.js, live changes live-changes.js, the row
 * dialogs row-dialogs.js (conflicts: row-conflict.js). DOM nodes are built with
 * textContent, never from HTML strings.
 */
import { api, problemText, setUpSession, showRole } from './api.js';
import { loadCatalogue } from './catalogue.js';
import { announce, byId, h, humanize, SERVED_BY } from './dom.js';
import { applyPending, connectFeed, showWritten } from './live-changes.js';
import { renderCounts, startNodePanel } from './node-panel.js';
import { setUpRowDialogs } from './row-dialogs.js';
import { nextLink } from './row-values.js';
import { state } from './table-state.js';
import {
  notice,
  renderHeader,
  renderRows,
  renderView,
  sortKey,
} from './table-view.js';

const serverSorts = new Map();

// ---------------------------------------------------------------- navigation

function renderNav() {
  const list = byId('table-list');
  list.replaceChildren(
    ...state.entities.map((entity) => {
      const current = state.entity && state.entity.table === entity.table;
      return h(
        'li',
        {},
        h(
          'a',
          {
            href: '#/' + entity.table,
            'aria-current': current ? 'page' : null,
            class: 'table-link',
          },
          h('span', { class: 'table-name' }, entity.table),
          h('span', { class: 'table-count', id: 'count-' + entity.table }),
        ),
      );
    }),
  );
  renderCounts();
}

function route() {
  const table = decodeURIComponent(location.hash.replace(/^#\/?/, ''));
  const entity = state.entities.find((candidate) => candidate.table === table);
  if (entity) {
    void openTable(entity, true);
  } else if (!table && state.entities.length > 0) {
    history.replaceState(null, '', '#/' + state.entities[0].table);
    void openTable(state.entities[0], false);
  } else {
    if (state.feed) state.feed.close();
    state.entity = null;
    renderNav();
    byId('view').replaceChildren(
      h('h1', {}, table ? 'No table named ' + table : 'No tables'),
      h(
        'p',
        {},
        table
          ? 'Pick one of the tables listed beside.'
          : 'This node has no registered entities.',
      ),
    );
  }
}

// ---------------------------------------------------------------- one table

async function openTable(entity, moveFocus) {
  if (state.entity && state.entity.table === entity.table) return;
  if (state.feed) state.feed.close();
  Object.assign(state, {
    entity,
    rows: [],
    pageStarts: [],
    nextUrl: null,
    sort: null,
    sortedOnServer: false,
    offsets: new Map(),
    flashes: new Map(),
    hiddenNewRows: 0,
    partition: null,
  });
  document.title = entity.table + ' · ClusterLite console · ' + SERVED_BY;
  renderNav();
  renderView();
  if (moveFocus) byId('table-title').focus();
  await connectFeed(entity);
  await loadPage(firstPageUrl(), 'first');
}

export function firstPageUrl() {
  const parameters = new URLSearchParams({ limit: String(state.pageSize) });
  if (state.sort && serverSorts.get(sortKey()) !== false) {
    parameters.set('sort', (state.sort.descending ? '-' : '') + state.sort.key);
  }
  return state.entity.path + '?' + parameters.toString();
}

export async function loadPage(url, how, tolerated) {
  const entity = state.entity;
  state.loading = true;
  state.pending = [];
  const response = await api('GET', url);
  if (state.entity !== entity) return response;
  state.loading = false;
  if (response.ok) {
    if (how === 'first') state.pageStarts = [url];
    else if (how === 'next') state.pageStarts.push(url);
    else if (how === 'previous') state.pageStarts.pop();
    state.rows = response.data;
    state.nextUrl = nextLink(response.headers.get('Link'));
    state.sortedOnServer =
      Boolean(state.sort) &&
      new URL(url, location.href).searchParams.has('sort');
    state.hiddenNewRows = 0;
  } else if (response.status !== tolerated) {
    notice(
      'Could not load ' + entity.table + '. ' + problemText(response.problem),
      'error',
    );
  }
  for (const pending of state.pending.splice(0)) applyPending(pending);
  renderHeader();
  renderRows();
  return response;
}

export function reloadPage(message) {
  const url = state.pageStarts[state.pageStarts.length - 1] || firstPageUrl();
  return loadPage(url, 'same').then((response) => {
    if (response.ok && message) notice(message);
  });
}

export function nextPage() {
  if (state.nextUrl) void loadPage(state.nextUrl, 'next');
}

export function previousPage() {
  if (state.pageStarts.length > 1)
    void loadPage(state.pageStarts[state.pageStarts.length - 2], 'previous');
}

/**
 * Sorts on the server when the list API takes a sort parameter for that field
 * (then every page follows the order); where it answers 400, sorts the rows of
 * the loaded page instead, and remembers not to ask again.
 */
export async function sortBy(key) {
  const previous = state.sort;
  const descending = Boolean(
    previous && previous.key === key && !previous.descending,
  );
  const order =
    humanize(key) + ', ' + (descending ? 'descending' : 'ascending');
  state.sort = { key, descending };
  if (serverSorts.get(sortKey()) !== false) {
    const response = await loadPage(firstPageUrl(), 'first', 400);
    if (response.ok) {
      serverSorts.set(sortKey(), true);
      announce('Sorted by ' + order);
      return;
    }
    if (response.status !== 400) {
      state.sort = previous;
      renderHeader();
      return;
    }
    serverSorts.set(sortKey(), false);
  }
  state.sortedOnServer = false;
  renderHeader();
  renderRows();
  announce('Sorted this page by ' + order);
}

// ---------------------------------------------------------------- start

async function start() {
  setUpRowDialogs({ showWritten, notice });
  window.addEventListener('hashchange', route);
  setUpSession();
  startNodePanel();
  const catalogue = await loadCatalogue();
  if ('problem' in catalogue) {
    byId('view').replaceChildren(
      h('h1', {}, 'Tables unavailable'),
      h('p', { class: 'alert' }, problemText(catalogue.problem)),
    );
    return;
  }
  state.entities = catalogue.entities;
  state.role = catalogue.role;
  showRole(catalogue.role);
  renderNav();
  route();
}

void start();
