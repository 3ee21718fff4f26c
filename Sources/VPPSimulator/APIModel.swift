import Foundation
import Synchronization
import VPPCodec
import VPPSchema

/// The API the simulator speaks: schema, codec, per-message layouts and the module documents
/// it returns from `get_api_json`.
///
/// Immutable and shared by the loop thread and the public API (event validation).
final class APIModel: Sendable {
    let schema: Schema
    let codec: Codec
    let layouts: [String: MessageLayout]
    /// Each module's `.api.json` text, for `get_api_json` (only modules with messages: VPP
    /// registers the JSON of message-bearing modules, memclnt_api.c:138-168).
    let documents: [String: String]

    private static let cache = Mutex<[String: APIModel]>([:])

    /// The model for `directories`, loaded once per process: test suites start many
    /// simulators on the same 150 files.
    static func loading(directories: [String]) throws -> APIModel {
        let key = directories.joined(separator: "\u{0}")
        if let m = cache.withLock({ $0[key] }) { return m }
        let m = try APIModel(directories: directories)
        cache.withLock { $0[key] = m }
        return m
    }

    /// Loads `.api.json` files/folders; the documents served are the files' own text.
    convenience init(directories: [String]) throws {
        let schema = try SchemaLoader.load(paths: directories)
        var documents: [String: String] = [:]
        for m in schema.modules where !m.messages.isEmpty {
            if let data = FileManager.default.contents(atPath: m.source) {
                documents[m.name] = String(decoding: data, as: UTF8.self)
            }
        }
        self.init(schema: schema, documents: documents)
    }

    /// The built-in definitions (VPP 26.06 memclnt, vlib, vpe, interface, ip subset).
    convenience init(builtin: Void) throws {
        let documents = try BuiltinAPI.documents()
        var loader = SchemaLoader()
        for (name, text) in documents {
            loader.add(json: Array(text.utf8), source: "built-in:\(name)", fallbackModule: name)
        }
        self.init(schema: try loader.build(), documents: Dictionary(uniqueKeysWithValues: documents))
    }

    init(schema: Schema, documents: [String: String]) {
        self.schema = schema
        self.codec = Codec(schema: schema)
        var layouts: [String: MessageLayout] = [:]
        for m in schema.messages.values { layouts[m.name] = MessageLayout(m, schema: schema) }
        self.layouts = layouts
        self.documents = documents
    }

    /// `"[" + module documents joined by "," + "]"` in registration (id) order, as
    /// vl_api_get_api_json_t_handler builds it (memclnt_api.c:138-168). memclnt is not
    /// among them: a module's document is added to `am->json_api_repr` only by its
    /// generated `setup_message_id_table` (vppapigen_c.py:1737), and memclnt is registered
    /// statically instead (memory_api.c:513-518), which is why clients bootstrap from a
    /// bundled memclnt.api.json (vpp_papi.py:602-615).
    func apiJSON(for table: MessageTable) -> String {
        var parts: [String] = []
        for base in table.moduleBases where base.module != "memclnt" {
            if let d = documents[base.module] { parts.append(d) }
        }
        return "[" + parts.joined(separator: ",") + "]"
    }
}
