import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WSGateCore

/// The connection endpoints: open, list, inspect and close. Sending and subscribing are served
/// on the event loop by ``HotPathHandler``.
struct ConnectionRoutes {
    let pool: ConnectionPool
    let configuration: GatewayConfiguration

    func register(on router: Router<GatewayRequestContext>) {
        router.post("connections") { request, context in try await self.open(request, on: context.eventLoop) }
        router.get("connections") { _, _ in self.list() }
        router.get("connections/:id") { _, context in try self.info(context) }
        router.delete("connections/:id") { request, context in try await self.close(request, context) }
    }

    /// `POST /connections`: the Tauri plugin's `connect(url, config)`.
    private func open(_ request: Request, on eventLoop: any EventLoop) async throws -> Response {
        var request = request
        guard HTTPFields.mediaType(of: request.headers[.contentType]) == "application/json" else {
            throw APIError.unsupportedMediaType(request.headers[.contentType], accepted: ["application/json"])
        }
        let body = try await request.collectBody(upTo: self.configuration.maxRequestBodySize)
        let connectRequest = try ConnectRequest(body: body, defaults: self.configuration.connectionDefaults)
        let connection = try await self.pool.open(connectRequest.url, config: connectRequest.config, on: eventLoop)
        var headers = HTTPFields()
        headers[.location] = "/connections/\(connection.id)"
        return Response.json(
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

    /// `GET /connections`.
    private func list() -> Response {
        Response.json(["connections": .array(self.pool.openConnections.map(Self.describe))])
    }

    /// `GET /connections/<id>`.
    private func info(_ context: GatewayRequestContext) throws -> Response {
        Response.json(Self.describe(try self.connection(context)))
    }

    /// `DELETE /connections/<id>[?code=&reason=]`: the Tauri plugin's `disconnect()`.
    private func close(_ request: Request, _ context: GatewayRequestContext) async throws -> Response {
        let connection = try self.connection(context)
        let query = request.uri.queryParameters
        var code = Int(CloseFrame.normalClosure)
        if let text = query["code"] {
            guard let parsed = Int(text) else { throw APIError.invalidRequest("?code must be an integer close code.") }
            code = parsed
        }
        let requested = try CloseFrame(validatingCode: code, reason: query["reason"].map(String.init) ?? "Disconnected by client")
        let outcome = await connection.close(requested)
        let frame = outcome.sent ?? outcome.received ?? requested
        return Response.json([
            "id": .string(connection.id.description),
            "code": .integer(Int(frame.code)),
            "reason": .string(frame.reason),
            "clean": .bool(outcome.isClean),
        ])
    }

    private func connection(_ context: GatewayRequestContext) throws -> Connection {
        let id = try context.parameters.require("id")
        guard let connection = self.pool.connection(ConnectionID(id)) else { throw APIError.connectionNotFound(id) }
        return connection
    }

    private static func describe(_ connection: Connection) -> JSONValue {
        let statistics = connection.statistics
        return [
            "id": .string(connection.id.description),
            "url": .string(connection.url.description),
            "protocol": JSONValue(connection.subprotocol),
            "state": .string(connection.connectionState.rawValue),
            "createdAt": .string(connection.createdAt.formatted(.iso8601)),
            "lastActiveAt": .string(statistics.lastActiveAt.formatted(.iso8601)),
            "messagesIn": .integer(statistics.messagesIn),
            "messagesOut": .integer(statistics.messagesOut),
            "bytesIn": .integer(statistics.bytesIn),
            "bytesOut": .integer(statistics.bytesOut),
            "subscribers": .integer(connection.history.subscriberCount),
            "lastEventId": .integer(connection.history.lastEventID),
        ]
    }
}
