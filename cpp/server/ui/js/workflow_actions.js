// Query / update / signal / cancel / terminate / reset forms of one workflow. Each posts its RPC
// and says how it went: a query's or update's answer is shown under its form; a reset opens
// the new run; the others re-render the page (`done`).
'use strict';

function actionForm(id, title, fields, submit, done) {
  const message = h('div', {class: 'message'});
  const form = h('form', {class: 'box', id, onsubmit: async e => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(e.target));
    try {
      const answer = await submit(values);
      if (answer !== undefined) notice(message, answer, false);
      else done(`${title}: done.`);
    } catch (err) {
      notice(message, `${title}: ${err.message}`, true);
    }
  }}, h('strong', {}, title), fields, h('button', {type: 'submit'}, title));
  return h('div', {}, form, message);
}

function workflowActions(execution, done) {
  const input = (name, placeholder, size) => h('label', {}, name.replace(/_/g, ' '),
                                               h('input', {name, placeholder, size: size || 24}));
  const target = {workflowId: execution.workflowId, runId: execution.runId};
  const args = (text, what) => text.trim() ? {payloads: [Payloads.encode(text, what)]} : undefined;
  return h('div', {id: 'actions'},
    actionForm('query-form', 'Query', [input('query_type', 'name'),
                                       input('query_args', 'JSON, e.g. "x"', 30)],
      async v => {
        const r = await Api.call('QueryWorkflow', {
          execution: target, queryType: v.query_type, timeoutUs: 30e6,
          queryArgs: args(v.query_args, 'the query argument')});
        return JSON.stringify(Payloads.decodeTree(r.queryResult || null));
      }, done),
    actionForm('update-form', 'Update', [input('update_name', 'name'),
                                         input('update_args', 'JSON, e.g. "x"', 30)],
      async v => {
        const updateId = `web-ui-${Date.now()}-${Math.random().toString(16).slice(2)}`;
        const r = await Api.call('UpdateWorkflowExecution', {
          workflowExecution: target, waitStage: 'UPDATE_WAIT_STAGE_COMPLETED', timeoutUs: 30e6,
          request: {updateId, name: v.update_name, identity: 'durable-web-ui',
                    input: args(v.update_args, 'the update argument')}});
        const outcome = r.outcome || {};
        if (outcome.failure) throw new Error(`the update failed: ${outcome.failure.message}`);
        return JSON.stringify(Payloads.decodeTree(outcome.success || null));
      }, done),
    actionForm('signal-form', 'Signal', [input('signal_name', 'name'),
                                         input('signal_input', 'JSON, e.g. "hello"', 30)],
      v => Api.call('SignalWorkflowExecution', {
        workflowExecution: {workflowId: execution.workflowId}, signalName: v.signal_name,
        identity: 'durable-web-ui',
        input: args(v.signal_input, 'the signal input'),
      }).then(() => undefined), done),
    actionForm('cancel-form', 'Request cancellation', [input('reason', 'reason')],
      v => Api.call('RequestCancelWorkflowExecution', {
        workflowExecution: target, reason: v.reason, identity: 'durable-web-ui'}).then(() => undefined), done),
    actionForm('terminate-form', 'Terminate', [input('reason', 'reason')],
      v => Api.call('TerminateWorkflowExecution', {
        workflowExecution: target, reason: v.reason, identity: 'durable-web-ui'}).then(() => undefined), done),
    actionForm('reset-form', 'Reset', [input('event_id', 'a WorkflowTaskCompleted event id', 8),
                                       input('reason', 'reason')],
      async v => {
        const r = await Api.call('ResetWorkflowExecution', {
          workflowExecution: target, reason: v.reason, identity: 'durable-web-ui',
          workflowTaskFinishEventId: v.event_id});
        location.hash = workflowHref({workflowId: execution.workflowId, runId: r.runId});
        return `reset: new run ${r.runId}`;
      }, done));
}
