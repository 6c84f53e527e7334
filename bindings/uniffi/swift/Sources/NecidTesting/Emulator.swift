// NecidTesting: test your own code offline against the NEC ID emulator (`necid serve`).
// See the README, "Testing your code offline".
import Foundation
import Necid
import XCTest
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why the emulator could not be started (or was given bad options).
public enum EmulatorError: Error, CustomStringConvertible {
    /// A bad option (unknown engine, missing seed folder, port out of range).
    case invalidOption(String)
    /// No `necid` executable in any of the four places `Emulator.findBinary` looks.
    case notFound(String)
    /// The emulator exited before it was ready (a port in use, a bad fault rule), or did
    /// not get ready in time; with its own output.
    case startFailed(String)

    public var description: String {
        switch self {
        case .invalidOption(let m), .notFound(let m), .startFailed(let m): return m
        }
    }
}

/// How to start an emulator; every setting has a default (deterministic engine, in memory,
/// a free port).
public struct EmulatorOptions {
    /// "deterministic" (fast: the same picture matches) or "real" (the offline face engine).
    public var engine: String = "deterministic"
    /// "memory" or "sqlite" (a file in a temporary folder, removed at stop).
    public var storage: String = "memory"
    /// A folder of pictures registered in the default gallery at start.
    public var seed: String? = nil
    /// Fault rules from the start, as JSON: a list of rules or `{"seed": n, "rules": [...]}`.
    public var faults: String? = nil
    /// Record every API request (the admin API's `/requests`).
    public var record: Bool = false
    /// Relax strict mode.
    public var lenient: Bool = false
    /// Serve HTTPS with a private CA (`info.caFile`; clients from `client()` trust it).
    public var tls: Bool = false
    /// 0 picks a free port.
    public var port: Int = 0
    /// The `necid` executable (else `NECID_BIN`, a packaged one, `PATH`).
    public var binary: String? = nil
    /// Seconds to wait for readiness.
    public var startupTimeout: TimeInterval = 120
    /// More `necid serve` arguments, e.g. `["--extra-access-key", "ID:SECRET"]`.
    public var extraArgs: [String] = []

    public init(engine: String = "deterministic", storage: String = "memory", seed: String? = nil,
                faults: String? = nil, record: Bool = false, lenient: Bool = false, tls: Bool = false,
                port: Int = 0, binary: String? = nil, startupTimeout: TimeInterval = 120,
                extraArgs: [String] = []) {
        self.engine = engine
        self.storage = storage
        self.seed = seed
        self.faults = faults
        self.record = record
        self.lenient = lenient
        self.tls = tls
        self.port = port
        self.binary = binary
        self.startupTimeout = startupTimeout
        self.extraArgs = extraArgs
    }
}

/// What the emulator's ready file says. Secrets are left out of `description`.
public struct EmulatorInfo: CustomStringConvertible {
    public let endpoint: String
    public let tenantEndpoint: String
    public let region: String
    public let accessKeyId: String
    public let secretAccessKey: String
    public let apiKey: String
    public let bucketDir: String
    /// With `tls`: the PEM file of the emulator's CA.
    public let caFile: String?
    /// The admin API (`<endpoint>/_admin/v1`: fault rules, recording, reset) and its token.
    public let adminEndpoint: String
    public let adminToken: String
    /// With `extraArgs: ["--tls-client-auth"]`: a client certificate (PEM file) the emulator
    /// requires, and its private key.
    public let clientCertFile: String?
    public let clientKeyFile: String?

    public var description: String { "EmulatorInfo(endpoint: \(endpoint), region: \(region), accessKeyId: \(accessKeyId))" }
}

/// A throwaway `necid serve` for tests. In an `XCTestCase`, `try startEmulator()` starts one
/// that is stopped when the test ends (also when it fails). The emulator runs with
/// `--stop-on-stdin-eof` on a pipe only this process holds, so it also stops when the test
/// process ends in any way (killed, crashed).
public final class Emulator {
    public let options: EmulatorOptions
    public let info: EmulatorInfo
    /// The emulator's process id (0 once stopped).
    public private(set) var pid: pid_t
    private var stdinFd: Int32
    private let dir: URL
    private let lock = NSLock()

    /// The API endpoint.
    public var endpoint: String { info.endpoint }

