// necid emulator console: plain JavaScript, no build step, no framework.
// Every datum comes from the emulator's admin API (/_admin/v1, Bearer token from the
// page's <meta>); text is always inserted as text (never as HTML).
'use strict';

const TOKEN = document.querySelector('meta[name="necid-admin-token"]').content;
const ADMIN = '/_admin/v1';
const THRESHOLD = 7000; // the service's default search/verify threshold
let timers = [];
let blobUrls = [];

// ----- helpers ------------------------------------------------------------------------

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, opts = {}) {
  const headers = { authorization: 'Bearer ' + TOKEN };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const r = await fetch(ADMIN + path, {
    method: opts.method || 'GET', headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  if (opts.blob && r.ok) return r.blob();
  const text = await r.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (_) { data = { message: text }; }
  if (!r.ok) throw new ApiError(r.status, (data && data.message) || ('HTTP ' + r.status));
  return data;
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k === 'style') e.style.cssText = v; // CSSOM: allowed by the page's CSP
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

const enc = encodeURIComponent;
const short = (id) => (id && id.length > 13 ? id.slice(0, 8) + '…' : id);
const fixed = (v) => (Number.isNaN(num(v)) ? '–' : num(v).toFixed(2));
const num = (v) => (v === undefined || v === null || v === '' ? NaN : parseFloat(v));
const tagChips = (tags, undefinedSet) =>
  (tags || []).map((t) => el('span', { class: 'tag' + (undefinedSet && undefinedSet.has(t) ? ' undefined' : '') }, t));
const statusCell = (s) => el('span', { class: 'status-' + s, title: s === 'A' ? 'active' : 'deleted' }, s === 'A' ? 'active' : 'deleted');

function every(ms, fn) {
  const t = setInterval(fn, ms);
  timers.push(t);
}

function render(page, ...nodes) {
  const main = document.getElementById('main');
  main.replaceChildren(...nodes.flat().filter((n) => n !== null && n !== undefined && n !== false));
  document.body.dataset.page = page;
  document.body.dataset.ready = '1';
}

function showError(page, err) {
  render(page, el('h1', {}, 'Error'), el('p', { class: 'error', id: 'error' }, err.message));
}

function setNav(galleryId, current) {
  const links = [['#/', 'Galleries', 'galleries'], ['#/requests', 'Requests', 'requests']];
  if (galleryId) {
    const g = '#/g/' + enc(galleryId);
    links.splice(1, 0, [g, 'Subjects', 'subjects'], [g + '/tags', 'Tags', 'tags'],
      [g + '/jobs', 'Bulk jobs', 'jobs'], [g + '/search', 'Search / verify', 'search']);
  }
  document.getElementById('nav').replaceChildren(...links.map(([href, text, key]) =>
    el('a', { href, class: key === current ? 'active' : undefined }, text)));
}

// Draws a crop (or a probe) on a canvas with the face box, the head box and the eyes.
// `map` turns picture coordinates into canvas coordinates.
function drawFace(ctx, attributes, map) {
  if (!attributes || !attributes.faceArea) return;
  const box = (a, color, width) => {
    const [x0, y0] = map(num(a.left), num(a.top));
    const [x1, y1] = map(num(a.right), num(a.bottom));
    if ([x0, y0, x1, y1].some(Number.isNaN)) return;
    ctx.strokeStyle = color; ctx.lineWidth = width;
    ctx.strokeRect(x0, y0, x1 - x0, y1 - y0);
  };
  if (attributes.headArea) box(attributes.headArea, 'rgba(255,255,255,.55)', 1);
  box(attributes.faceArea, '#35e07a', 2);
  for (const [eye, color] of [[attributes.rightEyeCenter, '#ff4d6d'], [attributes.leftEyeCenter, '#4dc3ff']]) {
    if (!eye) continue;
    const [x, y] = map(num(eye.x), num(eye.y));
    if (Number.isNaN(x) || Number.isNaN(y)) continue;
    ctx.fillStyle = color;
    ctx.beginPath(); ctx.arc(x, y, 3, 0, 2 * Math.PI); ctx.fill();
  }
}

function loadImage(url) {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('the picture could not be shown'));
    img.src = url;
  });
}

