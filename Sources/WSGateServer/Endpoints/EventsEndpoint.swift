import Foundation
import NIOHTTP1
import WSGateCore

/// `GET /connections/<id>/events`: the Tauri plugin's `addListener(cb)`, as Server-Sent Events.
extension APIEndpoints {
    func events(_ request: APIRequest) throws -> EndpointResponse {
        let connection = try self.connection(request)
        let stream = try EventStreamRequest(request)
        switch connection.history.subscribe(from: stream.cursor, binaryEncoding: stream.binaryEncoding) {
        case .complete: return .complete(.noContent)
        case .stream(let subscription): return .eventStream(subscription)
        }
    }
}

/// What an event stream request asks for: from where, in which encoding.
struct EventStreamRequest {
    /// Where the stream starts: `Last-Event-ID` or `?lastEventId=n`, `?from=now`, or the beginning.
    var cursor: EventCursor
    /// `?binary=base64` or the default integer arrays.
    var binaryEncoding: BinaryEncoding

    /// Reads the request; throws an ``APIError`` for a malformed cursor or encoding.
    init(_ request: APIRequest) throws(APIError) {
        let query = request.query
        switch query["binary"] {
        case nil, "array"?: self.binaryEncoding = .integerArray
        case "base64"?: self.binaryEncoding = .base64
        case let other?: throw APIError.invalidRequest("?binary must be base64 or array, not \"\(other)\".")
        }
        if let lastEventID = request.head.headers.first(name: "Last-Event-ID") ?? query["lastEventId"] {
            guard let id = Int(lastEventID.trimmingCharacters(in: .whitespaces)), id >= 0 else {
                throw APIError.invalidRequest("The last event id \"\(lastEventID)\" is not a non-negative integer.")
            }
            self.cursor = .after(id)
        } else {
            switch query["from"] {
            case nil: self.cursor = .beginning
            case "now"?: self.cursor = .now
            case let other?: throw APIError.invalidRequest("?from takes only \"now\", not \"\(other)\".")
            }
        }
    }
}
