// @ts-check
/**
 * The console's browser script: plain ES modules, no framework and no
 * build step, so a node serves them as they are. It only uses the public REST API:
 * the catalogue (catalogue.js) for the forms, `/{table}` for rows, `/{table}/_changes`
 * (server-sent events, event-stream.js) for live updates and `GET /_cluster/status`
 * for the node panel, with the tab's API key if the node asks for one (api.js).
 * DOM nodes are built with textContent, never from HTML strings.
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
import {
  SERVED_BY,
  announce,
  buttonById,
  byId,
  dialogById,
  h,
  humanize,
} from './dom.js';
import { openEventStream } from './event-stream.js';
import {
  renderCounts,
  scheduleStatusRefresh,
  startNodePanel,
} from './node-panel.js';
import {
  clearErrors,
  fieldControl,
  readField,
  showAlert,
  showFieldErrors,
  uniqueFieldOf,
} from './row-fields.js';

const PAGE_SIZES = [10, 25, 50, 100];
const FLASH_MS = 2500;

const state = {
  entities: [],
  entity: null,
  rows: [],
  pageStarts: [],
  nextUrl: null,
  pageSize: 25,
  sort: null,
  sortedOnServer: false,
  loading: false,
  pending: [],
  offsets: new Map(),
  flashes: new Map(),
  hiddenNewRows: 0,
  partition: null,
  feed: null,
  /** The key's role, once known: a read key sees why its writes are refused before trying. */
  role: null,
  form: null,
  deleting: null,
};
const serverSorts = new Map();

// ---------------------------------------------------------------- helpers

const noun = (entity) =>
  entity.name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

function rowTitle(entity, row) {
  const field = entity.fields.find(
    (candidate) => candidate.type === 'string' && row[candidate.name],
  );
  return field ? String(row[field.name]) : row.id;
}

function shortId(id) {
  return id.length <= 12 ? id : '…' + id.slice(-8);
}

/** Offset of a log position token such as "clusterlite.users:0:42"; null for anything else. */
function offsetOf(position) {
  const match = /^(.+:\d+):(\d+)$/.exec(position || '');
  if (!match) return null;
  state.partition = match[1];
  return Number(match[2]);
}

