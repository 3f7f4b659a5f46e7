import Foundation
import NIOCore

/// Cuts a Server-Sent Events byte stream into records without copying more than it must.
struct SSERecordScanner {
    private var pending = ByteBuffer()
    /// How many bytes of `pending` are known to hold no record end.
    private var scanned = 0

    /// Adds `chunk` and calls `onRecord` with each complete record, without its blank line.
    mutating func feed(_ chunk: ByteBuffer, onRecord: (ByteBuffer) -> Void) {
        var chunk = chunk
        if self.pending.readableBytes == 0 {
            self.scanned = 0
            self.scan(&chunk, onRecord: onRecord)
            if chunk.readableBytes > 0 { self.pending = chunk }
        } else {
            self.pending.writeBuffer(&chunk)
            var pending = self.pending
            self.pending = ByteBuffer()
            self.scan(&pending, onRecord: onRecord)
            pending.discardReadBytes()
            self.pending = pending
        }
    }

    /// Cuts records at each blank line, resuming the search where the last one stopped, so a
    /// record that arrives in many chunks is scanned once.
    private mutating func scan(_ buffer: inout ByteBuffer, onRecord: (ByteBuffer) -> Void) {
        while let end = Self.blankLine(in: buffer, from: max(0, self.scanned - 1)) {
            if let record = buffer.readSlice(length: end) { onRecord(record) }
            buffer.moveReaderIndex(forwardBy: 2)
            self.scanned = 0
        }
        self.scanned = buffer.readableBytes
    }

    /// The offset of the first `\n\n` in the readable bytes at or after `start`, found with memchr.
    private static func blankLine(in buffer: ByteBuffer, from start: Int) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            guard let base = bytes.baseAddress else { return nil }
            var offset = start
            while offset < bytes.count - 1 {
                guard let found = memchr(base + offset, Int32(UInt8(ascii: "\n")), bytes.count - offset - 1) else { return nil }
                let index = base.distance(to: UnsafeRawPointer(found))
                if bytes[index + 1] == UInt8(ascii: "\n") { return index }
                offset = index + 1
            }
            return nil
        }
    }
}

/// The fields of one record that the benchmark looks at.
struct SSERecord {
    var id: Int?
    /// The `data` line's value.
    var data: ByteBuffer?
    var isComment = false

    init(_ record: ByteBuffer) {
        var record = record
        while record.readableBytes > 0 {
            let lineLength = Self.lineLength(in: record)
            guard var line = record.readSlice(length: lineLength) else { break }
            record.moveReaderIndex(forwardBy: min(1, record.readableBytes))
            if line.readableBytesView.starts(with: "id: ".utf8) {
                line.moveReaderIndex(forwardBy: 4)
                self.id = line.readString(length: line.readableBytes).flatMap { Int($0) }
            } else if line.readableBytesView.starts(with: "data: ".utf8) {
                line.moveReaderIndex(forwardBy: 6)
                self.data = line
            } else if line.readableBytesView.first == UInt8(ascii: ":") {
                self.isComment = true
            }
        }
    }

    /// The length of the first line of `buffer`, found with memchr: a `data` line can be
    /// megabytes long, and the reader must not be what limits the measured throughput.
    private static func lineLength(in buffer: ByteBuffer) -> Int {
        buffer.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress, let found = memchr(base, Int32(UInt8(ascii: "\n")), bytes.count) else { return bytes.count }
            return base.distance(to: UnsafeRawPointer(found))
        }
    }
}
