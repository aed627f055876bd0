//! `GET /docs`: a self-contained page (no external scripts, so it works offline) that reads
//! `/openapi.json` and lists every operation by group, with its parameters.

use axum::response::Html;

/// Serves the documentation page.
pub async fn serve() -> Html<&'static str> {
    Html(PAGE)
}

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>boltworks API</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.3rem; margin-top: 2rem; text-transform: capitalize; }
details { border: 1px solid #e3e3e3; border-radius: 6px; margin: 0.4rem 0; padding: 0.4rem 0.7rem; }
summary { cursor: pointer; font-family: ui-monospace, monospace; }
.method { display: inline-block; width: 4.5rem; font-weight: bold; text-transform: uppercase; }
.get { color: #1f6feb; } .post { color: #1a7f37; } .put { color: #9a6700; } .delete { color: #cf222e; }
.summary { font-family: system-ui, sans-serif; color: #555; margin-left: 0.6rem; }
pre { background: #f6f8fa; padding: 0.6rem; overflow-x: auto; }
</style>
</head>
<body>
<h1>boltworks API</h1>
<p id="intro">Loading <a href="/openapi.json">/openapi.json</a>…</p>
<div id="groups"></div>
<script>
fetch('/openapi.json').then(r => r.json()).then(spec => {
  document.getElementById('intro').textContent = spec.info.description + ' Version ' + spec.info.version + '.';
  const groups = {};
  for (const [path, ops] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const tag = (op.tags && op.tags[0]) || 'other';
      (groups[tag] = groups[tag] || []).push({path, method, op});
    }
  }
  const root = document.getElementById('groups');
  for (const tag of Object.keys(groups).sort()) {
    const h = document.createElement('h2'); h.textContent = tag; root.appendChild(h);
    for (const {path, method, op} of groups[tag].sort((a, b) => a.path.localeCompare(b.path))) {
      const d = document.createElement('details');
      const s = document.createElement('summary');
      const m = document.createElement('span'); m.className = 'method ' + method; m.textContent = method;
      const p = document.createElement('span'); p.textContent = path;
      const t = document.createElement('span'); t.className = 'summary'; t.textContent = op.summary || '';
      s.append(m, p, t); d.appendChild(s);
      const pre = document.createElement('pre'); pre.textContent = JSON.stringify(op, null, 2); d.appendChild(pre);
      root.appendChild(d);
    }
  }
}).catch(e => { document.getElementById('intro').textContent = 'Could not load /openapi.json: ' + e; });
</script>
</body>
</html>
"#;
