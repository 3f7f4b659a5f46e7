import NIOCore

/// An IPv4 or IPv6 address range in CIDR form, such as `10.0.0.0/8` or `fc00::/7`.
public struct IPNetwork: Sendable, Equatable, CustomStringConvertible {
    /// The network's address bytes (4 or 16), with the host bits cleared.
    private let bytes: [UInt8]
    /// How many leading bits a member shares with `bytes`.
    private let prefixLength: Int

    /// Parses `a.b.c.d/n` or `x::y/n`; an address without `/n` is that address alone.
    public init(_ text: String) throws(InvalidInputError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = try? SocketAddress(ipAddress: String(parts[0]), port: 0), let bytes = Self.bytes(of: address) else {
            throw InvalidInputError("\"\(text)\" is not an IP address or CIDR range.")
        }
        let bits = bytes.count * 8
        var prefixLength = bits
        if parts.count == 2 {
            guard let length = Int(parts[1]), (0...bits).contains(length) else {
                throw InvalidInputError("The prefix length of \"\(text)\" must be from 0 to \(bits).")
            }
            prefixLength = length
        }
        self.prefixLength = prefixLength
        self.bytes = Self.masked(bytes, to: prefixLength)
        self.description = text
    }

    /// The range as written.
    public let description: String

    /// Whether `address` lies in the range; an IPv4-mapped IPv6 address counts as its IPv4 address.
    public func contains(_ address: SocketAddress) -> Bool {
        guard var bytes = Self.bytes(of: address) else { return false }
        if bytes.count == 16, self.bytes.count == 4, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
            bytes = Array(bytes[12...])
        }
        return bytes.count == self.bytes.count && Self.masked(bytes, to: self.prefixLength) == self.bytes
    }

    /// The address bytes of an IPv4 or IPv6 socket address.
    private static func bytes(of address: SocketAddress) -> [UInt8]? {
        switch address {
        case .v4(let v4): withUnsafeBytes(of: v4.address.sin_addr) { Array($0) }
        case .v6(let v6): withUnsafeBytes(of: v6.address.sin6_addr) { Array($0) }
        case .unixDomainSocket: nil
        }
    }

    /// `bytes` with every bit after the first `prefixLength` cleared.
    private static func masked(_ bytes: [UInt8], to prefixLength: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let kept = min(max(prefixLength - index * 8, 0), 8)
            return kept == 8 ? byte : byte & ~(UInt8(0xFF) >> kept)
        }
    }
}
