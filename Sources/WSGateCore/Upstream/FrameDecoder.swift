import NIOCore
import NIOWebSocket

/// A frame as read from the upstream: its header's bits and its payload, a slice of the read.
/// NIO's `WebSocketFrame` would allocate storage for every frame read.
struct ReceivedFrame {
    var fin: Bool
    var rsv1: Bool
    var rsv2: Bool
    var rsv3: Bool
    var opcode: WebSocketOpcode
    /// Whether the frame came masked, which a server's frame must not.
    var isMasked: Bool
    /// The payload as sent (a masked frame's is not unmasked: it is refused anyway).
    var data: ByteBuffer
}

/// Cuts the upstream byte stream into WebSocket frames, for ``WebSocketSession``.
///
/// NIO's own decoder would do, but it reports an oversized frame without its size and
/// preconditions its limit to `UInt32.max`; this one checks the limit on the frame header,
/// before any payload is buffered, and reports tungstenite's error.
struct FrameDecoder {
    /// The largest frame payload accepted.
    let maxFrameSize: Int

    /// The next whole frame at the start of `buffer`, read from it, or nil while it is incomplete.
    func decode(buffer: inout ByteBuffer) throws -> ReceivedFrame? {
        guard let (first, second) = buffer.getMultipleIntegers(at: buffer.readerIndex, as: (UInt8, UInt8).self) else {
            return nil
        }
        var headerLength = 2
        var payloadLength = UInt64(second & 0x7F)
        if payloadLength == 126 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt16.self) else { return nil }
            payloadLength = UInt64(extended)
            headerLength = 4
        } else if payloadLength == 127 {
            guard let extended = buffer.getInteger(at: buffer.readerIndex + 2, as: UInt64.self) else { return nil }
            payloadLength = extended
            headerLength = 10
        }
        let isMasked = second & 0x80 != 0
        // Checked before any arithmetic on the length, which may be as large as 2^64 - 1.
        guard payloadLength <= UInt64(self.maxFrameSize) else {
            throw SessionFailure.tooLong(size: payloadLength, limit: self.maxFrameSize)
        }
        let maskLength = isMasked ? 4 : 0
        let frameLength = headerLength + maskLength + Int(payloadLength)
        guard buffer.readableBytes >= frameLength else { return nil }

        buffer.moveReaderIndex(forwardBy: headerLength + maskLength)
        guard let payload = buffer.readSlice(length: Int(payloadLength)),
            let opcode = WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F)
        else { return nil }
        return ReceivedFrame(
            fin: first & 0x80 != 0,
            rsv1: first & 0x40 != 0,
            rsv2: first & 0x20 != 0,
            rsv3: first & 0x10 != 0,
            opcode: opcode,
            isMasked: isMasked,
            data: payload
        )
    }
}
