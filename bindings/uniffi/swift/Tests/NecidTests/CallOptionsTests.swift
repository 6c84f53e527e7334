import Foundation
import XCTest
@testable import Necid
import NecidTesting
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Per-call options on a client view (`withOptions`), the cancel token, response metadata
/// and the log listener, against emulators of the tests' own (their fault rules give the
/// 503s and the latency; mirrors the Kotlin CallOptionsTest). A TCP forwarder in front of
/// the emulator (`WireWatch`) shows that a cancelled call closes its connection while the
/// emulator still holds the answer back.
final class CallOptionsTests: XCTestCase {
    private let latency = #"[{"path": "/v1.1/tags", "fault": "latency", "delay": {"ms": 3000}}]"#
    private let one503 = #"[{"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 503, "count": 1}]"#

    private func emulator(faults: String? = nil) throws -> NecidTesting.Emulator {
        try startEmulator(EmulatorOptions(faults: faults, record: true, binary: devBinary()))
    }

    /// A client of `emu` retrying up to `maxAttempts` times, quickly.
    private func client(_ emu: NecidTesting.Emulator, maxAttempts: UInt32, endpoint: String? = nil) throws -> Client {
        var b = emu.builder().retryPolicy(maxAttempts: maxAttempts, baseDelay: 0.01, maxDelay: 0.05)
        if let endpoint = endpoint { b = b.endpoint(value: endpoint) }
        return try Client(config: b.build())
    }

    func testMetadataOfTheLastCall() async throws {
        let emu = try emulator(faults: one503)
        let c = try client(emu, maxAttempts: 3)
        XCTAssertNil(c.lastMetadata())
        let view = try c.withOptions(options: CallOptions())
        XCTAssertNil(view.lastMetadata())
        _ = try await view.listTags()
        let m = try XCTUnwrap(view.lastMetadata())
        XCTAssertEqual(m.status, 200)
        XCTAssertEqual(m.attempts, 2, "one 503, then the answer")
        XCTAssertEqual(m.clockSkewMs, 0)
        XCTAssertEqual(m.requestId?.count, 36, "\(m)")
        try await view.createTag(name: "swift-meta")
        XCTAssertEqual(view.lastMetadata()?.attempts, 1)
        XCTAssertNotEqual(view.lastMetadata()?.requestId, m.requestId)
    }