// A canvas showing an event's stored crop with its box and landmarks.
async function cropCanvas(crop, attributes, side) {
  const blob = await api(crop.url.slice(ADMIN.length), { blob: true });
  const url = URL.createObjectURL(blob);
  blobUrls.push(url);
  const img = await loadImage(url);
  const scale = side / Math.max(img.naturalWidth, img.naturalHeight);
  const canvas = el('canvas', { width: Math.round(img.naturalWidth * scale), height: Math.round(img.naturalHeight * scale), class: 'crop' });
  const ctx = canvas.getContext('2d');
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  const r = crop.region;
  const kx = canvas.width / (r.right - r.left);
  const ky = canvas.height / (r.bottom - r.top);
  drawFace(ctx, attributes, (x, y) => [(x - r.left) * kx, (y - r.top) * ky]);
  return canvas;
}

// ----- pages ----------------------------------------------------------------------------

async function galleriesPage() {
  setNav(null, 'galleries');
  const { galleries } = await api('/galleries');
  const rows = galleries.map((g) => el('tr', { dataset: { gallery: g.id } },
    el('td', {}, el('a', { href: '#/g/' + enc(g.id) }, g.name), el('div', { class: 'id muted' }, g.id)),
    el('td', {}, g.description || ''),
    el('td', { class: 'num' }, g.activeSubjects),
    el('td', { class: 'num' }, g.activeEvents),
    el('td', { class: 'num' }, g.size),
    el('td', { class: 'num' }, el('a', { href: '#/g/' + enc(g.id) + '/tags' }, g.tags)),
    el('td', {}, g.applications.map((a) => el('div', {}, a.name + ' ', el('code', { title: 'API key fingerprint (the key itself is never shown)' }, a.apiKeyFingerprint)))),
    el('td', {}, el('a', { href: '#/g/' + enc(g.id) + '/jobs' }, 'jobs'), ' · ', el('a', { href: '#/g/' + enc(g.id) + '/search' }, 'search'))));
  render('galleries', el('h1', {}, 'Galleries (tenants)'),
    el('table', { id: 'galleries' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Gallery'), el('th', {}, 'Description'), el('th', { class: 'num' }, 'Subjects'),
        el('th', { class: 'num' }, 'Active events'), el('th', { class: 'num' }, 'Size'), el('th', { class: 'num' }, 'Tags'),
        el('th', {}, 'Applications (API key)'), el('th', {}, ''))),
      el('tbody', {}, rows)));
}

