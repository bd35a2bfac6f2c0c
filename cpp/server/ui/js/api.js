// The JSON gateway: POST /api/v1/{Method} with the request as protobuf JSON (docs/ui.md).
// The namespace and API key chosen in the header go with every call.
'use strict';

const Api = {
  namespace() { return localStorage.getItem('durable.namespace') || 'default'; },
  setNamespace(ns) { localStorage.setItem('durable.namespace', ns); },
  apiKey() { return localStorage.getItem('durable.apiKey') || ''; },
  setApiKey(key) { localStorage.setItem('durable.apiKey', key); },

  // Resolves to the response message; rejects with Error("Code: message").
  async call(method, request) {
    const headers = {'Content-Type': 'application/json', 'Durable-Namespace': Api.namespace()};
    if (Api.apiKey()) headers.Authorization = `Bearer ${Api.apiKey()}`;
    const resp = await fetch(`/api/v1/${method}`,
                             {method: 'POST', headers, body: JSON.stringify(request || {})});
    const text = await resp.text();
    let body;
    try { body = JSON.parse(text); } catch (e) { body = {code: resp.status, message: text}; }
    if (!resp.ok) throw new Error(`${body.code}: ${body.message}`);
    return body;
  },
};
