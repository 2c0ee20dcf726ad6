// @ts-check
/**
 * The console's entry module: the tables, their rows and live changes. Plain
 * ES modules, no framework and no build step, so a node serves them as they
 * are. It only uses the public REST API: the catalogue (catalogue.js) for the
 * forms, `/{table}` for rows, `/{table}/_changes` (server-sent events,
 * event-stream.js) for live updates and `GET /_cluster/status` for the node
 * panel (node-panel.js), with the tab's API key if the node asks for one
 * (api.js); the row dialogs are row-dialogs.js. DOM nodes are built with
 * textContent, never from HTML strings.
 */
import {
  api,
  authorization,
  problemText,
  setUpSession,
  showRole,
  signIn,
  tokenOf,
} from './api.js';
import { loadCatalogue } from './catalogue.js';
import { SERVED_BY, announce, buttonById, byId, h, humanize } from './dom.js';
import { openEventStream } from './event-stream.js';
import {
  renderCounts,
  scheduleStatusRefresh,
  startNodePanel,
} from './node-panel.js';
import {
  noteEditedRowChanged,
  openCreate,
  openDelete,
  openEdit,
  setUpRowDialogs,
} from './row-dialogs.js';
import { offsetOf, noun, rowTitle, state } from './table-state.js';

const PAGE_SIZES = [10, 25, 50, 100];
const FLASH_MS = 2500;

const serverSorts = new Map();

// ---------------------------------------------------------------- helpers

function shortId(id) {
  return id.length <= 12 ? id : '…' + id.slice(-8);
}

const dateFormat = new Intl.DateTimeFormat(undefined, {
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
});

function formatDate(value) {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : dateFormat.format(date);
}

function nextLink(header) {
  if (!header) return null;
  const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(header);
  return match ? match[1] : null;
}

// ---------------------------------------------------------------- columns and cells

function columnsOf(entity) {
  return [
    { key: 'id', label: 'ID', type: 'id' },
    ...entity.fields.map((field) => ({
      key: field.name,
      label: humanize(field.name),
      type: field.type,
    })),
    { key: 'version', label: 'Version', type: 'integer' },
    { key: 'updatedAt', label: 'Updated', type: 'date' },
  ];
}

function cell(column, row) {
  const value = row[column.key];
  const attributes = {
    'data-label': column.label,
    class: 'cell-' + column.type.replace('[]', 's'),
  };
  if (
    value === null ||
    value === undefined ||
    (Array.isArray(value) && value.length === 0)
  ) {
    return h(
      'td',
      attributes,
      h('span', { class: 'empty', 'aria-hidden': 'true' }, '—'),
      h('span', { class: 'visually-hidden' }, 'not set'),
    );
  }
  switch (column.type) {
    case 'id':
      return h('td', attributes, h('code', { title: value }, shortId(value)));
    case 'boolean':
      return h(
        'td',
        attributes,
        h('span', { class: value ? 'yes' : 'no' }, value ? 'Yes' : 'No'),
      );
    case 'string[]':
      return h(
        'td',
        attributes,
        h(
          'ul',
          { class: 'chips' },
          value.map((item) => h('li', {}, item)),
        ),
      );
    case 'date':
      return h(
        'td',
        attributes,
        h('time', { datetime: value }, formatDate(value)),
      );
    case 'integer':
    case 'number':
      return h('td', attributes, String(value));
    default:
      return h(
        'td',
        attributes,
        h('span', { class: 'text', title: value }, value),
      );
  }
}

function compareValues(a, b, type) {
  const aMissing = a === null || a === undefined;
  const bMissing = b === null || b === undefined;
  if (aMissing || bMissing)
    return aMissing === bMissing ? 0 : aMissing ? 1 : -1;
  if (type === 'integer' || type === 'number') return a - b;
  if (type === 'boolean') return Number(b) - Number(a);
  if (type === 'id') return a < b ? -1 : a > b ? 1 : 0;
  if (type === 'string[]') {
    a = a.join(', ');
    b = b.join(', ');
  }
  return String(a).localeCompare(String(b), undefined, {
    numeric: true,
    sensitivity: 'base',
  });
}

function comparator() {
  const sort = state.sort;
  if (!sort) return (a, b) => compareValues(a.id, b.id, 'id');
  const column = columnsOf(state.entity).find(
    (candidate) => candidate.key === sort.key,
  );
  return (a, b) => {
    const order =
      compareValues(a[sort.key], b[sort.key], column.type) ||
      compareValues(a.id, b.id, 'id');
    return sort.descending ? -order : order;
  };
}

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

