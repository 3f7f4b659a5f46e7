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

    /// `localhost`, any `*.localhost` (in any case), 127.0.0.0/8 and ::1. Read as bytes, in place.
    static func isLoopback(_ host: Substring) -> Bool {
        let bytes = host.utf8
        if host == "::1" || (bytes.starts(with: "127.".utf8) && Self.isIPv4Address(bytes)) { return true }
        return Self.isLocalhostName(bytes)
    }

    /// Whether `bytes` are `localhost` or end with a `.localhost` label, in any case.
    private static func isLocalhostName(_ bytes: Substring.UTF8View) -> Bool {
        let localhost = "localhost".utf8
        let suffix = bytes.suffix(localhost.count)
        guard suffix.count == localhost.count, zip(suffix, localhost).allSatisfy({ Self.asciiLowercased($0) == $1 }) else {
            return false
        }
        return suffix.startIndex == bytes.startIndex || bytes[bytes.index(before: suffix.startIndex)] == UInt8(ascii: ".")
    }

    /// Whether `bytes` are four dot-separated decimal octets, each at most 255.
    private static func isIPv4Address(_ bytes: Substring.UTF8View) -> Bool {
        var start = bytes.startIndex
        var octets = 0
        while true {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ".")) ?? bytes.endIndex
            guard UInt8(Substring(bytes[start..<end])) != nil else { return false }
            octets += 1
            if end == bytes.endIndex { return octets == 4 }
            guard octets < 4 else { return false }
            start = bytes.index(after: end)
        }
    }

    /// `byte` with an ASCII capital letter made small.
    private static func asciiLowercased(_ byte: UInt8) -> UInt8 {
        (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte + 32 : byte
    }
}
