import NIOCore
import WSGateCore

/// `DELETE /connections/<id>[?code=&reason=]`: the Tauri plugin's `disconnect()`. Once it has
/// answered, the id is unknown: the client deleted the resource.
extension APIEndpoints {
    func closeConnection(_ request: APIRequest) throws -> EventLoopFuture<APIResponse> {
        let connection = try self.connection(request)
        let query = request.query
        var code = Int(CloseFrame.normalClosure)
        if let text = query["code"] {
            guard let parsed = Int(text) else { throw APIError.invalidRequest("?code must be an integer close code.") }
            code = parsed
        }
        let requested = try CloseFrame(validatingCode: code, reason: query["reason"] ?? "Disconnected by client")
        return self.pool.delete(connection, closingWith: requested).map { outcome in
            let frame = outcome.sent ?? outcome.received ?? requested
            return .json([
                "id": .string(connection.id.description),
                "code": .integer(Int(frame.code)),
                "reason": .string(frame.reason),
                "clean": .bool(outcome.isClean),
            ])
        }
    }
}
