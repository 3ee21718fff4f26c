/// A message's doc comment from the `.api` file, split into summary, body and `@param` texts.
///
/// vppapigen keeps the comment verbatim: `/** \brief Set flags on the interface\n    @param
/// client_index - opaque cookie …\n*/`. The summary is the first line with the comment markers
/// and `\brief` removed; `@param name - text` lines (with their continuation lines) describe
/// fields.
public struct DocComment: Sendable, Equatable {
    /// The first line, cleaned; empty when the comment has no text.
    public let summary: String
    /// The lines after the summary and before the first `@` tag, joined with newlines.
    public let body: String
    /// `@param` descriptions by field name.
    public let parameters: [String: String]

    /// Parses a raw comment (nil or blank gives an empty comment).
    public init(_ raw: String?) {
        var lines: [String] = []
        for rawLine in (raw ?? "").split(separator: "\n", omittingEmptySubsequences: false) {
            lines.append(Self.clean(String(rawLine)))
        }
        var summary = ""
        var body: [String] = []
        var parameters: [String: String] = [:]
        var current: (name: String, text: String)?
        func flush() {
            if let c = current, !c.name.isEmpty, parameters[c.name] == nil {
                parameters[c.name] = c.text.trimmed
            }
            current = nil
        }
        for line in lines {
            if line.hasPrefix("@") || line.hasPrefix("\\param") || line.hasPrefix("\\return") {
                flush()
                let tagged = line.hasPrefix("\\") ? "@" + line.dropFirst() : Substring(line)
                if tagged.hasPrefix("@param") {
                    let rest = tagged.dropFirst("@param".count).trimmed
                    let name = String(rest.prefix { !$0.isWhitespace && $0 != "-" && $0 != ":" })
                    var text = rest.dropFirst(name.count).trimmed
                    if text.hasPrefix("-") || text.hasPrefix(":") { text = String(text.dropFirst()).trimmed }
                    current = (name, text)
                } else {
                    current = ("", "")
                }
                continue
            }
            if let c = current {
                if !line.isEmpty { current = (c.name, c.text.isEmpty ? line : c.text + " " + line) }
                continue
            }
            if summary.isEmpty {
                summary = line
            } else if !(body.isEmpty && line.isEmpty) {
                body.append(line)
            }
        }
        flush()
        while body.last?.isEmpty == true { body.removeLast() }
        self.summary = summary
        self.body = body.joined(separator: "\n")
        self.parameters = parameters
    }

    /// One comment line without `/**`, `*/`, leading `*`, `//`, `\brief` / `@brief`.
    static func clean(_ line: String) -> String {
        var s = Substring(line).trimmed[...]
        for marker in ["/**", "/*!", "/*", "//"] where s.hasPrefix(marker) {
            s = s.dropFirst(marker.count)
            break
        }
        if s.hasSuffix("*/") { s = s.dropLast(2) }
        s = s.trimmed[...]
        while s.hasPrefix("*") { s = s.dropFirst().trimmed[...] }
        for tag in ["\\brief", "@brief"] where s.hasPrefix(tag) {
            s = s.dropFirst(tag.count).trimmed[...]
        }
        return String(s)
    }
}

extension StringProtocol {
    /// Without leading and trailing white space.
    var trimmed: String {
        let scalars = unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(String.UnicodeScalarView(scalars[first...last]))
    }
}
