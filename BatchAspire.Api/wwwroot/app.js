// BatchAspire dashboard: plain JavaScript, no build step. Routes live in the URL hash:
//   #/                          jobs
//   #/jobs/{id}                 one job, live over Server-Sent Events
//   #/jobs/{id}/items/{custom}  one item's attempt timeline
'use strict';

const KEY_STORAGE = 'batchaspire.apiKey';
const LIST_REFRESH_MS = 5000;   // the jobs list is re-read at this pace while the tab is visible
const STATS_MIN_GAP_MS = 2000;  // stats + recent items are re-read at most this often, and only on a progress event
const SAMPLE_ITEMS = 200;

const main = document.getElementById('main');
const live = document.getElementById('live');
let cleanup = [];              // what the current view must stop when the route changes

// ---------- helpers ----------
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
const enc = encodeURIComponent;
const terminal = (s) => ['completed', 'failed', 'cancelled', 'expired'].includes(s);
const money = (v) => (v == null ? '—' : '$' + Number(v).toFixed(Number(v) !== 0 && Math.abs(v) < 0.01 ? 6 : 4));
const num = (v) => (v == null ? '—' : Number(v).toLocaleString('en-US'));
const ms = (v) => (v == null ? '—' : v >= 10000 ? (v / 1000).toFixed(1) + ' s' : Math.round(v) + ' ms');
const badge = (s) => `<span class="badge s-${esc(s)}">${esc(String(s).replace('_', ' '))}</span>`;

