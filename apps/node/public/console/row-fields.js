// @ts-check
/**
 * The fields of the row form: one labelled control per declared field, read
 * back as JSON values, and the validation errors shown at the field they
 * concern.
 */
import { byId, h, humanize } from './dom.js';

function fieldHint(field) {
  const parts = [];
  if (field.description) parts.push(field.description);
  if (field.type === 'string[]') parts.push('One per line');
  if (field.type === 'integer') parts.push('Whole number');
  if (field.maxLength && field.maxLength <= 1000)
    parts.push(
      'Up to ' +
        field.maxLength +
        ' characters' +
        (field.type === 'string[]' ? ' each' : ''),
    );
  if (field.unique && !/unique/i.test(field.description || ''))
    parts.push('Must be unique');
  return parts.join(' · ');
}

export function fieldControl(field, value) {
  const id = 'field-' + field.name;
  const hintId = id + '-hint';
  const errorId = id + '-error';
  const label = humanize(field.name);
  const common = {
    id,
    name: field.name,
    'aria-describedby': hintId,
    required: field.required && field.type !== 'boolean',
    autocomplete: 'off',
  };
  let control;
  if (field.type === 'boolean' && field.required) {
    control = h(
      'input',
      Object.assign({}, common, { type: 'checkbox', checked: value === true }),
    );
    return h(
      'div',
      { class: 'field field-check', dataset: { field: field.name } },
      control,
      h('label', { for: id }, label),
      h('p', { class: 'hint', id: hintId }, fieldHint(field)),
      h('p', { class: 'field-error', id: errorId, hidden: true }),
    );
  }
  if (field.type === 'boolean') {
    control = h(
      'select',
      common,
      h(
        'option',
        { value: '', selected: value === null || value === undefined },
        'Not set',
      ),
      h('option', { value: 'true', selected: value === true }, 'Yes'),
      h('option', { value: 'false', selected: value === false }, 'No'),
    );
  } else if (field.type === 'string[]') {
    control = h(
      'textarea',
      Object.assign({}, common, { rows: '3', value: (value || []).join('\n') }),
    );
  } else if (field.type === 'integer' || field.type === 'number') {
    control = h(
      'input',
      Object.assign({}, common, {
        type: 'number',
        step: field.type === 'integer' ? '1' : 'any',
        inputmode: field.type === 'integer' ? 'numeric' : 'decimal',
        value: value === null || value === undefined ? '' : String(value),
      }),
    );
  } else if (!field.format && field.maxLength > 1000) {
    control = h(
      'textarea',
      Object.assign({}, common, { rows: '3', value: value ?? '' }),
    );
  } else {
    const type =
      field.format === 'email'
        ? 'email'
        : field.format === 'uri' || field.format === 'url'
          ? 'url'
          : 'text';
    control = h(
      'input',
      Object.assign({}, common, {
        type,
        maxlength: field.maxLength ? String(field.maxLength) : null,
        value: value ?? '',
      }),
    );
  }
  return h(
    'div',
    { class: 'field', dataset: { field: field.name } },
    h(
      'label',
      { for: id },
      label,
      field.required ? null : h('span', { class: 'optional' }, ' (optional)'),
    ),
    control,
    h('p', { class: 'hint', id: hintId }, fieldHint(field)),
    h('p', { class: 'field-error', id: errorId, hidden: true }),
  );
}

/** Reads one field of the form: its JSON value, or a problem to show at the field. */
export function readField(field) {
  // An input, a select or a textarea: all have the properties read here, for the field types they serve.
  const control = /** @type {HTMLInputElement} */ (byId('field-' + field.name));
  const label = humanize(field.name);
  if (field.type === 'boolean') {
    if (field.required) return { value: control.checked };
    return { value: control.value === '' ? null : control.value === 'true' };
  }
  if (field.type === 'string[]') {
    return {
      value: control.value
        .split('\n')
        .map((item) => item.trim())
        .filter((item) => item.length > 0),
    };
  }
  if (field.type === 'integer' || field.type === 'number') {
    if (control.validity.badInput)
      return { problem: label + ' must be a number.' };
    if (control.value === '')
      return field.required
        ? { problem: label + ' is required.' }
        : { value: null };
    return { value: Number(control.value) };
  }
  if (control.value === '')
    return field.required
      ? { problem: label + ' is required.' }
      : { value: null };
  return { value: control.value };
}

export function clearErrors(form) {
  for (const error of form.querySelectorAll('.field-error')) {
    error.hidden = true;
    error.textContent = '';
  }
  for (const control of form.querySelectorAll('[aria-invalid]')) {
    control.removeAttribute('aria-invalid');
    control.setAttribute('aria-describedby', control.id + '-hint');
  }
  for (const alert of form.querySelectorAll('.alert')) {
    alert.hidden = true;
    alert.textContent = '';
  }
}

/** Puts each message at the field it concerns; the rest go to the form's alert. Focuses the first. */
export function showFieldErrors(form, errors, alertId) {
  const loose = [];
  let first = null;
  for (const error of errors) {
    const name = String(error.field).split('.')[0];
    const control = byId('field-' + name);
    if (!control || !form.contains(control)) {
      loose.push(error.messages.join(' '));
      continue;
    }
    const message = byId('field-' + name + '-error');
    const texts = error.messages.map((text) =>
      sentence(
        String(text).startsWith(name + ' ')
          ? humanize(name) + String(text).slice(name.length)
          : text,
      ),
    );
    message.textContent = [message.textContent, ...texts]
      .filter(Boolean)
      .join(' ');
    message.hidden = false;
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute(
      'aria-describedby',
      control.id + '-error ' + control.id + '-hint',
    );
    first = first || control;
  }
  if (loose.length > 0) showAlert(alertId, loose.join(' '));
  if (first) first.focus();
  return first !== null || loose.length > 0;
}

const sentence = (text) => {
  const trimmed = String(text).trim();
  return (
    trimmed.charAt(0).toUpperCase() +
    trimmed.slice(1) +
    (/[.!?]$/.test(trimmed) ? '' : '.')
  );
};

export function showAlert(id, message) {
  const alert = byId(id);
  alert.textContent = message;
  alert.hidden = false;
}

/** A unique field taken: "UNIQUE constraint failed: products.sku" names the field. */
export function uniqueFieldOf(problem) {
  const match = /UNIQUE constraint failed: [\w-]+\.(\w+)/.exec(
    problem.detail || '',
  );
  return match ? match[1] : null;
}
