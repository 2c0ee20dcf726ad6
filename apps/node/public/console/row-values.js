// @ts-check
/** The console's values: short ids, dates, cells of each column type, and the order rows sort in. */
import { h, humanize } from './dom.js';
import { state } from './table-state.js';

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

export function nextLink(header) {
  if (!header) return null;
  const match = /<([^>]*)>\s*;\s*rel="?next"?/.exec(header);
  return match ? match[1] : null;
}

// ---------------------------------------------------------------- columns and cells

export function columnsOf(entity) {
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

export function cell(column, row) {
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

export function comparator() {
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
