import Foundation
import Testing
import VPPJSON
import VPPOpenAPI
import VPPSchema
import VPPTestSupport

/// Schemas and documents shared by the tests (loaded once: the 26.06 set takes a second).
enum Fixtures {
    private static let loaded2606 = Result { try SchemaLoader.load(paths: [SharedData.api2606]) }
    private static let loadedTestgovpp = Result { try SchemaLoader.load(paths: [SharedData.testgovpp]) }
    private static let generated2606 = loaded2606.map { OpenAPIGenerator(schema: $0).document() }

    static func schema2606() throws -> Schema { try loaded2606.get() }
    static func schemaTestgovpp() throws -> Schema { try loadedTestgovpp.get() }
    static func document2606() throws -> JSONValue { try generated2606.get() }
}

/// Navigation in a generated document.
struct Doc {
    let value: JSONValue

    init(_ value: JSONValue) {
        self.value = value
    }

    /// `paths[path][method]`.
    func operation(_ path: String, _ method: String) -> JSONValue? {
        value["paths"]?[path]?[method]
    }

    /// `components.schemas[name]`.
    func component(_ name: String) -> JSONValue? {
        value["components"]?["schemas"]?[name]
    }

    /// A component property's schema.
    func property(_ component: String, _ name: String) -> JSONValue? {
        self.component(component)?["properties"]?[name]
    }

    /// Follows a `{"$ref": "#/components/schemas/X"}` to X.
    func resolve(_ schema: JSONValue?) -> JSONValue? {
        guard let r = schema?["$ref"]?.stringValue else { return schema }
        let prefix = "#/components/schemas/"
        guard r.hasPrefix(prefix) else { return nil }
        return component(String(r.dropFirst(prefix.count)))
    }

    /// The component name a `$ref` names.
    static func refName(_ schema: JSONValue?) -> String? {
        schema?["$ref"]?.stringValue.flatMap { $0.split(separator: "/").last.map(String.init) }
    }

    /// Every operation: (path, method, operation).
    var operations: [(path: String, method: String, operation: JSONValue)] {
        var out: [(String, String, JSONValue)] = []
        for path in value["paths"]?.objectValue?.members ?? [] {
            for op in path.value.objectValue?.members ?? [] { out.append((path.key, op.key, op.value)) }
        }
        return out
    }
}

extension JSONValue {
    /// An array's string elements.
    var stringArray: [String]? { arrayValue?.compactMap(\.stringValue) }
}
