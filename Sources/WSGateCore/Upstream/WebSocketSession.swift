#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOWebSocket

/// The gateway's end of one upstream WebSocket: turns frames into messages and messages into
/// frames, enforces the connection's limits, answers Pings and runs the closing handshake.
///
/// It lives on the channel's event loop; ``UpstreamConnection`` is its thread-safe front.
final class WebSocketSession: ChannelInboundHandler, RemovableChannelHandler, LoopClockClient {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    private enum State {
        case open
        /// The gateway sent Close and waits for the upstream's.
        case closeSent
        /// Both Close frames are exchanged; the gateway waits for the upstream to end TCP.
        case closeReceived
        case ended
    }

    /// A message arriving in several frames.
    private struct PartialMessage {
        var isText: Bool
        /// Whether the message came compressed; its payload is then what was inflated so far.
        var isCompressed: Bool
        var payload: ByteBuffer
        /// How many bytes of a fragmented text payload are known to be valid UTF-8.
        var validatedBytes = 0
    }

    // The config's limits, kept rather than the whole config: every open connection holds a session.
    /// The largest message received (the config's `maxMessageSize`, bounded).
    private let maxMessageSize: Int
    /// Unflushed bytes that make a flush (the config's `writeBufferSize`).
    private let flushThreshold: Int
    /// The most bytes queued for the socket before a send is refused (`maxWriteBufferSize`).
    private let maxQueuedBytes: Int?
    private var closeTimeout: TimeAmount
    private let observer: any SessionObserver
    private var context: ChannelHandlerContext?
    private var state = State.open
    private var partial: PartialMessage?
    /// Set once a Close or error event was reported: nothing is reported after it.
    private var hasFinalEvent = false
    /// Messages of the current read not yet handed to the observer: they go in one call, at the
    /// end of the read or before any other report.
    private var received: [Message] = []
    private var outcome = CloseOutcome()
    /// When the closing handshake times out: the server has not closed TCP by then.
    private var closeDeadline: NIODeadline?
    private var keepalive: Keepalive?
    /// Whether the socket is read: the history's flow control turns it off and on.
    private var isReading = true
    /// The loop's clock, while it ticks the keepalive or the closing handshake.
    private var clock: LoopClock?
    /// Cuts the bytes read into frames. It runs here rather than in a decoder handler before
    /// this one, which would box every frame to pass it down the pipeline.
    private let decoder: FrameDecoder
    /// The start of a frame that has not arrived whole.
    private var unread: ByteBuffer?
    /// Set once the byte stream broke the framing: nothing after that point is read.
    private var isFramingBroken = false
    /// Bytes handed to the channel whose write has not completed yet.
    private var queuedBytes = 0
    /// Bytes written to the channel but not flushed yet.
    private var unflushedBytes = 0
    private var isFlushScheduled = false

    /// permessage-deflate's two directions, when the handshake agreed on it.
    private let inflater: MessageInflater?
    private let deflater: MessageDeflater?

