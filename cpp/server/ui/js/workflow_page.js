// One workflow run: summary, input and result, pending activities, children and the
// relationships tree, the action forms,
// the compact timeline and the history table.
'use strict';

// The run's input (its first event) and its outcome (its close event, if closed).
function inputAndResult(events) {
  const first = events.length ? eventKind(events[0])[1] : {};
  const last = events.length ? eventKind(events[events.length - 1]) : ['', {}];
  let outcome = h('span', {class: 'muted'}, 'running');
  if (last[0].startsWith('WorkflowExecution') && last[0] !== 'WorkflowExecutionStarted' &&
      last[0] !== 'WorkflowExecutionSignaled' && last[0] !== 'WorkflowExecutionCancelRequested' &&
      !last[0].startsWith('WorkflowExecutionUpdate')) {
    const a = last[1];
    outcome = Payloads.pre(a.result || a.failure || a.details || a);
  }
  return h('dl', {class: 'summary', id: 'input-result'},
    h('dt', {}, 'Input'), h('dd', {id: 'workflow-input'}, Payloads.pre(first.input || null)),
    h('dt', {}, 'Result'), h('dd', {id: 'workflow-result'}, outcome));
}

function summary(info) {
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
  return h('dl', {class: 'summary', id: 'summary'},
    row('Status', statusCell(info.status)), row('Workflow id', info.execution.workflowId),
    row('Run id', info.execution.runId), row('Type', info.workflowType),
    row('Task queue', info.taskQueue), row('Start', fmtTime(info.startTimeUs)),
    row('End', fmtTime(info.closeTimeUs)), row('History events', info.historyLength || 0),
    info.parent ? row('Parent', h('a', {href: workflowHref(info.parent)}, info.parent.workflowId)) : [],
    info.memo ? row('Memo', Payloads.pre(info.memo)) : [],
    info.searchAttributes && Object.keys(info.searchAttributes.indexedFields || {}).length ? row('Search attributes', h('pre', {}, JSON.stringify(info.searchAttributes.indexedFields || {}, null, 2))) : []);
}

async function renderWorkflow(main, workflowId, runId, flash) {
  main.replaceChildren(h('h1', {}, `Workflow ${workflowId}`), h('p', {class: 'muted'}, 'Loading…'));
  const execution = {workflowId, runId: runId || ''};
  let described, history;
  try {
    [described, history] = await Promise.all([
      Api.call('DescribeWorkflowExecution', {execution}),
      Api.call('GetWorkflowExecutionHistory', {execution}),
    ]);
  } catch (e) {
    main.replaceChildren(h('h1', {}, `Workflow ${workflowId}`), h('p', {class: 'error'}, e.message));
    return;
  }
  const events = (history.history && history.history.events) || [];
  const info = described.info;
  const reload = text => renderWorkflow(main, workflowId, info.execution.runId, text);
  // Filled in when its queries answer; the rest of the page does not wait for it.
  const tree = h('div', {id: 'relationships'}, h('p', {class: 'muted'}, 'Loading…'));
  childrenTree(info).then(t => tree.replaceChildren(t));
  main.replaceChildren(
    h('h1', {}, `Workflow ${workflowId}`), h('a', {href: '#/workflows'}, '← all workflows'),
    ...(flash ? [h('p', {class: 'notice', id: 'flash'}, flash)] : []),
    h('h2', {}, 'Summary'), summary(info),
    h('h2', {}, 'Input and result'), inputAndResult(events),
    h('h2', {}, 'Pending activities'), pendingActivitiesTable(described.pendingActivities || []),
    h('h2', {}, 'Children'), childrenTable(events, described.pendingChildren || []),
    h('h2', {}, 'Relationships'), tree,
    h('h2', {}, 'Actions'), workflowActions(info.execution, reload),
    h('h2', {}, 'Timeline'), timelineTable(events),
    h('h2', {}, 'History'), h('p', {class: 'muted'}, 'Click an event to see its details.'),
    historyTable(events));
}
