import VPPCodec

extension DecodedMessage {
    /// The reply's top-level `retval`, nil when the message has none (21 replies in 26.06,
    /// e.g. `sockclnt_create_reply`, notes §1.12).
    ///
    /// Read by scanning the canonical JSON for the top-level key rather than parsing it:
    /// `retval` comes right after `_msgname`/`_crc` in nearly every reply, so this costs a
    /// few dozen byte comparisons on the hot path of every HTTP request.
    public var retval: Int32? {
        RetvalScanner.topLevelInteger(json, key: Array("retval".utf8)).map { Int32(truncatingIfNeeded: $0) }
    }

    /// The message itself when `retval` is 0 or absent; otherwise throws
    /// `VPPError.retval(code, name, self)` so callers can use `try` for VPP failures.
    public func checked() throws(VPPError) -> DecodedMessage {
        if let r = retval, r != 0 { throw .retval(r, message.name, self) }
        return self
    }
}

/// Finds an integer member of the outermost JSON object without building a tree.
enum RetvalScanner {
    static func topLevelInteger(_ json: [UInt8], key: [UInt8]) -> Int64? {
        var i = 0
        var depth = 0
        let n = json.count
        while i < n {
            let b = json[i]
            switch b {
            case UInt8(ascii: "\""):
                // A string: a key at depth 1 if followed by ':'.
                let start = i + 1
                i = start
                while i < n && json[i] != UInt8(ascii: "\"") {
                    if json[i] == UInt8(ascii: "\\") { i += 1 }
                    i += 1
                }
                let end = i
                i += 1
                if depth == 1 && i < n && json[i] == UInt8(ascii: ":") && end - start == key.count
                    && json[start..<end].elementsEqual(key) {
                    return parseInteger(json, from: i + 1)
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                i += 1
                if depth == 0 { return nil }
            default:
                i += 1
            }
        }
        return nil
    }

    private static func parseInteger(_ json: [UInt8], from start: Int) -> Int64? {
        var i = start
        let n = json.count
        while i < n && json[i] == UInt8(ascii: " ") { i += 1 }
        var negative = false
        if i < n && json[i] == UInt8(ascii: "-") { negative = true; i += 1 }
        var value: Int64 = 0
        var digits = 0
        while i < n, json[i] &- 48 < 10 {
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(json[i] - 48))
            if o1 || o2 { return nil }
            value = s
            digits += 1
            i += 1
        }
        guard digits > 0 else { return nil }
        return negative ? -value : value
    }
}
