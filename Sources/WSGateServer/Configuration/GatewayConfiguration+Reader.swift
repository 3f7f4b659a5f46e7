import Foundation
import Configuration
import SystemPackage
import Logging
import NIOCore
import WSGateCore

extension GatewayConfiguration {
    /// Loads the configuration: the embedded defaults, then the YAML `file` if given, then the
    /// `WSGATE_…` variables of `environment` (a key's path in upper snake case: `limits.maxConnections`
    /// is `WSGATE_LIMITS_MAX_CONNECTIONS`); each later source wins.
    public static func load(file: String?, environment: [String: String]) async throws -> GatewayConfiguration {
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(environmentVariables: environment).prefixKeys(with: "wsgate")
        ]
        if let file {
            providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(file)))
        }
        var configuration = try GatewayConfiguration(reader: ConfigReader(providers: providers), credentialsDirectory: environment["CREDENTIALS_DIRECTORY"])
        configuration.pool.proxies = try ProxyEnvironment(environment)
        return configuration
    }

    /// Reads the configuration from `reader` (a YAML file, `WSGATE_…` environment variables),
    /// starting from the embedded defaults. A present but malformed value is an error, never ignored.
    /// The token is `security.token`, else the file `security.tokenFile`, else the systemd
    /// credential `wsgate-token` in `credentialsDirectory` (`$CREDENTIALS_DIRECTORY`) if it exists.
    public init(reader: ConfigReader, credentialsDirectory: String? = nil) throws {
        self.init()
        let values = ScalarReader(reader: reader)
        if let listen = reader.stringArray(forKey: "listen") ?? values.string("listen").map({ [$0] }) {
            try self.setListenAddresses(listen)
        }
        if let mode = values.string("listenSocket.mode") {
            guard let value = UInt16(mode, radix: 8), value <= 0o777 else {
                throw InvalidInputError("listenSocket.mode must be an octal file mode such as 0660, not \"\(mode)\".")
            }
            self.unixSocketMode = value
        }
        self.unixSocketGroup = values.string("listenSocket.group") ?? self.unixSocketGroup
        if let level = values.string("logLevel") { try self.setLogLevel(level) }
        if let format = values.string("logFormat") { try self.setLogFormat(format) }
        let hour = 3600
        self.pool.maxConnections = try values.int("limits.maxConnections", in: 1...1_000_000) ?? self.pool.maxConnections
        if let limit = try values.int("limits.maxConnectionsPerClient", in: 0...1_000_000) {
            self.pool.maxConnectionsPerClient = limit == 0 ? nil : limit
        }
        self.pool.history.maxSubscribers =
            try values.int("limits.maxSubscribersPerConnection", in: 1...100_000) ?? self.pool.history.maxSubscribers
        self.http.maxEventStreams = try values.int("limits.maxEventStreams", in: 1...1_000_000) ?? self.http.maxEventStreams
        if let seconds = try values.int("limits.idleConnectionSeconds", in: 0...(24 * hour)) {
            self.pool.idleTimeout = seconds == 0 ? nil : .seconds(Int64(seconds))
        }
        // A body is collected into one buffer, which holds less than 4 GiB.
        self.http.maxRequestBodySize = try values.int("limits.maxRequestBodySize", in: 1...(1 << 30)) ?? self.http.maxRequestBodySize
        self.http.maxConnections = try values.int("http.maxConnections", in: 1...1_000_000) ?? self.http.maxConnections
        if let seconds = try values.int("http.idleTimeoutSeconds", in: 1...hour) {
            self.http.idleTimeout = .seconds(Int64(seconds))
        }
        if let seconds = try values.int("http.drainTimeoutSeconds", in: 1...hour) {
            self.http.drainTimeout = .seconds(Int64(seconds))
        }
        if let milliseconds = try values.int("limits.closeTimeoutMs", in: 1...(hour * 1000)) {
            self.pool.closeTimeout = .milliseconds(Int64(milliseconds))
        }
        if let seconds = try values.int("limits.endedRetentionSeconds", in: 0...(24 * hour)) {
            self.pool.endedRetention = .seconds(Int64(seconds))
        }
        self.pool.history.maxEvents = try values.int("history.maxEvents", in: 1...1_000_000) ?? self.pool.history.maxEvents
        self.pool.history.maxBytes = try values.int("history.maxBytes", in: 1...(1 << 32)) ?? self.pool.history.maxBytes
        self.pool.history.subscriberUnsentLimit =
            try values.int("history.subscriberBufferBytes", in: 1...(1 << 32)) ?? self.pool.history.subscriberUnsentLimit
        if let seconds = try values.int("keepaliveSeconds", in: 1...hour) {
            self.keepaliveInterval = .seconds(seconds)
        }
        if let rules = reader.stringArray(forKey: "egress.allow") { self.pool.egress.allow = try rules.map { try EgressRule($0) } }
        if let rules = reader.stringArray(forKey: "egress.deny") { self.pool.egress.deny = try rules.map { try EgressRule($0) } }
        self.allowedHosts = reader.stringArray(forKey: "security.allowedHosts") ?? self.allowedHosts
        self.allowedOrigins = reader.stringArray(forKey: "security.allowedOrigins") ?? self.allowedOrigins
        self.token = try values.token(credentialsDirectory: credentialsDirectory)
        self.allowsRemoteWithoutToken = try values.bool("security.allowRemoteWithoutToken") ?? self.allowsRemoteWithoutToken
        self.pool.allowsInsecureSkipVerify = try values.bool("security.allowInsecureSkipVerify") ?? self.pool.allowsInsecureSkipVerify
        self.connectionDefaults = try ConnectionConfig().applying(json: values.connectionConfig())
    }
}

