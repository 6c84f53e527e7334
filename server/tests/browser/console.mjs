// The web console in a real browser: headless Chromium (Debian's package) driven over the
// DevTools protocol with Node's own WebSocket (node --experimental-websocket; no npm
// package, no browser download) against a running `necid serve` with the real engine.
//
// Subjects are registered through the SDK (the `necid` CLI, built on the Rust core);
// then the console must list them (paged), show a face crop with its box drawn, count the
// tags, follow a bulk job live, find the right subject for a dropped photo of the same
// person (a different photo: obama2.jpg against obama.jpg), and list the recorded
// requests. A screenshot of each page goes to OUT_DIR.
//
//   node --experimental-websocket console.mjs NECID_BIN CHROMIUM FACES_DIR OUT_DIR
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, copyFileSync, writeFileSync, readFileSync, existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const [NECID, CHROMIUM, FACES, OUT] = process.argv.slice(2);
if (!OUT) throw new Error('usage: console.mjs NECID_BIN CHROMIUM FACES_DIR OUT_DIR');
const WORK = mkdtempSync(join(tmpdir(), 'necid-console-'));
mkdirSync(OUT, { recursive: true });
const children = [];
const t0 = Date.now();
const log = (m) => console.log(`-- console: ${m} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function stopAll() {
  for (const c of children) { try { c.kill('SIGKILL'); } catch (_) { /* gone */ } }
}
// Whatever happens (assertion, exception, signal), nothing we started outlives us.
process.on('exit', stopAll);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopAll(); process.exit(1); });

async function until(what, fn, ms = 60000) {
  const end = Date.now() + ms;
  let last;
  while (Date.now() < end) {
    try { last = await fn(); if (last) return last; } catch (e) { last = e; }
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what} (last: ${last && last.message ? last.message : JSON.stringify(last)})`);
}

// ----- the emulator ----------------------------------------------------------------------
const bucket = join(WORK, 'bucket');
mkdirSync(join(bucket, 'default'), { recursive: true });
copyFileSync(join(FACES, 'obama3.jpg'), join(bucket, 'default', 'obama3.jpg'));
const ready = join(WORK, 'ready.json');
const emu = spawn(NECID, ['serve', '--engine', 'real', '--memory', '--port', '0', '--ready-file', ready,
  '--record', join(WORK, 'rec'), '--bucket-dir', bucket, '--stop-on-stdin-eof'],
{ stdio: ['pipe', 'ignore', 'pipe'] });
children.push(emu);
let emuLog = '';
emu.stderr.on('data', (d) => { emuLog += d; });
emu.on('exit', (code) => { if (code) console.error(`emulator exited with ${code}:\n${emuLog}`); });
const info = await until('the emulator', () => existsSync(ready) && JSON.parse(readFileSync(ready, 'utf8')), 60000);
const base = info.endpoint;
log(`emulator at ${base}`);

const env = { ...process.env, NECID_ENDPOINT: info.endpoint, NECID_ACCESS_KEY_ID: info.accessKeyId,
  NECID_SECRET_ACCESS_KEY: info.secretAccessKey, NECID_API_KEY: info.apiKey, NECID_REGION: info.region };
const cli = (...args) => JSON.parse(execFileSync(NECID, [...args, '-o', 'json'], { env, encoding: 'utf8' }) || 'null');

// ----- register through the SDK ------------------------------------------------------------
cli('tags', 'create', 'staff');
cli('tags', 'create', 'visitor');
const idOf = (out) => {
  const rec = Array.isArray(out) ? out[0] : (out.results ? out.results[0] : out);
  return rec.id || rec.subjectId;
};
const obama = idOf(cli('subjects', 'register', join(FACES, 'obama.jpg'), '--tags', 'staff'));
const biden = idOf(cli('subjects', 'register', join(FACES, 'biden.jpg'), '--tags', 'staff,visitor'));
const astronaut = idOf(cli('subjects', 'register', join(FACES, 'astronaut.png')));
assert.ok(obama && biden && astronaut, 'three subject ids');
log(`registered obama ${obama}, biden ${biden}, astronaut ${astronaut}`);

