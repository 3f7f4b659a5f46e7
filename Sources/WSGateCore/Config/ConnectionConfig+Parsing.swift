extension ConnectionConfig {
    /// Every key the JSON form of a connection config may have.
    public static let keys: Set<String> = [
        "headers", "protocols", "readBufferSize", "writeBufferSize", "maxWriteBufferSize",
        "maxMessageSize", "maxFrameSize", "acceptUnmaskedFrames", "connectTimeoutMs", "pingIntervalMs", "pingTimeoutMs", "compression", "historyOverflow",
        "proxy", "reconnect", "tls",
    ]

    /// The keys whose value is an object, with the keys of that object.
    public static let sections: [String: Set<String>] = ["tls": TLSOptions.keys, "reconnect": ReconnectPolicy.keys]

    /// Handshake headers the gateway sets itself; a user value would break the handshake.
    public static let reservedHeaderNames: Set<String> = [
        "upgrade", "connection", "sec-websocket-key", "sec-websocket-version", "sec-websocket-extensions",
    ]

    /// Returns this config with the keys of the JSON object `json` applied over it.
    /// `null` for a size limit restores the default; `"none"` removes the limit.
    public func applying(json: JSONValue) throws(InvalidInputError) -> ConnectionConfig {
        guard case .object(let fields) = json else {
            throw InvalidInputError("\"config\" must be an object, not \(json.typeName).")
        }
        if let unknown = fields.keys.sorted().first(where: { !Self.keys.contains($0) }) {
            throw InvalidInputError("Unknown config key \"\(unknown)\".")
        }
        let defaults = ConnectionConfig()
        var config = self
        if let value = fields["headers"] { config.headers = try Self.headers(from: value) }
        if let value = fields["historyOverflow"] {
            guard case .string(let name) = value, let overflow = HistoryOverflow(rawValue: name) else {
                throw InvalidInputError("\"historyOverflow\" must be \"pause\" or \"dropOldest\".")
            }
            config.historyOverflow = overflow
        }
        if let value = fields["protocols"] { config.protocols = try Self.protocols(from: value) }
        if let value = fields["proxy"] {
            switch value {
            case .null: config.proxy = .environment
            case .string("none"): config.proxy = ProxySetting.none
            case .string(let text): config.proxy = .proxy(try HTTPProxy(text))
            default: throw InvalidInputError("\"proxy\" must be a URL such as \"http://proxy:3128\", \"none\" or null.")
            }
        }
        if let value = fields["reconnect"] { config.reconnect = try ReconnectPolicy.from(json: value) }
        if let value = fields["tls"] { config.tls = try config.tls.applying(json: value) }
        if let value = fields["readBufferSize"] {
            config.readBufferSize = try Self.size(value, key: "readBufferSize", minimum: 1) ?? defaults.readBufferSize
        }
        if let value = fields["writeBufferSize"] {
            config.writeBufferSize = try Self.size(value, key: "writeBufferSize", minimum: 0) ?? defaults.writeBufferSize
        }
        if let value = fields["maxWriteBufferSize"] {
            config.maxWriteBufferSize = try Self.limit(value, key: "maxWriteBufferSize", default: defaults.maxWriteBufferSize)
        }
        if let value = fields["maxMessageSize"] {
            config.maxMessageSize = try Self.limit(
                value, key: "maxMessageSize", default: defaults.maxMessageSize, maximum: Self.largestMessage
            )
        }
        if let value = fields["maxFrameSize"] {
            config.maxFrameSize = try Self.limit(value, key: "maxFrameSize", default: defaults.maxFrameSize, maximum: Self.largestMessage)
        }
        if let value = fields["acceptUnmaskedFrames"] {
            config.acceptUnmaskedFrames = try Self.flag(value, key: "acceptUnmaskedFrames") ?? defaults.acceptUnmaskedFrames
        }
        if let value = fields["compression"] {
            config.compression = try Self.flag(value, key: "compression") ?? defaults.compression
        }
        if let value = fields["connectTimeoutMs"] {
            config.connectTimeoutMilliseconds =
                try Self.size(value, key: "connectTimeoutMs", minimum: 1, maximum: Self.longestTimeout)
                ?? defaults.connectTimeoutMilliseconds
        }
        if let value = fields["pingIntervalMs"] {
            config.pingIntervalMilliseconds =
                try Self.size(value, key: "pingIntervalMs", minimum: 0, maximum: Self.longestTimeout) ?? defaults.pingIntervalMilliseconds
        }
        if let value = fields["pingTimeoutMs"] {
            config.pingTimeoutMilliseconds =
                try Self.size(value, key: "pingTimeoutMs", minimum: 1, maximum: Self.longestTimeout) ?? defaults.pingTimeoutMilliseconds
        }
        try config.validate()
        return config
    }

    /// Checks the rules that tie keys together.
    public func validate() throws(InvalidInputError) {
        if let maxWriteBufferSize, maxWriteBufferSize <= writeBufferSize {
            throw InvalidInputError(
                "\"maxWriteBufferSize\" (\(maxWriteBufferSize)) must be greater than \"writeBufferSize\" (\(writeBufferSize))."
            )
        }
    }

    /// A boolean, or `nil` for JSON `null`.
    private static func flag(_ value: JSONValue, key: String) throws(InvalidInputError) -> Bool? {
        switch value {
        case .bool(let flag): return flag
        case .null: return nil
        default: throw InvalidInputError("\"\(key)\" must be a boolean, not \(value.typeName).")
        }
    }

    /// An integer from `minimum` to `maximum`, or `nil` for JSON `null`.
    private static func size(
        _ value: JSONValue, key: String, minimum: Int, maximum: Int = .max
    ) throws(InvalidInputError) -> Int? {
        switch value {
        case .null:
            return nil
        case .integer(let number) where (minimum...maximum).contains(number):
            return number
        default:
            throw InvalidInputError(
                "\"\(key)\" must be an integer of at least \(minimum)\(maximum == .max ? "" : " and at most \(maximum)")."
            )
        }
    }

    /// A size limit: an integer from 1 to `maximum`, `"none"` for no limit, or `null` for the default.
    private static func limit(
        _ value: JSONValue, key: String, default defaultValue: Int?, maximum: Int = .max
    ) throws(InvalidInputError) -> Int? {
        switch value {
        case .null: return defaultValue
        case .string("none"): return nil
        default: return try self.size(value, key: key, minimum: 1, maximum: maximum)
        }
    }

    private static func headers(from value: JSONValue) throws(InvalidInputError) -> [HeaderField] {
        var pairs: [(String, JSONValue)] = []
        switch value {
        case .null:
            return []
        case .object(let fields):
            pairs = fields.sorted { $0.key < $1.key }
        case .array(let elements):
            for element in elements {
                guard case .array(let pair) = element, pair.count == 2, case .string(let name) = pair[0] else {
                    throw InvalidInputError("Each entry of \"headers\" must be a [\"Name\", \"value\"] pair.")
                }
                pairs.append((name, pair[1]))
            }
        default:
            throw InvalidInputError("\"headers\" must be an object or an array of [name, value] pairs.")
        }
        var fields: [HeaderField] = []
        for (name, jsonValue) in pairs {
            guard case .string(let value) = jsonValue else {
                throw InvalidInputError("The value of header \"\(name)\" must be a string.")
            }
            guard HTTPToken.isToken(name) else {
                throw InvalidInputError("\"\(name)\" is not a valid header name.")
            }
            guard !reservedHeaderNames.contains(name.lowercased()) else {
                throw InvalidInputError("Header \"\(name)\" is set by the gateway for the WebSocket handshake.")
            }
            guard HTTPToken.isFieldValue(value) else {
                throw InvalidInputError("The value of header \"\(name)\" has characters a header may not hold.")
            }
            // As the plugin's `new Headers(config.headers)` does: a repeated name keeps its first
            // place, and its values are joined in order into one field.
            if let index = fields.firstIndex(where: { $0.name.lowercased() == name.lowercased() }) {
                fields[index].value += ", " + value
            } else {
                fields.append(HeaderField(name: name, value: value))
            }
        }
        return fields
    }

    private static func protocols(from value: JSONValue) throws(InvalidInputError) -> [String] {
        if value == .null { return [] }
        guard case .array(let elements) = value else {
            throw InvalidInputError("\"protocols\" must be an array of strings.")
        }
        var protocols: [String] = []
        for element in elements {
            guard case .string(let name) = element, HTTPToken.isToken(name) else {
                throw InvalidInputError("Each of \"protocols\" must be a non-empty token such as \"chat.v1\".")
            }
            guard !protocols.contains(name) else {
                throw InvalidInputError("Protocol \"\(name)\" is listed twice.")
            }
            protocols.append(name)
        }
        return protocols
    }
}