    init(config: ConnectionConfig, deflate: PermessageDeflate?, closeTimeout: TimeAmount, observer: any SessionObserver) throws {
        self.inflater = try deflate.map(MessageInflater.init)
        self.deflater = try deflate.map(MessageDeflater.init)
        self.maxMessageSize = config.effectiveMaxMessageSize
        self.flushThreshold = config.writeBufferSize
        self.maxQueuedBytes = config.maxWriteBufferSize
        self.closeTimeout = closeTimeout
        self.observer = observer
        self.decoder = FrameDecoder(maxFrameSize: config.effectiveMaxFrameSize)
        self.keepalive = Keepalive(config: config, now: .now())
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if let keepalive { self.startClock(tick: keepalive.tick, on: context.eventLoop) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.stopClock()
        // The context refers to this handler: keeping it would keep both, and the session's
        // compression state, alive after the channel has gone.
        self.context = nil
    }

    // MARK: Deadlines

    /// Called by the event loop's ``LoopClock`` at each of its ticks.
    func loopClockTicked(now: NIODeadline) {
        guard let context else { return }
        if let deadline = self.closeDeadline, deadline <= now {
            self.closeDeadline = nil
            self.closingTimedOut(context: context)
        }
        guard self.state == .open, var keepalive = self.keepalive else { return }
        let action = keepalive.clockTicked(now: now)
        self.keepalive = keepalive
        switch action {
        case .keepListening:
            break
        case .sendPing(let payload):
            // Not reported as sent: the client did not send it.
            let ping = WebSocketFrame(fin: true, opcode: .ping, maskKey: .fresh(), data: payload)
            context.writeAndFlush(self.wrapOutboundOut(ping), promise: nil)
        case .giveUp:
            // No Close frame: a peer that answers nothing would not read it. The end is 1006's.
            self.reportFailure(
                "WebSocket protocol error: no frame from the server within \(keepalive.timeout.nanoseconds / 1_000_000) ms of a keepalive Ping"
            )
            context.close(promise: nil)
        }
    }

    /// Has the loop's clock tick this session every `tick`, or more often.
    private func startClock(tick: TimeAmount, on eventLoop: any EventLoop) {
        let clock = self.clock ?? LoopClock.of(eventLoop)
        clock.add(self, tick: tick)
        self.clock = clock
    }

    private func stopClock() {
        self.clock?.remove(self)
        self.clock = nil
    }

    // MARK: Sending

    /// Writes `messages` in order and completes `promise` once the last one is written to the socket.
    ///
    /// Frames are coalesced up to `writeBufferSize` between flushes: within this batch, and with
    /// the sends that arrive in the same event-loop tick, since the flush that ends a batch waits
    /// for the tasks already queued on the loop. With `writeBufferSize` 0 each frame is flushed.
    func send(_ messages: [Message], promise: EventLoopPromise<Void>?) {
        guard let context, self.state == .open else {
            promise?.fail(SendError.connectionClosed(self.outcome.received ?? self.outcome.sent))
            return
        }
        let frames = messages.map(self.frame(for:))
        let batchBytes = frames.reduce(0) { $0 + Self.wireSize(of: $1) }
        if let limit = self.maxQueuedBytes, self.queuedBytes + batchBytes > limit {
            promise?.fail(SendError.writeBufferFull(queued: self.queuedBytes, limit: limit))
            return
        }
        for (index, (message, frame)) in zip(messages, frames).enumerated() {
            let size = Self.wireSize(of: frame)
            let isLast = index == frames.count - 1
            let writePromise = isLast ? promise : nil
            self.queuedBytes += size
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.assumeIsolated().whenComplete { result in
                self.queuedBytes -= size
                // A write fails only because the socket closed under it.
                switch result {
                case .success: writePromise?.succeed()
                case .failure: writePromise?.fail(SendError.connectionClosed(self.outcome.received ?? self.outcome.sent))
                }
            }
            context.write(self.wrapOutboundOut(frame), promise: written)
            self.observer.sessionSent(message)
            self.unflushedBytes += size
            if self.unflushedBytes >= self.flushThreshold {
                self.flush(context: context)
            } else if isLast {
                self.scheduleFlush(context: context)
            }
            if case .close(let closeFrame) = message {
                self.outcome.sent = closeFrame
                self.enterClosing(.closeSent, context: context)
                if !isLast {
                    promise?.fail(SendError.connectionClosed(closeFrame))
                    return
                }
            }
        }
    }

    private func flush(context: ChannelHandlerContext) {
        self.unflushedBytes = 0
        context.flush()
    }

    /// Flushes after the tasks already queued on the event loop, which may add more frames.
    private func scheduleFlush(context: ChannelHandlerContext) {
        guard !self.isFlushScheduled else { return }
        self.isFlushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.isFlushScheduled = false
            if self.unflushedBytes > 0 { self.flush(context: context) }
        }
    }

    /// Starts the closing handshake with `frame` unless it has started already. `timeout`, if
    /// shorter, replaces the configured wait for the upstream's answer and for its end of TCP,
    /// also in a handshake under way: at shutdown, a server that keeps TCP open after the
    /// handshake must not hold the process for the whole configured wait.
    func close(_ frame: CloseFrame?, timeout: TimeAmount? = nil) {
        if let timeout { self.closeTimeout = min(self.closeTimeout, timeout) }
        switch self.state {
        case .open:
            self.send([.close(frame)], promise: nil)
        case .closeSent, .closeReceived:
            guard timeout != nil, let context, let deadline = self.closeDeadline else { return }
            self.closeDeadline = min(deadline, .now() + self.closeTimeout)
            self.startClock(tick: self.closingTick, on: context.eventLoop)
        case .ended:
            break
        }
    }

