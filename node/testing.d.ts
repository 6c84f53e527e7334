// Types of `necid/testing` (testing.js): a throwaway emulator for your own tests.
import type { Client, ClientOptions, Gallery } from './index'

/** The emulator's face engines: fast and exact-picture ('deterministic') or the face engine ('real'). */
export declare const ENGINES: readonly ['deterministic', 'real']

export interface EmulatorOptions {
  /** 'deterministic' (default: fast, the same picture matches, nothing else) or 'real'. */
  engine?: 'deterministic' | 'real'
  /** 'memory' (default) or 'sqlite' (a temporary file, removed by stop()). */
  storage?: 'memory' | 'sqlite'
  /** Folder of pictures registered in the default gallery at start. */
  seed?: string
  /** Fault rules from the start: a list of rules or a plan `{ seed, rules }` (server/README.md). */
  faults?: Record<string, unknown>[] | { seed?: number; rules: Record<string, unknown>[] }
  /** The emulator's JSON configuration (server/README.md), e.g. `{ limits: { bulkPageSize: 1 } }`. */
  config?: Record<string, unknown>
  /** Record every API request (see `requests()`). */
  record?: boolean
  /** Relax strict mode. */
  lenient?: boolean
  /** Serve HTTPS with a private CA (the clients trust it). */
  tls?: boolean
  /** Port; 0 (default) picks a free one. */
  port?: number
  /** The necid executable (else NECID_BIN, the packaged one, PATH). */
  binary?: string
  /** Milliseconds to wait for readiness (default 120000). */
  startupTimeoutMs?: number
  /** More `necid serve` arguments. */
  extraArgs?: string[]
}

/** The ready file's JSON. */
export interface EmulatorInfo {
  endpoint: string
  tenantEndpoint: string
  region: string
  accessKeyId: string
  secretAccessKey: string
  apiKey: string
  bucketDir: string
  caFile: string | null
  /** With `--tls-client-auth`: a client certificate (PEM file) the emulator accepts. */
  clientCertFile: string | null
  /** With `--tls-client-auth`: that certificate's private key (PEM file). */
  clientKeyFile: string | null
  adminEndpoint: string
  adminToken: string
  /** The web console (`<endpoint>/_console/`), null with `--no-console`. */
  consoleUrl: string | null
  pid: number
}

export interface Emulator extends AsyncDisposable {
  info: EmulatorInfo
  endpoint: string
  /** The emulator's process id. */
  pid: number
  /** A client with the dev credentials (the default gallery's API key). */
  client: Client
  clientOptions(overrides?: Partial<ClientOptions>): ClientOptions
  newClient(overrides?: Partial<ClientOptions>): Client
  /** What the emulator printed so far. */
  output(): string
  /** Stops the emulator (stdin closed and SIGTERM, SIGKILL after 10 s); safe twice. */
  stop(): Promise<void>
  readonly running: boolean
  /** Calls the admin API (`/_admin/v1` + path) with the admin token; the JSON answer. */
  admin(method: string, path: string, body?: unknown): Promise<any>
  addFault(rule: Record<string, unknown>): Promise<any>
  setFaults(rules: Record<string, unknown>[], seed?: number): Promise<void>
  clearFaults(): Promise<void>
  setRecording(enabled: boolean): Promise<void>
  requests(filter?: { method?: string; path?: string }): Promise<any[]>
  clearRequests(): Promise<void>
  /** Empties one gallery, or every gallery (and removes fault rules and records). */
  reset(galleryId?: string): Promise<void>
  seeded(): Promise<{ file: string; subjectId: string; eventId: string }[]>
  /** A new empty gallery and a client bound to it; `delete()` removes the gallery. */
  newGallery(size?: number): Promise<{ gallery: Gallery; client: Client; delete(): Promise<void> }>
}

/** A clear error about starting the emulator (`code`: NECID_EMULATOR or NECID_BIN_NOT_FOUND). */
export declare class EmulatorError extends Error {
  code: string
}

/** Starts a throwaway emulator and waits until it is ready. */
export declare function startEmulator(options?: EmulatorOptions): Promise<Emulator>

/** The necid executable: `binary`, NECID_BIN, the packaged one, PATH. */
export declare function findBinary(binary?: string): string