async function subjectsPage(gid, params) {
  setNav(gid, 'subjects');
  const start = Math.max(0, parseInt(params.get('start') || '0', 10) || 0);
  const length = Math.min(1000, Math.max(1, parseInt(params.get('length') || '25', 10) || 25));
  const dir = params.get('dir') === 'asc' ? 'asc' : 'desc';
  const page = await api(`/galleries/${enc(gid)}/subjects?start=${start}&length=${length}&dir=${dir}`);
  const link = (s, d) => `#/g/${enc(gid)}?start=${s}&length=${length}&dir=${d}`;
  const rows = page.subjects.map((s) => el('tr', { dataset: { subject: s.id } },
    el('td', {}, el('a', { href: `#/g/${enc(gid)}/s/${enc(s.id)}`, class: 'id' }, s.id)),
    el('td', {}, statusCell(s.status)),
    el('td', {}, s.events.map((e) => el('div', { class: 'id' }, short(e.id), ' ', statusCell(e.status), ' ', tagChips(e.tags)))),
    el('td', {}, tagChips(s.tags)),
    el('td', {}, s.lastUpdated)));
  const last = Math.min(start + page.subjects.length, page.total);
  render('subjects',
    el('h1', {}, 'Subjects of ', el('code', {}, gid)),
    el('div', { class: 'pager' },
      start > 0 ? el('a', { href: link(Math.max(0, start - length), dir), id: 'prev' }, '← previous') : el('span', { class: 'muted' }, '← previous'),
      el('span', { id: 'range' }, page.total ? `${start + 1}–${last} of ${page.total} subjects` : 'no subjects'),
      last < page.total ? el('a', { href: link(start + length, dir), id: 'next' }, 'next →') : el('span', { class: 'muted' }, 'next →'),
      el('a', { href: link(0, dir === 'desc' ? 'asc' : 'desc') }, dir === 'desc' ? 'newest first (switch)' : 'oldest first (switch)')),
    el('table', { id: 'subjects' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Subject'), el('th', {}, 'Status'), el('th', {}, 'Events'), el('th', {}, 'Tags'), el('th', {}, 'Last update'))),
      el('tbody', {}, rows)));
}

async function subjectPage(gid, sid) {
  setNav(gid, 'subjects');
  const s = await api(`/galleries/${enc(gid)}/subjects/${enc(sid)}`);
  const cards = [];
  for (const e of s.events) {
    const a = e.attributes || {};
    let picture;
    if (e.crop) {
      try { picture = await cropCanvas(e.crop, a, 220); } catch (err) { picture = el('p', { class: 'error' }, err.message); }
    } else {
      picture = el('p', { class: 'muted' }, 'No face crop stored (registered with the console off).');
    }
    cards.push(el('div', { class: 'card', dataset: { event: e.id } }, picture,
      el('div', { class: 'id' }, e.id), el('div', {}, statusCell(e.status), ' · ', e.lastUpdated),
      el('div', {}, tagChips(e.tags)),
      el('div', { class: 'muted' }, `quality ${fixed(a.faceQualityScore)} · face ${fixed(a.faceScore)} · frontal ${fixed(a.frontalFaceScore)}`),
      e.versions > 1 ? el('div', { class: 'muted' }, `${e.versions} versions (updates and re-tags)`) : null));
  }
  render('subject', el('h1', {}, 'Subject ', el('code', {}, s.id)),
    el('p', {}, statusCell(s.status), ` · ${s.activeEvents} active event(s) · last update ${s.lastUpdated} · `, tagChips(s.tags)),
    el('p', { class: 'muted' }, 'Green: face box; white: head; red/blue: right/left eye (as the engine reported them).'),
    el('div', { class: 'cards', id: 'events' }, cards));
}

async function tagsPage(gid) {
  setNav(gid, 'tags');
  const { tags } = await api(`/galleries/${enc(gid)}/tags`);
  render('tags', el('h1', {}, 'Tags of ', el('code', {}, gid)),
    tags.length ? el('table', { id: 'tags' },
      el('thead', {}, el('tr', {}, el('th', {}, 'Tag'), el('th', { class: 'num' }, 'Subjects'), el('th', { class: 'num' }, 'Active events'), el('th', {}, ''))),
      el('tbody', {}, tags.map((t) => el('tr', { dataset: { tag: t.name } },
        el('td', {}, el('span', { class: 'tag' + (t.defined ? '' : ' undefined') }, t.name)),
        el('td', { class: 'num' }, t.subjects), el('td', { class: 'num' }, t.events),
        el('td', { class: 'muted' }, t.defined ? '' : 'deleted tag, still on events')))))
      : el('p', { class: 'muted' }, 'No tags.'));
}

async function jobsPage(gid) {
  setNav(gid, 'jobs');
  const draw = async () => {
    const { jobs } = await api(`/galleries/${enc(gid)}/jobs`);
    const rows = jobs.map((j) => {
      const pct = (n) => (j.total ? (100 * n) / j.total : 0);
      return el('tr', { dataset: { batch: j.batchId, done: j.done ? '1' : '0' } },
        el('td', { class: 'id' }, j.batchId), el('td', {}, j.created),
        el('td', {}, el('div', { class: 'bar', title: `${j.processed}/${j.total}` },
          el('div', { class: 'failed', style: `width:${pct(j.failed)}%` }),
          el('div', { style: `width:${pct(j.succeeded)}%;float:left` }))),
        el('td', { class: 'num' }, `${j.processed}/${j.total}`),
        el('td', { class: 'num s2' }, j.succeeded), el('td', { class: 'num s5' }, j.failed),
        el('td', {}, j.done ? 'done' : 'running…'));
    });
    const failures = [];
    for (const j of jobs.filter((x) => x.failed > 0).slice(0, 3)) {
      const page = await api(`/galleries/${enc(gid)}/jobs/${enc(j.batchId)}?limit=1000`);
      for (const r of page.records.filter((x) => x.registerStatus === 'Failed').slice(0, 20)) {
        failures.push(el('tr', {}, el('td', { class: 'id' }, short(j.batchId)), el('td', {}, r.filename), el('td', {}, r.reason)));
      }
    }
    render('jobs', el('h1', {}, 'Bulk jobs of ', el('code', {}, gid)),
      jobs.length ? el('table', { id: 'jobs' },
        el('thead', {}, el('tr', {}, el('th', {}, 'Batch'), el('th', {}, 'Created'), el('th', {}, 'Progress'),
          el('th', { class: 'num' }, 'Processed'), el('th', { class: 'num' }, 'Registered'), el('th', { class: 'num' }, 'Failed'), el('th', {}, ''))),
        el('tbody', {}, rows)) : el('p', { class: 'muted' }, 'No bulk jobs.'),
      failures.length ? [el('h2', {}, 'Failed records'), el('table', {}, el('tbody', {}, failures))] : null,
      el('p', { class: 'muted' }, 'Refreshed every second.'));
  };
  await draw();
  // Always polled: a batch started after the page opened shows up by itself.
  let busy = false;
  every(1000, async () => {
    if (busy) return;
    busy = true;
    try { await draw(); } catch (_) { /* the next tick retries */ }
    busy = false;
  });
}

function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).split(',')[1] || '');
    r.onerror = () => reject(new Error('the file could not be read'));
    r.readAsDataURL(file);
  });
}

