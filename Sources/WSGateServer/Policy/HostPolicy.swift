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
        let host = Self.hostName(of: authority).lowercased()
        return self.allowedHosts.contains("*") || self.allowedHosts.contains(host) || Self.isLoopback(host)
    }

    /// The host part of `host[:port]` or `[v6][:port]`, without brackets.
    static func hostName(of authority: String) -> Substring {
        if authority.hasPrefix("["), let end = authority.firstIndex(of: "]") {
            return authority[authority.index(after: authority.startIndex)..<end]
        }
        return authority.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }

    /// `localhost`, any `*.localhost`, 127.0.0.0/8 and ::1.
    static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host.hasSuffix(".localhost") || host == "::1" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }
}