    func testMaxAttemptsHeadersAndDeadline() async throws {
        let emu = try emulator(faults: #"[{"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 503, "count": 2}]"#)
        let c = try client(emu, maxAttempts: 1)
        // maxAttempts overrides the client's (1): the first 503 fails, 3 attempts get past the second.
        let once = await expectError { try await c.withOptions(options: CallOptions(maxAttempts: 1)).listTags() }
        XCTAssertEqual(once?.kind, "Server")
        let view3 = try c.withOptions(options: CallOptions(maxAttempts: 3))
        _ = try await view3.listTags()
        XCTAssertEqual(view3.lastMetadata()?.attempts, 2)

        // Extra headers are sent and signed (the emulator checks the signature).
        try await c.withOptions(options: CallOptions(headers: ["X-Correlation-Id": "swift-4711"])).createTag(name: "swift-traced")
        let posts = try await admin(emu, "GET", "/requests?method=POST&path=/v1.1/tags") as? [String: Any]
        let last = try XCTUnwrap((posts?["requests"] as? [[String: Any]])?.last)
        XCTAssertEqual((last["headers"] as? [String: Any])?["x-correlation-id"] as? String, "swift-4711", "\(last)")
        // The SDK's own headers are refused when the view is made.
        for name in ["Authorization", "x-api-key", "X-Amz-Date", "host"] {
            do {
                _ = try c.withOptions(options: CallOptions(headers: [name: "x"]))
                XCTFail("\(name) was accepted")
            } catch let e as NecIdError {
                XCTAssertEqual(e.kind, "InvalidInput")
                XCTAssertEqual(e.field, "headers")
            }
        }

        // A deadline for the whole call: TimedOut long before the emulator's 3 s answer.
        _ = try await admin(emu, "PUT", "/faults", #"{"seed": 1, "rules": \#(latency)}"#)
        let started = Date()
        let late = await expectError { try await c.withOptions(options: CallOptions(deadline: 0.3)).listTags() }
        XCTAssertEqual(late?.kind, "TimedOut")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.5)
    }

    func testACancelTokenStopsTheCallOnTheWire() async throws {
        let emu = try emulator(faults: latency)
        let wire = try WireWatch(upstream: emu.endpoint)
        defer { wire.close() }
        let c = try client(emu, maxAttempts: 3, endpoint: wire.endpoint)
        let token = CancelToken()
        let view = try c.withOptions(options: CallOptions(cancel: token))
        let canceller = Task {
            try await Task.sleep(nanoseconds: 200_000_000)
            token.cancel()
        }
        let started = Date()
        let e = await expectError { try await view.listTags() }
        XCTAssertEqual(e?.kind, "Cancelled", "\(String(describing: e))")
        XCTAssertLessThan(Date().timeIntervalSince(started), 2.5, "the call did not wait for the answer")
        _ = try await canceller.value
        let closed = await wire.waitClosed(1, timeout: 1)
        XCTAssertTrue(closed, "the client closed the connection before the emulator answered")
        XCTAssertTrue(token.isCancelled())
        // Cancelled for good: a later call on the view sends nothing.
        let again = await expectError { try await view.health() }
        XCTAssertEqual(again?.kind, "Cancelled")
        XCTAssertEqual(wire.opened, 1, "a cancelled token sends nothing")
        // The client itself is not affected: its next call opens a new connection.
        let h = try await c.health()
        XCTAssertTrue(h.ok)
        XCTAssertEqual(wire.opened, 2)
    }

    func testTaskCancellationStopsWithTaskCancellationOnTheWire() async throws {
        let emu = try emulator(faults: latency)
        let wire = try WireWatch(upstream: emu.endpoint)
        defer { wire.close() }
        let c = try client(emu, maxAttempts: 3, endpoint: wire.endpoint)
        let task = Task { try await c.withTaskCancellation { try await $0.listTags() } }
        let sent = Date().addingTimeInterval(5)
        while wire.opened < 1 && Date() < sent { try await Task.sleep(nanoseconds: 10_000_000) }
        XCTAssertEqual(wire.opened, 1, "the call reached the wire")
        try await Task.sleep(nanoseconds: 100_000_000)
        let started = Date()
        task.cancel()
        let result = await task.result
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5, "the call did not wait for the answer")
        guard case .failure(let error) = result, error is CancellationError else {
            return XCTFail("expected CancellationError, got \(result)")
        }
        let closed = await wire.waitClosed(1, timeout: 1)
        XCTAssertTrue(closed, "cancelling the Task closed the connection before the emulator answered")

        // A Task cancelled before the call: nothing is sent.
        let early = Task { () async throws -> Bool in
            withUnsafeCurrentTask { $0?.cancel() }
            return try await c.withTaskCancellation { try await $0.health().ok }
        }
        let earlyResult = await early.result
        guard case .failure(let earlyError) = earlyResult, earlyError is CancellationError else {
            return XCTFail("expected CancellationError, got \(earlyResult)")
        }
        XCTAssertEqual(wire.opened, 1)

        // Not cancelled: the answer, with the options given (metadata recorded by the view).
        let (ok, attempts) = try await c.withTaskCancellation(options: CallOptions(maxAttempts: 1)) {
            (v: Client) async throws -> (Bool, UInt32?) in
            let ok = try await v.health().ok
            return (ok, v.lastMetadata()?.attempts)
        }
        XCTAssertTrue(ok)
        XCTAssertEqual(attempts, 1)
        XCTAssertEqual(wire.opened, 2)
    }

