import ArgumentParser
import VPPCodec
import VPPJSON

/// `vpp-gateway encode`: canonical (or lenient) JSON to binary messages, offline.
struct EncodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "encode",
        abstract: "Encode JSON objects into binary VPP API messages, printed as lowercase hex per line.",
        discussion: """
            Each JSON argument, or else each line of standard input (NDJSON), is one message, chosen by \
            its "_msgname". Missing fields take the .api.json default, else zero; array length fields may \
            be left out. A line that fails prints its error (with the JSON path of the field) on stderr; the \
            others go on, and the exit status is 1 if any failed.

            Examples:
              vpp-gateway encode --api-dir /usr/share/vpp/api --msg-id 23 '{"_msgname":"control_ping"}'
              vpp-gateway encode --api-dir ./api --msg-id 281 --context 7 \\
                  '{"_msgname":"sw_interface_set_flags","sw_if_index":1,"flags":["IF_STATUS_API_FLAG_ADMIN_UP"]}'
              vpp-gateway decode ... | vpp-gateway encode --api-dir ./api --msg-id 257
            """)

    @OptionGroup var schema: SchemaOptions

    @Option(name: .customLong("msg-id"), help: "The _vl_msg_id to write (ids are per connection; see the live table).")
    var messageID: UInt16 = 0

    @Option(help: "The context to write, when the message has one.")
    var context: UInt32?

    @Option(name: .customLong("client-index"), help: "The client_index to write, when the message has one.")
    var clientIndex: UInt32?

    @Argument(help: "JSON objects. Standard input (one per line) when none.")
    var json: [String] = []

    func run() throws {
        let codec = try schema.loadCodec()
        let header = MessageHeader(messageID: messageID, clientIndex: clientIndex, context: context)
        var failed = false
        for (i, line) in (json.isEmpty ? standardInputLines() : json).enumerated() {
            do {
                print(hexString(try codec.encode(json: Array(line.utf8), header: header)))
            } catch {
                StandardError.print("input \(i + 1): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
