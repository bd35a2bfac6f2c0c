// One schedule: its spec and action, recent runs (links to the workflows), upcoming times,
// and pause / unpause / trigger / delete.
'use strict';

async function renderSchedule(main, scheduleId, flash) {
  const title = h('h1', {}, `Schedule ${scheduleId}`);
  let d;
  try {
    d = await Api.call('DescribeSchedule', {scheduleId});
  } catch (e) {
    main.replaceChildren(title, h('p', {class: 'error'}, e.message));
    return;
  }
  const sched = d.schedule || {};
  const info = d.info || {};
  const start = (sched.action && sched.action.startWorkflow) || {};
  const paused = !!(sched.state && sched.state.paused);
  const message = h('div', {});
  const patch = (what, req) => async () => {
    try {
      await Api.call('PatchSchedule', Object.assign({scheduleId}, req));
      renderSchedule(main, scheduleId, `${what}: done.`);
    } catch (e) { notice(message, e.message, true); }
  };
  const remove = async () => {
    try { await Api.call('DeleteSchedule', {scheduleId}); location.hash = '#/schedules'; }
    catch (e) { notice(message, e.message, true); }
  };
  const row = (k, v) => [h('dt', {}, k), h('dd', {}, v)];
  main.replaceChildren(title, h('a', {href: '#/schedules'}, '← all schedules'),
    ...(flash ? [h('p', {class: 'notice', id: 'flash'}, flash)] : []),
    h('h2', {}, 'Summary'),
    h('dl', {class: 'summary', id: 'schedule-summary'},
      row('Spec', specText(sched.spec)), row('Time zone', (sched.spec && sched.spec.timeZoneName) || 'UTC'),
      row('Workflow', `${start.workflowType} on ${start.taskQueue} (id ${start.workflowId}-…)`),
      row('Input', Payloads.pre(start.input || null)),
      row('Paused', paused ? `yes${sched.state.note ? ` (${sched.state.note})` : ''}` : 'no'),
      row('Actions taken', info.numActions || 0), row('Created', fmtTime(info.createTimeUs))),
    h('div', {class: 'pager'},
      h('button', {id: 'schedule-trigger', onclick: patch('Trigger', {triggerImmediately: true})}, 'Trigger now'),
      paused ? h('button', {id: 'schedule-unpause', onclick: patch('Unpause', {unpause: true, note: 'unpaused from the web UI'})}, 'Unpause')
             : h('button', {id: 'schedule-pause', onclick: patch('Pause', {pause: true, note: 'paused from the web UI'})}, 'Pause'),
      h('button', {id: 'schedule-delete', onclick: remove}, 'Delete'),
      h('a', {href: `#/schedules/${encodeURIComponent(scheduleId)}/edit`, id: 'schedule-edit'}, 'Edit')),
    message,
    h('h2', {}, 'Recent runs'),
    h('table', {id: 'recent-runs'},
      h('tr', {}, ['Scheduled', 'Started', 'Workflow', 'Status'].map(t => h('th', {}, t))),
      (info.recentActions || []).slice().reverse().map(a => h('tr', {class: 'recent-run'},
        h('td', {}, fmtTime(a.scheduleTimeUs)), h('td', {}, fmtTime(a.actualTimeUs)),
        h('td', {}, a.startWorkflowResult ? h('a', {href: workflowHref(a.startWorkflowResult)}, a.startWorkflowResult.workflowId) : ''),
        h('td', {}, statusCell(a.status))))),
    h('h2', {}, 'Upcoming runs'),
    h('ul', {id: 'upcoming-runs'}, (info.futureActionTimesUs || []).map(t => h('li', {}, fmtTime(t)))));
}