    func testLogEventsReachTheListenerWithoutSecrets() async throws {
        let emu = try emulator(faults: one503)
        let events = LogEvents()
        defer { try? setLogListener(listener: nil, level: "off") }
        try setLogListener(listener: events, level: "debug")
        let c = try client(emu, maxAttempts: 3)
        let view = try c.withOptions(options: CallOptions())
        _ = try await view.listTags()
        var all = events.take()
        let text = all.map { $0.message }.joined(separator: "\n")
        XCTAssertTrue(all.contains { $0.level == "info" && $0.message.contains("retrying") }, text)
        XCTAssertTrue(all.contains { $0.level == "debug" }, text)
        let requestId = try XCTUnwrap(view.lastMetadata()?.requestId)
        XCTAssertTrue(text.contains(requestId), text)
        for secret in [emu.info.secretAccessKey, emu.info.apiKey] {
            XCTAssertFalse(all.contains { $0.message.contains(secret) || $0.target.contains(secret) }, "a secret was logged")
        }

        // Levels are respected: at info, nothing below info arrives.
        try setLogListener(listener: events, level: "info")
        _ = try await admin(emu, "PUT", "/faults", #"{"seed": 1, "rules": \#(one503)}"#)
        _ = try await view.listTags()
        all = events.take()
        XCTAssertFalse(all.isEmpty, "the retry is logged at info")
        XCTAssertTrue(all.allSatisfy { ["info", "warn", "error"].contains($0.level) }, "\(all.map { $0.level })")

        // Off: nothing at all.
        try setLogListener(listener: nil, level: "off")
        _ = try await view.health()
        XCTAssertTrue(events.take().isEmpty)

        do {
            try setLogListener(listener: events, level: "loud")
            XCTFail("an unknown level was accepted")
        } catch let e as NecIdError {
            XCTAssertEqual(e.kind, "InvalidInput")
        }
    }

    /// The emulator's admin API (`/_admin/v1`): the JSON answer, if any.
    private func admin(_ emu: NecidTesting.Emulator, _ method: String, _ path: String, _ body: String? = nil) async throws -> Any? {
        var req = URLRequest(url: try XCTUnwrap(URL(string: emu.info.adminEndpoint + path)))
        req.httpMethod = method
        req.setValue("Bearer " + emu.info.adminToken, forHTTPHeaderField: "Authorization")
        if let body = body {
            req.httpBody = Data(body.utf8)
            req.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let (data, status): (Data, Int) = try await withCheckedThrowingContinuation { cont in
            URLSession.shared.dataTask(with: req) { d, r, err in
                if let err = err {
                    cont.resume(throwing: err)
                } else {
                    cont.resume(returning: (d ?? Data(), (r as? HTTPURLResponse)?.statusCode ?? 0))
                }
            }.resume()
        }
        guard (200..<300).contains(status) else {
            throw SupportError.emulator("admin \(method) \(path): \(status) \(String(decoding: data, as: UTF8.self))")
        }
        return data.isEmpty ? nil : try JSONSerialization.jsonObject(with: data)
    }
}

/// Collects log events (called on SDK threads).
final class LogEvents: LogListener, @unchecked Sendable {
    struct Event { let level: String; let target: String; let message: String }
    private let lock = NSLock()
    private var events: [Event] = []

    func onLog(level: String, target: String, message: String) {
        lock.lock()
        events.append(Event(level: level, target: target, message: message))
        lock.unlock()
    }

    /// The events so far, emptying the list.
    func take() -> [Event] {
        lock.lock()
        defer { lock.unlock() }
        let all = events
        events = []
        return all
    }
}

/// A TCP forwarder on loopback in front of the emulator: passes the bytes both ways as they
/// are (not a mock: the emulator answers) and counts the connections opened and those the
/// client closed (its side reached end of stream).
final class WireWatch: @unchecked Sendable {
    let endpoint: String
    private let fd: Int32
    private let counts = Counts()

    final class Counts: @unchecked Sendable {
        private let lock = NSLock()
        private var o = 0, c = 0
        var opened: Int { lock.lock(); defer { lock.unlock() }; return o }
        var closed: Int { lock.lock(); defer { lock.unlock() }; return c }
        func noteOpened() { lock.lock(); o += 1; lock.unlock() }
        func noteClosed() { lock.lock(); c += 1; lock.unlock() }
    }

    /// One forwarded connection: the first pump to end shuts the other direction down, the
    /// last closes both sockets.
    private final class Pair: @unchecked Sendable {
        let client: Int32, up: Int32
        private let lock = NSLock()
        private var running = 2
        init(client: Int32, up: Int32) { self.client = client; self.up = up }

        func ended(clientSide: Bool) {
            lock.lock()
            defer { lock.unlock() }
            if clientSide {
                _ = shutdown(up, Int32(SHUT_RDWR))
            } else {
                _ = shutdown(client, Int32(SHUT_WR))
            }
            running -= 1
            if running == 0 {
                sysClose(client)
                sysClose(up)
            }
        }
    }

    var opened: Int { counts.opened }
    var closed: Int { counts.closed }

    init(upstream: String) throws {
        guard let port = URL(string: upstream)?.port.map({ UInt16($0) }) else {
            throw SupportError.emulator("no port in \(upstream)")
        }
        let sock = try WireWatch.socketTo(port: 0, listen: true)
        fd = sock
        var addr = sockaddr_in()
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(sock, $0, &len) }
        }
        endpoint = "http://127.0.0.1:\(UInt16(bigEndian: addr.sin_port))"
        let counts = self.counts
        Thread.detachNewThread {
            while true {
                let conn = accept(sock, nil, nil)
                if conn < 0 { return }
                counts.noteOpened()
                guard let up = try? WireWatch.socketTo(port: port, listen: false) else {
                    sysClose(conn)
                    continue
                }
                let pair = Pair(client: conn, up: up)
                Thread.detachNewThread {
                    WireWatch.pump(from: up, to: conn)
                    pair.ended(clientSide: false)
                }
                Thread.detachNewThread {
                    WireWatch.pump(from: conn, to: up)
                    counts.noteClosed()
                    pair.ended(clientSide: true)
                }
            }
        }
    }