async function searchPage(gid) {
  setNav(gid, 'search');
  const threshold = el('input', { type: 'number', min: 0, max: 9999, value: 0, id: 'threshold', size: 5 });
  const limit = el('input', { type: 'number', min: 1, max: 50, value: 10, id: 'limit', size: 3 });
  const verifyId = el('input', { id: 'verify-id', placeholder: 'subject id', size: 38 });
  const input = el('input', { type: 'file', accept: 'image/*', id: 'probe-file' });
  const zone = el('div', { class: 'drop', id: 'drop' }, 'Drop a photo here, or ', input);
  const probeBox = el('div', { id: 'probe' });
  const results = el('div', { id: 'results' });
  let current = null;

  const run = async (file) => {
    current = file;
    document.body.dataset.searching = '1';
    results.replaceChildren(el('p', { class: 'muted' }, 'Detecting and searching…'));
    try {
      const b64 = await fileToBase64(file);
      const url = URL.createObjectURL(file);
      blobUrls.push(url);
      const img = await loadImage(url);
      const scale = Math.min(1, 480 / Math.max(img.naturalWidth, img.naturalHeight));
      const canvas = el('canvas', { width: Math.round(img.naturalWidth * scale), height: Math.round(img.naturalHeight * scale), id: 'probe-canvas' });
      const ctx = canvas.getContext('2d');
      ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
      probeBox.replaceChildren(canvas);
      const body = { probe: b64, threshold: Number(threshold.value) || 0, limit: Number(limit.value) || 10 };
      let found = null, attributes = null, message = null;
      try {
        found = await api(`/galleries/${enc(gid)}/search`, { method: 'POST', body });
        attributes = found.attributes;
      } catch (err) {
        if (err.status !== 404) throw err;
        message = err.message; // Candidates not found.
        const ex = await api(`/galleries/${enc(gid)}/extract`, { method: 'POST', body: { faces: b64, limit: 1 } });
        attributes = ex.faces[0] && ex.faces[0].attributes;
      }
      drawFace(ctx, attributes, (x, y) => [x * scale, y * scale]);
      const out = [];
      if (found) {
        out.push(el('table', { id: 'candidates' },
          el('thead', {}, el('tr', {}, el('th', {}, '#'), el('th', {}, 'Subject'), el('th', { class: 'num' }, 'Score'), el('th', {}, ''), el('th', {}, 'Best event'))),
          el('tbody', {}, found.candidates.map((c, i) => el('tr', { dataset: { subject: c.id, score: c.score } },
            el('td', {}, i + 1), el('td', {}, el('a', { href: `#/g/${enc(gid)}/s/${enc(c.id)}`, class: 'id' }, c.id)),
            el('td', { class: 'num' }, c.score),
            el('td', { class: c.score >= THRESHOLD ? 'match' : 'nomatch' }, c.score >= THRESHOLD ? 'match (≥ 7000)' : 'below 7000'),
            el('td', { class: 'id' }, c.events && c.events[0] ? short(c.events[0].id) : ''))))));
        // Crops of the top candidates, side by side with the probe.
        // (one card per candidate, in the table's order, filled as the crops arrive)
        const crops = el('div', { class: 'cards' });
        out.push(crops);
        for (const c of found.candidates.slice(0, 4)) {
          const card = el('div', { class: 'card' }, el('div', {}, `#${found.candidates.indexOf(c) + 1} · score ${c.score}`));
          crops.append(card);
          api(`/galleries/${enc(gid)}/subjects/${enc(c.id)}`).then(async (s) => {
            const best = s.events.find((e) => c.events && c.events[0] && e.id === c.events[0].id) || s.events[0];
            if (best && best.crop) card.prepend(await cropCanvas(best.crop, best.attributes, 120));
          }).catch(() => {});
        }
      } else {
        out.push(el('p', { id: 'no-candidates' }, message, ` (threshold ${body.threshold})`));
      }
      results.replaceChildren(...out);
    } catch (err) {
      results.replaceChildren(el('p', { class: 'error', id: 'error' }, err.message));
    }
    document.body.dataset.searching = '0';
    document.body.dataset.searched = String(Number(document.body.dataset.searched || 0) + 1);
  };

  const verifyOut = el('span', { id: 'verify-result' });
  const verify = async () => {
    if (!current) { verifyOut.textContent = 'drop a photo first'; return; }
    try {
      const b64 = await fileToBase64(current);
      const r = await api(`/galleries/${enc(gid)}/verify`, { method: 'POST', body: { id: verifyId.value.trim(), probe: b64 } });
      verifyOut.replaceChildren(el('span', { class: 'match' }, `verified, score ${r.score}`));
    } catch (err) {
      verifyOut.replaceChildren(el('span', { class: err.status === 404 ? 'nomatch' : 'error' }, err.message));
    }
  };

  zone.addEventListener('dragover', (e) => { e.preventDefault(); zone.classList.add('over'); });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault(); zone.classList.remove('over');
    const f = e.dataTransfer && e.dataTransfer.files[0];
    if (f) run(f);
  });
  input.addEventListener('change', () => { if (input.files[0]) run(input.files[0]); });
  render('search', el('h1', {}, 'Search / verify in ', el('code', {}, gid)),
    el('p', {}, 'Threshold ', threshold, ' (0 lists every candidate with its score; the service\'s default is 7000) · limit ', limit),
    zone,
    el('div', { class: 'split' }, probeBox, results),
    el('h2', {}, 'Verify the photo against one subject'),
    el('p', {}, verifyId, ' ', el('button', { onclick: verify, id: 'verify' }, 'Verify'), ' ', verifyOut));
}

