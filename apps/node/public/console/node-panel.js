// @ts-check
/**
 * The replication panel: what `GET /_cluster/status` reports of the node that
 * served the page and of any other node a load balancer reached. The status is
 * for admin keys; for other keys the panel says so and stops asking.
 */
import { api, problemText } from './api.js';
import { SERVED_BY, byId, h } from './dom.js';

const STATUS_INTERVAL_MS = 10000;
const nodes = new Map();

const timeFormat = new Intl.DateTimeFormat(undefined, {
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});

let statusInFlight = false;
let statusTimer = null;
/** The node's state is for admin keys: once refused, the panel says so and stops asking. */
let statusForbidden = false;

export function scheduleStatusRefresh() {
  if (statusTimer || statusForbidden) return;
  statusTimer = setTimeout(() => {
    statusTimer = null;
    void refreshStatus();
  }, 1000);
}

async function refreshStatus() {
  if (statusInFlight || statusForbidden) return;
  statusInFlight = true;
  const response = await api('GET', '/_cluster/status');
  statusInFlight = false;
  if (response.status === 403) {
    statusForbidden = true;
    byId('node-status').replaceChildren(
      h(
        'p',
        { class: 'muted' },
        'The node state needs an admin key. ' + problemText(response.problem),
      ),
    );
    return;
  }
  if (!response.ok) {
    byId('status-error')?.remove();
    byId('node-status').prepend(
      h(
        'p',
        { id: 'status-error', class: 'alert' },
        'Status unavailable: ' + problemText(response.problem),
      ),
    );
    return;
  }
  nodes.set(response.data.nodeId, { report: response.data, at: new Date() });
  renderStatus();
  renderCounts();
}

function renderStatus() {
  const ordered = [...nodes.values()].sort(
    (a, b) =>
      Number(b.report.nodeId === SERVED_BY) -
        Number(a.report.nodeId === SERVED_BY) ||
      a.report.nodeId.localeCompare(b.report.nodeId),
  );
  const panel = byId('node-status');
  const balanced = ordered.some(({ report }) => report.nodeId !== SERVED_BY);
  panel.replaceChildren(
    h(
      'div',
      { class: 'node-cards' },
      ordered.map(({ report, at }) => nodeCard(report, at)),
      balanced
        ? h(
            'p',
            { class: 'muted small' },
            'Behind a load balancer, each request may reach another node; every card shows what that node reported last.',
          )
        : null,
    ),
  );
}

function nodeCard(report, at) {
  const served = report.nodeId === SERVED_BY;
  const headingId = 'node-' + report.nodeId;
  const lagging = (report.topics || []).some((topic) => topic.lag > 0);
  return h(
    'section',
    {
      class: 'node-card' + (served ? ' served' : ''),
      'aria-labelledby': headingId,
    },
    h(
      'h3',
      { id: headingId },
      'Node ',
      h('span', { class: 'mono' }, report.nodeId),
      served ? h('span', { class: 'tag' }, 'served this page') : null,
    ),
    h(
      'p',
      { class: 'node-mode' },
      h(
        'span',
        { class: 'badge ' + (report.replicating ? 'ok' : 'warn') },
        report.mode,
      ),
      report.replicating
        ? lagging
          ? ' Catching up with the log'
          : ' In step with the log'
        : ' Keeps its own log: does not replicate',
    ),
    h(
      'div',
      { class: 'topics-wrap' },
      h(
        'table',
        { class: 'topics' },
        h(
          'caption',
          { class: 'visually-hidden' },
          'Log positions of node ' + report.nodeId,
        ),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Topic'),
            h(
              'th',
              {
                scope: 'col',
                title: 'Offset of the last event this node applied',
              },
              'Applied',
            ),
            h(
              'th',
              { scope: 'col', title: 'Offset the next event on the log gets' },
              'Log end',
            ),
            h(
              'th',
              {
                scope: 'col',
                title: 'Events on the log this node has not applied yet',
              },
              'Lag',
            ),
          ),
        ),
        h(
          'tbody',
          {},
          (report.topics || []).map((topic) =>
            h(
              'tr',
              {},
              h(
                'th',
                {
                  scope: 'row',
                  title: topic.topic + ' partition ' + topic.partition,
                },
                topic.topic.split('.').pop(),
              ),
              h('td', {}, topic.appliedOffset ?? '—'),
              h('td', {}, topic.endOffset ?? '—'),
              h(
                'td',
                { class: topic.lag > 0 ? 'lag' : 'in-sync' },
                topic.lag === null || topic.lag === undefined
                  ? '—'
                  : String(topic.lag),
              ),
            ),
          ),
        ),
      ),
    ),
    h(
      'p',
      { class: 'muted small' },
      'Lag: events on the log this node has not applied yet.',
    ),
    h(
      'dl',
      { class: 'counters' },
      h(
        'div',
        {},
        h('dt', {}, 'Rejected events'),
        h('dd', {}, String(report.rejectedEvents)),
      ),
      h(
        'div',
        {},
        h('dt', {}, 'Dead letters'),
        h(
          'dd',
          { class: report.deadLetters > 0 ? 'lag' : null },
          String(report.deadLetters),
        ),
      ),
    ),
    h(
      'p',
      { class: 'muted small' },
      'Reported at ',
      h('time', { datetime: at.toISOString() }, timeFormat.format(at)),
    ),
  );
}

/** Row counts beside the table names, from the last status of the node that served the page. */
export function renderCounts() {
  const status = nodes.get(SERVED_BY) || [...nodes.values()][0];
  if (!status) return;
  for (const table of status.report.tables || []) {
    const badge = byId('count-' + table.table);
    if (!badge) continue;
    badge.textContent = String(table.rows);
    badge.title = table.rows + ' rows on node ' + status.report.nodeId;
  }
}

/** Shows the status now, then refreshes it every 10 s (and after changes). */
export function startNodePanel() {
  void refreshStatus();
  setInterval(refreshStatus, STATUS_INTERVAL_MS);
}
