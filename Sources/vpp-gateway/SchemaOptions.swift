import ArgumentParser
import Foundation
import VPPCodec
import VPPSchema

/// `--api-dir` options shared by the offline tools (decode, encode, schema, openapi).
struct SchemaOptions: ParsableArguments {
    @Option(name: .customLong("api-dir"), help: ArgumentHelp(
        "A folder (searched recursively) or file of .api.json definitions. Repeatable. Default: /usr/share/vpp/api.",
        valueName: "DIR"))
    var apiDirectories: [String] = []

    /// The folders to load: those given, else VPP's packaged location.
    var paths: [String] {
        apiDirectories.isEmpty ? ["/usr/share/vpp/api"] : apiDirectories
    }

    /// Loads the schema, or explains on stderr why it cannot and exits with status 2.
    func loadCodec() throws -> Codec {
        do {
            return Codec(schema: try SchemaLoader.load(paths: paths))
        } catch {
            StandardError.print("vpp-gateway: \(error)")
            if apiDirectories.isEmpty {
                StandardError.print("hint: pass --api-dir with the folder holding VPP's .api.json files")
            }
            throw ExitCode(2)
        }
    }
}

/// Writes lines to standard error (diagnostics never mix with the JSON on stdout).
enum StandardError {
    static func print(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}

/// Reads non-empty lines from standard input, for the tools' pipe mode.
func standardInputLines() -> [String] {
    var lines: [String] = []
    while let line = readLine(strippingNewline: true) {
        let trimmed = line.trimmingCharacters(in: .whitespaces)
        if !trimmed.isEmpty { lines.append(trimmed) }
    }
    return lines
}

/// Parses hex text, allowing a `0x` prefix and white space between bytes.
func parseHex(_ text: String) -> [UInt8]? {
    var digits = text.filter { !$0.isWhitespace }
    if digits.hasPrefix("0x") || digits.hasPrefix("0X") { digits.removeFirst(2) }
    guard digits.count % 2 == 0 else { return nil }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var index = digits.startIndex
    while index < digits.endIndex {
        let next = digits.index(index, offsetBy: 2)
        guard let byte = UInt8(digits[index..<next], radix: 16) else { return nil }
        out.append(byte)
        index = next
    }
    return out
}

/// Lowercase hex of bytes.
func hexString(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count * 2)
    for b in bytes {
        out.append(digits[Int(b >> 4)])
        out.append(digits[Int(b & 0xF)])
    }
    return String(decoding: out, as: UTF8.self)
}
