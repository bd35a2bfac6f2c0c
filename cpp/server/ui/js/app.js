// The router (#/workflows, #/workflows/ID[/RUN], #/schedules, #/schedules/new,
// #/schedules/ID, #/schedules/ID/edit) and the header's namespace switcher and API key.
'use strict';

function route() {
  const main = document.getElementById('main');
  const [path, query] = (location.hash.slice(1) || '/workflows').split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  const params = new URLSearchParams(query || '');
  for (const id of ['nav-workflows', 'nav-schedules']) {
    document.getElementById(id).classList.toggle('active', id === `nav-${parts[0]}`);
  }
  if (parts[0] === 'schedules' && parts[1] === 'new') return renderScheduleForm(main);
  if (parts[0] === 'schedules' && parts[2] === 'edit') return renderScheduleForm(main, parts[1]);
  if (parts[0] === 'schedules' && parts[1]) return renderSchedule(main, parts[1]);
  if (parts[0] === 'schedules') return renderScheduleList(main);
  if (parts[0] === 'workflows' && parts[1]) return renderWorkflow(main, parts[1], parts[2]);
  return renderWorkflowList(main, params);
}

async function setUpHeader() {
  const select = document.getElementById('namespace');
  const key = document.getElementById('api-key');
  key.value = Api.apiKey();
  key.addEventListener('change', () => { Api.setApiKey(key.value); setUpHeader(); route(); });
  let names = [Api.namespace()];
  try {
    const resp = await Api.call('ListNamespaces', {});
    names = (resp.namespaces || []).map(n => n.name);
    if (!names.includes(Api.namespace())) names.unshift(Api.namespace());
  } catch (e) { /* e.g. no API key yet: the current namespace only */ }
  select.replaceChildren(...names.map(n => h('option', {value: n, selected: n === Api.namespace()}, n)));
  select.onchange = () => { Api.setNamespace(select.value); location.hash = '#/workflows'; route(); };
}

window.addEventListener('hashchange', route);
setUpHeader();
route();