    /// The frame that carries `message`: Text and Binary payloads compressed when
    /// permessage-deflate is on (an empty one goes as it is, which the extension allows).
    private func frame(for message: Message) -> WebSocketFrame {
        var frame = Self.plainFrame(for: message)
        if let deflater = self.deflater, frame.opcode == .text || frame.opcode == .binary, frame.length > 0,
            let compressed = try? deflater.compress(frame.data)
        {
            frame = WebSocketFrame(fin: true, rsv1: true, opcode: frame.opcode, maskKey: frame.maskKey, data: compressed)
        }
        return frame
    }

    private static func plainFrame(for message: Message) -> WebSocketFrame {
        let (opcode, data): (WebSocketOpcode, ByteBuffer)
        switch message {
        case .text(let text): (opcode, data) = (.text, ByteBuffer(string: text))
        case .binary(let bytes): (opcode, data) = (.binary, bytes)
        case .ping(let bytes): (opcode, data) = (.ping, bytes)
        case .pong(let bytes): (opcode, data) = (.pong, bytes)
        case .close(let frame):
            var payload = ByteBuffer()
            if let frame {
                payload.writeInteger(frame.code)
                payload.writeString(frame.reason)
            }
            (opcode, data) = (.connectionClose, payload)
        }
        return WebSocketFrame(fin: true, opcode: opcode, maskKey: .fresh(), data: data)
    }

    /// The frame's size on the wire: header, masking key and payload.
    private static func wireSize(of frame: WebSocketFrame) -> Int {
        let length = frame.length
        let lengthField = length < 126 ? 0 : (length <= Int(UInt16.max) ? 2 : 8)
        return 2 + lengthField + 4 + length
    }

    // MARK: Receiving

    /// Stops or resumes reading from the upstream socket, for flow control towards subscribers.
    /// TCP then slows the upstream down instead of the gateway buffering without end. Returns
    /// whether reading changed.
    @discardableResult
    func setReading(_ isReading: Bool) -> Bool {
        guard let context, self.state != .ended, isReading != self.isReading else { return false }
        self.isReading = isReading
        self.keepalive?.setReadingPaused(!isReading)
        context.channel.setOption(.autoRead, value: isReading).whenFailure { _ in }
        return true
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.isFramingBroken else { return }
        self.keepalive?.heard()
        var bytes = self.unwrapInboundIn(data)
        if var start = self.unread.take() {
            start.writeBuffer(&bytes)
            bytes = start
        }
        while true {
            let frame: ReceivedFrame
            do {
                guard let next = try self.decoder.decode(buffer: &bytes) else { break }
                frame = next
            } catch {
                self.isFramingBroken = true
                self.fail(error, context: context)
                return
            }
            do {
                try self.receive(frame, context: context)
            } catch {
                self.fail(error, context: context)
            }
        }
        self.reportReceived()
        if bytes.readableBytes > 0 {
            // A buffer of its own: appending to the read buffer, which the payloads of the frames
            // handed on share, would copy all of it at every read.
            var start = context.channel.allocator.buffer(capacity: bytes.readableBytes + 64 * 1024)
            start.writeBuffer(&bytes)
            self.unread = start
        }
    }

