import Foundation
import XCTest
@testable import Necid
import NecidTesting
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Repository root: this file is bindings/uniffi/swift/Tests/NecidTests/Support.swift.
let repoRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

func face(_ name: String) throws -> Data {
    try Data(contentsOf: repoRoot.appendingPathComponent("cli/assets/faces/\(name)"))
}

enum SupportError: Error { case emulator(String) }

/// The emulators the tests share, started through NecidTesting (the users' helper): one
/// per test process (plain and TLS), stopped at exit, and by the emulator itself when the
/// test process dies (`--stop-on-stdin-eof`). Binary: NECID_BIN, else the workspace's dev build.
final class SharedEmulator {
    static let shared: Result<SharedEmulator, Error> = Result { try SharedEmulator(tls: false) }
    static func get() throws -> SharedEmulator { try shared.get() }
    static let sharedTls: Result<SharedEmulator, Error> = Result { try SharedEmulator(tls: true) }
    static func tls() throws -> SharedEmulator { try sharedTls.get() }

    let emulator: NecidTesting.Emulator
    var info: NecidTesting.EmulatorInfo { emulator.info }

    private init(tls: Bool) throws {
        emulator = try NecidTesting.Emulator(EmulatorOptions(tls: tls, binary: devBinary()))
        _ = registerAtExit
        started.append(emulator)
    }

    /// The emulator's settings without an API key.
    func builder() -> ConfigBuilder {
        ConfigBuilder()
            .endpoint(value: info.endpoint)
            .tenantEndpoint(value: info.tenantEndpoint)
            .region(value: info.region)
            .accessKeyId(value: info.accessKeyId)
            .secretAccessKey(value: info.secretAccessKey)
    }

    /// A client for the default gallery.
    func client() throws -> Client { try Client(config: builder().apiKey(value: info.apiKey).build()) }

    /// A client for the tenant API.
    func tenant() throws -> Client { try Client(config: builder().build()) }

    /// A fresh gallery and a client bound to it through the gallery's new API key.
    func galleryClient(minQuality: Double? = nil) async throws -> (Gallery, Client) {
        let g = try await tenant().createGallery(gallery: NewGallery(
            name: "swift-\(UUID().uuidString)", faceMinimumQualityScore: minQuality))
        let key = try XCTUnwrap(g.apiKey).expose()
        return (g, try Client(config: builder().apiKey(value: key).build()))
    }
}

/// NECID_BIN (the suite's) when set, else the workspace's dev build (nil: the lookup order).
func devBinary() -> String? {
    if let b = ProcessInfo.processInfo.environment["NECID_BIN"], !b.isEmpty { return b }
    let dev = repoRoot.appendingPathComponent("target/x86_64-unknown-linux-gnu/debug/necid").path
    return FileManager.default.isExecutableFile(atPath: dev) ? dev : nil
}

private var started: [NecidTesting.Emulator] = []
private let registerAtExit: Void = {
    atexit { started.forEach { $0.stop() } }
}()

/// PNG-free test pictures: uncompressed 24-bit BMPs (the emulator decodes BMP).
func bmp(width: Int, height: Int, seed: UInt64? = nil) -> Data {
    let rowBytes = (width * 3 + 3) & ~3
    let pixelBytes = rowBytes * height
    var d = Data()
    func le32(_ v: Int) { withUnsafeBytes(of: UInt32(v).littleEndian) { d.append(contentsOf: $0) } }
    func le16(_ v: Int) { withUnsafeBytes(of: UInt16(v).littleEndian) { d.append(contentsOf: $0) } }
    d.append(contentsOf: [0x42, 0x4D]); le32(54 + pixelBytes); le32(0); le32(54)
    le32(40); le32(width); le32(height); le16(1); le16(24); le32(0); le32(pixelBytes); le32(2835); le32(2835); le32(0); le32(0)
    var state = seed ?? 0
    for _ in 0..<height {
        for _ in 0..<width {
            if seed == nil {
                d.append(contentsOf: [0x80, 0x80, 0x80])
            } else {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                d.append(contentsOf: [UInt8(truncatingIfNeeded: state >> 24), UInt8(truncatingIfNeeded: state >> 32), UInt8(truncatingIfNeeded: state >> 40)])
            }
        }
        d.append(contentsOf: [UInt8](repeating: 0, count: rowBytes - width * 3))
    }
    return d
}