    /// Starts an emulator and waits until it is ready. Throws `EmulatorError` at once for
    /// bad options, a missing `necid`, or an emulator that exits first (with its output).
    public init(_ options: EmulatorOptions = EmulatorOptions()) throws {
        guard ["deterministic", "real"].contains(options.engine) else {
            throw EmulatorError.invalidOption("unknown engine '\(options.engine)': choose 'deterministic' (fast, the same picture matches) or 'real' (the offline face engine)")
        }
        guard ["memory", "sqlite"].contains(options.storage) else {
            throw EmulatorError.invalidOption("unknown storage '\(options.storage)': choose 'memory' or 'sqlite'")
        }
        var isDir: ObjCBool = false
        if let seed = options.seed, !(FileManager.default.fileExists(atPath: seed, isDirectory: &isDir) && isDir.boolValue) {
            throw EmulatorError.invalidOption("the seed folder \(seed) does not exist or is not a folder")
        }
        guard (0...65535).contains(options.port) else {
            throw EmulatorError.invalidOption("port \(options.port) is out of range (0-65535; 0 picks a free port)")
        }
        let exe = try Emulator.findBinary(options.binary)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("necid-emulator-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let ready = dir.appendingPathComponent("ready.json")
        var args = ["serve", "--engine", options.engine, "--port", String(options.port),
                    "--ready-file", ready.path, "--bucket-dir", dir.appendingPathComponent("buckets").path,
                    "--stop-on-stdin-eof"]
        if options.storage == "memory" { args.append("--memory") } else { args += ["--db", dir.appendingPathComponent("emulator.db").path] }
        if let seed = options.seed { args += ["--seed", seed] }
        if let faults = options.faults {
            let trimmed = faults.trimmingCharacters(in: .whitespacesAndNewlines)
            let plan = trimmed.hasPrefix("[") ? "{\"rules\": \(trimmed)}" : trimmed
            let file = dir.appendingPathComponent("faults.json")
            try plan.write(to: file, atomically: true, encoding: .utf8)
            args += ["--faults", file.path]
        }
        if options.record { args += ["--record", dir.appendingPathComponent("record").path] }
        if options.lenient { args.append("--lenient") }
        if options.tls { args += ["--tls", "--tls-ca-file", dir.appendingPathComponent("ca.pem").path] }
        args += options.extraArgs
        // The emulator reads no client settings: keep the caller's NECID_* away from it.
        let env = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("NECID_") }.map { "\($0.key)=\($0.value)" }
        let log = dir.appendingPathComponent("serve.log").path
        let spawned: (pid_t, Int32)
        do {
            spawned = try spawnWithStdinPipe(exe, args, env, log: log)
        } catch {
            try? FileManager.default.removeItem(at: dir)
            throw error
        }
        let (pid, fd) = spawned
        self.options = options
        self.pid = pid
        self.stdinFd = fd
        self.dir = dir
        let deadline = Date().addingTimeInterval(options.startupTimeout)
        var found: EmulatorInfo? = nil
        while found == nil {
            if let data = try? Data(contentsOf: ready), !data.isEmpty,
               let o = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] {
                func s(_ k: String) -> String { (o[k] as? String) ?? "" }
                found = EmulatorInfo(endpoint: s("endpoint"), tenantEndpoint: s("tenantEndpoint"), region: s("region"),
                                     accessKeyId: s("accessKeyId"), secretAccessKey: s("secretAccessKey"), apiKey: s("apiKey"),
                                     bucketDir: (o["bucketDir"] as? String) ?? dir.appendingPathComponent("buckets").path,
                                     caFile: o["caFile"] as? String, adminEndpoint: s("adminEndpoint"), adminToken: s("adminToken"),
                                     clientCertFile: o["clientCertFile"] as? String, clientKeyFile: o["clientKeyFile"] as? String)
                break
            }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let out = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                close(fd)
                try? FileManager.default.removeItem(at: dir)
                throw EmulatorError.startFailed("the emulator exited (wait status \(status)) before it was ready:\n\(out)")
            }
            if Date() > deadline {
                let out = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
                Emulator.kill(pid: pid, stdin: fd)
                try? FileManager.default.removeItem(at: dir)
                throw EmulatorError.startFailed("the emulator was not ready after \(Int(options.startupTimeout)) s:\n\(out)")
            }
            usleep(20_000)
        }
        self.info = found!
    }

    deinit { stop() }

    /// Stops the emulator (stdin closed and SIGTERM, SIGKILL after 10 s) and removes its
    /// temporary folder. Safe to call twice.
    public func stop() {
        lock.lock()
        defer { lock.unlock() }
        guard pid != 0 else { return }
        Emulator.kill(pid: pid, stdin: stdinFd)
        pid = 0
        stdinFd = -1
        try? FileManager.default.removeItem(at: dir)
    }

    private static func kill(pid: pid_t, stdin fd: Int32) {
        if fd >= 0 { close(fd) }
        _ = sendSignal(pid, SIGTERM)
        var status: Int32 = 0
        for _ in 0..<1000 {
            if waitpid(pid, &status, WNOHANG) != 0 { return }
            usleep(10_000)
        }
        _ = sendSignal(pid, SIGKILL)
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    /// Closes our end of the emulator's stdin without signalling it: what happens when this
    /// process dies (tests only).
    func closeStdinForTesting() {
        lock.lock()
        defer { lock.unlock() }
        if stdinFd >= 0 { close(stdinFd) }
        stdinFd = -1
    }

    /// What the emulator printed so far.
    public func output() -> String {
        (try? String(contentsOfFile: dir.appendingPathComponent("serve.log").path, encoding: .utf8)) ?? ""
    }

    /// A config builder with the emulator's endpoints, region, dev credentials, the default
    /// gallery's API key (or `apiKey`) and, with `tls`, its CA.
    public func builder(apiKey: String? = nil) -> ConfigBuilder {
        let b = ConfigBuilder()
            .endpoint(value: info.endpoint)
            .tenantEndpoint(value: info.tenantEndpoint)
            .region(value: info.region)
            .accessKeyId(value: info.accessKeyId)
            .secretAccessKey(value: info.secretAccessKey)
            .apiKey(value: apiKey ?? info.apiKey)
        if let ca = info.caFile { return b.caBundle(path: ca) }
        return b
    }

    /// A client for the default gallery (or the gallery of `apiKey`).
    public func client(apiKey: String? = nil) throws -> Client {
        try Client(config: builder(apiKey: apiKey).build())
    }

    /// A client bound to a new, empty gallery, and the gallery (delete it with
    /// `client().deleteGallery(galleryId:)`, or let the emulator go with it).
    public func newGallery() async throws -> (Gallery, Client) {
        let g = try await client().createGallery(gallery: NewGallery(name: "test-\(UUID().uuidString.prefix(12))"))
        guard let key = g.apiKey?.expose() else { throw EmulatorError.startFailed("createGallery returned no API key") }
        return (g, try client(apiKey: key))
    }

    /// The `necid` executable: `explicit`, else `$NECID_BIN`, else a packaged one (none in
    /// the Swift package: the CLI archive necid-VERSION-<platform>.tar.gz is its side
    /// artifact), else `necid` on `PATH`. Throws `EmulatorError.notFound` naming all four.
    public static func findBinary(_ explicit: String? = nil,
                                  environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
        let fm = FileManager.default
        if let p = explicit {
            guard fm.isExecutableFile(atPath: p) else { throw EmulatorError.notFound("the necid executable given (\(p)) does not exist") }
            return p
        }
        if let env = environment["NECID_BIN"], !env.isEmpty {
            guard fm.isExecutableFile(atPath: env) else {
                throw EmulatorError.notFound("NECID_BIN is set to \(env), which does not exist (unset it to use the necid on PATH)")
            }
            return env
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") where !dir.isEmpty {
            let p = "\(dir)/necid"
            if fm.isExecutableFile(atPath: p) { return p }
        }
        throw EmulatorError.notFound(
            "no necid executable found; looked at, in order: (1) the binary option (not given), (2) the NECID_BIN " +
            "environment variable (not set), (3) a packaged one (the Swift package does not carry necid: unpack the " +
            "CLI archive necid-VERSION-<platform>.tar.gz), (4) necid on PATH (none). Set NECID_BIN or put necid on PATH.")
    }
}

