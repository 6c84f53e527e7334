'use strict'
// TLS trust roots against `necid serve --tls` (real HTTPS on loopback, certificate signed by
// a CA the emulator generated at start), and a panic inside a request (the addon is built
// with the core's `test-hooks` feature) rejecting instead of aborting Node.
process.env.RUST_BACKTRACE = '0'
const { describe, it, before, after } = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')

const necid = require('..')
const { Client } = necid
const { startEmulator, optionsFor, face } = require('./helpers')

let tls
let plain
// Two emulators requiring client certificates (`--tls-client-auth`), each with its own CA:
// the one's client certificate is one the other does not trust.
let mtls
let otherMtls

before(async () => {
  tls = await startEmulator(undefined, ['--tls'])
  plain = await startEmulator()
  mtls = await startEmulator(undefined, ['--tls', '--tls-client-auth'])
  otherMtls = await startEmulator(undefined, ['--tls', '--tls-client-auth'])
})

after(async () => {
  if (tls) await tls.stop()
  if (plain) await plain.stop()
  if (mtls) await mtls.stop()
  if (otherMtls) await otherMtls.stop()
})

const tlsOptions = (extra) => ({ ...optionsFor(tls), maxAttempts: 1, ...extra })

describe('TLS trust roots', () => {
  it('calls over HTTPS with the emulator CA as the custom bundle', async () => {
    assert.match(tls.endpoint, /^https:\/\//)
    const c = new Client(tlsOptions({ caBundle: tls.caFile }))
    assert.equal((await c.health()).ok, true)
    const reg = await c.registerSubject(face('obama.jpg'))
    assert.ok(reg.subjectId)
    const fromBytes = new Client(tlsOptions({ caBundlePem: fs.readFileSync(tls.caFile) }))
    assert.equal((await fromBytes.health()).ok, true)
    const fromText = new Client(tlsOptions({ caBundlePem: fs.readFileSync(tls.caFile, 'utf8') }))
    assert.equal((await fromText.health()).ok, true)
  })

  it('fails with a clear certificate error without the CA', async () => {
    const c = new Client(tlsOptions())
    await assert.rejects(c.health(), (e) => {
      assert.equal(e.kind, 'Network')
      assert.match(e.message, /TLS certificate verification failed/)
      assert.match(e.message, /UnknownIssuer/)
      assert.match(e.message, /ca_bundle/)
      return true
    })
  })

  it('uses the bundled roots, which reject the self-signed emulator', async () => {
    const c = new Client(tlsOptions({ tlsRoots: 'bundled' }))
    await assert.rejects(c.health(), (e) => {
      assert.equal(e.kind, 'Network')
      assert.match(e.message, /bundled Mozilla roots/)
      return true
    })
    const both = new Client(tlsOptions({ tlsRoots: 'bundled', caBundle: tls.caFile }))
    assert.equal((await both.health()).ok, true)
  })

  it('names the setting when the TLS options are wrong', () => {
    assert.throws(
      () => new Client(tlsOptions({ caBundle: '/nonexistent/ca.pem' })),
      (e) => e.kind === 'InvalidInput' && e.field === 'ca_bundle',
    )
    assert.throws(
      () => new Client(tlsOptions({ tlsRoots: 'system' })),
      (e) => e.kind === 'InvalidInput' && e.field === 'tls_roots',
    )
  })
})

describe('client certificate (mutual TLS)', () => {
  const mtlsOptions = (extra) => ({
    ...optionsFor(mtls),
    maxAttempts: 1,
    caBundle: mtls.caFile,
    ...extra,
  })

  it('calls succeed with the client certificate, from files or PEM', async () => {
    const c = new Client(mtlsOptions({ clientCert: mtls.clientCertFile, clientKey: mtls.clientKeyFile }))
    assert.equal((await c.health()).ok, true)
    const reg = await c.registerSubject(face('obama.jpg'))
    assert.ok(reg.subjectId)
    const pem = new Client(
      mtlsOptions({
        clientCertPem: fs.readFileSync(mtls.clientCertFile),
        clientKeyPem: fs.readFileSync(mtls.clientKeyFile, 'utf8'),
      }),
    )
    assert.equal((await pem.health()).ok, true)
  })

  it('is refused at the handshake without a client certificate (Network)', async () => {
    const c = new Client(mtlsOptions())
    await assert.rejects(c.health(), (e) => {
      assert.equal(e.kind, 'Network')
      assert.match(e.message, /requires a client certificate/)
      assert.match(e.message, /client_cert/)
      return true
    })
  })

  it('is refused with a certificate from another CA (Network)', async () => {
    const c = new Client(
      mtlsOptions({ clientCert: otherMtls.clientCertFile, clientKey: otherMtls.clientKeyFile }),
    )
    await assert.rejects(c.health(), (e) => {
      assert.equal(e.kind, 'Network')
      assert.match(e.message, /does not accept the client certificate/)
      return true
    })
  })

  it('names the setting, never the key, when the files are wrong', () => {
    const key = fs.readFileSync(mtls.clientKeyFile, 'utf8')
    const keyLine = key.split('\n')[1]
    const fails = (extra, field) =>
      assert.throws(
        () => new Client(mtlsOptions(extra)),
        (e) => {
          assert.equal(e.kind, 'InvalidInput')
          assert.equal(e.field, field)
          assert.ok(!e.message.includes(keyLine), e.message)
          return true
        },
      )
    fails({ clientCert: mtls.clientCertFile }, 'client_key')
    fails({ clientKey: mtls.clientKeyFile }, 'client_cert')
    fails({ clientCert: '/nonexistent/client.pem', clientKey: mtls.clientKeyFile }, 'client_cert')
    fails({ clientCert: mtls.clientCertFile, clientKey: mtls.caFile }, 'client_key')
    // The other emulator's key does not belong to this certificate.
    fails({ clientCert: mtls.clientCertFile, clientKey: otherMtls.clientKeyFile }, 'client_key')
  })
})

describe('panics', () => {
  it('a panic inside a request rejects with a Server error; Node keeps running', async () => {
    const c = new Client(optionsFor(plain))
    await assert.rejects(c.unregisterSubject('necid-test-panic'), (e) => {
      assert.equal(e.kind, 'Server')
      assert.match(e.message, /deliberate panic inside a request/)
      return true
    })
    assert.equal((await c.health()).ok, true)
  })
})

describe('no system trust store', () => {
  it('http works, https explains, bundled builds', async () => {
    // SSL_CERT_FILE / SSL_CERT_DIR replace the system store (the Linux platform verifier
    // reads only them when set); Node's process.env writes the real environment.
    const dir = fs.mkdtempSync(require('node:path').join(require('node:os').tmpdir(), 'necid-empty-'))
    process.env.SSL_CERT_FILE = `${dir}/none.pem`
    process.env.SSL_CERT_DIR = dir
    try {
      const http = new Client(optionsFor(plain))
      assert.equal((await http.health()).ok, true)
      const https = new Client(tlsOptions())
      await assert.rejects(https.health(), (e) => {
        assert.equal(e.kind, 'InvalidInput')
        assert.equal(e.field, 'tls_roots')
        assert.match(e.message, /no CA certificates found in the system store/)
        assert.match(e.message, /tls_roots = bundled/)
        return true
      })
      const bundled = new Client(tlsOptions({ tlsRoots: 'bundled' }))
      await assert.rejects(bundled.health(), /bundled Mozilla roots/)
    } finally {
      delete process.env.SSL_CERT_FILE
      delete process.env.SSL_CERT_DIR
      fs.rmSync(dir, { recursive: true, force: true })
    }
  })
})
