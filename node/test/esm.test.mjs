// The package works from ES modules (by file and by its own package name) and both
// module systems see the very same classes.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

import necidDefault, { Client, NecIdError, NotFoundError, InvalidInputError } from 'necid'
import * as byFile from '../index.mjs'

const require = createRequire(import.meta.url)
const cjs = require('..')

describe('ES modules', () => {
  it('named and default exports match the CommonJS ones', () => {
    assert.equal(Client, cjs.Client)
    assert.equal(NecIdError, cjs.NecIdError)
    assert.equal(byFile.Client, Client)
    assert.equal(necidDefault.Client, Client)
    assert.ok(Object.prototype.isPrototypeOf.call(NecIdError.prototype, NotFoundError.prototype))
    for (const name of Object.keys(cjs)) assert.equal(byFile[name], cjs[name], name)
  })

  it('errors thrown through the ESM entry are instances of its classes', () => {
    assert.throws(() => new Client({ endpoint: 'nope://x' }), InvalidInputError)
  })
})
