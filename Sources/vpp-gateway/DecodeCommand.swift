import ArgumentParser
import Foundation
import VPPCodec

/// `vpp-gateway decode`: binary messages to canonical JSON, offline.
struct DecodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "decode",
        abstract: "Decode binary VPP API messages into canonical JSON, one object per line.",
        discussion: """
            Each HEX argument, or else each line of standard input, is one message starting with its \
            2-byte _vl_msg_id (no socket header). A line that fails prints its error on stderr; the others \
            go on, and the exit status is 1 if any failed. Bytes after the message's layout are accepted \
            (VPP accepts longer messages) and reported on stderr.

            Examples:
              vpp-gateway decode --api-dir /usr/share/vpp/api --message control_ping_reply 010111223344000000000000000000003039
              echo 0119000000001122334400000001 00000001 | vpp-gateway decode --api-dir ./api --message sw_interface_set_flags
              vpp-gateway decode --api-dir ./api --message show_version_reply --binary reply.bin
            """)

    @OptionGroup var schema: SchemaOptions

    @Option(help: "The message every input is decoded as.")
    var message: String

    @Option(help: "Decode the raw bytes of this file as one message.")
    var binary: String?

    @Argument(help: "Messages in hex (a 0x prefix and spaces are allowed). Standard input when none.")
    var hex: [String] = []

    func run() throws {
        let codec = try schema.loadCodec()
        // Checked once, before any input: every line would fail the same way.
        guard codec.schema.message(message) != nil else {
            StandardError.print("vpp-gateway: no message \(message) in the loaded API (see `vpp-gateway schema`)")
            throw ExitCode(2)
        }
        var inputs: [(label: String, bytes: [UInt8]?)] = []
        if let binary {
            let data: Data
            do {
                data = try Data(contentsOf: URL(fileURLWithPath: binary))
            } catch {
                StandardError.print("vpp-gateway: cannot read \(binary): \((error as NSError).localizedDescription)")
                throw ExitCode(2)
            }
            inputs.append((binary, Array(data)))
        } else {
            let lines = hex.isEmpty ? standardInputLines() : hex
            inputs = lines.enumerated().map { ("input \($0.offset + 1)", parseHex($0.element)) }
        }
        var failed = false
        for input in inputs {
            guard let bytes = input.bytes else {
                StandardError.print("\(input.label): not hex")
                failed = true
                continue
            }
            do {
                let decoded = try codec.decode(bytes, as: message)
                print(decoded.jsonText)
                if decoded.trailingBytes > 0 {
                    StandardError.print("\(input.label): \(decoded.trailingBytes) byte(s) after the end of \(message) ignored")
                }
            } catch {
                StandardError.print("\(input.label): \(error)")
                failed = true
            }
        }
        if failed { throw ExitCode(1) }
    }
}