function firstPageUrl() {
  const parameters = new URLSearchParams({ limit: String(state.pageSize) });
  if (state.sort && serverSorts.get(sortKey()) !== false) {
    parameters.set('sort', (state.sort.descending ? '-' : '') + state.sort.key);
  }
  return state.entity.path + '?' + parameters.toString();
}

const sortKey = () => state.entity.table + ':' + state.sort.key;

function renderView() {
  const entity = state.entity;
  const view = byId('view');
  view.replaceChildren(
    h(
      'div',
      { class: 'view-head' },
      h(
        'div',
        {},
        h('h1', { id: 'table-title', tabindex: '-1' }, entity.table),
        entity.description
          ? h('p', { class: 'muted' }, entity.description)
          : null,
      ),
      h(
        'div',
        { class: 'view-actions' },
        h('span', { id: 'live', class: 'feed', role: 'status' }, 'Connecting…'),
        h(
          'button',
          {
            type: 'button',
            class: 'button primary',
            onclick: () => openCreate(),
          },
          'New ' + noun(entity),
        ),
      ),
    ),
    ...(state.role === 'read'
      ? [
          h(
            'p',
            { class: 'note' },
            'This key may read but not write: creating, editing and deleting need a write key.',
          ),
        ]
      : []),
    h(
      'div',
      { class: 'toolbar' },
      h('p', { id: 'table-status', class: 'table-status' }, 'Loading…'),
      h(
        'div',
        { class: 'toolbar-controls' },
        h('label', { for: 'page-size' }, 'Rows per page'),
        h(
          'select',
          {
            id: 'page-size',
            onchange: (event) => {
              state.pageSize = Number(event.target.value);
              void loadPage(firstPageUrl(), 'first');
            },
          },
          PAGE_SIZES.map((size) =>
            h(
              'option',
              { value: String(size), selected: size === state.pageSize },
              String(size),
            ),
          ),
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            onclick: () => reloadPage('Reloaded.'),
          },
          'Reload',
        ),
      ),
    ),
    h('div', { id: 'notice', class: 'notice', role: 'status' }),
    h(
      'div',
      {
        class: 'table-wrap',
        role: 'region',
        'aria-labelledby': 'table-title',
        tabindex: '0',
      },
      h(
        'table',
        { class: 'rows' },
        h('caption', { id: 'table-caption', class: 'visually-hidden' }),
        h('thead', {}, h('tr', { id: 'header-row' })),
        h('tbody', { id: 'rows' }),
      ),
    ),
    h(
      'nav',
      { class: 'pager', 'aria-label': 'Pages of ' + entity.table },
      h(
        'button',
        {
          type: 'button',
          class: 'button',
          id: 'previous-page',
          onclick: previousPage,
        },
        '← Previous',
      ),
      h('span', { id: 'page-number', class: 'muted' }),
      h(
        'button',
        { type: 'button', class: 'button', id: 'next-page', onclick: nextPage },
        'Next →',
      ),
    ),
  );
  renderHeader();
}

function renderHeader() {
  const row = byId('header-row');
  row.replaceChildren(
    ...columnsOf(state.entity).map((column) => {
      const sorted = state.sort && state.sort.key === column.key;
      const ariaSort = sorted
        ? state.sort.descending
          ? 'descending'
          : 'ascending'
        : null;
      const arrow = sorted ? (state.sort.descending ? '↓' : '↑') : '↕';
      return h(
        'th',
        {
          scope: 'col',
          'aria-sort': ariaSort,
          class: 'col-' + column.type.replace('[]', 's'),
        },
        h(
          'button',
          { type: 'button', class: 'sort', onclick: () => sortBy(column.key) },
          column.label,
          h(
            'span',
            { class: sorted ? 'arrow active' : 'arrow', 'aria-hidden': 'true' },
            arrow,
          ),
        ),
      );
    }),
    h(
      'th',
      { scope: 'col', class: 'col-actions' },
      h('span', { class: 'visually-hidden' }, 'Actions'),
    ),
  );
}

