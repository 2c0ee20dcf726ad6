const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (character) => ESCAPES[character]);

/**
 * The console's HTML shell. The script fills the tables, forms and node panel
 * in; the shell carries the landmarks, the dialogs and the live regions, and
 * the id of the node that served it.
 */
export function consolePage(nodeId: string): string {
  const node = escapeHtml(nodeId);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="clusterlite-node" content="${node}">
<title>ClusterLite console · ${node}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/_console/console.css">
<script type="module" src="/_console/console.js"></script>
</head>
<body>
<a class="skip-link" href="#main">Skip to the table</a>
<header class="topbar">
  <p class="brand"><span class="brand-mark" aria-hidden="true"></span>ClusterLite <span class="brand-sub">console</span></p>
  <p class="served-by">Page served by node <strong id="served-by">${node}</strong></p>
</header>
<div class="layout">
  <nav class="tables-nav" aria-labelledby="tables-heading">
    <h2 id="tables-heading">Tables</h2>
    <ul id="table-list"><li class="muted">Loading…</li></ul>
  </nav>
  <main id="main" tabindex="-1">
    <div id="view"><p class="muted">Loading tables…</p></div>
  </main>
  <aside class="node-panel" aria-labelledby="node-heading">
    <h2 id="node-heading">Replication</h2>
    <div id="node-status"><p class="muted">Loading…</p></div>
  </aside>
</div>
<div id="announcer" class="visually-hidden" role="status" aria-live="polite"></div>
<dialog id="row-dialog" aria-labelledby="row-dialog-title">
  <form id="row-form" novalidate>
    <div class="dialog-head">
      <h2 id="row-dialog-title">Row</h2>
      <p id="row-dialog-meta" class="muted mono"></p>
      <p id="row-dialog-note" class="note" role="status"></p>
    </div>
    <div id="row-form-alert" class="alert" role="alert" hidden></div>
    <section id="conflict" class="conflict" role="alert" aria-labelledby="conflict-title" hidden></section>
    <div id="row-fields" class="fields"></div>
    <div class="dialog-actions">
      <button type="submit" class="button primary" id="row-submit">Save</button>
      <button type="button" class="button" id="row-cancel">Cancel</button>
    </div>
  </form>
</dialog>
<dialog id="delete-dialog" aria-labelledby="delete-dialog-title" aria-describedby="delete-dialog-text">
  <form id="delete-form" novalidate>
    <h2 id="delete-dialog-title">Delete?</h2>
    <p id="delete-dialog-text"></p>
    <div id="delete-form-alert" class="alert" role="alert" hidden></div>
    <div class="dialog-actions">
      <button type="submit" class="button danger" id="delete-confirm">Delete</button>
      <button type="button" class="button" id="delete-cancel" autofocus>Cancel</button>
    </div>
  </form>
</dialog>
</body>
</html>
`;
}