/// A scripted HTTP/1.1 server on loopback. A mock, used only where a fault must be
/// injected that the emulator cannot produce on demand (429, 5xx, the service's Timeout
/// error, an unreadable body, a response that never comes). `respond` maps a request
/// path to (status, body, extra headers), or nil to never answer.
final class FaultServer {
    let endpoint: String
    private let fd: Int32

    init(respond: @escaping @Sendable (String) -> (Int, String, [String: String])?) throws {
        #if os(Linux)
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let sock = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard sock >= 0 else { throw SupportError.emulator("socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sock, $0, len) }
        }
        guard bound == 0, listen(sock, 64) == 0 else {
            close(sock)
            throw SupportError.emulator("bind/listen failed")
        }
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) }
        }
        fd = sock
        endpoint = "http://127.0.0.1:\(UInt16(bigEndian: addr.sin_port))"
        Thread.detachNewThread {
            while true {
                let conn = accept(sock, nil, nil)
                if conn < 0 { return }
                Thread.detachNewThread { FaultServer.serve(conn, respond) }
            }
        }
    }

    private static func serve(_ conn: Int32, _ respond: (String) -> (Int, String, [String: String])?) {
        defer { close(conn) }
        var request = [UInt8]()
        var buf = [UInt8](repeating: 0, count: 65536)
        var expected: Int? = nil
        while expected == nil || request.count < expected! {
            let n = read(conn, &buf, buf.count)
            if n <= 0 { return }
            request.append(contentsOf: buf[0..<n])
            if expected == nil, let text = String(bytes: request, encoding: .utf8),
               let headEnd = text.range(of: "\r\n\r\n") {
                let head = text[..<headEnd.lowerBound].lowercased()
                let bodyLen = head.split(separator: "\r\n")
                    .first { $0.hasPrefix("content-length:") }
                    .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
                expected = text.utf8.distance(from: text.utf8.startIndex, to: headEnd.upperBound) + bodyLen
            }
        }
        let line = String(decoding: request.prefix { $0 != 13 }, as: UTF8.self)
        let target = line.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        let path = String(target.split(separator: "?").first ?? "/")
        guard let reply = respond(path) else {
            // Never answer; the client gives up (or is cancelled) and closes.
            _ = read(conn, &buf, buf.count)
            return
        }
        let (status, body, headers) = reply
        var head = "HTTP/1.1 \(status) X\r\ncontent-type: application/json\r\ncontent-length: \(body.utf8.count)\r\nconnection: close\r\n"
        for (k, v) in headers { head += "\(k): \(v)\r\n" }
        let bytes = Array((head + "\r\n" + body).utf8)
        _ = bytes.withUnsafeBytes { write(conn, $0.baseAddress, bytes.count) }
    }

    /// A client for this server with retries off (each fault is seen once).
    func client(requestTimeout: TimeInterval = 30) throws -> Client {
        try Client(config: ConfigBuilder()
            .endpoint(value: endpoint).tenantEndpoint(value: endpoint)
            .accessKeyId(value: "AKIDFAULTSERVER00001").secretAccessKey(value: "fault-secret").apiKey(value: "fault-api-key")
            .requestTimeout(value: requestTimeout)
            .retryPolicy(maxAttempts: 1, baseDelay: 0.001, maxDelay: 0.001)
            .build())
    }

    deinit {
        // Wakes the accept loop (it then returns) and frees the port.
        _ = shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }
}

/// Asserts that `body` throws a `NecIdError` and returns it.
func expectError<T>(_ body: () async throws -> T, file: StaticString = #filePath, line: UInt = #line) async -> NecIdError? {
    do {
        _ = try await body()
        XCTFail("expected a NecIdError", file: file, line: line)
    } catch let e as NecIdError {
        return e
    } catch {
        XCTFail("expected a NecIdError, got \(error)", file: file, line: line)
    }
    return nil
}
