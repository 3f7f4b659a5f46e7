import Foundation
import NIOCore
import WSGateCore

/// One record of a Server-Sent Events stream.
public struct SSERecord: Sendable, Equatable {
    /// The `id` field.
    public var id: Int?
    /// The `event` field (nil for unnamed events).
    public var event: String?
    /// The `data` field.
    public var data: String?
    /// A comment line's text, for records that are only a comment.
    public var comment: String?
    /// The `retry` field.
    public var retry: Int?

    /// `data` parsed as JSON.
    public var json: JSONValue? {
        self.data.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) }
    }
}

/// Reads an event stream record by record.
public final class EventStreamReader: @unchecked Sendable {
    // Used by one test task at a time.
    /// The response as it started.
    public let response: ResponseStream
    private var pending = ""

    /// Wraps an open `GET …/events` response.
    public init(_ response: ResponseStream) {
        self.response = response
    }

    /// The next record, or `nil` when the stream has ended.
    public func next() async throws -> SSERecord? {
        while true {
            if let range = self.pending.range(of: "\n\n") {
                let block = self.pending[..<range.lowerBound]
                self.pending.removeSubrange(..<range.upperBound)
                return Self.parse(block)
            }
            guard let chunk = try await self.response.nextChunk() else { return nil }
            self.pending += String(buffer: chunk)
        }
    }

    /// The next record that is not a comment or a `retry` line.
    public func nextEvent() async throws -> SSERecord? {
        while let record = try await self.next() {
            if record.comment == nil && record.retry == nil { return record }
        }
        return nil
    }

    /// Every remaining event until the stream ends.
    public func remainingEvents() async throws -> [SSERecord] {
        var records: [SSERecord] = []
        while let record = try await self.nextEvent() { records.append(record) }
        return records
    }

    private static func parse(_ block: Substring) -> SSERecord {
        var record = SSERecord()
        for line in block.split(separator: "\n") {
            if line.hasPrefix(":") {
                record.comment = String(line.dropFirst()).trimmingPrefix(" ").description
                continue
            }
            let parts = line.split(separator: ":", maxSplits: 1)
            let value = parts.count > 1 ? String(parts[1].dropFirst(parts[1].hasPrefix(" ") ? 1 : 0)) : ""
            switch parts.first {
            case "id": record.id = Int(value)
            case "event": record.event = value
            case "data": record.data = value
            case "retry": record.retry = Int(value)
            default: break
            }
        }
        return record
    }
}
