#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket address to listen on, parsed from ``HTTPServerConfiguration/host``
/// and `port`. Only IP literals are accepted: name resolution at startup would
/// hide which interface the gateway really listens on.
enum BindAddress {
    case ipv4(sockaddr_in)
    case ipv6(sockaddr_in6, allInterfaces: Bool)

    init(host: String, port: UInt16) throws(HTTPServerError) {
        var literal = host
        if literal.hasPrefix("[") && literal.hasSuffix("]") {
            literal = String(literal.dropFirst().dropLast())
        }
        if literal == "localhost" { literal = "127.0.0.1" }
        var v4 = in_addr()
        if inet_pton(AF_INET, literal, &v4) == 1 {
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = port.bigEndian
            address.sin_addr = v4
            self = .ipv4(address)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, literal, &v6) == 1 {
            var address = sockaddr_in6()
            address.sin6_family = sa_family_t(AF_INET6)
            address.sin6_port = port.bigEndian
            address.sin6_addr = v6
            let any = withUnsafeBytes(of: v6) { $0.allSatisfy { $0 == 0 } }
            self = .ipv6(address, allInterfaces: any)
            return
        }
        throw .invalidHost(host)
    }

    /// Calls `body` with a pointer to the `sockaddr`, valid only during the call
    /// (libmicrohttpd binds during `MHD_start_daemon` and keeps no pointer).
    func withSockaddr<R>(_ body: (UnsafeMutableRawPointer?) throws -> R) rethrows -> R {
        switch self {
        case .ipv4(var address): try withUnsafeMutableBytes(of: &address) { try body($0.baseAddress) }
        case .ipv6(var address, _): try withUnsafeMutableBytes(of: &address) { try body($0.baseAddress) }
        }
    }

    var isIPv6: Bool {
        if case .ipv6 = self { return true }
        return false
    }

    var isAllInterfacesIPv6: Bool {
        if case .ipv6(_, let all) = self { return all }
        return false
    }
}

/// Formats a peer address for ``HTTPRequest/remoteAddress``; IPv4-mapped IPv6
/// addresses (dual-stack listeners) are shown as plain IPv4.
func formatPeer(_ address: UnsafePointer<sockaddr>) -> (address: String, port: UInt16) {
    switch Int32(address.pointee.sa_family) {
    case AF_INET:
        return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
            var raw = pointer.pointee.sin_addr
            return (ntop(AF_INET, &raw, Int(INET_ADDRSTRLEN)), UInt16(bigEndian: pointer.pointee.sin_port))
        }
    case AF_INET6:
        return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
            var raw = pointer.pointee.sin6_addr
            let port = UInt16(bigEndian: pointer.pointee.sin6_port)
            let bytes = withUnsafeBytes(of: raw) { Array($0) }
            if bytes.prefix(10).allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                return (bytes[12...].map(String.init).joined(separator: "."), port)
            }
            return (ntop(AF_INET6, &raw, Int(INET6_ADDRSTRLEN)), port)
        }
    default:
        return ("", 0)
    }
}

private func ntop(_ family: Int32, _ raw: UnsafeRawPointer, _ capacity: Int) -> String {
    var buffer = [CChar](repeating: 0, count: capacity + 1)
    guard inet_ntop(family, raw, &buffer, socklen_t(capacity)) != nil else { return "" }
    let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}
