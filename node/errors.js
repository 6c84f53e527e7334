'use strict'
/**
 * Error classes of the necid package. Every error an operation rejects with (or a
 * constructor throws) is a `NecIdError`; its subclass and `code` name the kind.
 */

/**
 * @typedef {object} ErrorFields
 * @property {string} [code]
 * @property {string} [kind]
 * @property {number} [status]
 * @property {number} [errorCode]
 * @property {string} [errorType]
 * @property {string} [requestId]
 * @property {string} [field]
 */

/** Base class of every necid error. */
class NecIdError extends Error {
  /**
   * @param {string} message
   * @param {ErrorFields} [info]
   */
  constructor(message, info = {}) {
    super(message)
    this.name = new.target.name
    /** Node-style code, e.g. "NO_FACE", "AUTH", "INVALID_INPUT". */
    this.code = info.code ?? 'INTERNAL'
    /** Kind name as the Rust core spells it, e.g. "NoFace". */
    this.kind = info.kind ?? 'Internal'
    /** HTTP status of the response, when there was one. */
    this.status = info.status ?? undefined
    /** The service's numeric errorCode (e.g. 2001), when present. */
    this.errorCode = info.errorCode ?? undefined
    /** The service's errorType (e.g. "NoFace"), when present. */
    this.errorType = info.errorType ?? undefined
    /** The response's request id, when present. */
    this.requestId = info.requestId ?? undefined
    /** For InvalidInputError: the argument or setting that was rejected. */
    this.field = info.field ?? undefined
  }
}

// # BEGIN GENERATED: one subclass per kind, by the kind's name (tests/e2e/tests/surfaces.rs
// renders them from the core's necid::error_kinds!; NECID_BLESS=1 cargo test -p necid-e2e
// --test surfaces rewrites them).
/** @type {Record<string, typeof NecIdError>} */
const byKind = {
  InvalidInput: class InvalidInputError extends NecIdError {},
  Auth: class AuthError extends NecIdError {},
  NotFound: class NotFoundError extends NecIdError {},
  InvalidRequest: class InvalidRequestError extends NecIdError {},
  Duplicate: class DuplicateError extends NecIdError {},
  Timeout: class ServiceTimeoutError extends NecIdError {},
  NoFace: class NoFaceError extends NecIdError {},
  PoorQuality: class PoorQualityError extends NecIdError {},
  MultipleFaces: class MultipleFacesError extends NecIdError {},
  Throttled: class ThrottledError extends NecIdError {},
  Server: class ServerError extends NecIdError {},
  Network: class NetworkError extends NecIdError {},
  TimedOut: class TimedOutError extends NecIdError {},
  Decode: class DecodeError extends NecIdError {},
  Cancelled: class CancelledError extends NecIdError {},
}
// # END GENERATED

/**
 * Called by the native addon (on the JS thread) to build the error for a failure.
 * A kind this version does not know is Internal, as in every binding: a plain
 * NecIdError with kind "Internal" and code "INTERNAL", its message starting with the
 * kind's name.
 * @internal
 * @param {string} kind
 * @param {string} code
 * @param {string} message
 * @param {number} [status]
 * @param {number} [errorCode]
 * @param {string} [errorType]
 * @param {string} [requestId]
 * @param {string} [field]
 * @returns {NecIdError}
 */
function makeError(kind, code, message, status, errorCode, errorType, requestId, field) {
  const Cls = byKind[kind]
  const info = { kind, code, status, errorCode, errorType, requestId, field }
  if (Cls === undefined) {
    return new NecIdError(`${kind}: ${message}`, { ...info, kind: 'Internal', code: 'INTERNAL' })
  }
  return new Cls(message, info)
}

module.exports = {
  NecIdError,
  ...Object.fromEntries(Object.values(byKind).map((cls) => [cls.name, cls])),
  makeError,
}
