#!/usr/bin/env node
// Run after `napi build` (package.json's postbuild scripts). napi-derive 3.7 copies a doc
// comment that reached it through `macro_rules!` — every `Client` method's, since
// `node_client!` (src/client.rs) expands the class from the core's operation table — into
// index.d.ts as its raw-string token: `r" text`, or `r#" text"#` when the text has a
// quote. This writes such lines as the text they hold; test/dts.test.js fails if one is
// left.
'use strict'
const fs = require('node:fs')
const path = require('node:path')

const file = path.join(__dirname, 'index.d.ts')
const RAW = /^(\s*(?:\/\*\*|\*) )r(#*)" ?(.*)$/
const lines = fs.readFileSync(file, 'utf8').split('\n').map((line) => {
  const m = RAW.exec(line)
  if (!m) return line
  const [, lead, hashes] = m
  let text = m[3]
  let close = ''
  if (text.endsWith(' */')) {
    close = ' */'
    text = text.slice(0, -close.length)
  }
  if (hashes && text.endsWith(`"${hashes}`)) text = text.slice(0, -(hashes.length + 1))
  return `${lead}${text}${close}`.trimEnd()
})
fs.writeFileSync(file, lines.join('\n'))