function renderRows() {
  const entity = state.entity;
  const tbody = byId('rows');
  if (!tbody) return;
  const focused =
    document.activeElement && document.activeElement.closest
      ? document.activeElement.closest('tr[data-id]')
      : null;
  const focus =
    focused && tbody.contains(focused)
      ? {
          id: /** @type {HTMLElement} */ (focused).dataset.id,
          action: /** @type {HTMLElement} */ (document.activeElement).dataset
            .action,
        }
      : null;
  const rows = state.sortedOnServer
    ? state.rows
    : [...state.rows].sort(comparator());
  const columns = columnsOf(entity);
  const now = Date.now();
  if (rows.length === 0) {
    tbody.replaceChildren(
      h(
        'tr',
        {},
        h(
          'td',
          { colspan: String(columns.length + 1), class: 'empty-table' },
          state.loading
            ? 'Loading…'
            : 'No ' +
                entity.table +
                ' yet. Create one with “New ' +
                noun(entity) +
                '”.',
        ),
      ),
    );
  } else {
    tbody.replaceChildren(
      ...rows.map((row) => {
        const title = rowTitle(entity, row);
        const flash = (state.flashes.get(row.id) || 0) > now;
        return h(
          'tr',
          { dataset: { id: row.id }, class: flash ? 'flash' : null },
          columns.map((column) => cell(column, row)),
          h(
            'td',
            { class: 'actions', 'data-label': 'Actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'button small',
                dataset: { action: 'edit' },
                'aria-label': 'Edit ' + noun(entity) + ' ' + title,
                onclick: () => openEdit(row.id),
              },
              'Edit',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'button small danger-outline',
                dataset: { action: 'delete' },
                'aria-label': 'Delete ' + noun(entity) + ' ' + title,
                onclick: () => openDelete(row.id),
              },
              'Delete',
            ),
          ),
        );
      }),
    );
  }
  if (focus) {
    const button = tbody.querySelector(
      'tr[data-id="' +
        CSS.escape(focus.id) +
        '"] [data-action="' +
        focus.action +
        '"]',
    );
    if (button instanceof HTMLElement) button.focus();
    else /** @type {HTMLElement} */ (tbody.closest('.table-wrap')).focus();
  }
  renderTableStatus();
}

function renderTableStatus() {
  const status = byId('table-status');
  if (!status) return;
  const page = state.pageStarts.length;
  const count = state.rows.length;
  let text = count + (count === 1 ? ' row' : ' rows') + ' on page ' + page;
  let caption = state.entity.table + ', page ' + page;
  if (state.sort) {
    const label = columnsOf(state.entity).find(
      (column) => column.key === state.sort.key,
    ).label;
    const order = state.sort.descending ? 'descending' : 'ascending';
    text +=
      ' · sorted by ' +
      label +
      ', ' +
      order +
      (state.sortedOnServer ? '' : ' (within this page)');
    caption += ', sorted by ' + label + ', ' + order;
  }
  if (state.hiddenNewRows > 0)
    text += ' · ' + state.hiddenNewRows + ' new on other pages';
  status.textContent = text;
  byId('table-caption').textContent = caption;
  byId('page-number').textContent = 'Page ' + page;
  buttonById('previous-page').disabled = page <= 1;
  buttonById('next-page').disabled = !state.nextUrl;
}

function notice(message, tone) {
  const element = byId('notice');
  if (!element) return;
  element.className = 'notice' + (tone ? ' ' + tone : '');
  element.textContent = message;
}

/**
 * Loads one page of rows. how: 'first', 'next', 'previous' or 'same' (the page
 * stack follows). Changes that arrive meanwhile are applied after the rows.
 */
async function loadPage(url, how, tolerated) {
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
  for (const change of state.pending.splice(0)) applyChange(change);
  renderHeader();
  renderRows();
  return response;
}

function reloadPage(message) {
  const url = state.pageStarts[state.pageStarts.length - 1] || firstPageUrl();
  return loadPage(url, 'same').then((response) => {
    if (response.ok && message) notice(message);
  });
}

function nextPage() {
  if (state.nextUrl) void loadPage(state.nextUrl, 'next');
}

function previousPage() {
  if (state.pageStarts.length > 1)
    void loadPage(state.pageStarts[state.pageStarts.length - 2], 'previous');
}

/**
 * Sorts on the server when the list API takes a sort parameter for that field
 * (then every page follows the order); where it answers 400, sorts the rows of
 * the loaded page instead, and remembers not to ask again.
 */