async function requestsPage() {
  setNav(null, 'requests');
  const draw = async () => {
    const rec = await api('/recording');
    const { requests } = await api('/requests?limit=10000');
    const recent = requests.slice(-200).reverse();
    const toggle = el('button', {
      id: 'toggle-recording',
      onclick: async () => { await api('/recording', { method: 'PUT', body: { enabled: !rec.enabled } }); await draw(); },
    }, rec.enabled ? 'Stop recording' : 'Start recording');
    render('requests', el('h1', {}, 'Recent requests'),
      el('p', {}, rec.enabled ? 'Recording is on' : 'Recording is off (necid serve --record DIR, or start it here)',
        rec.file ? ` · file ${rec.file}` : '', ' ', toggle),
      recent.length ? el('table', { id: 'requests' },
        el('thead', {}, el('tr', {}, el('th', { class: 'num' }, 'Seq'), el('th', {}, 'Time'), el('th', {}, 'Method'), el('th', {}, 'Path'),
          el('th', { class: 'num' }, 'Status'), el('th', { class: 'num' }, 'ms'), el('th', {}, 'Fault'))),
        el('tbody', {}, recent.map((r) => el('tr', { dataset: { seq: r.seq } },
          el('td', { class: 'num' }, r.seq), el('td', {}, (r.time || '').replace('T', ' ').replace(/(\.\d{3})\d*/, '$1').replace('Z', '')),
          el('td', {}, r.method), el('td', { class: 'id' }, r.path + (r.query ? '?' + r.query : '')),
          el('td', { class: 'num s' + String(r.status || 5)[0] }, r.status === null ? 'reset' : r.status),
          el('td', { class: 'num' }, r.durationMs), el('td', {}, r.fault ? `${r.fault.fault} (${r.fault.id})` : '')))))
        : el('p', { class: 'muted' }, 'No requests recorded.'));
  };
  await draw();
  every(2000, () => draw().catch(() => {}));
}

