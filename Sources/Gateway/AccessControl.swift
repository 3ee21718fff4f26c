import Crypto
import Foundation
import Synchronization

/// What a token may do. A route needs one scope; `admin` covers the others.
public enum Scope: String, Sendable, CaseIterable, Comparable {
    /// GET calls, dumps (any method), schema, OpenAPI, metrics.
    case read
    /// POST requests that change VPP.
    case write
    /// Server-Sent Events streams.
    case events
    /// `cli_inband`, decode and encode.
    case admin

    public static func < (a: Scope, b: Scope) -> Bool {
        allCases.firstIndex(of: a) ?? 0 < allCases.firstIndex(of: b) ?? 0
    }
}

/// Bearer tokens from a file, stored hashed.
///
/// File format, one token per line (`#` starts a comment):
/// `sha256:<64 hex digits> <name> <scope>[,<scope>…]` — the hash of the token, never the
/// token itself, so a leaked file grants nothing. `vpp-gateway token` makes a token and its
/// line. The file is re-read on `reload()` (the server calls it on SIGHUP); a file that
/// fails to parse leaves the previous tokens in force.
public final class TokenStore: Sendable {
    /// One token's identity and rights.
    public struct Entry: Sendable, Equatable {
        /// SHA-256 of the token.
        public let digest: [UInt8]
        /// A name for logs (never the token).
        public let name: String
        /// What it may do.
        public let scopes: Set<Scope>
    }

    /// The file read.
    public let path: String
    private let entries = Mutex<[Entry]>([])

    /// Loads `path`; throws when it cannot be read or parsed.
    public init(path: String) throws {
        self.path = path
        try reload()
    }

    /// Tokens in force.
    public var count: Int { entries.withLock { $0.count } }

    /// Re-reads the file; on error the previous tokens stay in force.
    public func reload() throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AccessError.unreadable(path)
        }
        let parsed = try Self.parse(String(decoding: data, as: UTF8.self), path: path)
        entries.withLock { $0 = parsed }
    }

    static func parse(_ text: String, path: String) throws -> [Entry] {
        var out: [Entry] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if parts.isEmpty { continue }
            guard parts.count == 3, parts[0].hasPrefix("sha256:"), let digest = hexBytes(parts[0].dropFirst(7)), digest.count == 32 else {
                throw AccessError.malformed(path, line: n + 1, "expected `sha256:<64 hex digits> <name> <scopes>`")
            }
            var scopes: Set<Scope> = []
            for s in parts[2].split(separator: ",") {
                guard let scope = Scope(rawValue: String(s)) else {
                    throw AccessError.malformed(path, line: n + 1, "unknown scope \(s); scopes are \(Scope.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                scopes.insert(scope)
            }
            out.append(Entry(digest: digest, name: String(parts[1]), scopes: scopes))
        }
        return out
    }

    /// The entry a presented token matches, comparing in constant time against every entry
    /// (the loop never stops early), so timing reveals nothing about which bytes matched.
    public func authenticate(_ token: String) -> Entry? {
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        var found: Entry?
        for e in entries.withLock({ $0 }) {
            var diff: UInt8 = 0
            for (a, b) in zip(e.digest, digest) { diff |= a ^ b }
            if diff == 0 { found = e }
        }
        return found
    }

    /// The line to put in a tokens file for `token`.
    public static func line(token: String, name: String, scopes: [Scope]) -> String {
        let hex = SHA256.hash(data: Array(token.utf8)).map { String(format: "%02x", $0) }.joined()
        return "sha256:\(hex) \(name) \(scopes.map(\.rawValue).joined(separator: ","))"
    }

    /// A new random token: 32 bytes from the system's secure generator, hex.
    public static func generateToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    private static func hexBytes(_ s: Substring) -> [UInt8]? {
        let u = Array(s.utf8)
        guard u.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        var i = 0
        while i < u.count {
            guard let h = UInt8(String(decoding: u[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(h)
            i += 2
        }
        return out
    }
}

/// Why access configuration could not be loaded.
public enum AccessError: Error, CustomStringConvertible {
    case unreadable(String)
    case malformed(String, line: Int, String)

    public var description: String {
        switch self {
        case .unreadable(let p): "cannot read the tokens file \(p)"
        case .malformed(let p, let line, let why): "\(p):\(line): \(why)"
        }
    }
}

/// Which messages may be called at all, whoever asks.
///
/// `deny` globs win over `allow` globs; with any `allow` glob, only matching messages are
/// served. `readOnly` serves only dumps, get/stream calls, `show_*`/`*_get*` requests and
/// events. `cli_inband` can do anything VPP's CLI can, so it is denied unless an allow entry
/// names it exactly.
public struct MessagePolicy: Sendable, Equatable {
    /// Glob patterns (`*`, `?`) of messages to serve.
    public var allow: [String]
    /// Glob patterns of messages never to serve.
    public var deny: [String]
    /// Serve only reads.
    public var readOnly: Bool

    /// Messages that need an explicit, exact allow entry.
    public static let dangerous: Set<String> = ["cli_inband", "cli"]

    /// A policy; the default serves everything but `cli_inband`.
    public init(allow: [String] = [], deny: [String] = [], readOnly: Bool = false) {
        self.allow = allow
        self.deny = deny
        self.readOnly = readOnly
    }

    /// Why `name` may not be served (nil when it may). `isRead` says whether the message
    /// only reads VPP state (dumps, get/stream, show_*, *_get*, events).
    public func refusal(_ name: String, isRead: Bool) -> String? {
        if let d = deny.first(where: { Glob.matches($0, name) }) { return "\(name) is denied by the message policy (\(d))" }
        if Self.dangerous.contains(name), !allow.contains(name) {
            return "\(name) runs arbitrary VPP CLI commands and is denied unless allowed explicitly (--allow \(name))"
        }
        if !allow.isEmpty, !allow.contains(where: { Glob.matches($0, name) }) {
            return "\(name) is not in the message policy's allow list"
        }
        if readOnly, !isRead { return "the gateway is read-only; \(name) changes VPP" }
        return nil
    }
}

/// Shell-style globs (`*` any run, `?` one character) over message names.
enum Glob {
    static func matches(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count, p[pi] == UInt8(ascii: "?") || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if pi < p.count, p[pi] == UInt8(ascii: "*") {
                star = pi; mark = ti; pi += 1
            } else if star >= 0 {
                pi = star + 1; mark += 1; ti = mark
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}
