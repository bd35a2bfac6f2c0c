// Payloads as the default converter makes them: metadata "encoding" json/plain means the data
// is UTF-8 JSON (shown decoded); anything else is shown as its base64 bytes.
'use strict';

const Payloads = {
  b64ToText(b64) { return new TextDecoder().decode(Uint8Array.from(atob(b64 || ''), c => c.charCodeAt(0))); },
  textToB64(text) {
    let bin = '';
    for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
    return btoa(bin);
  },

  isPayload(v) {
    return v && typeof v === 'object' && !Array.isArray(v) && 'metadata' in v &&
           Object.keys(v).every(k => k === 'metadata' || k === 'data');
  },

  // A payload -> a JS value (json/plain) or {encoding, base64} for other encodings.
  decode(p) {
    const encoding = Payloads.b64ToText((p.metadata || {}).encoding);
    if (encoding === 'json/plain') {
      try { return JSON.parse(Payloads.b64ToText(p.data)); } catch (e) { /* shown raw below */ }
    }
    return {encoding, base64: p.data || ''};
  },

  // A JSON text typed in a form -> a json/plain payload (throws on bad JSON, naming it).
  encode(jsonText, what) {
    const text = jsonText.trim() === '' ? 'null' : jsonText;
    try { JSON.parse(text); } catch (e) { throw new Error(`${what} is not JSON: ${e.message}`); }
    return {metadata: {encoding: Payloads.textToB64('json/plain')},
            data: Payloads.textToB64(JSON.stringify(JSON.parse(text)))};
  },

  // Any message with payloads inside -> the same tree with each payload decoded.
  decodeTree(v) {
    if (Array.isArray(v)) return v.map(Payloads.decodeTree);
    if (Payloads.isPayload(v)) return Payloads.decode(v);
    if (v && typeof v === 'object') {
      if (Array.isArray(v.payloads) && Object.keys(v).length === 1) {
        return v.payloads.map(Payloads.decode);
      }
      const out = {};
      for (const [k, x] of Object.entries(v)) out[k] = Payloads.decodeTree(x);
      return out;
    }
    return v;
  },

  pre(v) { return h('pre', {}, JSON.stringify(Payloads.decodeTree(v), null, 2)); },
};
