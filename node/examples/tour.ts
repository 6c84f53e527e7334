// A tour of the whole API, type-checked by `npm run lint` (tsc --noEmit --strict).
// Run against the emulator: `necid serve --memory --port 0 --ready-file r.json`, export
// NECID_* from r.json, then compile and run this file (or read it as documentation).
import {
  Client,
  NecIdError,
  NoFaceError,
  NotFoundError,
  TimedOutError,
  type BulkProgress,
  type ClientOptions,
  type FaceAttributes,
  type ImageInput,
  type NecIdErrorCode,
  type SearchResult,
  type SubjectPage,
} from 'necid'
import { readFile } from 'node:fs/promises'

function describeFace(a: FaceAttributes | undefined): string {
  if (!a?.faceArea) return 'no face area'
  const { left, top, right, bottom } = a.faceArea
  const width: number = right - left
  return `face ${width}x${bottom - top} px, quality ${a.faceQualityScore ?? 'n/a'}`
}

async function main(): Promise<void> {
  const options: ClientOptions = {
    endpoint: process.env.NECID_ENDPOINT,
    tenantEndpoint: process.env.NECID_TENANT_ENDPOINT,
    accessKeyId: process.env.NECID_ACCESS_KEY_ID,
    secretAccessKey: process.env.NECID_SECRET_ACCESS_KEY,
    apiKey: process.env.NECID_API_KEY,
    region: process.env.NECID_REGION,
    requestTimeoutMs: 30_000,
    connectTimeoutMs: 5_000,
    maxAttempts: 3,
    userAgentSuffix: 'tour/1.0',
  }
  const client = new Client(options)
  const fromEnv: Client = Client.fromEnv()
  let fromProfile: Client | undefined
  try {
    fromProfile = Client.fromProfile('default')
  } catch (e) {
    if (!(e instanceof NecIdError)) throw e
  }
  console.log(client.endpoint, client.tenantEndpoint, client.region, client.clockSkewMs, fromEnv.region, fromProfile?.region)

  const photo: ImageInput = await readFile('cli/assets/faces/obama.jpg')
  const asBytes: ImageInput = new Uint8Array(photo)
  const byPath: ImageInput = 'cli/assets/faces/obama2.jpg'

  console.log((await client.health()).ok)

  // tags, subjects and events
  await client.createTag('staff')
  await client.renameTag('staff', 'employees')
  const registered = await client.registerSubject(photo, ['employees'])
  console.log(describeFace(registered.attributes))
  const updated = await client.updateSubject(registered.subjectId, asBytes, ['employees'])
  const event = await client.registerEvent(updated.subjectId, byPath)
  await client.updateEvent(updated.subjectId, event.eventId ?? '', byPath)
  const events = await client.listEvents(updated.subjectId)
  for (const e of events.events) console.log(e.eventId, e.score)
  await client.unregisterEvent(updated.subjectId, event.eventId ?? '')

  const page: SubjectPage = await client.listSubjects(0, 100, 'desc')
  console.log(page.total, page.subjects.map((s) => `${s.subjectId}:${s.status}:${s.active}`))
  for await (const p of client.subjects(50, 'asc')) console.log(p.subjects.length)
  const paginator = client.subjects()
  const next: SubjectPage | null = await paginator.nextPage()
  console.log(next?.total)

  // face operations
  const faces: FaceAttributes[] = await client.extractFaces(photo, 5)
  faces.forEach((f) => console.log(describeFace(f)))
  const result: SearchResult = await client.search(photo, { threshold: 7500, limit: 10, tags: ['employees'] })
  for (const c of result.candidates) console.log(c.subjectId, c.score, c.events.length)
  const v = await client.verifySubject(updated.subjectId, photo)
  const ff = await client.verifyFaces(photo, byPath)
  console.log(v.verified, v.score, ff.verified, ff.score)

  // bulk registration
  const batchId: string = await client.bulkRegister([{ filename: 'a.jpg', tags: ['employees'] }, { filename: 'b.jpg' }])
  const first = await client.bulkRegisterProgress(batchId)
  if (first.lastEvaluatedKey) await client.bulkRegisterProgress(batchId, first.lastEvaluatedKey)
  for await (const p of client.bulkProgress(batchId)) console.log(p.processed.map((r) => r.status))
  try {
    const done: BulkProgress = await client.waitForBulkRegister(batchId, {
      pollIntervalMs: 500,
      maxPollIntervalMs: 5_000,
      timeoutMs: 60_000,
      onProgress: (p: BulkProgress) => console.log(`${p.processed}/${p.total} processed, ${p.failed} failed`),
    })
    console.log(done.succeeded, done.records.map((r) => r.registerStatus ?? r.reason))
  } catch (e) {
    if (e instanceof TimedOutError) console.log('still running')
    else throw e
  }

  // errors
  try {
    await client.registerSubject(Buffer.alloc(10))
  } catch (e) {
    if (e instanceof NoFaceError) console.log('no face', e.errorCode)
    else if (e instanceof NecIdError) {
      const code: NecIdErrorCode = e.code
      console.log(code, e.kind, e.status, e.errorCode, e.errorType, e.requestId, e.field, e.message)
    }
  }
  await client.unregisterSubject('unknown').catch((e: unknown) => {
    if (e instanceof NotFoundError) console.log('not found', e.status)
  })

  // custom signing
  const headers: Record<string, string> = client.signRequest({
    method: 'GET',
    url: `${client.endpoint}/v1.1/tags`,
    headers: [['accept', 'application/json']],
    body: '',
    time: new Date(),
  })
  console.log(Object.keys(headers))

  // tenant API
  const g = await client.createGallery({ name: 'tour', description: 'demo', faceMinimumQualityScore: 0.5, size: 1000 })
  await client.updateGallery(g.id, { name: 'tour-2', size: 2000 })
  const details = await client.getGallery(g.id)
  console.log(details.applications.map((a) => a.apiKey !== undefined))
  console.log((await client.listGalleries()).length)
  const app = await client.createApplication({ name: 'tour-app', galleryId: g.id })
  await client.updateApplication(app.id, { description: 'renamed', faceMinimumQualityScore: 0.6 })
  console.log((await client.getApplication(app.id)).name, (await client.listApplications()).length)
  await client.deleteApplication(app.id)
  await client.deleteGallery(g.id)
  await client.deleteTag('employees')
  await client.unregisterSubject(updated.subjectId)
  console.log((await client.listTags()).map((t) => t.name))
}

main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