// ----- routing ----------------------------------------------------------------------------

async function route() {
  timers.forEach(clearInterval);
  timers = [];
  blobUrls.forEach((u) => URL.revokeObjectURL(u));
  blobUrls = [];
  document.body.dataset.ready = '0';
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query] = hash.split('?');
  const params = new URLSearchParams(query || '');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  let page = 'galleries';
  try {
    if (parts.length === 0) { page = 'galleries'; await galleriesPage(); }
    else if (parts[0] === 'requests') { page = 'requests'; await requestsPage(); }
    else if (parts[0] === 'g' && parts.length === 2) { page = 'subjects'; await subjectsPage(parts[1], params); }
    else if (parts[0] === 'g' && parts[2] === 's' && parts.length === 4) { page = 'subject'; await subjectPage(parts[1], parts[3]); }
    else if (parts[0] === 'g' && parts[2] === 'tags') { page = 'tags'; await tagsPage(parts[1]); }
    else if (parts[0] === 'g' && parts[2] === 'jobs') { page = 'jobs'; await jobsPage(parts[1]); }
    else if (parts[0] === 'g' && parts[2] === 'search') { page = 'search'; await searchPage(parts[1]); }
    else { page = 'notfound'; render('notfound', el('h1', {}, 'No such page'), el('a', { href: '#/' }, 'Galleries')); }
  } catch (err) {
    showError(page, err);
  }
}

async function start() {
  try {
    const st = await api('');
    document.getElementById('engine').textContent =
      `engine ${st.engine} · ${st.strict ? 'strict' : 'lenient'} · recording ${st.recording.enabled ? 'on' : 'off'}`;
  } catch (err) {
    document.getElementById('engine').textContent = 'admin API: ' + err.message;
  }
  window.addEventListener('hashchange', route);
  route();
}

start();
