// @ts-check
/** The conflict view of a 412: the newer values beside the user's, reapply or discard. */
import { api, problemText } from './api.js';
import { byId, h, humanize } from './dom.js';
import {
  changesOf,
  closeRowDialog,
  readForm,
  showWritten,
} from './row-dialogs.js';
import { showAlert } from './row-fields.js';
import { noun, state } from './table-state.js';

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
export async function showConflict(form, problem) {
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
