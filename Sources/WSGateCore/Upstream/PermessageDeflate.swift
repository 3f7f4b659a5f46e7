import CompressNIO
import Foundation
import NIOCore

/// The permessage-deflate extension (RFC 7692) as negotiated for one connection.
struct PermessageDeflate: Sendable, Equatable {
    /// The server resets its compression context after each message.
    var serverNoContextTakeover = false
    /// The gateway must reset its compression context after each message.
    var clientNoContextTakeover = false
    /// The server's LZ77 window, as a base-2 logarithm (8…15).
    var serverMaxWindowBits = 15
    /// The gateway's LZ77 window, as a base-2 logarithm (8…15).
    var clientMaxWindowBits = 15

    /// The offer in the handshake request: any parameters the server likes, any client window.
    static let offer = "permessage-deflate; client_max_window_bits"

    /// Reads the server's `Sec-WebSocket-Extensions` answer to ``offer``.
    init(response: String) throws(UpstreamConnectError) {
        func fail(_ reason: String) -> UpstreamConnectError { .handshakeFailed(status: 101, reason) }
        let extensions = response.split(separator: ",")
        guard extensions.count == 1 else { throw fail("The server enabled more than the one extension offered.") }
        var parameters = extensions[0].split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        guard parameters.removeFirst() == "permessage-deflate" else {
            throw fail("The server enabled an extension that was not offered: \(response).")
        }
        var seen: Set<String> = []
        for parameter in parameters {
            let parts = parameter.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            let name = parts[0]
            guard seen.insert(name).inserted else { throw fail("permessage-deflate parameter \(name) appears twice.") }
            let value = parts.count > 1 ? parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : nil
            switch (name, value) {
            case ("server_no_context_takeover", nil): self.serverNoContextTakeover = true
            case ("client_no_context_takeover", nil): self.clientNoContextTakeover = true
            case ("server_max_window_bits", let bits?): self.serverMaxWindowBits = try Self.windowBits(bits, fail)
            case ("client_max_window_bits", let bits?): self.clientMaxWindowBits = try Self.windowBits(bits, fail)
            default: throw fail("The server answered permessage-deflate with an invalid parameter \(parameter).")
            }
        }
    }

    init() {}

    private static func windowBits(_ text: String, _ fail: (String) -> UpstreamConnectError) throws(UpstreamConnectError) -> Int {
        guard let bits = Int(text), (8...15).contains(bits), text.first != "0" else {
            throw fail("\(text) is not a window size from 8 to 15.")
        }
        return bits
    }
}

/// The four bytes a sync flush ends with, which RFC 7692 removes from each compressed message.
private let syncFlushTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

/// Inflates incoming compressed messages, enforcing the message limit on the inflated size as it
/// inflates: a message that would inflate past it stops at the limit, not at its full size.
final class MessageInflater {
    private let decompressor: ZlibDecompressor
    private let resetsAfterMessage: Bool
    private var scratch = ByteBufferAllocator().buffer(capacity: 64 * 1024)

    init(_ parameters: PermessageDeflate) throws {
        // A decoder with the largest window reads every smaller window too.
        self.decompressor = try ZlibDecompressor(algorithm: .deflate, windowSize: 15)
        self.resetsAfterMessage = parameters.serverNoContextTakeover
    }

    /// Inflates one fragment of a compressed message onto `message`.
    func inflate(_ fragment: ByteBuffer, onto message: inout ByteBuffer, limit: Int) throws(SessionFailure) {
        var input = fragment
        while input.readableBytes > 0 {
            self.scratch.clear()
            let unread = input.readableBytes
            var outcome: CompressNIOError?
            do {
                try self.decompressor.inflate(from: &input, to: &self.scratch)
            } catch let error as CompressNIOError {
                outcome = error
            } catch {
                throw .protocolViolation("Invalid compressed data")
            }
            guard message.readableBytes + self.scratch.readableBytes <= limit else {
                throw .tooLong(size: message.readableBytes + self.scratch.readableBytes, limit: limit)
            }
            message.writeImmutableBuffer(self.scratch)
            // A stream that zlib saw end (a block with BFINAL set) takes no more input: without
            // this, bytes after it would be offered again and again, and the event loop would spin.
            if outcome == nil, input.readableBytes == unread, self.scratch.readableBytes == 0 {
                throw .protocolViolation("Invalid compressed data: bytes after the end of the DEFLATE stream")
            }
            switch outcome {
            case nil, CompressNIOError.bufferOverflow?: continue
            case CompressNIOError.inputBufferOverflow?: return
            default: throw .protocolViolation("Invalid compressed data")
            }
        }
    }

    /// Completes a message: inflates the sync-flush tail the sender removed.
    func finishMessage(onto message: inout ByteBuffer, limit: Int) throws(SessionFailure) {
        try self.inflate(ByteBuffer(bytes: syncFlushTail), onto: &message, limit: limit)
        if self.resetsAfterMessage {
            do { try self.decompressor.reset() } catch { throw .protocolViolation("Invalid compressed data") }
        }
    }
}

/// Compresses outgoing messages.
final class MessageDeflater {
    private let compressor: ZlibCompressor
    private let resetsAfterMessage: Bool

    init(_ parameters: PermessageDeflate) throws {
        // zlib cannot make raw deflate with a 256-byte window: for that, stored (uncompressed)
        // blocks, which refer to no earlier data at all.
        let bits = max(9, parameters.clientMaxWindowBits)
        let level: Int32 = parameters.clientMaxWindowBits < 9 ? 0 : 6
        self.compressor = try ZlibCompressor(
            algorithm: .deflate, configuration: ZlibConfiguration(windowSize: Int32(bits), compressionLevel: level)
        )
        self.resetsAfterMessage = parameters.clientNoContextTakeover
    }

    /// The compressed payload of one message, without its sync-flush tail.
    func compress(_ payload: ByteBuffer) throws -> ByteBuffer {
        var input = payload
        var output = ByteBufferAllocator().buffer(capacity: self.compressor.maxSize(from: payload) + 16)
        if input.readableBytes == 0 {
            // An empty message still needs its (empty) deflate block.
            input = ByteBuffer(bytes: [])
        }
        try self.compressor.deflate(from: &input, to: &output, flush: .sync)
        if output.readableBytesView.suffix(4).elementsEqual(syncFlushTail) {
            output.moveWriterIndex(to: output.writerIndex - 4)
        }
        if self.resetsAfterMessage { try self.compressor.reset() }
        return output
    }
}
