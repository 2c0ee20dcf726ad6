/**
 * The console's stylesheet: system fonts, no external resources. Wide screens
 * get a sidebar (tables, then replication) beside the rows; under 800 px
 * everything stacks, and under 640 px table rows become labelled cards so
 * nothing needs horizontal scrolling.
 */
export const CONSOLE_STYLES = String.raw`
:root {
  --bg: #f4f5f7;
  --surface: #ffffff;
  --text: #1b2230;
  --muted: #566070;
  --border: #d9dee5;
  --border-strong: #b9c0cb;
  --accent: #2452b8;
  --accent-strong: #1b3f91;
  --accent-soft: #e8eefb;
  --danger: #b42318;
  --danger-soft: #fdecea;
  --ok: #0d7340;
  --ok-soft: #e5f4ec;
  --warn: #8a5300;
  --warn-soft: #fff4dc;
  --flash: #ffe78f;
  --focus: #f59e0b;
  --radius: 8px;
  --mono: ui-monospace, "SFMono-Regular", "DejaVu Sans Mono", Menlo, Consolas, monospace;
  color-scheme: light;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif;
  font-size: 15px;
  line-height: 1.45;
  color: var(--text);
  background: var(--bg);
}

*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; min-width: 320px; }
h1, h2, h3 { line-height: 1.2; margin: 0; }
h1 { font-size: 1.5rem; }
h2 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.06em; color: var(--muted); }
h3 { font-size: 1rem; }
p { margin: 0; }
code, .mono { font-family: var(--mono); font-size: 0.85em; }
a { color: var(--accent); }

:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
[tabindex="-1"]:focus { outline: none; }

.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.skip-link {
  position: absolute; left: 0.5rem; top: -3rem; z-index: 10;
  background: var(--surface); color: var(--accent-strong); padding: 0.5rem 0.75rem; border-radius: var(--radius);
}
.skip-link:focus { top: 0.5rem; }
.muted { color: var(--muted); }
.small { font-size: 0.8rem; }

/* Frame */
.topbar {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: 0.5rem 1.5rem;
  padding: 0.7rem 1.5rem; background: #141a26; color: #f3f5f9;
}
.brand { display: flex; align-items: center; gap: 0.55rem; font-weight: 650; font-size: 1.1rem; }
.brand-mark {
  width: 1.35rem; height: 1.35rem; border-radius: 5px;
  background: linear-gradient(135deg, #5b8def 0%, #2452b8 55%, #17c3a5 100%);
  box-shadow: inset 0 0 0 2px rgba(255, 255, 255, 0.25);
}
.brand-sub { font-weight: 400; color: #aab4c5; }
.served-by { color: #c9d1de; font-size: 0.9rem; }
.served-by strong { color: #ffffff; font-family: var(--mono); background: #25304a; padding: 0.1rem 0.45rem; border-radius: 5px; }

.layout {
  display: grid; gap: 1.25rem; padding: 1.25rem 1.5rem 2rem;
  grid-template-columns: 17rem minmax(0, 1fr);
  grid-template-rows: auto 1fr;
  grid-template-areas: "nav main" "aside main";
  align-items: start; max-width: 1600px; margin: 0 auto;
}
.tables-nav { grid-area: nav; }
main { grid-area: main; min-width: 0; }
.node-panel { grid-area: aside; display: grid; gap: 0.75rem; }

/* Table list */
.tables-nav h2 { margin: 0.35rem 0 0.6rem; }
.tables-nav ul { list-style: none; margin: 0; padding: 0; display: grid; gap: 0.2rem; }
.table-link {
  display: flex; justify-content: space-between; align-items: center; gap: 0.5rem;
  padding: 0.45rem 0.65rem; border-radius: var(--radius); color: var(--text); text-decoration: none; font-weight: 550;
}
.table-link:hover { background: #e7eaef; }
.table-link[aria-current="page"] { background: var(--accent); color: #ffffff; }
.table-count { font-size: 0.78rem; font-weight: 500; color: var(--muted); font-variant-numeric: tabular-nums; }
.table-link[aria-current="page"] .table-count { color: #dbe4fa; }

/* Table view */
#view {
  background: var(--surface); border: 1px solid var(--border); border-radius: 10px;
  padding: 1.15rem 1.25rem 1rem; box-shadow: 0 1px 2px rgba(16, 24, 40, 0.05);
}
.view-head { display: flex; flex-wrap: wrap; justify-content: space-between; align-items: flex-start; gap: 0.75rem 1rem; }
.view-head .muted { margin-top: 0.25rem; }
.view-actions { display: flex; align-items: center; gap: 0.75rem; flex-wrap: wrap; }
.toolbar {
  display: flex; flex-wrap: wrap; justify-content: space-between; align-items: center; gap: 0.5rem 1rem;
  margin: 1rem 0 0.6rem;
}
.table-status { color: var(--muted); font-size: 0.88rem; }
.toolbar-controls { display: flex; align-items: center; gap: 0.5rem; font-size: 0.88rem; }
.toolbar-controls select { padding: 0.3rem 0.4rem; }

.feed {
  display: inline-flex; align-items: center; gap: 0.4rem; font-size: 0.82rem; font-weight: 600;
  padding: 0.2rem 0.6rem; border-radius: 999px; background: #eef0f3; color: var(--muted);
}
.feed::before { content: ""; width: 0.5rem; height: 0.5rem; border-radius: 50%; background: currentColor; }
.feed.live { background: var(--ok-soft); color: var(--ok); }
.feed.reconnecting, .feed.off { background: var(--warn-soft); color: var(--warn); }

.notice { margin: 0 0 0.75rem; padding: 0.55rem 0.8rem; border-radius: var(--radius); background: var(--accent-soft); font-size: 0.9rem; }
.notice:empty { display: none; }
.notice.success { background: var(--ok-soft); color: #0a4d2b; }
.notice.error { background: var(--danger-soft); color: #8a1c12; }

.table-wrap { overflow-x: auto; border: 1px solid var(--border); border-radius: var(--radius); }
table.rows { width: 100%; border-collapse: collapse; font-size: 0.9rem; }
table.rows th, table.rows td { padding: 0.5rem 0.6rem; text-align: left; vertical-align: middle; border-bottom: 1px solid #e9ecf0; }
table.rows thead th { background: #f7f8fa; font-weight: 600; white-space: nowrap; border-bottom: 1px solid var(--border); }
table.rows tbody tr:last-child td { border-bottom: 0; }
table.rows tbody tr:hover { background: #fafbfc; }
.cell-integer, .cell-number, .col-integer, .col-number { text-align: right; font-variant-numeric: tabular-nums; }
table.rows th.col-integer, table.rows th.col-number { text-align: right; }
table.rows td.cell-integer, table.rows td.cell-number { text-align: right; }
.cell-id code { color: var(--muted); white-space: nowrap; }
.cell-date { white-space: nowrap; color: var(--muted); }
.text { display: inline-block; max-width: 26ch; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; vertical-align: bottom; }
.empty { color: #9aa3b0; }
.yes { color: var(--ok); font-weight: 600; }
.no { color: var(--muted); }
.chips { display: flex; flex-wrap: wrap; gap: 0.25rem; margin: 0; padding: 0; list-style: none; }
.chips li { background: #eef1f6; border-radius: 999px; padding: 0.05rem 0.5rem; font-size: 0.8rem; }
.empty-table { text-align: center !important; color: var(--muted); padding: 2rem 1rem !important; }
/* The actions stay in view while a wide table scrolls sideways. */
table.rows td.actions, table.rows th.col-actions {
  position: sticky; right: 0; white-space: nowrap; text-align: right;
  background: var(--surface); box-shadow: -8px 0 8px -8px rgba(16, 24, 40, 0.18);
}
table.rows th.col-actions { background: #f7f8fa; }
table.rows tbody tr:hover td.actions { background: #fafbfc; }
.cell-strings { min-width: 11rem; }
td.actions .button + .button { margin-left: 0.35rem; }

.sort {
  all: unset; cursor: pointer; display: inline-flex; align-items: center; gap: 0.3rem; border-radius: 4px;
}
.sort:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
.arrow { color: #a3abb8; font-size: 0.8em; }
.arrow.active { color: var(--accent); }

tr.flash td { animation: flash 2.5s ease-out; }
@keyframes flash { 0%, 30% { background: var(--flash); } 100% { background: transparent; } }

.pager { display: flex; justify-content: flex-end; align-items: center; gap: 0.75rem; margin-top: 0.75rem; font-size: 0.88rem; }

/* Buttons and inputs */
.button {
  font: inherit; font-size: 0.9rem; font-weight: 550; cursor: pointer;
  padding: 0.45rem 0.9rem; border-radius: var(--radius); border: 1px solid var(--border-strong);
  background: var(--surface); color: var(--text);
}
.button:hover { background: #f0f2f5; }
.button.primary { background: var(--accent); border-color: var(--accent); color: #ffffff; }
.button.primary:hover { background: var(--accent-strong); }
.button.danger { background: var(--danger); border-color: var(--danger); color: #ffffff; }
.button.danger:hover { background: #8f1b12; }
.button.danger-outline { color: var(--danger); border-color: #e7b4ae; }
.button.danger-outline:hover { background: var(--danger-soft); }
.button.small { padding: 0.25rem 0.6rem; font-size: 0.82rem; }
.button:disabled { opacity: 0.5; cursor: not-allowed; }
input, select, textarea { font: inherit; color: inherit; }

/* Node panel */
.node-panel h2 { margin: 0.35rem 0 0; }
.node-cards { display: grid; gap: 0.75rem; }
.node-card { background: var(--surface); border: 1px solid var(--border); border-radius: 10px; padding: 0.85rem 0.8rem; display: grid; gap: 0.55rem; }
.node-card.served { border-color: #9db4e8; box-shadow: 0 0 0 3px var(--accent-soft); }
.node-card h3 { display: flex; align-items: center; flex-wrap: wrap; gap: 0.4rem; }
.tag { font-size: 0.72rem; font-weight: 600; color: var(--accent-strong); background: var(--accent-soft); border-radius: 999px; padding: 0.1rem 0.5rem; margin-left: 0.35rem; }
.node-mode { font-size: 0.88rem; color: var(--muted); }
.badge { font-size: 0.75rem; font-weight: 700; text-transform: uppercase; letter-spacing: 0.04em; padding: 0.1rem 0.45rem; border-radius: 5px; margin-right: 0.3rem; }
.badge.ok { background: var(--ok-soft); color: var(--ok); }
.badge.warn { background: var(--warn-soft); color: var(--warn); }
.topics-wrap { overflow-x: auto; }
table.topics { width: 100%; border-collapse: collapse; font-size: 0.82rem; font-variant-numeric: tabular-nums; }
table.topics th, table.topics td { padding: 0.3rem 0.25rem; border-bottom: 1px solid #eceef2; text-align: right; }
table.topics th:first-child { text-align: left; font-weight: 550; font-family: var(--mono); font-size: 0.8rem; }
table.topics thead th { color: var(--muted); font-weight: 600; font-family: inherit; white-space: nowrap; }
.in-sync { color: var(--ok); font-weight: 600; }
.lag { color: var(--warn); font-weight: 700; }
.counters { display: grid; gap: 0.2rem; margin: 0; font-size: 0.82rem; }
.counters div { display: flex; justify-content: space-between; gap: 0.5rem; }
.counters dt { color: var(--muted); }
.counters dd { margin: 0; font-weight: 600; }
.alert { padding: 0.6rem 0.8rem; border-radius: var(--radius); background: var(--danger-soft); color: #8a1c12; font-size: 0.9rem; }

/* Dialogs */
dialog {
  width: min(36rem, calc(100vw - 1.5rem)); max-height: calc(100vh - 2rem); padding: 0; border: 0; border-radius: 12px;
  color: var(--text); box-shadow: 0 24px 48px rgba(16, 24, 40, 0.25);
}
dialog::backdrop { background: rgba(15, 23, 42, 0.5); }
dialog form { padding: 1.25rem 1.35rem; display: grid; gap: 1rem; }
dialog h2 { font-size: 1.2rem; text-transform: none; letter-spacing: 0; color: var(--text); }
.dialog-head { display: grid; gap: 0.3rem; }
.dialog-head .muted { font-size: 0.8rem; overflow-wrap: anywhere; }
.note { font-size: 0.85rem; color: #6b4000; background: var(--warn-soft); border-radius: 6px; padding: 0.35rem 0.6rem; }
.note:empty { display: none; }
.dialog-actions { display: flex; flex-wrap: wrap; gap: 0.6rem; }
.fields { display: grid; gap: 0.9rem; }
.field { display: grid; gap: 0.3rem; }
.field label { font-weight: 600; font-size: 0.92rem; }
.optional { font-weight: 400; color: var(--muted); }
.field input:not([type="checkbox"]), .field select, .field textarea {
  width: 100%; padding: 0.5rem 0.6rem; border: 1px solid var(--border-strong); border-radius: 6px; background: #ffffff;
}
.field textarea { resize: vertical; }
.field input:focus-visible, .field select:focus-visible, .field textarea:focus-visible { outline: 3px solid var(--focus); outline-offset: 1px; }
.field [aria-invalid="true"] { border-color: var(--danger) !important; box-shadow: 0 0 0 1px var(--danger); }
.field-check { grid-template-columns: auto 1fr; align-items: center; column-gap: 0.5rem; }
.field-check input { width: 1.15rem; height: 1.15rem; margin: 0; }
.field-check .hint, .field-check .field-error { grid-column: 1 / -1; }
.hint { font-size: 0.8rem; color: var(--muted); }
.field-error { font-size: 0.85rem; font-weight: 600; color: var(--danger); }
.field-error::before { content: "⚠ "; }
.conflict { border: 1px solid #f0c36d; background: var(--warn-soft); border-radius: var(--radius); padding: 0.85rem 0.95rem; display: grid; gap: 0.6rem; }
.conflict h3 { color: #6b4000; }
.compare-wrap { overflow-x: auto; }
table.compare { width: 100%; border-collapse: collapse; font-size: 0.85rem; background: #ffffff; border-radius: 6px; }
table.compare th, table.compare td { padding: 0.35rem 0.5rem; border-bottom: 1px solid #f1e2bf; text-align: left; overflow-wrap: break-word; }
table.compare th[scope="row"] { white-space: nowrap; }
.tag { white-space: nowrap; }
table.compare tr.differs th, table.compare tr.differs td { background: #fffaf0; font-weight: 600; }

@media (prefers-reduced-motion: reduce) {
  tr.flash td { animation: none; background: var(--flash); }
}

@media (max-width: 800px) {
  .layout { grid-template-columns: minmax(0, 1fr); grid-template-rows: none; grid-template-areas: "nav" "main" "aside"; padding: 0.75rem; gap: 0.85rem; }
  .topbar { padding: 0.6rem 0.75rem; }
  .tables-nav h2 { margin-top: 0; }
  .tables-nav ul { display: flex; flex-wrap: wrap; gap: 0.35rem; }
  .table-link { border: 1px solid var(--border); background: var(--surface); }
  #view { padding: 0.9rem 0.8rem; }
}

/* Narrow screens: every row is a card, every value labelled. */
@media (max-width: 640px) {
  .table-wrap { border: 0; overflow: visible; }
  table.rows, table.rows tbody, table.rows tr, table.rows td { display: block; width: 100%; }
  table.rows thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.rows tbody tr { border: 1px solid var(--border); border-radius: var(--radius); margin-bottom: 0.6rem; padding: 0.35rem 0.2rem; }
  table.rows td {
    display: grid; grid-template-columns: 6.5rem minmax(0, 1fr); gap: 0.5rem; border: 0; padding: 0.3rem 0.6rem;
    text-align: left !important;
  }
  table.rows td::before { content: attr(data-label); font-weight: 600; color: var(--muted); font-size: 0.82rem; }
  table.rows td.actions::before, table.rows td.empty-table::before { content: none; }
  table.rows td.actions { position: static; box-shadow: none; background: transparent; display: flex; gap: 0.5rem; justify-content: flex-start; padding-top: 0.5rem; }
  table.rows td.empty-table { display: block; }
  .text { max-width: 100%; white-space: normal; overflow-wrap: anywhere; }
  .pager { justify-content: space-between; }
  .view-head h1 { font-size: 1.3rem; }
}
`;
