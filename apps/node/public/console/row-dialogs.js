// @ts-check
/**
 * The row dialogs: create and edit (with the conflict view of a 412: the
 * newer values beside the user's, nothing overwritten without their choice)
 * and delete. Each write sends If-Match and Prefer: return=representation, and
 * hands its answer to the table view, which shows it at once.
 */
import { api, problemText } from './api.js';
import { buttonById, byId, dialogById, h, humanize } from './dom.js';
import {
  clearErrors,
  fieldControl,
  readField,
  showAlert,
  showFieldErrors,
  uniqueFieldOf,
} from './row-fields.js';
import { noun, positionQuery, rowTitle, state } from './table-state.js';

import { showConflict } from './row-conflict.js';
/**
 * What the dialogs ask of the table view.
 * @type {{ showWritten: (row: any, headers: Headers, removed: boolean) => void, notice: (message: string, tone?: string) => void }}
 */
let view;
export const showWritten = (row, headers, removed) =>
  view.showWritten(row, headers, removed);
const notice = (message, tone) => view.notice(message, tone);

/**
 * Wires the dialogs' forms; call once at start.
 * @param {typeof view} tableView
 */
export function setUpRowDialogs(tableView) {
  view = tableView;
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

export function openCreate() {
  const entity = state.entity;
  state.form = { kind: 'create', entity, opener: document.activeElement };
  openRowDialog(
    'New ' + noun(entity),
    'The node picks the id.',
    'Create ' + noun(entity),
    null,
  );
}

export async function openEdit(id) {
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

export function closeRowDialog(message) {
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
export function changesOf(form, values) {
  const changes = {};
  for (const field of form.entity.fields) {
    const before =
      form.base[field.name] === undefined ? null : form.base[field.name];
    if (JSON.stringify(before) !== JSON.stringify(values[field.name]))
      changes[field.name] = values[field.name];
  }
  return changes;
}

export function readForm(form) {
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

/** Warns, in the open form, that the row changed meanwhile; saving will then show both versions. */
export function noteEditedRowChanged(change) {
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

export function openDelete(id) {
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
