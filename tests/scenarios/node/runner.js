'use strict'
// Node runner of the cross-language scenarios (see tests/README.md).
//
// usage: node runner.js READY_FILE FACES_DIR SCENARIO.json...
//
// Runs each scenario in a fresh gallery of the emulator described by READY_FILE, prints the
// normalised transcript on stdout and expectation failures on stderr (exit 1 if any). The
// format and normalisation rules mirror the Rust runner (tests/reliability/src/scenario.rs).
// NECID_NODE_PACKAGE overrides where the package is loaded from (default: node/).
const fs = require('node:fs')
const path = require('node:path')
const necid = require(process.env.NECID_NODE_PACKAGE || path.join(__dirname, '..', '..', '..', 'node'))

function fmt(v) {
  if (v === null || v === undefined) return 'null'
  if (typeof v === 'boolean') return v ? 'true' : 'false'
  if (Array.isArray(v)) return '[' + v.map(fmt).join(',') + ']'
  return String(v)
}

function normaliseStr(s, vars) {
  for (const name of Object.keys(vars).sort()) {
    const value = vars[name]
    if (s === value) return '${' + name + '}'
    if (s.startsWith(value + ':')) return '${' + name + '}' + s.slice(value.length)
  }
  return s
}

function normalise(v, vars) {
  if (typeof v === 'string') return normaliseStr(v, vars)
  if (Array.isArray(v)) return v.map((x) => normalise(x, vars))
  return v
}

// Sort by the canonical text, comparing UTF-16 code units like the other runners' ASCII ids.
const byText = (a, b) => (fmt(a) < fmt(b) ? -1 : fmt(a) > fmt(b) ? 1 : 0)

function line(i, op, outcome) {
  const n = String(i).padStart(2, '0')
  if (outcome.error !== undefined) return `${n} ${op} error ${outcome.error}`
  const keys = Object.keys(outcome.ok).sort()
  return [`${n} ${op} ok`, ...keys.map((k) => `${k}=${fmt(outcome.ok[k])}`)].join(' ')
}

function check(step, outcome) {
  if (step.error !== undefined) {
    if (outcome.error === step.error) return null
    return `expected error ${step.error}, got ${JSON.stringify(outcome)}`
  }
  if (outcome.error !== undefined) return `expected success, got error ${outcome.error}`
  for (const [k, want] of Object.entries(step.expect || {})) {
    const got = k in outcome.ok ? fmt(outcome.ok[k]) : null
    if (got !== fmt(want)) return `${k}: expected ${fmt(want)}, got ${got}`
  }
  return null
}

async function step(c, faces, op, s, vars) {
  const v = (k) => {
    const x = s[k]
    return x.startsWith('${') && x.endsWith('}') ? vars[x.slice(2, -1)] : x
  }
  const img = (k) => (s[k] === '' ? Buffer.alloc(0) : fs.readFileSync(path.join(faces, s[k])))
  const tags = s.tags || []
  const ops = {
    create_tag: async () => (await c.createTag(v('name')), {}),
    rename_tag: async () => (await c.renameTag(v('name'), v('new_name')), {}),
    delete_tag: async () => (await c.deleteTag(v('name')), {}),
    list_tags: async () => ({ tags: (await c.listTags()).map((t) => t.name) }),
    register_subject: async () => {
      const r = await c.registerSubject(img('image'), tags)
      return { subjectId: r.subjectId, eventId: r.eventId ?? null }
    },
    register_event: async () => ({
      eventId: (await c.registerEvent(v('subject'), img('image'), tags)).eventId ?? null,
    }),
    list_events: async () => ({ events: (await c.listEvents(v('subject'))).events.map((e) => e.eventId) }),
    unregister_subject: async () => (await c.unregisterSubject(v('subject')), {}),
    search: async () => {
      const opts = {}
      if (s.threshold !== undefined) opts.threshold = s.threshold
      if (s.tags !== undefined) opts.tags = s.tags
      const r = await c.search(img('image'), opts)
      return { candidates: r.candidates.map((x) => `${x.subjectId}:${x.score}`) }
    },
    verify_subject: async () => {
      const r = await c.verifySubject(v('subject'), img('image'))
      return { verified: r.verified, score: r.score ?? null }
    },
    verify_faces: async () => {
      const r = await c.verifyFaces(img('face'), img('probe'))
      return { verified: r.verified, score: r.score ?? null }
    },
    extract_faces: async () => ({ faces: (await c.extractFaces(img('image'))).length }),
  }
  if (!ops[op]) throw new Error(`unknown op ${op}`)
  try {
    return { ok: await ops[op]() }
  } catch (e) {
    if (e instanceof necid.NecIdError) return { error: e.kind }
    throw e
  }
}

async function main() {
  const [ready, faces, ...files] = process.argv.slice(2)
  if (!files.length) {
    console.error('usage: node runner.js READY_FILE FACES_DIR SCENARIO.json...')
    return 2
  }
  const info = JSON.parse(fs.readFileSync(ready, 'utf8'))
  const settings = {
    endpoint: info.endpoint,
    tenantEndpoint: info.tenantEndpoint,
    region: info.region,
    accessKeyId: info.accessKeyId,
    secretAccessKey: info.secretAccessKey,
  }
  const tenant = new necid.Client(settings)
  let failed = false
  for (const file of files) {
    const scenario = JSON.parse(fs.readFileSync(file, 'utf8'))
    const g = await tenant.createGallery({ name: `scenario-node-${process.pid}`, size: 1000 })
    if (!g.apiKey) throw new Error('createGallery returned no API key')
    const c = new necid.Client({ ...settings, apiKey: g.apiKey })
    const lines = [`# scenario ${scenario.name || ''}`]
    const vars = {}
    for (let i = 0; i < scenario.steps.length; i++) {
      const s = scenario.steps[i]
      const outcome = await step(c, faces, s.op, s, vars)
      if (outcome.ok) {
        for (const [name, key] of Object.entries(s.capture || {})) vars[name] = outcome.ok[key]
        for (const k of Object.keys(outcome.ok)) {
          outcome.ok[k] = normalise(outcome.ok[k], vars)
          if (Array.isArray(outcome.ok[k]) && k !== 'candidates') outcome.ok[k].sort(byText)
        }
      }
      const f = check(s, outcome)
      if (f !== null) {
        console.error(`node runner: ${file}: step ${i + 1} (${s.op}): ${f}`)
        failed = true
      }
      lines.push(line(i + 1, s.op, outcome))
    }
    await tenant.deleteGallery(g.id)
    console.log(lines.join('\n'))
  }
  return failed ? 1 : 0
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(e)
    process.exit(2)
  },
)
