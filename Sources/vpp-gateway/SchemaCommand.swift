import ArgumentParser
import VPPCodec
import VPPJSON
import VPPSchema

/// `vpp-gateway schema`: what the loaded .api.json files define.
struct SchemaCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schema",
        abstract: "List the messages of the loaded API with kind and CRC, or show one message.",
        discussion: """
            Examples:
              vpp-gateway schema --api-dir /usr/share/vpp/api
              vpp-gateway schema --api-dir ./api sw_interface_dump
            """)

    @OptionGroup var schema: SchemaOptions

    @Argument(help: "A message to show in detail: its fields, types and service.")
    var name: String?

    func run() throws {
        let codec = try schema.loadCodec()
        let s = codec.schema
        guard let name else {
            for n in s.messageNames {
                guard let m = s.messages[n] else { continue }
                let flags = (m.isDeprecated ? " deprecated" : "") + (m.isInProgress ? " in-progress" : "")
                print("\(m.name.padding(toLength: 48, withPad: " ", startingAt: 0)) \(m.kind.rawValue.padding(toLength: 18, withPad: " ", startingAt: 0)) \(m.crc)\(flags)")
            }
            StandardError.print("\(s.messages.count) messages in \(s.modules.count) modules")
            return
        }
        guard let m = s.message(name) else {
            StandardError.print("vpp-gateway: no message \(name) in the loaded schema")
            throw ExitCode(1)
        }
        print("\(m.name)  crc \(m.crc)  kind \(m.kind.rawValue)  module \(m.module)")
        if let c = m.comment?.trimmingCharacters(in: .whitespacesAndNewlines), !c.isEmpty { print(c) }
        if !m.options.members.isEmpty { print("options: \(JSONValue.object(m.options).jsonText)") }
        print("fields:")
        for f in m.fields {
            var line = "  \(f.typeName) \(f.name)"
            switch f.cardinality {
            case .single: break
            case .fixed(let n): line += "[\(n)]"
            case .variable(let lf): line += "[\(lf ?? "")]"
            }
            if let d = f.defaultValue { line += "  default=\(d.jsonText)" }
            if let d = f.discriminator { line += "  discriminator=\(d)" }
            print(line)
        }
        if let svc = s.service(for: m.name) {
            print("service: \(svc.pattern.rawValue) → \(svc.reply ?? "no reply")"
                  + (svc.streamMessage.map { ", stream \($0)" } ?? "")
                  + (svc.events.isEmpty ? "" : ", events \(svc.events.joined(separator: ", "))"))
        } else if let request = s.request(answeredBy: m.name) {
            print("answers: \(request)")
        } else if m.kind == .event, let want = s.registration(for: m.name) {
            print("registered by: \(want)")
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: Set<Character>) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}

extension Set where Element == Character {
    fileprivate static var whitespacesAndNewlines: Set<Character> { [" ", "\n", "\t", "\r"] }
}