/** Makes a read wait until the node has applied the given offset of this table's log. */
function positionQuery(offset) {
  if (offset === undefined || offset === null || !state.partition) return '';
  return '?position=' + encodeURIComponent(state.partition + ':' + offset);
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

function openRowDialog(title, meta, submitLabel, row) {
  const entity = state.entity;
  const form = byId('row-form');
  clearErrors(form);
  byId('conflict').hidden = true;
  byId('conflict').replaceChildren();
  byId('row-dialog-title').textContent = title;
  byId('row-dialog-meta').textContent = meta;
  byId('row-dialog-note').textContent = '';
  byId('row-submit').textContent = submitLabel;
  buttonById('row-submit').disabled = false;
  byId('row-submit').hidden = false;
  byId('row-fields').replaceChildren(
    ...entity.fields.map((field) =>
      fieldControl(field, row ? row[field.name] : undefined),
    ),
  );
  const dialog = dialogById('row-dialog');
  if (!dialog.open) dialog.showModal();
  const first = form.querySelector('input, select, textarea');
  if (first instanceof HTMLElement) first.focus();
}

function openCreate() {
  const entity = state.entity;
  state.form = { kind: 'create', entity, opener: document.activeElement };
  openRowDialog(
    'New ' + noun(entity),
    'The node picks the id.',
    'Create ' + noun(entity),
    null,
  );
}

async function openEdit(id) {
  const entity = state.entity;
  const opener = document.activeElement;
  const response = await api(
    'GET',
    entity.path +
      '/' +
      encodeURIComponent(id) +
      positionQuery(state.offsets.get(id)),
  );
  if (!response.ok) {
    if (response.status === 404) {
      showWritten({ id }, response.headers, true);
      notice(
        'That ' +
          noun(entity) +
          ' no longer exists; it was deleted on the cluster.',
        'error',
      );
    } else {
      notice(
        'Could not open the ' +
          noun(entity) +
          ': ' +
          problemText(response.problem),
        'error',
      );
    }
    return;
  }
  const row = response.data;
  const etag = response.headers.get('ETag') || '"' + row.version + '"';
  state.form = { kind: 'edit', entity, id, base: row, etag, opener };
  openRowDialog(
    'Edit ' + noun(entity),
    'ID ' + id + ' · version ' + row.version,
    'Save changes',
    row,
  );
}

function closeRowDialog(message) {
  const form = state.form;
  state.form = null;
  dialogById('row-dialog').close();
  if (form && form.opener && form.opener.isConnected) form.opener.focus();
  else if (form && form.id) focusRow(form.id);
  if (message) notice(message, 'success');
}

function focusRow(id) {
  const button = document.querySelector(
    '#rows tr[data-id="' + CSS.escape(id) + '"] [data-action="edit"]',
  );
  if (button instanceof HTMLElement) button.focus();
}

/** Fields the user changed, compared with the version the form was opened on. */
function changesOf(form, values) {
  const changes = {};
  for (const field of form.entity.fields) {
    const before =
      form.base[field.name] === undefined ? null : form.base[field.name];
    if (JSON.stringify(before) !== JSON.stringify(values[field.name]))
      changes[field.name] = values[field.name];
  }
  return changes;
}

function readForm(form) {
  const values = {};
  const problems = [];
  for (const field of form.entity.fields) {
    const read = readField(field);
    if (read.problem)
      problems.push({ field: field.name, messages: [read.problem] });
    else values[field.name] = read.value;
  }
  return { values, problems };
}

async function submitRow(event) {
  event.preventDefault();
  const form = state.form;
  if (!form) return;
  const element = byId('row-form');
  clearErrors(element);
  const { values, problems } = readForm(form);
  if (problems.length > 0) {
    showFieldErrors(element, problems, 'row-form-alert');
    return;
  }
  const entity = form.entity;
  let request;
  if (form.kind === 'create') {
    const body = {};
    for (const [name, value] of Object.entries(values))
      if (value !== null) body[name] = value;
    request = () =>
      api('POST', entity.path, {
        body,
        headers: { Prefer: 'return=representation' },
      });
  } else {
    const changes = changesOf(form, values);
    if (Object.keys(changes).length === 0) {
      closeRowDialog('Nothing to save: no field changed.');
      return;
    }
    request = () =>
      api('PATCH', entity.path + '/' + encodeURIComponent(form.id), {
        body: changes,
        headers: { Prefer: 'return=representation', 'If-Match': form.etag },
      });
  }
  const response = await whileBusy(element, request);
  if (state.form !== form) return;
  if (response.ok) {
    showWritten(response.data, response.headers, false);
    const verb = form.kind === 'create' ? 'Created ' : 'Saved ';
    closeRowDialog(
      verb +
        noun(entity) +
        ' “' +
        rowTitle(entity, response.data) +
        '” (version ' +
        response.data.version +
        ').',
    );
    return;
  }
  await showWriteProblem(form, response);
}

/** Runs a request with the form's submit buttons disabled, so a double click writes once. */
async function whileBusy(element, request) {
  const buttons = [...element.querySelectorAll('button[type="submit"]')];
  for (const button of buttons) button.disabled = true;
  element.setAttribute('aria-busy', 'true');
  try {
    return await request();
  } finally {
    for (const button of buttons) button.disabled = false;
    element.removeAttribute('aria-busy');
  }
}

async function showWriteProblem(form, response) {
  const element = byId('row-form');
  const entity = form.entity;
  const problem = response.problem;
  if (
    response.status === 400 &&
    Array.isArray(problem.errors) &&
    problem.errors.length > 0
  ) {
    showFieldErrors(element, problem.errors, 'row-form-alert');
  } else if (response.status === 409 && uniqueFieldOf(problem)) {
    const field = uniqueFieldOf(problem);
    showFieldErrors(
      element,
      [
        {
          field,
          messages: [
            'Another ' +
              noun(entity) +
              ' already has this ' +
              humanize(field) +
              '. Choose another.',
          ],
        },
      ],
      'row-form-alert',
    );
  } else if (response.status === 412 && form.kind === 'edit') {
    await showConflict(form, problem);
  } else if (response.status === 404 && form.kind === 'edit') {
    showAlert(
      'row-form-alert',
      'This ' +
        noun(entity) +
        ' was deleted by someone else while you were editing it. Nothing was saved.',
    );
    showWritten({ id: form.id }, new Headers(), true);
    buttonById('row-submit').disabled = true;
  } else if (response.status === 504) {
    closeRowDialog(
      'The write was accepted, but this node had not applied it after a few seconds. The table shows it once applied.',
    );
  } else {
    const retry = response.headers.get('Retry-After');
    showAlert(
      'row-form-alert',
      problemText(problem) +
        (retry ? ' Try again in ' + retry + ' s.' : '') +
        ' Nothing was saved.',
    );
  }
}

function describeValue(field, value) {
  if (value === null || value === undefined) return 'not set';
  if (field.type === 'boolean') return value ? 'Yes' : 'No';
  if (field.type === 'string[]')
    return value.length === 0 ? 'none' : value.join(', ');
  return String(value);
}

/**
 * 412: someone changed the row since the form was opened. Shows the newer
 * values beside the user's, then lets them reapply their changes on the newer
 * version or discard them. Nothing is overwritten without that choice.
 */
async function showConflict(form, problem) {
  const entity = form.entity;
  const query = problem.position
    ? '?position=' + encodeURIComponent(problem.position)
    : '';
  const response = await api(
    'GET',
    entity.path + '/' + encodeURIComponent(form.id) + query,
  );
  if (state.form !== form) return;
  if (!response.ok) {
    showAlert(
      'row-form-alert',
      response.status === 404
        ? 'This ' +
            noun(entity) +
            ' was deleted by someone else while you were editing it. Nothing was saved.'
        : 'Someone else changed this ' +
            noun(entity) +
            ', and the newer version could not be loaded: ' +
            problemText(response.problem),
    );
    return;
  }
  const current = response.data;
  const { values } = readForm(form);
  const mine = changesOf(form, values);
  form.etag = response.headers.get('ETag') || '"' + current.version + '"';
  form.current = current;
  showWritten(current, new Headers(), false);
  const section = byId('conflict');
  const rows = entity.fields.map((field) => {
    const theirs =
      JSON.stringify(current[field.name] ?? null) !==
      JSON.stringify(form.base[field.name] ?? null);
    const yours = Object.prototype.hasOwnProperty.call(mine, field.name);
    return h(
      'tr',
      { class: theirs || yours ? 'differs' : null },
      h('th', { scope: 'row' }, humanize(field.name)),
      h(
        'td',
        {},
        describeValue(field, current[field.name]),
        theirs ? h('span', { class: 'tag' }, 'changed') : null,
      ),
      h(
        'td',
        {},
        yours
          ? describeValue(field, mine[field.name])
          : h('span', { class: 'muted' }, 'unchanged'),
      ),
    );
  });
  section.replaceChildren(
    h(
      'h3',
      { id: 'conflict-title', tabindex: '-1' },
      'Someone else changed this ' + noun(entity),
    ),
    h(
      'p',
      {},
      'While you were editing, version ' +
        form.base.version +
        ' became version ' +
        current.version +
        '. Your changes were not saved and nothing was overwritten. Newer values:',
    ),
    h(
      'div',
      { class: 'compare-wrap' },
      h(
        'table',
        { class: 'compare' },
        h(
          'caption',
          { class: 'visually-hidden' },
          'Newer values and your edit',
        ),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Field'),
            h('th', { scope: 'col' }, 'Now (version ' + current.version + ')'),
            h('th', { scope: 'col' }, 'Your edit'),
          ),
        ),
        h('tbody', {}, rows),
      ),
    ),
    h(
      'div',
      { class: 'dialog-actions' },
      h(
        'button',
        { type: 'submit', class: 'button primary' },
        'Apply my changes to version ' + current.version,
      ),
      h(
        'button',
        { type: 'button', class: 'button', onclick: () => discard(form) },
        'Discard my changes',
      ),
    ),
  );
  section.hidden = false;
  byId('row-dialog-note').textContent = '';
  byId('row-dialog-meta').textContent =
    'ID ' +
    form.id +
    ' · version ' +
    current.version +
    ' (you opened version ' +
    form.base.version +
    ')';
  byId('row-submit').hidden = true;
  byId('conflict-title').focus();
}