extension XCTestCase {
    /// Starts an emulator that is stopped when this test ends, whether it passed or not.
    public func startEmulator(_ options: EmulatorOptions = EmulatorOptions()) throws -> Emulator {
        let emu = try Emulator(options)
        addTeardownBlock { emu.stop() }
        return emu
    }
}

private func sendSignal(_ pid: pid_t, _ sig: Int32) -> Int32 {
    #if canImport(Glibc)
    return Glibc.kill(pid, sig)
    #else
    return Darwin.kill(pid, sig)
    #endif
}

/// Starts `path` with its stdin on a pipe whose write end only this process holds
/// (close-on-exec), stdout/stderr to `log`, an empty signal mask and default signal
/// dispositions (the XCTest runner blocks SIGTERM in its threads; children would inherit
/// that). Returns the pid and the pipe's write end.
private func spawnWithStdinPipe(_ path: String, _ args: [String], _ env: [String], log: String) throws -> (pid_t, Int32) {
    var fds: [Int32] = [0, 0]
    guard pipe(&fds) == 0 else { throw EmulatorError.startFailed("pipe() failed") }
    _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
    #if os(Linux)
    var actions = posix_spawn_file_actions_t()
    var attr = posix_spawnattr_t()
    #else
    var actions: posix_spawn_file_actions_t? = nil
    var attr: posix_spawnattr_t? = nil
    #endif
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawnattr_init(&attr)
    defer { posix_spawnattr_destroy(&attr) }
    posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
    posix_spawn_file_actions_addclose(&actions, fds[0])
    posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    var none = sigset_t()
    sigemptyset(&none)
    posix_spawnattr_setsigmask(&attr, &none)
    var all = sigset_t()
    sigfillset(&all)
    posix_spawnattr_setsigdefault(&attr, &all)
    posix_spawnattr_setflags(&attr, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    func cStrings(_ a: [String]) -> [UnsafeMutablePointer<CChar>?] { a.map { strdup($0) } + [nil] }
    let argv = cStrings([path] + args)
    let envp = cStrings(env)
    defer { (argv + envp).forEach { free($0) } }
    var pid: pid_t = 0
    let rc = posix_spawn(&pid, path, &actions, &attr, argv, envp)
    close(fds[0])
    guard rc == 0 else {
        close(fds[1])
        throw EmulatorError.startFailed("could not run \(path): \(String(cString: strerror(rc)))")
    }
    return (pid, fds[1])
}
