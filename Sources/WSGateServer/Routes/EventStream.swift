import HTTPTypes
import Hummingbird
import NIOCore
import WSGateCore

/// The `text/event-stream` response that writes a subscription's records as they come,
/// everything queued at the time in one write.
enum EventStream {
    /// The response for `subscription`, which is cancelled when the client goes away and whose
    /// HTTP connection is closed if the subscriber is cut off for not reading.
    static func response(for subscription: EventSubscription, channel: any Channel) -> Response {
        subscription.onCutOff { channel.close(promise: nil) }
        var headers = HTTPFields()
        headers[.contentType] = "text/event-stream"
        headers[.cacheControl] = "no-cache"
        if let noProxyBuffering = HTTPField.Name("X-Accel-Buffering") { headers[noProxyBuffering] = "no" }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { subscription.cancel() }
            try await writer.write(ByteBuffer(staticString: "retry: 3000\n\n"))
            while let batch = await subscription.next() {
                try await writer.write(Self.joined(batch))
            }
            try await writer.finish(nil)
        })
    }

    /// One buffer holding every record of `batch`, so the batch costs one write.
    private static func joined(_ batch: [ByteBuffer]) -> ByteBuffer {
        guard batch.count > 1 else { return batch.first ?? ByteBuffer() }
        var joined = ByteBuffer()
        joined.reserveCapacity(batch.reduce(0) { $0 + $1.readableBytes })
        for record in batch { joined.writeImmutableBuffer(record) }
        return joined
    }
}
