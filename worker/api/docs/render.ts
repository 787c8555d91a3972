/**
 * A self-contained HTML page rendered from the OpenAPI document: no CDN script
 * (the site works offline and keeps a strict CSP), every operation with its access
 * rule, parameters, body fields and responses.
 */
type Json = Record<string, unknown>;

const esc = (s: unknown) =>
  String(s ?? '').replace(/[&<>"']/g, (ch) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[ch]!);

function resolve(doc: Json, schema: Json | undefined): Json | undefined {
  const ref = schema?.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.split('/').pop()!;
  return ((doc.components as Json)?.schemas as Json)?.[name] as Json | undefined;
}

function typeOf(doc: Json, schema: Json | undefined): string {
  const s = resolve(doc, schema);
  if (!s) return '';
  if (Array.isArray(s.enum)) return s.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (Array.isArray(s.anyOf)) return (s.anyOf as Json[]).map((x) => typeOf(doc, x)).join(' | ');
  if (s.type === 'array') return `${typeOf(doc, s.items as Json)}[]`;
  if (Array.isArray(s.type)) return (s.type as string[]).join(' | ');
  return String(s.type ?? 'object');
}

function fields(doc: Json, schema: Json | undefined): string {
  const s = resolve(doc, schema);
  const props = s?.properties as Record<string, Json> | undefined;
  if (!props) return '';
  const required = new Set((s?.required as string[]) ?? []);
  const rows = Object.entries(props)
    .map(([name, p]) => `<tr><td><code>${esc(name)}</code>${required.has(name) ? ' *' : ''}</td><td>${esc(typeOf(doc, p))}</td><td>${esc(resolve(doc, p)?.description ?? '')}</td></tr>`)
    .join('');
  return `<table><tr><th>field</th><th>type</th><th>notes</th></tr>${rows}</table>`;
}

export function renderApiDocs(doc: Json): string {
  const paths = (doc.paths ?? {}) as Record<string, Record<string, Json>>;
  const byTag = new Map<string, string[]>();
  for (const [path, ops] of Object.entries(paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = ((op.tags as string[]) ?? ['other'])[0]!;
      const params = ((op.parameters as Json[]) ?? []).map((p) => `<li><code>${esc(p.name)}</code> (${esc(p.in)}) ${esc(typeOf(doc, p.schema as Json))} ${esc((p.schema as Json)?.description ?? p.description ?? '')}</li>`).join('');
      const body = ((op.requestBody as Json)?.content as Json)?.['application/json'] as Json | undefined;
      const responses = Object.entries((op.responses ?? {}) as Record<string, Json>).map(([code, r]) => `<li><b>${esc(code)}</b> ${esc(r.description)}</li>`).join('');
      const html = `<section class="op" id="${esc(method + path)}">
        <h3><span class="m ${esc(method)}">${esc(method.toUpperCase())}</span> <code>/api/v1${esc(path.replace(/^\/api\/v1/, ''))}</code> <span class="access">${esc(op['x-access'] ?? '')}</span></h3>
        <p>${esc(op.summary)}</p>
        ${params ? `<h4>Parameters</h4><ul>${params}</ul>` : ''}
        ${body ? `<h4>Body</h4>${fields(doc, body.schema as Json)}` : ''}
        <h4>Responses</h4><ul>${responses}</ul></section>`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), html]);
    }
  }
  const info = doc.info as Json;
  const toc = [...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join(' · ');
  const sections = [...byTag.entries()].map(([t, ops]) => `<h2 id="tag-${esc(t)}">${esc(t)}</h2>${ops.join('')}`).join('');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(info?.title)} ${esc(info?.version)}</title>
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:0 auto;padding:1rem;color:#1b1f24;background:#fff}
@media (prefers-color-scheme:dark){body{color:#e6e6e6;background:#15181c}table td,table th{border-color:#333}}
code{font-family:ui-monospace,monospace}.op{border-top:1px solid #8884;padding:.5rem 0}
.m{display:inline-block;min-width:4.5em;font-size:.8em;padding:.1em .4em;border-radius:4px;color:#fff;text-align:center}
.get{background:#1f6feb}.post{background:#2da44e}.patch{background:#bf8700}.delete{background:#cf222e}
.access{font-size:.8em;border:1px solid #8888;border-radius:4px;padding:0 .4em}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left;vertical-align:top}
</style></head><body>
<h1>${esc(info?.title)} <small>${esc(info?.version)}</small></h1>
<p>Machine-readable: <a href="/api/v1/openapi.json">/api/v1/openapi.json</a> (OpenAPI 3.1). Authenticate with the session cookie or <code>Authorization: Bearer &lt;token&gt;</code>.
The tag after each path says who may call it: <code>public</code>, <code>self</code> (any signed-in user), <code>viewer</code>, <code>operator</code>, <code>admin</code>.
Errors always look like <code>{"error": {"code", "message", "fields": {"field": ["reason"]}}}</code>.</p>
<nav>${toc}</nav>${sections}</body></html>`;
}
