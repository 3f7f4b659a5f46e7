import NIOCore

/// Which upstreams the gateway may connect to: allowed when some `allow` rule matches (or
/// `allow` is empty) and no `deny` rule does. Address rules are checked against the addresses
/// a name resolves to, just before connecting to them, so that a name pointing at a forbidden
/// address (DNS rebinding) is refused; the gateway follows no redirects.
public struct EgressPolicy: Sendable, Equatable {
    /// Rules one of which must match, unless empty.
    public var allow: [EgressRule]
    /// Rules none of which may match.
    public var deny: [EgressRule]

    /// A policy of `allow` and `deny` rules; the default allows everything.
    public init(allow: [EgressRule] = [], deny: [EgressRule] = []) {
        self.allow = allow
        self.deny = deny
    }

    /// Whether every upstream is allowed, so that nothing needs checking.
    public var allowsEverything: Bool { self.allow.isEmpty && self.deny.isEmpty }

    /// Whether some rule matches addresses, so that names must be resolved before the check.
    var checksAddresses: Bool { (self.allow + self.deny).contains(where: \.matchesAddresses) }

    /// `nil` if a connection to `url` at `address` is allowed, else why not.
    func refusal(of url: WebSocketURL, at address: SocketAddress?) -> String? {
        let target = address.map { "\(url.origin) at \($0.ipAddress ?? "?")" } ?? url.origin
        if let rule = self.deny.first(where: { $0.matches(url, address: address) }) {
            return "The egress policy denies \(target) (rule \"\(rule)\")."
        }
        if !self.allow.isEmpty, !self.allow.contains(where: { $0.matches(url, address: address) }) {
            return "The egress policy allows no rule that matches \(target)."
        }
        return nil
    }
}
