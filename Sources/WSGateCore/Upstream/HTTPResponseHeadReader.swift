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
        let view = self.received.readableBytesView
        let searchStart = view.startIndex + max(0, self.scanned - 3)
        guard let end = view[searchStart...].firstRange(of: [13, 10, 13, 10]) else {
            self.scanned = view.count
            if view.count > self.maxSize { throw .tooLarge(limit: self.maxSize) }
            return nil
        }
        guard end.upperBound - view.startIndex <= self.maxSize else { throw .tooLarge(limit: self.maxSize) }
        let head = try Self.parse(Array(view[view.startIndex..<end.lowerBound]))
        var rest = self.received
        rest.moveReaderIndex(forwardBy: end.upperBound - view.startIndex)
        self.received = ByteBuffer()
        return (head, rest)
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
