import Foundation
import NIOCore

/// The direct baseline of the throughput scenarios: the fastest reader of a flood that can be
/// written. It talks to the upstream on a blocking socket of a thread of its own, reads into one
/// buffer and counts frames from their headers, allocating nothing per frame. Against it, the
/// gateway's figure says how much of the path's limit the gateway keeps.
enum RawFrameCounter {
    /// What one read of a flood found.
    struct Count {
        /// Text frames, each checked to carry `size` bytes.
        var texts = 0
        /// Whether a Close frame ended the flood.
        var closed = false
        /// The first frame that broke the flood's shape.
        var failure: String?
    }

    /// Connects to `path` on the upstream at `port`, sends the Text `go`, and counts frames until
    /// the Close. Returns the count and the seconds from `go` to the Close.
    static func readFlood(port: Int, path: String, size: Int) async throws -> (Count, seconds: Double) {
        try await withCheckedThrowingContinuation { continuation in
            let thread = Thread {
                continuation.resume(with: Result { try Self.readFloodBlocking(port: port, path: path, size: size) })
            }
            thread.start()
        }
    }

    private static func readFloodBlocking(port: Int, path: String, size: Int) throws -> (Count, seconds: Double) {
        let socket = try BlockingSocket(port: port)
        defer { socket.close() }
        let key = Data((0..<16).map { _ in UInt8.random(in: 0...255) }).base64EncodedString()
        try socket.write(Array((
            "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        ).utf8))
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var filled = try socket.readResponseHead(into: &buffer)
        // "go", masked with an all-zero key, which leaves the payload as it is.
        try socket.write([0x81, 0x82, 0, 0, 0, 0, UInt8(ascii: "g"), UInt8(ascii: "o")])
        let start = NIODeadline.now()
        var count = Count()
        var walker = FrameHeaderWalker()
        while true {
            let kept = buffer.withUnsafeMutableBytes { bytes in
                walker.walk(UnsafeMutableRawBufferPointer(rebasing: bytes[..<filled]), size: size, count: &count)
            }
            guard !count.closed, count.failure == nil else { break }
            let read = try socket.read(into: &buffer, at: kept)
            guard read > 0 else { break }
            filled = kept + read
        }
        let elapsed = Double((NIODeadline.now() - start).nanoseconds) / 1e9
        return (count, elapsed)
    }
}

/// Walks frame headers in a read buffer, skipping payloads, across read boundaries.
private struct FrameHeaderWalker {
    /// Payload bytes of the current frame still to skip in the next reads.
    private var toSkip = 0

    /// Counts the frames in `bytes`. A header cut off at the end is moved to the buffer's start;
    /// returns its length, the bytes the next read appends to.
    mutating func walk(_ bytes: UnsafeMutableRawBufferPointer, size: Int, count: inout RawFrameCounter.Count) -> Int {
        var offset = min(self.toSkip, bytes.count)
        self.toSkip -= offset
        while offset < bytes.count {
            let available = bytes.count - offset
            guard available >= 2 else { break }
            let opcode = bytes[offset] & 0x0F
            var length = Int(bytes[offset + 1] & 0x7F)
            var headerLength = 2
            if length == 126 {
                guard available >= 4 else { break }
                length = Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])
                headerLength = 4
            } else if length == 127 {
                guard available >= 10 else { break }
                length = (0..<8).reduce(0) { $0 << 8 | Int(bytes[offset + 2 + $1]) }
                headerLength = 10
            }
            switch opcode {
            case 0x1 where length == size: count.texts += 1
            case 0x8: count.closed = true
            default: count.failure = "frame \(count.texts + 1): opcode \(opcode), \(length) bytes"
            }
            let frameEnd = offset + headerLength + length
            if frameEnd > bytes.count {
                self.toSkip = frameEnd - bytes.count
                return 0
            }
            offset = frameEnd
        }
        let kept = bytes.count - offset
        if kept > 0 { bytes.copyMemory(from: UnsafeRawBufferPointer(rebasing: bytes[offset...])) }
        return kept
    }
}

/// A TCP connection to 127.0.0.1 on a blocking socket.
private struct BlockingSocket {
    private let descriptor: Int32

    init(port: Int) throws {
        self.descriptor = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard self.descriptor >= 0 else { throw BenchError("socket: errno \(errno)") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(self.descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            Glibc.close(self.descriptor)
            throw BenchError("connect: errno \(errno)")
        }
    }

    func write(_ bytes: [UInt8]) throws {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { Glibc.write(self.descriptor, $0.baseAddress! + written, bytes.count - written) }
            guard result > 0 else { throw BenchError("write: errno \(errno)") }
            written += result
        }
    }

    /// Reads into `buffer` from `offset` on; 0 at the end of the stream.
    func read(into buffer: inout [UInt8], at offset: Int) throws -> Int {
        let result = buffer.withUnsafeMutableBytes { Glibc.read(self.descriptor, $0.baseAddress! + offset, $0.count - offset) }
        guard result >= 0 else { throw BenchError("read: errno \(errno)") }
        return result
    }

    /// Reads the upgrade response; moves what followed its head to the buffer's start and
    /// returns its length.
    func readResponseHead(into buffer: inout [UInt8]) throws -> Int {
        var filled = 0
        let terminator: [UInt8] = Array("\r\n\r\n".utf8)
        while true {
            let read = try self.read(into: &buffer, at: filled)
            guard read > 0 else { throw BenchError("the upstream closed during the handshake") }
            filled += read
            if let end = buffer[..<filled].firstRange(of: terminator)?.upperBound {
                guard buffer[..<filled].starts(with: Array("HTTP/1.1 101".utf8)) else {
                    throw BenchError("the upstream refused the upgrade")
                }
                buffer.replaceSubrange(0..<end, with: [])
                buffer.append(contentsOf: repeatElement(0, count: end))
                return filled - end
            }
        }
    }

    func close() {
        Glibc.close(self.descriptor)
    }
}