function discard(form) {
  const entity = form.entity;
  closeRowDialog(
    'Discarded your changes; the ' +
      noun(entity) +
      ' shows version ' +
      form.current.version +
      '.',
  );
}

/** Warns, in the open form, that the row changed meanwhile; saving will then show both versions. */
function noteEditedRowChanged(change) {
  const form = state.form;
  if (!form || form.kind !== 'edit' || form.id !== change.id) return;
  const note = byId('row-dialog-note');
  if (!change.row) {
    note.textContent =
      'This ' +
      noun(form.entity) +
      ' was deleted on the cluster while you were editing it.';
    return;
  }
  const opened = form.current ? form.current.version : form.base.version;
  if (change.row.version > opened) {
    note.textContent =
      'Changed on the cluster while you edit: now version ' +
      change.row.version +
      '. Saving will show you both versions first.';
  }
}

// ---------------------------------------------------------------- delete

function openDelete(id) {
  const entity = state.entity;
  const row = state.rows.find((candidate) => candidate.id === id);
  if (!row) return;
  state.deleting = { entity, row, opener: document.activeElement };
  const form = byId('delete-form');
  clearErrors(form);
  byId('delete-dialog-title').textContent =
    'Delete ' + noun(entity) + ' “' + rowTitle(entity, row) + '”?';
  byId('delete-dialog-text').textContent =
    'Version ' +
    row.version +
    ' of ID ' +
    row.id +
    ' will be deleted on every node. If someone changes it first, nothing is deleted.';
  buttonById('delete-confirm').disabled = false;
  dialogById('delete-dialog').showModal();
  byId('delete-cancel').focus();
}