    private func receive(_ frame: ReceivedFrame, context: ChannelHandlerContext) throws(SessionFailure) {
        // After a failure the gateway only waits for the upstream's Close or the end of the connection.
        guard !self.hasFinalEvent || frame.opcode == .connectionClose else { return }
        guard !frame.isMasked else { throw .protocolViolation("Received a masked frame from server") }
        // RSV1 marks the first frame of a compressed message, and only with permessage-deflate.
        let startsCompressedMessage = frame.rsv1 && (frame.opcode == .text || frame.opcode == .binary)
        guard !frame.rsv1 || (startsCompressedMessage && self.inflater != nil), !frame.rsv2, !frame.rsv3 else {
            throw .protocolViolation("Reserved bits are non-zero")
        }
        switch frame.opcode {
        case .text, .binary:
            guard self.partial == nil else {
                throw .protocolViolation("While waiting for more fragments received a new data frame")
            }
            let isText = frame.opcode == .text
            if frame.fin, !startsCompressedMessage {
                // The usual message, one uncompressed frame, goes without a partial message.
                let limit = self.maxMessageSize
                guard frame.data.readableBytes <= limit else { throw .tooLong(size: frame.data.readableBytes, limit: limit) }
                return try self.deliver(frame.data, isText: isText)
            }
            var message = PartialMessage(isText: isText, isCompressed: startsCompressedMessage, payload: ByteBuffer())
            try self.append(frame.data, to: &message)
            if frame.fin { try self.complete(message) } else { try self.keepPartial(message) }
        case .continuation:
            guard var message = self.partial else {
                throw .protocolViolation("Continue frame but nothing to continue")
            }
            self.partial = nil
            try self.append(frame.data, to: &message)
            if frame.fin { try self.complete(message) } else { try self.keepPartial(message) }
        case .ping, .pong, .connectionClose:
            guard frame.fin else { throw .protocolViolation("Fragmented control frame") }
            guard frame.data.readableBytes <= 125 else {
                throw .protocolViolation("Control frame too big (payload must be 125 bytes or less)")
            }
            try self.receiveControl(frame, context: context)
        default:
            throw .protocolViolation("Encountered invalid opcode: \(UInt8(webSocketOpcode: frame.opcode))")
        }
    }

    /// Adds a fragment to a message: inflated if it came compressed, the size limit checked either way.
    private func append(_ fragment: ByteBuffer, to message: inout PartialMessage) throws(SessionFailure) {
        let limit = self.maxMessageSize
        if message.isCompressed, let inflater = self.inflater {
            try inflater.inflate(fragment, onto: &message.payload, limit: limit)
        } else if message.payload.readableBytes + fragment.readableBytes > limit {
            throw .tooLong(size: message.payload.readableBytes + fragment.readableBytes, limit: limit)
        } else if message.payload.readableBytes == 0 {
            message.payload = fragment
        } else {
            message.payload.writeImmutableBuffer(fragment)
        }
    }

    /// Keeps a message that more fragments will continue. A text message is failed as soon as
    /// its bytes so far cannot begin valid UTF-8 (RFC 6455, section 8.1), not at its end.
    private func keepPartial(_ message: PartialMessage) throws(SessionFailure) {
        var message = message
        if message.isText {
            guard let valid = message.payload.validUTF8Prefix(from: message.validatedBytes) else { throw .invalidUTF8 }
            message.validatedBytes = valid
        }
        self.partial = message
    }

    private func complete(_ message: PartialMessage) throws(SessionFailure) {
        var message = message
        if message.isCompressed, let inflater = self.inflater {
            try inflater.finishMessage(onto: &message.payload, limit: self.maxMessageSize)
        }
        try self.deliver(message.payload, isText: message.isText)
    }

    private func deliver(_ payload: ByteBuffer, isText: Bool) throws(SessionFailure) {
        if isText {
            guard let text = payload.validatedUTF8String() else {
                throw .invalidUTF8
            }
            self.report(.text(text))
        } else {
            self.report(.binary(payload))
        }
    }

