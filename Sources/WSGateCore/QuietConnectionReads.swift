import NIOCore

extension AdaptiveRecvByteBufferAllocator {
    /// The receive allocator for a connection that is quiet most of the time, as most bridged
    /// connections and their event streams are: the first read gets 512 bytes (less if `maximum`
    /// is less), and reads grow with the traffic up to `maximum`.
    ///
    /// NIO keeps each channel's last receive buffer for its next read, so the first size is what
    /// every idle connection holds: NIO's default of 2 KiB took 1.5 of the 13.9 KiB of a bridged
    /// connection. Reads take at least 64 bytes whatever `maximum` says (a client's
    /// `readBufferSize` may be 1): smaller ones would only cost system calls, and NIO's allocator
    /// traps on a 1-byte buffer.
    public static func quietConnection(maximum: Int) -> AdaptiveRecvByteBufferAllocator {
        let maximum = max(maximum, 64)
        return AdaptiveRecvByteBufferAllocator(minimum: 64, initial: min(512, maximum), maximum: maximum)
    }
}