function closeDeleteDialog(message, tone) {
  const deleting = state.deleting;
  state.deleting = null;
  dialogById('delete-dialog').close();
  if (deleting && deleting.opener && deleting.opener.isConnected)
    deleting.opener.focus();
  else if (byId('table-title')) byId('table-title').focus();
  if (message) notice(message, tone || 'success');
}

async function submitDelete(event) {
  event.preventDefault();
  const deleting = state.deleting;
  if (!deleting) return;
  const { entity, row } = deleting;
  const response = await whileBusy(byId('delete-form'), () =>
    api('DELETE', entity.path + '/' + encodeURIComponent(row.id), {
      headers: {
        Prefer: 'return=representation',
        'If-Match': '"' + row.version + '"',
      },
    }),
  );
  if (state.deleting !== deleting) return;
  if (response.ok) {
    showWritten(row, response.headers, true);
    closeDeleteDialog(
      'Deleted ' + noun(entity) + ' “' + rowTitle(entity, row) + '”.',
    );
    return;
  }
  if (response.status === 412) {
    const query = response.problem.position
      ? '?position=' + encodeURIComponent(response.problem.position)
      : '';
    const current = await api(
      'GET',
      entity.path + '/' + encodeURIComponent(row.id) + query,
    );
    if (current.ok) showWritten(current.data, new Headers(), false);
    closeDeleteDialog(
      'Not deleted: someone changed this ' +
        noun(entity) +
        ' (now version ' +
        (current.ok ? current.data.version : '?') +
        '). Check the new values, then delete again if you still want to.',
      'error',
    );
    return;
  }
  showAlert(
    'delete-form-alert',
    problemText(response.problem) + ' Nothing was deleted.',
  );
}

// ---------------------------------------------------------------- start

async function start() {
  byId('row-form').addEventListener('submit', submitRow);
  byId('row-cancel').addEventListener('click', () => closeRowDialog());
  byId('row-dialog').addEventListener('cancel', (event) => {
    event.preventDefault();
    closeRowDialog();
  });
  byId('delete-form').addEventListener('submit', submitDelete);
  byId('delete-cancel').addEventListener('click', () => closeDeleteDialog());
  byId('delete-dialog').addEventListener('cancel', (event) => {
    event.preventDefault();
    closeDeleteDialog();
  });
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
