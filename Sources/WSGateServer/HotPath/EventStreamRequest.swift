import Foundation
import HTTPTypes
import WSGateCore

/// What a `GET /connections/<id>/events` request asks for: from where, in which encoding.
struct EventStreamRequest {
    /// Where the stream starts: `Last-Event-ID` or `?lastEventId=n`, `?from=now`, or the beginning.
    var cursor: EventCursor
    /// `?binary=base64` or the default integer arrays.
    var binaryEncoding: BinaryEncoding

    /// Reads the request; throws an ``APIError`` for a malformed cursor or encoding.
    init(_ request: HTTPRequest) throws {
        let query = Dictionary(
            (URLComponents(string: request.path ?? "")?.queryItems ?? []).map { ($0.name, $0.value ?? "") },
            uniquingKeysWith: { first, _ in first }
        )
        switch query["binary"] {
        case nil, "array"?: self.binaryEncoding = .integerArray
        case "base64"?: self.binaryEncoding = .base64
        case let other?: throw APIError.invalidRequest("?binary must be base64 or array, not \"\(other)\".")
        }
        let header = request.headerFields.first { $0.name.canonicalName == "last-event-id" }?.value
        if let lastEventID = header ?? query["lastEventId"] {
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