    /// Waits until `n` connections were closed by the client, at most `timeout` seconds.
    func waitClosed(_ n: Int, timeout: TimeInterval) async -> Bool {
        let until = Date().addingTimeInterval(timeout)
        while counts.closed < n && Date() < until {
            try? await Task.sleep(nanoseconds: 10_000_000)
        }
        return counts.closed >= n
    }

    /// Stops accepting (connections already forwarded go on until either side closes).
    func close() {
        _ = shutdown(fd, Int32(SHUT_RDWR))
        sysClose(fd)
    }

    /// A loopback TCP socket: listening on `port` (0: a free one), or connected to it.
    private static func socketTo(port: UInt16, listen: Bool) throws -> Int32 {
        #if os(Linux)
        let sock = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let sock = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard sock >= 0 else { throw SupportError.emulator("socket() failed") }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = port.bigEndian
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let rc = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                listen ? (bind(sock, $0, len) == 0 && sysListen(sock, 16) == 0 ? 0 : -1) : connect(sock, $0, len)
            }
        }
        guard rc == 0 else {
            sysClose(sock)
            throw SupportError.emulator(listen ? "bind/listen failed" : "connect to port \(port) failed")
        }
        return sock
    }

    /// Copies `from` to `to` until `from` ends or `to` fails.
    private static func pump(from: Int32, to: Int32) {
        var buf = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = read(from, &buf, buf.count)
            if n <= 0 { return }
            var off = 0
            while off < n {
                let w = buf.withUnsafeBytes { send(to, $0.baseAddress! + off, n - off, noSigPipe) }
                if w <= 0 { return }
                off += w
            }
        }
    }
}

// The C functions under names the class's own `close()` and `listen:` do not shadow.
private func sysClose(_ fd: Int32) { _ = close(fd) }
private func sysListen(_ fd: Int32, _ backlog: Int32) -> Int32 { listen(fd, backlog) }
#if os(Linux)
/// A peer gone is an error from send, not a SIGPIPE for the test process.
private let noSigPipe = Int32(MSG_NOSIGNAL)
#else
private let noSigPipe: Int32 = 0
#endif
