import NIOCore
import WSGateCore

/// The body of `POST /connections`: `{"url": "ws://…", "config": {…}}`.
struct ConnectRequest {
    /// The upstream URL.
    var url: WebSocketURL
    /// The connection config, the server's defaults with the request's keys applied.
    var config: ConnectionConfig

    /// Parses and validates the body against the server's default connection config.
    init(body: ByteBuffer, defaults: ConnectionConfig) throws {
        let json = try JSONValue.parse(body) { APIError.invalidRequest("The body is not valid JSON: \($0).") }
        guard case .object(let fields) = json else {
            throw APIError.invalidRequest("The body must be a JSON object with \"url\" and an optional \"config\".")
        }
        if let unknown = fields.keys.sorted().first(where: { $0 != "url" && $0 != "config" }) {
            throw APIError.invalidRequest("Unknown key \"\(unknown)\"; the body takes \"url\" and \"config\".")
        }
        guard case .string(let url) = fields["url"] else {
            throw APIError.invalidRequest("\"url\" is required and must be a ws:// or wss:// URL string.")
        }
        self.url = try WebSocketURL(url)
        switch fields["config"] {
        case nil, .null?: self.config = defaults
        case let config?: self.config = try defaults.applying(json: config)
        }
    }
}
