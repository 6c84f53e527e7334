// Swift runner of the cross-language scenarios (see tests/README.md).
//
// usage: scenario-runner READY_FILE FACES_DIR SCENARIO.json...
//
// Runs each scenario in a fresh gallery of the emulator described by READY_FILE, prints the
// normalised transcript on stdout and expectation failures on stderr (exit 1 if any). The
// format and normalisation rules mirror the Rust runner (tests/reliability/src/scenario.rs).
import Foundation
import Necid

func fmt(_ v: Any?) -> String {
    switch v {
    case nil: return "null"
    case is NSNull: return "null"
    case let b as Bool where !(v is NSNumber): return b ? "true" : "false"
    case let n as NSNumber:
        // JSONSerialization gives NSNumber for booleans and integers alike; objCType "c"
        // marks a boolean (`as? Bool` would also accept the integers 0 and 1).
        if String(cString: n.objCType) == "c" { return n.boolValue ? "true" : "false" }
        return n.stringValue
    case let a as [Any]: return "[" + a.map { fmt($0) }.joined(separator: ",") + "]"
    case let s as String: return s
    case let u as UInt32: return String(u)
    case let i as Int: return String(i)
    default: return "\(v!)"
    }
}

func normaliseStr(_ s: String, _ vars: [String: String]) -> String {
    for name in vars.keys.sorted() {
        let value = vars[name]!
        if s == value { return "${\(name)}" }
        if s.hasPrefix(value + ":") { return "${\(name)}" + s.dropFirst(value.count) }
    }
    return s
}

func normalise(_ v: Any?, _ vars: [String: String]) -> Any? {
    if let s = v as? String { return normaliseStr(s, vars) }
    if let a = v as? [Any] { return a.map { normalise($0, vars) as Any } }
    return v
}

enum Outcome {
    case ok([String: Any?])
    case err(String)
}

func line(_ i: Int, _ op: String, _ o: Outcome) -> String {
    let n = String(format: "%02d", i)
    switch o {
    case .err(let kind): return "\(n) \(op) error \(kind)"
    case .ok(let m): return ([("\(n) \(op) ok")] + m.keys.sorted().map { "\($0)=\(fmt(m[$0]!))" }).joined(separator: " ")
    }
}

func check(_ step: [String: Any], _ o: Outcome) -> String? {
    if let want = step["error"] as? String {
        if case .err(let k) = o, k == want { return nil }
        return "expected error \(want), got \(o)"
    }
    guard case .ok(let m) = o else { return "expected success, got \(o)" }
    for (k, want) in (step["expect"] as? [String: Any]) ?? [:] {
        let got = m.keys.contains(k) ? fmt(m[k]!) : nil
        if got != fmt(want) { return "\(k): expected \(fmt(want)), got \(got ?? "(none)")" }
    }
    return nil
}