/// Reads scalar values as text and parses them itself, so that a malformed value can be reported.
private struct ScalarReader {
    let reader: ConfigReader

    func string(_ key: String) -> String? {
        self.reader.string(forKey: ConfigKey(key))
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = self.string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw InvalidInputError("\(key) must be an integer from \(range.lowerBound) to \(range.upperBound), not \"\(text)\".")
        }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        guard let text = self.string(key) else { return nil }
        guard let value = Bool(text) else { throw InvalidInputError("\(key) must be true or false, not \"\(text)\".") }
        return value
    }

    /// The bearer token: `security.token`, the file `security.tokenFile`, or the credential.
    func token(credentialsDirectory: String?) throws -> String? {
        if let token = self.string("security.token") {
            return try Self.validToken(token, from: "security.token")
        }
        let file = self.string("security.tokenFile") ?? credentialsDirectory.map { "\($0)/wsgate-token" }
        guard let file else { return nil }
        guard let contents = FileManager.default.contents(atPath: file) else {
            if self.string("security.tokenFile") == nil { return nil }  // no credential was passed
            throw InvalidInputError("The token file \(file) cannot be read.")
        }
        return try Self.validToken(String(decoding: contents, as: UTF8.self), from: file)
    }

    /// `text` without surrounding white space, which must leave a token of visible ASCII.
    private static func validToken(_ text: String, from source: String) throws -> String {
        let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty, token.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
            throw InvalidInputError("The token in \(source) must be visible ASCII characters without spaces (wsgate token prints one).")
        }
        return token
    }

    /// The `connection` section as the JSON object that `POST /connections` would carry.
    func connectionConfig() -> JSONValue {
        var fields: [String: JSONValue] = [:]
        for key in ConnectionConfig.keys where key != "headers" {
            let fullKey = "connection.\(key)"
            if key == "protocols" {
                if let names = self.reader.stringArray(forKey: ConfigKey(fullKey)) {
                    fields[key] = .array(names.map(JSONValue.string))
                }
            } else if let section = ConnectionConfig.sections[key] {
                let values = section.compactMap { name in self.string("\(fullKey).\(name)").map { (name, Self.scalar($0)) } }
                if !values.isEmpty { fields[key] = .object(Dictionary(uniqueKeysWithValues: values)) }
            } else if let text = self.string(fullKey) {
                fields[key] = Self.scalar(text)
            }
        }
        return .object(fields)
    }

    /// A configuration value as the JSON scalar it reads as.
    private static func scalar(_ text: String) -> JSONValue {
        Int(text).map(JSONValue.integer) ?? Bool(text).map(JSONValue.bool) ?? .string(text)
    }
}
