'use strict'
// Every operation of the client against a real emulator over loopback HTTP.
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const necid = require('..')
const { Client } = necid
const { startEmulator, optionsFor, face, FACES } = require('./helpers')

let emu
/** A client bound to a fresh gallery of its own (created through the tenant API). */
let client
let admin
let gallery

before(async () => {
  // One record per bulk-progress page, so the progress paginator really pages.
  emu = await startEmulator({ limits: { bulkPageSize: 1 } })
  admin = new Client(optionsFor(emu))
  gallery = await admin.createGallery({ name: 'node-operations', description: 'node suite' })
  client = new Client(optionsFor(emu, gallery.apiKey))
})

after(async () => {
  if (emu) await emu.stop()
})

describe('client construction', () => {
  it('exposes its configuration', () => {
    assert.equal(client.endpoint, emu.endpoint)
    assert.equal(client.region, emu.region)
    assert.equal(typeof client.tenantEndpoint, 'string')
    assert.equal(client.clockSkewMs, 0)
  })

  it('fromEnv reads NECID_* variables', async () => {
    const saved = { ...process.env }
    try {
      process.env.NECID_ENDPOINT = emu.endpoint
      process.env.NECID_TENANT_ENDPOINT = emu.tenantEndpoint
      process.env.NECID_ACCESS_KEY_ID = emu.accessKeyId
      process.env.NECID_SECRET_ACCESS_KEY = emu.secretAccessKey
      process.env.NECID_API_KEY = gallery.apiKey
      process.env.NECID_REGION = emu.region
      process.env.NECID_CONFIG_FILE = path.join(emu.work, 'no-such-profile-file')
      delete process.env.NECID_PROFILE
      const c = Client.fromEnv()
      assert.equal(c.endpoint, emu.endpoint)
      const tags = await c.listTags()
      assert.ok(Array.isArray(tags))
    } finally {
      for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k]
      Object.assign(process.env, saved)
    }
  })

  it('fromProfile reads a named profile from the profile file', async () => {
    const file = path.join(emu.work, 'profiles')
    fs.writeFileSync(
      file,
      [
        '[node-test]',
        `endpoint = ${emu.endpoint}`,
        `tenant_endpoint = ${emu.tenantEndpoint}`,
        `region = ${emu.region}`,
        `access_key_id = ${emu.accessKeyId}`,
        `secret_access_key = ${emu.secretAccessKey}`,
        `api_key = ${gallery.apiKey}`,
        '',
      ].join('\n'),
    )
    const saved = process.env.NECID_CONFIG_FILE
    process.env.NECID_CONFIG_FILE = file
    try {
      const c = Client.fromProfile('node-test')
      assert.equal(c.endpoint, emu.endpoint)
      assert.equal((await c.health()).ok, true)
      assert.throws(() => Client.fromProfile('absent'), necid.InvalidInputError)
    } finally {
      if (saved === undefined) delete process.env.NECID_CONFIG_FILE
      else process.env.NECID_CONFIG_FILE = saved
    }
  })
})

describe('health', () => {
  it('is OK', async () => {
    assert.deepEqual(await client.health(), { status: 'OK', ok: true })
  })
})

