import HTTPTypes
import NIOCore
import NIOHTTPTypes
import WSGateCore

/// `POST /connections`: the Tauri plugin's `connect(url, config)`.
extension HotPathHandler {
    func serveOpen(_ pending: PendingRequest, origin: String?, context: ChannelHandlerContext) throws {
        let contentType = pending.head.headerFields[.contentType]
        guard HTTPFields.mediaType(of: contentType) == "application/json" else {
            throw APIError.unsupportedMediaType(contentType, accepted: ["application/json"])
        }
        guard !pending.isTooLarge else { throw APIError.tooLarge(limit: self.maxRequestBodySize) }
        let request = try ConnectRequest(body: pending.body, defaults: self.connectionDefaults)
        // Requests that arrive meanwhile wait: their responses must follow this one.
        self.state = .awaitingOutcome
        // The upstream is served on this loop, so that sends over this HTTP connection stay on it.
        self.pool.open(request.url, config: request.config, on: context.eventLoop).hop(to: context.eventLoop).assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let connection): self.answer(opened: connection, origin: origin, context: context)
                case .failure(let error): self.answer(error, origin: origin, context: context)
                }
            }
    }

    /// `201 Created` with the new connection and where its events are.
    private func answer(opened connection: Connection, origin: String?, context: ChannelHandlerContext) {
        var head = HTTPResponse(status: .created)
        head.headerFields[.location] = "/connections/\(connection.id)"
        head.headerFields[.contentType] = "application/json"
        var body = ByteBuffer()
        body.writeJSON([
            "id": .string(connection.id.description),
            "url": .string(connection.url.description),
            "protocol": JSONValue(connection.subprotocol),
            "state": .string(connection.connectionState.rawValue),
            "events": .string("/connections/\(connection.id)/events"),
        ])
        self.answer(head, body: body, origin: origin, context: context)
    }
}
