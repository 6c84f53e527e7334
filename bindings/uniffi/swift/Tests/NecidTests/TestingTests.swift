import Foundation
import XCTest
import Necid
@testable import NecidTesting
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The process `pid` is running (in the process table and not a zombie).
func running(_ pid: pid_t) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let paren = stat.lastIndex(of: ")") else { return false }
    return !stat[paren...].hasPrefix(") Z")
}

/// NecidTesting itself: options, clear errors, and no emulator left behind.
final class TestingTests: XCTestCase {
    private var startedPid: pid_t = 0

    override func tearDown() {
        // Teardown blocks (startEmulator's stop) ran before this, also for a failed test.
        if startedPid != 0 { XCTAssertFalse(running(startedPid), "the emulator outlived its test") }
        super.tearDown()
    }

    func testStartEmulatorStopsWithTheTest() async throws {
        let emu = try startEmulator(EmulatorOptions(storage: "sqlite", binary: devBinary()))
        startedPid = emu.pid
        XCTAssertTrue(running(emu.pid))
        let tags = try await emu.client().listTags()
        XCTAssertEqual(tags.count, 0)
        XCTAssertFalse(String(describing: emu.info).contains(emu.info.secretAccessKey))
    }

    func testTheEmulatorStopsWhenItsParentGoes() throws {
        let emu = try Emulator(EmulatorOptions(binary: devBinary()))
        let pid = emu.pid
        emu.closeStdinForTesting()  // what the kernel does when this process dies
        var status: Int32 = 0
        var exited = false
        for _ in 0..<300 where !exited {
            exited = waitpid(pid, &status, WNOHANG) == pid
            if !exited { usleep(50_000) }
        }
        XCTAssertTrue(exited, "the emulator did not stop at the end of its stdin")
        emu.stop()
    }

    func testBadArgumentsFailFast() throws {
        XCTAssertThrowsError(try Emulator(EmulatorOptions(engine: "nope", binary: devBinary()))) {
            XCTAssertTrue("\($0)".contains("unknown engine 'nope'"), "\($0)")
        }
        XCTAssertThrowsError(try Emulator(EmulatorOptions(seed: "/nonexistent/faces", binary: devBinary()))) {
            XCTAssertTrue("\($0)".contains("the seed folder /nonexistent/faces does not exist"), "\($0)")
        }
        // A port in use: the emulator's own message, at once.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { p -> Bool in
                bind(fd, p, len) == 0 && listen(fd, 1) == 0 && getsockname(fd, p, &len) == 0
            }
        }
        XCTAssertTrue(bound)
        let port = Int(UInt16(bigEndian: addr.sin_port))
        let t = Date()
        XCTAssertThrowsError(try Emulator(EmulatorOptions(port: port, binary: devBinary()))) {
            XCTAssertTrue("\($0)".contains("exited") && "\($0)".contains("\(port)"), "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(t), 20)
    }

    func testNoNecidNamesTheFourPlaces() {
        XCTAssertThrowsError(try Emulator.findBinary(nil, environment: ["PATH": "/nonexistent"])) {
            let m = "\($0)"
            for what in ["binary option", "NECID_BIN", "packaged", "necid on PATH"] {
                XCTAssertTrue(m.contains(what), "the error does not name \(what): \(m)")
            }
        }
        XCTAssertThrowsError(try Emulator.findBinary(nil, environment: ["NECID_BIN": "/nonexistent/necid"])) {
            XCTAssertTrue("\($0)".contains("NECID_BIN is set to /nonexistent/necid"), "\($0)")
        }
    }

    func testTlsSeedAndFaults() async throws {
        let seed = FileManager.default.temporaryDirectory.appendingPathComponent("necid-swift-seed-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: seed, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: seed) }
        try face("obama.jpg").write(to: seed.appendingPathComponent("obama.jpg"))
        let faults = #"[{"method": "GET", "path": "/v1.1/tags", "fault": "error", "status": 429, "retryAfter": 0, "count": 1}]"#
        let emu = try startEmulator(EmulatorOptions(seed: seed.path, faults: faults, tls: true, binary: devBinary()))
        startedPid = emu.pid
        XCTAssertTrue(emu.endpoint.hasPrefix("https://"))
        let c = try Client(config: emu.builder().maxAttempts(value: 1).build())
        do {
            _ = try await c.listTags()
            XCTFail("the fault rule did not apply")
        } catch NecIdError.Throttled {
        }
        let hits = try await c.search(probe: try face("obama.jpg"))
        XCTAssertEqual(hits.candidates.count, 1)
    }
}
