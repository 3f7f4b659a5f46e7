import Foundation
import HTTPTypes
import WSGateCore

/// A `GET /connections/<id>/events` request: which connection, from where, in which encoding.
struct EventStreamRequest {
    /// The connection id from the path.
    var connectionID: String
    /// Where the stream starts: `Last-Event-ID` or `?lastEventId=n`, `?from=now`, or the beginning.
    var cursor: EventCursor
    /// `?binary=base64` or the default integer arrays.
    var binaryEncoding: BinaryEncoding

    /// The connection id if `path` (with its query) names an event stream.
    static func connectionID(inPath path: String) -> String? {
        let route = path.split(separator: "?", maxSplits: 1).first ?? ""
        let segments = route.split(separator: "/", omittingEmptySubsequences: false)
        guard segments.count == 4, segments[0].isEmpty, segments[1] == "connections", segments[3] == "events",
            !segments[2].isEmpty
        else { return nil }
        return String(segments[2])
    }

    /// Reads the request; throws an ``APIError`` for a malformed cursor or encoding.
    init(_ request: HTTPRequest, connectionID: String) throws {
        self.connectionID = connectionID
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
