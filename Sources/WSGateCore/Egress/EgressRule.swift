import Foundation
import NIOCore

/// One rule of the egress policy: which upstreams it matches, by scheme, host and port.
///
/// Written `[scheme://]host[:port]`, every part but the host optional:
/// - `*` matches any host; `example.com` that name; `*.example.com` its subdomains;
/// - `10.0.0.0/8`, `192.0.2.7`, `[fc00::/7]` or `fc00::/7` an address range, matched against
///   the addresses the host resolves to, just before connecting.
///
/// For example `wss://*.example.com:443`, `10.0.0.0/8`, `ws://localhost:8080`, `[::1]:9000`.
public struct EgressRule: Sendable, Equatable, CustomStringConvertible {
    /// What a rule's host part matches.
    enum Host: Sendable, Equatable {
        case any
        /// A host name, lowercased.
        case name(String)
        /// Names ending in `.suffix` (lowercased, without the dot).
        case subdomains(of: String)
        /// Addresses in a range.
        case network(IPNetwork)
    }

    /// `ws` or `wss`, or `nil` for both.
    let scheme: String?
    let host: Host
    /// The port, or `nil` for any.
    let port: Int?
    /// The rule as written.
    public let description: String

    /// Parses a rule; throws for one that is malformed.
    public init(_ text: String) throws(InvalidInputError) {
        self.description = text
        var rest = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        if let separator = rest.range(of: "://") {
            let scheme = String(rest[..<separator.lowerBound])
            guard scheme == "ws" || scheme == "wss" else {
                throw InvalidInputError("The egress rule \"\(text)\" names the scheme \"\(scheme)\"; only ws and wss are allowed.")
            }
            self.scheme = scheme
            rest = rest[separator.upperBound...]
        } else {
            self.scheme = nil
        }
        var hostText = rest
        var portText: Substring?
        if rest.hasPrefix("[") {
            // [v6 address or range] with an optional :port after the bracket.
            guard let close = rest.firstIndex(of: "]") else { throw InvalidInputError("The egress rule \"\(text)\" lacks a \"]\".") }
            hostText = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw InvalidInputError("The egress rule \"\(text)\" has text after \"]\".") }
                portText = after.dropFirst()
            }
        } else if rest.filter({ $0 == ":" }).count == 1, let colon = rest.lastIndex(of: ":") {
            hostText = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
        }
        if let portText {
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw InvalidInputError("The port of the egress rule \"\(text)\" must be from 1 to 65535.")
            }
            self.port = port
        } else {
            self.port = nil
        }
        self.host = try Self.host(String(hostText), rule: text)
    }

    private static func host(_ text: String, rule: String) throws(InvalidInputError) -> Host {
        if text == "*" { return .any }
        if let network = try? IPNetwork(text) { return .network(network) }
        if text.hasPrefix("*.") {
            let suffix = String(text.dropFirst(2))
            guard Self.isHostName(suffix) else { throw InvalidInputError("The egress rule \"\(rule)\" has an invalid domain.") }
            return .subdomains(of: suffix)
        }
        guard Self.isHostName(text) else {
            throw InvalidInputError("The egress rule \"\(rule)\" has \"\(text)\", which is no host name, *.domain, IP address or CIDR range.")
        }
        return .name(text)
    }

    /// Whether `text` is a host name: dot-separated labels of letters, digits, `-` and `_`.
    private static func isHostName(_ text: String) -> Bool {
        let labels = text.split(separator: ".", omittingEmptySubsequences: false)
        return labels.allSatisfy { label in
            !label.isEmpty && label.utf8.allSatisfy { byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                    || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
            }
        }
    }

    /// Whether the rule matches a connection to `url` at `address` (`nil` before resolution,
    /// when only rules without an address range can match).
    func matches(_ url: WebSocketURL, address: SocketAddress?) -> Bool {
        if let scheme, scheme != (url.isSecure ? "wss" : "ws") { return false }
        if let port, port != url.port { return false }
        switch self.host {
        case .any: return true
        case .name(let name): return url.host.lowercased() == name
        case .subdomains(let suffix): return url.host.lowercased().hasSuffix("." + suffix)
        case .network(let network): return address.map(network.contains) ?? false
        }
    }

    /// Whether the rule needs the upstream's addresses to be matched.
    var matchesAddresses: Bool {
        if case .network = self.host { true } else { false }
    }
}
