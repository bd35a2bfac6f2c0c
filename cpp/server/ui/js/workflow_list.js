// The workflow list: filters (status, type, id prefix, start time range, raw visibility
// query) and paging.
'use strict';

const STATUSES = ['Running', 'Completed', 'Failed', 'Canceled', 'Terminated', 'ContinuedAsNew',
                  'TimedOut'];
const PAGE_SIZE = 20;

// The filters (status, type, id prefix, start time range, raw query) -> one visibility query (docs/visibility.md); a raw query is ANDed in.
function listQuery(params) {
  const quote = s => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
  const parts = [];
  if (params.get('status')) parts.push(`ExecutionStatus = ${quote(params.get('status'))}`);
  if (params.get('type')) parts.push(`WorkflowType = ${quote(params.get('type'))}`);
  if (params.get('prefix')) parts.push(`WorkflowId STARTS_WITH ${quote(params.get('prefix'))}`);
  const time = v => quote(new Date(v).toISOString());  // a datetime-local value: local time
  if (params.get('after')) parts.push(`StartTime >= ${time(params.get('after'))}`);
  if (params.get('before')) parts.push(`StartTime < ${time(params.get('before'))}`);
  if (params.get('query')) parts.push(`(${params.get('query')})`);
  return parts.join(' AND ');
}

function filterForm(params) {
  const field = (name, label, input) => h('label', {}, label, input);
  const status = h('select', {name: 'status', id: 'filter-status'},
                   h('option', {value: ''}, 'any'),
                   STATUSES.map(s => h('option', {value: s, selected: params.get('status') === s}, s)));
  const text = (name, size) => h('input', {name, id: `filter-${name}`, size,
                                           value: params.get(name) || ''});
  return h('form', {class: 'inline', id: 'workflow-filters', onsubmit: e => {
    e.preventDefault();
    const next = new URLSearchParams();
    for (const [k, v] of new FormData(e.target)) if (v) next.set(k, v);
    location.hash = `#/workflows?${next}`;
  }},
  field('status', 'Status', status), field('type', 'Workflow type', text('type', 16)),
  field('prefix', 'Workflow id prefix', text('prefix', 16)),
  field('after', 'Started from', h('input', {type: 'datetime-local', name: 'after', id: 'filter-after', value: params.get('after') || ''})),
  field('before', 'Started before', h('input', {type: 'datetime-local', name: 'before', id: 'filter-before', value: params.get('before') || ''})),
  field('query', 'Visibility query', text('query', 40)),
  h('button', {type: 'submit', id: 'filter-apply'}, 'Apply'));
}

async function renderWorkflowList(main, params) {
  const table = h('table', {id: 'workflow-table'},
                  h('tr', {}, ['Status', 'Workflow id', 'Type', 'Task queue', 'Start', 'End']
                    .map(t => h('th', {}, t))));
  const pager = h('div', {class: 'pager'});
  const message = h('div', {});
  main.replaceChildren(h('h1', {}, 'Workflows'), filterForm(params), message, table, pager);
  let resp;
  try {
    resp = await Api.call('ListWorkflowExecutions', {
      query: listQuery(params), pageSize: PAGE_SIZE, nextPageToken: params.get('page') || ''});
  } catch (e) {
    notice(message, e.message, true);
    return;
  }
  const runs = resp.executions || [];
  if (!runs.length) notice(message, 'No workflows match.', false);
  for (const w of runs) {
    table.append(h('tr', {class: 'workflow-row'},
      h('td', {}, statusCell(w.status)),
      h('td', {}, h('a', {href: workflowHref(w.execution)}, w.execution.workflowId)),
      h('td', {}, w.workflowType), h('td', {}, w.taskQueue),
      h('td', {}, fmtTime(w.startTimeUs)), h('td', {}, fmtTime(w.closeTimeUs))));
  }
  const page = next => { const p = new URLSearchParams(params); if (next) p.set('page', next); else p.delete('page'); return `#/workflows?${p}`; };
  if (params.get('page')) pager.append(h('a', {href: page('')}, 'First page'));
  if (resp.nextPageToken) pager.append(h('a', {href: page(resp.nextPageToken), id: 'next-page'}, 'Next page'));
}
