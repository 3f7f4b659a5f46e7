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
/// between two chunks stays whole, and finds newlines with `memchr`: the tests run in debug
/// builds, where a Swift loop over each byte of megabyte events takes seconds.
public struct SSEParser: Sendable {
    private var pending = ByteBuffer()
    /// Where the search for the next blank line resumes, from the start of `pending`.
    private var scanned = 0

    /// An empty parser.
    public init() {}

    /// Adds bytes and returns the records they complete.
    public mutating func feed(_ bytes: ByteBuffer) -> [SSERecord] {
        var bytes = bytes
        self.pending.writeBuffer(&bytes)
        var records: [SSERecord] = []
        let scanned = self.scanned
        let consumed = self.pending.withUnsafeReadableBytes { buffer in
            var recordStart = 0
            var searchStart = scanned
            // A record ends at a newline that follows a newline of the same record.
            while let newline = Self.index(of: "\n", in: buffer, from: searchStart) {
                if newline > recordStart, buffer[newline - 1] == UInt8(ascii: "\n") {
                    records.append(Self.parse(UnsafeRawBufferPointer(rebasing: buffer[recordStart..<(newline - 1)])))
                    recordStart = newline + 1
                }
                searchStart = newline + 1
            }
            return recordStart
        }
        self.scanned = self.pending.readableBytes - consumed
        self.pending.moveReaderIndex(forwardBy: consumed)
        self.pending.discardReadBytes()
        return records
    }

    /// The offset of the first `byte` in `buffer` at or after `start`.
    private static func index(of byte: Unicode.Scalar, in buffer: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard let base = buffer.baseAddress, start < buffer.count,
              let found = memchr(base + start, Int32(byte.value), buffer.count - start) else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    private static func parse(_ block: UnsafeRawBufferPointer) -> SSERecord {
        var record = SSERecord()
        var lineStart = 0
        while lineStart < block.count {
            let lineEnd = Self.index(of: "\n", in: block, from: lineStart) ?? block.count
            let line = UnsafeRawBufferPointer(rebasing: block[lineStart..<lineEnd])
            lineStart = lineEnd + 1
            guard !line.isEmpty else { continue }
            let colon = Self.index(of: ":", in: line, from: 0) ?? line.count
            var valueStart = min(colon + 1, line.count)
            if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
            let value = String(decoding: UnsafeRawBufferPointer(rebasing: line[valueStart...]), as: UTF8.self)
            switch String(decoding: UnsafeRawBufferPointer(rebasing: line[..<colon]), as: UTF8.self) {
            case "": record.comment = String(value.drop { $0 == " " })
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
