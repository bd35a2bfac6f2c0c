// The schedules of the namespace: id, what it starts, how often, its next run.
'use strict';

// A spec -> short text: "every 30s", "cron 0 * * * *", "calendar".
function specText(spec) {
  const parts = [];
  for (const i of (spec && spec.intervals) || []) {
    parts.push(`every ${fmtDuration(i.everyUs)}${Number(i.offsetUs || 0) ? ` offset ${fmtDuration(i.offsetUs)}` : ''}`);
  }
  for (const c of (spec && spec.cronExpressions) || []) parts.push(`cron ${c}`);
  for (const c of (spec && spec.calendars) || []) parts.push(`calendar ${c.comment || JSON.stringify(c)}`);
  return parts.join('; ');
}

async function renderScheduleList(main) {
  const message = h('div', {});
  const table = h('table', {id: 'schedule-table'},
                  h('tr', {}, ['Schedule id', 'Workflow type', 'Spec', 'Paused', 'Actions taken', 'Next run']
                    .map(t => h('th', {}, t))));
  main.replaceChildren(h('h1', {}, 'Schedules'),
                       h('a', {href: '#/schedules/new', id: 'new-schedule'}, 'Create a schedule'),
                       message, table);
  let resp;
  try {
    resp = await Api.call('ListSchedules', {});
  } catch (e) {
    notice(message, e.message, true);
    return;
  }
  const entries = resp.schedules || [];
  if (!entries.length) notice(message, 'No schedules.', false);
  for (const s of entries) {
    const sched = s.schedule || {};
    const start = (sched.action && sched.action.startWorkflow) || {};
    const info = s.info || {};
    table.append(h('tr', {class: 'schedule-row'},
      h('td', {}, h('a', {href: `#/schedules/${encodeURIComponent(s.scheduleId)}`}, s.scheduleId)),
      h('td', {}, start.workflowType), h('td', {}, specText(sched.spec)),
      h('td', {}, sched.state && sched.state.paused ? 'yes' : 'no'),
      h('td', {}, info.numActions || 0),
      h('td', {}, fmtTime((info.futureActionTimesUs || [])[0]))));
  }
}
