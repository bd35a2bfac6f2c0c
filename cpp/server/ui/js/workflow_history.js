// One run's history as a table; a click on an event shows its attributes (payloads decoded:
// attempt, last failure, result, ...). Also the pending-activities and children tables.
'use strict';

// {eventId, eventTimeUs, activityTaskCompleted: {...}} -> ["ActivityTaskCompleted", {...}]
function eventKind(event) {
  for (const [k, v] of Object.entries(event)) {
    if (k !== 'eventId' && k !== 'eventTimeUs') return [k[0].toUpperCase() + k.slice(1), v];
  }
  return ['Unknown', {}];
}

// A one-line digest of an event's attributes for the table.
function eventDigest(kind, attrs) {
  const bits = [];
  for (const k of ['activityType', 'workflowType', 'signalName', 'timerId', 'activityId',
                   'attempt', 'scheduledEventId', 'reason']) {
    if (attrs[k] !== undefined) bits.push(`${k}: ${typeof attrs[k] === 'object' ? JSON.stringify(attrs[k]) : attrs[k]}`);
  }
  if (attrs.failure && attrs.failure.message) bits.push(`failure: ${attrs.failure.message}`);
  return bits.join('  ');
}

function historyTable(events) {
  const table = h('table', {id: 'history-table'},
                  h('tr', {}, ['Id', 'Time', 'Event', 'Details'].map(t => h('th', {}, t))));
  for (const event of events) {
    const [kind, attrs] = eventKind(event);
    const details = h('tr', {class: 'details', hidden: true},
                      h('td', {colspan: 4}, Payloads.pre(attrs)));
    const row = h('tr', {class: 'event', 'data-event-id': event.eventId, 'data-kind': kind,
                         onclick: () => { details.hidden = !details.hidden; }},
                  h('td', {}, event.eventId), h('td', {}, fmtTime(event.eventTimeUs)),
                  h('td', {class: 'event-kind'}, kind),
                  h('td', {class: 'muted'}, eventDigest(kind, attrs)));
    table.append(row, details);
  }
  return table;
}

function pendingActivitiesTable(activities) {
  if (!activities.length) return h('p', {class: 'muted', id: 'pending-activities'}, 'No pending activities.');
  return h('table', {id: 'pending-activities'},
    h('tr', {}, ['Activity id', 'Type', 'State', 'Attempt', 'Last heartbeat', 'Heartbeat details',
                 'Last failure'].map(t => h('th', {}, t))),
    activities.map(a => h('tr', {},
      h('td', {}, a.activityId), h('td', {}, a.activityType), h('td', {}, a.state),
      h('td', {}, `${a.attempt || 1}${a.maximumAttempts ? ` / ${a.maximumAttempts}` : ''}`),
      h('td', {}, fmtTime(a.lastHeartbeatTimeUs)),
      h('td', {}, a.heartbeatDetails ? Payloads.pre(a.heartbeatDetails) : ''),
      h('td', {}, a.lastFailure ? Payloads.pre(a.lastFailure) : ''))));
}

// Children: those started by this run (from its history), with the pending ones' state.
function childrenTable(events, pending) {
  const children = new Map();
  for (const event of events) {
    const [kind, a] = eventKind(event);
    if (kind === 'StartChildWorkflowExecutionInitiated') {
      children.set(event.eventId, {workflowId: a.workflowId, type: a.workflowType, runId: '', state: 'Initiated'});
    } else if (kind.startsWith('ChildWorkflowExecution') || kind === 'StartChildWorkflowExecutionFailed') {
      const child = children.get(a.initiatedEventId);
      if (!child) continue;
      child.state = kind.replace('ChildWorkflowExecution', '').replace('StartChildWorkflowExecution', 'Start');
      if (a.workflowExecution && a.workflowExecution.runId) child.runId = a.workflowExecution.runId;
    }
  }
  for (const p of pending) {
    if (!children.has(p.initiatedEventId)) {
      children.set(p.initiatedEventId, {workflowId: p.workflowId, type: p.workflowType, runId: p.runId, state: 'Pending'});
    }
  }
  if (!children.size) return h('p', {class: 'muted', id: 'children'}, 'No child workflows.');
  return h('table', {id: 'children'},
    h('tr', {}, ['Workflow id', 'Type', 'State'].map(t => h('th', {}, t))),
    [...children.values()].map(c => h('tr', {},
      h('td', {}, h('a', {href: workflowHref({workflowId: c.workflowId, runId: c.runId})}, c.workflowId)),
      h('td', {}, c.type), h('td', {}, c.state))));
}