function age(unixSeconds) {
  const s = Math.max(0, Math.round(Date.now() / 1000 - unixSeconds));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

function duration(seconds) {
  if (seconds == null) return '—';
  if (seconds < 1) return 'under 1 s';
  if (seconds < 90) return `${Math.round(seconds)} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

function progressOf(job) {
  const c = job.counts;
  const done = c.completed + c.failed;
  return { done, pct: c.total ? Math.floor((done / c.total) * 100) : 0, failPct: c.total ? (c.failed / c.total) * 100 : 0 };
}

function announce(text) { live.textContent = text; }

// ---------- API access (same auth as the API: a bearer key when tenants are configured) ----------
const apiKey = () => sessionStorage.getItem(KEY_STORAGE);

async function api(path, options = {}) {
  const headers = new Headers(options.headers || {});
  if (apiKey()) headers.set('Authorization', 'Bearer ' + apiKey());
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401) {
    askForKey(apiKey() ? 'That key was not accepted.' : null);
    throw new Error('unauthorized');
  }
  return response;
}

async function apiJson(path, options) {
  const response = await api(path, options);
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new Error(body?.error?.message || `HTTP ${response.status}`);
  return body;
}

function askForKey(error) {
  const dialog = document.getElementById('key-dialog');
  const err = document.getElementById('key-error');
  err.hidden = !error;
  err.textContent = error || '';
  if (!dialog.open) dialog.showModal();
}

document.getElementById('key-form').addEventListener('submit', () => {
  sessionStorage.setItem(KEY_STORAGE, document.getElementById('key-input').value.trim());
  document.getElementById('key-input').value = '';
  showAuthState();
  route();
});

function showAuthState() {
  const el = document.getElementById('auth-state');
  if (!apiKey()) { el.textContent = ''; return; }
  el.innerHTML = 'Using an API key · <button type="button" id="forget-key">Forget key</button>';
  document.getElementById('forget-key').onclick = () => { sessionStorage.removeItem(KEY_STORAGE); showAuthState(); route(); };
}

/** EventSource cannot send headers: the events endpoint alone accepts the key as ?access_token=. */
function eventsUrl(id) {
  return `/api/jobs/${enc(id)}/events` + (apiKey() ? `?access_token=${enc(apiKey())}` : '');
}

/** Downloads through fetch, so the bearer key goes in a header, never in a URL. */
async function download(path, filename, filter) {
  const response = await api(path);
  let text = await response.text();
  if (filter) text = text.split('\n').filter((l) => l && filter(JSON.parse(l))).join('\n') + '\n';
  const url = URL.createObjectURL(new Blob([text], { type: 'application/x-ndjson' }));
  const a = Object.assign(document.createElement('a'), { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

async function submitSample() {
  const items = Array.from({ length: SAMPLE_ITEMS }, (_, i) => ({
    custom_id: `sample-${String(i + 1).padStart(4, '0')}`,
    body: { messages: [{ role: 'user', content: `Write a one-line summary of sample article ${i + 1}.` }], max_tokens: 32 },
  }));
  const job = await apiJson('/api/jobs', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'sim-1', items, metadata: { source: 'dashboard-sample' } }),
  });
  location.hash = `#/jobs/${job.id}`;
}

// ---------- router ----------
function route() {
  cleanup.forEach((stop) => stop());
  cleanup = [];
  const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  if (parts[0] === 'jobs' && parts[1] && parts[2] === 'items' && parts[3]) return showItem(parts[1], parts.slice(3).join('/'));
  if (parts[0] === 'jobs' && parts[1]) return showJob(parts[1]);
  return showJobs();
}

function fail(error) {
  if (error.message === 'unauthorized') {
    main.innerHTML = '<h1>API key needed</h1><p>Enter an API key to see this tenant\'s jobs.</p><button type="button" class="primary" id="enter-key">Enter API key</button>';
    document.getElementById('enter-key').onclick = () => askForKey(null);
    return;
  }
  main.innerHTML = `<h1>Something went wrong</h1><p class="error" role="alert">${esc(error.message)}</p><p><a href="#/">Back to jobs</a></p>`;
}

// ---------- jobs list ----------
let statusFilter = '';

async function showJobs() {
  document.title = 'Jobs · BatchAspire';
  main.innerHTML = `
    <div class="toolbar">
      <h1 class="grow">Jobs</h1>
      <label for="status-filter">Status</label>
      <select id="status-filter">
        ${['', 'in_progress', 'cancelling', 'completed', 'failed', 'cancelled', 'expired']
          .map((s) => `<option value="${s}" ${s === statusFilter ? 'selected' : ''}>${s ? s.replace('_', ' ') : 'All'}</option>`).join('')}
      </select>
      <button type="button" class="primary" id="sample">Run a sample batch on the simulator</button>
    </div>
    <div id="jobs" aria-live="off"><p class="muted">Loading jobs…</p></div>`;
  document.getElementById('status-filter').onchange = (e) => { statusFilter = e.target.value; loadJobs(); };
  const sample = document.getElementById('sample');
  sample.onclick = async () => {
    sample.disabled = true;
    try { await submitSample(); } catch (e) { sample.disabled = false; if (e.message !== 'unauthorized') announce('Submitting failed: ' + e.message); }
  };
  await loadJobs();
  const timer = setInterval(() => { if (document.visibilityState === 'visible') loadJobs(); }, LIST_REFRESH_MS);
  cleanup.push(() => clearInterval(timer));
}

async function loadJobs() {
  const target = document.getElementById('jobs');
  if (!target) return;
  let list;
  try {
    list = await apiJson('/api/jobs?limit=50' + (statusFilter ? `&status=${enc(statusFilter)}` : ''));
  } catch (e) { return fail(e); }
  if (list.data.length === 0 && !statusFilter) {
    target.innerHTML = `
      <section class="empty" aria-labelledby="empty-title">
        <h2 id="empty-title">No jobs yet</h2>
        <p>Submit a job of inline items to <code>POST /api/jobs</code>. Models <code>sim-*</code> run on the built-in simulator, so this works with no provider key:</p>
        <pre><code>curl -s ${esc(location.origin)}/api/jobs \\
  -H 'Content-Type: application/json' ${apiKey() ? "\\\n  -H 'Authorization: Bearer $BATCHASPIRE_API_KEY' " : ''}\\
  -d '{"model": "sim-1", "items": [
        {"custom_id": "a1", "body": {"messages": [{"role": "user", "content": "Hello"}]}},
        {"custom_id": "a2", "body": {"messages": [{"role": "user", "content": "Bonjour"}]}}
      ]}'</code></pre>
        <p>Or press <strong>Run a sample batch on the simulator</strong> above to submit ${SAMPLE_ITEMS} items and watch them run.</p>
      </section>`;
    return;
  }
  if (list.data.length === 0) { target.innerHTML = `<p>No ${esc(statusFilter.replace('_', ' '))} jobs.</p>`; return; }
  target.innerHTML = `
    <table>
      <caption class="visually-hidden">Jobs, newest first</caption>
      <thead><tr><th scope="col">Job</th><th scope="col">Model</th><th scope="col">Status</th><th scope="col">Progress</th>
        <th scope="col" class="num">Items</th><th scope="col" class="num">Cost</th><th scope="col">Submitted</th></tr></thead>
      <tbody>${list.data.map(jobRow).join('')}</tbody>
    </table>${list.has_more ? '<p class="muted">Showing the 50 newest.</p>' : ''}`;
}

function jobRow(job) {
  const p = progressOf(job);
  return `<tr>
    <td><a href="#/jobs/${enc(job.id)}">${esc(job.id)}</a></td>
    <td>${esc(job.model || '—')}</td>
    <td>${badge(job.status)}</td>
    <td><div class="bar" role="progressbar" aria-label="Progress of ${esc(job.id)}" aria-valuemin="0" aria-valuemax="100" aria-valuenow="${p.pct}">
      <span style="width:${p.pct}%"></span></div> <span class="muted">${p.pct}%</span></td>
    <td class="num">${num(p.done)} / ${num(job.counts.total)}</td>
    <td class="num">${money(job.cost_usd)}</td>
    <td>${age(job.created_at)}</td></tr>`;
}

// ---------- one job ----------
async function showJob(id) {
  let job;
  try { job = await apiJson(`/api/jobs/${enc(id)}`); } catch (e) { return fail(e); }
  document.title = `${id} · BatchAspire`;
  main.innerHTML = `
    <p><a href="#/">← Jobs</a></p>
    <div class="toolbar">
      <h1 class="grow">Job <code>${esc(id)}</code></h1>
      <span id="job-status"></span>
      <button type="button" class="danger" id="cancel">Cancel job</button>
    </div>
    <div class="bar big" id="job-progress" role="progressbar" aria-label="Job progress" aria-valuemin="0" aria-valuemax="100" aria-valuenow="0">
      <span id="bar-ok"></span></div>
    <p id="progress-text" aria-live="polite"></p>
    <dl class="grid" id="figures"></dl>
    <div class="columns">
      <section aria-labelledby="tp-title"><h2 id="tp-title">Throughput</h2><div id="chart"></div></section>
      <section aria-labelledby="rl-title"><h2 id="rl-title">Rate-limit headroom</h2><div id="headroom"></div></section>
    </div>
    <section aria-labelledby="dl-title"><h2 id="dl-title">Results</h2>
      <p><a href="/api/jobs/${enc(id)}/results" id="dl-results">Download results (NDJSON)</a> ·
         <a href="/api/jobs/${enc(id)}/results" id="dl-errors">Download errors (failed items, NDJSON)</a></p></section>
    <section aria-labelledby="recent-title"><h2 id="recent-title">Recent items</h2><div id="recent"><p class="muted">No finished items yet.</p></div></section>`;

  document.getElementById('dl-results').onclick = (e) => { e.preventDefault(); download(`/api/jobs/${enc(id)}/results`, `${id}-results.jsonl`); };
  document.getElementById('dl-errors').onclick = (e) => { e.preventDefault(); download(`/api/jobs/${enc(id)}/results`, `${id}-errors.jsonl`, (r) => r.status === 'failed'); };
  const cancel = document.getElementById('cancel');
  cancel.onclick = async () => {
    cancel.disabled = true;
    try { renderJob(await apiJson(`/api/jobs/${enc(id)}/cancel`, { method: 'POST' })); announce('Cancel requested.'); }
    catch (e) { cancel.disabled = false; if (e.message !== 'unauthorized') announce('Cancel failed: ' + e.message); }
  };

  let stats = null;
  let lastStatsAt = 0;
  let statsTimer = null;
  const refreshStats = async () => {
    statsTimer = null;
    lastStatsAt = Date.now();
    try {
      const [s, recent] = await Promise.all([
        apiJson(`/api/jobs/${enc(id)}/stats`),
        api(`/api/jobs/${enc(id)}/results?recent=true&limit=25`).then((r) => r.text()),
      ]);
      stats = s;
      renderStats(job, stats);
      renderRecent(id, recent);
    } catch (e) { if (e.message === 'unauthorized') return; }
  };
  // Progress events arrive at most twice a second; stats follow them, at most once per STATS_MIN_GAP_MS.
  const scheduleStats = () => {
    if (statsTimer) return;
    statsTimer = setTimeout(refreshStats, Math.max(0, STATS_MIN_GAP_MS - (Date.now() - lastStatsAt)));
  };
  cleanup.push(() => clearTimeout(statsTimer));

  const renderJob = (j) => {
    job = j;
    const p = progressOf(j);
    document.getElementById('job-status').innerHTML = badge(j.status);
    const bar = document.getElementById('job-progress');
    bar.setAttribute('aria-valuenow', p.pct);
    bar.setAttribute('aria-valuetext', `${p.pct}% (${p.done} of ${j.counts.total} items)`);
    document.getElementById('bar-ok').style.width = p.pct + '%';
    document.getElementById('progress-text').textContent =
      `${p.pct}% · ${num(p.done)} of ${num(j.counts.total)} items finished (${num(j.counts.completed)} succeeded, ${num(j.counts.failed)} failed)`
      + (terminal(j.status) ? '' : ` · ${num(j.counts.in_flight)} in flight, ${num(j.counts.retrying)} retrying, ${num(j.counts.pending)} pending`);
    cancel.disabled = terminal(j.status) || j.status === 'cancelling';
    renderStats(j, stats);
  };
  renderJob(job);
  await refreshStats();

  if (!terminal(job.status)) {
    const source = new EventSource(eventsUrl(id));
    const onEvent = (e) => { renderJob(JSON.parse(e.data)); scheduleStats(); };
    source.addEventListener('progress', onEvent);
    source.addEventListener('done', (e) => {
      onEvent(e);
      source.close();
      announce(`Job ${job.status.replace('_', ' ')}.`);
      setTimeout(refreshStats, 300); // the final figures
    });
    cleanup.push(() => source.close());
  }
}

function renderStats(job, stats) {
  const figures = document.getElementById('figures');
  if (!figures) return;
  const card = (label, value, id) => `<div class="card"><dt>${label}</dt><dd${id ? ` id="${id}"` : ''}>${value}</dd></div>`;
  const lat = stats?.latency_ms;
  const codes = stats?.attempts?.by_status_code || {};
  figures.innerHTML = [
    card('ETA', terminal(job.status) ? 'done' : duration(stats?.eta_seconds), 'fig-eta'),
    card('Throughput', stats ? `${stats.throughput.items_per_second} items/s` : '—'),
    card('Latency p50 / p95 / p99', lat ? `${ms(lat.p50)} / ${ms(lat.p95)} / ${ms(lat.p99)}` : '—', 'fig-latency'),
    card('Retries', num(job.retries)),
    card('Provider 429s', num(job.rate_limited)),
    card('Tokens in / out', `${num(job.usage.input_tokens)} / ${num(job.usage.output_tokens)}`, 'fig-tokens'),
    card('Cost so far', money(job.cost_usd), 'fig-cost'),
    card('Projected cost', money(stats?.projected_cost_usd ?? (terminal(job.status) ? job.cost_usd : null))),
    card('Attempts by status', Object.keys(codes).length ? Object.entries(codes).map(([k, v]) => `${esc(k)}: ${num(v)}`).join(' · ') : '—'),
    card('Submitted', age(job.created_at)),
  ].join('');
  if (!stats) return;
  document.getElementById('chart').innerHTML = chart(stats.throughput);
  const headroom = stats.rate_limit_headroom;
  document.getElementById('headroom').innerHTML = !headroom
    ? '<p class="muted">Not reported: no rate limiter publishes headroom in this deployment.</p>'
    : headroom.length === 0 ? '<p class="muted">No limited scope for this job.</p>'
    : `<table><thead><tr><th scope="col">Scope</th><th scope="col" class="num">Requests left / RPM</th><th scope="col" class="num">Tokens left / TPM</th>
        <th scope="col" class="num">In flight / max</th><th scope="col" class="num">Cooldown</th></tr></thead><tbody>${headroom.map((h) => `<tr>
        <td>${esc(h.scope)}</td><td class="num">${num(h.requests_available)} / ${num(h.requests_per_minute_limit)}</td>
        <td class="num">${num(h.tokens_available)} / ${num(h.tokens_per_minute_limit)}</td>
        <td class="num">${num(h.in_flight)} / ${num(h.max_concurrency)}</td><td class="num">${h.cooldown_ms ? ms(h.cooldown_ms) : '—'}</td></tr>`).join('')}</tbody></table>`;
}

/** A small SVG line chart of items finished per second over the sampled span. */
function chart(tp) {
  const pts = tp.series || [];
  if (pts.length === 0) return '<p class="muted">No finished items yet.</p>';
  const W = 600, H = 180, L = 44, B = 24, T = 10, R = 10;
  const max = Math.max(...pts.map((p) => p.items_per_second), 1);
  const t0 = pts[0].t, span = Math.max(1, pts[pts.length - 1].t - t0);
  const x = (t) => L + ((t - t0) / span) * (W - L - R);
  const y = (v) => H - B - (v / max) * (H - B - T);
  const line = pts.length === 1
    ? `${L},${y(pts[0].items_per_second)} ${W - R},${y(pts[0].items_per_second)}`
    : pts.map((p) => `${x(p.t).toFixed(1)},${y(p.items_per_second).toFixed(1)}`).join(' ');
  const label = `Throughput over the last ${tp.window_seconds} s: ${tp.items_per_second} items per second on average, peak ${max.toFixed(1)}.`;
  return `<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(label)}">
    <line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#8c959f"/>
    <line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}" stroke="#8c959f"/>
    <text x="${L - 6}" y="${T + 8}" text-anchor="end">${max.toFixed(1)}</text>
    <text x="${L - 6}" y="${H - B}" text-anchor="end">0</text>
    <text x="${L}" y="${H - 6}">−${Math.round(span / 1000)} s</text>
    <text x="${W - R}" y="${H - 6}" text-anchor="end">items/s, buckets of ${tp.bucket_seconds} s</text>
    <polyline fill="none" stroke="#0b5cad" stroke-width="2.5" points="${line}"/>
  </svg>`;
}

function renderRecent(id, ndjson) {
  const target = document.getElementById('recent');
  if (!target) return;
  const rows = ndjson.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  if (rows.length === 0) return;
  target.innerHTML = `<table>
    <caption class="visually-hidden">The most recently finished items, newest first</caption>
    <thead><tr><th scope="col">custom_id</th><th scope="col">Status</th><th scope="col" class="num">Attempts</th>
      <th scope="col" class="num">Latency (last)</th><th scope="col" class="num">Tokens</th><th scope="col" class="num">Cost</th><th scope="col">Error</th></tr></thead>
    <tbody>${rows.map((r) => {
      const last = r.attempts[r.attempts.length - 1];
      return `<tr><td><a href="#/jobs/${enc(id)}/items/${enc(r.custom_id)}">${esc(r.custom_id)}</a></td>
        <td>${badge(r.status)}</td><td class="num">${r.attempts.length}</td><td class="num">${ms(last?.latency_ms)}</td>
        <td class="num">${num(r.usage.input_tokens + r.usage.output_tokens)}</td><td class="num">${money(r.cost_usd)}</td>
        <td>${esc(r.error?.code || '')}</td></tr>`;
    }).join('')}</tbody></table>`;
}

// ---------- one item ----------
async function showItem(id, customId) {
  let item;
  try { item = await apiJson(`/api/jobs/${enc(id)}/items/${enc(customId)}`); } catch (e) { return fail(e); }
  document.title = `${customId} · ${id} · BatchAspire`;
  const attempts = item.attempts || item.result?.attempts || [];
  const r = item.result;
  main.innerHTML = `
    <p><a href="#/jobs/${enc(id)}">← Job ${esc(id)}</a></p>
    <div class="toolbar"><h1 class="grow">Item <code>${esc(customId)}</code></h1>${badge(r ? r.status : item.state)}</div>
    <dl class="grid">
      <div class="card"><dt>State</dt><dd>${esc(item.state.replace('_', ' '))}</dd></div>
      <div class="card"><dt>Attempts</dt><dd>${attempts.length}</dd></div>
      <div class="card"><dt>Provider / model</dt><dd>${esc(r ? `${r.provider} / ${r.model}` : '—')}</dd></div>
      <div class="card"><dt>Tokens in / out</dt><dd>${r ? `${num(r.usage.input_tokens)} / ${num(r.usage.output_tokens)}` : '—'}</dd></div>
      <div class="card"><dt>Cost</dt><dd>${money(r?.cost_usd)}</dd></div>
      ${item.retry_due_at_ms ? `<div class="card"><dt>Next retry</dt><dd>${new Date(item.retry_due_at_ms).toLocaleTimeString()}</dd></div>` : ''}
    </dl>
    <section aria-labelledby="tl-title">
      <h2 id="tl-title">Attempt timeline</h2>
      <p class="legend muted">Each row: <span class="wait" style="background:#c8cfd6"></span>waiting for a rate-limit permit, then
        <span style="background:var(--accent)"></span>the provider call (<span style="background:var(--bad)"></span>failed).</p>
      ${timeline(attempts)}
    </section>
    ${r?.error ? `<h2>Error</h2><p class="error"><code>${esc(r.error.code)}</code>: ${esc(r.error.message)}</p>` : ''}
    ${r?.response ? `<details><summary>Provider response</summary><pre><code>${esc(JSON.stringify(r.response, null, 2))}</code></pre></details>` : ''}`;
}

function timeline(attempts) {
  if (attempts.length === 0) return '<p class="muted">No attempt yet.</p>';
  const start = Math.min(...attempts.map((a) => a.started_at - a.wait_ms));
  const end = Math.max(...attempts.map((a) => a.started_at + a.latency_ms));
  const span = Math.max(1, end - start);
  const pct = (v) => ((v / span) * 100).toFixed(2) + '%';
  return `<ol class="timeline" aria-label="Attempts, in order">${attempts.map((a) => {
    const waitFrom = a.started_at - a.wait_ms - start;
    const ok = a.outcome === 'success';
    const text = `Attempt ${a.attempt}: waited ${ms(a.wait_ms)}, call took ${ms(a.latency_ms)}, ` +
      `${a.status_code ? 'HTTP ' + a.status_code : 'no answer'}, ${a.outcome.replace('_', ' ')}${a.error_code ? ' (' + a.error_code + ')' : ''}`;
    return `<li>
      <strong>#${a.attempt}</strong>
      <div class="lanes" role="img" aria-label="${esc(text)}">
        <span class="wait" style="left:${pct(waitFrom)};width:${pct(a.wait_ms)}"></span>
        <span class="call ${ok ? '' : 'bad'}" style="left:${pct(a.started_at - start)};width:max(3px, ${pct(a.latency_ms)})"></span>
      </div>
      <span>${badge(a.outcome)} ${a.status_code ? 'HTTP ' + a.status_code : 'no answer'} · wait ${ms(a.wait_ms)} · ${ms(a.latency_ms)}
        ${a.error_code ? `· <code>${esc(a.error_code)}</code>` : ''}<br><span class="muted">${new Date(a.started_at).toLocaleTimeString()}</span></span>
    </li>`;
  }).join('')}</ol>`;
}

window.addEventListener('hashchange', () => { route(); main.focus(); });
showAuthState();
route();
