import ArgumentParser
import Foundation
import Gateway
import VPPOpenAPI
import VPPSchema
import VPPSimulator

/// `vpp-gateway openapi`: the OpenAPI 3.1 document of the HTTP surface for the loaded schema.
struct OpenAPICommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "openapi",
        abstract: "Print the OpenAPI 3.1 document the gateway serves at /openapi.json for the loaded API.",
        discussion: """
            The same document the running gateway serves, generated offline from the .api.json files: one \
            operation per offered request, dump and event, and a component schema per message and type. The \
            output is deterministic (sorted), so it can be committed and diffed.

            With --builtin it describes the simulator's built-in API (what `serve --simulate` serves). \
            Without --api-dir it reads /usr/share/vpp/api when that folder exists, else the built-in API. \
            --allow, --deny and --read-only are the message policy, as for `serve`: operations it refuses \
            are left out (by default cli_inband, like a gateway with the default policy).

            Examples:
              vpp-gateway openapi --api-dir /usr/share/vpp/api --pretty > openapi.json
              vpp-gateway openapi --builtin --pretty --output openapi/vpp-gateway-simulator.json
              vpp-gateway openapi --api-dir ./api --server http://127.0.0.1:8080 --output openapi.json
            """)

    @OptionGroup var schema: SchemaOptions

    @Flag(help: "Describe the VPP simulator's built-in API (the schema `serve --simulate` serves) instead of .api.json files.")
    var builtin = false

    @Option(help: ArgumentHelp("Write the document to this file instead of standard output.", valueName: "FILE"))
    var output: String?

    @Option(help: ArgumentHelp("The gateway's base URL for the document's servers list.", valueName: "URL"))
    var server: String?

    @Option(name: .customLong("vpp-version"), help: ArgumentHelp("VPP's version, recorded as info.x-vpp-version.", valueName: "VERSION"))
    var vppVersion: String?

    @Option(help: "The document's title.")
    var title: String = "VPPGateway"

    @Flag(help: "Indent the JSON.")
    var pretty = false

    @Option(help: "Only describe messages matching this glob (repeatable), as `serve --allow`.")
    var allow: [String] = []

    @Option(help: "Leave out messages matching this glob (repeatable), as `serve --deny`.")
    var deny: [String] = []

    @Flag(help: "Describe only reads, as `serve --read-only`.")
    var readOnly = false

    func validate() throws {
        if builtin && !schema.apiDirectories.isEmpty {
            throw ValidationError("--builtin and --api-dir are exclusive: the built-in API is the simulator's own")
        }
    }

    func run() throws {
        let policy = MessagePolicy(allow: allow, deny: deny, readOnly: readOnly)
        let generator = OpenAPIGenerator(schema: try loadSchema(),
                                         options: OpenAPIOptions(title: title, serverURL: server, vppVersion: vppVersion),
                                         serves: { policy.refusal($0, isRead: $1) == nil })
        var text = generator.jsonText(pretty: pretty)
        if !text.hasSuffix("\n") { text += "\n" }
        if let output {
            do {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                StandardError.print("vpp-gateway: cannot write \(output): \(error.localizedDescription)")
                throw ExitCode(2)
            }
        } else {
            FileHandle.standardOutput.write(Data(text.utf8))
        }
    }

    /// The --api-dir folders; else /usr/share/vpp/api when present; else (or with --builtin)
    /// the simulator's built-in definitions.
    private func loadSchema() throws -> Schema {
        if !builtin && (!schema.apiDirectories.isEmpty || FileManager.default.fileExists(atPath: schema.paths[0])) {
            return try schema.loadCodec().schema
        }
        if !builtin {
            StandardError.print("vpp-gateway: no --api-dir and no \(schema.paths[0]): describing the simulator's built-in API")
        }
        do {
            return try VPPSimulator.builtinSchema()
        } catch {
            StandardError.print("vpp-gateway: \(error)")
            throw ExitCode(2)
        }
    }
}
