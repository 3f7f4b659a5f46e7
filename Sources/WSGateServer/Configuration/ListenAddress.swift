#if canImport(Glibc)
import Glibc
#endif
import WSGateCore

/// Where the gateway listens: a TCP address, a Unix socket path, or a socket systemd passed in.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    /// `HOST:PORT` or `[IPv6]:PORT`; port 0 picks a free one.
    case tcp(host: String, port: Int)
    /// `unix:/path/to/socket`.
    case unix(path: String)
    /// A listening socket inherited through socket activation (`LISTEN_FDS`), with its name.
    case inherited(descriptor: Int32, name: String)

    /// Parses `HOST:PORT`, `[IPv6]:PORT` or `unix:PATH`.
    public init(_ text: String) throws(InvalidInputError) {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard path.hasPrefix("/") else { throw InvalidInputError("The Unix socket in \"\(text)\" needs an absolute path.") }
            self = .unix(path: path)
            return
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            throw InvalidInputError("The listen address \"\(text)\" is not HOST:PORT, [IPv6]:PORT or unix:/PATH.")
        }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        guard !host.isEmpty else { throw InvalidInputError("The listen address \"\(text)\" has no host.") }
        self = .tcp(host: String(host), port: port)
    }

    /// Whether only this machine can reach it: a loopback address, or a Unix socket (guarded by
    /// its file mode). An inherited socket is asked what it is bound to.
    var isLocal: Bool {
        switch self {
        case .tcp(let host, _): HostPolicy.isLoopback(host[...])
        case .unix: true
        case .inherited(let descriptor, _): Self.isBoundLocally(descriptor)
        }
    }

    /// Whether the socket `descriptor` is a Unix socket or bound to a loopback address.
    private static func isBoundLocally(_ descriptor: Int32) -> Bool {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0 else { return false }
        switch Int32(storage.ss_family) {
        case AF_UNIX:
            return true
        case AF_INET:
            // The address is in network order: its first byte is the first octet.
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in.self).sin_addr.s_addr }
            return withUnsafeBytes(of: address) { $0[0] } == 127
        case AF_INET6:
            let address = withUnsafeBytes(of: &storage) { $0.load(as: sockaddr_in6.self).sin6_addr }
            return withUnsafeBytes(of: address) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
        default:
            return false
        }
    }

    /// As the config file writes it.
    public var description: String {
        switch self {
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): "unix:\(path)"
        case .inherited(let descriptor, let name): "systemd socket \(name) (fd \(descriptor))"
        }
    }
}
