// Signal / cancel / terminate forms of one workflow. Each posts its RPC and says how it went;
// `done` re-renders the page after a success.
'use strict';

function actionForm(id, title, fields, submit, done) {
  const message = h('div', {class: 'message'});
  const form = h('form', {class: 'box', id, onsubmit: async e => {
    e.preventDefault();
    const values = Object.fromEntries(new FormData(e.target));
    try {
      await submit(values);
      done(`${title}: done.`);
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
  return h('div', {id: 'actions'},
    actionForm('signal-form', 'Signal', [input('signal_name', 'name'),
                                         input('signal_input', 'JSON, e.g. "hello"', 30)],
      v => Api.call('SignalWorkflowExecution', {
        workflowExecution: {workflowId: execution.workflowId}, signalName: v.signal_name,
        identity: 'durable-web-ui',
        input: v.signal_input.trim() ? {payloads: [Payloads.encode(v.signal_input, 'the signal input')]} : undefined,
      }), done),
    actionForm('cancel-form', 'Request cancellation', [input('reason', 'reason')],
      v => Api.call('RequestCancelWorkflowExecution', {
        workflowExecution: target, reason: v.reason, identity: 'durable-web-ui'}), done),
    actionForm('terminate-form', 'Terminate', [input('reason', 'reason')],
      v => Api.call('TerminateWorkflowExecution', {
        workflowExecution: target, reason: v.reason, identity: 'durable-web-ui'}), done));
}
