// Entry point (ES modules): the same objects as the CommonJS entry.
import { createRequire } from 'node:module'

const load = createRequire(import.meta.url)
const necid = load('./index.js')

export const {
  Client,
  SubjectPaginator,
  BulkProgressPaginator,
  setLogger,
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
} = necid
export default necid
