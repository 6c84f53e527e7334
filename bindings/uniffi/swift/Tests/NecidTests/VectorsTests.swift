import Foundation
import XCTest
@testable import Necid

/// The shared SigV4 vectors (tests/vectors/*.json): signRequestAt must reproduce each.
final class VectorsTests: XCTestCase {
    func testSharedSigningVectors() throws {
        let dir = repoRoot.appendingPathComponent("tests/vectors")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "json" }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
        XCTAssertFalse(files.isEmpty, "no vectors in \(dir.path)")
        let iso = ISO8601DateFormatter()
        for file in files {
            let v = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
            let creds = try XCTUnwrap(v["credentials"] as? [String: Any])
            var b = ConfigBuilder()
                .region(value: try XCTUnwrap(v["region"] as? String))
                .service(value: try XCTUnwrap(v["service"] as? String))
                .accessKeyId(value: try XCTUnwrap(creds["access_key_id"] as? String))
                .secretAccessKey(value: try XCTUnwrap(creds["secret_access_key"] as? String))
            if let token = creds["session_token"] as? String { b = b.sessionToken(value: token) }
            if let key = v["api_key"] as? String { b = b.apiKey(value: key) }
            let req = try XCTUnwrap(v["request"] as? [String: Any])
            let headers = try XCTUnwrap(req["headers"] as? [[String]]).map { HttpHeader(name: $0[0], value: $0[1]) }
            let time = try XCTUnwrap(iso.date(from: try XCTUnwrap(v["time"] as? String)))
            let got = try Client(config: b.build()).signRequestAt(
                method: try XCTUnwrap(req["method"] as? String), url: try XCTUnwrap(req["url"] as? String),
                headers: headers, body: Data(try XCTUnwrap(req["body"] as? String).utf8), time: time)
            let expected = try XCTUnwrap((v["expected"] as? [String: Any])?["headers"] as? [String: String])
            var gotMap: [String: String] = [:]
            for h in got { gotMap[h.name.lowercased()] = h.value }
            XCTAssertEqual(got.count, expected.count, file.lastPathComponent)
            XCTAssertEqual(gotMap, Dictionary(uniqueKeysWithValues: expected.map { ($0.key.lowercased(), $0.value) }), file.lastPathComponent)
        }
    }
}
