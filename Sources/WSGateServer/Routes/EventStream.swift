import HTTPTypes
import Hummingbird
import NIOCore
import WSGateCore

/// The `text/event-stream` response that writes a subscription's records as they come, all
/// that is queued at the time in one write.
enum EventStream {
    /// The response for `subscription`, which is cancelled when the client goes away and whose
    /// HTTP connection is closed if the subscriber is cut off for not reading.
    static func response(for subscription: EventSubscription, channel: any Channel) -> Response {
        subscription.onCutOff { channel.close(promise: nil) }
        // The client sends nothing more on this connection: a small receive buffer will do.
        channel.setOption(.recvAllocator, value: AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 4096))
            .whenFailure { _ in }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        if let noProxyBuffering = HTTPField.Name("X-Accel-Buffering") { headers[noProxyBuffering] = "no" }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { subscription.cancel() }
            try await writer.write(ByteBuffer(staticString: "retry: 3000\n\n"))
            while let batch = await subscription.next() {
                try await writer.write(contentsOf: Self.coalesced(batch))
            }
            try await writer.finish(nil)
        })
    }

    /// Records at least this large are written as they are; smaller neighbours are copied into
    /// one buffer, so that a batch of small events costs one chunk, not one chunk each.
    private static let copyLimit = 4096

    /// `batch` with its runs of small records joined.
    private static func coalesced(_ batch: [ByteBuffer]) -> [ByteBuffer] {
        guard batch.count > 1 else { return batch }
        var parts: [ByteBuffer] = []
        var small: ByteBuffer?
        for record in batch {
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
