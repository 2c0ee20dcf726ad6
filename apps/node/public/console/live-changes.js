// @ts-check
/** Live changes: the table's change feed, and each change placed in the page as it is applied. */
import { authorization, signIn, tokenOf } from './api.js';
import { reloadPage } from './console.js';
import { announce, byId, SERVED_BY } from './dom.js';
import { openEventStream } from './event-stream.js';
import { scheduleStatusRefresh } from './node-panel.js';
import { noteEditedRowChanged } from './row-dialogs.js';
import { comparator } from './row-values.js';
import { offsetOf, state } from './table-state.js';
import { renderRows, renderTableStatus } from './table-view.js';

const FLASH_MS = 2500;

// ---------------------------------------------------------------- live changes

/**
 * Opens the table's change feed; resolves once it is connected (or after 3 s).
 * After a drop it resumes from the last change it received (Last-Event-ID), so
 * nothing is missed; only a feed that had received none reloads the page.
 */
export function connectFeed(entity) {
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
 * shows a later one, or this change came as a write's own answer (which often
 * arrives first). A change read with the page while it loaded is still shown as new.
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
    const shown = state.rows[index].version;
    if (shown > change.row.version) return false;
    // The same version: the page was read after this change was applied, yet
    // the change is news to the page (its position was not seen), so it is
    // highlighted like any other; the row itself is already right.
    if (shown < change.row.version) state.rows[index] = change.row;
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
 * sorts onto a later page, so they see what they made. While a page loads, it is
 * placed once the page is in (the page may have been read before the write).
 */
export function showWritten(row, headers, removed) {
  const offset = offsetOf(headers.get('ClusterLite-Position'));
  if (offset !== null && (state.offsets.get(row.id) ?? -1) < offset)
    state.offsets.set(row.id, offset);
  if (state.loading) {
    state.pending.push({ written: row, removed });
    return;
  }
  placeWritten(row, removed);
  renderRows();
}

function placeWritten(row, removed) {
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
}

/** What arrived while a page loaded, placed in the page once it is in: feed changes and written rows. */
export function applyPending(pending) {
  if (pending.written) placeWritten(pending.written, pending.removed);
  else applyChange(pending);
}
