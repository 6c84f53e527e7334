'use strict'
// index.d.ts as users' editors read it: the Client methods expanded from the core's
// operation table carry the table's docs as plain text (dts-docs.js rewrites napi-derive's
// raw-string rendering of them after every build).
const { test } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')

const dts = fs.readFileSync(path.join(__dirname, '..', 'index.d.ts'), 'utf8')

test('no doc line of index.d.ts is a raw-string token', () => {
  const raw = dts.split('\n').filter((line) => /^\s*(\/\*\*|\*) r#*"/.test(line))
  assert.deepEqual(raw, [])
})

test('an operation expanded from the table has the table doc', () => {
  assert.match(dts, /\/\*\* Delete a tag \(`DELETE \/tags\/\{name\}`\); subjects keep it\. \*\/\n\s*deleteTag\(name: string, callOptions\?: CallOptions \| undefined \| null\): Promise<void>/)
  assert.match(dts, /\* One page of subject\/event rows \(`GET \/subjects`; one row per event, deleted\n\s*\* rows included\)\. `length` 1-1000 \(default 1000, the reference's\); `dir` `"asc"`\n\s*\* or `"desc"`\. An empty gallery/)
})
