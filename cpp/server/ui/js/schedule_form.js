// The create / edit schedule form: the workflow to start and one of three frequency kinds —
// an interval (+ offset), a cron string, or calendar days of the week / of the month at a time.
// Editing fills it from DescribeSchedule and saves with UpdateSchedule (policy and state kept).
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

// Fills the form from a schedule (its first interval, cron string or calendar).
function fillScheduleForm(form, scheduleId, sched) {
  const set = (name, value) => { form.querySelector(`[name=${name}]`).value = value === undefined ? '' : value; };
  const start = (sched.action && sched.action.startWorkflow) || {};
  set('schedule_id', scheduleId);
  form.querySelector('[name=schedule_id]').readOnly = true;
  set('workflow_type', start.workflowType); set('task_queue', start.taskQueue);
  set('workflow_id', start.workflowId);
  if (start.input && start.input.payloads && start.input.payloads.length) {
    set('input', JSON.stringify(Payloads.decode(start.input.payloads[0])));
  }
  const spec = sched.spec || {};
  set('time_zone', spec.timeZoneName);
  let kind = 'interval';
  if ((spec.intervals || []).length) {
    set('every', Number(spec.intervals[0].everyUs || 0) / 1e6);
    set('offset', Number(spec.intervals[0].offsetUs || 0) / 1e6);
  } else if ((spec.cronExpressions || []).length) {
    kind = 'cron';
    set('cron', spec.cronExpressions[0]);
  } else if ((spec.calendars || []).length) {
    kind = 'calendar';
    const c = spec.calendars[0];
    for (const r of c.dayOfWeek || []) {
      const first = r.start || 0;
      for (let d = first; d <= Math.max(r.end || 0, first); d += r.step || 1) {
        form.querySelector(`#sf-weekday-${d}`).checked = true;
      }
    }
    set('days_of_month', (c.dayOfMonth || []).map(r => r.end && r.end !== r.start ? `${r.start}-${r.end}` : `${r.start}`).join(','));
    const two = n => String(n || 0).padStart(2, '0');
    set('at', `${two(((c.hour || [])[0] || {}).start)}:${two(((c.minute || [])[0] || {}).start)}`);
  }
  form.querySelector(`#sf-kind-${kind}`).checked = true;
}

// `scheduleId` given: edit that schedule; else create one.
async function renderScheduleForm(main, scheduleId) {
  let existing = null;
  if (scheduleId) {
    try {
      existing = (await Api.call('DescribeSchedule', {scheduleId})).schedule || {};
    } catch (e) {
      main.replaceChildren(h('h1', {}, `Edit schedule ${scheduleId}`), h('p', {class: 'error'}, e.message));
      return;
    }
  }
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
      const schedule = {spec: scheduleSpec(v, weekdays), action: {startWorkflow}};
      if (existing) {
        Object.assign(schedule, {policy: existing.policy, state: existing.state});
        await Api.call('UpdateSchedule', {scheduleId: v.schedule_id, schedule});
      } else {
        await Api.call('CreateSchedule', {scheduleId: v.schedule_id, identity: 'durable-web-ui', schedule});
      }
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
  h('button', {type: 'submit', id: 'sf-create'}, existing ? 'Save schedule' : 'Create schedule'));
  if (existing) fillScheduleForm(form, scheduleId, existing);
  main.replaceChildren(h('h1', {}, existing ? `Edit schedule ${scheduleId}` : 'Create a schedule'),
                       h('a', {href: '#/schedules'}, '← all schedules'), form, message);
}