describe('subjects and events', () => {
  let subjectId
  let eventId

  it('registerSubject takes a Buffer and returns typed attributes', async () => {
    await client.createTag('staff')
    const r = await client.registerSubject(face('obama.jpg'), ['staff'])
    assert.equal(typeof r.subjectId, 'string')
    assert.equal(typeof r.eventId, 'string')
    const a = r.attributes
    assert.ok(a)
    for (const k of ['left', 'top', 'right', 'bottom']) assert.equal(typeof a.faceArea[k], 'number')
    assert.ok(Number.isInteger(a.rightEyeCenter.x))
    assert.equal(typeof a.faceQualityScore, 'number')
    assert.ok(a.faceScore > 0 && a.faceScore <= 1)
    subjectId = r.subjectId
    eventId = r.eventId
  })

  it('registerSubject takes a plain Uint8Array and a file path', async () => {
    const buf = face('biden.jpg')
    const u8 = new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))
    assert.ok(!Buffer.isBuffer(u8))
    const fromU8 = await client.registerSubject(u8)
    const fromPath = await client.registerSubject(path.join(FACES, 'obama2.jpg'))
    assert.notEqual(fromU8.subjectId, fromPath.subjectId)
    await client.unregisterSubject(fromU8.subjectId)
    await client.unregisterSubject(fromPath.subjectId)
  })

  it('listEvents lists the registered event', async () => {
    const l = await client.listEvents(subjectId)
    assert.equal(l.subjectId, subjectId)
    assert.deepEqual(
      l.events.map((e) => e.eventId),
      [eventId],
    )
  })

  it('registerEvent, updateEvent and unregisterEvent', async () => {
    const added = await client.registerEvent(subjectId, face('obama3.jpg'))
    assert.equal(added.subjectId, subjectId)
    assert.ok(added.eventId && added.eventId !== eventId)
    assert.equal((await client.listEvents(subjectId)).events.length, 2)

    const updated = await client.updateEvent(subjectId, added.eventId, face('obama2.jpg'))
    assert.equal(updated.subjectId, subjectId)
    assert.equal(updated.eventId, added.eventId)
    const v = await client.verifySubject(subjectId, face('obama2.jpg'))
    assert.equal(v.verified, true)

    await client.unregisterEvent(subjectId, added.eventId)
    assert.deepEqual(
      (await client.listEvents(subjectId)).events.map((e) => e.eventId),
      [eventId],
    )
  })

  it('updateSubject replaces the face', async () => {
    const r = await client.updateSubject(subjectId, face('obama3.jpg'), ['staff'])
    assert.equal(r.subjectId, subjectId)
    const hit = await client.search(face('obama3.jpg'))
    assert.equal(hit.candidates[0].subjectId, subjectId)
    // back to the first photo for the tests below
    const again = await client.updateSubject(subjectId, face('obama.jpg'))
    eventId = again.eventId ?? eventId
  })

  it('listSubjects pages and sorts; subjects() iterates every page', async () => {
    const extra = await client.registerSubject(face('biden.jpg'))
    const first = await client.listSubjects(0, 1, 'asc')
    assert.equal(first.subjects.length, 1)
    assert.equal(typeof first.total, 'number')
    assert.ok(first.total >= 2)
    const row = first.subjects[0]
    assert.equal(typeof row.subjectId, 'string')
    assert.equal(typeof row.active, 'boolean')

    const all = await client.listSubjects()
    const desc = await client.listSubjects(0, 1000, 'desc')
    assert.deepEqual(
      desc.subjects.map((s) => s.eventId),
      [...all.subjects.map((s) => s.eventId)].reverse(),
    )

    const pages = []
    for await (const page of client.subjects(1)) pages.push(page)
    assert.ok(pages.length >= 2, `expected several pages, got ${pages.length}`)
    assert.deepEqual(
      pages.flatMap((p) => p.subjects.map((s) => s.eventId)),
      all.subjects.map((s) => s.eventId),
    )
    // the explicit next-page API ends with null
    const p = client.subjects(1000)
    assert.ok(await p.nextPage())
    assert.equal(await p.nextPage(), null)

    await client.unregisterSubject(extra.subjectId)
  })

  it('unregisterSubject removes the subject', async () => {
    const tmp = await client.registerSubject(face('obama2.jpg'))
    await client.unregisterSubject(tmp.subjectId)
    await assert.rejects(client.listEvents(tmp.subjectId), necid.NotFoundError)
  })

  describe('face operations', () => {
    it('extractFaces returns attributes with numbers', async () => {
      const faces = await client.extractFaces(face('obama.jpg'), 5)
      assert.equal(faces.length, 1)
      assert.equal(typeof faces[0].faceArea.left, 'number')
      assert.equal(typeof faces[0].facePan, 'number')
      const fromPath = await client.extractFaces(path.join(FACES, 'astronaut.png'))
      assert.ok(fromPath.length >= 1)
    })

    it('search finds the subject, honours options, and no match is an empty list', async () => {
      const r = await client.search(face('obama.jpg'), { threshold: 9000, limit: 5, tags: ['staff'] })
      assert.equal(r.candidates[0].subjectId, subjectId)
      assert.equal(r.candidates[0].score, 9999)
      assert.equal(typeof r.candidates[0].events[0].score, 'number')
      assert.ok(r.attributes)
      const none = await client.search(face('astronaut.png'), { threshold: 9999 })
      assert.deepEqual(none.candidates, [])
    })

    it('verifySubject: match and non-match', async () => {
      const yes = await client.verifySubject(subjectId, face('obama.jpg'))
      assert.equal(yes.verified, true)
      assert.equal(yes.subjectId, subjectId)
      assert.equal(yes.score, 9999)
      const no = await client.verifySubject(subjectId, face('astronaut.png'))
      assert.equal(no.verified, false)
    })

    it('verifyFaces compares two images', async () => {
      const same = await client.verifyFaces(face('biden.jpg'), face('biden.jpg'))
      assert.equal(same.verified, true)
      assert.equal(same.score, 9999)
      const diff = await client.verifyFaces(face('biden.jpg'), path.join(FACES, 'astronaut.png'))
      assert.ok(diff.score === undefined || diff.score < 9999)
    })
  })
})

