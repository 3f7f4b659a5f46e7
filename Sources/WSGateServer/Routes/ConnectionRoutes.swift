import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import WSGateCore

/// The connection endpoints: list, inspect and close. Opening, sending and subscribing are
/// served on the event loop by ``HotPathHandler``.
struct ConnectionRoutes {
    let pool: ConnectionPool

    func register(on router: Router<GatewayRequestContext>) {
        router.get("connections") { _, _ in self.list() }
        router.get("connections/:id") { _, context in try self.info(context) }
        router.delete("connections/:id") { request, context in try await self.close(request, context) }
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
