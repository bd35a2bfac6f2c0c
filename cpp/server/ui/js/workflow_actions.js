// Query / signal / cancel / terminate forms of one workflow. Each posts its RPC and says how it
// went: a query shows its answer under the form; the others re-render the page (`done`).
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
        workflowExecution: target, reason: v.reason, identity: 'durable-web-ui'}).then(() => undefined), done));
}
