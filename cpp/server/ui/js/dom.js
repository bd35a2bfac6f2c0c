// Small DOM and formatting helpers shared by every page.
'use strict';

// h('a', {href: '#/x'}, 'text', child...) -> element. `on*` attributes become listeners.
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : String(c));
  }
  return el;
}

// Unix microseconds (a number or protobuf JSON's int64 string) -> local time text.
function fmtTime(us) {
  const n = Number(us || 0);
  return n ? new Date(n / 1000).toLocaleString() : '';
}

// Microseconds -> "4.9ms" / "1.5s" / "2m" / "3h".
function fmtDuration(us) {
  const s = Number(us || 0) / 1e6;
  if (s > 0 && s < 1) return `${+(s * 1000).toFixed(1)}ms`;
  if (s < 60) return `${+s.toFixed(3)}s`;
  if (s < 3600) return `${+(s / 60).toFixed(2)}m`;
  return `${+(s / 3600).toFixed(2)}h`;
}

// WORKFLOW_EXECUTION_STATUS_TIMED_OUT -> "TimedOut" (the visibility query's spelling).
function statusName(status) {
  if (!status) return 'Unspecified';
  return String(status).replace('WORKFLOW_EXECUTION_STATUS_', '').toLowerCase()
    .split('_').map(w => w[0].toUpperCase() + w.slice(1)).join('');
}

function statusCell(status) {
  const name = statusName(status);
  return h('span', {class: `status status-${name}`}, name);
}

// A message shown under a form: errors in red, successes in green.
function notice(el, text, isError) {
  el.replaceChildren(h('span', {class: isError ? 'error' : 'notice'}, text));
}

function workflowHref(execution) {
  const run = execution.runId ? `/${encodeURIComponent(execution.runId)}` : '';
  return `#/workflows/${encodeURIComponent(execution.workflowId)}${run}`;
}