describe('tags', () => {
  it('createTag, listTags, renameTag, deleteTag', async () => {
    await client.createTag('visitors')
    let names = (await client.listTags()).map((t) => t.name)
    assert.ok(names.includes('visitors'))
    await client.renameTag('visitors', 'guests')
    names = (await client.listTags()).map((t) => t.name)
    assert.ok(names.includes('guests') && !names.includes('visitors'))
    await client.deleteTag('guests')
    names = (await client.listTags()).map((t) => t.name)
    assert.ok(!names.includes('guests'))
  })
})

describe('bulk registration', () => {
  it('bulkRegister, bulkRegisterProgress, bulkProgress() and waitForBulkRegister', async () => {
    const dir = path.join(emu.bucketDir, gallery.id)
    fs.mkdirSync(dir, { recursive: true })
    fs.copyFileSync(path.join(FACES, 'obama3.jpg'), path.join(dir, 'a.jpg'))
    fs.copyFileSync(path.join(FACES, 'biden.jpg'), path.join(dir, 'b.jpg'))
    await client.createTag('bulk')
    const batchId = await client.bulkRegister([
      { filename: 'a.jpg', tags: ['bulk'] },
      { filename: 'b.jpg' },
      { filename: 'missing.jpg' },
    ])
    assert.equal(typeof batchId, 'string')

    const seen = []
    const done = await client.waitForBulkRegister(batchId, {
      pollIntervalMs: 20,
      maxPollIntervalMs: 100,
      timeoutMs: 60_000,
      onProgress: (p) => seen.push(p),
    })
    assert.equal(done.batchId, batchId)
    assert.equal(done.total, 3)
    assert.equal(done.processed, 3)
    assert.equal(done.succeeded, 2)
    assert.equal(done.failed, 1)
    assert.equal(done.done, true)
    const failed = done.records.find((r) => r.filename === 'missing.jpg')
    assert.equal(failed.succeeded, false)
    assert.equal(failed.processed, true)
    const ok = done.records.find((r) => r.filename === 'a.jpg')
    assert.equal(ok.registerStatus, 'Success')
    assert.equal(typeof ok.subjectId, 'string')
    assert.equal(typeof ok.attempts, 'number')
    // onProgress ran on this thread for every poll, the last one before the Promise settled
    assert.ok(seen.length >= 1)
    assert.equal(seen[seen.length - 1].done, true)
    assert.deepEqual(seen[seen.length - 1].records, done.records)

    // one record per page (bulkPageSize 1): the first page links to the next
    const first = await client.bulkRegisterProgress(batchId)
    assert.equal(first.processed.length, 1)
    assert.ok(first.lastEvaluatedKey)
    const second = await client.bulkRegisterProgress(batchId, first.lastEvaluatedKey)
    assert.equal(second.processed.length, 1)
    assert.notEqual(second.processed[0].id, first.processed[0].id)

    const pages = []
    for await (const page of client.bulkProgress(batchId)) pages.push(page)
    assert.equal(pages.length, 3)
    assert.deepEqual(
      pages.flatMap((p) => p.processed.map((r) => r.id)).sort(),
      done.records.map((r) => r.id).sort(),
    )

    const hit = await client.search(face('obama3.jpg'), { tags: ['bulk'] })
    assert.equal(hit.candidates[0].subjectId, ok.subjectId)
  })

  it('waitForBulkRegister rejects with what onProgress threw, and stops waiting', async () => {
    const dir = path.join(emu.bucketDir, gallery.id)
    fs.copyFileSync(path.join(FACES, 'obama2.jpg'), path.join(dir, 'd.jpg'))
    const batchId = await client.bulkRegister([{ filename: 'd.jpg' }])
    const thrown = new TypeError('progress handler broke')
    let calls = 0
    await assert.rejects(
      client.waitForBulkRegister(batchId, {
        pollIntervalMs: 20,
        timeoutMs: 60_000,
        onProgress: () => {
          calls++
          throw thrown
        },
      }),
      (err) => err === thrown,
    )
    assert.ok(calls >= 1)
  })

  it('waitForBulkRegister works without onProgress', async () => {
    const dir = path.join(emu.bucketDir, gallery.id)
    fs.copyFileSync(path.join(FACES, 'obama2.jpg'), path.join(dir, 'c.jpg'))
    const batchId = await client.bulkRegister([{ filename: 'c.jpg' }])
    const done = await client.waitForBulkRegister(batchId, { pollIntervalMs: 20 })
    assert.equal(done.succeeded, 1)
  })
})