// ----- the browser -------------------------------------------------------------------------
const chrome = spawn(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--no-first-run', '--remote-debugging-port=0', `--user-data-dir=${join(WORK, 'profile')}`,
  '--window-size=1280,900', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
children.push(chrome);
let chromeLog = '';
chrome.stderr.on('data', (d) => { chromeLog += d; });
const browserWs = await until('Chromium\'s DevTools endpoint', () => (chromeLog.match(/DevTools listening on (ws:\/\/\S+)/) || [])[1], 60000);
const devtools = new URL(browserWs);
const targets = await (await fetch(`http://${devtools.host}/json/list`)).json();
const pageTarget = targets.find((t) => t.type === 'page');
const ws = new WebSocket(pageTarget.webSocketDebuggerUrl);
await new Promise((resolve, reject) => { ws.onopen = resolve; ws.onerror = () => reject(new Error('DevTools socket failed')); });
let nextId = 1;
const pending = new Map();
const consoleErrors = [];
ws.onmessage = (ev) => {
  const msg = JSON.parse(ev.data);
  if (msg.id && pending.has(msg.id)) {
    const { resolve, reject } = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.error) reject(new Error(`${msg.error.message} ${msg.error.data || ''}`)); else resolve(msg.result);
  } else if (msg.method === 'Runtime.exceptionThrown') {
    consoleErrors.push(msg.params.exceptionDetails.exception?.description || msg.params.exceptionDetails.text);
  } else if (msg.method === 'Log.entryAdded' && msg.params.entry.level === 'error') {
    consoleErrors.push(`${msg.params.entry.text} ${msg.params.entry.url || ''}`);
  }
};
const cdp = (method, params = {}) => new Promise((resolve, reject) => {
  const id = nextId++;
  pending.set(id, { resolve, reject });
  ws.send(JSON.stringify({ id, method, params }));
});
const evaluate = async (expression) => {
  const r = await cdp('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
  if (r.exceptionDetails) throw new Error(`page: ${r.exceptionDetails.exception?.description || r.exceptionDetails.text}`);
  return r.result.value;
};
await cdp('Page.enable');
await cdp('Runtime.enable');
await cdp('Log.enable');
await cdp('Emulation.setDeviceMetricsOverride', { width: 1280, height: 900, deviceScaleFactor: 1, mobile: false });

let shot = 0;
async function screenshot(name, clip) {
  const { data } = await cdp('Page.captureScreenshot', { format: 'png', captureBeyondViewport: !clip, clip });
  const file = join(OUT, `${String(++shot).padStart(2, '0')}-${name}.png`);
  writeFileSync(file, Buffer.from(data, 'base64'));
  log(`screenshot ${file}`);
}
async function open(hash, page) {
  await evaluate(`document.body && (document.body.dataset.ready = '0'); true`).catch(() => {});
  await cdp('Page.navigate', { url: `${base}/_console/${hash}` });
  await until(`the ${page} page`, () => evaluate(`document.body.dataset.page === ${JSON.stringify(page)} && document.body.dataset.ready === '1'`), 60000);
  const error = await evaluate(`(document.getElementById('error') || {}).textContent || ''`);
  assert.equal(error, '', `the ${page} page shows an error`);
}
const text = (sel) => evaluate(`[...document.querySelectorAll(${JSON.stringify(sel)})].map((e) => e.textContent.trim())`);

// A canvas's pixels: how many are the face box's green, and whether it shows a picture.
const canvasStats = (sel) => evaluate(`(() => {
  const c = document.querySelector(${JSON.stringify(sel)});
  if (!c) return null;
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  let green = 0, distinct = new Set();
  for (let i = 0; i < d.length; i += 4) {
    if (d[i] === 0x35 && d[i + 1] === 0xe0 && d[i + 2] === 0x7a) green++;
    if (i % 64 === 0) distinct.add(d[i] >> 4 | (d[i + 1] >> 4) << 4 | (d[i + 2] >> 4) << 8);
  }
  return { width: c.width, height: c.height, green, colours: distinct.size };
})()`);

try {
  // Galleries.
  await open('#/', 'galleries');
  const row = await evaluate(`[...document.querySelector('tr[data-gallery="default"]').cells].map((c) => c.textContent.trim())`);
  assert.equal(row[2], '3', `three subjects in the default gallery: ${row}`);
  assert.match(row[6], /sha256:[0-9a-f]{8}/, 'the API key as a fingerprint');
  const html = await evaluate('document.body.innerText');
  assert.ok(!html.includes(info.apiKey) && !html.includes(info.secretAccessKey), 'no secret on the page');
  await screenshot('galleries');

  // Subjects, two per page: 3 subjects over 2 pages.
  await open('#/g/default?length=2&dir=asc', 'subjects');
  assert.equal((await text('#range'))[0], '1–2 of 3 subjects');
  const page1 = await evaluate(`[...document.querySelectorAll('tr[data-subject]')].map((r) => r.dataset.subject)`);
  assert.deepEqual(page1, [obama, biden]);
  const tagsOfBiden = await text(`tr[data-subject="${biden}"] td:nth-child(4) .tag`);
  assert.deepEqual(tagsOfBiden, ['staff', 'visitor']);
  await screenshot('subjects');
  await evaluate(`document.getElementById('next').click()`);
  await until('page 2', async () => (await text('#range'))[0] === '3–3 of 3 subjects');
  await until('page 2 rows', async () => JSON.stringify(await evaluate(`[...document.querySelectorAll('tr[data-subject]')].map((r) => r.dataset.subject)`)) === JSON.stringify([astronaut]));

  // A subject's face crop with the face box drawn over it.
  await open(`#/g/default/s/${obama}`, 'subject');
  const crop = await canvasStats('canvas.crop');
  assert.ok(crop, 'a face crop is shown');
  assert.ok(crop.green > 100, `the face box is drawn (${crop.green} green pixels)`);
  assert.ok(crop.colours > 30, `the crop is a photo, not a blank (${crop.colours} colours)`);
  await screenshot('subject');

  // Tags with counts.
  await open('#/g/default/tags', 'tags');
  const tagRows = await evaluate(`[...document.querySelectorAll('tr[data-tag]')].map((r) => [r.dataset.tag, r.cells[1].textContent, r.cells[2].textContent])`);
  assert.deepEqual(tagRows, [['staff', '2', '2'], ['visitor', '1', '1']]);
  await screenshot('tags');

  // Bulk job, followed live: the page is open before the batch starts and is never reloaded.
  await open('#/g/default/jobs', 'jobs');
  const batch = cli('jobs', 'bulk-register', 'obama3.jpg', 'missing.jpg', '--tags', 'visitor');
  const batchId = batch.batchId || batch.id;
  assert.ok(batchId, `a batch id: ${JSON.stringify(batch)}`);
  await until('the batch to appear', () => evaluate(`!!document.querySelector('tr[data-batch="${batchId}"]')`), 30000);
  await until('the batch to finish on the page', () => evaluate(`(document.querySelector('tr[data-batch="${batchId}"]') || {dataset: {}}).dataset.done === '1'`), 120000);
  const jobRow = await evaluate(`[...document.querySelector('tr[data-batch="${batchId}"]').cells].map((c) => c.textContent.trim())`);
  assert.deepEqual(jobRow.slice(3, 6), ['2/2', '1', '1'], `processed, registered, failed: ${jobRow}`);
  await until('the failure reason', async () => (await evaluate('document.body.innerText')).includes('File missing.jpg not found.'));
  await screenshot('jobs');

  // Search: drop another photo of the same person on the page (a real drag and drop of a file).
  await open('#/g/default/search', 'search');
  const box = await evaluate(`(() => { const r = document.getElementById('drop').getBoundingClientRect(); return { x: r.x + r.width / 2, y: r.y + r.height / 2 }; })()`);
  const data = { items: [], files: [join(FACES, 'obama2.jpg')], dragOperationsMask: 1 };
  for (const type of ['dragEnter', 'dragOver', 'drop']) {
    await cdp('Input.dispatchDragEvent', { type, x: box.x, y: box.y, data });
  }
  await until('the search result', () => evaluate(`document.body.dataset.searched === '1'`), 120000);
  const errorText = await evaluate(`(document.getElementById('error') || {}).textContent || ''`);
  assert.equal(errorText, '', 'the search shows no error');
  const cands = await evaluate(`[...document.querySelectorAll('#candidates tr[data-subject]')].map((r) => [r.dataset.subject, Number(r.dataset.score)])`);
  assert.ok(cands.length >= 1, 'candidates listed');
  assert.equal(cands[0][0], obama, `the top candidate is obama's subject: ${JSON.stringify(cands)}`);
  assert.ok(cands[0][1] >= 7000, `a match score: ${cands[0][1]}`);
  assert.ok(cands.filter(([id]) => id === biden).every(([, s]) => s < 7000), 'biden does not match');
  const probe = await canvasStats('#probe-canvas');
  assert.ok(probe && probe.green > 100, `the detected face is drawn over the probe (${probe && probe.green})`);
  // Verify against one subject from the same page.
  await evaluate(`document.getElementById('verify-id').value = ${JSON.stringify(obama)}; document.getElementById('verify').click(); true`);
  await until('the verify result', async () => /verified, score \d+/.test((await text('#verify-result'))[0] || ''), 120000);
  await until('the candidates\' crops', () => evaluate(`document.querySelectorAll('#results canvas').length >= 1`), 30000);
  await screenshot('search');
  // A smaller copy for the README (server/console-search.png).
  await screenshot('search-small', { x: 0, y: 0, width: 920, height: 660, scale: 0.6 });

  // Recent requests (recording is on): the registrations with status and latency.
  await open('#/requests', 'requests');
  const reqs = await evaluate(`[...document.querySelectorAll('#requests tr[data-seq]')].map((r) => [...r.cells].map((c) => c.textContent))`);
  const posts = reqs.filter((r) => r[2] === 'POST' && r[3] === '/v1.1/subjects');
  assert.equal(posts.length, 3, `three registrations recorded: ${JSON.stringify(reqs)}`);
  assert.ok(posts.every((r) => r[4] === '201' && Number(r[5]) >= 0), 'status 201 and a latency');
  await screenshot('requests');

  assert.deepEqual(consoleErrors, [], 'no script errors in the page');
  log('console in a real browser: 7 pages checked, OK');
} finally {
  try { ws.close(); } catch (_) { /* closed */ }
  emu.stdin.end(); // --stop-on-stdin-eof: the emulator stops
  // Chromium writes its profile until it has exited: stop it, wait, then remove the work
  // folder (a cleanup problem is reported, never turned into a test failure).
  const exited = (c) => (c.exitCode !== null || c.signalCode !== null ? Promise.resolve()
    : new Promise((resolve) => { c.once('exit', resolve); setTimeout(resolve, 5000); }));
  chrome.kill('SIGTERM');
  await exited(chrome);
  stopAll();
  await Promise.all(children.map(exited));
  try {
    rmSync(WORK, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  } catch (e) {
    console.warn(`-- console: could not remove ${WORK}: ${e.message}`);
  }
}