    private func receiveControl(_ frame: ReceivedFrame, context: ChannelHandlerContext) throws(SessionFailure) {
        switch frame.opcode {
        case .ping:
            self.report(.ping(frame.data))
            if self.state == .open {
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .fresh(), data: frame.data)
                context.writeAndFlush(self.wrapOutboundOut(pong), promise: nil)
            }
        case .pong:
            if self.keepalive?.isAnswerToOwnPing(frame.data) != true { self.report(.pong(frame.data)) }
        default:
            try self.receiveClose(Self.closeFrame(from: frame.data), context: context)
        }
    }

    private static func closeFrame(from payload: ByteBuffer) throws(SessionFailure) -> CloseFrame? {
        var payload = payload
        guard payload.readableBytes > 0 else { return nil }
        guard let code = payload.readInteger(as: UInt16.self) else {
            throw .protocolViolation("Invalid close sequence: a close payload of one byte")
        }
        guard CloseFrame.isValidCode(Int(code)) else {
            throw .protocolViolation("Invalid close sequence: close code \(code) may not be sent")
        }
        guard let reason = payload.validatedUTF8String() else {
            throw .invalidUTF8
        }
        return CloseFrame(code: code, reason: reason)
    }

    private func receiveClose(_ frame: CloseFrame?, context: ChannelHandlerContext) {
        self.outcome.received = frame
        switch self.state {
        case .open:
            self.report(.close(frame))
            let reply = Self.plainFrame(for: .close(frame))
            context.writeAndFlush(self.wrapOutboundOut(reply), promise: nil)
            self.outcome.sent = frame
            self.outcome.isClean = true
            self.reportReceived()
            self.observer.sessionCompletedClosingHandshake(self.outcome)
            // RFC 6455 section 7.1.1: the server closes TCP first; the timer covers one that does not.
            self.enterClosing(.closeReceived, context: context)
        case .closeSent:
            self.report(.close(frame))
            self.outcome.isClean = true
            self.reportReceived()
            self.observer.sessionCompletedClosingHandshake(self.outcome)
            // RFC 6455 section 7.1.1 again: the closing timer, still running, covers a server
            // that keeps TCP open. Closing first would leave the gateway's side in TIME_WAIT.
            self.state = .closeReceived
        case .closeReceived, .ended:
            break
        }
    }

    /// Reports `message`, with the others of this read, unless a Close or error event was reported already.
    private func report(_ message: Message) {
        guard !self.hasFinalEvent else { return }
        if case .close = message { self.hasFinalEvent = true }
        self.received.append(message)
    }

    /// Hands the observer the messages reported since the last call.
    private func reportReceived() {
        guard !self.received.isEmpty else { return }
        self.observer.sessionReceived(self.received)
        // The room of a usual read is kept for the next; that of a burst is not kept by an
        // idle connection.
        self.received.removeAll(keepingCapacity: self.received.count <= 64)
    }

    /// Reports the session's failure, after the messages before it.
    private func reportFailure(_ description: String) {
        self.reportReceived()
        self.hasFinalEvent = true
        self.observer.sessionFailed(description)
    }

    // MARK: Failing and ending

    private func fail(_ error: Error, context: ChannelHandlerContext) {
        let failure = error as? SessionFailure
        if !self.hasFinalEvent { self.reportFailure(failure?.description ?? Self.ioErrorText(error)) }
        guard let failure, self.state == .open else {
            context.close(promise: nil)
            return
        }
        let closeFrame = CloseFrame(code: failure.closeCode)
        self.outcome.sent = closeFrame
        context.writeAndFlush(self.wrapOutboundOut(Self.plainFrame(for: .close(closeFrame))), promise: nil)
        self.enterClosing(.closeSent, context: context)
    }

    /// A socket error in tungstenite's words, such as "IO error: Connection reset by peer (os error 104)".
    private static func ioErrorText(_ error: Error) -> String {
        guard let error = error as? IOError else { return "IO error: \(error)" }
        return "IO error: \(String(cString: strerror(error.errnoCode))) (os error \(error.errnoCode))"
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        self.fail(error, context: context)
    }

    /// Starts the closing handshake's timeout; the keepalive stops.
    private func enterClosing(_ state: State, context: ChannelHandlerContext) {
        self.state = state
        self.closeDeadline = .now() + self.closeTimeout
        self.startClock(tick: self.closingTick, on: context.eventLoop)
    }

    /// How often the clock checks the closing deadline: every eighth of the timeout, so that it
    /// fires within an eighth of its time.
    private var closingTick: TimeAmount {
        .nanoseconds(max(1_000_000, self.closeTimeout.nanoseconds / 8))
    }

    private func closingTimedOut(context: ChannelHandlerContext) {
        if self.state == .closeSent, !self.hasFinalEvent {
            self.reportFailure(
                "WebSocket protocol error: the server did not answer the Close within \(self.closeTimeout.nanoseconds / 1_000_000) ms"
            )
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.stopClock()
        if !self.hasFinalEvent {
            self.reportFailure("WebSocket protocol error: Connection reset without closing handshake")
        }
        self.state = .ended
        self.observer.sessionEnded(self.outcome)
        context.fireChannelInactive()
    }
}

/// Why a message could not be sent upstream.
public enum SendError: Error, Equatable {
    /// The closing handshake has started or the connection has ended; carries the close payload when known.
    case connectionClosed(CloseFrame?)
    /// The message would push the bytes waiting for the socket past `maxWriteBufferSize`.
    case writeBufferFull(queued: Int, limit: Int)
    /// The upstream was lost and is being reconnected; the next attempt starts within about
    /// `retryAfterSeconds`.
    case reconnecting(retryAfterSeconds: Int)
}
