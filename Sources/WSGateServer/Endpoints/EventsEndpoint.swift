import Foundation
import NIOHTTP1
import WSGateCore

/// `GET /connections/<id>/events`: the Tauri plugin's `addListener(cb)`, as Server-Sent Events.
extension APIEndpoints {
    func events(_ request: APIRequest) throws -> EndpointResponse {
        let connection = try self.connection(request)
        let stream = try EventStreamRequest(request)
        switch try connection.history.subscribe(from: stream.cursor, binaryEncoding: stream.binaryEncoding) {
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
        self.binaryEncoding = try Self.binaryEncoding(query)
        if let id = try Self.lastEventID(request, parse: { (text) throws(APIError) in try Self.eventID(text, in: text) }) {
            self.cursor = .after(id)
        } else {
            switch query["from"] {
            case nil: self.cursor = .beginning
            case "now"?: self.cursor = .now
            case let other?: throw APIError.invalidRequest("?from takes only \"now\", not \"\(other)\".")
            }
        }
    }

    /// `?binary=`: `base64`, or `array` (the default).
    static func binaryEncoding(_ query: QueryParameters) throws(APIError) -> BinaryEncoding {
        switch query["binary"] {
        case nil, "array"?: .integerArray
        case "base64"?: .base64
        case let other?: throw APIError.invalidRequest("?binary must be base64 or array, not \"\(other)\".")
        }
    }

    /// The cursor the request resumes from, read by `parse`: its `Last-Event-ID` header (which an
    /// `EventSource` sends when it reconnects), else `?lastEventId=`. Both are parsed, so that a
    /// malformed one is refused even where the other wins.
    static func lastEventID<Cursor>(
        _ request: APIRequest, parse: (String) throws(APIError) -> Cursor
    ) throws(APIError) -> Cursor? {
        let header = try request.head.headers.first(name: "Last-Event-ID").map(parse)
        let query = try request.query["lastEventId"].map(parse)
        return header ?? query
    }

    /// `text` (part of the cursor `cursor`) as an event id.
    static func eventID(_ text: some StringProtocol, in cursor: String) throws(APIError) -> Int {
        guard let id = Int(text.trimmingCharacters(in: .whitespaces)), id >= 0 else {
            throw APIError.invalidRequest("The last event id \"\(cursor)\" is not a non-negative integer.")
        }
        return id
    }
}
