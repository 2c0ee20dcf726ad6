// @ts-check
/** One table on screen: its heading and controls, the header row, the rows and the status line. */
import {
  firstPageUrl,
  loadPage,
  nextPage,
  previousPage,
  reloadPage,
  sortBy,
} from './console.js';
import { buttonById, byId, h } from './dom.js';
import { openCreate, openDelete, openEdit } from './row-dialogs.js';
import { cell, columnsOf, comparator } from './row-values.js';
import { noun, rowTitle, state } from './table-state.js';

const PAGE_SIZES = [10, 25, 50, 100];

export const sortKey = () => state.entity.table + ':' + state.sort.key;

export function renderView() {
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

export function renderHeader() {
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

export function renderRows() {
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

export function renderTableStatus() {
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

export function notice(message, tone) {
  const element = byId('notice');
  if (!element) return;
  element.className = 'notice' + (tone ? ' ' + tone : '');
  element.textContent = message;
}

/**
 * Loads one page of rows. how: 'first', 'next', 'previous' or 'same' (the page
 * stack follows). Changes that arrive meanwhile are applied after the rows.
 */
