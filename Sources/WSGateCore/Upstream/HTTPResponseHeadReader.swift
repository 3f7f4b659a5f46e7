import NIOCore
import NIOHTTP1

/// Reads the head of an HTTP/1.x response (RFC 9112 sections 4 and 5) from bytes as they
/// arrive: the answer of an upstream to the WebSocket handshake, or of a proxy to `CONNECT`.
///
/// Both answers are a head and nothing else the gateway reads as HTTP: what follows it belongs
/// to the protocol after the switch. A small reader of our own does that without NIO's HTTP
/// codec, which would have to be added to each new upstream channel and then taken out again.
struct HTTPResponseHeadReader {
    /// Why the bytes are not a response head this reader takes.
    enum Failure: Error, Equatable {
        /// The head did not end within the size limit.
        case tooLarge(limit: Int)
        /// The bytes are not an HTTP/1.x response head; says what is wrong.
        case malformed(String)
    }

    /// The longest head taken, in bytes, its final empty line included.
    let maxSize: Int
    private var received = ByteBuffer()
    /// How far the search for the head's end has looked, so that each read scans only new bytes.
    private var scanned = 0

    init(maxSize: Int) {
        self.maxSize = maxSize
    }

    /// Takes `bytes`; returns the head once it is complete, with the bytes that followed it.
    mutating func read(_ bytes: ByteBuffer) throws(Failure) -> (head: HTTPResponseHead, rest: ByteBuffer)? {
        if self.received.readableBytes == 0 {
            self.received = bytes
        } else {
            self.received.writeImmutableBuffer(bytes)
        }
        let searchStart = max(0, self.scanned - 3)
        guard let headLength = self.received.withUnsafeReadableBytes({ Self.endOfHead(in: $0, from: searchStart) }) else {
            self.scanned = self.received.readableBytes
            if self.scanned > self.maxSize { throw .tooLarge(limit: self.maxSize) }
            return nil
        }
        guard headLength <= self.maxSize else { throw .tooLarge(limit: self.maxSize) }
        let view = self.received.readableBytesView
        let head = try Self.parse(Array(view.prefix(headLength - 4)))
        var rest = self.received
        rest.moveReaderIndex(forwardBy: headLength)
        self.received = ByteBuffer()
        return (head, rest)
    }

    /// The length of the head up to and including the CR LF CR LF that ends it, searched for
    /// from `start` on. (A plain loop: the standard library's `firstRange(of:)` allocated and
    /// took 4 % of the gateway's time in connection setups.)
    private static func endOfHead(in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        var index = start
        while index + 4 <= bytes.count {
            if bytes[index + 3] != 10 {
                index += bytes[index + 3] == 13 ? 1 : 4
            } else if bytes[index] == 13, bytes[index + 1] == 10, bytes[index + 2] == 13 {
                return index + 4
            } else {
                index += 1
            }
        }
        return nil
    }

    /// Parses a head without its final CRLF CRLF: a status line, then header lines.
    private static func parse(_ bytes: [UInt8]) throws(Failure) -> HTTPResponseHead {
        let lines = bytes.split(separator: 10, omittingEmptySubsequences: false).map { line in
            line.last == 13 ? line.dropLast() : line
        }
        guard let statusLine = lines.first else { throw .malformed("The response is empty.") }
        var head = try Self.parseStatusLine(statusLine)
        for line in lines.dropFirst() {
            let (name, value) = try Self.parseField(line)
            head.headers.add(name: name, value: value)
        }
        return head
    }

    /// `HTTP/1.x SP status-code SP [reason-phrase]`.
    private static func parseStatusLine(_ line: ArraySlice<UInt8>) throws(Failure) -> HTTPResponseHead {
        let notHTTP = Failure.malformed("The answer is not an HTTP/1.x response.")
        let prefix = Array("HTTP/1.".utf8)
        guard line.count >= 12, line.starts(with: prefix) else { throw notHTTP }
        let minor = line[line.startIndex + 7]
        let digits = line[(line.startIndex + 9)..<(line.startIndex + 12)]
        guard
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(minor), line[line.startIndex + 8] == UInt8(ascii: " "),
            digits.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) })
        else { throw notHTTP }
        let code = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
        var reason = ""
        if line.count > 12 {
            guard line[line.startIndex + 12] == UInt8(ascii: " ") else { throw notHTTP }
            reason = String(decoding: line[(line.startIndex + 13)...], as: UTF8.self)
        }
        return HTTPResponseHead(
            version: HTTPVersion(major: 1, minor: Int(minor - UInt8(ascii: "0"))),
            status: HTTPResponseStatus(statusCode: code, reasonPhrase: reason)
        )
    }

    /// `field-name ":" OWS field-value OWS`; a line folded onto the one before is refused, as
    /// RFC 9112 section 5.2 allows.
    private static func parseField(_ line: ArraySlice<UInt8>) throws(Failure) -> (String, String) {
        guard let colon = line.firstIndex(of: UInt8(ascii: ":")) else {
            throw .malformed("A header line of the response has no colon.")
        }
        let name = String(decoding: line[..<colon], as: UTF8.self)
        guard HTTPToken.isToken(name) else { throw .malformed("A header name of the response is not a token.") }
        let isWhitespace = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        var value = line[(colon + 1)...]
        while let first = value.first, isWhitespace(first) { value = value.dropFirst() }
        while let last = value.last, isWhitespace(last) { value = value.dropLast() }
        let text = String(decoding: value, as: UTF8.self)
        guard HTTPToken.isFieldValue(text) else { throw .malformed("The value of the response's \(name) header holds control characters.") }
        return (name, text)
    }
}