func runStep(_ c: Client, _ faces: URL, _ op: String, _ s: [String: Any], _ vars: [String: String]) async throws -> Outcome {
    func v(_ k: String) -> String {
        let x = s[k] as! String
        if x.hasPrefix("${") && x.hasSuffix("}") { return vars[String(x.dropFirst(2).dropLast())]! }
        return x
    }
    func img(_ k: String) throws -> Data {
        let name = s[k] as! String
        return name.isEmpty ? Data() : try Data(contentsOf: faces.appendingPathComponent(name))
    }
    let tags = (s["tags"] as? [String]) ?? []
    do {
        switch op {
        case "create_tag": try await c.createTag(name: v("name")); return .ok([:])
        case "rename_tag": try await c.renameTag(oldName: v("name"), newName: v("new_name")); return .ok([:])
        case "delete_tag": try await c.deleteTag(name: v("name")); return .ok([:])
        case "list_tags":
            let list = try await c.listTags()
            return .ok(["tags": list.map { $0.name }])
        case "register_subject":
            let r = try await c.registerSubject(face: try img("image"), tags: tags)
            return .ok(["subjectId": r.subjectId, "eventId": r.eventId])
        case "register_event":
            let r = try await c.registerEvent(subjectId: v("subject"), face: try img("image"), tags: tags)
            return .ok(["eventId": r.eventId])
        case "list_events":
            let events = try await c.listEvents(subjectId: v("subject"))
            return .ok(["events": events.events.map { $0.eventId }])
        case "unregister_subject": try await c.unregisterSubject(subjectId: v("subject")); return .ok([:])
        case "search":
            let th = (s["threshold"] as? NSNumber).map { UInt32(truncating: $0) }
            let r = try await c.search(probe: try img("image"), threshold: th, limit: nil, tags: tags)
            return .ok(["candidates": r.candidates.map { "\($0.subjectId):\($0.score)" }])
        case "verify_subject":
            let r = try await c.verifySubject(subjectId: v("subject"), probe: try img("image"))
            return .ok(["verified": r.verified, "score": r.score.map { Int($0) }])
        case "verify_faces":
            let r = try await c.verifyFaces(face: try img("face"), probe: try img("probe"))
            return .ok(["verified": r.verified, "score": r.score.map { Int($0) }])
        case "extract_faces":
            let faces = try await c.extractFaces(image: try img("image"), limit: nil)
            return .ok(["faces": faces.count])
        default: fatalError("unknown op \(op)")
        }
    } catch let e as NecIdError {
        return .err(e.kind)
    }
}

@main
struct Main {
    static func main() async {
        do {
            exit(try await run() ? 0 : 1)
        } catch {
            // A setup failure (unreadable file, no emulator): say what, not a crash trace.
            FileHandle.standardError.write("swift runner: \(error)\n".data(using: .utf8)!)
            exit(1)
        }
    }

    /// Runs every scenario; false if an expectation failed.
    static func run() async throws -> Bool {
        let args = CommandLine.arguments
        guard args.count >= 4 else {
            FileHandle.standardError.write("usage: scenario-runner READY_FILE FACES_DIR SCENARIO.json...\n".data(using: .utf8)!)
            exit(2)
        }
        let info = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: args[1]))) as! [String: Any]
        let faces = URL(fileURLWithPath: args[2])
        func builder() -> ConfigBuilder {
            ConfigBuilder().endpoint(value: info["endpoint"] as! String)
                .tenantEndpoint(value: info["tenantEndpoint"] as! String)
                .region(value: info["region"] as! String)
                .accessKeyId(value: info["accessKeyId"] as! String)
                .secretAccessKey(value: info["secretAccessKey"] as! String)
        }
        let tenant = try Client(config: builder().build())
        var failed = false
        for file in args[3...] {
            let scenario = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as! [String: Any]
            let g = try await tenant.createGallery(gallery: NewGallery(name: "scenario-swift-\(getpid())", size: 1000))
            let c = try Client(config: builder().apiKey(value: g.apiKey!.expose()).build())
            print("# scenario \((scenario["name"] as? String) ?? "")")
            var vars: [String: String] = [:]
            for (i, el) in (scenario["steps"] as! [[String: Any]]).enumerated() {
                let op = el["op"] as! String
                var o = try await runStep(c, faces, op, el, vars)
                if case .ok(var m) = o {
                    for (name, key) in (el["capture"] as? [String: String]) ?? [:] {
                        vars[name] = m[key]! as? String
                    }
                    for k in Array(m.keys) {
                        var n = normalise(m[k]!, vars)
                        if let a = n as? [Any], k != "candidates" { n = a.sorted { fmt($0) < fmt($1) } }
                        m[k] = .some(n)
                    }
                    o = .ok(m)
                }
                if let f = check(el, o) {
                    FileHandle.standardError.write("swift runner: \(file): step \(i + 1) (\(op)): \(f)\n".data(using: .utf8)!)
                    failed = true
                }
                print(line(i + 1, op, o))
            }
            try await tenant.deleteGallery(galleryId: g.id)
        }
        return !failed
    }
}
