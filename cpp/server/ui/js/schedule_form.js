// The create-schedule form: the workflow to start and one of three frequency kinds —
// an interval (+ offset), a cron string, or calendar days of the week / of the month at a time.
'use strict';

const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

// "1,15,28" or "1-5" -> [{start: 1}, {start: 15}, ...] / [{start: 1, end: 5}]; throws naming `what`.
function parseRanges(text, what, lo, hi) {
  const out = [];
  for (const part of text.split(',').map(s => s.trim()).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    const start = m && Number(m[1]);
    const end = m && m[2] !== undefined ? Number(m[2]) : start;
    if (!m || start < lo || end > hi || end < start) {
      throw new Error(`${what}: '${part}' is not a number or range within ${lo}-${hi}`);
    }
    out.push(end !== start ? {start, end} : {start});
  }
  return out;
}

function positiveSeconds(text, what, allowZero) {
  const n = Number(text);
  if (!(text.trim() !== '' && Number.isFinite(n) && (n > 0 || (allowZero && n === 0)))) {
    throw new Error(`${what} must be a ${allowZero ? 'non-negative' : 'positive'} number of seconds, got '${text}'`);
  }
  return Math.round(n * 1e6);
}

// The form's values -> a ScheduleSpec.
function scheduleSpec(v, weekdays) {
  const spec = {timeZoneName: v.time_zone || ''};
  if (v.kind === 'interval') {
    spec.intervals = [{everyUs: positiveSeconds(v.every, 'Every', false),
                       offsetUs: positiveSeconds(v.offset || '0', 'Offset', true)}];
  } else if (v.kind === 'cron') {
    if (!v.cron.trim()) throw new Error('Cron string is empty');
    spec.cronExpressions = [v.cron.trim()];
  } else {
    const [hour, minute] = (v.at || '00:00').split(':').map(Number);
    const cal = {hour: [{start: hour}], minute: [{start: minute}],
                 comment: `days of week [${weekdays.map(d => WEEKDAYS[d]).join(',')}] days of month [${v.days_of_month}] at ${v.at}`};
    if (weekdays.length) cal.dayOfWeek = weekdays.map(d => ({start: d}));
    if (v.days_of_month.trim()) cal.dayOfMonth = parseRanges(v.days_of_month, 'Days of month', 1, 31);
    if (!cal.dayOfWeek && !cal.dayOfMonth) throw new Error('Calendar: pick days of the week or days of the month');
    spec.calendars = [cal];
  }
  return spec;
}

function renderScheduleForm(main) {
  const message = h('div', {});
  const text = (name, label, attrs) => h('label', {}, label, h('input', Object.assign({name, id: `sf-${name}`}, attrs || {})));
  const kind = (value, label) => h('label', {class: 'choice'}, h('input', {type: 'radio', name: 'kind', value, id: `sf-kind-${value}`,
                                                            checked: value === 'interval'}), label);
  const form = h('form', {id: 'schedule-form', onsubmit: async e => {
    e.preventDefault();
    const v = Object.fromEntries(new FormData(e.target));
    const weekdays = [...e.target.querySelectorAll('input[name=weekday]:checked')].map(x => Number(x.value));
    try {
      if (!v.schedule_id.trim()) throw new Error('Schedule id is empty');
      const startWorkflow = {workflowId: v.workflow_id || v.schedule_id, workflowType: v.workflow_type,
                             taskQueue: v.task_queue};
      if (v.input.trim()) startWorkflow.input = {payloads: [Payloads.encode(v.input, 'Input')]};
      await Api.call('CreateSchedule', {scheduleId: v.schedule_id, identity: 'durable-web-ui',
        schedule: {spec: scheduleSpec(v, weekdays), action: {startWorkflow}}});
      location.hash = `#/schedules/${encodeURIComponent(v.schedule_id)}`;
    } catch (err) {
      notice(message, err.message, true);
    }
  }},
  h('fieldset', {}, h('legend', {}, 'Workflow'),
    h('div', {class: 'inline'}, text('schedule_id', 'Schedule id'), text('workflow_type', 'Workflow type'),
      text('task_queue', 'Task queue'), text('workflow_id', 'Workflow id (base; default the schedule id)'),
      text('input', 'Input (JSON)', {placeholder: '["arg"]'}))),
  h('fieldset', {}, h('legend', {}, 'Frequency'),
    h('div', {class: 'inline'}, kind('interval', 'Interval'), text('every', 'Every (seconds)', {value: '60', size: 6}),
      text('offset', 'Offset (seconds)', {value: '0', size: 6})),
    h('div', {class: 'inline'}, kind('cron', 'Cron string'), text('cron', 'm h dom mon dow', {placeholder: '0 9 * * 1-5'})),
    h('div', {class: 'inline'}, kind('calendar', 'Calendar'),
      h('span', {}, 'Days of the week: ', WEEKDAYS.map((d, i) => h('label', {class: 'weekday'},
        h('input', {type: 'checkbox', name: 'weekday', value: i, id: `sf-weekday-${i}`}), d))),
      text('days_of_month', 'Days of the month', {placeholder: '1,15 or 1-7'}),
      text('at', 'At (HH:MM)', {value: '09:00', size: 5})),
    h('div', {class: 'inline'}, text('time_zone', 'Time zone (IANA; empty = UTC)', {placeholder: 'Europe/Madrid'}))),
  h('button', {type: 'submit', id: 'sf-create'}, 'Create schedule'));
  main.replaceChildren(h('h1', {}, 'Create a schedule'), h('a', {href: '#/schedules'}, '← all schedules'),
                       form, message);
}
