import Foundation
import VPPJSON

/// A problem found while loading `.api.json` documents.
public struct SchemaProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// The document (file path or `get_api_json:<module>`) where it was found.
    public let source: String
    /// What is wrong.
    public let reason: String

    /// Creates a problem report.
    public init(source: String, reason: String) {
        self.source = source
        self.reason = reason
    }

    public var description: String { "\(source): \(reason)" }
}

/// Loading failed; every problem found is listed (loading does not stop at the first).
public struct SchemaLoadError: Error, Sendable, CustomStringConvertible {
    /// All problems, in the order found.
    public let problems: [SchemaProblem]

    public var description: String {
        "could not load the API schema (\(problems.count) problem\(problems.count == 1 ? "" : "s")):\n"
            + problems.map { "  - \($0)" }.joined(separator: "\n")
    }
}

/// Reads `.api.json` documents — files, folders (recursively) and the JSON array that VPP's
/// `get_api_json` returns — into a `Schema`.
///
/// Imported types are repeated in every importing file (1,151 typedef entries for 164
/// names in VPP 26.06): identical repeats merge, conflicting ones are reported naming both
/// files. Messages defined twice identically (the same plugin file in two folders) merge too.
public struct SchemaLoader {
    private var raw = RawDefinitions()
    /// Problems found so far.
    public private(set) var problems: [SchemaProblem] = []

    /// An empty loader.
    public init() {}

    /// Loads everything at `paths` (files or folders, recursively `*.api.json`) and builds.
    public static func load(paths: [String]) throws -> Schema {
        var loader = SchemaLoader()
        for p in paths { loader.add(path: p) }
        return try loader.build()
    }

    /// Adds one file, or every `*.api.json` below a folder (sorted, so load order is stable).
    public mutating func add(path: String) {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDir) else {
            problems.append(SchemaProblem(source: path, reason: "no such file or folder"))
            return
        }
        if isDir.boolValue {
            let base = URL(fileURLWithPath: path)
            guard let walker = FileManager.default.enumerator(at: base, includingPropertiesForKeys: nil) else {
                problems.append(SchemaProblem(source: path, reason: "cannot list the folder"))
                return
            }
            var files: [String] = []
            for case let url as URL in walker where url.lastPathComponent.hasSuffix(".api.json") {
                files.append(url.path)
            }
            if files.isEmpty {
                problems.append(SchemaProblem(source: path, reason: "no .api.json files in the folder"))
            }
            for f in files.sorted() { addFile(f) }
        } else {
            addFile(path)
        }
    }

    private mutating func addFile(_ path: String) {
        guard let data = FileManager.default.contents(atPath: path) else {
            problems.append(SchemaProblem(source: path, reason: "cannot read the file"))
            return
        }
        let fallbackModule = URL(fileURLWithPath: path).lastPathComponent
            .replacingOccurrences(of: ".api.json", with: "")
        add(json: data, source: path, fallbackModule: fallbackModule)
    }

    /// Adds JSON text holding one module document, or an array of them (`get_api_json`).
    public mutating func add(json: some Collection<UInt8>, source: String, fallbackModule: String? = nil) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(json)
        } catch {
            problems.append(SchemaProblem(source: source, reason: error.description))
            return
        }
        switch value {
        case .array(let docs):
            for (i, doc) in docs.enumerated() {
                let module = doc["module"]?.stringValue ?? "module\(i)"
                add(document: doc, source: "\(source):\(module)", fallbackModule: module)
            }
        case .object:
            add(document: value, source: source, fallbackModule: fallbackModule ?? source)
        default:
            problems.append(SchemaProblem(source: source, reason: "expected an .api.json object or an array of them, got \(value.typeName)"))
        }
    }

    /// Adds one parsed module document.
    public mutating func add(document: JSONValue, source: String, fallbackModule: String) {
        guard let doc = document.objectValue else {
            problems.append(SchemaProblem(source: source, reason: "expected an .api.json object, got \(document.typeName)"))
            return
        }
        problems += raw.add(doc, source: source, module: doc["module"]?.stringValue ?? fallbackModule)
    }

    /// Resolves every type reference and builds the schema; throws when any problem was found.
    public func build() throws -> Schema {
        let (schema, all) = buildAllowingProblems()
        if !all.isEmpty { throw SchemaLoadError(problems: all) }
        return schema
    }

    /// Builds what can be built and returns the problems beside it, for callers that prefer
    /// serving most of an API over serving none (a live VPP's schema with one odd plugin).
    public func buildAllowingProblems() -> (Schema, [SchemaProblem]) {
        var resolver = Resolver(raw: raw)
        let schema = resolver.resolve()
        return (schema, problems + resolver.problems)
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        guard let r = range(of: target) else { return self }
        return replacingCharacters(in: r, with: replacement)
    }
}
