/// Splits and decodes a raw request target (`/v1/x?a=1&a=2`). The server parses
/// the raw target itself rather than using libmicrohttpd's argument table so that
/// repeated parameters keep their order and decoding rules are explicit.
enum URIDecoding {
    /// The decoded path and the decoded query parameters of `target`.
    static func parse(target: String) -> (path: String, query: [(name: String, value: String)]) {
        var bytes = Substring(target).utf8[...]
        // absolute-form (`http://host/path`): keep only the path and query. Origin-form targets
        // (`/…`, nearly all of them) skip the search.
        if bytes.first != UInt8(ascii: "/"), let schemeEnd = bytes.firstRange(of: "://".utf8) {
            let afterAuthority = bytes[schemeEnd.upperBound...]
            bytes = afterAuthority.firstIndex(where: { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") })
                .map { afterAuthority[$0...] } ?? afterAuthority[afterAuthority.endIndex...]
        }
        if let hash = bytes.firstIndex(of: UInt8(ascii: "#")) {
            bytes = bytes[..<hash]
        }
        let questionMark = bytes.firstIndex(of: UInt8(ascii: "?"))
        let rawPath = bytes[..<(questionMark ?? bytes.endIndex)]
        var path = percentDecoded(rawPath, plusIsSpace: false)
        if path.isEmpty { path = "/" }
        guard let questionMark else { return (path, []) }
        return (path, parseQuery(bytes[bytes.index(after: questionMark)...]))
    }

    /// `application/x-www-form-urlencoded` pairs, in order, empty pieces skipped.
    static func parseQuery(_ query: Substring.UTF8View.SubSequence) -> [(name: String, value: String)] {
        var result: [(name: String, value: String)] = []
        for piece in query.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            if let equals = piece.firstIndex(of: UInt8(ascii: "=")) {
                result.append((name: percentDecoded(piece[..<equals], plusIsSpace: true),
                               value: percentDecoded(piece[piece.index(after: equals)...], plusIsSpace: true)))
            } else {
                result.append((name: percentDecoded(piece, plusIsSpace: true), value: ""))
            }
        }
        return result
    }

    /// Decodes `%XX` escapes (and `+` when asked); malformed escapes are kept
    /// literally and invalid UTF-8 becomes U+FFFD, so no input is rejected here.
    static func percentDecoded<S: Collection>(_ raw: S, plusIsSpace: Bool) -> String where S.Element == UInt8 {
        if !raw.contains(where: { $0 == UInt8(ascii: "%") || (plusIsSpace && $0 == UInt8(ascii: "+")) }) {
            return String(decoding: raw, as: UTF8.self)
        }
        var out: [UInt8] = []
        out.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index != raw.endIndex {
            let byte = raw[index]
            if byte == UInt8(ascii: "%") {
                let first = raw.index(after: index)
                if first != raw.endIndex {
                    let second = raw.index(after: first)
                    if second != raw.endIndex, let high = hexValue(raw[first]), let low = hexValue(raw[second]) {
                        out.append(high << 4 | low)
                        index = raw.index(after: second)
                        continue
                    }
                }
                out.append(byte)
            } else if plusIsSpace && byte == UInt8(ascii: "+") {
                out.append(UInt8(ascii: " "))
            } else {
                out.append(byte)
            }
            index = raw.index(after: index)
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
