'use strict'
// Entry point (CommonJS). Loads the native addon built by `napi build` (necid.node),
// hands it the error factory, and makes the paginators async-iterable.
const errors = require('./errors')
/** @type {any} the compiled addon; index.d.ts describes what it exports */
// @ts-ignore -- TypeScript cannot resolve a .node file
const native = require('./necid.node')

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

const { makeError: _factory, ...errorClasses } = errors
module.exports = {
  Client: native.Client,
  SubjectPaginator: native.SubjectPaginator,
  BulkProgressPaginator: native.BulkProgressPaginator,
  ...errorClasses,
}
