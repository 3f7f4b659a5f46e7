/// Which `Host` values the gateway answers: loopback names and addresses, and the configured
/// extra hosts. Refusing the rest defeats DNS rebinding, where a web page reaches a local
/// service under a name of its own.
struct HostPolicy: Sendable {
    /// Extra host names (without port), lowercased; `*` accepts any.
    let allowedHosts: Set<String>

    init(allowedHosts: [String]) {
        self.allowedHosts = Set(allowedHosts.map { $0.lowercased() })
    }

    /// Whether a request with this `Host` (`host[:port]` or `[v6][:port]`) is answered.
    func allows(_ authority: String) -> Bool {
        let host = Self.hostName(of: authority)
        if Self.isLoopback(host) || self.allowedHosts.contains("*") { return true }
        return self.allowedHosts.contains(host.lowercased())
    }

    /// The host part of `host[:port]` or `[v6][:port]`, without brackets. Read as bytes, as every
    /// request's `Host` is.
    static func hostName(of authority: String) -> Substring {
        let bytes = authority.utf8
        if bytes.first == UInt8(ascii: "["), let end = bytes.firstIndex(of: UInt8(ascii: "]")) {
            return Substring(bytes[bytes.index(after: bytes.startIndex)..<end])
        }
        return Substring(bytes[..<(bytes.firstIndex(of: UInt8(ascii: ":")) ?? bytes.endIndex)])
    }

    /// `localhost`, any `*.localhost` (in any case), 127.0.0.0/8 and ::1.
    static func isLoopback(_ host: Substring) -> Bool {
        let octets = host.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        if octets.count == 4, octets[0].elementsEqual("127".utf8), octets.allSatisfy({ UInt8(Substring($0)) != nil }) { return true }
        let name = host.lowercased()
        return name == "localhost" || name.hasSuffix(".localhost") || name == "::1"
    }
}