describe('signRequest', () => {
  it('returns the headers to add, lower-case', () => {
    const h = client.signRequest({
      method: 'GET',
      url: `${emu.endpoint}/v1.1/tags`,
      headers: { host: new URL(emu.endpoint).host },
    })
    assert.match(h.authorization, /^AWS4-HMAC-SHA256 Credential=AKID/)
    assert.match(h['x-amz-date'], /^\d{8}T\d{6}Z$/)
    assert.equal(h['x-api-key'], gallery.apiKey)
  })

  it('a request signed by signRequest is accepted by the emulator', async () => {
    const url = `${emu.endpoint}/v1.1/tags`
    const host = new URL(emu.endpoint).host
    const h = client.signRequest({ method: 'GET', url, headers: { host } })
    const res = await fetch(url, { headers: { ...h, host } })
    assert.equal(res.status, 200)
    assert.ok(Array.isArray(await res.json()))
  })
})

describe('tenant API', () => {
  it('galleries: list, get, update, delete', async () => {
    const g = await admin.createGallery({ name: 'node-tenant', faceMinimumQualityScore: 0.5, size: 100 })
    assert.equal(typeof g.apiKey, 'string')
    assert.ok((await admin.listGalleries()).some((x) => x.id === g.id))
    const details = await admin.getGallery(g.id)
    assert.equal(details.id, g.id)
    assert.equal(details.name, 'node-tenant')
    assert.ok(Array.isArray(details.applications))
    assert.ok(details.applications.length >= 1)
    const u = await admin.updateGallery(g.id, { name: 'node-tenant-2', size: 200 })
    assert.equal(u.name, 'node-tenant-2')
    assert.equal((await admin.getGallery(g.id)).name, 'node-tenant-2')
    await admin.deleteGallery(g.id)
    await assert.rejects(admin.getGallery(g.id), necid.NotFoundError)
  })

  it('applications: create, list, get, update, delete; the new key works', async () => {
    const a = await admin.createApplication({ name: 'node-app', galleryId: gallery.id })
    assert.equal(a.name, 'node-app')
    assert.equal(typeof a.apiKey, 'string')
    assert.ok((await admin.listApplications()).some((x) => x.id === a.id))
    assert.equal((await admin.getApplication(a.id)).id, a.id)
    const u = await admin.updateApplication(a.id, { name: 'node-app-2', description: 'renamed' })
    assert.equal(u.name, 'node-app-2')
    // the new key reaches the same gallery
    const viaApp = new Client(optionsFor(emu, a.apiKey))
    const mine = (await client.listTags()).map((t) => t.name).sort()
    assert.deepEqual((await viaApp.listTags()).map((t) => t.name).sort(), mine)
    await admin.deleteApplication(a.id)
    await assert.rejects(admin.getApplication(a.id), necid.NotFoundError)
  })
})
