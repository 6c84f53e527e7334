'use strict'
// Entry point (CommonJS). Loads the native addon built by `napi build` (necid.node),
// hands it the error factory, and makes the paginators async-iterable.
const errors = require('./errors')
const native = require('./necid.node')

native.__registerErrorFactory(errors.makeError)

/** Turn a `nextPage()`-style paginator into an async iterator of pages. */
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

const { makeError, ...errorClasses } = errors
module.exports = {
  Client: native.Client,
  SubjectPaginator: native.SubjectPaginator,
  BulkProgressPaginator: native.BulkProgressPaginator,
  ...errorClasses,
}
