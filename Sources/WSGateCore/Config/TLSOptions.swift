/// How a `wss` connection verifies the upstream and presents itself: the `tls` object of a
/// connection config.
public struct TLSOptions: Sendable, Equatable {
    /// A PEM file of CA certificates to trust.
    public var caFile: String?
    /// PEM text of CA certificates to trust.
    public var caPem: String?
    /// Whether the system's trust store counts beside `caFile` and `caPem`; with it off, only
    /// they do.
    public var systemRoots = true
    /// The name sent as SNI and verified in the certificate, instead of the URL's host.
    public var serverName: String?
    /// A PEM file with the client certificate (and its chain) for mutual TLS.
    public var clientCertificateFile: String?
    /// PEM text of the client certificate (and its chain) for mutual TLS.
    public var clientCertificatePem: String?
    /// A PEM file with the client certificate's private key.
    public var clientKeyFile: String?
    /// PEM text of the client certificate's private key.
    public var clientKeyPem: String?
    /// Accepts any certificate: for tests only. Logged at warning on every use; a server may refuse it.
    public var insecureSkipVerify = false

    /// The system's trust store, no client certificate.
    public init() {}

    /// Whether these are the defaults, which share one TLS context.
    var isDefault: Bool { self == TLSOptions() }

    /// Every key of the JSON object.
    public static let keys: Set<String> = [
        "caFile", "caPem", "systemRoots", "serverName", "clientCertificateFile", "clientCertificatePem",
        "clientKeyFile", "clientKeyPem", "insecureSkipVerify",
    ]

    /// These options with the keys of the JSON object `json` applied; `null` for a key restores its default.
    func applying(json: JSONValue) throws(InvalidInputError) -> TLSOptions {
        if json == .null { return TLSOptions() }
        guard case .object(let fields) = json else {
            throw InvalidInputError("\"tls\" must be an object, not \(json.typeName).")
        }
        if let unknown = fields.keys.sorted().first(where: { !Self.keys.contains($0) }) {
            throw InvalidInputError("Unknown key \"tls.\(unknown)\".")
        }
        var options = self
        func text(_ key: String) throws(InvalidInputError) -> String?? {
            switch fields[key] {
            case nil: return .none
            case .null?: return .some(nil)
            case .string(let value)? where !value.isEmpty: return .some(value)
            default: throw InvalidInputError("\"tls.\(key)\" must be a non-empty string.")
            }
        }
        func flag(_ key: String, default defaultValue: Bool) throws(InvalidInputError) -> Bool? {
            switch fields[key] {
            case nil: return nil
            case .null?: return defaultValue
            case .bool(let value)?: return value
            default: throw InvalidInputError("\"tls.\(key)\" must be a boolean.")
            }
        }
        if let value = try text("caFile") { options.caFile = value }
        if let value = try text("caPem") { options.caPem = value }
        if let value = try text("serverName") { options.serverName = value }
        if let value = try text("clientCertificateFile") { options.clientCertificateFile = value }
        if let value = try text("clientCertificatePem") { options.clientCertificatePem = value }
        if let value = try text("clientKeyFile") { options.clientKeyFile = value }
        if let value = try text("clientKeyPem") { options.clientKeyPem = value }
        if let value = try flag("systemRoots", default: true) { options.systemRoots = value }
        if let value = try flag("insecureSkipVerify", default: false) { options.insecureSkipVerify = value }
        try options.validate()
        return options
    }

    /// Checks the rules that tie keys together, and that the certificates and key load.
    func validate() throws(InvalidInputError) {
        if self.caFile != nil, self.caPem != nil {
            throw InvalidInputError("Give \"tls.caFile\" or \"tls.caPem\", not both.")
        }
        if self.clientCertificateFile != nil, self.clientCertificatePem != nil {
            throw InvalidInputError("Give \"tls.clientCertificateFile\" or \"tls.clientCertificatePem\", not both.")
        }
        if self.clientKeyFile != nil, self.clientKeyPem != nil {
            throw InvalidInputError("Give \"tls.clientKeyFile\" or \"tls.clientKeyPem\", not both.")
        }
        let hasCertificate = self.clientCertificateFile != nil || self.clientCertificatePem != nil
        let hasKey = self.clientKeyFile != nil || self.clientKeyPem != nil
        if hasCertificate != hasKey {
            throw InvalidInputError("A client certificate needs its key: give both or neither.")
        }
        if !self.systemRoots, self.caFile == nil, self.caPem == nil {
            throw InvalidInputError("\"tls.systemRoots\": false needs \"tls.caFile\" or \"tls.caPem\" to trust instead.")
        }
        do {
            _ = try self.material()
        } catch {
            throw InvalidInputError(error.description)
        }
    }
}
