'use strict'
// Entry point (CommonJS). Loads the native addon (a local `napi build`'s necid.node, or
// the installed platform package: loader.js), hands it the error factory, and makes the
// paginators async-iterable.
const errors = require('./errors')
/** @type {any} the compiled addon; index.d.ts describes what it exports */
const native = require('./loader').loadNative()

native.__registerErrorFactory(errors.makeError)

/**
 * Turn a `nextPage()`-style paginator class into an async iterable of pages.
 * @param {{ prototype: any }} cls
 */
function addAsyncIterator(cls) {
  cls.prototype[Symbol.asyncIterator] = async function* pages() {
    for (;;) {
      const page = await this.nextPage()
      if (page === null) return
      yield page
    }
  }
}
addAsyncIterator(native.SubjectPaginator)
addAsyncIterator(native.BulkProgressPaginator)

// napi-rs rejects a JS argument of the wrong type (a number for a string, a missing
// field) before any necid code runs, as a plain Error whose `code` is an N-API status
// name. Those become InvalidInputError (code INVALID_INPUT) like every other bad
// argument; they are still thrown synchronously, as Node does for argument types.
const ARGUMENT_STATUSES = new Set([
  'InvalidArg', 'ObjectExpected', 'StringExpected', 'NameExpected', 'FunctionExpected',
  'NumberExpected', 'BooleanExpected', 'ArrayExpected', 'BigintExpected', 'DateExpected',
  'ArrayBufferExpected', 'DetachableArraybufferExpected',
])

/** @param {unknown} e */
function typed(e) {
  if (!(e instanceof Error) || e instanceof errors.NecIdError) return e
  if (!ARGUMENT_STATUSES.has(/** @type {any} */ (e).code)) return e
  const err = errors.makeError('InvalidInput', 'INVALID_INPUT', e.message)
  err.cause = e
  return err
}

/**
 * @param {Function} f
 * @param {string} name
 */
function rethrowTyped(f, name) {
  return {
    /** @param {unknown[]} args */
    [name](...args) {
      try {
        return f.apply(this, args)
      } catch (e) {
        throw typed(e)
      }
    },
  }[name]
}

/**
 * Rethrow argument-type errors of the constructor and methods of `cls` as typed.
 * Returns a Proxy of the class: `instanceof`, the prototype and the statics are unchanged.
 * @param {any} cls
 */
function typeArgumentErrors(cls) {
  for (const name of Object.getOwnPropertyNames(cls.prototype)) {
    const desc = Object.getOwnPropertyDescriptor(cls.prototype, name)
    if (name === 'constructor' || !desc || typeof desc.value !== 'function') continue
    Object.defineProperty(cls.prototype, name, { ...desc, value: rethrowTyped(desc.value, name) })
  }
  // Static functions (fromEnv, fromProfile) are left as they are: napi-rs defines them
  // read-only, and a Proxy must return them unchanged.
  return new Proxy(cls, {
    construct(c, args, newTarget) {
      try {
        return Reflect.construct(c, args, newTarget)
      } catch (e) {
        throw typed(e)
      }
    },
  })
}

/**
 * `client.withMetadata(fn)`: `{ result, $metadata }`, where `result` is what `fn(view)`
 * resolves to and `$metadata` is the response metadata of the last call `fn` made through
 * `view` (a view of this client: same pool and settings; its calls record into a slot of
 * their own, so concurrent `withMetadata` calls never mix). For the calls whose result
 * carries no `$metadata` (`undefined`, strings). A rejection of `fn` propagates.
 * @this {any}
 * @template T
 * @param {(client: any) => T | Promise<T>} fn
 */
native.Client.prototype.withMetadata = async function withMetadata(fn) {
  if (typeof fn !== 'function') {
    throw errors.makeError('InvalidInput', 'INVALID_INPUT', 'withMetadata: expected a function (client) => Promise', undefined, undefined, undefined, undefined, 'fn')
  }
  const view = this.__metadataView()
  const result = await fn(view)
  return { result, $metadata: view.__capturedMetadata() }
}

const Client = typeArgumentErrors(native.Client)

const { makeError: _factory, ...errorClasses } = errors
module.exports = {
  Client,
  // (Their only method, nextPage, takes no arguments.)
  SubjectPaginator: native.SubjectPaginator,
  BulkProgressPaginator: native.BulkProgressPaginator,
  setLogger: rethrowTyped(native.setLogger, 'setLogger'),
  ...errorClasses,
}
