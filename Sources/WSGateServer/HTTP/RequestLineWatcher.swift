import NIOCore

/// Watches the raw bytes of each request head for the end of its request line, so that a head
/// too large for the decoder is answered 414 when its target is too long and 431 otherwise.
///
/// It sits in front of the decoder and learns from ``HTTPConnectionHandler`` when a request has
/// ended. A pipelined request whose bytes arrived with its predecessor's end counts as not yet
/// past its request line; an oversized head of such a request is answered 414 rather than 431.
final class RequestLineWatcher: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    /// Whether the current request's line has ended.
    private(set) var hasSeenRequestLine = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !self.hasSeenRequestLine, self.unwrapInboundIn(data).readableBytesView.contains(UInt8(ascii: "\n")) {
            self.hasSeenRequestLine = true
        }
        context.fireChannelRead(data)
    }

    /// The current request has ended; the next one's line starts with the next bytes.
    func requestEnded() {
        self.hasSeenRequestLine = false
    }
}
