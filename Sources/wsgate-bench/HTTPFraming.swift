import Foundation
import NIOCore

/// Just enough HTTP/1.1 for a load tool: requests written as ready-made bytes, of a response
/// the status, the body's length or chunked framing, and of a WebSocket opening request (for the
/// benchmark's upstream) the target and key, and nothing else. The benchmark talks HTTP with it
/// rather than through NIO's HTTP pipelines, so that its own cost per message and per connection
/// stays low on the cores it shares with the gateway, and the figures measure the gateway.
enum HTTPFraming {
    /// A response head: its status and how its body is framed.
    struct Head {
        var status: Int
        /// The `Content-Length`, when the body is not chunked.
        var contentLength: Int
        var isChunked: Bool
    }

    /// Reads a complete response head from `buffer`, or returns `nil` (reading nothing) while
    /// its end has not arrived. Throws on a head that is not HTTP/1.1.
    static func readHead(from buffer: inout ByteBuffer) throws -> Head? {
        guard let (text, lines) = Self.readLines(from: &buffer) else { return nil }
        guard let statusLine = lines.first, statusLine.starts(with: "HTTP/1.1 ".utf8),
            let status = Int(decimal: statusLine.dropFirst(9).prefix(3))
        else { throw BenchError("Not an HTTP/1.1 response: \(text.prefix(80))") }
        var head = Head(status: status, contentLength: 0, isChunked: false)
        for (name, value) in Self.fields(lines) {
            if name.equalsIgnoringCase("content-length") { head.contentLength = Int(decimal: value) ?? 0 }
            if name.equalsIgnoringCase("transfer-encoding"), value.equalsIgnoringCase("chunked") { head.isChunked = true }
        }
        return head
    }

    /// A WebSocket opening request: its target and its `Sec-WebSocket-Key`.
    struct UpgradeRequest {
        var target: String
        var key: String
    }

    /// Reads a complete WebSocket opening request head from `buffer`, or returns `nil` (reading
    /// nothing) while its end has not arrived. Throws on anything else.
    static func readUpgradeRequest(from buffer: inout ByteBuffer) throws -> UpgradeRequest? {
        guard let (text, lines) = Self.readLines(from: &buffer) else { return nil }
        let requestLine = lines.first?.split(separator: UInt8(ascii: " ")) ?? []
        guard requestLine.count == 3, requestLine[0].elementsEqual("GET".utf8), requestLine[2].elementsEqual("HTTP/1.1".utf8),
            let key = Self.fields(lines).first(where: { $0.name.equalsIgnoringCase("sec-websocket-key") })?.value
        else { throw BenchError("Not a WebSocket opening request: \(text.prefix(80))") }
        return UpgradeRequest(target: String(decoding: requestLine[1], as: UTF8.self), key: String(decoding: key, as: UTF8.self))
    }

    /// Reads a head up to its empty line: its text, and its lines without their line ends.
    private static func readLines(from buffer: inout ByteBuffer) -> (String, [Substring.UTF8View])? {
        guard let end = Self.offset(of: "\r\n\r\n", in: buffer), let text = buffer.readString(length: end + 4) else { return nil }
        return (text, text.utf8.split(separator: UInt8(ascii: "\n")).map { $0.dropLast() })
    }

    /// The name and value of each field line of a head's `lines`.
    private static func fields(_ lines: [Substring.UTF8View]) -> [(name: Substring.UTF8View, value: Substring.UTF8View)] {
        lines.dropFirst().compactMap { line in
            guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else { return nil }
            return (line[..<colon], line[line.index(after: colon)...].drop { $0 == UInt8(ascii: " ") })
        }
    }

