import HTTPTypes
import NIOCore
import NIOHTTPTypes
import NIOPosix
import WSGateCore

/// `GET /connections/<id>/events`: the Tauri plugin's `addListener(cb)`, as Server-Sent Events.
extension HotPathHandler {
    func serveEvents(_ pending: PendingRequest, connection: Connection, origin: String?, context: ChannelHandlerContext) throws {
        let request = try EventStreamRequest(pending.head)
        switch connection.history.subscribe(from: request.cursor, binaryEncoding: request.binaryEncoding) {
        case .complete:
            self.answer(Self.noContent, body: nil, origin: origin, context: context)
        case .stream(let subscription):
            var head = HTTPResponse(status: .ok)
            head.headerFields[.contentType] = "text/event-stream"
            head.headerFields[.cacheControl] = "no-cache"
            if let noProxyBuffering = HTTPField.Name("X-Accel-Buffering") { head.headerFields[noProxyBuffering] = "no" }
            self.permit(origin, &head)
            context.write(self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(self.wrapOutboundOut(.body(ByteBuffer(staticString: "retry: 3000\n\n"))), promise: nil)
            self.state = .streaming(subscription)
            // The client sends nothing more on this connection: a small receive buffer will do.
            context.channel.setOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 4096))
                .whenFailure { _ in }
            let channel = context.channel
            subscription.onCutOff { channel.close(promise: nil) }
            self.drain()
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { self.drain() }
        context.fireChannelWritabilityChanged()
    }

    /// Writes what the subscription holds while the socket takes it. When it holds nothing, the
    /// subscription wakes this handler on its own event loop once records arrive.
    func drain() {
        guard let context, case .streaming(let subscription) = self.state else { return }
        let handler = NIOLoopBound(self, eventLoop: context.eventLoop)
        let wake: @Sendable () -> Void = {
            let drainHere: @Sendable () -> Void = { handler.eventLoop.execute { handler.value.drain() } }
            // Woken by a record appended on an event loop (the upstream's): wait for the rest of
            // that loop's reads, so that a burst crosses threads once, not once per record.
            if let producer = MultiThreadedEventLoopGroup.currentEventLoop, producer !== handler.eventLoop {
                producer.execute(drainHere)
            } else {
                drainHere()
            }
        }
        while context.channel.isWritable {
            switch subscription.take(orWake: wake) {
            case .records(let records):
                for part in Self.coalesced(records) { context.write(self.wrapOutboundOut(.body(part)), promise: nil) }
            case .pending:
                context.flush()
                return
            case .ended:
                self.state = .finished
                // The stream is over; so is this connection, which a client reopens to resume.
                context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
                    context.close(promise: nil)
                }
                return
            }
        }
        context.flush()
    }

    /// Records at least this large are written as they are; smaller neighbours are copied into
    /// one buffer, so that a batch of small events costs one chunk, not one chunk each.
    private static var copyLimit: Int { 4096 }

    /// `records` with its runs of small records joined.
    private static func coalesced(_ records: [ByteBuffer]) -> [ByteBuffer] {
        guard records.count > 1 else { return records }
        var parts: [ByteBuffer] = []
        var small: ByteBuffer?
        for record in records {
            if record.readableBytes >= Self.copyLimit {
                if let run = small.take() { parts.append(run) }
                parts.append(record)
            } else if small == nil {
                small = record
            } else {
                small?.writeImmutableBuffer(record)
            }
        }
        if let run = small { parts.append(run) }
        return parts
    }
}
