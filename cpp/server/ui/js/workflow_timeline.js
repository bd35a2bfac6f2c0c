// The compact timeline of a run: one row per activity, timer and child (from its first event
// to its closing one, as a bar over the run's duration) and per signal or update (a point).
'use strict';

// Which event opens a span, and the attribute by which its later events name it.
const SPAN_OPENERS = {
  ActivityTaskScheduled: {kind: 'Activity', name: a => a.activityType, link: 'scheduledEventId'},
  TimerStarted: {kind: 'Timer', name: a => `${a.timerId} (${fmtDuration(a.startToFireTimeoutUs)})`, link: 'startedEventId'},
  StartChildWorkflowExecutionInitiated: {kind: 'Child', name: a => `${a.workflowType} ${a.workflowId}`, link: 'initiatedEventId'},
};
const POINTS = {
  WorkflowExecutionSignaled: a => `signal ${a.signalName}`,
  WorkflowExecutionUpdateAccepted: a => `update ${a.name || a.updateId || ''}`,
  WorkflowExecutionCancelRequested: () => 'cancel requested',
};

function timelineSpans(events) {
  const spans = new Map();  // opening event id -> span
  const rows = [];
  for (const event of events) {
    const [kind, a] = eventKind(event);
    const t = Number(event.eventTimeUs);
    if (SPAN_OPENERS[kind]) {
      const o = SPAN_OPENERS[kind];
      const span = {kind: o.kind, name: o.name(a), start: t, end: null, state: 'pending', link: o.link};
      spans.set(event.eventId, span);
      rows.push(span);
    } else if (POINTS[kind]) {
      rows.push({kind: 'Event', name: POINTS[kind](a), start: t, end: t, state: ''});
    } else {
      for (const link of ['scheduledEventId', 'startedEventId', 'initiatedEventId']) {
        const span = a[link] !== undefined && spans.get(a[link]);
        if (!span || span.link !== link) continue;
        span.state = kind.replace(/^(ActivityTask|Timer|ChildWorkflowExecution|StartChildWorkflowExecution)/, '');
        if (span.state !== 'Started') span.end = t;
      }
    }
  }
  return rows;
}

function timelineTable(events) {
  const rows = timelineSpans(events);
  if (!rows.length) return h('p', {class: 'muted', id: 'timeline'}, 'No activities, timers, children or signals.');
  const first = Number(events[0].eventTimeUs);
  const last = Math.max(Number(events[events.length - 1].eventTimeUs), ...rows.map(r => r.end || 0));
  const whole = Math.max(last - first, 1);
  const bar = r => {
    const left = (100 * (r.start - first)) / whole;
    const width = r.end === null ? 100 - left : Math.max((100 * (r.end - r.start)) / whole, 0.5);
    return h('div', {class: `bar bar-${r.kind}`, style: `margin-left:${left}%;width:${width}%`});
  };
  return h('table', {id: 'timeline'},
    h('tr', {}, ['Kind', 'Name', 'State', 'Took', ''].map(t => h('th', {}, t))),
    rows.map(r => h('tr', {class: 'timeline-row'},
      h('td', {}, r.kind), h('td', {}, r.name), h('td', {}, r.state),
      h('td', {}, r.end === null ? '' : fmtDuration(r.end - r.start)),
      h('td', {class: 'bar-cell'}, bar(r)))));
}
