'use strict'
// loader.js: which addon an installed package loads, and the error when there is none.
const { describe, it } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')

const loader = require('../loader')

describe('native addon loader', () => {
  it('names this platform as the platform packages do', () => {
    const id = loader.platformId()
    assert.match(id, /^[a-z0-9]+-[a-z0-9]+(-[a-z]+)?$/)
    if (process.platform === 'linux') {
      assert.equal(id, `linux-${process.arch}-${process.report.getReport().header.glibcVersionRuntime ? 'gnu' : 'musl'}`)
    }
    assert.ok(loader.PLATFORM_PACKAGES.includes('linux-x64-gnu'))
  })

  it('without a local build or a platform package, the error names the platform and the package', () => {
    // A copy of loader.js alone in an empty directory: no necid.node beside it and no
    // node_modules above it (os.tmpdir() has none).
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'necid-loader-'))
    try {
      fs.copyFileSync(path.join(__dirname, '..', 'loader.js'), path.join(dir, 'loader.js'))
      const isolated = require(path.join(dir, 'loader.js'))
      const id = isolated.platformId()
      assert.throws(
        () => isolated.loadNative(),
        (e) =>
          e instanceof Error &&
          e.message.includes(`no native addon for this platform (${id}`) &&
          e.message.includes(`necid-${id}`),
      )
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })

  it('prefers the checkout build (necid.node beside it)', () => {
    const local = path.join(__dirname, '..', 'necid.node')
    if (!fs.existsSync(local)) {
      assert.fail(`no ${local}: build the addon first (npm run build)`)
    }
    assert.equal(loader.loadNative(), require(local))
  })
})
