'use strict'
// Finds the native addon. In a checkout, `npm run build` leaves necid.node beside this
// file and that is used. An installed package has no addon of its own: npm installs the
// one platform package of `optionalDependencies` whose os/cpu/libc match (the napi-rs
// layout), and it is loaded from there. Nothing else is tried: if neither is present the
// error names the platform and the package it needs.
const fs = require('node:fs')
const path = require('node:path')

/** The platform packages the release builds (scripts/package, .github/workflows/release-*.yml). */
const PLATFORM_PACKAGES = [
  'linux-x64-gnu',
  'linux-arm64-gnu',
  'darwin-universal',
  'win32-x64-msvc',
]

/** @returns {boolean} whether this Linux process runs on musl rather than glibc */
function isMusl() {
  try {
    // Node's own report says which glibc it runs on; it has none on musl.
    const report = /** @type {any} */ (process.report.getReport())
    return !report.header.glibcVersionRuntime
  } catch {
    try {
      return fs.readFileSync('/usr/bin/ldd', 'utf8').includes('musl')
    } catch {
      return false
    }
  }
}

/** @returns {string} this platform's package suffix, e.g. linux-x64-gnu */
function platformId() {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'darwin') return 'darwin-universal'
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

/** @returns {any} the addon's exports */
function loadNative() {
  const local = path.join(__dirname, 'necid.node')
  if (fs.existsSync(local)) return require(local)
  const id = platformId()
  const pkg = `necid-${id}`
  try {
    return require(pkg)
  } catch (e) {
    const err = /** @type {NodeJS.ErrnoException} */ (e)
    // Only "that package is not installed" becomes the message below; a package that is
    // there but cannot load (a too old glibc, a damaged file) reports its own error.
    if (err.code !== 'MODULE_NOT_FOUND' || !String(err.message).includes(pkg)) throw e
  }
  const supported = PLATFORM_PACKAGES.includes(id)
  throw new Error(
    `necid: no native addon for this platform (${id}: ${process.platform}, ${process.arch}, ` +
      `Node ${process.version}). ` +
      (supported
        ? `It lives in the package '${pkg}', which npm installs with 'necid' as an optional ` +
          `dependency: reinstall without --no-optional / --omit=optional, or install '${pkg}' ` +
          `at the same version as 'necid'.`
        : `There is no prebuilt package for it (prebuilt: ${PLATFORM_PACKAGES.join(', ')}); ` +
          `build from source with 'npm run build' in a checkout (needs Rust).`),
  )
}

module.exports = { loadNative, platformId, PLATFORM_PACKAGES }