    /// The offset of `needle` (a line end) in the readable bytes of `buffer`, if present,
    /// found with memchr on its first byte.
    static func offset(of needle: StaticString, in buffer: ByteBuffer) -> Int? {
        buffer.withUnsafeReadableBytes { bytes -> Int? in
            let needle = UnsafeRawBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
            guard let base = bytes.baseAddress, let needleBase = needle.baseAddress, let first = needle.first else { return nil }
            var offset = 0
            while offset + needle.count <= bytes.count {
                guard let found = memchr(base + offset, Int32(first), bytes.count - offset) else { return nil }
                let index = base.distance(to: UnsafeRawPointer(found))
                guard index + needle.count <= bytes.count else { return nil }
                if memcmp(found, needleBase, needle.count) == 0 { return index }
                offset = index + 1
            }
            return nil
        }
    }

    /// Encodes a request with its body in one buffer, written with one call.
    static func request(_ method: String, _ path: String, host: String, contentType: String? = nil, body: String? = nil) -> ByteBuffer {
        let body = body ?? ""
        var text = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        if let contentType { text += "Content-Type: \(contentType)\r\n" }
        text += "Content-Length: \(body.utf8.count)\r\n\r\n\(body)"
        return ByteBuffer(string: text)
    }
}

/// Cuts a chunked response body (RFC 9112, section 7.1) into its data, without copying it.
struct ChunkedBodyDecoder {
    private enum State {
        case size
        case data(remaining: Int)
        case dataEnd
        /// After the last chunk: trailer fields up to an empty line.
        case trailer
        case finished
    }

    private var state = State.size

    /// Whether the last (empty) chunk and the empty line after it have arrived.
    var isFinished: Bool {
        if case .finished = self.state { true } else { false }
    }

    /// Reads what `buffer` holds, handing each piece of data to `onData`; leaves an incomplete
    /// line or chunk end in `buffer` for the next call, and what follows the body unread.
    mutating func read(_ buffer: inout ByteBuffer, onData: (ByteBuffer) -> Void) throws {
        while buffer.readableBytes > 0 {
            switch self.state {
            case .size:
                guard let lineEnd = HTTPFraming.offset(of: "\r\n", in: buffer) else { return }
                let line = buffer.readString(length: lineEnd) ?? ""
                buffer.moveReaderIndex(forwardBy: 2)
                guard let size = Int(line.prefix { $0 != ";" }, radix: 16) else { throw BenchError("Bad chunk size line: \(line)") }
                self.state = size == 0 ? .trailer : .data(remaining: size)
            case .data(let remaining):
                let length = min(remaining, buffer.readableBytes)
                if let data = buffer.readSlice(length: length) { onData(data) }
                self.state = remaining == length ? .dataEnd : .data(remaining: remaining - length)
            case .dataEnd:
                guard buffer.readableBytes >= 2 else { return }
                buffer.moveReaderIndex(forwardBy: 2)
                self.state = .size
            case .trailer:
                guard let lineEnd = HTTPFraming.offset(of: "\r\n", in: buffer) else { return }
                buffer.moveReaderIndex(forwardBy: lineEnd + 2)
                if lineEnd == 0 { self.state = .finished }
            case .finished:
                return
            }
        }
    }
}

// Head fields are read as bytes: a load tool reads thousands of heads a second, and String's
// Unicode-aware lowercasing and trimming would cost more than the rest of the response.
extension Collection where Element == UInt8 {
    /// Whether these ASCII bytes spell `lowercase`, in any case.
    fileprivate func equalsIgnoringCase(_ lowercase: StaticString) -> Bool {
        let expected = UnsafeBufferPointer(start: lowercase.utf8Start, count: lowercase.utf8CodeUnitCount)
        return self.elementsEqual(expected) { byte, lower in
            let isUppercase = (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
            return (isUppercase ? byte | 0x20 : byte) == lower
        }
    }
}

extension Int {
    /// The value of ASCII decimal digits; `nil` if there are none, or anything else.
    fileprivate init?(decimal digits: some Collection<UInt8>) {
        guard !digits.isEmpty else { return nil }
        var value = 0
        for digit in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(digit) else { return nil }
            value = value * 10 + Int(digit - UInt8(ascii: "0"))
        }
        self = value
    }
}
