import Foundation
import NIOCore
import WSGateCore

/// One record of a Server-Sent Events stream.
public struct SSERecord: Sendable, Equatable {
    /// The `id` field as sent: a number, or a multiplexed stream's list of numbers.
    public var idField: String?
    /// The `id` field as a number.
    public var id: Int? { self.idField.flatMap { Int($0) } }
    /// The `event` field (nil for unnamed events).
    public var event: String?
    /// The `data` field.
    public var data: String?
    /// A comment line's text, for records that are only a comment.
    public var comment: String?
    /// The `retry` field.
    public var retry: Int?

    /// Creates a record with the given fields.
    public init(id: Int? = nil, event: String? = nil, data: String? = nil, comment: String? = nil, retry: Int? = nil) {
        self.idField = id.map(String.init)
        self.event = event
        self.data = data
        self.comment = comment
        self.retry = retry
    }

    /// `data` parsed as JSON.
    public var json: JSONValue? {
        self.data.flatMap { ForeignJSON.parse($0.utf8) }
    }
}

/// Cuts Server-Sent Events bytes into records. Works on bytes, so that a character split
/// between two chunks stays whole, and scans each byte once, so that big records stay cheap.
public struct SSEParser: Sendable {
    private var pending = ByteBuffer()
    /// Where the search for the next blank line resumes in `pending`.
    private var scanned = 0

    /// An empty parser.
    public init() {}

    /// Adds bytes and returns the records they complete.
    public mutating func feed(_ bytes: ByteBuffer) -> [SSERecord] {
        var bytes = bytes
        self.pending.writeBuffer(&bytes)
        var records: [SSERecord] = []
        let view = self.pending.readableBytesView
        var recordStart = view.startIndex
        var index = max(view.startIndex + self.scanned, view.startIndex + 1)
        while index < view.endIndex {
            if view[index] == UInt8(ascii: "\n"), view[index - 1] == UInt8(ascii: "\n") {
                records.append(Self.parse(Substring(decoding: view[recordStart..<(index - 1)], as: UTF8.self)))
                recordStart = index + 1
                index += 1
            }
            index += 1
        }
        self.pending.moveReaderIndex(forwardBy: recordStart - view.startIndex)
        self.pending.discardReadBytes()
        self.scanned = index - recordStart
        return records
    }

    private static func parse(_ block: Substring) -> SSERecord {
        var record = SSERecord()
        for line in block.split(separator: "\n") {
            if line.hasPrefix(":") {
                record.comment = String(line.dropFirst().drop { $0 == " " })
                continue
            }
            let parts = line.split(separator: ":", maxSplits: 1)
            let value = parts.count > 1 ? String(parts[1].dropFirst(parts[1].hasPrefix(" ") ? 1 : 0)) : ""
            switch parts.first {
            case "id": record.idField = value
            case "event": record.event = value
            case "data": record.data = value
            case "retry": record.retry = Int(value)
            default: break
            }
        }
        return record
    }
}

/// Reads an event stream record by record.
public final class EventStreamReader: @unchecked Sendable {
    // Used by one test task at a time.
    /// The response as it started.
    public let response: ResponseStream
    private var parser = SSEParser()
    private var ready: [SSERecord] = []

    /// Wraps an open `GET …/events` response.
    public init(_ response: ResponseStream) {
        self.response = response
    }

    /// The next record, or `nil` when the stream has ended.
    public func next() async throws -> SSERecord? {
        while self.ready.isEmpty {
            guard let chunk = try await self.response.nextChunk() else { return nil }
            self.ready = self.parser.feed(chunk)
        }
        return self.ready.removeFirst()
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
}
