import Foundation
import NIOCore
import WSGateCore

/// `GET /connections` and `GET /connections/<id>`: what is open, and each connection's counters.
extension APIEndpoints {
    func listConnections() -> APIResponse {
        .json(["connections": .array(self.pool.openConnections.map(Self.describe))])
    }

    func connectionInfo(_ request: APIRequest) throws(APIError) -> APIResponse {
        .json(Self.describe(try self.connection(request)))
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
            "reconnect": Self.describe(connection.reconnectionStatus),
        ]
    }

    /// `{"attempts": …, "nextAttemptInMs": …}` while the upstream is being reconnected (the next
    /// attempt `null` while one is under way), else `null`.
    private static func describe(_ status: (attempts: Int, nextAttemptAt: NIODeadline?)?) -> JSONValue {
        guard let status else { return .null }
        let wait = status.nextAttemptAt.map { JSONValue.integer(max(0, Int(($0 - .now()).nanoseconds / 1_000_000))) } ?? .null
        return ["attempts": .integer(status.attempts), "nextAttemptInMs": wait]
    }
}
