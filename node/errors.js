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

/* One subclass per kind (see the table in README.md). */
class InvalidInputError extends NecIdError {}
class AuthError extends NecIdError {}
class NotFoundError extends NecIdError {}
class InvalidRequestError extends NecIdError {}
class DuplicateError extends NecIdError {}
class ServiceTimeoutError extends NecIdError {}
class NoFaceError extends NecIdError {}
class PoorQualityError extends NecIdError {}
class MultipleFacesError extends NecIdError {}
class ThrottledError extends NecIdError {}
class ServerError extends NecIdError {}
class NetworkError extends NecIdError {}
class TimedOutError extends NecIdError {}
class DecodeError extends NecIdError {}
class CancelledError extends NecIdError {}

/** @type {Record<string, typeof NecIdError>} */
const byKind = {
  InvalidInput: InvalidInputError,
  Auth: AuthError,
  NotFound: NotFoundError,
  InvalidRequest: InvalidRequestError,
  Duplicate: DuplicateError,
  Timeout: ServiceTimeoutError,
  NoFace: NoFaceError,
  PoorQuality: PoorQualityError,
  MultipleFaces: MultipleFacesError,
  Throttled: ThrottledError,
  Server: ServerError,
  Network: NetworkError,
  TimedOut: TimedOutError,
  Decode: DecodeError,
  Cancelled: CancelledError,
}

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
  if (Cls === undefined) {
    return new NecIdError(`${kind}: ${message}`, {
      kind: 'Internal',
      code: 'INTERNAL',
      status,
      errorCode,
      errorType,
      requestId,
      field,
    })
  }
  return new Cls(message, { kind, code, status, errorCode, errorType, requestId, field })
}

module.exports = {
  NecIdError,
  InvalidInputError,
  AuthError,
  NotFoundError,
  InvalidRequestError,
  DuplicateError,
  ServiceTimeoutError,
  NoFaceError,
  PoorQualityError,
  MultipleFacesError,
  ThrottledError,
  ServerError,
  NetworkError,
  TimedOutError,
  DecodeError,
  CancelledError,
  makeError,
}
