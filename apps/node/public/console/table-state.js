// @ts-check
/**
 * What the page shows of the open table, shared by the table view
 * (console.js) and the row dialogs (row-dialogs.js), and the words and log
 * positions both derive from a row.
 */

export const state = {
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

export const noun = (entity) =>
  entity.name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();

export function rowTitle(entity, row) {
  const field = entity.fields.find(
    (candidate) => candidate.type === 'string' && row[candidate.name],
  );
  return field ? String(row[field.name]) : row.id;
}

/** Offset of a log position token such as "clusterlite.users:0:42"; null for anything else. */
export function offsetOf(position) {
  const match = /^(.+:\d+):(\d+)$/.exec(position || '');
  if (!match) return null;
  state.partition = match[1];
  return Number(match[2]);
}

/** Makes a read wait until the node has applied the given offset of this table's log. */
export function positionQuery(offset) {
  if (offset === undefined || offset === null || !state.partition) return '';
  return '?position=' + encodeURIComponent(state.partition + ':' + offset);
}
