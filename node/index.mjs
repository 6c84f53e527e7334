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
  // # BEGIN GENERATED: one class per error kind (tests/e2e/tests/surfaces.rs renders them
  // from the core's necid::error_kinds!; NECID_BLESS=1 cargo test -p necid-e2e --test
  // surfaces rewrites them).
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
  // # END GENERATED
} = necid
export default necid