async function sortBy(key) {
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

// ---------------------------------------------------------------- live changes

/**
 * Opens the table's change feed; resolves once it is connected (or after 3 s).
 * After a drop it resumes from the last change it received (Last-Event-ID), so
 * nothing is missed; only a feed that had received none reloads the page.
 */
function connectFeed(entity) {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 3000);
    let lost = false;
    let sentWith = null;
    const feed = openEventStream(entity.changes, {
      headers: () => {
        sentWith = tokenOf();
        return authorization();
      },
      onOpen(resumed) {
        clearTimeout(timer);
        if (state.feed !== feed) return;
        setLive('live');
        if (lost && !resumed)
          void reloadPage('Live updates reconnected; the table was reloaded.');
        lost = false;
        resolve();
      },
      onEvent(event) {
        if (state.feed === feed && event.type === 'change')
          onChange(JSON.parse(event.data));
      },
      onDrop() {
        lost = true;
        if (state.feed === feed) setLive('reconnecting');
      },
      async onRefused(status, problem) {
        if (status === 401) {
          await signIn(problem, sentWith);
          return 'now';
        }
        if (state.feed === feed) setLive('off');
        return 'later';
      },
    });
    state.feed = feed;
  });
}

function setLive(mode) {
  const live = byId('live');
  if (!live) return;
  const labels = {
    live: 'Live',
    reconnecting: 'Reconnecting…',
    off: 'Live updates off, retrying',
  };
  live.className = 'feed ' + mode;
  live.textContent = labels[mode];
  live.title =
    mode === 'live'
      ? 'Rows change here as node ' + SERVED_BY + ' applies events'
      : '';
}

let changeCount = 0;
let changeTimer = null;

function onChange(change) {
  scheduleStatusRefresh();
  if (state.loading) {
    state.pending.push(change);
    return;
  }
  if (!applyChange(change)) return;
  renderRows();
  noteEditedRowChanged(change);
  changeCount += 1;
  clearTimeout(changeTimer);
  changeTimer = setTimeout(() => {
    announce(
      changeCount +
        (changeCount === 1 ? ' change' : ' changes') +
        ' applied to ' +
        state.entity.table,
    );
    changeCount = 0;
  }, 1500);
}

/**
 * Applies one change of the feed to the loaded rows, unless the table already
 * shows that change or a later one (a write's own answer often arrives first).
 */
function applyChange(change) {
  const offset = offsetOf(change.position);
  const known = state.offsets.get(change.id);
  if (offset !== null && known !== undefined && offset <= known) return false;
  if (offset !== null) state.offsets.set(change.id, offset);
  const index = state.rows.findIndex((row) => row.id === change.id);
  if (change.type === 'deleted' || !change.row) {
    if (index < 0) return false;
    state.rows.splice(index, 1);
    return true;
  }
  if (index >= 0) {
    if (state.rows[index].version >= change.row.version) return false;
    state.rows[index] = change.row;
  } else if (belongsOnThisPage(change.row)) {
    insertRow(change.row);
  } else {
    state.hiddenNewRows += 1;
    renderTableStatus();
    return false;
  }
  flash(change.id);
  return true;
}

/** A new row is shown if it sorts onto the loaded page: not before its first row, not past its end. */
function belongsOnThisPage(row) {
  if (state.nextUrl) return false;
  if (state.pageStarts.length <= 1 || state.rows.length === 0) return true;
  return comparator()(row, state.rows[0]) > 0;
}

function insertRow(row) {
  const order = comparator();
  const index = state.rows.findIndex((candidate) => order(row, candidate) < 0);
  if (index < 0) state.rows.push(row);
  else state.rows.splice(index, 0, row);
}

/** Highlights a row for a moment; renderRows() draws the highlight. */
function flash(id) {
  state.flashes.set(id, Date.now() + FLASH_MS);
  setTimeout(() => {
    const row = document.querySelector(
      '#rows tr[data-id="' + CSS.escape(id) + '"]',
    );
    if (row && (state.flashes.get(id) || 0) <= Date.now())
      row.classList.remove('flash');
  }, FLASH_MS + 50);
}

/**
 * A write's own answer (or a row just read): shows it at once, and lets the feed
 * skip the event when it arrives. A row the user created is shown even when it
 * sorts onto a later page, so they see what they made.
 */
function showWritten(row, headers, removed) {
  const offset = offsetOf(headers.get('ClusterLite-Position'));
  if (offset !== null && (state.offsets.get(row.id) ?? -1) < offset)
    state.offsets.set(row.id, offset);
  const index = state.rows.findIndex((candidate) => candidate.id === row.id);
  if (removed) {
    if (index >= 0) state.rows.splice(index, 1);
  } else if (index < 0) {
    insertRow(row);
    flash(row.id);
  } else if (state.rows[index].version < row.version) {
    state.rows[index] = row;
    flash(row.id);
  }
  renderRows();
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
