@testable import Gateway
import VPPEvents
import VPPJSON
import VPPOpenAPI
import VPPSimulator
import Testing

/// The SSE frames the gateway writes, against the OpenAPI document's description of them.
@Suite struct SSEFramingTests {
    @Test func everyControlEventIsOneTheDocumentDescribesWithDataItAllows() throws {
        let doc = OpenAPIGenerator(schema: try VPPSimulator.builtinSchema()).document()
        let schemas = doc["components"]?["schemas"]
        let names = schemas?["SSEControlEvent"]?["properties"]?["event"]?["enum"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let allowed = Set(schemas?["SSEControl"]?["properties"]?.objectValue?.members.map(\.key) ?? [])
        #expect(!names.isEmpty && !allowed.isEmpty)
        let controls: [ControlEvent] = [
            .vppDisconnected(reason: "socket closed"), .vppConnected, .overflow(dropped: 3),
            .gap(lastEventID: 7, oldestAvailable: 9), .gap(lastEventID: 7, oldestAvailable: nil),
            .gap(lastEventID: 99, oldestAvailable: 9, unknownID: true),
            .registrationFailed(reason: "want_interface_events is not in VPP's message table"), .shutdown,
        ]
        var seen: Set<String> = []
        for control in controls {
            let text = String(decoding: SSESink.frame(.control(control)), as: UTF8.self)
            let lines = text.split(separator: "\n")
            let event = try #require(lines.first { $0.hasPrefix("event: ") }).dropFirst(7)
            let data = try #require(lines.first { $0.hasPrefix("data: ") }).dropFirst(6)
            #expect(text.hasSuffix("\n\n"), "\(control)")
            #expect(names.contains(String(event)), "\(event)")
            seen.insert(String(event))
            let fields = try #require(try JSONParser.parse(String(data)).objectValue, "\(control)")
            for member in fields.members { #expect(allowed.contains(member.key), "\(event): \(member.key)") }
        }
        #expect(seen == Set(names))
    }
}
