import Foundation
import XCTest
@testable import Necid
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// sign_request (mirrors the Kotlin SigningTest).
final class SigningTests: XCTestCase {
    func testSignedCustomRequestIsAccepted() async throws {
        let em = try SharedEmulator.get()
        let c = try em.client()
        let url = em.info.endpoint + "/v1.1/tags"
        let headers = try c.signRequest(method: "GET", url: url, headers: [], body: Data())
        let names = Set(headers.map { $0.name.lowercased() })
        XCTAssertTrue(names.isSuperset(of: ["authorization", "x-amz-date", "x-api-key"]))
        var req = URLRequest(url: URL(string: url)!)
        headers.forEach { req.setValue($0.value, forHTTPHeaderField: $0.name) }
        let status: Int = try await withCheckedThrowingContinuation { cont in
            URLSession.shared.dataTask(with: req) { _, resp, err in
                if let err = err { cont.resume(throwing: err) } else { cont.resume(returning: (resp as? HTTPURLResponse)?.statusCode ?? -1) }
            }.resume()
        }
        XCTAssertEqual(status, 200)
    }

    func testFixedTimeIsReproducible() throws {
        let c = try SharedEmulator.get().client()
        let t = Date(timeIntervalSince1970: 1_440_938_160) // 2015-08-30T12:36:00Z
        let a = try c.signRequestAt(method: "GET", url: "https://example.amazonaws.com/?a=1", headers: [], body: Data(), time: t)
        let b = try c.signRequestAt(method: "GET", url: "https://example.amazonaws.com/?a=1", headers: [], body: Data(), time: t)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.first { $0.name == "x-amz-date" }?.value, "20150830T123600Z")
    }
}
