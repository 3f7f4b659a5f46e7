import NIOCore
import NIOHTTP1
import WSGateCore

/// `POST /connections`: the Tauri plugin's `connect(url, config)`.
extension APIEndpoints {
    func openConnection(_ request: APIRequest) throws -> EventLoopFuture<APIResponse> {
        let connect: ConnectRequest
        do {
            connect = try ConnectRequest(body: request.body, defaults: self.settings.current.connectionDefaults)
        } catch {
            self.metrics.countConnect(result: APIError(error).code)
            throw error
        }
        // The upstream is served on this loop, so that sends over this HTTP connection stay on it.
        let opened = self.pool.open(connect.url, config: connect.config, on: request.eventLoop, client: request.clientAddress)
        opened.whenComplete { result in
            switch result {
            case .success: self.metrics.countConnect(result: "ok")
            case .failure(let error): self.metrics.countConnect(result: APIError(error).code)
            }
        }
        return opened.map { connection in
            var headers = HTTPHeaders()
            headers.add(name: "Location", value: "/connections/\(connection.id)")
            return .json(
                [
                    "id": .string(connection.id.description),
                    "url": .string(connection.url.description),
                    "protocol": JSONValue(connection.subprotocol),
                    "state": .string(connection.connectionState.rawValue),
                    "events": .string("/connections/\(connection.id)/events"),
                ],
                status: .created, headers: headers
            )
        }
    }
}

/// The body of `POST /connections`: `{"url": "ws://…", "config": {…}}`.
struct ConnectRequest {
    /// The media types the body may have.
    static let mediaTypes = ["application/json"]

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
